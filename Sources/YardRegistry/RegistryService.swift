import Foundation
import YardCore
import YardStore
import YardTracking

/// The MLflow model registry: registered models, versions, stages and aliases, with MLflow's rules for
/// names, sources and aliases. Every state change is also written to the model's history: this service
/// decides which entries a change writes, and the store appends them in the change's transaction.
///
/// Aliases protected by the model's promotion policy (see ``PromotionPolicy/protects(_:)``) are not
/// moved or deleted here: they move only through ``PromotionService``'s gates (and its rollback).
public struct RegistryService: Sendable {
    let registry: any RegistryStore
    let tracking: any TrackingStore

    public init(registry: any RegistryStore, tracking: any TrackingStore) {
        self.registry = registry
        self.tracking = tracking
    }

    // MARK: Registered models

    public func createModel(name: String?, description: String?, tags: [Tag], userId: String?) async throws -> RegisteredModel {
        let name = try Self.validateModelName(name)
        for tag in tags { try Self.validateTag(tag) }
        let now = Identifiers.nowMillis()
        try await registry.createRegisteredModel(RegisteredModel(
            name: name, creationTimestamp: now, lastUpdatedTimestamp: now, userId: userId, description: description ?? "", tags: tags))
        return try await registry.registeredModel(name: name)
    }

    public func model(name: String) async throws -> RegisteredModel {
        try await registry.registeredModel(name: name)
    }

    public func renameModel(name: String, newName: String?, actor: String) async throws -> RegisteredModel {
        let newName = try Self.validateModelName(newName, field: "new_name")
        try await registry.renameRegisteredModel(name: name, to: newName, history: [
            HistoryRecord(version: nil, action: .renamed, detail: HistoryJSON.encode(["from": name]))], actor: actor)
        return try await registry.registeredModel(name: newName)
    }

    public func updateModel(name: String, description: String?) async throws -> RegisteredModel {
        if let description { try await registry.updateRegisteredModelDescription(name: name, description: description) }
        return try await registry.registeredModel(name: name)
    }

    public func deleteModel(name: String, actor: String) async throws {
        try await registry.deleteRegisteredModel(name: name, history: [HistoryRecord(version: nil, action: .modelDeleted, detail: "{}")], actor: actor)
    }

    public func searchModels(filter: String?, orderBy: [String], maxResults: Int64?, pageToken: String?) async throws -> Page<RegisteredModel> {
        let limit = try Validation.validateMaxResults(maxResults, limit: Validation.maxRegisteredModelSearchResults, default: 100)
        let clauses = try SearchGrammar.parseRegisteredModelFilter(filter)
        return try await registry.searchRegisteredModels(RegistryQuery(
            filter: clauses, orderBy: try SearchGrammar.parseRegisteredModelOrderBy(orderBy),
            maxResults: limit, pageToken: pageToken, includePrompts: Self.asksForPrompts(clauses)))
    }

    public func setModelTag(name: String, tag: Tag) async throws {
        try Self.validateTag(tag)
        try await registry.setRegisteredModelTag(name: name, tag: tag)
    }

    public func deleteModelTag(name: String, key: String) async throws {
        try await registry.deleteRegisteredModelTag(name: name, key: key)
    }

    public func latestVersions(name: String, stages: [String]) async throws -> [ModelVersion] {
        let model = try await registry.registeredModel(name: name)
        guard !stages.isEmpty else { return model.latestVersions }
        let wanted = try Set(stages.map { try Self.stage($0) })
        return model.latestVersions.filter { wanted.contains($0.currentStage) }
    }

    // MARK: Versions

