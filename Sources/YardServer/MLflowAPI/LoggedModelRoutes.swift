import Hummingbird
import YardBlobs
import YardCore
import YardRegistry

extension MLflowRoutes {
    func addLoggedModelRoutes(_ models: LoggedModelService, artifacts: ArtifactRoots) {
        add(.post, "/logged-models") { fields in
            let model = try await models.create(
                experimentId: try fields.required("experiment_id"), name: try fields.string("name"),
                modelType: try fields.string("model_type"), sourceRunId: try fields.string("source_run_id"),
                params: try fields.tags("params"), tags: try fields.tags())
            return .object([("model", MLflowJSON.loggedModel(model))])
        }
        add(.post, "/logged-models/search") { fields in
            let orderBy = try fields.messages("order_by").map { order in
                (field: try order.required("field_name"), ascending: try order.bool("ascending") ?? true)
            }
            let page = try await models.search(
                experimentIds: try fields.strings("experiment_ids"), filter: try fields.string("filter"), orderBy: orderBy,
                maxResults: try fields.int64("max_results"), pageToken: try fields.string("page_token"))
            return MLflowJSON.page("models", page.items.map(MLflowJSON.loggedModel), nextPageToken: page.nextPageToken)
        }
        addCall(.get, "/logged-models/{model_id}") { call in
            let model = try await models.get(id: try call.path("model_id"), allowDeleted: try call.fields.bool("allow_deleted") ?? false)
            return .object([("model", MLflowJSON.loggedModel(model))])
        }
        addCall(.patch, "/logged-models/{model_id}") { call in
            let status = try call.fields.enumeration(
                "status", byName: LoggedModelStatus.init(rawValue:), byNumber: LoggedModelStatus.init(protoNumber:))
            guard let status else { throw YardError.missingParameter("status") }
            let model = try await models.finalize(id: try call.path("model_id"), status: status)
            return .object([("model", MLflowJSON.loggedModel(model))])
        }
        addCall(.delete, "/logged-models/{model_id}") { call in
            try await models.delete(id: try call.path("model_id"))
            return .empty
        }
        addCall(.patch, "/logged-models/{model_id}/tags") { call in
            try await models.setTags(id: try call.path("model_id"), tags: try call.fields.tags())
            return .empty
        }
        addCall(.delete, "/logged-models/{model_id}/tags/{tag_key}") { call in
            try await models.deleteTag(id: try call.path("model_id"), key: try call.path("tag_key"))
            return .empty
        }
        addCall(.post, "/logged-models/{model_id}/params") { call in
            try await models.logParams(id: try call.path("model_id"), params: try call.fields.tags("params"))
            return .empty
        }
        addCall(.get, "/logged-models/{model_id}/artifacts/directories") { call in
            let model = try await models.get(id: try call.path("model_id"))
            let path = try call.fields.string("artifact_directory_path") ?? ""
            let (store, relative) = try artifacts.locate(model.artifactLocation, path)
            let entries = try await store.list(relative) ?? []
            return .object([
                ("root_uri", .string(model.artifactLocation)),
                ("files", .array(entries.map {
                    MLflowJSON.fileInfo(path: ArtifactLocation.join(path, $0.name), entry: ArtifactEntryJSON(isDirectory: $0.isDirectory, size: $0.size))
                })),
            ])
        }
    }
}
