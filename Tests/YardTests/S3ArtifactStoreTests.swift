import Foundation
import NIOCore
import Testing
import YardBlobs
import YardCore
@testable import YardS3

/// The S3 artifact store on moto behaves as the local folder store does (see ArtifactStoreTests).
@Suite("S3 artifact store on a local S3", .enabled(if: S3TestServer.enabled, S3TestServer.skipNote))
struct S3ArtifactStoreTests {
    func makeStore(_ label: String, partSize: Int = S3Client.minimumPartSize) throws -> (S3ArtifactStore, S3TestServer.Connection) {
        let s3 = try S3TestServer.connection()
        let location = try S3Location(bucket: s3.bucket, prefix: S3TestServer.uniquePrefix(label))
        return (S3ArtifactStore(client: s3.client, location: location, partSize: partSize), s3)
    }

    @Test func writeReadListDelete() async throws {
        let (store, _) = try makeStore("basic")
        #expect(try await store.list("") == [])
        try await store.write("1/run/artifacts/dir/a.txt", bytes: Array("hello".utf8))
        try await store.write("1/run/artifacts/top.txt", bytes: Array("top".utf8))
        #expect(try await store.readAll("1/run/artifacts/dir/a.txt") == Array("hello".utf8))
        #expect(try await store.list("1/run/artifacts") == [
            ArtifactEntry(name: "dir", isDirectory: true, size: nil),
            ArtifactEntry(name: "top.txt", isDirectory: false, size: 3),
        ])
        #expect(try await store.list("1/run/artifacts/dir/") == [ArtifactEntry(name: "a.txt", isDirectory: false, size: 5)])
        #expect(try await store.list("1/./run//artifacts/dir") == [ArtifactEntry(name: "a.txt", isDirectory: false, size: 5)])
        #expect(try await store.list("missing") == nil)
        #expect(try await store.list("1/run/artifacts/top.txt") == nil)
        #expect(try await store.entry(at: "1/run/artifacts/dir") == ArtifactEntry(name: "dir", isDirectory: true, size: nil))
        #expect(try await store.entry(at: "1/run/artifacts/top.txt") == ArtifactEntry(name: "top.txt", isDirectory: false, size: 3))
        #expect(try await store.entry(at: "1/run/nothing") == nil)
        try await store.delete("1/run/artifacts/dir")
        #expect(try await store.list("1/run/artifacts") == [ArtifactEntry(name: "top.txt", isDirectory: false, size: 3)])
        try await store.delete("1")
        #expect(try await store.list("") == [])
        await #expect(throws: YardError.notFound("No such artifact: '1'")) { try await store.delete("1") }
        await #expect(throws: YardError.invalid("Invalid path")) { try await store.delete("") }
    }

    @Test func overwritingReplacesTheContent() async throws {
        let (store, _) = try makeStore("overwrite")
        try await store.write("model/MLmodel", bytes: Array("first".utf8))
        try await store.write("model/MLmodel", bytes: Array("second, longer".utf8))
        #expect(try await store.readAll("model/MLmodel") == Array("second, longer".utf8))
        #expect(try await store.list("model") == [ArtifactEntry(name: "MLmodel", isDirectory: false, size: 14)])
    }

    @Test func largeFilesGoUpInPartsAndStreamDownInChunks() async throws {
        let (store, s3) = try makeStore("large")
        let body = PatternBody(count: (11 << 20) + 3)
        let written = try await store.write("big/weights.bin", from: body, limits: .unlimited)
        #expect(written == Int64(body.count))
        let download = try await store.read("big/weights.bin")
        #expect(download.size == Int64(body.count))
        var chunks = 0
        var received: [UInt8] = []
        received.reserveCapacity(body.count)
        for try await chunk in download.chunks {
            chunks += 1
            received.append(contentsOf: chunk.readableBytesView)
        }
        #expect(chunks > 1)
        #expect(received == body.bytes)
        let key = try store.key("big/weights.bin")
        #expect(try await s3.client.headObject(bucket: s3.bucket, key: key)?.etag?.hasSuffix("-3\"") == true)
    }

    @Test(arguments: ["../x", "a/../../x", "/etc/passwd", "a\\..\\b", "a/%2e%2e/b", "a%2fb", "C:/x"])
    func pathsThatEscapeAreRefused(path: String) async throws {
        let (store, s3) = try makeStore("escape")
        await #expect(throws: YardError.invalid("Invalid path")) { try await store.write(path, bytes: [1]) }
        await #expect(throws: YardError.invalid("Invalid path")) { _ = try await store.read(path) }
        await #expect(throws: YardError.invalid("Invalid path")) { _ = try await store.list(path) }
        await #expect(throws: YardError.invalid("Invalid path")) { try await store.delete(path) }
        // Nothing reached the bucket: not under the store's prefix, nor beside it (where `..` would lead), nor
        // at the top of the bucket (where an absolute path would).
        #expect(try await store.list("") == [])
        let beside = try await s3.client.listAllObjects(bucket: s3.bucket, prefix: "tests/", delimiter: "/")
        #expect(beside.objects.isEmpty)
        let top = try await s3.client.listAllObjects(bucket: s3.bucket, prefix: "", delimiter: "/")
        #expect(top.objects.isEmpty)
    }

    @Test func theKeyLayerRefusesWhatValidationWouldHaveCaught() throws {
        let (store, _) = try makeStore("keys")
        #expect(throws: YardError.invalid("Invalid path")) { _ = try store.key("a/../b") }
        #expect(throws: YardError.invalid("Invalid path")) { _ = try store.key("a//b") }
        #expect(try store.key("a/b") == store.location.prefix + "/a/b")
    }

    @Test func aFileAndADirectoryNeverShareAName() async throws {
        let (store, _) = try makeStore("shapes")
        try await store.write("a/b.txt", bytes: [1])
        await #expect(throws: YardError.invalid("Cannot write to 'a': it is a directory")) { try await store.write("a", bytes: [2]) }
        await #expect(throws: YardError.invalid("Cannot create the directory of 'a/b.txt/c': a file stands in its way")) {
            try await store.write("a/b.txt/c", bytes: [3])
        }
        await #expect(throws: YardError.invalid("'a' is a directory; list it instead of downloading it")) { _ = try await store.read("a") }
        await #expect(throws: YardError.notFound("No such artifact: 'a/nothing'")) { _ = try await store.read("a/nothing") }
    }

    @Test func theUploadLimitStopsTheUploadAndLeavesNothing() async throws {
        let (store, s3) = try makeStore("limit")
        let limits = UploadLimits(maximumBytes: 100_000, minimumFreeBytes: 0, option: "--max-artifact-size")
        await #expect(throws: limits.tooLarge("big.bin")) {
            _ = try await store.write("big.bin", from: PatternBody(count: 300_000, chunkSize: 10_000), limits: limits)
        }
        let declared = UploadLimits(maximumBytes: 100_000, minimumFreeBytes: 0, declaredBytes: 200_000, option: "--max-artifact-size")
        await #expect(throws: declared.tooLarge("big.bin")) { try await store.write("big.bin", bytes: [1], limits: declared) }
        #expect(try await store.entry(at: "big.bin") == nil)
        #expect(try await s3.client.listMultipartUploads(bucket: s3.bucket, prefix: store.location.prefix).isEmpty)
    }

    @Test func aFailedMultipartUploadLeavesNothingVisible() async throws {
        let (store, s3) = try makeStore("broken")
        await #expect(throws: PatternBody.Broken.self) {
            _ = try await store.write("w.bin", from: PatternBody(count: 30 << 20, failAfter: 12 << 20), limits: .unlimited)
        }
        #expect(try await store.entry(at: "w.bin") == nil)
        #expect(try await store.list("") == [])
        #expect(try await s3.client.listMultipartUploads(bucket: s3.bucket, prefix: store.location.prefix).isEmpty)
    }

    @Test func deletingADirectoryOfManyFilesDeletesThemAll() async throws {
        let (store, _) = try makeStore("many")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask { try await store.write("d/sub\(index % 3)/f\(index).txt", bytes: Array("\(index)".utf8)) }
            }
            try await group.waitForAll()
        }
        #expect(try await store.list("d")?.map(\.name) == ["sub0", "sub1", "sub2"])
        #expect(try await store.list("d/sub1")?.count == 13)
        try await store.delete("d")
        #expect(try await store.list("") == [])
    }
}
