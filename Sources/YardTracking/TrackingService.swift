import Foundation
import YardCore
import YardStore

/// The experiment-tracking domain: MLflow's rules for experiments, runs and their data, on top of any
/// `TrackingStore`. It knows nothing of HTTP; the server maps requests to these calls and back.
public struct TrackingService: Sendable {
    public let store: any TrackingStore
    /// Root for new experiments' artifact locations, e.g. `mlflow-artifacts:` (proxied) or a folder.
    public let defaultArtifactRoot: String

    public init(store: any TrackingStore, defaultArtifactRoot: String) {
        self.store = store
        self.defaultArtifactRoot = defaultArtifactRoot
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
        let explicitLocation = artifactLocation.flatMap { $0.isEmpty ? nil : Self.absoluteLocation($0) }
        return try await store.createExperiment(name: name, tags: tags) { id in
            explicitLocation ?? Self.childLocation(root, id)
        }
    }

    public func experiment(id: String) async throws -> Experiment {
        try await store.experiment(id: id)
    }

    public func experiment(named name: String) async throws -> Experiment {
        guard let experiment = try await store.experiment(named: name) else {
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
        return try await store.searchExperiments(query)
    }

    public func renameExperiment(id: String, newName: String?) async throws {
        let newName = try Validation.validateExperimentName(newName)
        try await store.renameExperiment(id: id, to: newName)
    }

    public func deleteExperiment(id: String) async throws {
        try await store.setExperimentLifecycle(id: id, to: .deleted)
    }

    public func restoreExperiment(id: String) async throws {
        try await store.setExperimentLifecycle(id: id, to: .active)
    }

    public func setExperimentTag(id: String, tag: Tag) async throws {
        try Validation.validateKey(tag.key)
        if tag.value.count > Validation.maxExperimentTagValueLength {
            throw YardError.invalid("Experiment tag value exceeds the maximum length of \(Validation.maxExperimentTagValueLength) characters")
        }
        try await store.setExperimentTag(id: id, tag: tag)
    }

    public func deleteExperimentTag(id: String, key: String) async throws {
        try await store.deleteExperimentTag(id: id, key: key)
    }

    // MARK: Runs

    public func createRun(experimentId: String?, userId: String?, runName: String?, startTime: Int64?, tags: [Tag]) async throws -> Run {
        let experimentId = (experimentId?.isEmpty ?? true) ? "0" : experimentId!
        let experiment = try await store.experiment(id: experimentId)
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
        try await store.createRun(info, tags: allTags)
        // A new run has nothing but what was just written, so it is answered without reading it back.
        // Later tags with the same key replace earlier ones, as in the store.
        let tagsByKey = Dictionary(allTags.map { ($0.key, $0) }, uniquingKeysWith: { $1 })
        return Run(info: info, tags: tagsByKey.values.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) })
    }

    public func run(id: String) async throws -> Run {
        try await store.run(id: id)
    }

    public func updateRun(id: String, status: RunStatus?, endTime: Int64?, runName: String?) async throws -> RunInfo {
        try await store.updateRun(id: id, status: status, endTime: endTime, runName: runName)
    }

    public func deleteRun(id: String) async throws {
        try await store.setRunLifecycle(id: id, to: .deleted)
    }

    public func restoreRun(id: String) async throws {
        try await store.setRunLifecycle(id: id, to: .active)
    }

    public func logMetric(runId: String, metric: Metric) async throws {
        try Validation.validateKey(metric.key, kind: "Metric name")
        try await store.logBatch(runId: runId, metrics: [metric], params: [], tags: [])
    }

    public func logParam(runId: String, param: Param) async throws {
        let params = try Self.validatedParams([param])
        try await store.logBatch(runId: runId, metrics: [], params: params, tags: [])
    }

    public func setTag(runId: String, tag: Tag) async throws {
        let tags = try Self.validatedTags([tag])
        try await store.logBatch(runId: runId, metrics: [], params: [], tags: tags)
    }

    /// Legacy `runs/log-model`: appends the model's JSON description to the run's
    /// `mlflow.log-model.history` tag, which older clients and the UI read.
    public func logModel(runId: String, modelJSON: String) async throws {
        guard let data = modelJSON.data(using: .utf8), let model = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw YardError.invalid("Invalid value for parameter 'model_json' supplied: it must be a JSON object.")
        }
        for field in ["artifact_path", "flavors", "utc_time_created", "run_id"] where model[field] == nil {
            throw YardError.invalid("Model json is missing mandatory fields: ['\(field)']")
        }
        let run = try await store.run(id: runId)
        var history: [Any] = []
        if let existing = run.tags.first(where: { $0.key == ReservedTags.logModelHistory })?.value.data(using: .utf8) {
            history = (try? JSONSerialization.jsonObject(with: existing) as? [Any]) ?? []
        }
        history.append(model)
        let encoded = try JSONSerialization.data(withJSONObject: history, options: [.withoutEscapingSlashes])
        try await store.logBatch(runId: runId, metrics: [], params: [],
                                 tags: [Tag(key: ReservedTags.logModelHistory, value: String(decoding: encoded, as: UTF8.self))])
    }

    public func deleteTag(runId: String, key: String) async throws {
        try await store.deleteRunTag(runId: runId, key: key)
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
        try await store.logBatch(runId: runId, metrics: metrics, params: try Self.validatedParams(params), tags: try Self.validatedTags(tags))
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
        try await store.logInputs(runId: runId, datasets: datasets, modelIds: modelIds)
    }

    public func logOutputs(runId: String, models: [ModelOutput]) async throws {
        try await store.logOutputs(runId: runId, models: models)
    }

    public func searchRuns(experimentIds: [String], filter: String?, orderBy: [String], viewType: ViewType,
                           maxResults: Int64?, pageToken: String?) async throws -> Page<Run> {
        let limit = try Validation.validateMaxResults(maxResults, limit: Validation.maxRunSearchResults, default: 1000)
        let query = RunQuery(
            experimentIds: experimentIds,
            filter: try SearchGrammar.parseRunFilter(filter),
            orderBy: try SearchGrammar.parseRunOrderBy(orderBy),
            viewType: viewType, maxResults: limit, pageToken: pageToken)
        return try await store.searchRuns(query)
    }

    public func metricHistory(runId: String, key: String, maxResults: Int64?, pageToken: String?) async throws -> Page<Metric> {
        if let maxResults, maxResults <= 0 {
            throw YardError.invalid("Invalid value \(maxResults) for parameter 'max_results' supplied. It must be a positive integer.")
        }
        return try await store.metricHistory(runId: runId, key: key, maxResults: maxResults.map { Int($0) }, pageToken: pageToken)
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

    /// Relative local paths are resolved against the server's working directory, as MLflow does.
    static func absoluteLocation(_ location: String) -> String {
        if location.contains(":") || location.hasPrefix("/") { return location }
        return URL(fileURLWithPath: location).standardizedFileURL.path
    }
}
