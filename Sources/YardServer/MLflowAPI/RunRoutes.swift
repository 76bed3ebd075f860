import Hummingbird
import YardCore
import YardRegistry
import YardTracking

extension MLflowRoutes {
    /// `loggedModels` serves the legacy `runs/log-model`, whose history tag it appends in one transaction.
    func addRunRoutes(_ tracking: TrackingService, loggedModels: LoggedModelService) {
        add(.post, "/runs/create") { fields in
            let run = try await tracking.createRun(
                experimentId: try fields.string("experiment_id"), userId: try fields.string("user_id"),
                runName: try fields.string("run_name"), startTime: try fields.int64("start_time"), tags: try fields.tags())
            return .object([("run", MLflowJSON.run(run))])
        }
        add(.get, "/runs/get") { fields in
            .object([("run", MLflowJSON.run(try await tracking.run(id: try fields.runId())))])
        }
        add(.post, "/runs/update") { fields in
            let status = try fields.enumeration("status", byName: { RunStatus(rawValue: $0.uppercased()) }, byNumber: RunStatus.init(protoNumber:))
            let info = try await tracking.updateRun(
                id: try fields.runId(), status: status, endTime: try fields.int64("end_time"), runName: try fields.string("run_name"))
            return .object([("run_info", MLflowJSON.runInfo(info))])
        }
        add(.post, "/runs/delete") { fields in
            try await tracking.deleteRun(id: try fields.runId())
            return .empty
        }
        add(.post, "/runs/restore") { fields in
            try await tracking.restoreRun(id: try fields.runId())
            return .empty
        }
        add(.post, "/runs/log-metric") { fields in
            try await tracking.logMetric(runId: try fields.runId(), metric: try fields.metric())
            return .empty
        }
        add(.post, "/runs/log-parameter") { fields in
            try await tracking.logParam(runId: try fields.runId(), param: Param(key: try fields.required("key"), value: try fields.string("value") ?? ""))
            return .empty
        }
        add(.post, "/runs/set-tag") { fields in
            try await tracking.setTag(runId: try fields.runId(), tag: Tag(key: try fields.required("key"), value: try fields.string("value") ?? ""))
            return .empty
        }
        add(.post, "/runs/delete-tag") { fields in
            try await tracking.deleteTag(runId: try fields.runId(), key: try fields.required("key"))
            return .empty
        }
        add(.post, "/runs/log-batch") { fields in
            let runId = try fields.runId()
            let metrics = try fields.messages("metrics").map { try $0.metric() }
            let params = try fields.messages("params").map { Param(key: try $0.required("key"), value: try $0.string("value") ?? "") }
            try await tracking.logBatch(runId: runId, metrics: metrics, params: params, tags: try fields.tags())
            return .empty
        }
        add(.post, "/runs/log-inputs") { fields in
            let datasets = try fields.messages("datasets").map { input in
                guard let dataset = try input.message("dataset") else { throw YardError.missingParameter("datasets.dataset") }
                return DatasetInput(tags: try input.tags(), dataset: Dataset(
                    name: try dataset.required("name"), digest: try dataset.required("digest"),
                    sourceType: try dataset.required("source_type"), source: try dataset.required("source"),
                    schema: try dataset.string("schema"), profile: try dataset.string("profile")))
            }
            let models = try fields.messages("models").map { try $0.required("model_id") }
            try await tracking.logInputs(runId: try fields.runId(), datasets: datasets, modelIds: models)
            return .empty
        }
        add(.post, "/runs/outputs") { fields in
            let models = try fields.messages("models").map {
                ModelOutput(modelId: try $0.required("model_id"), step: try $0.int64("step") ?? 0)
            }
            try await tracking.logOutputs(runId: try fields.runId(), models: models)
            return .empty
        }
        add(.post, "/runs/log-model") { fields in
            try await loggedModels.logLegacyModel(runId: try fields.runId(), modelJSON: try fields.required("model_json"))
            return .empty
        }
        addEncoded(.post, "/runs/search") { fields in
            let page = try await tracking.searchRuns(
                experimentIds: try fields.strings("experiment_ids"), filter: try fields.string("filter"),
                orderBy: try fields.strings("order_by"), viewType: try fields.viewType("run_view_type"),
                maxResults: try fields.int64("max_results"), pageToken: try fields.string("page_token"))
            return MLflowJSON.runsPage(page.items, nextPageToken: page.nextPageToken)
        }
        add(.get, "/metrics/get-history") { fields in
            let page = try await tracking.metricHistory(
                runId: try fields.runId(), key: try fields.required("metric_key"),
                maxResults: try fields.int64("max_results"), pageToken: try fields.string("page_token"))
            return MLflowJSON.page("metrics", page.items.map { MLflowJSON.metric($0) }, nextPageToken: page.nextPageToken)
        }
    }
}

extension RequestFields {
    func metric() throws(YardError) -> Metric {
        let key = try required("key")
        guard let value = try double("value") else { throw .missingParameter(path + "value") }
        return Metric(key: key, value: value, timestamp: try requiredInt64("timestamp"), step: try int64("step") ?? 0,
                      modelId: try string("model_id"), datasetName: try string("dataset_name"),
                      datasetDigest: try string("dataset_digest"))
    }
}
