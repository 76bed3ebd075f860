import Foundation
import YardCore

/// Typed calls to the native monitoring API of a running `yard server`: monitors, their evaluations and
/// alerts, and record streams.
public struct MonitorsClient: Sendable {
    public let connection: ServerConnection

    public init(connection: ServerConnection) {
        self.connection = connection
    }

    public struct Monitor: Decodable, Sendable {
        public struct Reference: Decodable, Sendable {
            public var dataset: String
            public var digest: String
        }
        public struct Rule: Decodable, Sendable {
            public var name: String
            public var condition: String
            public var actions: [String]?
        }
        public var name: String
        public var source: [String: String]?
        public var reference: Reference?
        public var window: [String: Double]?
        public var scheduleSeconds: Double?
        public var rules: [Rule]?
        public var createdAt: Int64
        public var updatedAt: Int64
    }

    /// One column's verdict, as `yard drift --json` writes it.
    public struct DriftColumn: Decodable, Sendable {
        public var column: String
        public var role: String?
        public var kind: String?
        public var stattest: String?
        public var stattestTitle: String?
        public var scoreKind: String?
        public var statistic: Double?
        public var pValue: Double?
        public var score: Double?
        public var threshold: Double?
        public var drifted: Bool
        public var referenceCount: Int?
        public var currentCount: Int?
        public var referenceMissing: Int?
        public var currentMissing: Int?
    }

    public struct Skipped: Decodable, Sendable {
        public var column: String
        public var reason: String
    }

    public struct EvaluationResult: Decodable, Sendable {
        public var columns: [DriftColumn]?
        public var skipped: [Skipped]?
        public var driftShare: Double?
        public var referenceRows: Int?
        public var reference: String?
        public var current: String?
        /// Quality and fairness figures that are numbers (null or non-numeric entries are left out).
        public var quality: Figures?
        public var fairness: Figures?
    }

