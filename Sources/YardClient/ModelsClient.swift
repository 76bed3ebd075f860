import Foundation
import YardCore

/// Typed calls to the native registry API: policies, promotion, rollback, history and lineage.
public struct ModelsClient: Sendable {
    public let connection: ServerConnection

    public init(connection: ServerConnection) {
        self.connection = connection
    }

    public struct Policy: Decodable, Sendable {
        public var model: String
        public var document: String
        public var metricGates: [String]
        public var requiredTags: [String]
        public var requireDescription: Bool
        public var requiredDatasets: [String]
    }

    public struct Rollback: Decodable, Sendable {
        public var model: String
        public var alias: String
        public var from: Int64
        public var to: Int64
    }

    public struct History: Decodable, Sendable {
        public struct Entry: Decodable, Sendable {
            public var sequence: Int64
            public var version: Int64?
            public var action: String
            public var detail: String
            public var actor: String
            public var timestamp: Int64
        }
        public var model: String
        public var entries: [Entry]
    }

    private struct Refusal: Decodable {
        var message: String
        var decision: PromotionDecision
    }

    private func modelPath(_ name: String, _ tail: String) -> String {
        "/api/v1/models/\(ServerConnection.pathComponent(name))/\(tail)"
    }

    public func setPolicy(model: String, document: String) async throws -> Policy {
        try await connection.call(Policy.self, .PUT, modelPath(model, "policy"), body: Data(document.utf8), contentType: "application/yaml")
    }

    public func policy(model: String) async throws -> Policy {
        try await connection.call(Policy.self, .GET, modelPath(model, "policy"))
    }

    /// The decision, whether the promotion passed or was refused; other failures throw.
    public func promote(model: String, version: Int64, alias: String, dryRun: Bool) async throws -> PromotionDecision {
        let body = try JSONSerialization.data(withJSONObject: ["version": version, "alias": alias, "dry_run": dryRun])
        let reply = try await connection.send(.POST, modelPath(model, "promote"), body: body)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        switch reply.status {
        case 200: return try decoder.decode(PromotionDecision.self, from: reply.body)
        case 422: return try decoder.decode(Refusal.self, from: reply.body).decision
        default: throw ServerConnection.error(from: reply)
        }
    }

    public func rollback(model: String, alias: String) async throws -> Rollback {
        let body = try JSONSerialization.data(withJSONObject: ["alias": alias])
        return try await connection.call(Rollback.self, .POST, modelPath(model, "rollback"), body: body)
    }

    public func history(model: String) async throws -> History {
        try await connection.call(History.self, .GET, modelPath(model, "history"))
    }

    public func lineage(uri: String) async throws -> Lineage {
        try await connection.call(Lineage.self, .GET, "/api/v1/lineage", query: [("uri", uri)])
    }

    /// The raw JSON of a lineage, for `--json` output.
    public func lineageJSON(uri: String) async throws -> Data {
        let reply = try await connection.send(.GET, "/api/v1/lineage", query: [("uri", uri)])
        guard reply.status == 200 else { throw ServerConnection.error(from: reply) }
        return reply.body
    }
}
