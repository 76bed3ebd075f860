import Foundation
import YardCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `.yard/tmp/lock`, taken with flock(2): commands that put objects into the cache or read them out (add,
/// checkout, fetch, push) hold it shared, so they run side by side; gc holds it exclusively, so it never
/// deletes an object an add has just written but not yet recorded in a pointer file. The kernel drops the
/// lock when the process exits, even after kill -9, so a stale lock file is harmless.
public final class RepositoryLock: Sendable {
    public enum Mode: Sendable { case shared, exclusive }

    private let descriptor: Int32
    public let path: String

    private init(descriptor: Int32, path: String) {
        self.descriptor = descriptor
        self.path = path
    }

    /// Takes the lock. `wait: false` fails after about two seconds with a message naming the lock when another process
    /// (or another open of it in this process) holds a conflicting lock; `wait: true` blocks until it is free.
    public static func acquire(_ mode: Mode, in yardDirectory: String, wait: Bool, command: String) throws(YardError) -> RepositoryLock {
        let folder = yardDirectory + "/tmp"
        let path = folder + "/lock"
        if !FileSystem.exists(folder) { try FileSystem.createDirectory(folder) }
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw YardError(.internalError, "Cannot open the repository lock \(path): \(FileSystem.lastError). Check that .yard/tmp is writable.")
        }
        let kind = mode == .shared ? LOCK_SH : LOCK_EX
        var result = flock(descriptor, kind | LOCK_NB)
        // A brief grace period before giving up: a command that is just finishing (or a child process
        // between fork and exec, which shares the open lock until exec closes it) lets go within moments.
        var attempts = 0
        while result != 0 && (errno == EINTR || (errno == EWOULDBLOCK && !wait && attempts < 40)) {
            if errno == EWOULDBLOCK { attempts += 1; usleep(50_000) }
            result = flock(descriptor, kind | LOCK_NB)
        }
        if result != 0 && errno == EWOULDBLOCK && wait {
            // Only gc holds the lock exclusively, and it is short: say why nothing seems to happen, then wait.
            FileHandle.standardError.write(Data("yard data \(command): waiting for a running `yard data gc` to finish (\(path))...\n".utf8))
            repeat { result = flock(descriptor, kind) } while result != 0 && errno == EINTR
        }
        if result != 0 {
            let busy = errno == EWOULDBLOCK
            let reason = FileSystem.lastError
            close(descriptor)
            if busy {
                throw YardError(.invalidState, "The repository is busy: another yard command (add, checkout, pull, fetch, push or gc) is running in it and holds \(path). `yard data \(command)` did nothing; run it again when that command has finished.")
            }
            throw YardError(.internalError, "Cannot lock \(path): \(reason).")
        }
        return RepositoryLock(descriptor: descriptor, path: path)
    }

    /// An exclusive lock of its own (`.yard/tmp/<name>.lock`) for commands that must not run twice at
    /// once; fails at once with `busy` when another process holds it.
    public static func acquireNamed(_ name: String, in yardDirectory: String, busy: String) throws(YardError) -> RepositoryLock {
        let folder = yardDirectory + "/tmp"
        let path = folder + "/" + name + ".lock"
        if !FileSystem.exists(folder) { try FileSystem.createDirectory(folder) }
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw YardError(.internalError, "Cannot open the lock \(path): \(FileSystem.lastError). Check that .yard/tmp is writable.")
        }
        var result = flock(descriptor, LOCK_EX | LOCK_NB)
        while result != 0 && errno == EINTR { result = flock(descriptor, LOCK_EX | LOCK_NB) }
        guard result == 0 else {
            close(descriptor)
            throw YardError(.invalidState, busy)
        }
        return RepositoryLock(descriptor: descriptor, path: path)
    }

    /// Releases the lock now (it is also released when this object goes away or the process ends).
    public func release() {
        flock(descriptor, LOCK_UN)
    }

    deinit {
        close(descriptor)  // releases the flock
    }
}

extension DataRepository {
    /// The repository lock; see `RepositoryLock`. Keep the result alive for as long as the lock is needed.
    public func lock(_ mode: RepositoryLock.Mode, wait: Bool = true, command: String) throws(YardError) -> RepositoryLock {
        try RepositoryLock.acquire(mode, in: yardDirectory, wait: wait, command: command)
    }
}
