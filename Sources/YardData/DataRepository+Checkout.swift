import Foundation
import YardBlobs
import YardCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct CheckoutResult: Sendable, Equatable {
    /// Files written from the cache.
    public var restored = 0
    /// Files that already held the right bytes.
    public var unchanged = 0
    /// Files removed from tracked folders because the recorded version does not have them.
    public var removed = 0
    public var linkKinds: Set<String> = []
}

extension DataRepository {
    /// Makes the work tree hold exactly what the pointers record, from the cache per `cache.type` (by
    /// default a reflink, else a verified copy; hardlink and symlink only when configured). Files already
    /// right are left alone. A file whose current bytes are not in the cache would be lost by overwriting
    /// it, so that needs `force`. Pointer files and manifests are untrusted input: their paths are checked
    /// when decoded, and every write or delete is checked again to stay inside the repository.
    public func checkout(_ targets: [String] = [], from workingDirectory: String, force: Bool = false,
                         progress: any ProgressReporter = SilentProgress()) throws(YardError) -> CheckoutResult {
        let lock = try lock(.shared, command: "checkout")
        defer { withExtendedLifetime(lock) {} }
        let state = loadState()
        defer { state.save() }
        let outputs = try outputs(targets, from: workingDirectory)
        // Everything needed must be present before a single file is touched.
        var missing: [String] = []
        var plans: [(TrackedOutput, [TreeEntry])] = []
        for output in outputs {
            if output.pointer.kind == .file {
                if !cache.contains(output.pointer.digest) { missing.append(output.targetPath) }
                plans.append((output, [TreeEntry(path: "", digest: output.pointer.digest, size: output.pointer.size, isExecutable: false)]))
                continue
            }
            guard cache.contains(output.pointer.digest) else {
                missing.append(output.targetPath)
                continue
            }
            let tree: (entries: [TreeEntry], nodes: [ContentDigest])
            do {
                tree = try treeEntries(output.pointer.digest, pointerPath: output.pointerPath)
            } catch where error.code == .resourceDoesNotExist {
                missing.append(output.targetPath)
                continue
            }
            if tree.entries.contains(where: { !cache.contains($0.digest) }) { missing.append(output.targetPath) }
            plans.append((output, tree.entries))
        }
        if !missing.isEmpty {
            throw .notFound("The cache lacks data for \(missing.joined(separator: ", ")); run `yard data pull` (or `yard data fetch`) to download it. Nothing was changed.")
        }
        // Every target must lie inside the repository before any of them is touched.
        for (output, _) in plans { try ContainedPath.check(absolute(output.targetPath), root: root) }
        var result = CheckoutResult()
        for (output, entries) in plans {
            try checkout(output, entries: entries, state: state, force: force, progress: progress, result: &result)
        }
        return result
    }

