import Foundation
import NIOCore
import YardCore

/// A file read in 1 MiB chunks as the upload consumes them, so memory stays flat for any object size.
public struct FileChunks: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    public let path: String

    public init(path: String) { self.path = path }

    public func makeAsyncIterator() -> Iterator { Iterator(path: path) }

    public final class Iterator: AsyncIteratorProtocol {
        private var descriptor: Int32

        public init(path: String) {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
        }

        public func next() async throws -> ByteBuffer? {
            guard descriptor >= 0 else { throw YardError(.internalError, "Cannot read a cache object: \(String(cString: strerror(errno)))") }
            var buffer = ByteBuffer()
            buffer.reserveCapacity(1 << 20)
            var readError: Int32 = 0
            let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 1 << 20) { pointer in
                let got = read(descriptor, pointer.baseAddress, pointer.count)
                if got < 0 { readError = errno }
                return Swift.max(0, got)
            }
            // A failed read must not pass for the end of the file: the upload would end short.
            guard readError == 0 else {
                throw YardError(.internalError, "Cannot read a cache object: \(String(cString: strerror(readError)))")
            }
            if count == 0 {
                close(descriptor)
                descriptor = -1
                return nil
            }
            return buffer
        }

        deinit {
            if descriptor >= 0 { close(descriptor) }
        }
    }
}
