import Foundation
import Testing
import YardBlobs
import YardCore

@Suite("Local artifact store")
struct ArtifactStoreTests {
    let directory = TemporaryDirectory()

    @Test func writeReadListDelete() throws {
        let store = try LocalArtifactStore(root: directory.file("root"))
        try store.write("1/run/artifacts/dir/a.txt", bytes: Array("hello".utf8))
        #expect(try store.read("1/run/artifacts/dir/a.txt") == Array("hello".utf8))
        #expect(try store.list("1/run/artifacts") == [ArtifactEntry(name: "dir", isDirectory: true, size: nil)])
        #expect(try store.list("1/run/artifacts/dir") == [ArtifactEntry(name: "a.txt", isDirectory: false, size: 5)])
        #expect(try store.list("missing") == nil)
        try store.delete("1/run/artifacts/dir")
        #expect(try store.list("1/run/artifacts") == [])
    }

    @Test(arguments: ["../x", "a/../../x", "/etc/passwd", "a\\..\\b", "a/%2e%2e/b", "a%2fb", "C:/x"])
    func pathsThatEscapeAreRefused(path: String) throws {
        let store = try LocalArtifactStore(root: directory.file("root"))
        #expect(throws: YardError.invalid("Invalid path")) { try store.write(path, bytes: [1]) }
        let outside = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(outside == ["root"])
    }

    @Test func abortedWriteLeavesNothing() throws {
        let store = try LocalArtifactStore(root: directory.file("root"))
        let writer = try store.beginWrite("a/b.bin")
        try [UInt8](repeating: 7, count: 1024).withUnsafeBytes { try writer.append($0) }
        writer.abort()
        #expect(try store.entry(at: "a/b.bin") == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.file("root/a")).isEmpty)
    }

    @Test func artifactURIsMapToTheProxyRoot() throws {
        #expect(try ArtifactLocation(uri: "mlflow-artifacts:/1/abc/artifacts") == .proxied(relativePath: "1/abc/artifacts"))
        #expect(try ArtifactLocation(uri: "mlflow-artifacts://host:5000/1/x") == .proxied(relativePath: "1/x"))
        #expect(try ArtifactLocation(uri: "http://h:1/api/2.0/mlflow-artifacts/artifacts/2/y") == .proxied(relativePath: "2/y"))
        #expect(try ArtifactLocation(uri: "file:///tmp/art") == .localFolder(path: "/tmp/art"))
    }
}
