import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import YardCore

/// A multipart upload in progress, as ListMultipartUploads reports it.
public struct S3MultipartUpload: Sendable, Equatable {
    public var key: String
    public var uploadId: String
}

extension S3Client {
    /// Parts below this size are refused by S3 (except the last one).
    public static let minimumPartSize = 5 << 20
    public static let defaultPartSize = 16 << 20

    /// Streams `body` to `key`. A body that fits in one part goes up as one PutObject; a larger one as a
    /// multipart upload, each part hashed and signed as it is cut, the next part read while the previous
    /// one uploads (so at most two parts are in memory). The object becomes visible only when the upload
    /// completes; on any failure or cancellation the multipart upload is aborted, leaving nothing behind.
    /// `onBytes` sees the running total before each chunk is kept (the caller's size limit throws there).
    public func upload<Body: AsyncSequence>(
        bucket: String, key: String, from body: Body, partSize: Int = S3Client.defaultPartSize,
        onBytes: (Int64) throws -> Void = { _ in }
    ) async throws -> Int64 where Body.Element == ByteBuffer {
        precondition(partSize >= Self.minimumPartSize, "S3 parts are at least 5 MiB")
        var total: Int64 = 0
        var pending = ByteBuffer()
        var multipart: MultipartWriter?
        do {
            for try await chunk in body {
                total += Int64(chunk.readableBytes)
                try onBytes(total)
                var chunk = chunk
                pending.writeBuffer(&chunk)
                while pending.readableBytes >= partSize {
                    let part = pending.readSlice(length: partSize)!
                    if multipart == nil {
                        multipart = MultipartWriter(client: self, bucket: bucket, key: key,
                                                    uploadId: try await createMultipartUpload(bucket: bucket, key: key))
                    }
                    try await multipart!.enqueue(part)
                    pending.discardReadBytes()
                }
            }
            guard var writer = multipart else {
                try await putObject(bucket: bucket, key: key, body: pending)
                return total
            }
            if pending.readableBytes > 0 { try await writer.enqueue(pending) }
            try await writer.complete()
            return total
        } catch {
            if let writer = multipart { await writer.abort() }
            throw error
        }
    }

    public func createMultipartUpload(bucket: String, key: String) async throws -> String {
        let response = try await send(Operation(name: "CreateMultipartUpload", method: .POST, bucket: bucket, key: key,
                                                query: [("uploads", "")], idempotent: false))
        let root = try XMLElement.parse(Array(try await response.body.collect(upTo: 1 << 20).readableBytesView))
        guard let uploadId = root.value("UploadId"), !uploadId.isEmpty else {
            throw YardError(.internalError, "S3 endpoint \(endpoint.url) started a multipart upload of s3://\(bucket)/\(key) without an UploadId.")
        }
        return uploadId
    }

    /// Uploads one part (numbered from 1) and returns its entity tag.
    public func uploadPart(bucket: String, key: String, uploadId: String, partNumber: Int, body: ByteBuffer) async throws -> String {
        let response = try await send(Operation(
            name: "UploadPart", method: .PUT, bucket: bucket, key: key,
            query: [("partNumber", String(partNumber)), ("uploadId", uploadId)], body: body,
            idempotent: true, timeout: Self.transferTimeout(body.readableBytes)))
        guard let etag = response.headers.first(name: "etag") else {
            throw YardError(.internalError, "S3 endpoint \(endpoint.url) accepted part \(partNumber) of s3://\(bucket)/\(key) without an ETag.")
        }
        return etag
    }

    /// Assembles the parts into the object. S3 may answer 200 and still report an error in the body.
    public func completeMultipartUpload(bucket: String, key: String, uploadId: String, parts: [(number: Int, etag: String)]) async throws {
        let list = parts.map { "<Part><PartNumber>\($0.number)</PartNumber><ETag>\(HTMLEscaping.escaped($0.etag))</ETag></Part>" }.joined()
        let document = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\(list)</CompleteMultipartUpload>"
        let operation = Operation(name: "CompleteMultipartUpload", method: .POST, bucket: bucket, key: key,
                                  query: [("uploadId", uploadId)], headers: [("content-type", "application/xml")],
                                  body: ByteBuffer(string: document), idempotent: false, timeout: .seconds(600))
        let response = try await send(operation)
        let answer = Array(try await response.body.collect(upTo: 1 << 20).readableBytesView)
        if let root = try? XMLElement.parse(answer), root.name == "Error" {
            throw S3Failure.status(200, S3ErrorBody(xml: answer))
                .error(operation: operation, endpoint: endpoint, credentials: credentials, attempts: 1)
        }
    }

    public func abortMultipartUpload(bucket: String, key: String, uploadId: String) async throws {
        _ = try await send(Operation(name: "AbortMultipartUpload", method: .DELETE, bucket: bucket, key: key,
                                     query: [("uploadId", uploadId)], idempotent: true))
    }

    /// Multipart uploads started and neither completed nor aborted, under `prefix`.
    public func listMultipartUploads(bucket: String, prefix: String) async throws -> [S3MultipartUpload] {
        var query: [(name: String, value: String)] = [("uploads", "")]
        if !prefix.isEmpty { query.append(("prefix", prefix)) }
        let response = try await send(Operation(name: "ListMultipartUploads", method: .GET, bucket: bucket, query: query, idempotent: true))
        let root = try XMLElement.parse(Array(try await response.body.collect(upTo: 16 << 20).readableBytesView))
        return root.children("Upload").compactMap { upload in
            guard let key = upload.value("Key"), let id = upload.value("UploadId") else { return nil }
            return S3MultipartUpload(key: key, uploadId: id)
        }
    }
}

/// The parts of one multipart upload: one part uploading in the background while the caller cuts the next.
struct MultipartWriter {
    let client: S3Client
    let bucket: String
    let key: String
    let uploadId: String
    private var parts: [(number: Int, etag: String)] = []
    private var inFlight: Task<String, any Error>?

    init(client: S3Client, bucket: String, key: String, uploadId: String) {
        self.client = client
        self.bucket = bucket
        self.key = key
        self.uploadId = uploadId
    }

    /// Waits for the previous part, then starts uploading this one.
    mutating func enqueue(_ part: ByteBuffer) async throws {
        try await settle()
        let number = parts.count + 1
        let (client, bucket, key, uploadId) = (self.client, self.bucket, self.key, self.uploadId)
        inFlight = Task { try await client.uploadPart(bucket: bucket, key: key, uploadId: uploadId, partNumber: number, body: part) }
        parts.append((number, ""))
    }

    private mutating func settle() async throws {
        guard let task = inFlight else { return }
        inFlight = nil
        let etag = try await withTaskCancellationHandler { try await task.value } onCancel: { task.cancel() }
        parts[parts.count - 1].etag = etag
    }

    mutating func complete() async throws {
        try await settle()
        try await client.completeMultipartUpload(bucket: bucket, key: key, uploadId: uploadId, parts: parts)
    }

    /// Stops the part in flight and aborts the upload so S3 drops the stored parts. Runs in a task of its
    /// own, so it happens even when the caller was cancelled (a client that hung up mid-upload).
    func abort() async {
        inFlight?.cancel()
        let (client, bucket, key, uploadId, inFlight) = (self.client, self.bucket, self.key, self.uploadId, self.inFlight)
        await Task.detached {
            _ = try? await inFlight?.value
            try? await client.abortMultipartUpload(bucket: bucket, key: key, uploadId: uploadId)
        }.value
    }
}
