import Crypto
import Dispatch
import Foundation
import YardCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Streaming SHA-256 of one file. Memory stays bounded whatever the size, and a file that changes while
/// it is read is reported instead of being recorded under a digest of bytes that never existed together.
public enum FileHasher {
    /// Files at least this big are read on a second thread while this one hashes, so the single-stream
    /// rate is the hash's, not hash plus copy-from-page-cache. SHA-256 cannot be split within a file.
    static let pipelineThreshold: Int64 = 32 << 20
    static let smallBufferSize = 1 << 20
    static let pipelineBufferSize = 8 << 20

    /// Hashes the file at `path` and returns the digest with the metadata it had while being read.
    public static func hash(_ path: String, displayPath: String? = nil) throws(YardError) -> (ContentDigest, FileInfo) {
        let shown = displayPath ?? path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            if errno == ENOENT { throw YardError.notFound("'\(shown)' does not exist; check the path.") }
            throw YardError(.internalError, "Cannot read '\(shown)': \(FileSystem.lastError)")
        }
        defer { close(descriptor) }
        guard let before = FileSystem.info(descriptor: descriptor) else {
            throw YardError(.internalError, "Cannot read '\(shown)': \(FileSystem.lastError)")
        }
        #if canImport(Glibc)
        posix_fadvise(descriptor, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
        #endif
        var hasher = SHA256()
        let total = before.size >= pipelineThreshold
            ? try pipelinedRead(descriptor, into: &hasher, shown: shown)
            : try simpleRead(descriptor, size: before.size, into: &hasher, shown: shown)
        // A writer that appended, truncated or rewrote the file (new mtime) or replaced it (new inode at
        // the path) while we read means the digest describes no real state of the file.
        guard total == before.size, let after = FileSystem.info(descriptor: descriptor), after.looksUnchanged(from: before),
              let atPath = FileSystem.info(path), atPath.looksUnchanged(from: before) else {
            throw changedWhileHashing(shown)
        }
        return (ContentDigest(hasher.finalize()), before)
    }

    static func changedWhileHashing(_ shown: String) -> YardError {
        YardError(.invalidState, "'\(shown)' changed while it was being hashed; nothing was recorded. Wait until whatever writes it has finished, then run the command again.")
    }

    private static func simpleRead(_ descriptor: Int32, size: Int64, into hasher: inout SHA256, shown: String) throws(YardError) -> Int64 {
        let capacity = Int(min(Int64(smallBufferSize), max(size + 1, 4096)))
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
        defer { buffer.deallocate() }
        var total: Int64 = 0
        while true {
            let count = read(descriptor, buffer.baseAddress, capacity)
            if count < 0 {
                if errno == EINTR { continue }
                throw YardError(.internalError, "Cannot read '\(shown)': \(FileSystem.lastError)")
            }
            if count == 0 { return total }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            total += Int64(count)
        }
    }

    /// Three buffers rotate between a reader thread and this hashing thread.
    private static func pipelinedRead(_ descriptor: Int32, into hasher: inout SHA256, shown: String) throws(YardError) -> Int64 {
        let ring = BufferRing(count: 3, size: pipelineBufferSize)
        DispatchQueue.global(qos: .userInitiated).async {
            ring.fill(from: descriptor)
        }
        var total: Int64 = 0
        var index = 0
        while true {
            let count = ring.takeFilled(index)
            if count < 0 {
                ring.finish()
                throw YardError(.internalError, "Cannot read '\(shown)': \(String(cString: strerror(Int32(-count))))")
            }
            if count == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: ring.buffers[index][0..<count]))
            total += Int64(count)
            ring.release(index)
            index = (index + 1) % ring.buffers.count
        }
        ring.finish()
        return total
    }
}

/// Buffers handed between the reader and the hasher by two semaphores; the semaphores also order the
/// memory accesses, so each buffer is touched by one thread at a time.
private final class BufferRing: @unchecked Sendable {
    let buffers: [UnsafeMutableRawBufferPointer]
    private var lengths: [Int]
    private let free: DispatchSemaphore
    private let filled = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    private let stopLock = NSLock()
    private var stopped = false

    init(count: Int, size: Int) {
        buffers = (0..<count).map { _ in UnsafeMutableRawBufferPointer.allocate(byteCount: size, alignment: 4096) }
        lengths = Array(repeating: 0, count: count)
        free = DispatchSemaphore(value: count)
    }

    deinit {
        for buffer in buffers { buffer.deallocate() }
    }

    /// Reader side: fills buffers in turn until end of file (length 0) or an error (minus errno).
    func fill(from descriptor: Int32) {
        var index = 0
        while true {
            free.wait()
            if isStopped { break }
            let buffer = buffers[index]
            var length = 0
            while length < buffer.count {
                let count = read(descriptor, buffer.baseAddress! + length, buffer.count - length)
                if count < 0 {
                    if errno == EINTR { continue }
                    length = -Int(errno)
                    break
                }
                if count == 0 { break }
                length += count
            }
            lengths[index] = length
            filled.signal()
            if length <= 0 { break }
            index = (index + 1) % buffers.count
        }
        done.signal()
    }

    func takeFilled(_ index: Int) -> Int {
        filled.wait()
        return lengths[index]
    }

    func release(_ index: Int) {
        free.signal()
    }

    /// Stops the reader and waits for it, so the descriptor and buffers outlive every read.
    func finish() {
        stopLock.lock()
        stopped = true
        stopLock.unlock()
        free.signal()
        done.wait()
    }

    private var isStopped: Bool {
        stopLock.lock()
        defer { stopLock.unlock() }
        return stopped
    }
}
