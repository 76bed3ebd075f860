import YardCore
import YardStore

/// MLflow's error codes and messages for what a tracking store refused. Stores throw
/// `TrackingStoreError` (data); this is the one place that words it the way MLflow's server does, so
/// the client (and the compat suite, which asserts these texts) reads the same thing from every store.
public enum TrackingErrors {
    public static func yardError(for error: TrackingStoreError) -> YardError {
        switch error {
        case .experimentNotFound(let id):
            return .notFound("No Experiment with id=\(id) exists")
        case .experimentAlreadyExists(let name):
            return YardError(.resourceAlreadyExists, "Experiment(name=\(name)) already exists. Error: a row with this name is in the experiments table")
        case .experimentNameTaken(let name):
            return YardError(.resourceAlreadyExists, "Experiment(name=\(name)) already exists.")
        case .experimentNotActive(let id, let stage):
            return .invalid("The experiment \(id) must be in the 'active' state. Current state is \(stage.rawValue).")
        case .renamingInactiveExperiment:
            return .invalid("Cannot rename a non-active experiment.")
        case .deletingDefaultExperiment:
            return .invalid("Cannot delete the default experiment '0'. This is an internally reserved experiment.")
        case .experimentLifecycleUnchanged(let id, let requested, let current):
            let verb = requested == .deleted ? "delete" : "restore"
            let expected = requested == .deleted ? "active" : "deleted"
            return .invalid("Cannot \(verb) experiment \(id) because it is not \(expected). Current lifecycle stage is \(current.rawValue).")
        case .experimentTagNotFound(let experimentId, let key):
            return .notFound("No tag with name: \(key) in experiment with id \(experimentId)")
        case .runNotFound(let id):
            return .notFound("Run with id=\(id) not found")
        case .runNotActive(let id, let stage):
            return .invalid("The run \(id) must be in the 'active' state. Current state is \(stage.rawValue).")
        case .runTagNotFound(let runId, let key):
            return .notFound("No tag with name: \(key) in run with id \(runId)")
        case .paramValueChanged(let runId, let key, let oldValue, let newValue):
            return .invalid("Changing param values is not allowed. Param with key='\(key)' was already logged with value='\(oldValue)' for run ID='\(runId)'. Attempted logging new value '\(newValue)'.")
        }
    }

    /// Runs a store call, rethrowing a `TrackingStoreError` as MLflow's `YardError`.
    public static func translating<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as TrackingStoreError {
            throw yardError(for: error)
        }
    }
}
