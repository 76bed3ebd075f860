import Foundation
import Hummingbird
import YardCore
import YardData

/// The content-addressed object API `yard data push/pull/fetch` talk to:
/// - `POST /api/v1/objects/missing` `{"digests":[...]}` → `{"missing":[...]}`: one round trip per batch.
/// - `PUT /api/v1/objects/{sha256}`: the body is hashed as it streams to a temporary file and published
///   (fsync, rename) only if it matches the name, so the store never holds a partial or wrong object.
/// - `GET /api/v1/objects/{sha256}`: the object's bytes.
struct ObjectRoutes<Context: RequestContext> {
    let objects: ObjectCache
    /// 100,000 digests of 64 hex characters, with JSON punctuation.
    static var maxMissingBodyBytes: Int { 8 << 20 }

    func register(on router: Router<Context>) {
        let objects = self.objects
        router.post("/api/v1/objects/missing") { request, _ in
            let body = try await NativeRequest.jsonObject(request, limit: Self.maxMissingBodyBytes)
            guard case .array(let values)? = body["digests"] else {
                throw YardError.invalid("Expected a JSON body {\"digests\": [\"<sha256 hex>\", ...]}.")
            }
            var missing: [JSONValue] = []
            for value in values {
                guard case .string(let text) = value else { throw YardError.invalid("Every digest must be a string.") }
                let digest = try ContentDigest.parse(text)
                if !objects.contains(digest) { missing.append(.string(digest.hex)) }
            }
            return Response.json(.object([("missing", .array(missing))]))
        }
        router.put("/api/v1/objects/:digest") { request, context in
            let digest = try Self.digest(context)
            if objects.contains(digest) {
                for try await _ in request.body {}  // already stored: content addressing makes this a no-op
                return Response.json(.object([("digest", .string(digest.hex)), ("stored", .bool(false))]))
            }
            let writer = try objects.beginObject()
            do {
                for try await buffer in request.body {
                    try buffer.withUnsafeReadableBytes { bytes throws(YardError) in try writer.append(bytes) }
                }
            } catch {
                writer.abort()
                throw error
            }
            let batch = objects.beginBatch()
            try batch.finish(writer, expected: digest, source: "the upload")
            try batch.commit()
            return Response.json(.object([("digest", .string(digest.hex)), ("stored", .bool(true))]), status: .created)
        }
        router.get("/api/v1/objects/:digest") { _, context in
            let digest = try Self.digest(context)
            guard let size = objects.size(of: digest) else {
                throw YardError.notFound("Object \(digest.hex) is not on this server.")
            }
            let body = try await FileIO().loadFile(path: objects.path(for: digest), context: context)
            return Response(status: .ok, headers: [.contentType: "application/octet-stream", .contentLength: String(size)], body: body)
        }
    }

    static func digest(_ context: Context) throws -> ContentDigest {
        try ContentDigest.parse(context.parameters.get("digest") ?? "")
    }
}
