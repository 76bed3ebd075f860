import YardCore

/// What the tracking domain needs from a metadata store. Implementations (SQLite now, PostgreSQL for
/// scale-out) run the same shared test suite. Invariants that must hold atomically with a write
/// (params are write-once, deleted runs refuse writes) are enforced here, inside the transaction.
public protocol TrackingStore: Sendable {
    // MARK: Experiments
    /// Creates an experiment and returns its id. `artifactLocation(id)` gives its location once the id is known.
    func createExperiment(name: String, tags: [Tag], artifactLocation: @escaping @Sendable (String) -> String) async throws -> String
    func experiment(id: String) async throws -> Experiment
    func experiment(named name: String) async throws -> Experiment?
    func searchExperiments(_ query: ExperimentQuery) async throws -> Page<Experiment>
    func renameExperiment(id: String, to newName: String) async throws
    /// Soft delete or restore; runs of the experiment follow it.
    func setExperimentLifecycle(id: String, to stage: LifecycleStage) async throws
    func setExperimentTag(id: String, tag: Tag) async throws
    func deleteExperimentTag(id: String, key: String) async throws

    // MARK: Runs
    func createRun(_ info: RunInfo, tags: [Tag]) async throws
    func run(id: String) async throws -> Run
    func updateRun(id: String, status: RunStatus?, endTime: Int64?, runName: String?) async throws -> RunInfo
    func setRunLifecycle(id: String, to stage: LifecycleStage) async throws
    func logBatch(runId: String, metrics: [Metric], params: [Param], tags: [Tag]) async throws
    func deleteRunTag(runId: String, key: String) async throws
    func logInputs(runId: String, datasets: [DatasetInput], modelIds: [String]) async throws
    func logOutputs(runId: String, models: [ModelOutput]) async throws
    func searchRuns(_ query: RunQuery) async throws -> Page<Run>
    func metricHistory(runId: String, key: String, maxResults: Int?, pageToken: String?) async throws -> Page<Metric>
}

public struct ExperimentQuery: Sendable {
    public var filter: [SearchClause]
    public var orderBy: [SearchOrder]
    public var viewType: ViewType
    public var maxResults: Int
    public var pageToken: String?

    public init(filter: [SearchClause] = [], orderBy: [SearchOrder] = [], viewType: ViewType = .activeOnly,
                maxResults: Int = 1000, pageToken: String? = nil) {
        self.filter = filter
        self.orderBy = orderBy
        self.viewType = viewType
        self.maxResults = maxResults
        self.pageToken = pageToken
    }
}

public struct RunQuery: Sendable {
    public var experimentIds: [String]
    public var filter: [SearchClause]
    public var orderBy: [SearchOrder]
    public var viewType: ViewType
    public var maxResults: Int
    public var pageToken: String?

    public init(experimentIds: [String], filter: [SearchClause] = [], orderBy: [SearchOrder] = [],
                viewType: ViewType = .activeOnly, maxResults: Int = 1000, pageToken: String? = nil) {
        self.experimentIds = experimentIds
        self.filter = filter
        self.orderBy = orderBy
        self.viewType = viewType
        self.maxResults = maxResults
        self.pageToken = pageToken
    }
}
