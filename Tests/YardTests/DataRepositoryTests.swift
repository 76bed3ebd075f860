import Foundation
import Testing
import YardCore
@testable import YardData

@Suite("Data: add, status, checkout, diff, gc, verify")
struct DataRepositoryTests {
    @Test func initIsIdempotentAndIgnoresTheCache() throws {
        let test = try DataTestRepository()
        let again = try DataRepository.initialize(at: test.root)
        #expect(again.root == test.root)
        #expect(test.read(".yard/.gitignore")?.contains("/cache/") == true)
        #expect(test.exists(".yard/config"))
        #expect(try DataRepository.find(from: test.root + "/.yard/cache").root == test.root)
    }

    @Test func findOutsideARepositoryExplainsWhatToDo() {
        let directory = TemporaryDirectory()
        #expect(throws: YardError.self) { try DataRepository.find(from: directory.path) }
        do {
            _ = try DataRepository.find(from: directory.path)
        } catch {
            #expect(error.message.contains("yard init"))
        }
    }

    @Test func addFileWritesPointerIgnoresItAndCachesReadOnly() throws {
        let test = try DataTestRepository()
        test.write("data/train.csv", "a,b\n1,2\n")
        let result = try test.repository.add("data/train.csv", from: test.root)
        #expect(result.pointerPath == "data/train.csv.yard")
        #expect(result.pointer.kind == .file)
        #expect(result.pointer.size == 8)
        #expect(result.pointer.files == 1)
        #expect(result.newObjects == 1)
        let pointer = try PointerFile.load(test.root + "/data/train.csv.yard", displayPath: "p")
        #expect(pointer == result.pointer)
        #expect(test.read("data/.gitignore") == "/train.csv\n")
        let object = test.repository.cache.path(for: result.pointer.digest)
        let mode = try FileManager.default.attributesOfItem(atPath: object)[.posixPermissions] as? Int
        #expect(mode == 0o444)
        // The user's file stays theirs: writable and separate from the cache object.
        #expect(FileManager.default.isWritableFile(atPath: test.root + "/data/train.csv"))
        #expect(FileSystem.info(object)?.inode != FileSystem.info(test.root + "/data/train.csv")?.inode)
        // Adding again records nothing new and does not repeat the .gitignore line.
        _ = try test.repository.add("data/train.csv", from: test.root)
        #expect(test.read("data/.gitignore") == "/train.csv\n")
    }

    @Test func unchangedFilesAreNotHashedAgain() throws {
        let test = try DataTestRepository()
        for index in 0..<50 { test.write("images/\(index).txt", "image \(index)") }
        try test.age()
        let first = try test.repository.add("images", from: test.root)
        #expect(first.hashedFiles == 50)
        #expect(first.pointer.files == 50)
        let second = try test.repository.add("images", from: test.root)
        #expect(second.hashedFiles == 0)
        #expect(second.newObjects == 0)
        #expect(second.pointer.digest == first.pointer.digest)
        test.write("images/7.txt", "changed")
        try test.age("images/7.txt")
        let third = try test.repository.add("images", from: test.root)
        #expect(third.hashedFiles == 1)
        #expect(third.newObjects == 2)  // the new file and the new manifest
    }

    @Test func statusReportsModifiedMissingAndUnchanged() throws {
        let test = try DataTestRepository()
        test.write("data/a.txt", "a")
        test.write("data/b.txt", "b")
        test.write("model.bin", "weights")
        _ = try test.repository.add("data", from: test.root)
        _ = try test.repository.add("model.bin", from: test.root)
        #expect(try test.repository.status(from: test.root).allSatisfy { $0.state == .unchanged && $0.inCache })

        test.write("data/a.txt", "A")
        test.write("data/c.txt", "c")
        try FileManager.default.removeItem(atPath: test.root + "/data/b.txt")
        try FileManager.default.removeItem(atPath: test.root + "/model.bin")
        let statuses = try test.repository.status(from: test.root)
        let data = try #require(statuses.first { $0.targetPath == "data" })
        #expect(data.state == .modified)
        #expect(data.changes == FileChanges(added: ["c.txt"], deleted: ["b.txt"], modified: ["a.txt"]))
        #expect(statuses.first { $0.targetPath == "model.bin" }?.state == .missing)
        // Only the named target.
        #expect(try test.repository.status(["model.bin"], from: test.root).map(\.targetPath) == ["model.bin"])
    }

