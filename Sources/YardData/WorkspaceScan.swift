import Foundation
import YardBlobs
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
    /// The object a symbolic link placed by a `symlink` checkout points to, or nil for any other path.
    static func cacheLinkDigest(_ absolute: String, cache: ObjectCache) -> ContentDigest? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let count = readlink(absolute, &buffer, buffer.count - 1)
        guard count > 0 else { return nil }
        let target = String(decoding: buffer[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard target.hasPrefix(cache.root + "/") else { return nil }
        let name = target.dropFirst(cache.root.count + 1)
        guard name.utf8.count == 65, name.dropFirst(2).first == "/",
              let digest = ContentDigest(name.prefix(2) + name.dropFirst(3)), cache.path(for: digest) == target else { return nil }
        return digest
    }

    /// Lists every regular file under `directory`, recursively. Symbolic links (other than those a
    /// `symlink` checkout placed, pointing at cache objects) and special files are refused: a checkout
    /// could not bring them back as they were.
    func scan(directory: String, display: String) throws(YardError) -> [ScannedFile] {
        let cache = self.cache
        var paths: [String] = []
        var pending = [""]
        while let relative = pending.popLast() {
            let absolute = relative.isEmpty ? directory : directory + "/" + relative
            for (name, listedKind) in try FileSystem.list(absolute) {
                if name.hasPrefix(DurableFiles.temporaryPrefix) { continue }
                let child = relative.isEmpty ? name : relative + "/" + name
                let kind = listedKind ?? FileSystem.info(directory + "/" + child)?.kind
                switch kind {
                case .directory: pending.append(child)
                case .file: paths.append(child)
                case .symlink where Self.cacheLinkDigest(directory + "/" + child, cache: cache) != nil:
                    paths.append(child)
                case .symlink:
                    throw .invalid("'\(display)/\(child)' is a symbolic link; yard data tracks regular files only. Replace it with the file it points to, or move it out of '\(display)'.")
                default:
                    throw .invalid("'\(display)/\(child)' is not a regular file; move it out of '\(display)'.")
                }
            }
        }
        let found = paths
        let infos = try ParallelWork.map(found.count) { index throws(YardError) -> FileInfo in
            let path = directory + "/" + found[index]
            // A link into the cache stands for the object: its size and mode are the object's.
            guard let lstatInfo = FileSystem.info(path),
                  let info = lstatInfo.kind == .symlink ? FileSystem.info(path, following: true) : lstatInfo else {
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
        let cache = self.cache
        let results = try ParallelWork.map(files.count) { index throws(YardError) -> (ContentDigest, Bool) in
            let file = files[index]
            if let known = state.digest(for: file.relative, info: file.info) {
                progress.advance(files: 1, bytes: file.info.size)
                return (known, false)
            }
            if let linked = Self.cacheLinkDigest(root + "/" + file.relative, cache: cache) {
                progress.advance(files: 1, bytes: file.info.size)
                return (linked, false)  // a symlink checkout: the object's name is its digest (verify checks it)
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
            let scanned = try scan(directory: absolute, display: relative)
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
            guard Self.cacheLinkDigest(absolute, cache: cache) != nil, let followed = FileSystem.info(absolute, following: true) else {
                throw .invalid("'\(relative)' is a symbolic link; yard data tracks regular files and folders only.")
            }
            progress.start(phase, files: 1, bytes: followed.size)
            defer { progress.finish() }
            let (digests, hashed) = try digests(of: [(relative, followed)], state: state, progress: progress)
            return (.file(digest: digests[0], info: followed), hashed)
        case .other:
            throw .invalid("'\(relative)' is not a regular file or folder.")
        }
    }

    func loadState() -> StateCache {
        StateCache(path: statePath)
    }
}
