import NIOCore
import YardCore

/// Where artifact bytes live: the server's local folder today, an S3-compatible bucket for scale-out.
/// Routes and services reach artifacts only through this protocol, never through file paths. Paths are
/// relative, `/`-separated, and validated by every implementation before use.
public protocol ArtifactStore: Sendable {
    /// For messages and logs: the folder or bucket URL.
    var displayName: String { get }
    /// The file or directory at `path`; nil when there is none.
    func entry(at path: String) async throws -> ArtifactEntry?
    /// Direct children of the directory at `path`, sorted by name; nil when the directory does not exist.
    func list(_ path: String) async throws -> [ArtifactEntry]?
    /// Streams `body` to `path`. Nothing is visible at `path` until every byte is durably stored; a failure,
    /// a cancelled request or a crash leaves the previous content (or nothing) in place. Returns the size.
    func write<Body: AsyncSequence>(_ path: String, from body: Body, limits: UploadLimits) async throws -> Int64
        where Body.Element == ByteBuffer
    /// The bytes at `path`, read as the consumer asks for them (never the whole object in memory).
    func read(_ path: String) async throws -> ArtifactDownload
    /// Deletes a file or a whole directory; a missing path is RESOURCE_DOES_NOT_EXIST.
    func delete(_ path: String) async throws
}

extension ArtifactStore {
    /// Stores a small in-memory artifact (a generated file, a test fixture).
    public func write(_ path: String, bytes: [UInt8], limits: UploadLimits = .unlimited) async throws {
        _ = try await write(path, from: SingleBuffer(buffer: ByteBuffer(bytes: bytes)), limits: limits)
    }

    /// Reads a whole artifact into memory; for small files only (documents, model metadata).
    public func readAll(_ path: String, upTo maximum: Int = 64 << 20) async throws -> [UInt8] {
        let download = try await read(path)
        if download.size > Int64(maximum) {
            throw YardError(.contentTooLarge, "'\(path)' is \(download.size) bytes; at most \(maximum) can be read at once.")
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Int(download.size))
        for try await chunk in download.chunks { bytes.append(contentsOf: chunk.readableBytesView) }
        return bytes
    }
}

/// How much one upload may write. Exceeding `maximumBytes` is CONTENT_TOO_LARGE (413); leaving less than
/// `minimumFreeBytes` free on the target disk is INSUFFICIENT_STORAGE (507). Both are checked before the
/// first byte (from the declared length) and again as bytes arrive.
public struct UploadLimits: Sendable, Equatable {
    public var maximumBytes: Int64
    public var minimumFreeBytes: Int64
    /// The Content-Length the client declared, when it did.
    public var declaredBytes: Int64?
    /// The server option that raises the cap, for the error message.
    public var option: String

    public init(maximumBytes: Int64, minimumFreeBytes: Int64, declaredBytes: Int64? = nil, option: String) {
        self.maximumBytes = maximumBytes
        self.minimumFreeBytes = minimumFreeBytes
        self.declaredBytes = declaredBytes
        self.option = option
    }

    public static let unlimited = UploadLimits(maximumBytes: .max, minimumFreeBytes: 0, option: "")

    public func tooLarge(_ path: String) -> YardError {
        YardError(.contentTooLarge,
                  "'\(path)' is larger than the server accepts (\(maximumBytes) bytes). Ask the operator to raise \(option), or split the file.")
    }

    public func checkDeclared(_ path: String) throws(YardError) {
        if let declaredBytes, declaredBytes > maximumBytes { throw tooLarge(path) }
    }

    /// Refuses (507) when writing `bytes` more to the disk holding `root` would leave less than the
    /// reserve free. `store` names what is being written to, for the message.
    public func checkFreeSpace(at root: String, needing bytes: Int64, store: String) throws(YardError) {
        guard minimumFreeBytes > 0, let free = DurableFiles.freeBytes(at: root) else { return }
        if free - bytes < minimumFreeBytes {
            throw YardError(.insufficientStorage,
                            "The \(store) has \(free) bytes free; accepting this upload would leave less than the \(minimumFreeBytes)-byte reserve (--min-free-disk). Free some space on the server or move the store to a larger disk.")
        }
    }
}

/// An artifact being downloaded: its size, and its bytes as a pull-driven sequence of chunks.
public struct ArtifactDownload: Sendable {
    public var size: Int64
    public var chunks: ArtifactByteStream

    public init(size: Int64, chunks: ArtifactByteStream) {
        self.size = size
        self.chunks = chunks
    }
}

/// Chunks produced one `next()` at a time, so a slow client slows the reader instead of filling memory.
public struct ArtifactByteStream: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer
    let next: @Sendable () async throws -> ByteBuffer?

    public init(next: @escaping @Sendable () async throws -> ByteBuffer?) {
        self.next = next
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let next: @Sendable () async throws -> ByteBuffer?
        public mutating func next() async throws -> ByteBuffer? { try await next() }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(next: next) }
}

/// One buffer as an async sequence, for writing in-memory bytes through the streaming API.
struct SingleBuffer: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let buffer: ByteBuffer

    struct AsyncIterator: AsyncIteratorProtocol {
        var buffer: ByteBuffer?
        mutating func next() async -> ByteBuffer? {
            defer { buffer = nil }
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(buffer: buffer) }
}