    func checkout(_ output: TrackedOutput, entries: [TreeEntry], state: StateCache, force: Bool,
                          progress: any ProgressReporter, result: inout CheckoutResult) throws(YardError) {
        let target = output.targetPath
        let isFile = output.pointer.kind == .file
        let root = self.root
        try ContainedPath.check(absolute(target), root: root)
        // What is there now (hashing only files the state cache cannot vouch for).
        var current: [String: (digest: ContentDigest, info: FileInfo)] = [:]
        let existing = FileSystem.info(absolute(target))
        if let existing {
            if isFile && existing.kind == .directory || !isFile && existing.kind != .directory {
                guard force else {
                    throw .invalid("'\(target)' is a \(existing.kind == .directory ? "folder" : "file") but the pointer records a \(isFile ? "file" : "folder"); move it away or use --force.")
                }
                try ContainedPath.check(absolute(target), root: root)
                FileSystem.remove(absolute(target))
            } else {
                let (content, _) = try workspaceContent(of: target, state: state, progress: progress, phase: "Checking")
                switch content {
                case .file(let digest, let info): current[""] = (digest, info)
                case .directory(let found, let infos):
                    for entry in found { current[entry.path] = (entry.digest, infos[entry.path]!) }
                case .missing: break
                }
            }
        }
        let wanted = Set(entries.map(\.path))
        var toWrite: [TreeEntry] = []
        for entry in entries {
            if let now = current[entry.path], now.digest == entry.digest, isFile || now.info.isExecutable == entry.isExecutable {
                result.unchanged += 1
            } else {
                toWrite.append(entry)
            }
        }
        let toRemove = current.keys.filter { !wanted.contains($0) }.sorted()
        if !force {
            // Overwriting or removing bytes that exist nowhere else would lose the user's work.
            let replaced = toWrite.map(\.path).filter { current[$0] != nil } + toRemove
            let endangered = replaced.filter { path in
                guard let now = current[path] else { return false }
                return !self.cache.contains(now.digest)
            }
            if !endangered.isEmpty {
                let shown = endangered.prefix(5).map { $0.isEmpty ? target : target + "/" + $0 }.joined(separator: ", ")
                throw .invalid("Checkout would overwrite changes not saved in the cache: \(shown)\(endangered.count > 5 ? " and \(endangered.count - 5) more" : ""). Run `yard data add \(target)` to keep them, or `yard data checkout --force` to discard them. Nothing was changed.")
            }
        }
        for path in toRemove {
            try ContainedPath.check(absolute(target + "/" + path), root: root)
            unlink(absolute(target + "/" + path))
            result.removed += 1
        }
        if !toRemove.isEmpty {
            try ContainedPath.check(absolute(target), root: root)
            removeEmptyFolders(under: absolute(target))
        }
        if !isFile {
            var folders = Set<String>()
            folders.insert(absolute(target))
            for entry in toWrite {
                let folder = PathText.parent(entry.path)
                if !folder.isEmpty { folders.insert(absolute(target + "/" + folder)) }
            }
            for folder in folders.sorted() {
                try ContainedPath.check(folder, root: root)
                try FileSystem.createDirectory(folder)
            }
        } else {
            let folder = PathText.parent(target)
            if !folder.isEmpty {
                try ContainedPath.check(absolute(folder), root: root)
                try FileSystem.createDirectory(absolute(folder))
            }
        }
        progress.start("Checking out", files: toWrite.count, bytes: toWrite.reduce(0) { $0 &+ $1.size })
        defer { progress.finish() }
        let kinds = linkKinds
        let cache = self.cache
        let writes = toWrite
        let used = try ParallelWork.map(toWrite.count) { index throws(YardError) -> LinkKind in
            let entry = writes[index]
            let relative = isFile ? target : target + "/" + entry.path
            let kind = try Self.materialize(entry, from: cache, at: self.absolute(relative), root: root, kinds: kinds)
            if let info = FileSystem.info(self.absolute(relative), following: kind == .symlink) {
                // We wrote these bytes ourselves from a verified object, so the entry is trusted at once.
                state.record(relative, info: info, digest: entry.digest, hashedAt: .max)
            }
            progress.advance(files: 1, bytes: entry.size)
            return kind
        }
        result.restored += toWrite.count
        for kind in used { result.linkKinds.insert(kind.rawValue) }
    }

    /// Places one object at `destination`: built beside it under a temporary name, then renamed over
    /// whatever was there, so a reader never sees a half-written file. `destination` is checked once more
    /// to lie inside `root` right before anything is written. A copy is hashed as it is written and
    /// refused if the cache object is corrupt: nothing is placed then.
    static func materialize(_ entry: TreeEntry, from cache: ObjectCache, at destination: String, root: String,
                            kinds: [LinkKind]) throws(YardError) -> LinkKind {
        try ContainedPath.check(destination, root: root)
        let folder = PathText.parent(destination)
        let temporary = DurableFiles.temporaryPath(in: folder)
        // A hard link or symbolic link shares the object's mode (0444), so executables are cloned or copied.
        let usable = entry.isExecutable ? kinds.filter { $0 != .hardlink && $0 != .symlink } : kinds
        let mode: mode_t = entry.isExecutable ? 0o755 : 0o644
        let kind = try Linker.place(cache.path(for: entry.digest), at: temporary, kinds: usable.isEmpty ? [.copy] : usable,
                                    mode: mode, expected: entry.digest, shownDestination: destination)
        if kind != .hardlink && kind != .symlink { chmod(temporary, mode) }  // chmod would follow a symlink into the cache
        if let existing = FileSystem.info(destination), existing.kind == .directory { FileSystem.remove(destination) }
        guard rename(temporary, destination) == 0 else {
            let reason = FileSystem.lastError
            unlink(temporary)
            throw YardError(.internalError, "Cannot write '\(destination)': \(reason)")
        }
        return kind
    }

    func removeEmptyFolders(under folder: String) {
        for (name, kind) in (try? FileSystem.list(folder)) ?? [] where kind == .directory {
            let child = folder + "/" + name
            removeEmptyFolders(under: child)
            rmdir(child)
        }
    }
}
