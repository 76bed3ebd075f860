import Foundation
import Hummingbird
import YardCore
import YardJSON
import YardMonitoring
import YardStore

/// The native monitoring API, mounted under `/api/v1`. Handlers decode, call `MonitorService` or the
/// monitoring store, and encode; the rules (validation, evaluation, alerting) are the service's.
/// - `GET|POST /monitors`, `GET|PUT|DELETE /monitors/{name}`
/// - `POST /monitors/{name}/evaluate`, `GET /monitors/{name}/evaluations?limit=&before=`
/// - `GET /monitors/{name}/alerts?limit=`, `GET /alerts/events?monitor=&limit=`, `GET /alerts/actions?monitor=&limit=`
struct MonitoringRoutes {
    let monitoring: MonitoringComponents
    let maxJSONBodyBytes: Int

    static let defaultLimit = 100
    static let maxLimit = 1000

    func register(on router: RouteCollection<YardRequestContext>) {
        let service = monitoring.service
        let store = monitoring.store
        let limit = maxJSONBodyBytes
        router.get("/monitors") { _, _ in
            let records = try await store.monitors()
            return Response.json(.object([("monitors", .array(records.map(Self.json)))]))
        }
        router.post("/monitors") { request, _ in
            let body = try await NativeRequest.jsonObject(request, limit: limit)
            let spec = try await service.create(body)
            return Response.json(.object([("monitor", Self.json(try await store.monitor(name: spec.name)))]))
        }
        router.get("/monitors/:name") { _, context in
            let record = try await store.monitor(name: try Self.name(context))
            return Response.json(.object([("monitor", Self.json(record))]))
        }
        router.put("/monitors/:name") { request, context in
            let name = try Self.name(context)
            let body = try await NativeRequest.jsonObject(request, limit: limit)
            let spec = try await service.update(name: name, body)
            return Response.json(.object([("monitor", Self.json(try await store.monitor(name: spec.name)))]))
        }
        router.delete("/monitors/:name") { _, context in
            let name = try Self.name(context)
            try await service.delete(name: name)
            return Response.json(.object([]))
        }
        router.post("/monitors/:name/evaluate") { _, context in
            let name = try Self.name(context)
            let evaluation = try await service.evaluate(name: name)
            return Response.json(.object([("evaluation", Self.json(evaluation))]))
        }
        router.get("/monitors/:name/evaluations") { request, context in
            let name = try Self.name(context)
            var limit = Self.defaultLimit
            var before: Int64?
            for (key, value) in QueryString.pairs(request.uri.query) {
                switch key {
                case "limit": limit = try Self.limit(value)
                case "before":
                    guard let id = Int64(value), id > 0 else {
                        throw YardError.invalid("'before' must be an evaluation id (a positive whole number), got '\(value.prefix(50))'.")
                    }
                    before = id
                default: continue
                }
            }
            let evaluations = try await store.evaluations(monitor: name, limit: limit, before: before)
            // History outlives its monitor, so only a name with neither is unknown.
            if evaluations.isEmpty { _ = try await store.monitor(name: name) }
            return Response.json(.object([("evaluations", .array(evaluations.map(Self.json)))]))
        }
        router.get("/monitors/:name/alerts") { request, context in
            let name = try Self.name(context)
            let limit = try Self.query(request).limit
            let states = try await store.alertStates(monitor: name)
            let events = try await store.alertEvents(monitor: name, limit: limit)
            if states.isEmpty && events.isEmpty { _ = try await store.monitor(name: name) }
            return Response.json(.object([("states", .array(states.map(Self.json))), ("events", .array(events.map(Self.json)))]))
        }
        router.get("/alerts/events") { request, _ in
            let query = try Self.query(request)
            let events = try await store.alertEvents(monitor: query.monitor, limit: query.limit)
            return Response.json(.object([("events", .array(events.map(Self.json)))]))
        }
        router.get("/alerts/actions") { request, _ in
            let query = try Self.query(request)
            let outcomes = try await store.actionOutcomes(monitor: query.monitor, limit: query.limit)
            return Response.json(.object([("actions", .array(outcomes.map(Self.json)))]))
        }
    }

