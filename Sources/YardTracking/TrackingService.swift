import Foundation
import YardCore
import YardStore

/// The experiment-tracking domain: MLflow's rules for experiments, runs and their data, on top of any
/// `TrackingStore`. It knows nothing of HTTP; the server maps requests to these calls and back.
public struct TrackingService: Sendable {
    public let store: any TrackingStore
    /// Root for new experiments' artifact locations, e.g. `mlflow-artifacts:` (proxied) or a folder.
    public let defaultArtifactRoot: String
    /// Local folders an explicit `artifact_location` may point into (`file://` URIs or paths): the
    /// server's artifact root and any extra roots it was configured with. Empty: only
    /// `mlflow-artifacts:` locations are accepted.
    public let artifactRoots: [String]

    public init(store: any TrackingStore, defaultArtifactRoot: String, artifactRootPath: String? = nil,
                extraArtifactRoots: [String] = []) {
        self.store = store
        self.defaultArtifactRoot = defaultArtifactRoot
        self.artifactRoots = ([artifactRootPath].compactMap { $0 } + extraArtifactRoots).filter { !$0.isEmpty }
    }

    /// A store call whose refusals reach the client in MLflow's words.
    private func storeCall<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await TrackingErrors.translating(body)
    }

    // MARK: Experiments

    public func createExperiment(name: String?, artifactLocation: String?, tags: [Tag]) async throws -> String {
        let name = try Validation.validateExperimentName(name)
        for tag in tags {
            try Validation.validateKey(tag.key)
            if tag.value.count > Validation.maxExperimentTagValueLength {
                throw YardError.invalid("Experiment tag value exceeds the maximum length of \(Validation.maxExperimentTagValueLength) characters")
            }
        }
        let root = defaultArtifactRoot
        let explicitLocation = try artifactLocation.flatMap { $0.isEmpty ? nil : try validatedArtifactLocation($0) }
        return try await storeCall {
            try await store.createExperiment(name: name, tags: tags) { id in
                explicitLocation ?? Self.childLocation(root, id)
            }
        }
    }

    public func experiment(id: String) async throws -> Experiment {
        try await storeCall { try await store.experiment(id: id) }
    }

    public func experiment(named name: String) async throws -> Experiment {
        guard let experiment = try await storeCall({ try await store.experiment(named: name) }) else {
            throw YardError.notFound("Could not find experiment with name '\(name)'")
        }
        return experiment
    }

    public func searchExperiments(filter: String?, orderBy: [String], viewType: ViewType,
                                  maxResults: Int64?, pageToken: String?) async throws -> Page<Experiment> {
        let limit = try Validation.validateMaxResults(maxResults, limit: Validation.maxExperimentSearchResults, default: 1000)
        let query = ExperimentQuery(
            filter: try SearchGrammar.parseExperimentFilter(filter),
            orderBy: try SearchGrammar.parseExperimentOrderBy(orderBy),
            viewType: viewType, maxResults: limit, pageToken: pageToken)
        return try await storeCall { try await store.searchExperiments(query) }
    }

    public func renameExperiment(id: String, newName: String?) async throws {
        let newName = try Validation.validateExperimentName(newName)
        try await storeCall { try await store.renameExperiment(id: id, to: newName) }
    }

    public func deleteExperiment(id: String) async throws {
        try await storeCall { try await store.setExperimentLifecycle(id: id, to: .deleted) }
    }

    public func restoreExperiment(id: String) async throws {
        try await storeCall { try await store.setExperimentLifecycle(id: id, to: .active) }
    }

    public func setExperimentTag(id: String, tag: Tag) async throws {
        try Validation.validateKey(tag.key)
        if tag.value.count > Validation.maxExperimentTagValueLength {
            throw YardError.invalid("Experiment tag value exceeds the maximum length of \(Validation.maxExperimentTagValueLength) characters")
        }
        try await storeCall { try await store.setExperimentTag(id: id, tag: tag) }
    }

    public func deleteExperimentTag(id: String, key: String) async throws {
        try await storeCall { try await store.deleteExperimentTag(id: id, key: key) }
    }

    // MARK: Runs

    public func createRun(experimentId: String?, userId: String?, runName: String?, startTime: Int64?, tags: [Tag]) async throws -> Run {
        let experimentId = (experimentId?.isEmpty ?? true) ? "0" : experimentId!
        let experiment = try await storeCall { try await store.experiment(id: experimentId) }
        let tags = try Self.validatedTags(tags)
        let nameFromTags = tags.last(where: { $0.key == ReservedTags.runName })?.value
        if let runName, !runName.isEmpty, let nameFromTags, nameFromTags != runName {
            throw YardError.invalid("Both 'run_name' argument and 'mlflow.runName' tag are specified, but with different values (run_name='\(runName)', mlflow.runName='\(nameFromTags)').")
        }
        let name = (runName?.isEmpty == false ? runName : nil) ?? nameFromTags ?? Identifiers.randomRunName()
        var allTags = tags.filter { $0.key != ReservedTags.runName }
        allTags.append(Tag(key: ReservedTags.runName, value: name))
        let runId = Identifiers.newRunId()
        let info = RunInfo(
            runId: runId, runName: name, experimentId: experimentId, userId: userId ?? "", status: .running,
            startTime: startTime ?? Identifiers.nowMillis(), endTime: nil,
            artifactUri: Self.childLocation(experiment.artifactLocation, "\(runId)/artifacts"), lifecycleStage: .active)
        try await storeCall { try await store.createRun(info, tags: allTags) }
        // A new run has nothing but what was just written, so it is answered without reading it back.
        // Later tags with the same key replace earlier ones, as in the store.
        let tagsByKey = Dictionary(allTags.map { ($0.key, $0) }, uniquingKeysWith: { $1 })
        return Run(info: info, tags: tagsByKey.values.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) })
    }

    public func run(id: String) async throws -> Run {
        try await storeCall { try await store.run(id: id) }
    }

    public func updateRun(id: String, status: RunStatus?, endTime: Int64?, runName: String?) async throws -> RunInfo {
        try await storeCall { try await store.updateRun(id: id, status: status, endTime: endTime, runName: runName) }
    }

    public func deleteRun(id: String) async throws {
        try await storeCall { try await store.setRunLifecycle(id: id, to: .deleted) }
    }

    public func restoreRun(id: String) async throws {
        try await storeCall { try await store.setRunLifecycle(id: id, to: .active) }
    }

    public func logMetric(runId: String, metric: Metric) async throws {
        try Validation.validateKey(metric.key, kind: "Metric name")
        try await storeCall { try await store.logBatch(runId: runId, metrics: [metric], params: [], tags: []) }
    }

    public func logParam(runId: String, param: Param) async throws {
        let params = try Self.validatedParams([param])
        try await storeCall { try await store.logBatch(runId: runId, metrics: [], params: params, tags: []) }
    }

    public func setTag(runId: String, tag: Tag) async throws {
        let tags = try Self.validatedTags([tag])
        try await storeCall { try await store.logBatch(runId: runId, metrics: [], params: [], tags: tags) }
    }

    public func deleteTag(runId: String, key: String) async throws {
        try await storeCall { try await store.deleteRunTag(runId: runId, key: key) }
    }

    public func logBatch(runId: String, metrics: [Metric], params: [Param], tags: [Tag]) async throws {
        try Validation.validateBatchSize(metrics: metrics.count, params: params.count, tags: tags.count)
        var seen = Set<String>()
        var duplicates: [String] = []
        for param in params where !seen.insert(param.key).inserted {
            duplicates.append(param.key)
        }
        if !duplicates.isEmpty {
            let list = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            throw YardError.invalid("Duplicate parameter keys have been submitted: [\(list)]. Please ensure the request contains only one param value per param key.")
        }
        for metric in metrics {
            try Validation.validateKey(metric.key, kind: "Metric name")
        }
        let params = try Self.validatedParams(params)
        let tags = try Self.validatedTags(tags)
        try await storeCall { try await store.logBatch(runId: runId, metrics: metrics, params: params, tags: tags) }
    }

    public func logInputs(runId: String, datasets: [DatasetInput], modelIds: [String]) async throws {
        for input in datasets {
            let dataset = input.dataset
            if dataset.name.isEmpty { throw YardError.missingParameter("dataset.name") }
            if dataset.digest.isEmpty { throw YardError.missingParameter("dataset.digest") }
            if dataset.name.count > 500 { throw YardError.invalid("Dataset name exceeds the maximum length of 500") }
            if dataset.digest.count > 36 { throw YardError.invalid("Dataset digest exceeds the maximum length of 36") }
            if dataset.source.count > 65535 { throw YardError.invalid("Dataset source exceeds the maximum length of 65535") }
            if (dataset.schema?.utf8.count ?? 0) > 1_048_575 { throw YardError.invalid("Dataset schema exceeds the maximum size of 1048575") }
            if (dataset.profile?.utf8.count ?? 0) > 16_777_215 { throw YardError.invalid("Dataset profile exceeds the maximum size of 16777215") }
            for tag in input.tags {
                if tag.key.count > 255 { throw YardError.invalid("Input tag key exceeds the maximum length of 255") }
                if tag.value.count > 500 { throw YardError.invalid("Input tag value exceeds the maximum length of 500") }
            }
        }
        try await storeCall { try await store.logInputs(runId: runId, datasets: datasets, modelIds: modelIds) }
    }

    public func logOutputs(runId: String, models: [ModelOutput]) async throws {
        try await storeCall { try await store.logOutputs(runId: runId, models: models) }
    }

    public func searchRuns(experimentIds: [String], filter: String?, orderBy: [String], viewType: ViewType,
                           maxResults: Int64?, pageToken: String?) async throws -> Page<Run> {
        let limit = try Validation.validateMaxResults(maxResults, limit: Validation.maxRunSearchResults, default: 1000)
        let query = RunQuery(
            experimentIds: experimentIds,
            filter: try SearchGrammar.parseRunFilter(filter),
            orderBy: try SearchGrammar.parseRunOrderBy(orderBy),
            viewType: viewType, maxResults: limit, pageToken: pageToken)
        return try await storeCall { try await store.searchRuns(query) }
    }

    public func metricHistory(runId: String, key: String, maxResults: Int64?, pageToken: String?) async throws -> Page<Metric> {
        // Validated before any arithmetic: the store adds one to the page size to see if more follow.
        let limit = try Validation.validateMetricHistoryMaxResults(maxResults)
        return try await storeCall {
            try await store.metricHistory(runId: runId, key: key, maxResults: limit, pageToken: pageToken)
        }
    }

    // MARK: Overviews

    public func experimentActivity() async throws -> [ExperimentActivity] {
        try await storeCall { try await store.experimentActivity() }
    }

    public func runColumnKeys(experimentIds: [String]) async throws -> RunColumnKeys {
        try await storeCall { try await store.runColumnKeys(experimentIds: experimentIds) }
    }

    /// Full histories of one metric for up to `Validation.maxCompareRuns` runs.
    public func metricSeries(runIds: [String], key: String) async throws -> [String: [Metric]] {
        guard runIds.count <= Validation.maxCompareRuns else {
            throw YardError.invalid("At most \(Validation.maxCompareRuns) runs can be read at once; got \(runIds.count).")
        }
        return try await storeCall { try await store.metricSeries(runIds: runIds, key: key) }
    }

    // MARK: Rules

    static func validatedParams(_ params: [Param]) throws -> [Param] {
        try params.map { param in
            try Validation.validateKey(param.key, kind: "Param key")
            return Param(key: param.key, value: Validation.truncated(param.value, to: Validation.maxParamValueLength))
        }
    }

    static func validatedTags(_ tags: [Tag]) throws -> [Tag] {
        try tags.map { tag in
            try Validation.validateKey(tag.key)
            return Tag(key: tag.key, value: Validation.truncated(tag.value, to: Validation.maxTagValueLength))
        }
    }

    public static func childLocation(_ base: String, _ child: String) -> String {
        if base.hasSuffix("/") || base.hasSuffix(":") { return base + child }
        return base + "/" + child
    }

    /// An explicit experiment `artifact_location`, accepted only when it stays inside the server's
    /// artifact space: `mlflow-artifacts:` (the proxied root) or a local folder inside one of
    /// `artifactRoots`, compared by path components. Query strings and fragments are refused (URL
    /// parsing would drop them and list the folder before them), and so are `.`/`..` segments.
    /// Relative paths are resolved against the server's working directory, as MLflow does.
    func validatedArtifactLocation(_ location: String) throws(YardError) -> String {
        func refuse(_ reason: String) -> YardError {
            .invalid("Invalid value '\(location)' for parameter 'artifact_location' supplied: \(reason)")
        }
        if location.contains("?") || location.contains("#") {
            throw refuse("query strings and fragments are not allowed.")
        }
        if location.contains("\0") || location.contains("\\") {
            throw refuse("it must not contain NUL characters or backslashes.")
        }
        let outside = "it must be under the server's artifact root (mlflow-artifacts:/...)"
            + (artifactRoots.isEmpty ? "." : " or inside \(artifactRoots.map { "'\($0)'" }.joined(separator: ", ")).")
        if location.hasPrefix("mlflow-artifacts:") {
            var path = String(location.dropFirst("mlflow-artifacts:".count))
            if path.hasPrefix("//") {  // mlflow-artifacts://host:port/path: the authority names this server
                path = String(path.dropFirst(2))
                path = path.firstIndex(of: "/").map { String(path[$0...]) } ?? ""
            }
            guard let decoded = path.removingPercentEncoding, !Self.hasDotSegment(decoded) else {
                throw refuse("it must not contain '.' or '..' path segments.")
            }
            return location
        }
        let path: String
        if location.lowercased().hasPrefix("file:") {
            guard let url = URL(string: location), url.scheme?.lowercased() == "file",
                  url.host.map({ $0.isEmpty || $0 == "localhost" }) ?? true else {
                throw refuse(outside)
            }
            path = url.path
        } else if location.hasPrefix("/") {
            path = location
        } else if location.range(of: "^[a-zA-Z][a-zA-Z0-9+.-]*:", options: .regularExpression) != nil {
            throw refuse(outside)
        } else {
            path = FileManager.default.currentDirectoryPath + "/" + location
        }
        guard !path.isEmpty, !Self.hasDotSegment(path) else {
            throw refuse("it must not contain '.' or '..' path segments.")
        }
        let components = URL(fileURLWithPath: path).standardizedFileURL.pathComponents
        let inside = artifactRoots.contains { root in
            components.starts(with: URL(fileURLWithPath: root).standardizedFileURL.pathComponents)
        }
        guard inside else { throw refuse(outside) }
        return location.hasPrefix("/") || location.lowercased().hasPrefix("file:") ? location : URL(fileURLWithPath: path).standardizedFileURL.path
    }

    private static func hasDotSegment(_ path: String) -> Bool {
        path.split(separator: "/", omittingEmptySubsequences: true).contains { $0 == "." || $0 == ".." }
    }
}
