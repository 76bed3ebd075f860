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

    /// Snapshots a file or folder: hashes it (in parallel, skipping unchanged files), copies new content
    /// into the cache (a clone where the file system can), then writes `<path>.yard` and ignores the
    /// path in git. If anything fails, no pointer is written and the work tree is untouched.
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
        let (content, hashed) = try workspaceContent(of: relative, state: state, progress: progress)
        let name = PathText.name(relative)
        let pointer: PointerFile
        var newObjects = 0
        switch content {
        case .missing:
            throw .notFound("'\(userPath)' does not exist; check the path (nothing was changed).")
        case .file(let digest, let info):
            newObjects = try ingest([(relative, info, digest)], nodes: [], progress: progress)
            pointer = PointerFile(path: name, kind: .file, digest: digest, size: info.size, files: 1, name: datasetName)
        case .directory(let entries, let infos):
            // Checkout refuses unsafe paths in a manifest, so never record one (e.g. a nested .git folder).
            if let bad = entries.first(where: { PathText.unsafeReason($0.path) != nil }) {
                throw .invalid("'\(relative)/\(PathText.shown(bad.path))' cannot be tracked: \(PathText.unsafeReason(bad.path)!). Move it out of '\(userPath)' and add again; nothing was changed.")
            }
            let tree = DirectoryTree(entries: entries, maxLeafEntries: maxLeafEntries)
            let files = entries.map { (relative + "/" + $0.path, infos[$0.path]!, $0.digest) }
            newObjects = try ingest(files, nodes: tree.nodes, progress: progress)
            pointer = PointerFile(path: name, kind: .directory, digest: tree.root, size: tree.totalSize,
                                  files: tree.fileCount, name: datasetName)
        }
        let pointerPath = relative + PointerFile.suffix
        try FileSystem.writeAtomically(absolute(pointerPath), try pointer.encoded())
        try ignoreInGit(relative)
        state.save()
        return AddResult(pointerPath: pointerPath, targetPath: relative, pointer: pointer, hashedFiles: hashed, newObjects: newObjects)
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

    /// Copies the content the cache lacks, then the manifest nodes (last, so a manifest in the cache
    /// always means its files are there too). Returns how many objects were new.
    func ingest(_ files: [(relative: String, info: FileInfo, digest: ContentDigest)],
                nodes: [(digest: ContentDigest, bytes: [UInt8])], progress: any ProgressReporter) throws(YardError) -> Int {
        var seen = Set<ContentDigest>()
        var missing: [(relative: String, info: FileInfo, digest: ContentDigest)] = []
        for file in files where !seen.contains(file.digest) {
            seen.insert(file.digest)
            if !cache.contains(file.digest) { missing.append(file) }
        }
        progress.start("Caching", files: missing.count, bytes: missing.reduce(0) { $0 + $1.info.size })
        defer { progress.finish() }
        let root = self.root
        let kinds = linkKinds
        var start = 0
        while start < missing.count {
            let slice = Array(missing[start..<min(missing.count, start + Self.ingestBatchSize)])
            let batch = cache.beginBatch()
            do throws(YardError) {
                try ParallelWork.forEach(slice.count) { index throws(YardError) in
                    let file = slice[index]
                    try batch.stageFile(root + "/" + file.relative, digest: file.digest, expected: file.info,
                                        kinds: kinds, displayPath: file.relative)
                    progress.advance(files: 1, bytes: file.info.size)
                }
                try batch.commit()
            } catch {
                batch.discard()
                throw error
            }
            start += slice.count
        }
        let batch = cache.beginBatch()
        var newNodes = 0
        do throws(YardError) {
            for node in nodes.reversed() where !cache.contains(node.digest) {  // root is first: stage it last
                try batch.stageBytes(node.bytes, digest: node.digest)
                newNodes += 1
            }
            try batch.commit()
        } catch {
            batch.discard()
            throw error
        }
        return missing.count + newNodes
    }
}