    /// The numeric members of a JSON object and of its `metrics` object, whatever else it holds.
    public struct Figures: Decodable, Sendable {
        public var values: [String: Double]

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: Key.self)
            var values: [String: Double] = [:]
            for key in container.allKeys {
                if let value = try? container.decode(Double.self, forKey: key) {
                    values[key.stringValue] = value
                } else if key.stringValue == "metrics", let nested = try? container.decode(Figures.self, forKey: key) {
                    values.merge(nested.values) { _, inner in inner }
                }
            }
            self.values = values
        }
    }

    public struct Evaluation: Decodable, Sendable {
        public var id: Int64
        public var monitor: String
        public var evaluatedAt: Int64
        public var windowStart: Int64
        public var windowEnd: Int64
        public var rows: Int
        public var labeledRows: Int
        public var modelName: String
        public var modelVersion: String
        public var status: String
        public var error: String?
        public var datasetDrift: Bool
        public var shareDrifted: Double?
        public var result: EvaluationResult?

        enum CodingKeys: String, CodingKey {
            case id, monitor, evaluatedAt, windowStart, windowEnd, rows, labeledRows, modelName, modelVersion, status, error,
                 datasetDrift, shareDrifted, result
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            id = try container.decode(Int64.self, forKey: .id)
            monitor = try container.decode(String.self, forKey: .monitor)
            evaluatedAt = try container.decode(Int64.self, forKey: .evaluatedAt)
            windowStart = try container.decode(Int64.self, forKey: .windowStart)
            windowEnd = try container.decode(Int64.self, forKey: .windowEnd)
            rows = try container.decode(Int.self, forKey: .rows)
            labeledRows = try container.decode(Int.self, forKey: .labeledRows)
            modelName = try container.decode(String.self, forKey: .modelName)
            modelVersion = try container.decode(String.self, forKey: .modelVersion)
            status = try container.decode(String.self, forKey: .status)
            error = try container.decodeIfPresent(String.self, forKey: .error)
            datasetDrift = try container.decode(Bool.self, forKey: .datasetDrift)
            shareDrifted = try container.decodeIfPresent(Double.self, forKey: .shareDrifted)
            // An older or newer server's result shape must not make the history unreadable.
            result = try? container.decodeIfPresent(EvaluationResult.self, forKey: .result)
        }
    }

    public struct AlertState: Decodable, Sendable {
        public var monitor: String
        public var rule: String
        public var state: String
        public var consecutive: Int
        public var since: Int64
        public var lastValue: Double?
    }

    public struct AlertEvent: Decodable, Sendable {
        public var id: Int64
        public var monitor: String
        public var rule: String
        public var state: String
        public var evaluationId: Int64
        public var timestamp: Int64
        public var value: Double?
        public var message: String
    }

    public struct ActionOutcome: Decodable, Sendable {
        public var id: Int64
        public var eventId: Int64
        public var monitor: String
        public var action: String
        public var target: String
        public var attempt: Int
        public var outcome: String
        public var detail: String
        public var timestamp: Int64
    }

    private struct One: Decodable { var monitor: Monitor }
    private struct Many: Decodable { var monitors: [Monitor] }
    private struct Evaluated: Decodable { var evaluation: Evaluation }
    private struct History: Decodable { var evaluations: [Evaluation] }
    public struct Alerts: Decodable, Sendable {
        public var states: [AlertState]
        public var events: [AlertEvent]
    }
    private struct Events: Decodable { var events: [AlertEvent] }
    private struct Actions: Decodable { var actions: [ActionOutcome] }
    private struct Received: Decodable {
        var received: Int
        var ids: [String]?
        var matched: Int?
    }
    private struct Empty: Decodable {}

    private func path(_ name: String, _ tail: String = "") -> String {
        "/api/v1/monitors/\(ServerConnection.pathComponent(name))\(tail)"
    }

    /// `document` is the monitor's JSON definition (see `yard monitor create --help`).
    public func create(document: Data) async throws -> Monitor {
        try await connection.call(One.self, .POST, "/api/v1/monitors", body: document).monitor
    }

    public func update(name: String, document: Data) async throws -> Monitor {
        try await connection.call(One.self, .PUT, path(name), body: document).monitor
    }

    public func list() async throws -> [Monitor] {
        try await connection.call(Many.self, .GET, "/api/v1/monitors").monitors
    }

    public func get(name: String) async throws -> Monitor {
        try await connection.call(One.self, .GET, path(name)).monitor
    }

    /// The stored definition as the server returns it, for printing it whole.
    public func document(name: String) async throws -> Data {
        let reply = try await connection.send(.GET, path(name))
        guard reply.status == 200 else { throw ServerConnection.error(from: reply) }
        guard let object = try JSONSerialization.jsonObject(with: reply.body) as? [String: Any], let monitor = object["monitor"] else {
            throw YardError(.internalError, "The server's answer to GET \(path(name)) holds no monitor.")
        }
        return try JSONSerialization.data(withJSONObject: monitor, options: [.prettyPrinted, .sortedKeys])
    }

    public func delete(name: String) async throws {
        _ = try await connection.call(Empty.self, .DELETE, path(name))
    }

    public func evaluate(name: String) async throws -> Evaluation {
        try await connection.call(Evaluated.self, .POST, path(name, "/evaluate"), body: Data("{}".utf8)).evaluation
    }

    public func evaluations(name: String, limit: Int? = nil, before: Int64? = nil) async throws -> [Evaluation] {
        var query: [(String, String)] = []
        if let limit { query.append(("limit", String(limit))) }
        if let before { query.append(("before", String(before))) }
        return try await connection.call(History.self, .GET, path(name, "/evaluations"), query: query).evaluations
    }

    public func alerts(name: String, limit: Int? = nil) async throws -> Alerts {
        try await connection.call(Alerts.self, .GET, path(name, "/alerts"), query: limit.map { [("limit", String($0))] } ?? [])
    }

    public func actions(monitor: String?, limit: Int? = nil) async throws -> [ActionOutcome] {
        var query: [(String, String)] = []
        if let monitor { query.append(("monitor", monitor)) }
        if let limit { query.append(("limit", String(limit))) }
        return try await connection.call(Actions.self, .GET, "/api/v1/alerts/actions", query: query).actions
    }

    public func events(monitor: String?, limit: Int? = nil) async throws -> [AlertEvent] {
        var query: [(String, String)] = []
        if let monitor { query.append(("monitor", monitor)) }
        if let limit { query.append(("limit", String(limit))) }
        return try await connection.call(Events.self, .GET, "/api/v1/alerts/events", query: query).events
    }

    // MARK: Streams

    /// One record of a stream: the features a model saw, and what it predicted when known.
    public struct StreamRecord: Sendable {
        public var id: String?
        public var timestamp: Int64?
        public var features: [String: StreamValue]
        public var prediction: StreamValue?
        public var modelVersion: String?

        public init(id: String? = nil, timestamp: Int64? = nil, features: [String: StreamValue], prediction: StreamValue? = nil,
                    modelVersion: String? = nil) {
            self.id = id
            self.timestamp = timestamp
            self.features = features
            self.prediction = prediction
            self.modelVersion = modelVersion
        }
    }

    public enum StreamValue: Sendable, Encodable {
        case number(Double), text(String), bool(Bool), missing

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            switch self {
            case .number(let value): try container.encode(value)
            case .text(let value): try container.encode(value)
            case .bool(let value): try container.encode(value)
            case .missing: try container.encodeNil()
            }
        }
    }

    private struct RecordsBody: Encodable {
        struct Item: Encodable {
            var id: String?
            var timestamp: Int64?
            var features: [String: StreamValue]
            var prediction: StreamValue?
            var model_version: String?
        }
        var records: [Item]
    }

    /// Appends records to `stream`; returns their ids (the given ones, or the server's).
    public func postRecords(stream: String, _ records: [StreamRecord]) async throws -> [String] {
        let body = RecordsBody(records: records.map {
            .init(id: $0.id, timestamp: $0.timestamp, features: $0.features, prediction: $0.prediction, model_version: $0.modelVersion)
        })
        let path = "/api/v1/streams/\(ServerConnection.pathComponent(stream))/records"
        return try await connection.call(Received.self, .POST, path, body: try JSONEncoder().encode(body)).ids ?? []
    }

    /// Joins true labels to stream records by id; returns how many ids matched.
    public func postLabels(stream: String, _ labels: [(id: String, label: StreamValue)]) async throws -> Int {
        struct Label: Encodable {
            var id: String
            var label: StreamValue
        }
        struct Body: Encodable { var labels: [Label] }
        let path = "/api/v1/streams/\(ServerConnection.pathComponent(stream))/labels"
        let body = try JSONEncoder().encode(Body(labels: labels.map { Label(id: $0.id, label: $0.label) }))
        return try await connection.call(Received.self, .POST, path, body: body).matched ?? 0
    }
}
