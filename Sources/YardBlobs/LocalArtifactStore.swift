import Foundation
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

/// Artifacts kept in a local folder. Every user-given path is checked before it touches the disk, so it can
/// never escape the root; every write lands in a temporary file that is fsynced and renamed into place, so a
/// reader or a crash never sees half an artifact.
public struct LocalArtifactStore: Sendable {
    public let root: String

    public init(root: String) throws {
        let absolute = URL(fileURLWithPath: root).standardizedFileURL.path
        try FileManager.default.createDirectory(atPath: absolute, withIntermediateDirectories: true)
        self.root = absolute
    }

    /// A store over a folder that may not exist yet, for reading only: listing a run's local artifact
    /// folder must not create it.
    public init(readingFrom root: String) {
        self.root = URL(fileURLWithPath: root).standardizedFileURL.path
    }

    /// Validates a relative artifact path and returns its absolute location under the root.
    public func resolve(_ relativePath: String) throws(YardError) -> String {
        try Self.validate(relativePath)
        let trimmed = relativePath.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
        return trimmed.isEmpty ? root : root + "/" + trimmed
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

    public func entry(at relativePath: String) throws(YardError) -> ArtifactEntry? {
        let path = try resolve(relativePath)
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        let isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
        return ArtifactEntry(name: (path as NSString).lastPathComponent, isDirectory: isDirectory,
                             size: isDirectory ? nil : Int64(info.st_size))
    }

    /// Direct children of a directory, sorted by name; nil when the directory does not exist.
    public func list(_ relativeDirectory: String) throws(YardError) -> [ArtifactEntry]? {
        let path = try resolve(relativeDirectory)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: path) else { return nil }
        var entries: [ArtifactEntry] = []
        for name in names.sorted() where !name.hasPrefix(".yard-tmp-") {
            var info = stat()
            guard stat(path + "/" + name, &info) == 0 else { continue }
            let isDirectory = (info.st_mode & S_IFMT) == S_IFDIR
            entries.append(ArtifactEntry(name: name, isDirectory: isDirectory, size: isDirectory ? nil : Int64(info.st_size)))
        }
        return entries
    }

    /// Starts an atomic write; nothing is visible at the path until `commit()`.
    public func beginWrite(_ relativePath: String) throws(YardError) -> AtomicFileWriter {
        let path = try resolve(relativePath)
        if path == root { throw .invalid("Invalid path") }
        if let existing = try entry(at: relativePath), existing.isDirectory {
            throw .invalid("Cannot write to '\(relativePath)': it is a directory")
        }
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .invalid("Cannot create the directory of '\(relativePath)': a file stands in its way")
        }
        return try AtomicFileWriter(destination: path)
    }

    public func write(_ relativePath: String, bytes: [UInt8]) throws {
        let writer = try beginWrite(relativePath)
        do {
            try bytes.withUnsafeBytes { buffer in try writer.append(buffer) }
            try writer.commit()
        } catch {
            writer.abort()
            throw error
        }
    }

    public func read(_ relativePath: String) throws(YardError) -> [UInt8] {
        let path = try resolve(relativePath)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .notFound("No such artifact: '\(relativePath)'")
        }
        return [UInt8](data)
    }

    /// Deletes a file or a whole directory; missing paths are an error so a typo is not silently ignored.
    public func delete(_ relativePath: String) throws(YardError) {
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
}

/// A temporary file beside its destination, renamed over it only once fully written and fsynced.
public final class AtomicFileWriter: @unchecked Sendable {
    // Unchecked: a writer is used by one request task at a time; it is never shared.
    public let destination: String
    private let temporary: String
    private var descriptor: Int32

    init(destination: String) throws(YardError) {
        self.destination = destination
        let directory = (destination as NSString).deletingLastPathComponent
        self.temporary = directory + "/.yard-tmp-" + UUID().uuidString
        descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        if descriptor < 0 {
            throw YardError(.internalError, "Cannot create a temporary file for '\(destination)': \(String(cString: strerror(errno)))")
        }
    }

    public func append(_ bytes: UnsafeRawBufferPointer) throws(YardError) {
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                abort()
                throw YardError(.internalError, "Writing '\(destination)' failed: \(reason)")
            }
            offset += written
        }
    }

    public func commit() throws(YardError) {
        guard descriptor >= 0 else { throw YardError(.internalError, "Write of '\(destination)' was aborted") }
        let synced = fsync(descriptor) == 0
        close(descriptor)
        descriptor = -1
        guard synced, rename(temporary, destination) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw YardError(.internalError, "Saving '\(destination)' failed: \(reason)")
        }
        Self.syncDirectory(of: destination)
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

    /// Makes the rename itself durable.
    private static func syncDirectory(of path: String) {
        let directory = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard directory >= 0 else { return }
        fsync(directory)
        close(directory)
    }
}
