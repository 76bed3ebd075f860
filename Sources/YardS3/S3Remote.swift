import Crypto
import Foundation
import NIOCore
import YardBlobs
import YardCore
import YardData


/// A bucket, under a prefix, as a data remote, spoken to directly with the S3 API (no `yard server` in
/// between). Keys follow the cache's layout below the prefix (`prefix/ab/cdef…`), as a folder remote's
/// files do. Uploads stream from the cache file and are checked against the object's SHA-256 before the
/// object is written: a body up to one part goes up as one PutObject whose signed payload hash is the
/// object's SHA-256 (S3 refuses bytes that do not match it), a larger one as a multipart upload that is
/// completed only after the whole file hashed to the digest (else aborted). So an object under its digest's
/// key is whole and correct, or absent. Downloads stream into the cache's verifying batch.
public struct S3Remote: Remote {
    public let client: S3Client
    public let location: S3Location
    public var jobs = 16
    /// Objects up to this size go up as one PutObject; larger ones as a multipart upload of such parts.
    public var partSize = S3Client.defaultPartSize
    /// Up to this many digests are asked about one HEAD each; more by listing the shards they fall in.
    static let headLimit = 512
    /// Downloads are published (flushed and renamed) this many at a time.
    static let publishBatchSize = 512

    public var displayName: String { "\(location) at \(client.endpoint.url)" }

    public init(client: S3Client, location: S3Location) {
        self.client = client
        self.location = location
    }

    /// Opens `s3://bucket/prefix` with the endpoint, region and addressing stored for the remote (each nil
    /// falls back to the AWS environment variables) and credentials from the environment only.
    public init(uri: String, settings: RemoteS3Settings?, environment: [String: String]) throws(YardError) {
        let location = try S3Location(uri: uri)
        let resolved = try S3Settings.resolve(endpointURL: settings?.endpointURL, region: settings?.region,
                                              addressing: settings?.addressing, environment: environment)
        guard let credentials = resolved.credentials else {
            throw .invalid("The remote \(location) needs S3 credentials: set \(resolved.missingCredentials.joined(separator: " and ")) in the environment (credentials are never stored in .yard/config).")
        }
        self.init(client: S3Client(endpoint: try resolved.endpoint(), credentials: credentials), location: location)
    }

    /// Refuses a malformed URI, endpoint, region or addressing when the remote is added rather than at
    /// the first push.
    public static func validate(uri: String, settings: RemoteS3Settings) throws(YardError) {
        _ = try S3Location(uri: uri)
        _ = try S3Settings.resolve(endpointURL: settings.endpointURL, region: settings.region, addressing: settings.addressing,
                                   environment: [:]).endpoint()
    }

    /// The object key of a digest: the cache's relative path below the prefix.
    public func key(for digest: ContentDigest) -> String {
        shardPrefix(String(digest.hex.prefix(2))) + digest.hex.dropFirst(2)
    }

    private func shardPrefix(_ shard: String) -> String {
        (location.prefix.isEmpty ? "" : location.prefix + "/") + shard + "/"
    }

    public func missing(_ digests: [ContentDigest]) async throws -> Set<ContentDigest> {
        let unique = Array(Set(digests))
        if unique.count <= Self.headLimit {
            let present = try await concurrentMap(unique, width: jobs * 2) { digest in
                try await client.headObject(bucket: location.bucket, key: key(for: digest)) != nil
            }
            return Set(zip(unique, present).compactMap { $1 ? nil : $0 })
        }
        // Many digests: one listing per shard (a thousand keys a page) instead of a request per digest.
        let shards = Dictionary(grouping: unique) { String($0.hex.prefix(2)) }.sorted { $0.key < $1.key }
        let stored = try await concurrentMap(shards, width: jobs) { shard in
            let listing = try await client.listAllObjects(bucket: location.bucket, prefix: shardPrefix(shard.key))
            return Set(listing.objects.map(\.key))
        }
        var missing = Set<ContentDigest>()
        for (shard, keys) in zip(shards, stored) {
            for digest in shard.value where !keys.contains(key(for: digest)) { missing.insert(digest) }
        }
        return missing
    }