    public func createVersion(name: String, source: String?, runId: String?, modelId: String?, tags: [Tag],
                              runLink: String?, description: String?, userId: String?, actor: String) async throws -> ModelVersion {
        guard let givenSource = source, !givenSource.isEmpty else { throw YardError.missingParameter("source") }
        for tag in tags { try Self.validateTag(tag) }
        var runId = runId?.isEmpty == true ? nil : runId
        var modelId = modelId?.isEmpty == true ? nil : modelId
        var source = givenSource
        try Self.refuseTraversal(source)
        if Self.hasScheme(source, "models") {
            let reference = Self.afterScheme(source)
            let parts = reference.split(separator: "/", omittingEmptySubsequences: true)
            if parts.count == 2, let number = Int64(parts[1]) {
                // models:/name/version points at another registered version: register its source.
                let referenced = try await registry.modelVersion(name: String(parts[0]), version: number)
                source = referenced.source
                runId = runId ?? referenced.runId
                modelId = modelId ?? referenced.modelId
            } else if parts.count == 1, parts[0].hasPrefix("m-") {
                let logged = try await registry.loggedModel(id: String(parts[0]), allowDeleted: false)
                modelId = logged.modelId
                runId = runId ?? logged.sourceRunId
            }
        }
        if let modelId, !Self.hasScheme(source, "models") {
            _ = try await registry.loggedModel(id: modelId, allowDeleted: false)
        }
        if let runId {
            let run = try await TrackingErrors.translating { try await tracking.run(id: runId) }
            if Self.hasScheme(source, "runs") {
                let sourceRun = Self.afterScheme(source).split(separator: "/").first.map(String.init)
                if sourceRun != runId {
                    throw YardError.invalid("Invalid model version source: '\(source)'. The run ID in the source must match the run_id '\(runId)'.")
                }
            } else if Self.isLocalPath(source) {
                let root = Self.isLocalPath(run.info.artifactUri) ? Self.localPath(run.info.artifactUri) : ""
                guard Self.path(Self.localPath(source), liesWithin: root) else {
                    throw YardError.invalid("Invalid model version source: '\(source)'. To use a local path as a model version source, it must lie inside the artifact location of run '\(runId)'.")
                }
            }
        } else if Self.isLocalPath(source) && modelId == nil {
            throw YardError.invalid("Invalid model version source: '\(source)'. To use a local path as a model version source, the run_id request parameter has to be specified and the local path has to be contained within the artifact directory of the run specified by the run_id.")
        }
        let now = Identifiers.nowMillis()
        return try await registry.createModelVersion(ModelVersion(
            name: name, version: 0, creationTimestamp: now, lastUpdatedTimestamp: now, userId: userId,
            description: description ?? "", source: source, runId: runId, runLink: runLink, modelId: modelId, tags: tags),
            history: { stored in
                [HistoryRecord(version: stored.version, action: .versionCreated, detail: HistoryJSON.encode(["source": stored.source]))]
            }, actor: actor)
    }

    public func version(name: String, version: String) async throws -> ModelVersion {
        try await registry.modelVersion(name: name, version: try Self.versionNumber(version))
    }

    public func updateVersion(name: String, version: String, description: String?) async throws -> ModelVersion {
        let number = try Self.versionNumber(version)
        if let description { try await registry.updateModelVersionDescription(name: name, version: number, description: description) }
        return try await registry.modelVersion(name: name, version: number)
    }

    /// Deletes the version; each alias that goes with it is recorded as deleted. A version holding an
    /// alias protected by the model's policy is refused: move the alias first (promote or roll back).
    public func deleteVersion(name: String, version: String, actor: String) async throws {
        let number = try Self.versionNumber(version)
        let found = try await registry.modelVersion(name: name, version: number)
        let document = try await registry.policy(name: name)
        if let policy = try document.map(PromotionPolicy.parse) {
            if let alias = found.aliases.first(where: { policy.protects($0) }) {
                throw YardError(.permissionDenied, "Version \(number) of registered model '\(name)' holds alias '\(alias)', which the model's promotion policy protects; move the alias first with `yard model promote \(name) <version> --alias \(alias)` or `yard model rollback \(name) --alias \(alias)` (POST /api/v1/models/\(name)/promote or /rollback), then delete the version.")
            }
        }
        // The policy is checked again in the delete's transaction (409 if it changed meanwhile).
        try await registry.deleteModelVersion(name: name, version: number, policy: .document(document), history: { aliases in
            aliases.map { HistoryRecord(version: number, action: .aliasDeleted, detail: AliasMove(alias: $0, from: number, to: nil).json) }
                + [HistoryRecord(version: number, action: .versionDeleted, detail: "{}")]
        }, actor: actor)
    }

    public func transitionStage(name: String, version: String, stage: String, archiveExisting: Bool, actor: String) async throws -> ModelVersion {
        let number = try Self.versionNumber(version)
        try await registry.transitionStage(name: name, version: number, to: try Self.stage(stage), archiveExisting: archiveExisting, history: { change in
            change.archived.map {
                HistoryRecord(version: $0, action: .stageChanged,
                              detail: StageChange(from: change.to, to: .archived, reason: "archive_existing_versions").json)
            } + [HistoryRecord(version: change.version, action: .stageChanged, detail: StageChange(from: change.from, to: change.to, reason: nil).json)]
        }, actor: actor)
        return try await registry.modelVersion(name: name, version: number)
    }

