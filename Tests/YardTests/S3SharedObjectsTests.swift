import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import YardCore
import YardData
import YardJSON
@testable import YardS3
import YardServer

/// Two servers with their own data folders sharing one bucket through `--objects s3://…`: what `yard data
/// push` sends to one is listed, served and usable by the other; nothing wrong ever reaches a cache.
@Suite("Objects shared between replicas through S3", .enabled(if: S3TestServer.enabled, S3TestServer.skipNote))
struct S3SharedObjectsTests {
    /// One data folder per replica, alive as long as the test.
    let folders = [TemporaryDirectory(), TemporaryDirectory()]

    func replica(_ s3: S3TestServer.Connection, prefix: String, index: Int = 0, secret: String? = nil) async throws -> (ServerComponents, ServerConfiguration) {
        let directory = folders[index]
        let credentials = AWSCredentials(accessKeyId: s3.credentials.accessKeyId,
                                         secretAccessKey: secret ?? s3.credentials.secretAccessKey)
        let settings = S3Settings(endpointURL: s3.endpoint.url, region: "us-east-1", addressing: .path, credentials: credentials)
        let configuration = ServerConfiguration(port: 0, dataDirectory: directory.path, s3: settings,
                                                objectsURI: "s3://\(s3.bucket)/\(prefix)")
        return (try await buildComponents(configuration), configuration)
    }

    static func digest(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    static func missing(_ client: some TestClientProtocol, _ digests: [String]) async throws -> [String] {
        let body = "{\"digests\":[" + digests.map { "\"\($0)\"" }.joined(separator: ",") + "]}"
        return try await client.execute(uri: "/api/v1/objects/missing", method: .post,
                                         headers: [.contentType: "application/json"], body: ByteBuffer(string: body)) { response in
            #expect(response.status == .ok)
            guard case .array(let items)? = try JSONParser.parse(Array(response.body.readableBytesView))["missing"] else { return [] }
            return items.compactMap { if case .string(let text) = $0 { text } else { nil } }
        }
    }

    @Test func anObjectPushedToOneReplicaIsServedByTheOther() async throws {
        let s3 = try S3TestServer.connection()
        let prefix = S3TestServer.uniquePrefix("objects")
        let (first, firstConfiguration) = try await replica(s3, prefix: prefix)
        let (second, secondConfiguration) = try await replica(s3, prefix: prefix, index: 1)
        try await first.checkArtifactStore()
        let bytes = Array("id,label\n1,0\n2,1\n".utf8) + (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        let digest = Self.digest(bytes)
        let absent = Self.digest(Array("never pushed".utf8))

        try await buildApplication(components: first, configuration: firstConfiguration).test(.router) { client in
            #expect(try await Self.missing(client, [digest, absent]) == [digest, absent])
            try await client.execute(uri: "/api/v1/objects/\(digest)", method: .put, body: ByteBuffer(bytes: bytes)) { response in
                #expect(response.status == .created)
            }
            try await client.execute(uri: "/api/v1/objects/\(digest)", method: .put, body: ByteBuffer(bytes: bytes)) { response in
                #expect(response.status == .ok, "a second upload of the same object is a no-op")
            }
        }
        // The bucket holds it under the layout a direct S3 remote uses.
        let key = "\(prefix)/\(digest.prefix(2))/\(digest.dropFirst(2))"
        #expect(try await s3.client.headObject(bucket: s3.bucket, key: key)?.size == Int64(bytes.count))

        let secondCache = second.objects.cache
        #expect(!secondCache.contains(try ContentDigest.parse(digest)))
        try await buildApplication(components: second, configuration: secondConfiguration).test(.router) { client in
            #expect(try await Self.missing(client, [digest, absent]) == [absent])
            try await client.execute(uri: "/api/v1/objects/\(digest)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(Array(response.body.readableBytesView) == bytes)
            }
            try await client.execute(uri: "/api/v1/objects/\(absent)", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
        #expect(secondCache.isIntact(try ContentDigest.parse(digest)), "the second replica keeps a verified copy")
    }

    @Test func aTamperedObjectInTheBucketNeverReachesACache() async throws {
        let s3 = try S3TestServer.connection()
        let prefix = S3TestServer.uniquePrefix("objects")
        let bytes = Array("the real content\n".utf8)
        let digest = Self.digest(bytes)
        try await s3.client.putObject(bucket: s3.bucket, key: "\(prefix)/\(digest.prefix(2))/\(digest.dropFirst(2))",
                                      body: ByteBuffer(string: "something else\n"))
        let (server, configuration) = try await replica(s3, prefix: prefix)
        try await buildApplication(components: server, configuration: configuration).test(.router) { client in
            try await client.execute(uri: "/api/v1/objects/\(digest)", method: .get) { response in
                #expect(response.status.code >= 400)
                #expect(String(buffer: response.body).contains(String(digest.prefix(12))))
            }
        }
        #expect(!server.objects.cache.contains(try ContentDigest.parse(digest)))
    }

    @Test func aWrongSecretIsNamedAtStartUp() async throws {
        let s3 = try S3TestServer.connection()
        let (server, _) = try await replica(s3, prefix: S3TestServer.uniquePrefix("objects"), secret: "wrong")
        let error = await #expect(throws: YardError.self) { try await server.checkArtifactStore() }
        #expect(error?.message.contains("The object store s3://\(s3.bucket)/") == true)
        #expect(error?.message.contains("AWS_SECRET_ACCESS_KEY") == true)
    }

    @Test func onlyBucketsCanBeShared() {
        let error = #expect(throws: YardError.self) { _ = try ServerConfiguration(objectsURI: "/mnt/objects").sharedObjectsLocation() }
        #expect(error?.message.contains("--objects /mnt/objects") == true)
    }
}