    public func upload(_ items: [TransferItem], from cache: ObjectCache, progress: any ProgressReporter) async throws {
        _ = try await concurrentMap(items, width: jobs) { item in
            let bytes = try await upload(item, from: cache)
            progress.advance(files: 1, bytes: bytes)
        }
    }

    public func download(_ items: [TransferItem], into cache: ObjectCache, progress: any ProgressReporter) async throws {
        var start = 0
        while start < items.count {
            let slice = Array(items[start..<min(items.count, start + Self.publishBatchSize)])
            let batch = cache.beginBatch()
            do {
                _ = try await concurrentMap(slice, width: jobs) { item in
                    let bytes = try await download(item, into: batch)
                    progress.advance(files: 1, bytes: bytes)
                }
                try batch.commit()
            } catch {
                batch.discard()
                throw error
            }
            start += slice.count
        }
    }

    private func upload(_ item: TransferItem, from cache: ObjectCache) async throws -> Int64 {
        guard cache.contains(item.digest) else {
            throw YardError.notFound("Object \(item.digest) is not in the local cache; re-add or pull it.")
        }
        let body = VerifyingFileChunks(path: cache.path(for: item.digest), expected: item.digest)
        return try await client.upload(bucket: location.bucket, key: key(for: item.digest), from: body, partSize: partSize)
    }

    private func download(_ item: TransferItem, into batch: ObjectBatch) async throws -> Int64 {
        guard let object = try await client.getObject(bucket: location.bucket, key: key(for: item.digest)) else {
            throw YardError.notFound("\(displayName) does not have object \(item.digest); push it from a repository that has it.")
        }
        let writer = try batch.cache.beginObject()
        do {
            for try await buffer in object.chunks {
                try buffer.withUnsafeReadableBytes { bytes throws(YardError) in try writer.append(bytes) }
            }
        } catch {
            writer.abort()
            throw error
        }
        try batch.finish(writer, expected: item.digest, source: displayName)
        return writer.bytesWritten
    }

    /// `transform` over the elements with at most `width` in flight; results in the elements' order. The
    /// first failure cancels the rest.
    private func concurrentMap<Element: Sendable, Result: Sendable>(
        _ elements: [Element], width: Int, _ transform: @escaping @Sendable (Element) async throws -> Result
    ) async throws -> [Result] {
        try await withThrowingTaskGroup(of: (Int, Result).self) { group in
            var results = [Result?](repeating: nil, count: elements.count)
            var next = 0
            for _ in 0..<max(1, width) where next < elements.count {
                let index = next
                group.addTask { (index, try await transform(elements[index])) }
                next += 1
            }
            while let (index, result) = try await group.next() {
                results[index] = result
                if next < elements.count {
                    let index = next
                    group.addTask { (index, try await transform(elements[index])) }
                    next += 1
                }
            }
            return results.map { $0! }
        }
    }
}

/// Where a configured S3 remote's service is, as `yard data remote add … --endpoint-url/--region/--addressing`
/// stored it; nil fields fall back to the AWS environment variables.
public typealias RemoteS3Settings = RepositoryConfig.RemoteSettings

/// A cache file read in 1 MiB chunks and hashed on the way; at the end the SHA-256 must be the object's
/// digest, else the sequence throws, so the upload it feeds never completes with a corrupt body.
struct VerifyingFileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let path: String
    let expected: ContentDigest

    func makeAsyncIterator() -> Iterator { Iterator(path: path, expected: expected) }

    final class Iterator: AsyncIteratorProtocol {
        private let chunks: FileChunks.Iterator
        private let path: String
        private let expected: ContentDigest
        private var hasher = SHA256()

        init(path: String, expected: ContentDigest) {
            chunks = FileChunks(path: path).makeAsyncIterator()
            self.path = path
            self.expected = expected
        }

        func next() async throws -> ByteBuffer? {
            guard let chunk = try await chunks.next() else {
                let actual = hasher.finalize().map { String(format: "%02x", $0) }.joined()
                guard actual == expected.hex else {
                    throw YardError(.invalidState, "The cached object \(expected) at \(path) is corrupt (its content hashes to sha256:\(actual)); nothing was uploaded for it. Run `yard data verify` and re-add or pull the data.")
                }
                return nil
            }
            chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            return chunk
        }
    }
}
