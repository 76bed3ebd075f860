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
    /// Legacy `runs/log-model`: reads the active run's tag `key` (nil when unset) and writes
    /// `update(value)` in the same transaction, so concurrent appends do not lose each other.
    func updateRunTag(runId: String, key: String, _ update: @escaping @Sendable (String?) throws -> String) async throws

    // MARK: Registered models
    /// Creates the model with a new stable id (the key of its history).
    func createRegisteredModel(_ model: RegisteredModel) async throws
    func registeredModel(name: String) async throws -> RegisteredModel
    func renameRegisteredModel(name: String, to newName: String, history: [HistoryRecord], actor: String) async throws
    func updateRegisteredModelDescription(name: String, description: String) async throws
    func deleteRegisteredModel(name: String, history: [HistoryRecord], actor: String) async throws
    func searchRegisteredModels(_ query: RegistryQuery) async throws -> Page<RegisteredModel>
    func setRegisteredModelTag(name: String, tag: Tag) async throws
    func deleteRegisteredModelTag(name: String, key: String) async throws

    // MARK: Model versions
    /// Assigns the next version number, appends `history(stored version)` and returns the stored version.
    func createModelVersion(_ version: ModelVersion, history: @escaping @Sendable (ModelVersion) -> [HistoryRecord], actor: String) async throws -> ModelVersion
    func modelVersion(name: String, version: Int64) async throws -> ModelVersion
    func updateModelVersionDescription(name: String, version: Int64, description: String) async throws
    /// Deletes the version with the aliases that point at it; `history` gets those aliases (sorted).
    /// Throws `.resourceConflict` (changing nothing) when the model's policy is not as `policy` expects.
    func deleteModelVersion(name: String, version: Int64, policy: PolicyExpectation,
                            history: @escaping @Sendable ([String]) -> [HistoryRecord], actor: String) async throws
    /// `history` gets the version's previous stage and the versions archived by `archiveExisting`.
    func transitionStage(name: String, version: Int64, to stage: ModelStage, archiveExisting: Bool,
                         history: @escaping @Sendable (StageTransition) -> [HistoryRecord], actor: String) async throws
    func searchModelVersions(_ query: RegistryQuery) async throws -> Page<ModelVersion>
    func setModelVersionTag(name: String, version: Int64, tag: Tag) async throws
    func deleteModelVersionTag(name: String, version: Int64, key: String) async throws

    // MARK: Aliases
    /// Points `alias` at `version` if the alias is in the state `expected` says and the model's policy is
    /// the one the decision was made under (compare-and-set), and appends `history(previous holder)`,
    /// all in one transaction. Throws `.resourceConflict` when either changed; nothing changes then.
    func setAlias(name: String, alias: String, version: Int64, expected: AliasExpectation, policy: PolicyExpectation,
                  history: @escaping @Sendable (Int64?) -> [HistoryRecord], actor: String) async throws
    /// Removes `alias` (if present) under the same conditions, appending `history(previous holder)` if it was set.
    func deleteAlias(name: String, alias: String, expected: AliasExpectation, policy: PolicyExpectation,
                     history: @escaping @Sendable (Int64) -> [HistoryRecord], actor: String) async throws
    func version(name: String, alias: String) async throws -> ModelVersion
    /// The version `alias` points at, or nil when the model has no such alias (the model must exist).
    func aliasHolder(name: String, alias: String) async throws -> Int64?

    // MARK: Policies and history
    func setPolicy(name: String, document: String, history: [HistoryRecord], actor: String) async throws
    func policy(name: String) async throws -> String?
    /// Appends entries to a live model's history (decisions that change nothing else).
    func appendHistory(name: String, records: [HistoryRecord], actor: String) async throws
    /// The stable id of the live model called `name`, or nil.
    func registeredModelId(name: String) async throws -> String?
    /// Ids of deleted models whose last name was `name`, most recently deleted first.
    func deletedModelIds(name: String) async throws -> [String]
    func history(modelId: String) async throws -> [ModelHistoryEntry]
}

/// The state an alias must be in for a compare-and-set to go through.
public enum AliasExpectation: Sendable, Equatable {
    /// No condition: whatever the alias holds (plain MLflow semantics).
    case any
    /// The alias must not exist.
    case absent
    /// The alias must point at this version.
    case holds(Int64)

    public init(_ version: Int64?) {
        self = version.map(AliasExpectation.holds) ?? .absent
    }

    public func matches(_ current: Int64?) -> Bool {
        switch self {
        case .any: return true
        case .absent: return current == nil
        case .holds(let version): return current == version
        }
    }
}

/// The promotion policy a write was decided under, checked again in the write's transaction.
public enum PolicyExpectation: Sendable, Equatable {
    /// No condition.
    case any
    /// The stored policy document must be exactly this one (nil: the model has no policy).
    case document(String?)

    public func matches(_ current: String?) -> Bool {
        switch self {
        case .any: return true
        case .document(let expected): return expected == current
        }
    }
}

/// What a stage transition changed, for its history entries.
public struct StageTransition: Sendable, Equatable {
    public var version: Int64
    public var from: ModelStage
    public var to: ModelStage
    /// Versions moved to Archived because they were in `to` (archive_existing_versions).
    public var archived: [Int64]

    public init(version: Int64, from: ModelStage, to: ModelStage, archived: [Int64]) {
        self.version = version
        self.from = from
        self.to = to
        self.archived = archived
    }
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