    @Test func checkoutRestoresExactBytesAndRemovesExtras() throws {
        let test = try DataTestRepository()
        test.write("data/a.txt", "alpha")
        test.write("data/sub/b.txt", "beta")
        test.write("data/run.sh", "#!/bin/sh\necho hi\n")
        chmod(test.root + "/data/run.sh", 0o755)
        _ = try test.repository.add("data", from: test.root)
        try FileManager.default.removeItem(atPath: test.root + "/data")
        let restored = try test.repository.checkout(from: test.root)
        #expect(restored.restored == 3)
        #expect(test.read("data/a.txt") == "alpha")
        #expect(test.read("data/sub/b.txt") == "beta")
        #expect(FileManager.default.isExecutableFile(atPath: test.root + "/data/run.sh"))

        test.write("data/extra.txt", "alpha")  // its bytes are in the cache, so removing it loses nothing
        let second = try test.repository.checkout(from: test.root)
        #expect(second.removed == 1)
        #expect(second.unchanged == 3)
        #expect(!test.exists("data/extra.txt"))
    }

    @Test func checkoutRefusesToLoseUnsavedChangesUnlessForced() throws {
        let test = try DataTestRepository()
        test.write("notes.txt", "v1")
        _ = try test.repository.add("notes.txt", from: test.root)
        test.write("notes.txt", "unsaved work")
        #expect(throws: YardError.self) { try test.repository.checkout(from: test.root) }
        #expect(test.read("notes.txt") == "unsaved work")
        _ = try test.repository.checkout(from: test.root, force: true)
        #expect(test.read("notes.txt") == "v1")
    }

    @Test func checkoutWithoutCachedDataChangesNothing() throws {
        let test = try DataTestRepository()
        test.write("a.txt", "a")
        let added = try test.repository.add("a.txt", from: test.root)
        test.repository.cache.remove(added.pointer.digest)
        try FileManager.default.removeItem(atPath: test.root + "/a.txt")
        #expect(throws: YardError.self) { try test.repository.checkout(from: test.root) }
        #expect(!test.exists("a.txt"))
    }

    @Test func checkoutClonesOrCopiesByDefaultAndLinksOnlyWhenAsked() throws {
        let test = try DataTestRepository()
        test.write("d/x.txt", "x")
        _ = try test.repository.add("d", from: test.root)
        try FileManager.default.removeItem(atPath: test.root + "/d")
        let cloned = try test.repository.checkout(from: test.root)
        #expect(cloned.linkKinds.isSubset(of: ["reflink", "copy"]))
        #expect(FileManager.default.isWritableFile(atPath: test.root + "/d/x.txt"))

        var config = test.repository.config
        config.cache = .init(type: "hardlink,copy")
        try config.save(test.repository.configPath)
        let linking = try DataRepository(root: test.root)
        try FileManager.default.removeItem(atPath: test.root + "/d")
        #expect(try linking.checkout(from: test.root).linkKinds == ["hardlink"])

        // What earlier versions of `yard init` wrote is read as today's default, not as a choice of hard links.
        config.cache = .init(type: "reflink,hardlink,copy")
        try config.save(test.repository.configPath)
        #expect(try DataRepository(root: test.root).linkKinds == [.reflink, .copy])
        #expect(try RepositoryConfig().linkKinds == [.reflink, .copy])
    }

    @Test func pathsOutsideTheRepositoryOrMissingAreRefused() throws {
        let test = try DataTestRepository()
        let outside = TemporaryDirectory()
        _ = FileManager.default.createFile(atPath: outside.file("f"), contents: Data("x".utf8))
        #expect(throws: YardError.self) { try test.repository.add(outside.file("f"), from: test.root) }
        #expect(throws: YardError.self) { try test.repository.add("../../etc/passwd", from: test.root) }
        #expect(throws: YardError.self) { try test.repository.add("nope.csv", from: test.root) }
        #expect(throws: YardError.self) { try test.repository.add(".yard/config", from: test.root) }
        // Nothing was written.
        #expect(try test.repository.pointerPaths().isEmpty)
        #expect(try test.repository.cache.allObjects().isEmpty)
        #expect(!test.exists(".gitignore"))
    }

    @Test func overlappingOutputsAreRefused() throws {
        let test = try DataTestRepository()
        test.write("d/sub/x.txt", "x")
        _ = try test.repository.add("d", from: test.root)
        #expect(throws: YardError.self) { try test.repository.add("d/sub/x.txt", from: test.root) }
        try FileManager.default.removeItem(atPath: test.root + "/d.yard")
        _ = try test.repository.add("d/sub", from: test.root)
        #expect(throws: YardError.self) { try test.repository.add("d", from: test.root) }
    }

