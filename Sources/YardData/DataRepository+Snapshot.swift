import Foundation
import YardCore

/// What a file or folder holds, named the way `yard data add` names it: a file by its content digest, a
/// folder by the root of its manifest. Pipelines record dependencies and outputs as these.
public struct PathSnapshot: Sendable, Equatable, Hashable {
    public var kind: PointerFile.Kind
    public var digest: ContentDigest
    public var size: Int64
    public var files: Int

    public init(kind: PointerFile.Kind, digest: ContentDigest, size: Int64, files: Int) {
        self.kind = kind
        self.digest = digest
        self.size = size
        self.files = files
    }
}

extension DataRepository {
    /// The state cache (path, inode, size, mtime → digest); call `save()` on it when done.
    public func openState() -> StateCache { loadState() }

    /// Like `yard data add` without the pointer file: puts `relative` into the cache (files first,
    /// manifests last), reading each changed file once. Nil when the path does not exist.
    public func store(_ relative: String, state: StateCache) throws(YardError) -> PathSnapshot? {
        try storeContent(of: relative, shown: relative, state: state, progress: SilentProgress())?.snapshot
    }

    /// The current content of `relative` (a path inside the repository), hashing only files the state
    /// cache cannot vouch for; nil when the path does not exist. Nothing is copied into the cache.
    public func snapshot(of relative: String, state: StateCache) throws(YardError) -> PathSnapshot? {
        switch try workspaceContent(of: relative, state: state, progress: SilentProgress()).content {
        case .missing:
            return nil
        case .file(let digest, let info):
            return PathSnapshot(kind: .file, digest: digest, size: info.size, files: 1)
        case .directory(let entries, _):
            let tree = DirectoryTree(entries: entries, maxLeafEntries: maxLeafEntries)
            return PathSnapshot(kind: .directory, digest: tree.root, size: tree.totalSize, files: tree.fileCount)
        }
    }

    /// Whether the cache holds every byte needed to restore `snapshot` (for a folder: its manifest and files).
    func cacheHolds(_ pointer: PointerFile) -> Bool {
        cacheHolds(PathSnapshot(kind: pointer.kind, digest: pointer.digest, size: pointer.size, files: pointer.files))
    }

    public func cacheHolds(_ snapshot: PathSnapshot) -> Bool {
        guard cache.contains(snapshot.digest) else { return false }
        guard snapshot.kind == .directory else { return true }
        guard let tree = try? treeEntries(snapshot.digest) else { return false }
        return tree.entries.allSatisfy { cache.contains($0.digest) }
    }

    /// Makes `relative` hold exactly `snapshot` from the cache, replacing whatever is there (the caller
    /// has decided those bytes are disposable: a stage output about to be restored from the run cache).
    public func restore(_ relative: String, to snapshot: PathSnapshot, state: StateCache) throws(YardError) {
        let pointer = PointerFile(path: PathText.name(relative), kind: snapshot.kind, digest: snapshot.digest,
                                  size: snapshot.size, files: snapshot.files)
        let output = TrackedOutput(pointerPath: relative + PointerFile.suffix, targetPath: relative, pointer: pointer)
        let entries: [TreeEntry]
        if snapshot.kind == .file {
            guard cache.contains(snapshot.digest) else {
                throw .notFound("The cache lacks \(snapshot.digest) for '\(relative)'; pull it from a remote first.")
            }
            entries = [TreeEntry(path: "", digest: snapshot.digest, size: snapshot.size, isExecutable: false)]
        } else {
            entries = try treeEntries(snapshot.digest, pointerPath: nil).entries
            if let absent = entries.first(where: { !cache.contains($0.digest) }) {
                throw .notFound("The cache lacks '\(relative)/\(absent.path)' (\(absent.digest)); pull it from a remote first.")
            }
        }
        try ContainedPath.check(absolute(relative), root: root)
        var result = CheckoutResult()
        try checkout(output, entries: entries, state: state, force: true, progress: SilentProgress(), result: &result)
    }
}

extension DataRepository {
    /// Absolute, with `.`/`..` and symbolic links resolved.
    public static func canonicalPath(_ path: String) -> String { canonical(path) }
}

extension DataRepository {
    /// Downloads from `remote` whatever the cache lacks to restore `snapshot`: the root, the manifest
    /// nodes below it, then the files. Every object is verified on arrival by the remote's download.
    public func fetch(_ snapshot: PathSnapshot, from remote: any Remote) async throws {
        if !cache.contains(snapshot.digest) {
            try await remote.download([TransferItem(digest: snapshot.digest, size: snapshot.kind == .file ? snapshot.size : 0)],
                                      into: cache, progress: SilentProgress())
        }
        guard snapshot.kind == .directory else { return }
        var pending = try DirectoryTree.children(of: try cache.read(snapshot.digest), digest: snapshot.digest)
        while !pending.isEmpty {
            let missing = pending.filter { !cache.contains($0) }
            if !missing.isEmpty {
                try await remote.download(missing.map { TransferItem(digest: $0, size: 0) }, into: cache, progress: SilentProgress())
            }
            var next: [ContentDigest] = []
            for node in pending { next += try DirectoryTree.children(of: try cache.read(node), digest: node) }
            pending = next
        }
        let entries = try treeEntries(snapshot.digest).entries.filter { !cache.contains($0.digest) }
        if !entries.isEmpty {
            try await remote.download(entries.map { TransferItem(digest: $0.digest, size: $0.size) }, into: cache, progress: SilentProgress())
        }
    }
}
