import Foundation
import Hummingbird
import YardCore
import YardJSON
import YardServing
import YardStore

/// Record streams: features (and optionally predictions and labels) from models served elsewhere, kept in
/// the prediction log under the deployment name `stream:<name>` so monitors read them like a deployment.
/// - `POST /streams/{name}/records` {"records": [{"id"?, "timestamp"?, "features": {...}, "prediction"?, "model_version"?}]}
/// - `POST /streams/{name}/labels` {"labels": [{"id", "label"}]}
/// - `GET /streams/{name}/records?limit=`: newest first
struct MonitoringStreamRoutes {
    let store: any ServingStore
    /// Keeps stream records under `--prediction-log-retain` like a deployment's; nil when the log is off.
    let predictionLog: PredictionLogger?
    let maxJSONBodyBytes: Int

    static let prefix = "stream:"
    static let maxRecords = 100_000
    static let recordFields: Set<String> = ["id", "timestamp", "features", "prediction", "model_version"]

    func register(on router: RouteCollection<YardRequestContext>) {
        let store = self.store
        let predictionLog = self.predictionLog
        let limit = maxJSONBodyBytes
        router.post("/streams/:name/records") { request, context in
            let name = try Self.streamName(context)
            let body = try await NativeRequest.jsonObject(request, limit: limit)
            let records = try Self.records(from: body, stream: name, now: Identifiers.nowMillis())
            try await store.appendPredictions(records)
            predictionLog?.noteWrittenDirectly(deployment: Self.prefix + name)
            return Response.json(.object([("received", .int(records.count)), ("ids", .array(records.map { .string($0.id) }))]))
        }
        router.post("/streams/:name/labels") { request, context in
            let name = try Self.streamName(context)
            let body = try await NativeRequest.jsonObject(request, limit: limit)
            let labels = try Self.labels(from: body)
            let matched = try await store.recordLabels(labels, deployment: Self.prefix + name, at: Identifiers.nowMillis())
            return Response.json(.object([("received", .int(labels.count)), ("matched", .int(matched))]))
        }
        router.get("/streams/:name/records") { request, context in
            let name = try Self.streamName(context)
            var query = PredictionQuery(deployment: Self.prefix + name)
            for (key, value) in QueryString.pairs(request.uri.query) where key == "limit" {
                guard let limit = Int(value), limit > 0 else {
                    throw YardError.invalid("'limit' must be a positive whole number, got '\(value.prefix(50))'.")
                }
                query.limit = min(limit, PredictionQuery.maxLimit)
            }
            let page = try await store.predictions(query)
            return Response.json(.object([("records", .array(page.items.map(Self.json)))]))
        }
    }

    /// Stream names follow the deployment name rule: they become a prediction-log name and metric labels.
    static func streamName(_ context: YardRequestContext) throws -> String {
        let name = try NativeRoutes.pathParameter(context, "name")
        do {
            try DeploymentSpec.validateName(name)
        } catch {
            throw YardError.invalid("Invalid stream name '\(name.prefix(200))': use 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit.")
        }
        return name
    }

