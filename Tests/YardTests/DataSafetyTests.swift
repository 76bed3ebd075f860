import Foundation
import Testing
import YardCore
@testable import YardData

/// A repository inside a sandbox folder, with a sibling `outside/` folder holding a file nothing may touch.
/// Paths that escape the repository (`..`) land in the sandbox, never in the shared temporary folder.
final class SandboxedRepository: @unchecked Sendable {
    let sandbox = TemporaryDirectory()
    let repository: DataRepository
    var root: String { repository.root }
    var outside: String { sandbox.path + "/outside" }

    init(git: Bool = false) throws {
        let folder = sandbox.path + "/repo"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: sandbox.path + "/outside", withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: sandbox.path + "/outside/keep.txt", contents: Data("keep".utf8))
        if git { try DataTestRepository.run("git", ["init", "-q", folder]) }
        repository = try DataRepository.initialize(at: folder)
    }

    @discardableResult
    func write(_ relative: String, _ text: String) -> String {
        let path = root + "/" + relative
        try? FileManager.default.createDirectory(atPath: PathText.parent(path), withIntermediateDirectories: true)
        unlink(path)
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    /// Stores bytes in the cache under their digest, as a fetch would.
    func store(_ bytes: [UInt8]) throws -> ContentDigest {
        let digest = ContentDigest.of(bytes)
        let batch = repository.cache.beginBatch()
        try batch.stageBytes(bytes, digest: digest)
        try batch.commit()
        return digest
    }

    /// A manifest built with the real encoder, whose entries carry whatever paths the test gives.
    func storeManifest(_ paths: [String], content: String = "payload") throws -> ContentDigest {
        let file = try store(Array(content.utf8))
        let tree = DirectoryTree(entries: paths.map { TreeEntry(path: $0, digest: file, size: Int64(content.utf8.count), isExecutable: false) })
        let batch = repository.cache.beginBatch()
        for node in tree.nodes { try batch.stageBytes(node.bytes, digest: node.digest) }
        try batch.commit()
        return tree.root
    }

    func writePointer(_ pointerPath: String, path: String, kind: String, digest: ContentDigest, size: Int = 7, files: Int = 1) {
        let yaml = "path: \"\(path)\"\nkind: \(kind)\ndigest: \(digest)\nsize: \(size)\nfiles: \(files)\n"
        write(pointerPath, yaml)
    }

    /// Every path under the sandbox but outside the repository, with its content (nil for folders).
    func outsideSnapshot() -> [String: String?] {
        var snapshot: [String: String?] = [:]
        let enumerator = FileManager.default.enumerator(atPath: sandbox.path)!
        while let relative = enumerator.nextObject() as? String {
            if relative == "repo" || relative.hasPrefix("repo/") { continue }
            let path = sandbox.path + "/" + relative
            snapshot[relative] = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
        }
        return snapshot
    }
}

@Suite("Data: untrusted paths, gc scope and locking, checkout link safety")
struct DataSafetyTests {
    // MARK: 1. Paths inside pointer files and manifests are not trusted

    static let badPointerPaths = ["..", ".", ".git", ".yard", ".GIT", "/etc", "../x", "a/../b", "a//b", "x\u{0}y", "..\\x", "a\\b", ""]
    static let badEntryPaths = ["..", ".", "../x", "../../outside/pwned.txt", "a/../../b", "/etc/pwned", "a//b", "a/./b", "a/",
                                ".git/hooks/pre-commit", "x/.yard/config", "x\u{0}y", "..\\..\\x", "a\\b", ""]

    @Test(arguments: badPointerPaths)
    func pointerFilesWithUnsafePathsAreRefused(path: String) throws {
        let digest = ContentDigest.of(Array("x".utf8))
        let escaped = path.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\u{0}", with: "\\0")
        let yaml = "path: \"\(escaped)\"\nkind: file\ndigest: \(digest)\nsize: 1\nfiles: 1\n"
        do {
            _ = try PointerFile.decode(Array(yaml.utf8), source: "evil.yard")
            Issue.record("a pointer naming '\(path)' was accepted")
        } catch {
            #expect(error.message.contains("evil.yard"))
            #expect(error.message.contains("git"))
        }
    }

