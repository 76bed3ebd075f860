import Foundation
import NIOCore
import Testing
import YardBlobs
import YardCore

@Suite("Local artifact store")
struct ArtifactStoreTests {
    let directory = TemporaryDirectory()

    @Test func writeReadListDelete() async throws {
        let store = try LocalArtifactStore(root: directory.file("root"))
        try await store.write("1/run/artifacts/dir/a.txt", bytes: Array("hello".utf8))
        #expect(try await store.readAll("1/run/artifacts/dir/a.txt") == Array("hello".utf8))
        #expect(try await store.list("1/run/artifacts") == [ArtifactEntry(name: "dir", isDirectory: true, size: nil)])
        #expect(try await store.list("1/run/artifacts/dir") == [ArtifactEntry(name: "a.txt", isDirectory: false, size: 5)])
        #expect(try await store.list("missing") == nil)
        try await store.delete("1/run/artifacts/dir")
        #expect(try await store.list("1/run/artifacts") == [])
    }

    @Test func largeFilesStreamInChunks() async throws {
        let store = try LocalArtifactStore(root: directory.file("root"))
        let bytes = (0..<(3 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try await store.write("big.bin", bytes: bytes)
        let download = try await store.read("big.bin")
        #expect(download.size == Int64(bytes.count))
        var chunks = 0
        var received: [UInt8] = []
        for try await chunk in download.chunks {
            chunks += 1
            received.append(contentsOf: chunk.readableBytesView)
        }
        #expect(chunks > 1)
        #expect(received == bytes)
    }

    @Test(arguments: ["../x", "a/../../x", "/etc/passwd", "a\\..\\b", "a/%2e%2e/b", "a%2fb", "C:/x"])
    func pathsThatEscapeAreRefused(path: String) async throws {
        let store = try LocalArtifactStore(root: directory.file("root"))
        await #expect(throws: YardError.invalid("Invalid path")) { try await store.write(path, bytes: [1]) }
        let outside = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(outside == ["root"])
    }

    @Test func symbolicLinksInsideTheRootCannotLeadOutside() async throws {
        let store = try LocalArtifactStore(root: directory.file("root"))
        try FileManager.default.createDirectory(atPath: directory.file("outside"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: directory.file("root/link"), withDestinationPath: directory.file("outside"))
        await #expect(throws: YardError.invalid("Invalid path")) { try await store.write("link/planted.txt", bytes: [1]) }
        await #expect(throws: YardError.invalid("Invalid path")) { _ = try await store.list("link") }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("outside")).isEmpty)
    }

    struct FailingBody: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        struct AsyncIterator: AsyncIteratorProtocol {
            var sent = false
            mutating func next() async throws -> ByteBuffer? {
                if sent { throw CancellationError() }
                sent = true
                return ByteBuffer(bytes: [UInt8](repeating: 7, count: 1024))
            }
        }
        func makeAsyncIterator() -> AsyncIterator { AsyncIterator() }
    }

    @Test func aFailedUploadLeavesNothing() async throws {
        let store = try LocalArtifactStore(root: directory.file("root"))
        await #expect(throws: CancellationError.self) {
            _ = try await store.write("a/b.bin", from: FailingBody(), limits: .unlimited)
        }
        #expect(try await store.entry(at: "a/b.bin") == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("root/a")).isEmpty)
    }

    @Test func artifactURIsMapToTheProxyRoot() throws {
        #expect(try ArtifactLocation(uri: "mlflow-artifacts:/1/abc/artifacts") == .proxied(relativePath: "1/abc/artifacts"))
        #expect(try ArtifactLocation(uri: "mlflow-artifacts://host:5000/1/x") == .proxied(relativePath: "1/x"))
        #expect(try ArtifactLocation(uri: "http://h:1/api/2.0/mlflow-artifacts/artifacts/2/y") == .proxied(relativePath: "2/y"))
        #expect(try ArtifactLocation(uri: "file:///tmp/art") == .localFolder(path: "/tmp/art"))
        #expect(try ArtifactLocation(uri: "FILE:///tmp/art") == .localFolder(path: "/tmp/art"))
        #expect(throws: YardError.self) { try ArtifactLocation(uri: "file:///etc?") }
        #expect(throws: YardError.self) { try ArtifactLocation(uri: "mlflow-artifacts:/1#x") }
    }
}
