import Foundation
import Hummingbird
import NIOCore
import YardCore
import YardJSON
import YardStore
import YardTracking

/// The dataset registry: versions registered by `yard data add --name`, and the runs that used them.
/// - `POST /api/v1/datasets` registers a version (idempotent per name and digest).
/// - `GET /api/v1/datasets`, `GET /api/v1/datasets/{name}`, `GET /api/v1/datasets/{name}/versions/{digest}`.
/// - `GET /api/v1/datasets/{name}/versions/{digest}/runs`: runs whose MLflow `log_input` used the version's
///   short digest (the first 36 hex characters, MLflow's digest limit) or its full digest.
struct DatasetRoutes {
    let store: any DatasetStore

    func register(on router: RouteCollection<YardRequestContext>) {
        // The rules live in DatasetService; the handlers only decode requests and encode answers.
        let service = DatasetService(store: store)
        router.post("/datasets") { request, _ in
            let body = try await NativeRequest.jsonObject(request, limit: 16 << 20)
            let stored = try await service.register(try Self.registration(body))
            return Response.json(.object([("dataset_version", Self.json(stored))]))
        }
        router.get("/datasets") { _, _ in
            let summaries = try await service.summaries()
            return Response.json(.object([("datasets", .array(summaries.map { summary in
                .object([("name", .string(summary.name)), ("version_count", .int(summary.versionCount)),
                         ("latest_version", Self.json(summary.latest))])
            }))]))
        }
        router.get("/datasets/:name") { _, context in
            let name = Self.name(context)
            let versions = try await service.versions(name: name)
            return Response.json(.object([("name", .string(name)), ("versions", .array(versions.map(Self.json)))]))
        }
        router.get("/datasets/:name/versions/:digest") { _, context in
            let version = try await service.version(name: Self.name(context), digest: Self.digest(context))
            return Response.json(.object([("dataset_version", Self.json(version))]))
        }
        router.get("/datasets/:name/versions/:digest/runs") { _, context in
            let runs = try await service.runs(name: Self.name(context), digest: Self.digest(context))
            return Response.json(.object([("runs", .array(runs.map { run in
                .object([("run_id", .string(run.runId)), ("experiment_id", .string(run.experimentId)),
                         ("run_name", .string(run.runName)), ("status", .string(run.status.rawValue)),
                         ("start_time", run.startTime.map { .int($0) } ?? .null), ("dataset_name", .string(run.datasetName))])
            }))]))
        }
    }

    static func name(_ context: YardRequestContext) -> String {
        let raw = context.parameters.get("name") ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    static func digest(_ context: YardRequestContext) -> String {
        context.parameters.get("digest") ?? ""
    }

    /// The request body as the service's input: JSON types only, the values are the service's to judge.
    static func registration(_ body: JSONValue) throws -> DatasetRegistrationRequest {
        func string(_ key: String) -> String? {
            if case .string(let value)? = body[key] { return value }
            return nil
        }
        func number(_ key: String) -> String? {
            if case .number(let text)? = body[key] { return text }
            return nil
        }
        var profile: DatasetProfile?
        if let value = body["profile"], value != .null {
            guard case .object = value else { throw YardError.invalid("'profile' must be a JSON object.") }
            do {
                profile = try JSONDecoder().decode(DatasetProfile.self, from: Data(JSONWriter.bytes(value)))
            } catch {
                throw YardError.invalid("'profile' must be a dataset profile: {\"rows\": N, \"columns\": [{\"name\", \"type\", \"nulls\", \"min\"?, \"max\"?, \"mean\"?}]}.")
            }
        }
        // A kind that is not a string is passed on as its JSON text, which the service refuses.
        let kind = body["kind"].map { value -> String in
            if case .string(let text) = value { return text }
            return String(decoding: JSONWriter.bytes(value), as: UTF8.self)
        }
        return DatasetRegistrationRequest(name: string("name"), digest: string("digest"), kind: kind,
                                          size: number("size"), files: number("files"), source: string("source"),
                                          profile: profile)
    }

    static func json(_ version: DatasetVersionRecord) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("name", .string(version.name)), ("digest", .string(version.digest)),
            ("short_digest", .string(version.shortDigest)), ("kind", .string(version.kind.rawValue)),
            ("size", .int(version.size)), ("files", .int(version.files)),
            ("source", version.source.map { .string($0) } ?? .null), ("created_at", .int(version.createdAt)),
        ]
        if let profile = version.profile {
            members.append(("profile", json(profile)))
        }
        return .object(members)
    }

    /// In the profiler's field order, so answers are byte-stable.
    static func json(_ profile: DatasetProfile) -> JSONValue {
        .object([
            ("rows", .int(profile.rows)),
            ("columns", .array(profile.columns.map { column in
                var members: [(String, JSONValue)] = [
                    ("name", .string(column.name)), ("type", .string(column.type)), ("nulls", .int(column.nulls)),
                ]
                if let min = column.min { members.append(("min", .double(min))) }
                if let max = column.max { members.append(("max", .double(max))) }
                if let mean = column.mean { members.append(("mean", .double(mean))) }
                return .object(members)
            })),
        ])
    }
}

/// Reading JSON bodies of the native API (`application/json`, a JSON object). A body over `limit` is a
/// 413 naming the limit, not the collector's error (which would surface as a 500).
enum NativeRequest {
    static func jsonObject(_ request: Request, limit: Int) async throws -> JSONValue {
        var request = request
        let buffer: ByteBuffer
        do {
            buffer = try await request.collectBody(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw tooLarge(limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge(limit)
        }
        let document: JSONValue
        do {
            document = try JSONParser.parse(Array(buffer.readableBytesView))
        } catch {
            throw YardError(.badRequest, "Malformed JSON request body: \(error)")
        }
        guard case .object = document else { throw YardError(.badRequest, "Malformed JSON request body: expected a JSON object") }
        return document
    }

    static func tooLarge(_ limit: Int) -> YardError {
        YardError(.contentTooLarge, "The request body is larger than the native API's limit of \(limit) bytes; send fewer items per request.")
    }
}
