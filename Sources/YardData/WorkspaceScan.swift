import Foundation
import YardBlobs
import YardCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file found under a tracked folder: its path inside that folder and its metadata. For a symbolic
/// link a `symlink` checkout placed, `linked` is the object it points to and `info` the object's metadata.
struct ScannedFile: Sendable {
    var path: String
    var info: FileInfo
    var linked: ContentDigest? = nil
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
    /// could not bring them back as they were. Folders of one level are read in parallel, each with one
    /// listing and an `fstatat` per file relative to the open folder (no full path walked per file).
    func scan(directory: String, display: String) throws(YardError) -> [ScannedFile] {
        let cache = self.cache
        var files: [ScannedFile] = []
        var level = [""]
        while !level.isEmpty {
            let folders = level
            let listed = try ParallelWork.map(folders.count) { index throws(YardError) in
                try Self.scanFolder(directory, folders[index], display: display, cache: cache)
            }
            level = []
            for part in listed {
                files.append(contentsOf: part.files)
                level.append(contentsOf: part.folders)
            }
        }
        return files
    }

    private static func scanFolder(_ directory: String, _ relative: String, display: String,
                                   cache: ObjectCache) throws(YardError) -> (files: [ScannedFile], folders: [String]) {
        let absolute = relative.isEmpty ? directory : directory + "/" + relative
        guard let handle = opendir(absolute) else {
            if errno == ENOENT { throw disappeared(display, relative) }
            throw YardError(.internalError, "Cannot list '\(display)/\(relative)': \(FileSystem.lastError)")
        }
        defer { closedir(handle) }
        let folder = dirfd(handle)
        var files: [ScannedFile] = []
        var folders: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name == "." || name == ".." || name.hasPrefix(DurableFiles.temporaryPrefix) { continue }
            let child = relative.isEmpty ? name : relative + "/" + name
            if Int32(entry.pointee.d_type) == Int32(DT_DIR) {
                folders.append(child)
                continue
            }
            var raw = stat()
            guard fstatat(folder, name, &raw, AT_SYMLINK_NOFOLLOW) == 0 else { throw disappeared(display, child) }
            let info = FileInfo(raw)
            switch info.kind {
            case .directory: folders.append(child)
            case .file: files.append(ScannedFile(path: child, info: info))
            case .symlink:
                // A link into the cache stands for the object: its size and mode are the object's.
                let path = directory + "/" + child
                guard let digest = cacheLinkDigest(path, cache: cache) else {
                    throw .invalid("'\(display)/\(child)' is a symbolic link; yard data tracks regular files only. Replace it with the file it points to, or move it out of '\(display)'.")
                }
                guard let followed = FileSystem.info(path, following: true) else { throw disappeared(display, child) }
                files.append(ScannedFile(path: child, info: followed, linked: digest))
            case .other:
                throw .invalid("'\(display)/\(child)' is not a regular file; move it out of '\(display)'.")
            }
        }
        return (files, folders)
    }

    private static func disappeared(_ display: String, _ child: String) -> YardError {
        YardError(.invalidState, "'\(display)/\(child)' disappeared while it was being read; nothing was recorded. Run the command again.")
    }

    /// Digests of files (paths relative to the repository root), from the state cache when the file is
    /// unchanged, hashed in parallel otherwise. Returns the digests and how many files were hashed.
    /// `linked` marks links a `symlink` checkout placed, whose digest is the object they point to.
    func digests(of files: [(relative: String, info: FileInfo)], linked: [ContentDigest?]? = nil, state: StateCache,
                 progress: any ProgressReporter) throws(YardError) -> (digests: [ContentDigest], hashed: Int) {
        let root = self.root
        let results = try ParallelWork.map(files.count) { index throws(YardError) -> (ContentDigest, Bool) in
            let file = files[index]
            if let digest = linked?[index] {
                progress.advance(files: 1, bytes: file.info.size)
                return (digest, false)  // a symlink checkout: the object's name is its digest (verify checks it)
            }
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
    /// `scanned` is the folder's listing when the caller already made it.
    func workspaceContent(of relative: String, state: StateCache, progress: any ProgressReporter,
                          phase: String = "Hashing", scanned: [ScannedFile]? = nil) throws(YardError) -> (content: WorkspaceContent, hashed: Int) {
        let absolute = self.absolute(relative)
        guard let info = FileSystem.info(absolute) else { return (.missing, 0) }
        switch info.kind {
        case .file:
            progress.start(phase, files: 1, bytes: info.size)
            defer { progress.finish() }
            let (digests, hashed) = try digests(of: [(relative, info)], state: state, progress: progress)
            return (.file(digest: digests[0], info: info), hashed)
        case .directory:
            let listing: [ScannedFile]
            if let scanned {
                listing = scanned
            } else {
                listing = try scan(directory: absolute, display: relative)
            }
            progress.start(phase, files: listing.count, bytes: listing.reduce(0) { $0 + $1.info.size })
            defer { progress.finish() }
            let (digests, hashed) = try digests(of: listing.map { (relative + "/" + $0.path, $0.info) }, linked: listing.map(\.linked),
                                                state: state, progress: progress)
            var entries: [TreeEntry] = []
            var infos: [String: FileInfo] = [:]
            entries.reserveCapacity(listing.count)
            infos.reserveCapacity(listing.count)
            for (file, digest) in zip(listing, digests) {
                entries.append(TreeEntry(path: file.path, digest: digest, size: file.info.size, isExecutable: file.info.isExecutable))
                infos[file.path] = file.info
            }
            return (.directory(entries: entries, infos: infos), hashed)
        case .symlink:
            guard let linked = Self.cacheLinkDigest(absolute, cache: cache), let followed = FileSystem.info(absolute, following: true) else {
                throw .invalid("'\(relative)' is a symbolic link; yard data tracks regular files and folders only.")
            }
            progress.start(phase, files: 1, bytes: followed.size)
            defer { progress.finish() }
            let (digests, hashed) = try digests(of: [(relative, followed)], linked: [linked], state: state, progress: progress)
            return (.file(digest: digests[0], info: followed), hashed)
        case .other:
            throw .invalid("'\(relative)' is not a regular file or folder.")
        }
    }

    func loadState() -> StateCache {
        StateCache(path: statePath)
    }
}