    // MARK: Requests

    static func name(_ context: YardRequestContext) throws -> String {
        try NativeRoutes.pathParameter(context, "name")
    }

    static func limit(_ value: String) throws -> Int {
        guard let limit = Int(value), limit > 0 else {
            throw YardError.invalid("'limit' must be a positive whole number, got '\(value.prefix(50))'.")
        }
        return min(limit, maxLimit)
    }

    /// `monitor=` and `limit=` of the alert listings.
    static func query(_ request: Request) throws -> (monitor: String?, limit: Int) {
        var monitor: String?
        var limit = defaultLimit
        for (key, value) in QueryString.pairs(request.uri.query) {
            switch key {
            case "limit": limit = try Self.limit(value)
            case "monitor": monitor = value.isEmpty ? nil : value
            default: continue
            }
        }
        return (monitor, limit)
    }

    // MARK: Answers

    /// The stored document with its timestamps added.
    static func json(_ record: MonitorRecord) -> JSONValue {
        var members: [(String, JSONValue)]
        if case .object(let stored)? = try? JSONParser.parse(Array(record.spec.utf8)) {
            members = stored.filter { $0.0 != "created_at" && $0.0 != "updated_at" }
        } else {
            members = [("name", .string(record.name))]
        }
        members.append(("created_at", .int(record.createdAt)))
        members.append(("updated_at", .int(record.updatedAt)))
        return .object(members)
    }

    static func json(_ evaluation: MonitorEvaluationRecord) -> JSONValue {
        .object([
            ("id", .int(evaluation.id)), ("monitor", .string(evaluation.monitor)),
            ("evaluated_at", .int(evaluation.evaluatedAt)),
            ("window_start", .int(evaluation.windowStart)), ("window_end", .int(evaluation.windowEnd)),
            ("rows", .int(evaluation.rows)), ("labeled_rows", .int(evaluation.labeledRows)),
            ("model_name", .string(evaluation.modelName)), ("model_version", .string(evaluation.modelVersion)),
            ("status", .string(evaluation.status)), ("error", optional(evaluation.error)),
            ("dataset_drift", .bool(evaluation.datasetDrift)), ("share_drifted", number(evaluation.shareDrifted)),
            ("result", embedded(evaluation.result)),
        ])
    }

    static func json(_ state: AlertStateRecord) -> JSONValue {
        .object([
            ("monitor", .string(state.monitor)), ("rule", .string(state.rule)), ("state", .string(state.state)),
            ("consecutive", .int(state.consecutive)), ("since", .int(state.since)),
            ("last_value", state.lastValue.map(number) ?? .null),
        ])
    }

    static func json(_ event: AlertEventRecord) -> JSONValue {
        .object([
            ("id", .int(event.id)), ("monitor", .string(event.monitor)), ("rule", .string(event.rule)),
            ("state", .string(event.state)), ("evaluation_id", .int(event.evaluationId)),
            ("timestamp", .int(event.timestamp)), ("value", event.value.map(number) ?? .null),
            ("message", .string(event.message)),
        ])
    }

    static func json(_ outcome: ActionOutcomeRecord) -> JSONValue {
        .object([
            ("id", .int(outcome.id)), ("event_id", .int(outcome.eventId)), ("monitor", .string(outcome.monitor)),
            ("action", .string(outcome.action)), ("target", .string(outcome.target)), ("attempt", .int(outcome.attempt)),
            ("outcome", .string(outcome.outcome)), ("detail", .string(outcome.detail)), ("timestamp", .int(outcome.timestamp)),
        ])
    }

    static func optional(_ text: String?) -> JSONValue {
        text.map { .string($0) } ?? .null
    }

    /// Figures as JSON numbers; a non-finite one (no JSON number can carry it) as null.
    static func number(_ value: Double) -> JSONValue {
        value.isFinite ? .number("\(value)") : .null
    }

    /// Stored compact JSON, embedded as JSON (or as a string if a store ever held something else).
    static func embedded(_ text: String) -> JSONValue {
        (try? JSONParser.parse(Array(text.utf8))) ?? .string(text)
    }
}