    @Test(arguments: badEntryPaths)
    func manifestsWithUnsafePathsAreRefused(path: String) throws {
        let digest = ContentDigest.of(Array("x".utf8))
        let tree = DirectoryTree(entries: [TreeEntry(path: "fine.txt", digest: digest, size: 1, isExecutable: false),
                                           TreeEntry(path: path, digest: digest, size: 1, isExecutable: false)])
        #expect(throws: YardError.self) { try DirectoryTree.decode(tree.nodes[0].bytes, digest: tree.root) }
    }

    @Test func aPointerNamingTheParentFolderNeitherWritesNorDeletesOutside() throws {
        let test = try SandboxedRepository()
        test.write("a.txt", "payload")
        _ = try test.repository.add("a.txt", from: test.root)
        let manifest = try test.storeManifest(["victim.txt"])
        test.writePointer("evil.yard", path: "..", kind: "directory", digest: manifest)
        let before = test.outsideSnapshot()
        for force in [false, true] {
            #expect(throws: YardError.self) { try test.repository.checkout(from: test.root, force: force) }
            #expect(test.outsideSnapshot() == before)
            #expect(FileManager.default.fileExists(atPath: test.root + "/a.txt"))
            #expect(!FileManager.default.fileExists(atPath: test.sandbox.path + "/victim.txt"))
        }
        // A file pointer naming '..' with --force would otherwise delete the folder holding the repository.
        test.writePointer("evil.yard", path: "..", kind: "file", digest: ContentDigest.of(Array("payload".utf8)))
        #expect(throws: YardError.self) { try test.repository.checkout(from: test.root, force: true) }
        #expect(test.outsideSnapshot() == before)
        #expect(FileManager.default.fileExists(atPath: test.root + "/a.txt"))
    }

    @Test func aPointerNamingDotGitDoesNotDeleteIt() throws {
        let test = try SandboxedRepository(git: true)
        test.write("a.txt", "payload")
        let added = try test.repository.add("a.txt", from: test.root)
        test.writePointer(".git.yard", path: ".git", kind: "file", digest: added.pointer.digest)
        #expect(throws: YardError.self) { try test.repository.checkout(from: test.root, force: true) }
        #expect(FileManager.default.fileExists(atPath: test.root + "/.git/HEAD"))
        // A pointer must be named after what it tracks: 'b.yard' may not overwrite '.gitignore'.
        unlink(test.root + "/.git.yard")
        test.writePointer("b.yard", path: ".gitignore", kind: "file", digest: added.pointer.digest)
        #expect(throws: YardError.self) { try test.repository.checkout(from: test.root, force: true) }
        #expect(String(decoding: FileManager.default.contents(atPath: test.root + "/.gitignore") ?? Data(), as: UTF8.self) == "/a.txt\n")
    }

    @Test func aManifestWithEscapingEntriesWritesNothingOutside() throws {
        let test = try SandboxedRepository()
        let manifest = try test.storeManifest(["ok.txt", "../../outside/pwned.txt", "../escaped.txt", "/\(test.outside)/abs.txt"])
        test.writePointer("data.yard", path: "data", kind: "directory", digest: manifest, files: 4)
        let before = test.outsideSnapshot()
        for force in [false, true] {
            do {
                _ = try test.repository.checkout(from: test.root, force: force)
                Issue.record("checkout of a manifest with escaping paths succeeded")
            } catch {
                #expect(error.message.contains("data.yard"))
                #expect(error.message.contains("../"))
            }
            #expect(test.outsideSnapshot() == before)
            #expect(!FileManager.default.fileExists(atPath: test.outside + "/pwned.txt"))
            #expect(!FileManager.default.fileExists(atPath: test.root + "/escaped.txt"))
        }
        // Nothing at all was placed: the manifest is refused before any file is written.
        #expect(!FileManager.default.fileExists(atPath: test.root + "/data/ok.txt"))
    }

