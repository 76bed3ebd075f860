import Foundation
import NIOCore
import NIOPosix
import YardCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public struct ArtifactEntry: Sendable, Equatable {
    public var name: String
    public var isDirectory: Bool
    public var size: Int64?

    public init(name: String, isDirectory: Bool, size: Int64?) {
        self.name = name
        self.isDirectory = isDirectory
        self.size = size
    }
}

/// Artifacts kept in a local folder. Every user-given path is checked when it is decoded (`validate`) and
/// again where it is used (`resolve` confirms the real location, symbolic links followed, lies under the
/// root); every write lands in a temporary file that is fsynced and renamed into place (`DurableFiles`).
/// The blocking system calls run on NIO's thread pool, never on Swift's cooperative pool.
public struct LocalArtifactStore: ArtifactStore {
    public let root: String
    private let threads: NIOThreadPool

    public init(root: String, threads: NIOThreadPool = .singleton) throws {
        let absolute = URL(fileURLWithPath: root).standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: absolute, withIntermediateDirectories: true)
        self.root = absolute
        self.threads = threads
    }

    /// A store over a folder that may not exist yet, for reading only: listing a run's local artifact
    /// folder must not create it.
    public init(readingFrom root: String, threads: NIOThreadPool = .singleton) {
        self.root = URL(fileURLWithPath: root).standardizedFileURL.path
        self.threads = threads
    }

    public var displayName: String { root }

    // MARK: ArtifactStore

    public func entry(at path: String) async throws -> ArtifactEntry? {
        try await threads.runIfActive { try self.blockingEntry(at: path) }
    }

    public func list(_ path: String) async throws -> [ArtifactEntry]? {
        try await threads.runIfActive { try self.blockingList(path) }
    }

    public func write<Body: AsyncSequence>(_ path: String, from body: Body, limits: UploadLimits) async throws -> Int64
        where Body.Element == ByteBuffer {
        try limits.checkDeclared(path)
        let writer = try await threads.runIfActive { () throws -> AtomicFileWriter in
            try limits.checkFreeSpace(at: self.root, needing: limits.declaredBytes ?? 0, store: "artifact store")
            return try self.beginWrite(path)
        }
        do {
            var sinceSpaceCheck: Int64 = 0
            for try await buffer in body {
                let size = Int64(buffer.readableBytes)
                if writer.bytesWritten + size > limits.maximumBytes { throw limits.tooLarge(path) }
                sinceSpaceCheck += size
                let checkSpace = sinceSpaceCheck >= Self.spaceCheckInterval
                if checkSpace { sinceSpaceCheck = 0 }
                try await threads.runIfActive {
                    if checkSpace { try limits.checkFreeSpace(at: self.root, needing: 0, store: "artifact store") }
                    try buffer.withUnsafeReadableBytes { bytes throws(YardError) in try writer.append(bytes) }
                }
            }
            try await threads.runIfActive { try writer.commit() }
        } catch {
            writer.abort()
            throw error
        }
        return writer.bytesWritten
    }

    public func read(_ path: String) async throws -> ArtifactDownload {
        let file = try await threads.runIfActive { () throws -> OpenFile in
            let absolute = try self.resolve(path)
            let descriptor = open(absolute, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw YardError.notFound("No such artifact: '\(path)'") }
            var info = stat()
            guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
                close(descriptor)
                throw YardError.invalid("'\(path)' is a directory; list it instead of downloading it")
            }
            return OpenFile(descriptor: descriptor, size: Int64(info.st_size))
        }
        let threads = self.threads
        return ArtifactDownload(size: file.size, chunks: ArtifactByteStream {
            try await threads.runIfActive { try file.nextChunk() }
        })
    }

    public func delete(_ path: String) async throws {
        try await threads.runIfActive { try self.blockingDelete(path) }
    }

    // MARK: Paths

    /// Validates a relative artifact path and returns its absolute location under the root, after
    /// confirming that the deepest part of it that exists really lies inside the root (a symbolic link
    /// planted in the tree cannot lead a write or a read outside).
    public func resolve(_ relativePath: String) throws(YardError) -> String {
        try Self.validate(relativePath)
        let trimmed = relativePath.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
        let absolute = trimmed.isEmpty ? root : root + "/" + trimmed
        try confirmInsideRoot(absolute)
        return absolute
    }

    /// Rejects `..` segments, absolute paths, backslashes, NUL and percent-encoded separators: MLflow answers all with "Invalid path".
    public static func validate(_ relativePath: String) throws(YardError) {
        if relativePath.hasPrefix("/") || relativePath.contains("\\") || relativePath.contains("\0") {
            throw .invalid("Invalid path")
        }
        let lowered = relativePath.lowercased()
        if lowered.contains("%2f") || lowered.contains("%5c") || lowered.contains("%2e%2e") {
            throw .invalid("Invalid path")
        }
        for segment in relativePath.split(separator: "/", omittingEmptySubsequences: false) where segment == ".." {
            throw .invalid("Invalid path")
        }
        if relativePath.range(of: "^[A-Za-z]:", options: .regularExpression) != nil {
            throw .invalid("Invalid path")
        }
    }

    private func confirmInsideRoot(_ absolute: String) throws(YardError) {
        guard let realRoot = Self.realPath(root) else { return }  // a reading store over a missing folder
        var probe = absolute
        while Self.realPath(probe) == nil, probe.count > root.count {
            probe = (probe as NSString).deletingLastPathComponent
        }
        guard let real = Self.realPath(probe) else { return }
        if real != realRoot && !real.hasPrefix(realRoot + "/") {
            throw .invalid("Invalid path")
        }
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    // MARK: Blocking work (runs on the thread pool)

    private static let spaceCheckInterval: Int64 = 64 << 20

    func blockingEntry(at relativePath: String) throws(YardError) -> ArtifactEntry? {
        let path = try resolve(relativePath)
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
        return ArtifactEntry(name: (path as NSString).lastPathComponent, isDirectory: isDirectory,
                             size: isDirectory ? nil : Int64(info.st_size))
    }

    func blockingList(_ relativeDirectory: String) throws(YardError) -> [ArtifactEntry]? {
        let path = try resolve(relativeDirectory)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return nil }
        var entries: [ArtifactEntry] = []
        for name in names.sorted() where !name.hasPrefix(DurableFiles.temporaryPrefix) {
            var info = stat()
            guard stat(path + "/" + name, &info) == 0 else { continue }
            let isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
            entries.append(ArtifactEntry(name: name, isDirectory: isDirectory, size: isDirectory ? nil : Int64(info.st_size)))
        }
        return entries
    }

    /// Starts an atomic write; nothing is visible at the path until `commit()`.
    func beginWrite(_ relativePath: String) throws(YardError) -> AtomicFileWriter {
        let path = try resolve(relativePath)
        if path == root { throw .invalid("Invalid path") }
        if let existing = try blockingEntry(at: relativePath), existing.isDirectory {
            throw .invalid("Cannot write to '\(relativePath)': it is a directory")
        }
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .invalid("Cannot create the directory of '\(relativePath)': a file stands in its way")
        }
        try confirmInsideRoot(directory)
        return try AtomicFileWriter(destination: path)
    }

    func blockingDelete(_ relativePath: String) throws(YardError) {
        let path = try resolve(relativePath)
        if path == root { throw .invalid("Invalid path") }
        guard FileManager.default.fileExists(atPath: path) else {
            throw .notFound("No such artifact: '\(relativePath)'")
        }
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw YardError(.internalError, "Could not delete '\(relativePath)': \(error)")
        }
    }

    /// Removes temporary files that killed uploads left behind more than `age` seconds ago.
    public func sweepTemporaries(olderThan age: TimeInterval = 3600) async throws -> Int {
        try await threads.runIfActive { DurableFiles.sweepTemporaries(under: self.root, olderThan: age) }
    }
}

/// A file open for a download, read in chunks on the thread pool and closed at the end (or when dropped).
private final class OpenFile: @unchecked Sendable {
    // Unchecked: chunks are requested one at a time by the response writer, never concurrently.
    private var descriptor: Int32
    let size: Int64
    private static let chunkSize = 256 << 10

    init(descriptor: Int32, size: Int64) {
        self.descriptor = descriptor
        self.size = size
    }

    func nextChunk() throws -> ByteBuffer? {
        guard descriptor >= 0 else { return nil }
        var buffer = ByteBufferAllocator().buffer(capacity: Self.chunkSize)
        let count = try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Self.chunkSize) { bytes -> Int in
            while true {
                let read = Glibc.read(descriptor, bytes.baseAddress!, Self.chunkSize)
                if read < 0 && errno == EINTR { continue }
                if read < 0 { throw YardError(.internalError, "Reading an artifact failed: \(String(cString: strerror(errno)))") }
                return read
            }
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
