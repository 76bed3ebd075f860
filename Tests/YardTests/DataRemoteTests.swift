import Foundation
import Testing
import YardCore
@testable import YardData

@Suite("Data: folder remotes")
struct DataRemoteTests {
    @Test func pushThenPullIntoAFreshCloneMovesOnlyWhatIsMissing() async throws {
        let origin = try DataTestRepository(maxLeafEntries: 8)
        let remoteDirectory = TemporaryDirectory()
        let remote = try FolderRemote(path: remoteDirectory.path)
        for index in 0..<30 { origin.write("data/f\(index).txt", "file \(index)") }
        origin.write("data/dup.txt", "file 0")
        origin.write("model.bin", "weights")
        _ = try origin.repository.add("data", from: origin.root)
        _ = try origin.repository.add("model.bin", from: origin.root)

        let pushed = try await origin.repository.push(to: remote, from: origin.root)
        #expect(pushed.transferred > 31)
        let again = try await origin.repository.push(to: remote, from: origin.root)
        #expect(again.transferred == 0)
        #expect(again.alreadyPresent == pushed.transferred)

        // A fresh clone has the pointers only.
        let clone = try DataTestRepository()
        for pointer in ["data.yard", "model.bin.yard"] {
            try FileManager.default.copyItem(atPath: origin.root + "/" + pointer, toPath: clone.root + "/" + pointer)
        }
        let (fetched, checkedOut) = try await clone.repository.pull(from: remote, from: clone.root)
        #expect(fetched.transferred == pushed.transferred)
        #expect(checkedOut.restored == 32)
        #expect(clone.read("data/f7.txt") == "file 7")
        #expect(clone.read("model.bin") == "weights")
        #expect(try clone.repository.status(from: clone.root).allSatisfy { $0.state == .unchanged })
    }

    @Test func anInterruptedPushResumes() async throws {
        let origin = try DataTestRepository()
        let remoteDirectory = TemporaryDirectory()
        let remote = try FolderRemote(path: remoteDirectory.path)
        for index in 0..<10 { origin.write("d/\(index)", "bytes \(index)") }
        let added = try origin.repository.add("d", from: origin.root)
        // Half the objects made it before the interruption, plus a stray temporary file.
        let tree = try origin.repository.treeEntries(added.pointer.digest)
        try await remote.upload(tree.entries.prefix(5).map { TransferItem(digest: $0.digest, size: $0.size) },
                                from: origin.repository.cache, progress: SilentProgress())
        _ = FileManager.default.createFile(atPath: remoteDirectory.path + "/tmp/partial", contents: Data("par".utf8))
        let resumed = try await origin.repository.push(to: remote, from: origin.root)
        #expect(resumed.transferred == 6)  // the other 5 files and the manifest
        #expect(resumed.alreadyPresent == 5)
        #expect(try remote.store.allObjects().count == 11)
    }

    @Test func pullRepairsACorruptLocalObjectAndPushRefusesToSpreadOne() async throws {
        let origin = try DataTestRepository()
        let remoteDirectory = TemporaryDirectory()
        let remote = try FolderRemote(path: remoteDirectory.path)
        origin.write("a.txt", "precious")
        let added = try origin.repository.add("a.txt", from: origin.root)
        _ = try await origin.repository.push(to: remote, from: origin.root)

        let object = origin.repository.cache.path(for: added.pointer.digest)
        chmod(object, 0o644)
        _ = FileManager.default.createFile(atPath: object, contents: Data("rotten!!".utf8))
        try FileManager.default.removeItem(atPath: origin.root + "/a.txt")
        let (summary, _) = try await origin.repository.pull(from: remote, from: origin.root)
        #expect(summary.repaired == 1)
        #expect(origin.read("a.txt") == "precious")
        #expect(try origin.repository.verify().corrupted.isEmpty)

        // A corrupt local object is caught on its way to a remote.
        let otherDirectory = TemporaryDirectory()
        let other = try FolderRemote(path: otherDirectory.path)
        chmod(object, 0o644)
        _ = FileManager.default.createFile(atPath: object, contents: Data("rotten!!".utf8))
        await #expect(throws: YardError.self) { try await origin.repository.push(to: other, from: origin.root) }
        #expect(try other.store.allObjects().isEmpty)
    }

    @Test func pullOfDataTheRemoteLacksSaysSo() async throws {
        let origin = try DataTestRepository()
        origin.write("a.txt", "never pushed")
        _ = try origin.repository.add("a.txt", from: origin.root)
        let clone = try DataTestRepository()
        try FileManager.default.copyItem(atPath: origin.root + "/a.txt.yard", toPath: clone.root + "/a.txt.yard")
        let remoteDirectory = TemporaryDirectory()
        let remote = try FolderRemote(path: remoteDirectory.path)
        await #expect(throws: YardError.self) { try await clone.repository.pull(from: remote, from: clone.root) }
        #expect(!clone.exists("a.txt"))
    }
}