    @Test func symbolicLinksInsideAFolderAreRefused() throws {
        let test = try DataTestRepository()
        test.write("d/real.txt", "x")
        try FileManager.default.createSymbolicLink(atPath: test.root + "/d/link", withDestinationPath: "real.txt")
        #expect(throws: YardError.self) { try test.repository.add("d", from: test.root) }
        #expect(!test.exists("d.yard"))
    }

    @Test func aFileThatChangesWhileBeingHashedIsRefused() throws {
        let test = try DataTestRepository()
        let path = test.write("d/f.txt", "before")
        var stale = try #require(FileSystem.info(path))
        stale.modifiedNanoseconds -= 1_000_000_000  // what a scan saw before a writer touched the file
        #expect(throws: YardError.self) {
            try test.repository.digests(of: [("d/f.txt", stale)], state: test.repository.loadState(), progress: SilentProgress())
        }
        // And staging a copy whose source moved on since the scan fails instead of caching wrong bytes.
        let batch = test.repository.cache.beginBatch()
        let clones = CloneSupport(cacheRoot: test.repository.cache.root, rootNames: [], allowed: true)
        #expect(throws: YardError.self) {
            try batch.stageWorkspaceFile(path, expected: stale, clones: clones, displayPath: "d/f.txt")
        }
        // Or whose bytes no longer hash to the digest the state cache recorded for that metadata.
        let current = try #require(FileSystem.info(path))
        #expect(throws: YardError.self) {
            try batch.stageWorkspaceFile(path, expected: current, verifying: ContentDigest.of(Array("after".utf8)),
                                         clones: clones, displayPath: "d/f.txt")
        }
        #expect(batch.count == 0)
        #expect(try FileSystem.list(test.repository.cache.root + "/tmp").isEmpty)  // no stray copy left behind
    }

    @Test func verifyFindsCorruptObjects() throws {
        let test = try DataTestRepository()
        test.write("a.txt", "good bytes")
        let added = try test.repository.add("a.txt", from: test.root)
        #expect(try test.repository.verify().corrupted.isEmpty)
        let object = test.repository.cache.path(for: added.pointer.digest)
        chmod(object, 0o644)
        _ = FileManager.default.createFile(atPath: object, contents: Data("bad bytes!".utf8))
        let result = try test.repository.verify()
        #expect(result.corrupted == [added.pointer.digest])
        let repaired = try test.repository.verify(removeCorrupted: true)
        #expect(repaired.removed == 1)
        #expect(!test.repository.cache.contains(added.pointer.digest))
    }

    @Test func interruptedWritesLeaveOnlyIgnoredTemporariesThatGCRemoves() throws {
        let test = try DataTestRepository()
        test.write("a.txt", "a")
        _ = try test.repository.add("a.txt", from: test.root)
        // What kill -9 in the middle of an add leaves: a half-written temporary file.
        let leftover = test.repository.cache.root + "/tmp/" + UUID().uuidString
        _ = FileManager.default.createFile(atPath: leftover, contents: Data("half an obj".utf8))
        #expect(try test.repository.cache.allObjects().count == 1)
        #expect(try test.repository.verify().corrupted.isEmpty)
        _ = try test.repository.add("a.txt", from: test.root)
        let collected = try test.repository.collectGarbage(scope: .workspace, temporaryAge: 0, from: test.root)
        #expect(collected.removedTemporaries == 1)
        #expect(collected.removedObjects == 0)
        #expect(!FileManager.default.fileExists(atPath: leftover))
    }

    @Test func gcRemovesOnlyUnreferencedObjects() throws {
        let test = try DataTestRepository()
        test.write("a.txt", "one")
        let first = try test.repository.add("a.txt", from: test.root)
        test.write("a.txt", "two")
        let second = try test.repository.add("a.txt", from: test.root)
        // Not a git repository: the default (keep every commit's data) cannot be honoured, so gc refuses.
        #expect(throws: YardError.self) { try test.repository.collectGarbage(from: test.root) }
        let dryRun = try test.repository.collectGarbage(scope: .workspace, dryRun: true, from: test.root)
        #expect(dryRun.removedObjects == 1)
        #expect(dryRun.removedBytes == 3)
        #expect(test.repository.cache.contains(first.pointer.digest))
        let collected = try test.repository.collectGarbage(scope: .workspace, from: test.root)
        #expect(collected.removedObjects == 1)
        #expect(collected.keptObjects == 1)
        #expect(!test.repository.cache.contains(first.pointer.digest))
        #expect(test.repository.cache.contains(second.pointer.digest))
    }

    @Test func diffAndGCAcrossGitHistory() throws {
        let test = try DataTestRepository(git: true)
        test.write("data/a.txt", "a1")
        test.write("data/b.txt", "b1")
        let first = try test.repository.add("data", from: test.root)
        try test.git("add", "-A")
        try test.git("commit", "-qm", "v1")
        test.write("data/a.txt", "a2")
        test.write("data/c.txt", "c1")
        try FileManager.default.removeItem(atPath: test.root + "/data/b.txt")
        #expect(try test.repository.diff(from: .git("HEAD"), to: .workspace, from: test.root)
                == DataDiff(added: ["data/c.txt"], deleted: ["data/b.txt"], modified: ["data/a.txt"]))
        _ = try test.repository.add("data", from: test.root)
        try test.git("commit", "-qam", "v2")
        #expect(try test.repository.diff(from: .git("HEAD~1"), to: .git("HEAD"), from: test.root)
                == DataDiff(added: ["data/c.txt"], deleted: ["data/b.txt"], modified: ["data/a.txt"]))
        #expect(try test.repository.diff(from: .git("HEAD"), to: .workspace, from: test.root).isEmpty)

        // gc keeps v1's data by default (every commit); only the opt-in --workspace scope drops it.
        #expect(try test.repository.collectGarbage(from: test.root).removedObjects == 0)
        #expect(try test.repository.collectGarbage(scope: .everyCommit, from: test.root).removedObjects == 0)
        #expect(try test.repository.collectGarbage(scope: .workspace, from: test.root).removedObjects > 0)
        #expect(!test.repository.cache.contains(first.pointer.digest))
    }

    @Test func oldCommitCheckoutRestoresItsBytes() throws {
        let test = try DataTestRepository(git: true)
        test.write("data/a.txt", "version one")
        _ = try test.repository.add("data", from: test.root)
        try test.git("add", "-A")
        try test.git("commit", "-qm", "v1")
        test.write("data/a.txt", "version two")
        test.write("data/new.txt", "new")
        _ = try test.repository.add("data", from: test.root)
        try test.git("commit", "-qam", "v2")
        try test.git("checkout", "-q", "HEAD~1")
        let result = try test.repository.checkout(from: test.root)
        #expect(result.restored == 1 && result.removed == 1)
        #expect(test.read("data/a.txt") == "version one")
        #expect(!test.exists("data/new.txt"))
    }

    @Test func bigFoldersAreSplitIntoNodesAndStillCheckOut() throws {
        let test = try DataTestRepository(maxLeafEntries: 16)
        for index in 0..<100 { test.write("many/f\(index).txt", "content \(index)") }
        let added = try test.repository.add("many", from: test.root)
        let tree = try test.repository.treeEntries(added.pointer.digest)
        #expect(tree.nodes.count > 2)
        #expect(tree.entries.count == 100)
        try FileManager.default.removeItem(atPath: test.root + "/many")
        #expect(try test.repository.checkout(from: test.root).restored == 100)
        #expect(test.read("many/f42.txt") == "content 42")
        #expect(try test.repository.status(from: test.root).allSatisfy { $0.state == .unchanged })
    }

    @Test func pointerFilesAreFoundWithoutDescendingIntoTrackedFolders() throws {
        let test = try DataTestRepository()
        test.write("a/b/c.txt", "c")
        test.write("a/data/x.txt", "x")
        _ = try test.repository.add("a/b/c.txt", from: test.root)
        _ = try test.repository.add("a/data", from: test.root)
        test.write("a/data/inner.yard", "not a pointer: inside a tracked folder")
        #expect(try test.repository.pointerPaths() == ["a/b/c.txt.yard", "a/data.yard"])
    }

    @Test func brokenPointerFilesGiveClearErrors() throws {
        let test = try DataTestRepository()
        test.write("x.yard", "path: x\nkind: file\ndigest: nope\nsize: 1\nfiles: 1\n")
        #expect(throws: YardError.self) { try test.repository.status(from: test.root) }
        #expect(throws: YardError.self) { try test.repository.status(["missing"], from: test.root) }
    }
}