    @Test func aManifestEntryInsideDotGitIsRefused() throws {
        let test = try SandboxedRepository(git: true)
        let manifest = try test.storeManifest([".git/hooks/post-checkout"])
        test.writePointer("data.yard", path: "data", kind: "directory", digest: manifest)
        #expect(throws: YardError.self) { try test.repository.checkout(from: test.root, force: true) }
        #expect(!FileManager.default.fileExists(atPath: test.root + "/data/.git/hooks/post-checkout"))
    }

    // MARK: 2. gc keeps what any commit uses

    @Test func defaultGCKeepsDataOfOtherBranchesAndTags() throws {
        let test = try DataTestRepository(git: true)
        test.write("data/a.txt", "main version")
        _ = try test.repository.add("data", from: test.root)
        try test.git("add", "-A")
        try test.git("commit", "-qm", "main")
        try test.git("branch", "-M", "main")

        try test.git("checkout", "-qb", "experiment")
        test.write("data/a.txt", "experiment version")
        let onBranch = try test.repository.add("data", from: test.root)
        try test.git("commit", "-qam", "experiment")

        try test.git("checkout", "-q", "--detach", "main")
        test.write("data/a.txt", "tagged version")
        let onTag = try test.repository.add("data", from: test.root)
        try test.git("commit", "-qam", "tagged")
        try test.git("tag", "t1")

        try test.git("checkout", "-q", "main")
        _ = try test.repository.checkout(from: test.root)
        #expect(test.read("data/a.txt") == "main version")

        let collected = try test.repository.collectGarbage(from: test.root)
        #expect(collected.removedObjects == 0)
        for digest in [onBranch.pointer.digest, onTag.pointer.digest] {
            #expect(test.repository.cache.contains(digest))
            let tree = try test.repository.treeEntries(digest)
            #expect(tree.entries.allSatisfy { test.repository.cache.contains($0.digest) })
        }
    }

    // MARK: 3. Checkout never shares the cache object's inode by default, and verifies copies

    @Test func editingADefaultCheckoutInPlaceLeavesTheCacheIntact() throws {
        let test = try DataTestRepository()
        test.write("d/x.txt", "original bytes")
        test.write("single.txt", "single file")
        _ = try test.repository.add("d", from: test.root)
        let single = try test.repository.add("single.txt", from: test.root)
        try FileManager.default.removeItem(atPath: test.root + "/d")
        try FileManager.default.removeItem(atPath: test.root + "/single.txt")
        let result = try test.repository.checkout(from: test.root)
        #expect(result.linkKinds.isSubset(of: ["reflink", "copy"]))
        // Write through the checked-out files, as a tool that opens them for update would (root ignores 0444).
        for path in ["d/x.txt", "single.txt"] {
            chmod(test.root + "/" + path, 0o644)
            let handle = try #require(FileHandle(forUpdatingAtPath: test.root + "/" + path))
            handle.write(Data("EDITED".utf8))
            try handle.close()
        }
        #expect(try test.repository.verify().corrupted.isEmpty)
        #expect(test.repository.cache.isIntact(single.pointer.digest))
        #expect(try test.repository.cache.read(single.pointer.digest) == Array("single file".utf8))
    }