    public func searchVersions(filter: String?, orderBy: [String], maxResults: Int64?, pageToken: String?) async throws -> Page<ModelVersion> {
        let limit = try Validation.validateMaxResults(maxResults, limit: Validation.maxModelVersionSearchResults, default: 10_000)
        let clauses = try SearchGrammar.parseModelVersionFilter(filter)
        return try await registry.searchModelVersions(RegistryQuery(
            filter: clauses, orderBy: try SearchGrammar.parseModelVersionOrderBy(orderBy),
            maxResults: limit, pageToken: pageToken, includePrompts: Self.asksForPrompts(clauses)))
    }

    public func setVersionTag(name: String, version: String, tag: Tag) async throws {
        try Self.validateTag(tag)
        try await registry.setModelVersionTag(name: name, version: try Self.versionNumber(version), tag: tag)
    }

    public func deleteVersionTag(name: String, version: String, key: String) async throws {
        try await registry.deleteModelVersionTag(name: name, version: try Self.versionNumber(version), key: key)
    }

    /// The location of a version's artifacts: its source, except that a `models:/<model_id>` source
    /// resolves to that logged model's artifact location.
    public func downloadURI(name: String, version: String) async throws -> String {
        let found = try await registry.modelVersion(name: name, version: try Self.versionNumber(version))
        if Self.hasScheme(found.source, "models"), Self.afterScheme(found.source).hasPrefix("m-") {
            let id = Self.afterScheme(found.source)
            return try await registry.loggedModel(id: id, allowDeleted: true).artifactLocation
        }
        return found.source
    }

    // MARK: Aliases

    /// MLflow's set-alias: refused (403) for an alias the model's promotion policy protects.
    public func setAlias(name: String, alias: String, version: String, actor: String) async throws {
        try Self.validateAlias(alias)
        let number = try Self.versionNumber(version)
        let document = try await registry.policy(name: name)
        if let policy = try document.map(PromotionPolicy.parse), policy.protects(alias) {
            throw YardError(.permissionDenied, "Alias '\(alias)' of registered model '\(name)' is protected by the model's promotion policy and moves only through its gates: use `yard model promote \(name) \(number) --alias \(alias)` or POST /api/v1/models/\(name)/promote with {\"version\": \(number), \"alias\": \"\(alias)\"}. \(Self.protectionNote)")
        }
        try await registry.setAlias(name: name, alias: alias, version: number, expected: .any, policy: .document(document), history: { previous in
            [HistoryRecord(version: number, action: .aliasSet, detail: AliasMove(alias: alias, from: previous, to: number).json)]
        }, actor: actor)
    }

    /// MLflow's delete-alias: refused (403) for an alias the model's promotion policy protects.
    public func deleteAlias(name: String, alias: String, actor: String) async throws {
        let document = try await registry.policy(name: name)
        if let policy = try document.map(PromotionPolicy.parse), policy.protects(alias) {
            throw YardError(.permissionDenied, "Alias '\(alias)' of registered model '\(name)' is protected by the model's promotion policy and cannot be deleted through the MLflow API; move it with `yard model promote` or `yard model rollback` (POST /api/v1/models/\(name)/promote or /rollback). \(Self.protectionNote)")
        }
        try await registry.deleteAlias(name: name, alias: alias, expected: .any, policy: .document(document), history: { previous in
            [HistoryRecord(version: previous, action: .aliasDeleted, detail: AliasMove(alias: alias, from: previous, to: nil).json)]
        }, actor: actor)
    }

    static let protectionNote = "A policy protects every alias of its model unless it lists the protected ones under 'aliases:'."

    public func version(name: String, alias: String) async throws -> ModelVersion {
        try await registry.version(name: name, alias: alias)
    }

    // MARK: Rules

    static func validateModelName(_ name: String?, field: String = "name") throws -> String {
        guard let name, !name.isEmpty else { throw YardError.missingParameter(field) }
        if name.contains("/") || name.contains(":") || name.contains("\0") || name.count > 256 {
            throw YardError.invalid("Invalid name '\(name)' for parameter '\(field)': a registered model name must not contain '/' or ':' and must be at most 256 characters.")
        }
        return name
    }

    static func validateTag(_ tag: Tag) throws {
        try Validation.validateKey(tag.key)
        if tag.value.count > 100_000 {
            throw YardError.invalid("Tag value exceeds the maximum length of 100000 characters")
        }
    }

