import Foundation
import YardCore

/// Typed calls to the native deployments API of a running `yard server`.
public struct DeploymentsClient: Sendable {
    public let connection: ServerConnection

    public init(connection: ServerConnection) {
        self.connection = connection
    }

    public struct ModelSlot: Decodable, Sendable {
        public var uri: String
        public var modelName: String?
        public var version: String?
        public var loadedAt: Int64?
        public var pendingVersion: String?
        public var lastError: String?
        public var lastErrorAt: Int64?
    }

    public struct Deployment: Decodable, Sendable {
        public var name: String
        public var modelUri: String
        public var canaryUri: String?
        public var canaryShare: Double
        public var shadowUri: String?
        public var logSampleRate: Double
        public var createdAt: Int64
        public var updatedAt: Int64
        public var ready: Bool
        public var servingVersion: String?
        public var canaryVersion: String?
        public var shadowVersion: String?
        public var loadedAt: Int64?
        public var lastLoadError: String?
        public var models: [String: ModelSlot]
    }

    /// The fields of a create or update; nil leaves a field out. `clearCanary`/`clearShadow` send null.
    public struct Fields: Sendable {
        public var modelURI: String?
        public var canaryURI: String?
        public var canaryShare: Double?
        public var shadowURI: String?
        public var logSampleRate: Double?
        public var clearCanary = false
        public var clearShadow = false

        public init(modelURI: String? = nil, canaryURI: String? = nil, canaryShare: Double? = nil, shadowURI: String? = nil,
                    logSampleRate: Double? = nil, clearCanary: Bool = false, clearShadow: Bool = false) {
            self.modelURI = modelURI
            self.canaryURI = canaryURI
            self.canaryShare = canaryShare
            self.shadowURI = shadowURI
            self.logSampleRate = logSampleRate
            self.clearCanary = clearCanary
            self.clearShadow = clearShadow
        }

        func json(name: String?) throws -> Data {
            var object: [String: Any] = [:]
            if let name { object["name"] = name }
            if let modelURI { object["model_uri"] = modelURI }
            if let canaryURI { object["canary_uri"] = canaryURI }
            if clearCanary { object["canary_uri"] = NSNull() }
            if let canaryShare { object["canary_share"] = canaryShare }
            if let shadowURI { object["shadow_uri"] = shadowURI }
            if clearShadow { object["shadow_uri"] = NSNull() }
            if let logSampleRate { object["log_sample_rate"] = logSampleRate }
            return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        }
    }

    private struct One: Decodable { var deployment: Deployment }
    private struct Many: Decodable { var deployments: [Deployment] }
    private struct Empty: Decodable {}

    private func path(_ name: String) -> String {
        "/api/v1/deployments/\(ServerConnection.pathComponent(name))"
    }

    public func list() async throws -> [Deployment] {
        try await connection.call(Many.self, .GET, "/api/v1/deployments").deployments
    }

    public func create(name: String, fields: Fields) async throws -> Deployment {
        try await connection.call(One.self, .POST, "/api/v1/deployments", body: try fields.json(name: name)).deployment
    }

    public func get(name: String) async throws -> Deployment {
        try await connection.call(One.self, .GET, path(name)).deployment
    }

    public func update(name: String, fields: Fields) async throws -> Deployment {
        try await connection.call(One.self, .PATCH, path(name), body: try fields.json(name: nil)).deployment
    }

    public func delete(name: String) async throws {
        _ = try await connection.call(Empty.self, .DELETE, path(name))
    }
}
