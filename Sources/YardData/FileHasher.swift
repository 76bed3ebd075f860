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
/// The same single read can also write the bytes to a second file (the cache copy), so adding a file reads
/// it once.
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
        let digest = try digest(of: descriptor, before: before, copyingTo: nil, shown: shown)
        // A replaced file (new inode at the path) means the digest describes what is no longer there.
        guard let atPath = FileSystem.info(path), atPath.looksUnchanged(from: before) else {
            throw changedWhileHashing(shown)
        }
        return (digest, before)
    }

    /// Reads an open file from its start to its end once, hashing it and, with `output`, writing every byte
    /// there too. `before` is the file's metadata when it was opened: a writer that appended, truncated or
    /// rewrote it (new size or mtime) while it was read makes this throw.
    static func digest(of descriptor: Int32, before: FileInfo, copyingTo output: Int32?, shown: String) throws(YardError) -> ContentDigest {
        var hasher = SHA256()
        let total: Int64
        if before.size >= pipelineThreshold {
            #if canImport(Glibc)
            posix_fadvise(descriptor, 0, 0, Int32(POSIX_FADV_SEQUENTIAL))
            #endif
            total = try pipelinedRead(descriptor, into: &hasher, copyingTo: output, shown: shown)
        } else {
            total = try simpleRead(descriptor, size: before.size, into: &hasher, copyingTo: output, shown: shown)
        }
        guard total == before.size, let after = FileSystem.info(descriptor: descriptor), after.looksUnchanged(from: before) else {
            throw changedWhileHashing(shown)
        }
        return ContentDigest(hasher.finalize())
    }

    static func changedWhileHashing(_ shown: String) -> YardError {
        YardError(.invalidState, "'\(shown)' changed while it was being hashed; nothing was recorded. Wait until whatever writes it has finished, then run the command again.")
    }

    static func writeFailed(_ shown: String, _ code: Int32) -> YardError {
        YardError(code == ENOSPC || code == EDQUOT ? .invalidState : .internalError,
                  "Cannot copy '\(shown)' into the cache: \(String(cString: strerror(code))).")
    }

    /// A regular file's read returns fewer bytes than asked only at its end, so a file read whole in one
    /// call needs no second read to see the end (the size check after the read catches a file that grew).
    private static func simpleRead(_ descriptor: Int32, size: Int64, into hasher: inout SHA256, copyingTo output: Int32?,
                                   shown: String) throws(YardError) -> Int64 {
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
            let chunk = UnsafeRawBufferPointer(rebasing: buffer[0..<count])
            hasher.update(bufferPointer: chunk)
            if let output, !FileSystem.writeAll(output, chunk) { throw writeFailed(shown, errno) }
            total += Int64(count)
            if count < capacity && total == size { return total }
        }
    }

    /// Three buffers rotate between a reader thread (which also writes the copy) and this hashing thread.
    private static func pipelinedRead(_ descriptor: Int32, into hasher: inout SHA256, copyingTo output: Int32?,
                                      shown: String) throws(YardError) -> Int64 {
        let ring = BufferRing(count: 3, size: pipelineBufferSize)
        DispatchQueue.global(qos: .userInitiated).async {
            ring.fill(from: descriptor, copyingTo: output)
        }
        var total: Int64 = 0
        var index = 0
        while true {
            let count = ring.takeFilled(index)
            if count < 0 {
                ring.finish()
                if let failure = ring.writeError { throw writeFailed(shown, failure) }
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

    /// Set when writing the copy failed (the reader then reports minus that errno as the length).
    private(set) var writeError: Int32?

    /// Reader side: fills buffers in turn until end of file (length 0) or an error (minus errno). With
    /// `output`, each buffer is also written there before the hasher gets it, and the kernel is asked to
    /// start writing it to disk at once, so the final data sync has little left to wait for.
    func fill(from descriptor: Int32, copyingTo output: Int32?) {
        var index = 0
        var offset: Int64 = 0
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
            if let output, length > 0 {
                if FileSystem.writeAll(output, UnsafeRawBufferPointer(rebasing: buffer[0..<length])) {
                    FileSystem.startWriteback(output, offset: offset, length: Int64(length))
                    offset += Int64(length)
                } else {
                    writeError = errno
                    length = -Int(errno)
                }
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
