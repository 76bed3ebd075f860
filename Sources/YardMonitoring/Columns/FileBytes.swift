import Dispatch
import Foundation

/// Small POSIX file helpers for the spill files (no Foundation buffering on the hot path).
enum FileBytes {
    static func append(_ bytes: [UInt8], to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard descriptor >= 0 else { throw failure("open", path) }
        defer { close(descriptor) }
        try bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw failure("write", path)
                }
                offset += written
            }
        }
    }

    static func readAll(_ path: String) throws -> [UInt8] {
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw failure("open", path) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw failure("stat", path) }
        let size = Int(info.st_size)
        var bytes = [UInt8](repeating: 0, count: size)
        var offset = 0
        try bytes.withUnsafeMutableBytes { raw in
            while offset < size {
                let count = read(descriptor, raw.baseAddress! + offset, size - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    throw failure("read", path)
                }
                if count == 0 { break }
                offset += count
            }
        }
        if offset < size { bytes.removeLast(size - offset) }
        return bytes
    }

    /// A fresh private directory under the system temporary directory (`TMPDIR`).
    static func makeTemporaryDirectory() throws -> String {
        var template = Array((FileManager.default.temporaryDirectory.path + "/yard-columns-XXXXXX").utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        guard made != nil else {
            throw DriftError("Cannot create a temporary directory for column files under \(FileManager.default.temporaryDirectory.path): \(String(cString: strerror(errno))). Set TMPDIR to a writable directory.")
        }
        return String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
    }

    static func failure(_ operation: String, _ path: String) -> DriftError {
        DriftError("Cannot \(operation) \(path): \(String(cString: strerror(errno))).")
    }
}

/// Runs blocking file and CPU work on a Dispatch worker, not on Swift's cooperative pool.
func runOffPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            continuation.resume(with: Result { try work() })
        }
    }
}
