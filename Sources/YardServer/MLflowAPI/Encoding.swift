import YardCore
import YardJSON

/// Domain values in MLflow's JSON shapes: snake_case, int64 as numbers, enums by name, unset fields omitted.
enum MLflowJSON {
    static func tags(_ tags: [Tag]) -> JSONValue {
        .array(tags.map { .object([("key", .string($0.key)), ("value", .string($0.value))]) })
    }

    static func experiment(_ experiment: Experiment) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("experiment_id", .string(experiment.experimentId)),
            ("name", .string(experiment.name)),
            ("artifact_location", .string(experiment.artifactLocation)),
            ("lifecycle_stage", .string(experiment.lifecycleStage.rawValue)),
            ("last_update_time", .int(experiment.lastUpdateTime)),
            ("creation_time", .int(experiment.creationTime)),
        ]
        if !experiment.tags.isEmpty { members.append(("tags", tags(experiment.tags))) }
        return .object(members)
    }

    static func runInfo(_ info: RunInfo) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("run_id", .string(info.runId)),
            ("run_uuid", .string(info.runId)),
            ("run_name", .string(info.runName)),
            ("experiment_id", .string(info.experimentId)),
            ("user_id", .string(info.userId)),
            ("status", .string(info.status.rawValue)),
        ]
        if let start = info.startTime { members.append(("start_time", .int(start))) }
        if let end = info.endTime { members.append(("end_time", .int(end))) }
        members.append(("artifact_uri", .string(info.artifactUri)))
        members.append(("lifecycle_stage", .string(info.lifecycleStage.rawValue)))
        return .object(members)
    }

    static func metric(_ metric: Metric, runId: String? = nil) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("key", .string(metric.key)),
            ("value", .double(metric.value)),
            ("timestamp", .int(metric.timestamp)),
            ("step", .int(metric.step)),
        ]
        if let name = metric.datasetName { members.append(("dataset_name", .string(name))) }
        if let digest = metric.datasetDigest { members.append(("dataset_digest", .string(digest))) }
        if let model = metric.modelId { members.append(("model_id", .string(model))) }
        if let runId { members.append(("run_id", .string(runId))) }
        return .object(members)
    }

    static func dataset(_ dataset: Dataset) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("name", .string(dataset.name)),
            ("digest", .string(dataset.digest)),
            ("source_type", .string(dataset.sourceType)),
            ("source", .string(dataset.source)),
        ]
        if let schema = dataset.schema { members.append(("schema", .string(schema))) }
        if let profile = dataset.profile { members.append(("profile", .string(profile))) }
        return .object(members)
    }

    static func run(_ run: Run) -> JSONValue {
        var data: [(String, JSONValue)] = []
        if !run.metrics.isEmpty { data.append(("metrics", .array(run.metrics.map { metric($0) }))) }
        if !run.params.isEmpty { data.append(("params", tags(run.params))) }
        if !run.tags.isEmpty { data.append(("tags", tags(run.tags))) }
        return .object([
            ("info", runInfo(run.info)),
            ("data", .object(data)),
            ("inputs", runInputs(run)),
            ("outputs", runOutputs(run)),
        ])
    }

    static func runInputs(_ run: Run) -> JSONValue {
        var inputs: [(String, JSONValue)] = []
        if !run.datasetInputs.isEmpty {
            inputs.append(("dataset_inputs", .array(run.datasetInputs.map { input in
                var members: [(String, JSONValue)] = []
                if !input.tags.isEmpty { members.append(("tags", tags(input.tags))) }
                members.append(("dataset", dataset(input.dataset)))
                return .object(members)
            })))
        }
        if !run.modelInputs.isEmpty {
            inputs.append(("model_inputs", .array(run.modelInputs.map { .object([("model_id", .string($0))]) })))
        }
        return .object(inputs)
    }

    static func runOutputs(_ run: Run) -> JSONValue {
        var outputs: [(String, JSONValue)] = []
        if !run.modelOutputs.isEmpty {
            outputs.append(("model_outputs", .array(run.modelOutputs.map {
                .object([("model_id", .string($0.modelId)), ("step", .int($0.step))])
            })))
        }
        return .object(outputs)
    }

    static func fileInfo(path: String, entry: ArtifactEntryJSON) -> JSONValue {
        var members: [(String, JSONValue)] = [("path", .string(path)), ("is_dir", .bool(entry.isDirectory))]
        if let size = entry.size { members.append(("file_size", .int(size))) }
        return .object(members)
    }

    /// `{"items": [...], "next_page_token": "..."}` with both omitted when empty, as MLflow does.
    static func page(_ key: String, _ items: [JSONValue], nextPageToken: String?) -> JSONValue {
        var members: [(String, JSONValue)] = []
        if !items.isEmpty { members.append((key, .array(items))) }
        if let token = nextPageToken { members.append(("next_page_token", .string(token))) }
        return .object(members)
    }
}

struct ArtifactEntryJSON {
    var isDirectory: Bool
    var size: Int64?
}

extension MLflowJSON {
    static func loggedModel(_ model: LoggedModel) -> JSONValue {
        var info: [(String, JSONValue)] = [
            ("model_id", .string(model.modelId)),
            ("experiment_id", .string(model.experimentId)),
            ("name", .string(model.name)),
            ("creation_timestamp_ms", .int(model.creationTimestamp)),
            ("last_updated_timestamp_ms", .int(model.lastUpdatedTimestamp)),
            ("artifact_uri", .string(model.artifactLocation)),
            ("status", .string(model.status.rawValue)),
        ]
        if let type = model.modelType { info.append(("model_type", .string(type))) }
        if let run = model.sourceRunId { info.append(("source_run_id", .string(run))) }
        if let message = model.statusMessage { info.append(("status_message", .string(message))) }
        if !model.tags.isEmpty { info.append(("tags", tags(model.tags))) }
        var data: [(String, JSONValue)] = []
        if !model.params.isEmpty { data.append(("params", tags(model.params))) }
        if !model.metrics.isEmpty { data.append(("metrics", .array(model.metrics.map { metric($0.metric, runId: $0.runId) }))) }
        return .object([("info", .object(info)), ("data", .object(data))])
    }

