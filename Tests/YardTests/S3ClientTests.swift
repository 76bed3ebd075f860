import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import Synchronization
import Testing
import YardCore
@testable import YardS3

/// The S3 client against moto with signatures checked: every call here is verified by moto recomputing
/// the Signature V4 with botocore, so a signing mistake fails these tests.
@Suite("S3 client on a local S3", .enabled(if: S3TestServer.enabled, S3TestServer.skipNote))
struct S3ClientTests {
    @Test func putGetHeadListAndDelete() async throws {
        let s3 = try S3TestServer.connection()
        let prefix = S3TestServer.uniquePrefix("objects")
        let names = ["a.txt", "dir/b.txt", "dir/sub/c.txt", "dir/with space+plus$&é.txt", "z.bin"]
        for (index, name) in names.enumerated() {
            try await s3.client.putObject(bucket: s3.bucket, key: "\(prefix)/\(name)", body: ByteBuffer(string: "content \(index)"))
        }
        let download = try #require(try await s3.client.getObject(bucket: s3.bucket, key: "\(prefix)/dir/with space+plus$&é.txt"))
        var received = ByteBuffer()
        for try await var chunk in download.chunks { received.writeBuffer(&chunk) }
        #expect(String(buffer: received) == "content 3")
        #expect(download.size == 9)
        #expect(try await s3.client.headObject(bucket: s3.bucket, key: "\(prefix)/z.bin")?.size == 9)
        #expect(try await s3.client.headObject(bucket: s3.bucket, key: "\(prefix)/missing") == nil)
        #expect(try await s3.client.getObject(bucket: s3.bucket, key: "\(prefix)/missing") == nil)

        let top = try await s3.client.listObjects(bucket: s3.bucket, prefix: prefix + "/", delimiter: "/")
        #expect(top.objects.map(\.key) == ["\(prefix)/a.txt", "\(prefix)/z.bin"])
        #expect(top.commonPrefixes == ["\(prefix)/dir/"])

        // Pages of one key each, followed by continuation token, add up to the whole listing.
        var keys: [String] = []
        var token: String?
        var pages = 0
        repeat {
            let page = try await s3.client.listObjects(bucket: s3.bucket, prefix: prefix + "/", continuationToken: token, maxKeys: 1)
            keys += page.objects.map(\.key)
            token = page.nextContinuationToken
            pages += 1
        } while token != nil
        #expect(pages == names.count)
        #expect(keys == names.map { "\(prefix)/\($0)" }.sorted())

        try await s3.client.deleteObject(bucket: s3.bucket, key: "\(prefix)/a.txt")
        try await s3.client.deleteObjects(bucket: s3.bucket, keys: keys.filter { !$0.hasSuffix("/a.txt") })
        #expect(try await s3.client.listAllObjects(bucket: s3.bucket, prefix: prefix + "/").objects.isEmpty)
    }

    @Test func aLargeBodyStreamsUpInPartsAndBecomesOneObject() async throws {
        let s3 = try S3TestServer.connection()
        let key = S3TestServer.uniquePrefix("multipart") + "/big.bin"
        let body = PatternBody(count: (12 << 20) + 12_345)
        let uploaded = try await s3.client.upload(bucket: s3.bucket, key: key, from: body, partSize: S3Client.minimumPartSize)
        #expect(uploaded == Int64(body.count))
        // A multipart object's ETag ends in the part count.
        let info = try #require(try await s3.client.headObject(bucket: s3.bucket, key: key))
        #expect(info.size == Int64(body.count))
        #expect(info.etag?.hasSuffix("-3\"") == true)
        let download = try #require(try await s3.client.getObject(bucket: s3.bucket, key: key))
        var hasher = SHA256()
        var chunks = 0
        for try await chunk in download.chunks {
            chunks += 1
            hasher.update(data: Array(chunk.readableBytesView))
        }
        #expect(chunks > 1)
        #expect(hasher.finalize() == SHA256.hash(data: body.bytes))
    }

    @Test func aSmallBodyGoesUpAsOnePut() async throws {
        let s3 = try S3TestServer.connection()
        let key = S3TestServer.uniquePrefix("single") + "/small.bin"
        _ = try await s3.client.upload(bucket: s3.bucket, key: key, from: PatternBody(count: 100_000), partSize: S3Client.minimumPartSize)
        let info = try #require(try await s3.client.headObject(bucket: s3.bucket, key: key))
        #expect(info.size == 100_000)
        #expect(info.etag?.contains("-") == false)
    }

