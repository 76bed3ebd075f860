import Foundation
import Hummingbird
import NIOPosix
import YardBlobs
import YardCore
import YardJSON
import YardData

/// The content-addressed object API `yard data push/pull/fetch` talk to (mounted under `/api/v1`):
/// - `POST /objects/missing` `{"digests":[...]}` → `{"missing":[...]}`: one round trip per batch.
/// - `PUT /objects/{sha256}`: the body is hashed as it streams to a temporary file and published
///   (fsync, rename) only if it matches the name, so the store never holds a partial or wrong object.
/// - `GET /objects/{sha256}`: the object's bytes.
/// File writes, fsyncs and renames run on NIO's thread pool, never on Swift's cooperative pool.
/// With a shared store (`ServerObjects`), an upload is acknowledged once it is there too, and a download
/// of an object another replica received fetches it first.
struct ObjectRoutes {
    let objects: ServerObjects
    let limits: BodyLimits
    /// 100,000 digests of 64 hex characters, with JSON punctuation.
    static var maxMissingBodyBytes: Int { 8 << 20 }

    func register(on router: RouteCollection<YardRequestContext>) {
        let objects = self.objects
        let cache = objects.cache
        let threads = NIOThreadPool.singleton
        let limits = UploadLimits(maximumBytes: self.limits.objectBytes, minimumFreeBytes: self.limits.minimumFreeDiskBytes,
                                  option: "--max-object-size")
        router.post("/objects/missing") { request, _ in
            let body = try await NativeRequest.jsonObject(request, limit: Self.maxMissingBodyBytes)
            guard case .array(let values)? = body["digests"] else {
                throw YardError.invalid("Expected a JSON body {\"digests\": [\"<sha256 hex>\", ...]}.")
            }
            var parsed: [ContentDigest] = []
            for value in values {
                guard case .string(let text) = value else { throw YardError.invalid("Every digest must be a string.") }
                parsed.append(try ContentDigest.parse(text))
            }
            let digests = parsed
            let missing = try await objects.missing(digests)
            return Response.json(.object([("missing", .array(missing.map { .string($0.hex) }))]))
        }
        router.put("/objects/:digest") { request, context in
            let digest = try Self.digest(context)
            var declared = limits
            declared.declaredBytes = request.headers[.contentLength].flatMap { Int64($0) }
            let upload = declared
            try upload.checkDeclared("object \(digest.hex)")
            if try await objects.isStored(digest) {
                for try await _ in request.body {}  // already stored: content addressing makes this a no-op
                return Response.json(.object([("digest", .string(digest.hex)), ("stored", .bool(false))]))
            }
            if try await threads.runIfActive({ cache.contains(digest) }) {
                // Here but not yet shared (an earlier upload's copy failed): share the verified copy.
                for try await _ in request.body {}
                try await objects.share(digest)
                return Response.json(.object([("digest", .string(digest.hex)), ("stored", .bool(true))]), status: .created)
            }
            let writer = try await threads.runIfActive { () throws -> HashingObjectWriter in
                try upload.checkFreeSpace(at: cache.root, needing: upload.declaredBytes ?? 0, store: "object store")
                return try cache.beginObject()
            }
            do {
                for try await buffer in request.body {
                    if writer.bytesWritten + Int64(buffer.readableBytes) > upload.maximumBytes {
                        throw upload.tooLarge("object \(digest.hex)")
                    }
                    try await threads.runIfActive {
                        try buffer.withUnsafeReadableBytes { bytes throws(YardError) in try writer.append(bytes) }
                    }
                }
                try await threads.runIfActive {
                    let batch = cache.beginBatch()
                    try batch.finish(writer, expected: digest, source: "the upload")
                    try batch.commit()
                }
            } catch {
                writer.abort()
                throw error
            }
            try await objects.share(digest)
            return Response.json(.object([("digest", .string(digest.hex)), ("stored", .bool(true))]), status: .created)
        }
        router.get("/objects/:digest") { _, context in
            let digest = try Self.digest(context)
            guard try await objects.ensureLocal(digest), let size = try await threads.runIfActive({ cache.size(of: digest) }) else {
                throw YardError.notFound("Object \(digest.hex) is not on this server.")
            }
            let body = try await FileIO(threadPool: threads).loadFile(path: cache.path(for: digest), context: context)
            return Response(status: .ok, headers: [.contentType: "application/octet-stream", .contentLength: String(size)], body: body)
        }
    }

    static func digest(_ context: YardRequestContext) throws -> ContentDigest {
        try ContentDigest.parse(context.parameters.get("digest") ?? "")
    }
}
