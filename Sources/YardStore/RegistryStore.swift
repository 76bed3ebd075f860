import YardCore

/// What the model registry needs from a metadata store: MLflow 3 logged models, registered models,
/// versions, aliases, and Modelyard's promotion policies and append-only history. Writes that change
/// state and the history entry describing them commit in one transaction.
public protocol RegistryStore: Sendable {
    // MARK: Logged models
    func createLoggedModel(_ model: LoggedModel) async throws
    func loggedModel(id: String, allowDeleted: Bool) async throws -> LoggedModel
    func updateLoggedModelStatus(id: String, status: LoggedModelStatus, message: String?) async throws -> LoggedModel
    func setLoggedModelTags(id: String, tags: [Tag]) async throws
    func deleteLoggedModelTag(id: String, key: String) async throws
    func logLoggedModelParams(id: String, params: [Param]) async throws
    func deleteLoggedModel(id: String) async throws
    func searchLoggedModels(_ query: LoggedModelQuery) async throws -> Page<LoggedModel>

    // MARK: Registered models
    func createRegisteredModel(_ model: RegisteredModel) async throws
    func registeredModel(name: String) async throws -> RegisteredModel
    func renameRegisteredModel(name: String, to newName: String, actor: String) async throws
    func updateRegisteredModelDescription(name: String, description: String) async throws
    func deleteRegisteredModel(name: String, actor: String) async throws
    func searchRegisteredModels(_ query: RegistryQuery) async throws -> Page<RegisteredModel>
    func setRegisteredModelTag(name: String, tag: Tag) async throws
    func deleteRegisteredModelTag(name: String, key: String) async throws

    // MARK: Model versions
    /// Assigns the next version number and returns the stored version.
    func createModelVersion(_ version: ModelVersion, actor: String) async throws -> ModelVersion
    func modelVersion(name: String, version: Int64) async throws -> ModelVersion
    func updateModelVersionDescription(name: String, version: Int64, description: String) async throws
    func deleteModelVersion(name: String, version: Int64, actor: String) async throws
    func transitionStage(name: String, version: Int64, to stage: ModelStage, archiveExisting: Bool, actor: String) async throws
    func searchModelVersions(_ query: RegistryQuery) async throws -> Page<ModelVersion>
    func setModelVersionTag(name: String, version: Int64, tag: Tag) async throws
    func deleteModelVersionTag(name: String, version: Int64, key: String) async throws

    // MARK: Aliases
    /// Points `alias` at `version` and records the move (with `action` and `detail`) in the history.
    func setAlias(name: String, alias: String, version: Int64, action: String, detail: String, actor: String) async throws
    func deleteAlias(name: String, alias: String, actor: String) async throws
    func version(name: String, alias: String) async throws -> ModelVersion

    // MARK: Policies and history
    func setPolicy(name: String, document: String, actor: String) async throws
    func policy(name: String) async throws -> String?
    func appendHistory(name: String, version: Int64?, action: String, detail: String, actor: String) async throws
    func history(name: String) async throws -> [ModelHistoryEntry]
}

public struct RegistryQuery: Sendable {
    public var filter: [SearchClause]
    public var orderBy: [SearchOrder]
    public var maxResults: Int
    public var pageToken: String?
    /// Prompts (models tagged `mlflow.prompt.is_prompt=true`) are hidden unless the filter asks for them.
    public var includePrompts: Bool

    public init(filter: [SearchClause] = [], orderBy: [SearchOrder] = [], maxResults: Int = 100,
                pageToken: String? = nil, includePrompts: Bool = false) {
        self.filter = filter
        self.orderBy = orderBy
        self.maxResults = maxResults
        self.pageToken = pageToken
        self.includePrompts = includePrompts
    }
}

public struct LoggedModelQuery: Sendable {
    public var experimentIds: [String]
    public var filter: [SearchClause]
    public var orderBy: [SearchOrder]
    public var maxResults: Int
    public var pageToken: String?

    public init(experimentIds: [String], filter: [SearchClause] = [], orderBy: [SearchOrder] = [],
                maxResults: Int = 100, pageToken: String? = nil) {
        self.experimentIds = experimentIds
        self.filter = filter
        self.orderBy = orderBy
        self.maxResults = maxResults
        self.pageToken = pageToken
    }
}
