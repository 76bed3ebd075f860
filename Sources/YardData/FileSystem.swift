import Foundation
import YardBlobs
import YardCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `lstat` says about a path, reduced to what versioning needs. (inode, size, mtime) is the
/// state cache's key: if all three are unchanged, the bytes are taken to be unchanged.
public struct FileInfo: Sendable, Equatable {
    public enum Kind: Sendable { case file, directory, symlink, other }
    public var kind: Kind
    public var inode: UInt64
    public var size: Int64
    public var modifiedNanoseconds: Int64
    public var mode: UInt32
    /// The file system holding the file (what a clone into the cache depends on).
    public var device: UInt64

    public var isExecutable: Bool { mode & 0o100 != 0 }

    init(_ info: stat) {
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .file
        case S_IFDIR: kind = .directory
        case S_IFLNK: kind = .symlink
        default: kind = .other
        }
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        #if canImport(Darwin)
        modifiedNanoseconds = Int64(info.st_mtimespec.tv_sec) * 1_000_000_000 + Int64(info.st_mtimespec.tv_nsec)
        #else
        modifiedNanoseconds = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        #endif
        mode = UInt32(info.st_mode)
        device = UInt64(info.st_dev)
    }

    /// Same bytes as far as metadata can tell.
    func looksUnchanged(from other: FileInfo) -> Bool {
        inode == other.inode && size == other.size && modifiedNanoseconds == other.modifiedNanoseconds
    }
}

/// Thin, throwing wrappers over the POSIX calls the data layer needs. Foundation's FileManager costs
/// several allocations per call, which matters at 100,000 files.
public enum FileSystem {
    public static func info(_ path: String) -> FileInfo? {
        var raw = stat()
        guard lstat(path, &raw) == 0 else { return nil }
        return FileInfo(raw)
    }

    /// With `following`, what a symbolic link points to (stat) instead of the link itself (lstat).
    public static func info(_ path: String, following: Bool) -> FileInfo? {
        guard following else { return info(path) }
        var raw = stat()
        guard stat(path, &raw) == 0 else { return nil }
        return FileInfo(raw)
    }

    static func info(descriptor: Int32) -> FileInfo? {
        var raw = stat()
        guard fstat(descriptor, &raw) == 0 else { return nil }
        return FileInfo(raw)
    }

    public static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    static var lastError: String { String(cString: strerror(errno)) }

    public static func createDirectory(_ path: String) throws(YardError) {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw YardError(.internalError, "Cannot create the folder '\(path)': \(error.localizedDescription)")
        }
    }

    public static func readFile(_ path: String) throws(YardError) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw YardError(errno == ENOENT ? .resourceDoesNotExist : .internalError, "Cannot read '\(path)': \(lastError)")
        }
        defer { close(descriptor) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw YardError(.internalError, "Cannot read '\(path)': \(lastError)")
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return bytes
    }

    /// Writes a small file atomically and durably (the shared layer in YardBlobs: temporary file, fsync,
    /// rename, fsync of the folder), so the data cache and the artifact store keep one implementation.
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644, durable: Bool = true) throws(YardError) {
        try DurableFiles.writeAtomically(path, bytes, mode: mode, durable: durable)
    }

    /// Reads an open file to its end in 1 MiB chunks, handing each to `body`.
    static func readChunks(_ descriptor: Int32, path: String,
                           _ body: (UnsafeRawBufferPointer) throws(YardError) -> Void) throws(YardError) {
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            if count < 0 {
                if errno == EINTR { continue }
                throw YardError(.internalError, "Cannot read '\(path)': \(lastError)")
            }
            if count == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
        }
    }

    static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        DurableFiles.writeAll(descriptor, bytes)
    }

    static func syncDirectory(_ directory: String) {
        DurableFiles.syncDirectory(directory)
    }

    /// Makes a file's bytes (and the metadata needed to read them back) durable. Called on worker threads
    /// per new object: its cost is this file's, unlike `syncfs`, which also waits for every other program's
    /// dirty pages on the same file system.
    static func syncData(_ descriptor: Int32) -> Bool {
        #if canImport(Glibc)
        while fdatasync(descriptor) != 0 {
            if errno != EINTR { return false }
        }
        #else
        while fsync(descriptor) != 0 {
            if errno != EINTR { return false }
        }
        #endif
        return true
    }

    /// What publishing a file under a name did.
    enum Publication { case created, alreadyPresent, failed }

    /// Renames `source` to `destination` unless `destination` exists, in which case `source` is removed:
    /// content-addressed names never need replacing, and the outcome tells new objects from present ones
    /// without probing the name first. Where renameat2 is missing the rename replaces (same bytes).
    static func publish(_ source: String, as destination: String) -> Publication {
        #if canImport(Glibc)
        if let renameAt2 = LinuxCalls.renameAt2 {
            let atWorkingDirectory: Int32 = -100  // AT_FDCWD
            if renameAt2(atWorkingDirectory, source, atWorkingDirectory, destination, LinuxCalls.renameNoReplace) == 0 { return .created }
            if errno == EEXIST {
                unlink(source)
                return .alreadyPresent
            }
            if errno != EINVAL && errno != ENOSYS { return .failed }  // else: the file system lacks the flag
        }
        #endif
        return rename(source, destination) == 0 ? .created : .failed
    }

    /// Asks the kernel to start writing a range of a file to disk now, without waiting (Linux only; a
    /// no-op elsewhere). A big copy then streams to disk while it is being made.
    static func startWriteback(_ descriptor: Int32, offset: Int64, length: Int64) {
        #if canImport(Glibc)
        if let syncFileRange = LinuxCalls.syncFileRange {
            _ = syncFileRange(descriptor, offset, length, LinuxCalls.syncFileRangeWrite)
        }
        #endif
    }

    public static func nowNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// Names in a directory (no `.` or `..`), with the type readdir reports when the file system knows it.
    public static func list(_ directory: String) throws(YardError) -> [(name: String, kind: FileInfo.Kind?)] {
        guard let handle = opendir(directory) else {
            throw YardError(errno == ENOENT ? .resourceDoesNotExist : .internalError, "Cannot list '\(directory)': \(lastError)")
        }
        defer { closedir(handle) }
        var names: [(String, FileInfo.Kind?)] = []
        while let entry = readdir(handle) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name == "." || name == ".." { continue }
            let kind: FileInfo.Kind?
            switch Int32(entry.pointee.d_type) {
            case Int32(DT_REG): kind = .file
            case Int32(DT_DIR): kind = .directory
            case Int32(DT_LNK): kind = .symlink
            case Int32(DT_UNKNOWN): kind = nil
            default: kind = .other
            }
            names.append((name, kind))
        }
        return names
    }

    /// Removes a file or a whole tree; a missing path is not an error.
    public static func remove(_ path: String) {
        if let info = info(path), info.kind == .directory {
            try? FileManager.default.removeItem(atPath: path)
        } else {
            unlink(path)
        }
    }
}
