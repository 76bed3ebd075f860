import Foundation
import YardCore
import YardStore

/// What a deployment should serve is exactly what the store keeps of it (the primary model URI, an
/// optional canary taking a share of the requests, an optional shadow that sees a copy of every request,
/// and how many predictions to log); serving adds the rules a stored deployment must satisfy.
public typealias DeploymentSpec = DeploymentRecord

extension DeploymentRecord {
    /// Checks every field, naming the one at fault. URIs are parsed, not resolved (the registry is the
    /// watcher's business: a model that does not exist yet is reported in the deployment's status).
    public func validated() throws(YardError) -> DeploymentSpec {
        try Self.validateName(name)
        _ = try ModelReference(parsing: modelURI, field: "model_uri")
        if let canaryURI { _ = try ModelReference(parsing: canaryURI, field: "canary_uri") }
        if let shadowURI { _ = try ModelReference(parsing: shadowURI, field: "shadow_uri") }
        guard canaryShare.isFinite, (0...1).contains(canaryShare) else {
            throw .invalid("Invalid value \(canaryShare) for 'canary_share': it must be a fraction between 0 and 1 (0.1 sends 10% of requests to the canary).")
        }
        if canaryShare > 0 && canaryURI == nil {
            throw .invalid("'canary_share' is \(canaryShare) but no 'canary_uri' is set: give the canary model's URI too, or set canary_share to 0.")
        }
        guard logSampleRate.isFinite, (0...1).contains(logSampleRate) else {
            throw .invalid("Invalid value \(logSampleRate) for 'log_sample_rate': it must be a fraction between 0 and 1 (1 logs every prediction, 0 none).")
        }
        return self
    }

    /// Names go into URL paths (`/serving/{name}/invocations`) and metric labels, so they stay plain.
    public static func validateName(_ name: String) throws(YardError) {
        guard !name.isEmpty else { throw YardError.missingParameter("name") }
        func plain(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
        }
        let bytes = Array(name.utf8)
        guard bytes.count <= 64, let first = bytes.first, plain(first),
              bytes.allSatisfy({ plain($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }) else {
            throw .invalid("Invalid deployment 'name' '\(name.prefix(200))': use 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit.")
        }
    }
}

/// A partial update: nil leaves a field as it is; `clear*` removes an optional model.
public struct DeploymentPatch: Sendable, Equatable {
    public var modelURI: String?
    public var canaryURI: String?
    public var clearCanary = false
    public var canaryShare: Double?
    public var shadowURI: String?
    public var clearShadow = false
    public var logSampleRate: Double?

    public init(modelURI: String? = nil, canaryURI: String? = nil, clearCanary: Bool = false, canaryShare: Double? = nil,
                shadowURI: String? = nil, clearShadow: Bool = false, logSampleRate: Double? = nil) {
        self.modelURI = modelURI
        self.canaryURI = canaryURI
        self.clearCanary = clearCanary
        self.canaryShare = canaryShare
        self.shadowURI = shadowURI
        self.clearShadow = clearShadow
        self.logSampleRate = logSampleRate
    }

    public func applied(to spec: DeploymentSpec) -> DeploymentSpec {
        var updated = spec
        if let modelURI { updated.modelURI = modelURI }
        if clearCanary {
            updated.canaryURI = nil
            updated.canaryShare = 0
        }
        if let canaryURI { updated.canaryURI = canaryURI }
        if let canaryShare { updated.canaryShare = canaryShare }
        if clearShadow { updated.shadowURI = nil }
        if let shadowURI { updated.shadowURI = shadowURI }
        if let logSampleRate { updated.logSampleRate = logSampleRate }
        return updated
    }
}

/// Where deployment specs are kept. The server keeps them in its metadata store (so replicas sharing a
/// database serve the same deployments); `yard serve` keeps its one deployment in memory.
public protocol DeploymentCatalog: Sendable {
    func deploymentSpecs() async throws -> [DeploymentSpec]
    /// Throws RESOURCE_ALREADY_EXISTS when the name is taken.
    func insertDeployment(_ spec: DeploymentSpec) async throws
    /// Throws RESOURCE_DOES_NOT_EXIST when there is no such deployment.
    func replaceDeployment(_ spec: DeploymentSpec) async throws
    /// Throws RESOURCE_DOES_NOT_EXIST when there is no such deployment.
    func removeDeployment(name: String) async throws
}

public actor InMemoryDeploymentCatalog: DeploymentCatalog {
    private var specs: [String: DeploymentSpec] = [:]

    public init(_ initial: [DeploymentSpec] = []) {
        for spec in initial { specs[spec.name] = spec }
    }

    public func deploymentSpecs() -> [DeploymentSpec] {
        specs.values.sorted { $0.name < $1.name }
    }

    public func insertDeployment(_ spec: DeploymentSpec) throws {
        guard specs[spec.name] == nil else { throw YardError(.resourceAlreadyExists, "Deployment '\(spec.name)' already exists.") }
        specs[spec.name] = spec
    }

    public func replaceDeployment(_ spec: DeploymentSpec) throws {
        guard specs[spec.name] != nil else { throw DeploymentErrors.notFound(spec.name) }
        specs[spec.name] = spec
    }

    public func removeDeployment(name: String) throws {
        guard specs.removeValue(forKey: name) != nil else { throw DeploymentErrors.notFound(name) }
    }
}

public enum DeploymentErrors {
    public static func notFound(_ name: String) -> YardError {
        .notFound("Deployment '\(name)' does not exist; list deployments with GET /api/v1/deployments or `yard deploy list`.")
    }

    public static func notReady(_ name: String, reason: String?) -> YardError {
        YardError(.temporarilyUnavailable, "Deployment '\(name)' has no model loaded yet\(reason.map { ": \($0)" } ?? "."); see GET /api/v1/deployments/\(name) for its status.")
    }
}
