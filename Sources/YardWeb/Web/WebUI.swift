import YardBlobs
import YardRegistry
import YardTracking

/// The domain services the pages read and change: the same ones the APIs call, so the UI can never see
/// or do anything the APIs cannot.
public struct WebServices: Sendable {
    public let tracking: TrackingService
    public let loggedModels: LoggedModelService
    public let registry: RegistryService
    public let promotion: PromotionService
    public let lineage: LineageService
    public let datasets: DatasetService
    public let artifacts: ArtifactRoots

    public init(tracking: TrackingService, loggedModels: LoggedModelService, registry: RegistryService,
                promotion: PromotionService, lineage: LineageService, datasets: DatasetService, artifacts: ArtifactRoots) {
        self.tracking = tracking
        self.loggedModels = loggedModels
        self.registry = registry
        self.promotion = promotion
        self.lineage = lineage
        self.datasets = datasets
        self.artifacts = artifacts
    }
}

/// Every page and endpoint of the web UI. To add a page: write a `Pages/<Area>Pages.swift` with a
/// `static func routes(_:) -> [WebRoute]`, list it here, link it from `PageLayout.sections` if it is a
/// top-level area, and give its URLs a builder in `WebLinks`.
public enum WebUI {
    public static func routes(_ services: WebServices) -> [WebRoute] {
        StaticAssets.routes()
            + ExperimentPages.routes(services)
            + RunPages.routes(services)
            + ComparePages.routes(services)
            + ModelPages.routes(services)
            + DatasetPages.routes(services)
    }
}
