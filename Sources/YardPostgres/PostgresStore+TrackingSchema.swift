import YardCore

extension PostgresStore {
    static let trackingMigrations: [PostgresMigration] = []

    /// The default experiment "0" exists in every fresh store, as in MLflow.
    public func ensureDefaultExperiment(artifactLocation: String) async throws {
        throw YardError(.notImplemented, "placeholder until the tracking tables land")
    }
}
