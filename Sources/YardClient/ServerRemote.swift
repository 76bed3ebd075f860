import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import YardBlobs
import YardCore
import YardData

/// A `yard server` as a data remote, through its content-addressed object API:
/// `POST /api/v1/objects/missing` asks about a batch of digests in one round trip; `PUT` and `GET
/// /api/v1/objects/{sha256}` move one object each, verified by hash on arrival on both sides. Transfers
/// run `jobs` at a time; a failed object is retried, and a re-run moves only what is still missing.
public struct ServerRemote: Remote {
    let connection: ServerConnection
    public var displayName: String { connection.baseURL }
    public var jobs = 16
    static let missingBatchSize = 10_000
    /// Downloads are published (flushed and renamed) this many at a time.
    static let publishBatchSize = 512
    static let attempts = 3

    public init(baseURL: String) throws(YardError) {
        connection = try ServerConnection(baseURL: baseURL)
    }

    public func missing(_ digests: [ContentDigest]) async throws -> Set<ContentDigest> {
        try connection.ensureReachable()
        var missing = Set<ContentDigest>()
        var start = 0
        while start < digests.count {
            let slice = digests[start..<min(digests.count, start + Self.missingBatchSize)]
            let body = try JSONEncoder().encode(["digests": slice.map(\.hex)])
            let reply = try await connection.json(.POST, "/api/v1/objects/missing", body: Array(body))
            struct Answer: Decodable { var missing: [String] }
            let answer = try JSONDecoder().decode(Answer.self, from: Data(reply))
            for text in answer.missing {
                guard let digest = ContentDigest(text) else { throw YardError(.internalError, "The server answered an invalid digest '\(text)'.") }
                missing.insert(digest)
            }
            start += slice.count
        }
        return missing
    }

    public func upload(_ items: [TransferItem], from cache: ObjectCache, progress: any ProgressReporter) async throws {
        try await forEachConcurrently(items) { item in
            try await retrying { try await self.upload(item, from: cache) }
            progress.advance(files: 1, bytes: cache.size(of: item.digest) ?? item.size)
        }
    }

    public func download(_ items: [TransferItem], into cache: ObjectCache, progress: any ProgressReporter) async throws {
        var start = 0
        while start < items.count {
            let slice = Array(items[start..<min(items.count, start + Self.publishBatchSize)])
            let batch = cache.beginBatch()
            do {
                try await forEachConcurrently(slice) { item in
                    let bytes = try await retrying { try await self.download(item, into: batch) }
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

    private func upload(_ item: TransferItem, from cache: ObjectCache) async throws {
        let path = cache.path(for: item.digest)
        guard let size = cache.size(of: item.digest) else {
            throw YardError.notFound("Object \(item.digest) is not in the local cache; re-add or pull it.")
        }
        var request = HTTPClientRequest(url: connection.baseURL + "/api/v1/objects/" + item.digest.hex)
        request.method = .PUT
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.body = .stream(FileChunks(path: path), length: .known(size))
        let response = try await connection.execute(request)
        let reply = Array(buffer: try await response.body.collect(upTo: 1 << 20))
        try ServerConnection.check(response.status, reply, context: "PUT /api/v1/objects")
    }

    private func download(_ item: TransferItem, into batch: ObjectBatch) async throws -> Int64 {
        var request = HTTPClientRequest(url: connection.baseURL + "/api/v1/objects/" + item.digest.hex)
        request.method = .GET
        let response = try await connection.execute(request)
        if response.status != .ok {
            let reply = Array(buffer: try await response.body.collect(upTo: 1 << 20))
            if response.status == .notFound {
                throw YardError.notFound("The server \(connection.baseURL) does not have object \(item.digest); push it from a repository that has it.")
            }
            try ServerConnection.check(response.status, reply, context: "GET /api/v1/objects")
        }
        let writer = try batch.cache.beginObject()
        do {
            for try await buffer in response.body {
                try buffer.withUnsafeReadableBytes { bytes throws(YardError) in try writer.append(bytes) }
            }
        } catch {
            writer.abort()
            throw error
        }
        try batch.finish(writer, expected: item.digest, source: "the server \(connection.baseURL)")
        return writer.bytesWritten
    }

    /// Runs `body` over the items with at most `jobs` in flight.
    private func forEachConcurrently(_ items: [TransferItem], _ body: @escaping @Sendable (TransferItem) async throws -> Void) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var iterator = items.makeIterator()
            for _ in 0..<jobs {
                guard let item = iterator.next() else { break }
                group.addTask { try await body(item) }
            }
            while try await group.next() != nil {
                if let item = iterator.next() { group.addTask { try await body(item) } }
            }
        }
    }

    /// Retries transient failures (connection drops, 5xx) with a short backoff; client errors and
    /// hash mismatches are not retried.
    private func retrying<T: Sendable>(_ operation: @Sendable () async throws -> T) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await operation()
            } catch let error as YardError where attempt < Self.attempts
                && (error.code == .temporarilyUnavailable || error.code == .internalError) {
                try await Task.sleep(nanoseconds: UInt64(attempt) * 200_000_000)
                attempt += 1
            }
        }
    }
}