    static func validateAlias(_ alias: String) throws {
        if alias.isEmpty { throw YardError.missingParameter("alias") }
        if alias.count > 255 || alias.range(of: "^[\\w-]*$", options: .regularExpression) == nil {
            throw YardError.invalid("Invalid alias name: '\(alias)'. Aliases may only contain alphanumerics, underscores and dashes, and be at most 255 characters long.")
        }
        if alias.lowercased() == "latest" {
            throw YardError.invalid("'\(alias)' alias name (case insensitive) is reserved.")
        }
        if alias.range(of: "^[vV]\\d+$", options: .regularExpression) != nil {
            throw YardError.invalid("Version alias name '\(alias)' is reserved.")
        }
    }

    static func versionNumber(_ text: String) throws -> Int64 {
        guard let number = Int64(text), number > 0 else {
            throw YardError.invalid("Invalid value \(text) for parameter 'version' supplied: Model version must be a positive integer.")
        }
        return number
    }

    static func stage(_ text: String) throws -> ModelStage {
        guard let stage = ModelStage(caseInsensitive: text) else {
            throw YardError.invalid("Invalid Model Version stage: \(text). Value must be one of None, Staging, Production, Archived.")
        }
        return stage
    }

    static func refuseTraversal(_ source: String) throws {
        let lowered = source.lowercased()
        if source.contains("\0") || lowered.contains("%2f..") || lowered.contains("%2e%2e")
            || source.split(separator: "/", omittingEmptySubsequences: false).contains("..") {
            throw YardError.invalid("Invalid model version source: '\(source)'. If supplying a source as an http, https, local file path, ftp, objectstore, or mlflow-artifacts uri, an absolute path must be provided without relative path references present. Please provide an absolute path.")
        }
    }

    /// A source's URI scheme, lowercased (schemes are case-insensitive), or nil for a plain path.
    static func scheme(of source: String) -> String? {
        guard let colon = source.firstIndex(of: ":") else { return nil }
        let name = source[..<colon]
        guard let first = name.first, first.isASCII, first.isLetter,
              name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "+" || $0 == "-" || $0 == ".") }) else { return nil }
        return name.lowercased()
    }

    static func hasScheme(_ source: String, _ scheme: String) -> Bool {
        self.scheme(of: source) == scheme && source.dropFirst(scheme.count + 1).hasPrefix("/")
    }

    /// What follows `scheme:/` (e.g. `name/1` in `models:/name/1`).
    static func afterScheme(_ source: String) -> String {
        guard let colon = source.firstIndex(of: ":") else { return source }
        return String(source[source.index(after: colon)...].drop { $0 == "/" })
    }

    static func isLocalPath(_ source: String) -> Bool {
        guard let scheme = scheme(of: source) else { return true }
        return scheme == "file"
    }

    /// The filesystem path of a local source: `file://`/`file:` (any case) removed.
    static func localPath(_ source: String) -> String {
        guard scheme(of: source) == "file" else { return source }
        let rest = source.dropFirst("file:".count)
        return rest.hasPrefix("//") ? String(rest.dropFirst(2)) : String(rest)
    }

    /// Containment by whole path components: `/a/runs/12` does not lie within `/a/runs/1`.
    static func path(_ path: String, liesWithin root: String) -> Bool {
        guard root.hasPrefix("/"), path.hasPrefix("/") else { return false }
        let rootParts = root.split(separator: "/", omittingEmptySubsequences: true)
        let pathParts = path.split(separator: "/", omittingEmptySubsequences: true)
        return pathParts.count >= rootParts.count && zip(rootParts, pathParts).allSatisfy { $0 == $1 }
    }

    /// Prompts are hidden unless the filter explicitly asks for them.
    static func asksForPrompts(_ clauses: [SearchClause]) -> Bool {
        clauses.contains { clause in
            guard clause.entity == .tag, clause.key == ReservedTags.isPrompt, case .string(let value) = clause.value else { return false }
            return (clause.comparator == .equal && value.lowercased() == "true") || (clause.comparator == .notEqual && value.lowercased() == "false")
        }
    }
}

/// The detail of a stage change, as stored in the history.
struct StageChange: Codable {
    var from: ModelStage
    var to: ModelStage
    var reason: String?

    var json: String {
        HistoryJSON.encode(self)
    }
}

enum HistoryJSON {
    static func encode<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "{}"
    }
}

/// The detail of an alias move, as stored in the history.
struct AliasMove: Codable {
    var alias: String
    var from: Int64?
    var to: Int64?

    var json: String {
        HistoryJSON.encode(self)
    }

    static func decode(_ detail: String) -> AliasMove? {
        try? JSONDecoder().decode(AliasMove.self, from: Data(detail.utf8))
    }
}
