import Foundation
import YardCore

/// A file found under a tracked folder: its path inside that folder and its metadata.
struct ScannedFile: Sendable {
    var path: String
    var info: FileInfo
}

/// What a tracked path holds in the work tree right now.
enum WorkspaceContent: Sendable {
    case missing
    case file(digest: ContentDigest, info: FileInfo)
    case directory(entries: [TreeEntry], infos: [String: FileInfo])
}

extension DataRepository {
    /// Lists every regular file under `directory`, recursively. Symbolic links and special files are
    /// refused: a checkout could not bring them back as they were.
    static func scan(directory: String, display: String) throws(YardError) -> [ScannedFile] {
        var paths: [String] = []
        var pending = [""]
        while let relative = pending.popLast() {
            let absolute = relative.isEmpty ? directory : directory + "/" + relative
            for (name, listedKind) in try FileSystem.list(absolute) {
                if name.hasPrefix(".yard-tmp-") { continue }
                let child = relative.isEmpty ? name : relative + "/" + name
                let kind = listedKind ?? FileSystem.info(directory + "/" + child)?.kind
                switch kind {
                case .directory: pending.append(child)
                case .file: paths.append(child)
                case .symlink:
                    throw .invalid("'\(display)/\(child)' is a symbolic link; yard data tracks regular files only. Replace it with the file it points to, or move it out of '\(display)'.")
                default:
                    throw .invalid("'\(display)/\(child)' is not a regular file; move it out of '\(display)'.")
                }
            }
        }
        let found = paths
        let infos = try ParallelWork.map(found.count) { index throws(YardError) -> FileInfo in
            guard let info = FileSystem.info(directory + "/" + found[index]) else {
                throw YardError(.invalidState, "'\(display)/\(found[index])' disappeared while it was being read; nothing was recorded. Run the command again.")
            }
            return info
        }
        return zip(paths, infos).map { ScannedFile(path: $0, info: $1) }
    }

    /// Digests of files (paths relative to the repository root), from the state cache when the file is
    /// unchanged, hashed in parallel otherwise. Returns the digests and how many files were hashed.
    func digests(of files: [(relative: String, info: FileInfo)], state: StateCache,
                 progress: any ProgressReporter) throws(YardError) -> (digests: [ContentDigest], hashed: Int) {
        let root = self.root
        let results = try ParallelWork.map(files.count) { index throws(YardError) -> (ContentDigest, Bool) in
            let file = files[index]
            if let known = state.digest(for: file.relative, info: file.info) {
                progress.advance(files: 1, bytes: file.info.size)
                return (known, false)
            }
            let started = FileSystem.nowNanoseconds()
            let (digest, info) = try FileHasher.hash(root + "/" + file.relative, displayPath: file.relative)
            guard info.looksUnchanged(from: file.info) else { throw FileHasher.changedWhileHashing(file.relative) }
            state.record(file.relative, info: info, digest: digest, hashedAt: started)
            progress.advance(files: 1, bytes: file.info.size)
            return (digest, true)
        }
        return (results.map(\.0), results.reduce(0) { $0 + ($1.1 ? 1 : 0) })
    }

    /// Reads the current content of a tracked path (relative to the root), hashing only what changed.
    func workspaceContent(of relative: String, state: StateCache, progress: any ProgressReporter,
                          phase: String = "Hashing") throws(YardError) -> (content: WorkspaceContent, hashed: Int) {
        let absolute = self.absolute(relative)
        guard let info = FileSystem.info(absolute) else { return (.missing, 0) }
        switch info.kind {
        case .file:
            progress.start(phase, files: 1, bytes: info.size)
            defer { progress.finish() }
            let (digests, hashed) = try digests(of: [(relative, info)], state: state, progress: progress)
            return (.file(digest: digests[0], info: info), hashed)
        case .directory:
            let scanned = try Self.scan(directory: absolute, display: relative)
            progress.start(phase, files: scanned.count, bytes: scanned.reduce(0) { $0 + $1.info.size })
            defer { progress.finish() }
            let (digests, hashed) = try digests(of: scanned.map { (relative + "/" + $0.path, $0.info) }, state: state, progress: progress)
            var entries: [TreeEntry] = []
            var infos: [String: FileInfo] = [:]
            entries.reserveCapacity(scanned.count)
            infos.reserveCapacity(scanned.count)
            for (file, digest) in zip(scanned, digests) {
                entries.append(TreeEntry(path: file.path, digest: digest, size: file.info.size, isExecutable: file.info.isExecutable))
                infos[file.path] = file.info
            }
            return (.directory(entries: entries, infos: infos), hashed)
        case .symlink:
            throw .invalid("'\(relative)' is a symbolic link; yard data tracks regular files and folders only.")
        case .other:
            throw .invalid("'\(relative)' is not a regular file or folder.")
        }
    }

    func loadState() -> StateCache {
        StateCache(path: statePath)
    }
}
