import YardStore

/// The deployment catalog kept in the server's metadata store, so replicas sharing the database serve
/// the same deployments.
public struct ServingStoreCatalog: DeploymentCatalog {
    let store: any ServingStore

    public init(store: any ServingStore) {
        self.store = store
    }

    public func deploymentSpecs() async throws -> [DeploymentSpec] {
        try await store.deployments()
    }

    public func insertDeployment(_ spec: DeploymentSpec) async throws {
        try await store.createDeployment(spec)
    }

    public func replaceDeployment(_ spec: DeploymentSpec) async throws {
        try await store.updateDeployment(spec)
    }

    public func removeDeployment(name: String) async throws {
        try await store.deleteDeployment(name: name)
    }
}
