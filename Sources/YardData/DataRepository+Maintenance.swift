import Foundation
import YardCore

public struct GarbageCollection: Sendable, Equatable {
    public var removedObjects = 0
    public var removedBytes: Int64 = 0
    public var keptObjects = 0
    public var removedTemporaries = 0
    /// Git commits whose pointers were kept (0 for `.workspace`).
    public var commitsScanned = 0
}

/// What gc keeps. The work tree's pointers are always kept; the default adds every commit reachable from
/// any git ref (branches, tags, remote-tracking branches, stash), so data that another branch or tag uses
/// is never deleted. Narrower scopes are explicit opt-ins.
public struct GCScope: Sendable, Equatable {
    /// Every commit reachable from any ref (`git rev-list --all`): the default.
    public var allCommits: Bool
    /// The tip commit of every local branch.
    public var allBranches: Bool
    /// The commit of every tag.
    public var allTags: Bool

    public init(allCommits: Bool = false, allBranches: Bool = false, allTags: Bool = false) {
        self.allCommits = allCommits
        self.allBranches = allBranches
        self.allTags = allTags
    }

    /// The safe default: everything any commit in the repository references.
    public static let everyCommit = GCScope(allCommits: true)
    /// Only the pointers in the work tree: deletes the data of every other version (opt-in).
    public static let workspace = GCScope()

    var usesGit: Bool { allCommits || allBranches || allTags }
}
public struct Verification: Sendable, Equatable {
    public var checked = 0
    /// Objects whose bytes no longer match their name.
    public var corrupted: [ContentDigest] = []
    /// Corrupted objects deleted (so the next pull downloads good copies).
    public var removed = 0
}

extension DataRepository {
    /// Every object the given pointers need: files, then manifest nodes (root last). `source` names
    /// where each pointer came from, for the error when its manifest is missing.
    func reachableObjects(_ pointers: [(source: String, pointer: PointerFile)]) throws(YardError) -> Set<ContentDigest> {
        var reachable = Set<ContentDigest>()
        var seenManifests = Set<ContentDigest>()
        for (source, pointer) in pointers {
            reachable.insert(pointer.digest)
            guard pointer.kind == .directory, !seenManifests.contains(pointer.digest) else { continue }
            seenManifests.insert(pointer.digest)
            // Pipeline records also name outputs that were never cached (`cache: false`) or not yet
            // fetched: nothing of theirs is here to keep, so they cannot block gc.
            if source.contains(PipelineReferences.lockFileName) || source.hasPrefix("run cache "), !cache.contains(pointer.digest) { continue }
            guard cache.contains(pointer.digest) else {
                throw .notFound("The manifest \(pointer.digest) named by '\(source)' is not in the cache, so gc cannot tell which files that version needs. Nothing was removed. Check that version out and run `yard data fetch`, or narrow what gc keeps (--workspace, --all-branches, --all-tags) if you accept losing the local copy of its data.")
            }
            let tree = try treeEntries(pointer.digest)
            reachable.formUnion(tree.nodes)
            for entry in tree.entries { reachable.insert(entry.digest) }
        }
        return reachable
    }

    /// The pointers gc must keep for `scope`: the work tree's, plus those of the git commits it names.
    func pointersToKeep(_ scope: GCScope, from workingDirectory: String) throws(YardError) -> (pointers: [(source: String, pointer: PointerFile)], commits: Int) {
        var pointers = try outputs([], from: workingDirectory).map { (source: $0.pointerPath, pointer: $0.pointer) }
        pointers += PipelineReferences.local(in: self)
        guard scope.usesGit else { return (pointers, 0) }
        let git = GitRevisions(root: root)
        let commits = try git.commits(scope)
        // Pointer files rarely change between commits: read each distinct blob once.
        var seenBlobs = Set<String>()
        for commit in commits {
            for (path, pointer) in try git.pointers(at: commit, validatingPaths: false, skipping: &seenBlobs) {
                pointers.append((source: "\(commit.prefix(12)):\(path)", pointer: pointer))
            }
        }
        return (pointers, commits.count)
    }

    /// Removes cache objects that nothing in `scope` refers to (by default: no pointer in the work tree
    /// and none in any commit reachable from any git ref), and temporary files left by interrupted
    /// commands. Holds the repository lock exclusively and fails at once if another command holds it,
    /// so an object an in-flight add has written but not yet recorded is never deleted. A dry run
    /// removes nothing and reports what would go.
    public func collectGarbage(scope: GCScope = .everyCommit, dryRun: Bool = false, temporaryAge: TimeInterval = 3600,
                               from workingDirectory: String) throws(YardError) -> GarbageCollection {
        let lock = try lock(dryRun ? .shared : .exclusive, wait: false, command: dryRun ? "gc --dry-run" : "gc")
        defer { withExtendedLifetime(lock) {} }
        let (pointers, commits) = try pointersToKeep(scope, from: workingDirectory)
        let reachable = try reachableObjects(pointers)
        var result = GarbageCollection()
        result.commitsScanned = commits
        for digest in try cache.allObjects() {
            if reachable.contains(digest) {
                result.keptObjects += 1
                continue
            }
            result.removedObjects += 1
            result.removedBytes += cache.size(of: digest) ?? 0
            if !dryRun { cache.remove(digest) }
        }
        if !dryRun { result.removedTemporaries = cache.removeTemporaries(olderThan: temporaryAge) }
        return result
    }

    /// Re-hashes every object in the cache (in parallel) and reports those whose bytes changed.
    public func verify(removeCorrupted: Bool = false, progress: any ProgressReporter = SilentProgress()) throws(YardError) -> Verification {
        let cache = self.cache
        let objects = try cache.allObjects()
        progress.start("Verifying", files: objects.count, bytes: objects.reduce(0) { $0 + (cache.size(of: $1) ?? 0) })
        defer { progress.finish() }
        let intact = try ParallelWork.map(objects.count) { index throws(YardError) -> Bool in
            let ok = cache.isIntact(objects[index])
            progress.advance(files: 1, bytes: cache.size(of: objects[index]) ?? 0)
            return ok
        }
        var result = Verification(checked: objects.count)
        for (digest, ok) in zip(objects, intact) where !ok {
            result.corrupted.append(digest)
            if removeCorrupted {
                cache.remove(digest)
                result.removed += 1
            }
        }
        result.corrupted.sort()
        return result
    }
}
