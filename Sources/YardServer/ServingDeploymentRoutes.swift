import Foundation
import Hummingbird
import YardCore
import YardJSON
import YardServing
import YardStore

/// The native deployments API, mounted under `/api/v1`:
/// - `GET /deployments`, `POST /deployments` {name, model_uri, canary_uri?, canary_share?, shadow_uri?, log_sample_rate?}
/// - `GET|PATCH|DELETE /deployments/{name}` (PATCH takes the same fields, all optional; null clears a canary or shadow)
/// - `POST /deployments/{name}/labels` {labels: [{prediction_id, label}]}: ground truth joined to logged predictions
/// - `GET /deployments/{name}/predictions?limit=&page_token=&role=&since=&until=&labeled_only=`: the prediction log
struct ServingDeploymentRoutes {
    let serving: ServingComponents
    let maxJSONBodyBytes: Int

    func register(on router: RouteCollection<YardRequestContext>) {
        let deployments = serving.deployments
        router.get("/deployments") { _, _ in
            Response.json(.object([("deployments", .array(deployments.all().map { Self.json($0.status()) }))]))
        }
        router.post("/deployments") { request, context in
            let body = try await NativeRequest.jsonObject(request, limit: maxJSONBodyBytes)
            let spec = try Self.spec(from: body)
            let status = try await deployments.create(spec, actor: context.identity.actor)
            return Response.json(.object([("deployment", Self.json(status))]))
        }
        router.get("/deployments/:name") { _, context in
            let status = try deployments.status(name: try NativeRoutes.pathParameter(context, "name"))
            return Response.json(.object([("deployment", Self.json(status))]))
        }
        router.patch("/deployments/:name") { request, context in
            let name = try NativeRoutes.pathParameter(context, "name")
            let body = try await NativeRequest.jsonObject(request, limit: maxJSONBodyBytes)
            let status = try await deployments.update(name: name, patch: try Self.patch(from: body), actor: context.identity.actor)
            return Response.json(.object([("deployment", Self.json(status))]))
        }
        router.delete("/deployments/:name") { _, context in
            try await deployments.delete(name: try NativeRoutes.pathParameter(context, "name"), actor: context.identity.actor)
            return Response.json(.object([]))
        }
        router.post("/deployments/:name/labels") { request, context in
            let name = try NativeRoutes.pathParameter(context, "name")
            let store = try requireStore()
            guard deployments.deployment(named: name) != nil else { throw DeploymentErrors.notFound(name) }
            let body = try await NativeRequest.jsonObject(request, limit: maxJSONBodyBytes)
            let labels = try Self.labels(from: body)
            let matched = try await store.recordLabels(labels, deployment: name, at: Identifiers.nowMillis())
            return Response.json(.object([("received", .int(labels.count)), ("matched", .int(matched))]))
        }
        router.get("/deployments/:name/predictions") { request, context in
            let name = try NativeRoutes.pathParameter(context, "name")
            let store = try requireStore()
            // The log outlives its deployment, so a deleted deployment's log stays readable.
            let page = try await store.predictions(try Self.query(name, request.uri.query))
            var members: [(String, JSONValue)] = [("predictions", .array(page.items.map(Self.json)))]
            if let token = page.nextPageToken { members.append(("next_page_token", .string(token))) }
            return Response.json(.object(members))
        }
    }

    private func requireStore() throws -> any ServingStore {
        guard let store = serving.store else {
            throw YardError(.notImplemented, "This server keeps no prediction log (it was started without a store).")
        }
        return store
    }

    // MARK: Requests

    static func spec(from body: JSONValue) throws -> DeploymentSpec {
        try rejectUnknown(body, allowed: ["name", "model_uri", "canary_uri", "canary_share", "shadow_uri", "log_sample_rate"])
        guard let name = try string(body, "name") else { throw YardError.missingParameter("name") }
        guard let model = try string(body, "model_uri") else { throw YardError.missingParameter("model_uri") }
        return DeploymentSpec(name: name, modelURI: model, canaryURI: try string(body, "canary_uri"),
                              canaryShare: try number(body, "canary_share") ?? 0, shadowURI: try string(body, "shadow_uri"),
                              logSampleRate: try number(body, "log_sample_rate") ?? 1)
    }

    static func patch(from body: JSONValue) throws -> DeploymentPatch {
        try rejectUnknown(body, allowed: ["model_uri", "canary_uri", "canary_share", "shadow_uri", "log_sample_rate"])
        return DeploymentPatch(
            modelURI: try string(body, "model_uri"), canaryURI: try string(body, "canary_uri"),
            clearCanary: body["canary_uri"] == .null, canaryShare: try number(body, "canary_share"),
            shadowURI: try string(body, "shadow_uri"), clearShadow: body["shadow_uri"] == .null,
            logSampleRate: try number(body, "log_sample_rate"))
    }

    static func labels(from body: JSONValue) throws -> [(predictionId: String, label: String)] {
        guard case .array(let items)? = body["labels"] else {
            throw YardError.invalid("'labels' must be a list of {\"prediction_id\": \"…\", \"label\": …} objects.")
        }
        guard items.count <= 100_000 else { throw YardError.invalid("'labels' holds \(items.count) entries; send at most 100000 per request.") }
        return try items.enumerated().map { index, item in
            guard case .string(let id)? = item["prediction_id"], !id.isEmpty else {
                throw YardError.invalid("labels[\(index)].prediction_id must be the prediction id string a scoring response returned in x-prediction-id.")
            }
            guard let label = item["label"] else { throw YardError.invalid("labels[\(index)].label is missing; give the true value (a number, string, bool or JSON).") }
            return (id, String(decoding: JSONWriter.bytes(label), as: UTF8.self))
        }
    }

