import Foundation
import YardCore

/// What `add` recorded.
public struct AddResult: Sendable {
    public var pointerPath: String
    public var targetPath: String
    public var pointer: PointerFile
    /// Files whose bytes were read (the rest came from the state cache).
    public var hashedFiles: Int
    /// Objects that were not in the cache before.
    public var newObjects: Int
}

extension DataRepository {
    /// Objects are published in batches of this many, so an interrupted add of a huge folder keeps most
    /// of its work: a re-run finds those objects present and skips them.
    static let ingestBatchSize = 4096

    /// Snapshots a file or folder in one pass per file: each changed file is read once, hashed while it is
    /// copied (or cloned) into the cache; unchanged files (state cache) are not read at all. Then it writes
    /// `<path>.yard` and ignores the path in git. If anything fails, no pointer is written and the work
    /// tree is untouched.
    public func add(_ userPath: String, from workingDirectory: String, datasetName: String? = nil,
                    progress: any ProgressReporter = SilentProgress()) throws(YardError) -> AddResult {
        // Shared: adds run side by side, but gc waits until these objects are named by a pointer file.
        let lock = try lock(.shared, command: "add")
        defer { withExtendedLifetime(lock) {} }
        let (_, relative) = try resolve(userPath, from: workingDirectory)
        if relative.hasSuffix(PointerFile.suffix) {
            throw .invalid("'\(userPath)' is a pointer file; add the data it tracks instead.")
        }
        if let reason = PathText.unsafeReason(PathText.name(relative), singleName: true) {
            throw .invalid("'\(userPath)' cannot be tracked: \(reason). Rename it and add again; nothing was changed.")
        }
        try refuseOverlap(relative, shown: userPath)
        let state = loadState()
        guard let (snapshot, ingested) = try storeContent(of: relative, shown: userPath, state: state, progress: progress) else {
            throw .notFound("'\(userPath)' does not exist; check the path (nothing was changed).")
        }
        let pointer = PointerFile(path: PathText.name(relative), kind: snapshot.kind, digest: snapshot.digest, size: snapshot.size,
                                  files: snapshot.files, name: datasetName)
        let pointerPath = relative + PointerFile.suffix
        try FileSystem.writeAtomically(absolute(pointerPath), try pointer.encoded())
        try ignoreInGit(relative)
        state.save()
        return AddResult(pointerPath: pointerPath, targetPath: relative, pointer: pointer,
                         hashedFiles: ingested.hashed, newObjects: ingested.newObjects)
    }

    /// One byte must belong to one pointer: a path inside a tracked folder, or a folder holding tracked
    /// paths, would make two pointers disagree about the same files.
    func refuseOverlap(_ relative: String, shown: String) throws(YardError) {
        var ancestor = PathText.parent(relative)
        while !ancestor.isEmpty {
            if FileSystem.exists(absolute(ancestor + PointerFile.suffix)) {
                throw .invalid("'\(shown)' is inside '\(ancestor)', which is already tracked as a whole; run `yard data add \(ancestor)` instead.")
            }
            ancestor = PathText.parent(ancestor)
        }
        if let nested = try pointerPaths().first(where: { $0.hasPrefix(relative + "/") }) {
            throw .invalid("'\(shown)' contains '\(nested)', which is tracked on its own; remove that pointer first or add a different folder.")
        }
    }

    /// Puts the file or folder at `relative` into the cache (files first, then the manifest nodes) and
    /// names it; nil when the path does not exist. `shown` is the path as the user wrote it, for errors.
    func storeContent(of relative: String, shown: String, state: StateCache,
                      progress: any ProgressReporter) throws(YardError) -> (snapshot: PathSnapshot, ingested: Ingested)? {
        let absolute = self.absolute(relative)
        guard let info = FileSystem.info(absolute) else { return nil }
        switch info.kind {
        case .file, .symlink:
            var file = WorkspaceFile(relative: relative, info: info, linked: nil)
            if info.kind == .symlink {
                guard let linked = Self.cacheLinkDigest(absolute, cache: cache), let followed = FileSystem.info(absolute, following: true) else {
                    throw .invalid("'\(relative)' is a symbolic link; yard data tracks regular files and folders only.")
                }
                file = WorkspaceFile(relative: relative, info: followed, linked: linked)
            }
            let ingested = try ingest([file], state: state, progress: progress)
            return (PathSnapshot(kind: .file, digest: ingested.digests[0], size: file.info.size, files: 1), ingested)
        case .directory:
            let (scanned, fingerprint) = try scanWithFingerprint(relative)
            // Checkout refuses unsafe paths in a manifest, so never record one (e.g. a nested .git folder).
            if let bad = scanned.first(where: { PathText.unsafeReason($0.path) != nil }) {
                throw .invalid("'\(relative)/\(PathText.shown(bad.path))' cannot be tracked: \(PathText.unsafeReason(bad.path)!). Move it out of '\(shown)' and add again; nothing was changed.")
            }
            let files = scanned.map { WorkspaceFile(relative: relative + "/" + $0.path, info: $0.info, linked: $0.linked) }
            var ingested = try ingest(files, state: state, progress: progress)
            let entries = zip(scanned, ingested.digests).map { file, digest in
                TreeEntry(path: file.path, digest: digest, size: file.info.size, isExecutable: file.info.isExecutable)
            }
            let tree = DirectoryTree(entries: entries, maxLeafEntries: maxLeafEntries)
            ingested.newObjects += try publishNodes(tree.nodes)
            if let fingerprint {
                let fingerprints = loadFingerprints()
                fingerprints.record(fingerprint, root: tree.root)
                fingerprints.save()
            }
            return (PathSnapshot(kind: .directory, digest: tree.root, size: tree.totalSize, files: tree.fileCount), ingested)
        case .other:
            throw .invalid("'\(relative)' is not a regular file or folder.")
        }
    }