    static func records(from body: JSONValue, stream: String, now: Int64) throws -> [PredictionRecord] {
        guard case .array(let items)? = body["records"] else {
            throw YardError.invalid("'records' must be a list of {\"features\": {...}, \"prediction\"?: …, \"id\"?: \"…\", \"timestamp\"?: ms, \"model_version\"?: \"…\"} objects.")
        }
        guard !items.isEmpty else { throw YardError.invalid("'records' is empty; send at least one record.") }
        guard items.count <= maxRecords else {
            throw YardError.invalid("'records' holds \(items.count) entries; send at most \(maxRecords) per request.")
        }
        var seen = Set<String>()
        return try items.enumerated().map { index, item in
            let field = "records[\(index)]"
            guard case .object(let members) = item else { throw YardError.invalid("\(field) must be a JSON object.") }
            for (key, _) in members where !recordFields.contains(key) {
                throw YardError.invalid("Unknown field '\(field).\(key.prefix(100))'; a record takes \(recordFields.sorted().joined(separator: ", ")).")
            }
            guard case .object(let features)? = item["features"] else {
                throw YardError.invalid("\(field).features must be a JSON object of feature name to value, e.g. {\"age\": 42, \"plan\": \"pro\"}.")
            }
            guard !features.isEmpty else { throw YardError.invalid("\(field).features is empty; give at least one feature.") }
            let id = try identifier(item["id"], field: "\(field).id", now: now)
            guard seen.insert(id).inserted else { throw YardError.invalid("\(field).id '\(id)' appears twice in this request.") }
            let timestamp = try millis(item["timestamp"], field: "\(field).timestamp") ?? now
            let version: String
            switch item["model_version"] {
            case nil, .null?: version = ""
            case .string(let text)? where text.utf8.count <= 64: version = text
            case .number(let text)?: version = text
            default: throw YardError.invalid("\(field).model_version must be a string of at most 64 characters, e.g. \"3\".")
            }
            var outputs: JSONValue = .object([])
            switch item["prediction"] {
            case nil, .null?: break
            case .array?, .object?: throw YardError.invalid("\(field).prediction must be one value (a number, string or bool), not a list or object.")
            case let value?: outputs = .object([("prediction", value)])
            }
            return PredictionRecord(
                id: id, deployment: prefix + stream, modelName: "", modelVersion: version, role: PredictionRole.primary,
                timestamp: timestamp, latencyMicros: 0, inputs: text(.array([.object(features)])), outputs: text(outputs), rows: 1)
        }
    }

    static func identifier(_ value: JSONValue?, field: String, now: Int64) throws -> String {
        switch value {
        case nil, .null?: return PredictionId.make(millis: now)
        case .string(let text)? where !text.isEmpty && text.utf8.count <= 128
            && text.unicodeScalars.allSatisfy({ $0.isASCII && !$0.properties.isWhitespace && $0.value >= 0x21 && $0.value < 0x7F }):
            return text
        default:
            throw YardError.invalid("\(field) must be a string of 1 to 128 printable ASCII characters without spaces (or left out for a generated id).")
        }
    }

    /// Milliseconds since the epoch, from a whole JSON number between 2000 and 2200.
    static func millis(_ value: JSONValue?, field: String) throws -> Int64? {
        switch value {
        case nil, .null?: return nil
        case .number(let text)?:
            if let millis = Int64(text), (946_684_800_000...7_258_118_400_000).contains(millis) { return millis }
            fallthrough
        default:
            throw YardError.invalid("\(field) must be milliseconds since the epoch (a whole number, e.g. 1767225600000), or left out for now.")
        }
    }

    static func labels(from body: JSONValue) throws -> [(predictionId: String, label: String)] {
        guard case .array(let items)? = body["labels"] else {
            throw YardError.invalid("'labels' must be a list of {\"id\": \"…\", \"label\": …} objects.")
        }
        guard items.count <= maxRecords else { throw YardError.invalid("'labels' holds \(items.count) entries; send at most \(maxRecords) per request.") }
        return try items.enumerated().map { index, item in
            guard case .string(let id)? = item["id"], !id.isEmpty else {
                throw YardError.invalid("labels[\(index)].id must be the record id string that POST /streams/{name}/records returned.")
            }
            guard let label = item["label"], label != .null else {
                throw YardError.invalid("labels[\(index)].label is missing; give the true value (a number, string or bool).")
            }
            return (id, text(label))
        }
    }

    static func text(_ value: JSONValue) -> String {
        String(decoding: JSONWriter.bytes(value), as: UTF8.self)
    }

    static func json(_ record: PredictionRecord) -> JSONValue {
        func parsed(_ text: String?) -> JSONValue {
            guard let text else { return .null }
            return (try? JSONParser.parse(Array(text.utf8))) ?? .string(text)
        }
        var features: JSONValue = .null
        if case .array(let rows) = parsed(record.inputs), let first = rows.first { features = first }
        return .object([
            ("id", .string(record.id)), ("timestamp", .int(record.timestamp)), ("features", features),
            ("prediction", parsed(record.outputs)["prediction"] ?? .null),
            ("model_version", .string(record.modelVersion)),
            ("label", parsed(record.label)), ("labeled_at", record.labeledAt.map { .int($0) } ?? .null),
        ])
    }
}