    @Test func aCorruptCacheObjectIsNeverPlacedByACopyCheckout() throws {
        let test = try DataTestRepository()
        var config = test.repository.config
        config.cache = .init(type: "copy")
        try config.save(test.repository.configPath)
        let repository = try DataRepository(root: test.root)
        test.write("model.bin", "good weights")
        test.write("d/a.txt", "good a")
        let file = try repository.add("model.bin", from: test.root)
        _ = try repository.add("d", from: test.root)
        let aDigest = ContentDigest.of(Array("good a".utf8))
        for digest in [file.pointer.digest, aDigest] {
            let object = repository.cache.path(for: digest)
            chmod(object, 0o644)
            _ = FileManager.default.createFile(atPath: object, contents: Data("evil weights".utf8))
            chmod(object, 0o444)
        }
        try FileManager.default.removeItem(atPath: test.root + "/model.bin")
        try FileManager.default.removeItem(atPath: test.root + "/d/a.txt")
        do {
            _ = try repository.checkout(["model.bin"], from: test.root)
            Issue.record("a corrupt object was checked out")
        } catch {
            #expect(error.message.contains(file.pointer.digest.description))
            #expect(error.message.contains("yard data verify"))
        }
        #expect(!test.exists("model.bin"))
        #expect(throws: YardError.self) { try repository.checkout(["d"], from: test.root) }
        #expect(!test.exists("d/a.txt"))
        // No partial or temporary file is left behind.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: test.root).filter { $0.hasPrefix(".yard-tmp-") }
            + (try FileManager.default.contentsOfDirectory(atPath: test.root + "/d")).filter { $0.hasPrefix(".yard-tmp-") }
        #expect(leftovers.isEmpty)
    }

    // MARK: The second check, at the point of use

