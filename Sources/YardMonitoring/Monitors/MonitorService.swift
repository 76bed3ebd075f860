import YardCore
import YardJSON
import YardStore

// Placeholder with the interface the HTTP routes and CLI code against; the monitors work replaces it.

/// A validated monitor definition (see the issue-15 monitor spec); `json` is its canonical document.
public struct MonitorSpec: Sendable, Equatable {
    public var name: String
    public var json: JSONValue

    public init(name: String, json: JSONValue) {
        self.name = name
        self.json = json
    }
}

/// Told about every evaluation, so the server can publish gauges (drift per feature, share drifted,
/// quality) labelled by model and version.
public protocol MonitorObserver: Sendable {
    func monitorEvaluated(_ spec: MonitorSpec, evaluation: MonitorEvaluationRecord, report: DriftReport?, quality: [String: Double])
}

/// Where a monitor's reference dataset version is read from (the server: its object store).
public protocol ReferenceResolver: Sendable {
    /// A readable local path of the version's file; throws `.resourceDoesNotExist` naming the version.
    func referencePath(dataset: String, digest: String) async throws -> String
}

/// The monitors' rules: validation, evaluation, history, alerts. No HTTP.
public final class MonitorService: Sendable {
    public let store: any MonitoringStore
    public let serving: any ServingStore

    public init(store: any MonitoringStore, serving: any ServingStore, references: any ReferenceResolver,
                observer: (any MonitorObserver)? = nil) {
        self.store = store
        self.serving = serving
    }

    /// Validates the document; errors name the field (`rules[0].condition: …`).
    public func create(_ document: JSONValue) async throws -> MonitorSpec { throw YardError(.notImplemented, "monitors are not implemented yet") }
    public func update(name: String, _ document: JSONValue) async throws -> MonitorSpec { throw YardError(.notImplemented, "monitors are not implemented yet") }
    public func delete(name: String) async throws { try await store.deleteMonitor(name: name) }
    public func monitor(name: String) async throws -> MonitorSpec { throw YardError(.notImplemented, "monitors are not implemented yet") }
    public func monitors() async throws -> [MonitorSpec] { [] }
    /// Evaluates now, commits the evaluation with the alert transitions, then runs the actions.
    public func evaluate(name: String) async throws -> MonitorEvaluationRecord { throw YardError(.notImplemented, "monitors are not implemented yet") }
}
