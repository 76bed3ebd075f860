import Foundation
import Testing

import YardCore
@testable import YardData
@testable import YardS3

/// `yard data` with an s3://bucket/prefix remote, against moto (signatures and payload hashes checked).
@Suite("Data: S3 remotes", .enabled(if: S3TestServer.enabled, S3TestServer.skipNote))
struct S3RemoteTests {
    /// A remote on a fresh prefix of the test bucket, opened the way the CLI opens a configured one.
    static func remote(_ label: String, secret: String? = nil, partSize: Int? = nil) throws -> (S3Remote, S3TestServer.Connection) {
        let s3 = try S3TestServer.connection()
        let environment = [
            "AWS_ACCESS_KEY_ID": s3.credentials.accessKeyId,
            "AWS_SECRET_ACCESS_KEY": secret ?? s3.credentials.secretAccessKey,
        ]
        var remote = try S3Remote(uri: "s3://\(s3.bucket)/\(S3TestServer.uniquePrefix(label))",
                                  settings: RemoteS3Settings(endpointURL: s3.endpoint.url), environment: environment)
        if let partSize { remote.partSize = partSize }
        return (remote, s3)
    }

    static func storedKeys(_ remote: S3Remote, _ s3: S3TestServer.Connection) async throws -> [String] {
        try await s3.client.listAllObjects(bucket: s3.bucket, prefix: remote.location.prefix + "/").objects.map(\.key).sorted()
    }

    @Test func pushStatusAndPullIntoAFreshClone() async throws {
        let (remote, s3) = try Self.remote("push-pull")
        let origin = try DataTestRepository(maxLeafEntries: 8)
        for index in 0..<30 { origin.write("data/f\(index).txt", "file \(index)") }
        origin.write("data/dup.txt", "file 0")
        origin.write("model.bin", "weights")
        let data = try origin.repository.add("data", from: origin.root)
        _ = try origin.repository.add("model.bin", from: origin.root)

        let tree = try origin.repository.treeEntries(data.pointer.digest)
        let digests = tree.entries.map(\.digest)
        #expect(try await remote.missing(digests) == Set(digests))

        let pushed = try await origin.repository.push(to: remote, from: origin.root)
        #expect(pushed.transferred > 31)
        #expect(try await remote.missing(digests).isEmpty)
        // Keys follow the cache's layout below the prefix.
        let first = digests[0]
        #expect(try await Self.storedKeys(remote, s3).contains("\(remote.location.prefix)/\(first.hex.prefix(2))/\(first.hex.dropFirst(2))"))
        #expect(try await Self.storedKeys(remote, s3).count == pushed.transferred)

        let again = try await origin.repository.push(to: remote, from: origin.root)
        #expect(again.transferred == 0)
        #expect(again.alreadyPresent == pushed.transferred)

        let clone = try DataTestRepository()
        for pointer in ["data.yard", "model.bin.yard"] {
            try FileManager.default.copyItem(atPath: origin.root + "/" + pointer, toPath: clone.root + "/" + pointer)
        }
        let (fetched, checkedOut) = try await clone.repository.pull(from: remote, from: clone.root)
        #expect(fetched.transferred == pushed.transferred)
        #expect(checkedOut.restored == 32)
        #expect(clone.read("data/f7.txt") == "file 7")
        #expect(clone.read("model.bin") == "weights")
        #expect(try clone.repository.verify().corrupted.isEmpty)
    }

    @Test func missingByShardListingAgreesWithHeads() async throws {
        let (remote, _) = try Self.remote("listing")
        let origin = try DataTestRepository()
        for index in 0..<40 { origin.write("d/\(index)", "bytes \(index)") }
        let added = try origin.repository.add("d", from: origin.root)
        let entries = try origin.repository.treeEntries(added.pointer.digest).entries
        try await remote.upload(entries.prefix(15).map { TransferItem(digest: $0.digest, size: $0.size) },
                                from: origin.repository.cache, progress: SilentProgress())
        let absent = (0..<S3Remote.headLimit).map { ContentDigest.of(Array("absent \($0)".utf8)) }
        let asked = entries.map(\.digest) + absent
        #expect(asked.count > S3Remote.headLimit)  // so the listing path answers
        let expected = Set(entries.dropFirst(15).map(\.digest) + absent)
        #expect(try await remote.missing(asked) == expected)
        #expect(try await remote.missing(Array(entries.map(\.digest))) == Set(entries.dropFirst(15).map(\.digest)))
    }

