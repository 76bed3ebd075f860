import AsyncHTTPClient
import NIOCore
import YardBlobs
import YardCore

/// Artifacts kept in an S3 bucket under a key prefix, with the folder store's behaviour: the same path
/// rules (checked where a path is decoded and again here, so no key lands outside the prefix), `/` in keys
/// read as directories, a file and a directory never sharing a name, uploads visible only once whole,
/// and deleting a directory deleting everything under it.
public struct S3ArtifactStore: ArtifactStore {
    public let client: S3Client
    public let location: S3Location
    /// Bodies up to this size go up as one PutObject; larger ones as a multipart upload of such parts.
    public let partSize: Int

    public init(client: S3Client, location: S3Location, partSize: Int = S3Client.defaultPartSize) {
        self.client = client
        self.location = location
        self.partSize = max(partSize, S3Client.minimumPartSize)
    }

    public var displayName: String { "\(location) at \(client.endpoint.url)" }

    /// Confirms at start-up that the bucket exists and the credentials work, with an error naming which
    /// part is wrong (endpoint, bucket, access key id, secret).
    public func checkAccess() async throws {
        try await client.checkBucket(location.bucket)
    }

    // MARK: ArtifactStore

    public func entry(at path: String) async throws -> ArtifactEntry? {
        let relative = try Self.normalised(path)
        guard let name = relative.split(separator: "/").last.map(String.init) else {
            return ArtifactEntry(name: "", isDirectory: true, size: nil)
        }
        if let object = try await client.headObject(bucket: location.bucket, key: key(relative)) {
            return ArtifactEntry(name: name, isDirectory: false, size: object.size)
        }
        return try await isDirectory(relative) ? ArtifactEntry(name: name, isDirectory: true, size: nil) : nil
    }

    public func list(_ path: String) async throws -> [ArtifactEntry]? {
        let relative = try Self.normalised(path)
        let prefix = try directoryPrefix(relative)
        let listing = try await client.listAllObjects(bucket: location.bucket, prefix: prefix, delimiter: "/")
        var entries: [ArtifactEntry] = []
        // Names are cut from keys by bytes: a character count could merge the `/` with a combining mark after it.
        func name(_ key: String, dropLast: Int) -> String? {
            let bytes = key.utf8.dropFirst(prefix.utf8.count).dropLast(dropLast)
            return key.utf8.starts(with: prefix.utf8) && !bytes.isEmpty ? String(decoding: bytes, as: UTF8.self) : nil
        }
        for object in listing.objects {
            if let name = name(object.key, dropLast: 0) { entries.append(ArtifactEntry(name: name, isDirectory: false, size: object.size)) }
        }
        for common in listing.commonPrefixes {
            if let name = name(common, dropLast: 1) { entries.append(ArtifactEntry(name: name, isDirectory: true, size: nil)) }
        }
        if entries.isEmpty && !relative.isEmpty { return nil }
        return entries.sorted { $0.name < $1.name }
    }

    public func write<Body: AsyncSequence>(_ path: String, from body: Body, limits: UploadLimits) async throws -> Int64
        where Body.Element == ByteBuffer {
        let relative = try Self.normalised(path)
        if relative.isEmpty { throw YardError.invalid("Invalid path") }
        try limits.checkDeclared(path)
        try await confirmWritable(relative, as: path)
        return try await client.upload(bucket: location.bucket, key: key(relative), from: body, partSize: partSize) { total in
            if total > limits.maximumBytes { throw limits.tooLarge(path) }
        }
    }

    public func read(_ path: String) async throws -> ArtifactDownload {
        let relative = try Self.normalised(path)
        guard !relative.isEmpty, let download = try await client.getObject(bucket: location.bucket, key: key(relative)) else {
            if try await isDirectory(relative) {
                throw YardError.invalid("'\(path)' is a directory; list it instead of downloading it")
            }
            throw YardError.notFound("No such artifact: '\(path)'")
        }
        let reader = ChunkReader(iterator: download.chunks.makeAsyncIterator())
        return ArtifactDownload(size: download.size, chunks: ArtifactByteStream { try await reader.next() })
    }

    public func delete(_ path: String) async throws {
        let relative = try Self.normalised(path)
        if relative.isEmpty { throw YardError.invalid("Invalid path") }
        let fileKey = try key(relative)
        let file = try await client.headObject(bucket: location.bucket, key: fileKey)
        let below = try await client.listAllObjects(bucket: location.bucket, prefix: directoryPrefix(relative)).objects.map(\.key)
        if file == nil && below.isEmpty { throw YardError.notFound("No such artifact: '\(path)'") }
        try await client.deleteObjects(bucket: location.bucket, keys: (file == nil ? [] : [fileKey]) + below)
    }

    // MARK: Keys

    /// The path with the folder store's rules applied (no `..`, no absolute paths, no backslashes, no
    /// encoded separators), then with empty and `.` segments dropped, as the file system would read it.
    public static func normalised(_ path: String) throws(YardError) -> String {
        try LocalArtifactStore.validate(path)
        return path.split(separator: "/", omittingEmptySubsequences: true).filter { $0 != "." }.joined(separator: "/")
    }

    /// The object key of a normalised path. It is validated once more here, where it becomes a key, so a
    /// caller that skipped `normalised` still cannot reach outside the prefix.
    func key(_ relative: String) throws(YardError) -> String {
        let segments = relative.split(separator: "/", omittingEmptySubsequences: false)
        if segments.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) || relative.contains("\\") {
            throw .invalid("Invalid path")
        }
        return location.prefix.isEmpty ? relative : location.prefix + "/" + relative
    }

    /// The listing prefix of a directory: its key and a `/`, or the store's prefix for the root.
    func directoryPrefix(_ relative: String) throws(YardError) -> String {
        if relative.isEmpty { return location.prefix.isEmpty ? "" : location.prefix + "/" }
        return try key(relative) + "/"
    }

    private func isDirectory(_ relative: String) async throws -> Bool {
        if relative.isEmpty { return true }
        let page = try await client.listObjects(bucket: location.bucket, prefix: directoryPrefix(relative), maxKeys: 1)
        return !page.objects.isEmpty
    }

    /// Refuses a write where a directory stands, or below a file (as the folder store does, so a name is
    /// never both a file and a directory). The ancestors are checked concurrently.
    private func confirmWritable(_ relative: String, as path: String) async throws {
        if try await isDirectory(relative) {
            throw YardError.invalid("Cannot write to '\(path)': it is a directory")
        }
        let segments = relative.split(separator: "/")
        let ancestors = (1..<max(segments.count, 1)).map { segments.prefix($0).joined(separator: "/") }
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for ancestor in ancestors {
                let key = try key(ancestor)
                group.addTask { try await client.headObject(bucket: location.bucket, key: key) != nil }
            }
            for try await isFile in group where isFile {
                throw YardError.invalid("Cannot create the directory of '\(path)': a file stands in its way")
            }
        }
    }
}

/// The body of one GetObject, handed out chunk by chunk as the response writer asks for them.
private final class ChunkReader: @unchecked Sendable {
    // Unchecked: the response writer requests chunks one at a time, never concurrently.
    private var iterator: HTTPClientResponse.Body.AsyncIterator

    init(iterator: HTTPClientResponse.Body.AsyncIterator) {
        self.iterator = iterator
    }

    func next() async throws -> ByteBuffer? {
        do {
            return try await iterator.next()
        } catch {
            throw YardError(.temporarilyUnavailable, "The S3 download broke off part-way: \(S3Failure.describe(error)).")
        }
    }
}