    static func query(_ deployment: String, _ query: String?) throws -> PredictionQuery {
        var result = PredictionQuery(deployment: deployment)
        for (key, value) in QueryString.pairs(query) {
            switch key {
            case "limit":
                guard let limit = Int(value), limit > 0 else { throw YardError.invalid("'limit' must be a positive whole number, got '\(value.prefix(50))'.") }
                result.limit = min(limit, PredictionQuery.maxLimit)
            case "page_token": result.pageToken = value
            case "role":
                guard DeploymentRole(rawValue: value) != nil else { throw YardError.invalid("'role' must be primary, canary or shadow, got '\(value.prefix(50))'.") }
                result.role = value
            case "since", "until":
                guard let millis = Int64(value) else { throw YardError.invalid("'\(key)' must be milliseconds since the epoch, got '\(value.prefix(50))'.") }
                if key == "since" { result.since = millis } else { result.until = millis }
            case "labeled_only":
                guard let flag = Bool(value.lowercased()) else { throw YardError.invalid("'labeled_only' must be true or false, got '\(value.prefix(50))'.") }
                result.labeledOnly = flag
            default:
                continue
            }
        }
        return result
    }

    static func rejectUnknown(_ body: JSONValue, allowed: Set<String>) throws {
        guard case .object(let members) = body else { return }
        for (key, _) in members where !allowed.contains(key) {
            throw YardError.invalid("Unknown field '\(key.prefix(100))'; a deployment takes \(allowed.sorted().joined(separator: ", ")).")
        }
    }

    static func string(_ body: JSONValue, _ field: String) throws -> String? {
        switch body[field] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw YardError.invalid("Invalid value for field '\(field)': expected a string.")
        }
    }

    static func number(_ body: JSONValue, _ field: String) throws -> Double? {
        switch body[field] {
        case nil, .null?: return nil
        case .number(let text)?:
            guard let value = Double(text) else { throw YardError.invalid("Invalid value for field '\(field)': '\(text.prefix(50))' is not a number.") }
            return value
        default: throw YardError.invalid("Invalid value for field '\(field)': expected a number between 0 and 1.")
        }
    }

    // MARK: Answers

    static func json(_ status: DeploymentStatus) -> JSONValue {
        let spec = status.spec
        var members: [(String, JSONValue)] = [
            ("name", .string(spec.name)), ("model_uri", .string(spec.modelURI)),
            ("canary_uri", spec.canaryURI.map { .string($0) } ?? .null), ("canary_share", .double(spec.canaryShare)),
            ("shadow_uri", spec.shadowURI.map { .string($0) } ?? .null), ("log_sample_rate", .double(spec.logSampleRate)),
            ("created_at", .int(spec.createdAt)), ("updated_at", .int(spec.updatedAt)),
            ("ready", .bool(status.ready)),
            ("serving_version", status.primary.version.map { .string($0) } ?? .null),
            ("canary_version", status.canary?.version.map { .string($0) } ?? .null),
            ("shadow_version", status.shadow?.version.map { .string($0) } ?? .null),
            ("loaded_at", status.primary.loadedAt.map { .int(Int64($0.timeIntervalSince1970 * 1000)) } ?? .null),
            ("last_load_error", status.primary.lastError.map { .string($0) } ?? .null),
        ]
        var models: [(String, JSONValue)] = [("primary", json(status.primary))]
        if let canary = status.canary { models.append(("canary", json(canary))) }
        if let shadow = status.shadow { models.append(("shadow", json(shadow))) }
        members.append(("models", .object(models)))
        return .object(members)
    }

    static func json(_ slot: ModelSlotStatus) -> JSONValue {
        func millis(_ date: Date?) -> JSONValue { date.map { .int(Int64($0.timeIntervalSince1970 * 1000)) } ?? .null }
        return .object([
            ("uri", .string(slot.uri)), ("model_name", slot.modelName.map { .string($0) } ?? .null),
            ("version", slot.version.map { .string($0) } ?? .null), ("loaded_at", millis(slot.loadedAt)),
            ("pending_version", slot.pendingVersion.map { .string($0) } ?? .null),
            ("last_error", slot.lastError.map { .string($0) } ?? .null), ("last_error_at", millis(slot.lastErrorAt)),
        ])
    }

    static func json(_ record: PredictionRecord) -> JSONValue {
        func embedded(_ text: String?) -> JSONValue {
            guard let text else { return .null }
            return (try? JSONParser.parse(Array(text.utf8))) ?? .string(text)
        }
        return .object([
            ("prediction_id", .string(record.id)), ("deployment", .string(record.deployment)),
            ("model_name", .string(record.modelName)), ("model_version", .string(record.modelVersion)),
            ("role", .string(record.role)), ("timestamp", .int(record.timestamp)), ("latency_micros", .int(record.latencyMicros)),
            ("rows", .int(record.rows)), ("inputs", embedded(record.inputs)), ("outputs", embedded(record.outputs)),
            ("label", embedded(record.label)), ("labeled_at", record.labeledAt.map { .int($0) } ?? .null),
        ])
    }
}
