import Foundation
import YardCore

public struct GarbageCollection: Sendable, Equatable {
    public var removedObjects = 0
    public var removedBytes: Int64 = 0
    public var keptObjects = 0
    public var removedTemporaries = 0
}

public struct Verification: Sendable, Equatable {
    public var checked = 0
    /// Objects whose bytes no longer match their name.
    public var corrupted: [ContentDigest] = []
    /// Corrupted objects deleted (so the next pull downloads good copies).
    public var removed = 0
}

extension DataRepository {
    /// Every object the given pointers need: files, then manifest nodes (root last).
    func reachableObjects(_ pointers: [PointerFile]) throws(YardError) -> Set<ContentDigest> {
        var reachable = Set<ContentDigest>()
        for pointer in pointers {
            reachable.insert(pointer.digest)
            guard pointer.kind == .directory else { continue }
            guard cache.contains(pointer.digest) else {
                throw .notFound("The manifest \(pointer.digest) of '\(pointer.path)' is not in the cache, so gc cannot tell which files it needs; run `yard data fetch` first. Nothing was removed.")
            }
            let tree = try treeEntries(pointer.digest)
            reachable.formUnion(tree.nodes)
            for entry in tree.entries { reachable.insert(entry.digest) }
        }
        return reachable
    }

    /// Removes cache objects no pointer refers to: those of the work tree, plus every commit's with
    /// `allCommits`. Also removes temporary files left by interrupted commands.
    public func collectGarbage(allCommits: Bool = false, dryRun: Bool = false, temporaryAge: TimeInterval = 3600,
                               from workingDirectory: String) throws(YardError) -> GarbageCollection {
        var pointers = try outputs([], from: workingDirectory).map(\.pointer)
        if allCommits {
            let git = GitRevisions(root: root)
            for commit in try git.allCommits() { pointers.append(contentsOf: try git.pointers(at: commit).values) }
        }
        let reachable = try reachableObjects(pointers)
        var result = GarbageCollection()
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
