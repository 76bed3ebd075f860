import Foundation
import Testing
import YardCore
@testable import YardData

@Suite("Data: one-pass add, durable publishing and folder fingerprints")
struct DataIngestTests {
    @Test func addCopiesEachFileOnceAndLeavesNoTemporaries() throws {
        let test = try DataTestRepository()
        test.write("d/a.txt", "same bytes")
        test.write("d/b.txt", "same bytes")  // one object for two files
        test.write("d/c.txt", "other bytes")
        try test.age()
        let result = try test.repository.add("d", from: test.root)
        #expect(result.hashedFiles == 3)
        #expect(result.newObjects == 3)  // two file objects and the manifest
        let cache = test.repository.cache
        #expect(try FileSystem.list(cache.root + "/tmp").isEmpty)
        for entry in try test.repository.treeEntries(result.pointer.digest).entries {
            #expect(cache.isIntact(entry.digest))
            let mode = try FileManager.default.attributesOfItem(atPath: cache.path(for: entry.digest))[.posixPermissions] as? Int
            #expect(mode == 0o444)
        }
        // Hashing from scratch (state cache gone) finds every object present: nothing new is published.
        try FileManager.default.removeItem(atPath: test.root + "/.yard/tmp/state")
        let again = try test.repository.add("d", from: test.root)
        #expect(again.hashedFiles == 3)
        #expect(again.newObjects == 0)
        #expect(try FileSystem.list(cache.root + "/tmp").isEmpty)
    }

    @Test func aStateCacheHitWhoseObjectIsGoneIsCopiedAgainAndVerified() throws {
        let test = try DataTestRepository()
        test.write("f.bin", "payload")
        try test.age()
        let first = try test.repository.add("f.bin", from: test.root)
        test.repository.cache.remove(first.pointer.digest)
        let second = try test.repository.add("f.bin", from: test.root)
        #expect(second.hashedFiles == 0)  // known from the state cache, yet copied back
        #expect(second.newObjects == 1)
        #expect(test.repository.cache.isIntact(first.pointer.digest))
    }

    @Test func cloneSupportIsRememberedPerFileSystem() throws {
        let test = try DataTestRepository()
        let root = test.repository.cache.root
        let support = CloneSupport(cacheRoot: root, rootNames: [], allowed: true)
        #expect(support.shouldTry(7))
        support.markUnsupported(7)
        #expect(!support.shouldTry(7))
        #expect(support.shouldTry(8))
        // A later run learns it from the cache root's listing, without trying.
        let later = CloneSupport(cacheRoot: root, rootNames: test.repository.cache.rootNames(), allowed: true)
        #expect(!later.shouldTry(7))
        #expect(!CloneSupport(cacheRoot: root, rootNames: [], allowed: false).shouldTry(8))
        // The marker is not mistaken for an object.
        #expect(try test.repository.cache.allObjects().isEmpty)
    }

    @Test func aNoOpStatusOfAFolderIsAnsweredByItsFingerprint() throws {
        let test = try DataTestRepository()
        for index in 0..<20 { test.write("d/\(index).txt", "file \(index)") }
        try test.age()
        _ = try test.repository.add("d", from: test.root)
        #expect(test.exists(".yard/tmp/folders"))
        // Without the state cache the files would have to be hashed; the fingerprint answers instead.
        try FileManager.default.removeItem(atPath: test.root + "/.yard/tmp/state")
        #expect(try test.repository.status(from: test.root).map(\.state) == [.unchanged])
        #expect(!test.exists(".yard/tmp/state"))  // nothing was hashed, so nothing was recorded

        // Any change to a file's metadata misses the fingerprint and is checked file by file.
        test.write("d/3.txt", "edited")
        try test.age("d/3.txt")
        let edited = try test.repository.status(from: test.root)
        #expect(edited.map(\.state) == [.modified])
        #expect(edited.first?.changes?.modified == ["3.txt"])
    }

    @Test func anExecutableBitChangeIsNotHiddenByTheFingerprint() throws {
        let test = try DataTestRepository()
        test.write("d/run.sh", "echo hi")
        try test.age()
        _ = try test.repository.add("d", from: test.root)
        #expect(try test.repository.status(from: test.root).map(\.state) == [.unchanged])
        chmod(test.root + "/d/run.sh", 0o755)
        #expect(try test.repository.status(from: test.root).map(\.state) == [.modified])
    }

    @Test func recentFilesGetNoFingerprint() throws {
        let test = try DataTestRepository()
        test.write("d/new.txt", "just written")  // inside the racy window: could change without its mtime moving
        _ = try test.repository.add("d", from: test.root)
        #expect(!test.exists(".yard/tmp/folders"))
    }

    @Test func scanListsNestedFoldersAndRefusesForeignLinks() throws {
        let test = try DataTestRepository()
        test.write("d/top.txt", "1")
        test.write("d/x/y/deep.txt", "2")
        let files = try test.repository.scan(directory: test.root + "/d", display: "d")
        #expect(Set(files.map(\.path)) == ["top.txt", "x/y/deep.txt"])
        try FileManager.default.createSymbolicLink(atPath: test.root + "/d/x/link", withDestinationPath: "/etc/hostname")
        #expect(throws: YardError.self) { try test.repository.scan(directory: test.root + "/d", display: "d") }
    }
}
