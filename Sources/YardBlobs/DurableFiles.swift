import Foundation
import YardCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The small file-system layer every store that keeps bytes on disk shares (the artifact store and the
/// data cache): temporary names beside their destination, fsync of the file and then of its folder, and
/// rename into place, so a reader or a crash never sees half a file.
public enum DurableFiles {
    /// Every temporary file starts with this; listings hide such names and start-up sweeps stale ones.
    public static let temporaryPrefix = ".yard-tmp-"

    /// A fresh temporary path in `directory` (created with O_EXCL by the caller).
    public static func temporaryPath(in directory: String) -> String {
        directory + "/" + temporaryPrefix + UUID().uuidString
    }

    /// Writes all of `bytes`, retrying short writes and EINTR. False on any other error (errno is set).
    public static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }

    /// Makes a rename (or create, or unlink) in `directory` itself durable.
    public static func syncDirectory(_ directory: String) {
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }

    /// Writes a whole small file atomically: temp file, fsync, rename, fsync of the folder. With
    /// `durable: false` the fsyncs are skipped: readers and a killed process still see the old file or the
    /// new one, never half of it, but a power cut may lose the new one (for records that are cheap to redo).
    public static func writeAtomically(_ path: String, _ bytes: [UInt8], mode: mode_t = 0o644, durable: Bool = true) throws(YardError) {
        let writer = try AtomicFileWriter(destination: path, mode: mode)
        do {
            try bytes.withUnsafeBytes { buffer in try writer.append(buffer) }
            try writer.commit(durable: durable)
        } catch {
            writer.abort()
            throw (error as? YardError) ?? YardError(.internalError, "Saving '\(path)' failed: \(error)")
        }
    }

    /// Bytes available to an unprivileged writer on the file system holding `path`; nil if unknown.
    public static func freeBytes(at path: String) -> Int64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        let (bytes, overflow) = Int64(info.f_bavail).multipliedReportingOverflow(by: Int64(info.f_frsize))
        return overflow ? .max : bytes
    }

    /// Removes temporary files older than `age` seconds under `root` (left by killed uploads), walking
    /// the whole tree. Returns how many were removed.
    @discardableResult
    public static func sweepTemporaries(under root: String, olderThan age: TimeInterval) -> Int {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return 0 }
        let cutoff = Date().timeIntervalSince1970 - age
        var removed = 0
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            guard name.hasPrefix(temporaryPrefix) else { continue }
            let path = root + "/" + relative
            var info = stat()
            guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG,
                  TimeInterval(info.st_mtim.tv_sec) < cutoff else { continue }
            if unlink(path) == 0 { removed += 1 }
        }
        return removed
    }
}

/// A temporary file beside its destination, renamed over it only once fully written and fsynced.
public final class AtomicFileWriter: @unchecked Sendable {
    // Unchecked: a writer is used by one task at a time (one request or one worker); it is never shared.
    public let destination: String
    private let temporary: String
    private var descriptor: Int32
    public private(set) var bytesWritten: Int64 = 0

    public init(destination: String, mode: mode_t = 0o644) throws(YardError) {
        self.destination = destination
        self.temporary = DurableFiles.temporaryPath(in: (destination as NSString).deletingLastPathComponent)
        descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        if descriptor < 0 {
            throw YardError(.internalError, "Cannot create a temporary file for '\(destination)': \(String(cString: strerror(errno)))")
        }
    }

    public func append(_ bytes: UnsafeRawBufferPointer) throws(YardError) {
        guard DurableFiles.writeAll(descriptor, bytes) else {
            let reason = String(cString: strerror(errno))
            abort()
            throw YardError(.internalError, "Writing '\(destination)' failed: \(reason)")
        }
        bytesWritten += Int64(bytes.count)
    }

    public func commit(durable: Bool = true) throws(YardError) {
        guard descriptor >= 0 else { throw YardError(.internalError, "Write of '\(destination)' was aborted") }
        let synced = !durable || fsync(descriptor) == 0
        close(descriptor)
        descriptor = -1
        guard synced, rename(temporary, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw YardError(.internalError, "Saving '\(destination)' failed: \(reason)")
        }
        if durable { DurableFiles.syncDirectory((destination as NSString).deletingLastPathComponent) }
    }

    public func abort() {
        if descriptor >= 0 {
            close(descriptor)
            descriptor = -1
        }
        unlink(temporary)
    }

    deinit {
        abort()
    }
}