    /// A file to add: its path from the root, its metadata from the scan, and for a link a `symlink`
    /// checkout placed, the object it points to.
    struct WorkspaceFile: Sendable {
        var relative: String
        var info: FileInfo
        var linked: ContentDigest?
    }

    struct Ingested {
        var digests: [ContentDigest]
        var hashed: Int
        var newObjects: Int
    }

    /// Puts every file's content in the cache and returns the digests in order. Files the state cache
    /// knows are not read; their objects are only looked up (and copied, verified, if the cache lost them).
    /// Every other file is read once, hashed while copied into the cache. Work runs on many threads, since
    /// each new object waits for its own data sync; objects are published batch by batch.
    func ingest(_ files: [WorkspaceFile], state: StateCache, progress: any ProgressReporter) throws(YardError) -> Ingested {
        progress.start("Adding", files: files.count, bytes: files.reduce(0) { $0 + $1.info.size })
        defer { progress.finish() }
        let root = self.root
        let cache = self.cache
        let rootNames = cache.rootNames()
        let prefixes = Set(rootNames.filter { $0.utf8.count == 2 })
        let clones = CloneSupport(cacheRoot: cache.root, rootNames: rootNames, allowed: linkKinds.contains(.reflink))
        var result = Ingested(digests: [], hashed: 0, newObjects: 0)
        result.digests.reserveCapacity(files.count)
        var start = 0
        while start < files.count {
            let slice = Array(files[start..<min(files.count, start + Self.ingestBatchSize)])
            let batch = cache.beginBatch()
            do throws(YardError) {
                let outcomes = try ParallelWork.map(slice.count, width: ParallelWork.blockingWidth) { index throws(YardError) -> (ContentDigest, Bool) in
                    let file = slice[index]
                    defer { progress.advance(files: 1, bytes: file.info.size) }
                    if let known = file.linked ?? state.digest(for: file.relative, info: file.info) {
                        // Only an existing prefix folder can hold it: no lookup that is bound to fail.
                        if prefixes.contains(String(known.hex.prefix(2))) && cache.contains(known) { return (known, false) }
                        if file.linked != nil {
                            throw YardError.notFound("'\(file.relative)' is a link to the cache object \(known), which is gone; run `yard data pull` or check it out again.")
                        }
                        try batch.stageWorkspaceFile(root + "/" + file.relative, expected: file.info, verifying: known,
                                                     clones: clones, displayPath: file.relative)
                        return (known, false)
                    }
                    let started = FileSystem.nowNanoseconds()
                    let digest = try batch.stageWorkspaceFile(root + "/" + file.relative, expected: file.info,
                                                              clones: clones, displayPath: file.relative)
                    state.record(file.relative, info: file.info, digest: digest, hashedAt: started)
                    return (digest, true)
                }
                result.newObjects += try batch.commit()
                for (digest, hashed) in outcomes {
                    result.digests.append(digest)
                    if hashed { result.hashed += 1 }
                }
            } catch {
                batch.discard()
                throw error
            }
            start += slice.count
        }
        return result
    }

    /// Stores a folder's manifest nodes after its files (so a manifest in the cache always means its files
    /// are there too), root last. Returns how many were new.
    func publishNodes(_ nodes: [(digest: ContentDigest, bytes: [UInt8])]) throws(YardError) -> Int {
        guard let root = nodes.first, !cache.contains(root.digest) else { return 0 }  // a present root has all its nodes
        let batch = cache.beginBatch()
        do throws(YardError) {
            for node in nodes.reversed() { try batch.stageBytes(node.bytes, digest: node.digest) }
            return try batch.commit()
        } catch {
            batch.discard()
            throw error
        }
    }
}