    @Test func aLargeObjectGoesUpInPartsAndComesBackWhole() async throws {
        let (remote, s3) = try Self.remote("multipart", partSize: S3Client.minimumPartSize)
        let origin = try DataTestRepository()
        let bytes = PatternBody(count: S3Client.minimumPartSize * 2 + 12345).bytes
        _ = FileManager.default.createFile(atPath: origin.root + "/big.bin", contents: Data(bytes))
        let added = try origin.repository.add("big.bin", from: origin.root)
        _ = try await origin.repository.push(to: remote, from: origin.root)
        let info = try #require(try await s3.client.headObject(bucket: s3.bucket, key: remote.key(for: added.pointer.digest)))
        #expect(info.size == Int64(bytes.count))
        #expect(info.etag?.contains("-3") == true)  // a multipart upload of three parts

        let clone = try DataTestRepository()
        try FileManager.default.copyItem(atPath: origin.root + "/big.bin.yard", toPath: clone.root + "/big.bin.yard")
        _ = try await clone.repository.pull(from: remote, from: clone.root)
        #expect(FileManager.default.contents(atPath: clone.root + "/big.bin") == Data(bytes))
    }

    /// A cache object whose bytes no longer match its digest never becomes an object in the bucket: a
    /// small one is refused before its PutObject, a large one's multipart upload is aborted.
    @Test(arguments: [false, true])
    func aFailedUploadLeavesNoObject(large: Bool) async throws {
        let (remote, s3) = try Self.remote("failed-upload", partSize: S3Client.minimumPartSize)
        let origin = try DataTestRepository()
        let size = large ? S3Client.minimumPartSize * 2 + 7 : 1000
        _ = FileManager.default.createFile(atPath: origin.root + "/a.bin", contents: Data(PatternBody(count: size).bytes))
        let added = try origin.repository.add("a.bin", from: origin.root)
        let object = origin.repository.cache.path(for: added.pointer.digest)
        chmod(object, 0o644)
        var rotten = PatternBody(count: size).bytes
        rotten[size - 1] ^= 0xff  // the last byte: every earlier part has gone up already
        _ = FileManager.default.createFile(atPath: object, contents: Data(rotten))

        let item = TransferItem(digest: added.pointer.digest, size: Int64(size))
        do {
            try await remote.upload([item], from: origin.repository.cache, progress: SilentProgress())
            Issue.record("a corrupt object was uploaded")
        } catch let error as YardError {
            #expect(error.code == .invalidState)
            #expect(error.message.contains("is corrupt"))
        }
        #expect(try await s3.client.headObject(bucket: s3.bucket, key: remote.key(for: item.digest)) == nil)
        #expect(try await s3.client.listMultipartUploads(bucket: s3.bucket, prefix: remote.location.prefix + "/").isEmpty)
        #expect(try await remote.missing([item.digest]) == [item.digest])
    }

    @Test func pullOfAnObjectTheBucketLacksSaysSo() async throws {
        let (remote, _) = try Self.remote("lacking")
        let origin = try DataTestRepository()
        origin.write("a.txt", "never pushed")
        _ = try origin.repository.add("a.txt", from: origin.root)
        let clone = try DataTestRepository()
        try FileManager.default.copyItem(atPath: origin.root + "/a.txt.yard", toPath: clone.root + "/a.txt.yard")
        do {
            _ = try await clone.repository.pull(from: remote, from: clone.root)
            Issue.record("pulled an object the bucket does not have")
        } catch let error as YardError {
            #expect(error.code == .resourceDoesNotExist)
            #expect(error.message.contains("does not have object"))
        }
    }

    @Test func aWrongSecretSaysWhichCredentialToFix() async throws {
        let (remote, _) = try Self.remote("wrong-secret", secret: "not-the-secret")
        do {
            _ = try await remote.missing([ContentDigest.of(Array("x".utf8))])
            Issue.record("a wrong secret was accepted")
        } catch let error as YardError {
            #expect(error.code == .permissionDenied)
            #expect(error.message.contains("AWS_SECRET_ACCESS_KEY"))
        }
    }

    @Test func credentialsComeFromTheEnvironmentOnly() throws {
        do {
            _ = try S3Remote(uri: "s3://bucket/prefix", settings: nil, environment: ["AWS_ACCESS_KEY_ID": "id"])
            Issue.record("opened without a secret")
        } catch {
            #expect(error.message.contains("AWS_SECRET_ACCESS_KEY"))
            #expect(error.message.contains("never stored"))
        }
        #expect(throws: YardError.self) { try S3Remote.validate(uri: "s3://Bad_Bucket/x", settings: RemoteS3Settings()) }
        #expect(throws: YardError.self) { try S3Remote.validate(uri: "s3://bucket/x", settings: RemoteS3Settings(endpointURL: "ftp://h")) }
        let remote = try S3Remote(uri: "s3://bucket/a/b/", settings: RemoteS3Settings(endpointURL: "http://127.0.0.1:9", region: "eu-west-1"),
                                  environment: ["AWS_ACCESS_KEY_ID": "id", "AWS_SECRET_ACCESS_KEY": "secret"])
        #expect(remote.client.endpoint.region == "eu-west-1")
        #expect(remote.client.endpoint.addressing == .path)
        let digest = ContentDigest.of(Array("x".utf8))
        #expect(remote.key(for: digest) == "a/b/\(digest.hex.prefix(2))/\(digest.hex.dropFirst(2))")
    }
}