    static func registeredModel(_ model: RegisteredModel) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("name", .string(model.name)),
            ("creation_timestamp", .int(model.creationTimestamp)),
            ("last_updated_timestamp", .int(model.lastUpdatedTimestamp)),
        ]
        if let user = model.userId { members.append(("user_id", .string(user))) }
        members.append(("description", .string(model.description)))
        if !model.latestVersions.isEmpty { members.append(("latest_versions", .array(model.latestVersions.map(modelVersion)))) }
        if !model.tags.isEmpty { members.append(("tags", tags(model.tags))) }
        if !model.aliases.isEmpty {
            members.append(("aliases", .array(model.aliases.map {
                .object([("alias", .string($0.alias)), ("version", .string(String($0.version)))])
            })))
        }
        return .object(members)
    }

    static func modelVersion(_ version: ModelVersion) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("name", .string(version.name)),
            ("version", .string(String(version.version))),
            ("creation_timestamp", .int(version.creationTimestamp)),
            ("last_updated_timestamp", .int(version.lastUpdatedTimestamp)),
        ]
        if let user = version.userId { members.append(("user_id", .string(user))) }
        members.append(("current_stage", .string(version.currentStage.rawValue)))
        members.append(("description", .string(version.description)))
        members.append(("source", .string(version.source)))
        if let run = version.runId { members.append(("run_id", .string(run))) }
        members.append(("status", .string("READY")))
        if !version.tags.isEmpty { members.append(("tags", tags(version.tags))) }
        members.append(("run_link", .string(version.runLink ?? "")))
        if !version.aliases.isEmpty { members.append(("aliases", .array(version.aliases.map { .string($0) }))) }
        if let model = version.modelId { members.append(("model_id", .string(model))) }
        return .object(members)
    }
}

/// Run search responses written straight into bytes: the same JSON as `page("runs", runs.map(run), …)`
/// (a test holds the two to byte equality) without building and freeing a tree of every value first.
extension MLflowJSON {
    static func runsPage(_ runs: [Run], nextPageToken: String?) -> [UInt8] {
        // ~540 bytes per run with one metric, param and tag; growing past this is only a reallocation.
        var output = JSONOutput(capacity: 64 + runs.count * 640)
        output.beginObject()
        if !runs.isEmpty {
            output.key("runs")
            output.beginArray()
            for run in runs { write(run, into: &output) }
            output.endArray()
        }
        if let token = nextPageToken {
            output.key("next_page_token")
            output.string(token)
        }
        output.endObject()
        return output.bytes
    }

    static func write(_ run: Run, into output: inout JSONOutput) {
        output.beginObject()
        output.key("info")
        write(run.info, into: &output)
        output.key("data")
        output.beginObject()
        if !run.metrics.isEmpty {
            output.key("metrics")
            output.beginArray()
            for metric in run.metrics { write(metric, into: &output) }
            output.endArray()
        }
        if !run.params.isEmpty {
            output.key("params")
            write(run.params, into: &output)
        }
        if !run.tags.isEmpty {
            output.key("tags")
            write(run.tags, into: &output)
        }
        output.endObject()
        // Dataset and model inputs and outputs are rare and small: the tree writer is fast enough.
        output.key("inputs")
        output.value(runInputs(run))
        output.key("outputs")
        output.value(runOutputs(run))
        output.endObject()
    }

    static func write(_ info: RunInfo, into output: inout JSONOutput) {
        output.beginObject()
        output.key("run_id")
        output.string(info.runId)
        output.key("run_uuid")
        output.string(info.runId)
        output.key("run_name")
        output.string(info.runName)
        output.key("experiment_id")
        output.string(info.experimentId)
        output.key("user_id")
        output.string(info.userId)
        output.key("status")
        output.string(info.status.rawValue)
        if let start = info.startTime {
            output.key("start_time")
            output.int(start)
        }
        if let end = info.endTime {
            output.key("end_time")
            output.int(end)
        }
        output.key("artifact_uri")
        output.string(info.artifactUri)
        output.key("lifecycle_stage")
        output.string(info.lifecycleStage.rawValue)
        output.endObject()
    }

    static func write(_ metric: Metric, into output: inout JSONOutput) {
        output.beginObject()
        output.key("key")
        output.string(metric.key)
        output.key("value")
        output.value(.double(metric.value))
        output.key("timestamp")
        output.int(metric.timestamp)
        output.key("step")
        output.int(metric.step)
        if let name = metric.datasetName {
            output.key("dataset_name")
            output.string(name)
        }
        if let digest = metric.datasetDigest {
            output.key("dataset_digest")
            output.string(digest)
        }
        if let model = metric.modelId {
            output.key("model_id")
            output.string(model)
        }
        output.endObject()
    }

    static func write(_ tags: [Tag], into output: inout JSONOutput) {
        output.beginArray()
        for tag in tags {
            output.beginObject()
            output.key("key")
            output.string(tag.key)
            output.key("value")
            output.string(tag.value)
            output.endObject()
        }
        output.endArray()
    }
}
