import YardStore

/// The deployment catalog kept in the server's metadata store, so replicas sharing the database serve
/// the same deployments.
public struct ServingStoreCatalog: DeploymentCatalog {
    let store: any ServingStore

    public init(store: any ServingStore) {
        self.store = store
    }

    public func deploymentSpecs() async throws -> [DeploymentSpec] {
        try await store.deployments().map(Self.spec)
    }

    public func insertDeployment(_ spec: DeploymentSpec) async throws {
        try await store.createDeployment(Self.record(spec))
    }

    public func replaceDeployment(_ spec: DeploymentSpec) async throws {
        try await store.updateDeployment(Self.record(spec))
    }

    public func removeDeployment(name: String) async throws {
        try await store.deleteDeployment(name: name)
    }

    static func spec(_ record: DeploymentRecord) -> DeploymentSpec {
        DeploymentSpec(name: record.name, modelURI: record.modelURI, canaryURI: record.canaryURI, canaryShare: record.canaryShare,
                       shadowURI: record.shadowURI, logSampleRate: record.logSampleRate,
                       createdAt: record.createdAt, updatedAt: record.updatedAt)
    }

    static func record(_ spec: DeploymentSpec) -> DeploymentRecord {
        DeploymentRecord(name: spec.name, modelURI: spec.modelURI, canaryURI: spec.canaryURI, canaryShare: spec.canaryShare,
                         shadowURI: spec.shadowURI, logSampleRate: spec.logSampleRate,
                         createdAt: spec.createdAt, updatedAt: spec.updatedAt)
    }
}