    @Test func anUploadThatFailsMidStreamLeavesNothingAndIsAborted() async throws {
        let s3 = try S3TestServer.connection()
        let prefix = S3TestServer.uniquePrefix("failed")
        let body = PatternBody(count: 20 << 20, failAfter: (11 << 20) + 7)
        await #expect(throws: PatternBody.Broken.self) {
            _ = try await s3.client.upload(bucket: s3.bucket, key: prefix + "/broken.bin", from: body, partSize: S3Client.minimumPartSize)
        }
        #expect(try await s3.client.headObject(bucket: s3.bucket, key: prefix + "/broken.bin") == nil)
        #expect(try await s3.client.listMultipartUploads(bucket: s3.bucket, prefix: prefix).isEmpty)
    }

    @Test func aCancelledUploadIsAbortedToo() async throws {
        let s3 = try S3TestServer.connection()
        let prefix = S3TestServer.uniquePrefix("cancelled")
        let body = PatternBody(count: 20 << 20, failAfter: 6 << 20, hangInsteadOfFailing: true)
        let upload = Task {
            try await s3.client.upload(bucket: s3.bucket, key: prefix + "/hung.bin", from: body, partSize: S3Client.minimumPartSize)
        }
        // Wait until the first part has started a multipart upload, then hang up.
        var started = false
        for _ in 0..<200 where !started {
            started = try await !s3.client.listMultipartUploads(bucket: s3.bucket, prefix: prefix).isEmpty
            if !started { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(started)
        upload.cancel()
        await #expect(throws: CancellationError.self) { _ = try await upload.value }
        #expect(try await s3.client.listMultipartUploads(bucket: s3.bucket, prefix: prefix).isEmpty)
        #expect(try await s3.client.headObject(bucket: s3.bucket, key: prefix + "/hung.bin") == nil)
    }

    @Test func aWrongSecretIsNamed() async throws {
        let s3 = try S3TestServer.connection()
        var credentials = s3.credentials
        credentials.secretAccessKey = "not-the-secret"
        let client = S3Client(endpoint: s3.endpoint, credentials: credentials)
        let error = await #expect(throws: YardError.self) { try await client.checkBucket(s3.bucket) }
        #expect(error?.code == .permissionDenied)
        #expect(error?.message.contains("SignatureDoesNotMatch") == true)
        #expect(error?.message.contains("AWS_SECRET_ACCESS_KEY") == true)
        #expect(error?.message.contains(credentials.accessKeyId) == true)
    }

    @Test func anUnknownAccessKeyIdIsNamed() async throws {
        let s3 = try S3TestServer.connection()
        let client = S3Client(endpoint: s3.endpoint, credentials: AWSCredentials(accessKeyId: "AKIAUNKNOWNKEY000000", secretAccessKey: "x"))
        let error = await #expect(throws: YardError.self) { try await client.checkBucket(s3.bucket) }
        #expect(error?.code == .permissionDenied)
        #expect(error?.message.contains("InvalidAccessKeyId") == true)
        #expect(error?.message.contains("AWS_ACCESS_KEY_ID") == true)
    }

    @Test func aMissingBucketIsNamed() async throws {
        let s3 = try S3TestServer.connection()
        let error = await #expect(throws: YardError.self) { try await s3.client.checkBucket("no-such-bucket-here") }
        #expect(error?.message.contains("'no-such-bucket-here' does not exist") == true)
        #expect(error?.message.contains(s3.endpoint.url) == true)
    }

    @Test func anUnreachableEndpointIsA503NamingIt() async throws {
        let port = try S3TestServer.closedPort()
        let endpoint = try S3Endpoint(url: "http://127.0.0.1:\(port)", region: "us-east-1")
        let client = S3Client(endpoint: endpoint, credentials: AWSCredentials(accessKeyId: "a", secretAccessKey: "b"),
                              retry: .init(attempts: 2, firstDelay: .milliseconds(10)))
        let error = await #expect(throws: YardError.self) {
            try await client.putObject(bucket: "bucket", key: "k", body: ByteBuffer(string: "x"))
        }
        #expect(error?.code == .temporarilyUnavailable)
        #expect(error?.message.contains("http://127.0.0.1:\(port) is unreachable") == true)
        #expect(error?.message.contains("2 attempts") == true)
    }
}

/// An endpoint that answers every request with 500 InternalError, counting them.
@Suite("S3 client against a failing endpoint")
struct S3FailingEndpointTests {
    @Test func fiveHundredsAreRetriedThenReportedAs503() async throws {
        let requests = Atomic<Int>(0)
        let router = Router()
        router.on("/**", method: .put) { _, _ -> Response in
            requests.add(1, ordering: .relaxed)
            return Response(status: .internalServerError, body: .init(byteBuffer: ByteBuffer(
                string: "<?xml version=\"1.0\"?><Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>")))
        }
        router.on("/**", method: .get) { _, _ -> Response in
            requests.add(1, ordering: .relaxed)
            return Response(status: .serviceUnavailable)
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let endpoint = try S3Endpoint(url: "http://127.0.0.1:\(port)", region: "us-east-1")
            let s3 = S3Client(endpoint: endpoint, credentials: AWSCredentials(accessKeyId: "a", secretAccessKey: "b"),
                              retry: .init(attempts: 3, firstDelay: .milliseconds(10)))
            let error = await #expect(throws: YardError.self) {
                try await s3.putObject(bucket: "bucket", key: "a/b.txt", body: ByteBuffer(string: "x"))
            }
            #expect(requests.load(ordering: .relaxed) == 3)
            #expect(error?.code == .temporarilyUnavailable)
            #expect(error?.message.contains("500 InternalError") == true)
            #expect(error?.message.contains("3 attempts") == true)

            // A download from the failing endpoint fails the same way; nothing is handed out as content.
            let store = S3ArtifactStore(client: s3, location: try S3Location(uri: "s3://bucket/p"))
            await #expect(throws: YardError.self) { _ = try await store.read("a/b.txt") }
            await #expect(throws: YardError.self) { try await store.write("a/c.txt", bytes: [1, 2, 3]) }
        }
    }
}