    @Test func everyWriteIsCheckedAgainstTheRepositoryRootAndPlantedSymlinks() throws {
        let test = try SandboxedRepository(git: true)
        try FileManager.default.createSymbolicLink(atPath: test.root + "/link", withDestinationPath: test.outside)
        try FileManager.default.createDirectory(atPath: test.root + "/inner", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: test.root + "/inside-link", withDestinationPath: test.root + "/inner")
        for bad in ["/link/x.txt", "/link/deeper/x.txt", "/../outside/x.txt", "/.git/hooks/x", "/a/../../x", "/.yard/config", "//x"] {
            #expect(throws: YardError.self) { try ContainedPath.check(test.root + bad, root: test.root) }
        }
        #expect(throws: YardError.self) { try ContainedPath.check(test.outside + "/x.txt", root: test.root) }
        // A dangling link to a folder that does not exist yet must not be created through.
        try FileManager.default.createSymbolicLink(atPath: test.root + "/dangling", withDestinationPath: test.outside + "/later")
        #expect(throws: YardError.self) { try ContainedPath.check(test.root + "/dangling/x.txt", root: test.root) }
        // The last component is replaced or unlinked, never followed; links that stay inside are fine.
        try ContainedPath.check(test.root + "/link", root: test.root)
        try ContainedPath.check(test.root + "/inside-link/x.txt", root: test.root)
        try ContainedPath.check(test.root + "/new/folder/x.txt", root: test.root)

        // materialize refuses on its own, whatever the caller computed.
        let digest = try test.store(Array("payload".utf8))
        let entry = TreeEntry(path: "x.txt", digest: digest, size: 7, isExecutable: false)
        let before = test.outsideSnapshot()
        for destination in [test.root + "/link/x.txt", test.root + "/../outside/x.txt", test.outside + "/x.txt"] {
            #expect(throws: YardError.self) {
                try DataRepository.materialize(entry, from: test.repository.cache, at: destination, root: test.root, kinds: [.copy])
            }
        }
        #expect(test.outsideSnapshot() == before)
    }

    @Test func aTrackedFolderReplacedBySymlinkToOutsideIsNotWrittenThrough() throws {
        let test = try SandboxedRepository()
        test.write("data/sub/a.txt", "payload")
        _ = try test.repository.add("data", from: test.root)
        // Someone swaps the tracked sub-folder for a link out of the repository and deletes the file.
        try FileManager.default.removeItem(atPath: test.root + "/data/sub")
        try FileManager.default.createSymbolicLink(atPath: test.root + "/data/sub", withDestinationPath: test.outside)
        let before = test.outsideSnapshot()
        for force in [false, true] {
            _ = try? test.repository.checkout(from: test.root, force: force)
            #expect(test.outsideSnapshot() == before)
        }
    }

    @Test func addRefusesFoldersHoldingNamesCheckoutWouldRefuse() throws {
        let test = try SandboxedRepository()
        test.write("data/ok.txt", "ok")
        test.write("data/nested/.git/config", "[core]")
        #expect(throws: YardError.self) { try test.repository.add("data", from: test.root) }
        #expect(!FileManager.default.fileExists(atPath: test.root + "/data.yard"))
    }

    // MARK: gc scopes and the repository lock

    @Test func narrowerGCScopesAreOptIn() throws {
        let test = try DataTestRepository(git: true)
        test.write("data/a.txt", "main")
        _ = try test.repository.add("data", from: test.root)
        try test.git("add", "-A")
        try test.git("commit", "-qm", "main")
        try test.git("branch", "-M", "main")
        try test.git("checkout", "-qb", "experiment")
        test.write("data/a.txt", "experiment")
        let branch = try test.repository.add("data", from: test.root)
        try test.git("commit", "-qam", "experiment")
        try test.git("checkout", "-q", "--detach", "main")
        test.write("data/a.txt", "tagged")
        let tagged = try test.repository.add("data", from: test.root)
        try test.git("commit", "-qam", "tagged")
        try test.git("tag", "-a", "-m", "annotated", "t1")
        try test.git("checkout", "-q", "main")
        _ = try test.repository.checkout(from: test.root)

        let tags = try test.repository.collectGarbage(scope: GCScope(allTags: true), dryRun: true, from: test.root)
        #expect(tags.removedObjects == 2)  // the branch's file and manifest
        let branches = try test.repository.collectGarbage(scope: GCScope(allBranches: true), from: test.root)
        #expect(branches.removedObjects == 2)  // the annotated tag's file and manifest
        #expect(test.repository.cache.contains(branch.pointer.digest))
        #expect(!test.repository.cache.contains(tagged.pointer.digest))
        let workspace = try test.repository.collectGarbage(scope: .workspace, from: test.root)
        #expect(workspace.removedObjects == 2)
        #expect(!test.repository.cache.contains(branch.pointer.digest))
    }

    @Test func gcRefusesWhileAnotherCommandHoldsTheLock() throws {
        let test = try DataTestRepository()
        test.write("a.txt", "one")
        _ = try test.repository.add("a.txt", from: test.root)
        test.write("a.txt", "two")
        _ = try test.repository.add("a.txt", from: test.root)
        // What an in-flight add (or checkout, fetch, push) holds.
        let shared = try test.repository.lock(.shared, command: "add")
        do {
            _ = try test.repository.collectGarbage(scope: .workspace, from: test.root)
            Issue.record("gc ran while an add held the lock")
        } catch {
            #expect(error.message.contains("busy"))
            #expect(error.message.contains("run it again"))
        }
        #expect(try test.repository.cache.allObjects().count == 2)
        // A dry run only reads, so it may run beside an add.
        #expect(try test.repository.collectGarbage(scope: .workspace, dryRun: true, from: test.root).removedObjects == 1)
        shared.release()
        // A second gc is refused the same way while the first holds the lock exclusively.
        let exclusive = try test.repository.lock(.exclusive, command: "gc")
        #expect(throws: YardError.self) { try test.repository.collectGarbage(scope: .workspace, from: test.root) }
        exclusive.release()
        #expect(try test.repository.collectGarbage(scope: .workspace, from: test.root).removedObjects == 1)
    }

    @Test func addWaitsForARunningGC() async throws {
        let test = try DataTestRepository()
        test.write("a.txt", "bytes")
        let gc = try test.repository.lock(.exclusive, command: "gc")
        let repository = test.repository
        let root = test.root
        let add = Task.detached { try repository.add("a.txt", from: root) }
        try await Task.sleep(nanoseconds: 300_000_000)
        #expect(!test.exists("a.txt.yard"))  // still waiting for the lock
        gc.release()
        let result = try await add.value
        #expect(test.exists("a.txt.yard"))
        #expect(repository.cache.contains(result.pointer.digest))
    }

    // MARK: Opt-in symbolic links

    @Test func symlinkCheckoutIsOptInAndReadsBackAsUnchanged() throws {
        let test = try DataTestRepository()
        test.write("d/x.txt", "x bytes")
        test.write("single.bin", "single")
        _ = try test.repository.add("d", from: test.root)
        _ = try test.repository.add("single.bin", from: test.root)
        try FileManager.default.removeItem(atPath: test.root + "/d")
        try FileManager.default.removeItem(atPath: test.root + "/single.bin")
        var linking = test.repository
        linking.linkKinds = try LinkKind.parseList("symlink")
        #expect(try linking.checkout(from: test.root).linkKinds == ["symlink"])
        #expect(FileSystem.info(test.root + "/d/x.txt")?.kind == .symlink)
        #expect(test.read("d/x.txt") == "x bytes")
        #expect(try linking.status(from: test.root).allSatisfy { $0.state == .unchanged })
        let again = try linking.checkout(from: test.root)
        #expect(again.restored == 0 && again.unchanged == 2)
        #expect(try linking.add("d", from: test.root).newObjects == 0)
        // Back to copies: the links are replaced, the cache untouched.
        let copied = try test.repository.checkout(from: test.root)
        #expect(copied.restored == 0)  // same bytes: left alone (use --force to re-place)
        #expect(try test.repository.verify().corrupted.isEmpty)
        #expect(throws: YardError.self) { try LinkKind.parseList("softlink") }
    }

    @Test func pullingAManifestWithEscapingPathsFromARemoteWritesNothingOutside() async throws {
        // The remote (a folder anyone with write access can fill) serves a manifest whose entry climbs out.
        let source = try SandboxedRepository()
        let manifest = try source.storeManifest(["../../outside/pwned.txt"])
        let remoteFolder = TemporaryDirectory()
        let remote = try FolderRemote(path: remoteFolder.path)
        let objects = try source.repository.cache.allObjects()
        try await remote.upload(objects.map { TransferItem(digest: $0, size: source.repository.cache.size(of: $0) ?? 0) },
                                from: source.repository.cache, progress: SilentProgress())

        let clone = try SandboxedRepository()
        clone.writePointer("data.yard", path: "data", kind: "directory", digest: manifest)
        let before = clone.outsideSnapshot()
        for force in [false, true] {
            do {
                _ = try await clone.repository.pull(from: remote, from: clone.root, force: force)
                Issue.record("pull of a manifest with an escaping path succeeded")
            } catch let error as YardError {
                #expect(error.message.contains("data.yard"))
                #expect(error.message.contains("../../outside/pwned.txt"))
            }
            #expect(clone.outsideSnapshot() == before)
        }
    }

    @Test(arguments: ["a\r", "x \u{301}y", "%25\u{301}", "%\u{301}25", "b\r\nc", "%0A%25\u{300}"])
    func manifestPathsRoundTripByteForByte(path: String) throws {
        let digest = ContentDigest.of(Array("x".utf8))
        let tree = DirectoryTree(entries: [TreeEntry(path: path, digest: digest, size: 1, isExecutable: true)])
        guard case .leaf(let entries) = try DirectoryTree.decode(tree.nodes[0].bytes, digest: tree.root) else {
            Issue.record("not a leaf")
            return
        }
        #expect(entries.map { Array($0.path.utf8) } == [Array(path.utf8)])
        #expect(entries.first?.isExecutable == true)
    }
}
