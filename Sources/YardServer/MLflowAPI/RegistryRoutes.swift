import Hummingbird
import YardCore
import YardRegistry

extension MLflowRoutes {
    func addRegistryRoutes(_ registry: RegistryService) {
        add(.post, "/registered-models/create") { fields in
            let model = try await registry.createModel(
                name: try fields.string("name"), description: try fields.string("description"), tags: try fields.tags(), userId: nil)
            return .object([("registered_model", MLflowJSON.registeredModel(model))])
        }
        add(.get, "/registered-models/get") { fields in
            .object([("registered_model", MLflowJSON.registeredModel(try await registry.model(name: try fields.required("name"))))])
        }
        addCall(.post, "/registered-models/rename") { call in
            let model = try await registry.renameModel(name: try call.fields.required("name"), newName: try call.fields.string("new_name"), actor: call.actor)
            return .object([("registered_model", MLflowJSON.registeredModel(model))])
        }
        add(.patch, "/registered-models/update") { fields in
            let model = try await registry.updateModel(name: try fields.required("name"), description: try fields.string("description"))
            return .object([("registered_model", MLflowJSON.registeredModel(model))])
        }
        addCall(.delete, "/registered-models/delete") { call in
            try await registry.deleteModel(name: try call.fields.required("name"), actor: call.actor)
            return .empty
        }
        add(.get, "/registered-models/search") { fields in
            let page = try await registry.searchModels(
                filter: try fields.string("filter"), orderBy: try fields.strings("order_by"),
                maxResults: try fields.int64("max_results"), pageToken: try fields.string("page_token"))
            return MLflowJSON.page("registered_models", page.items.map(MLflowJSON.registeredModel), nextPageToken: page.nextPageToken)
        }
        let latest: Handler = { fields in
            let versions = try await registry.latestVersions(name: try fields.required("name"), stages: try fields.strings("stages"))
            return MLflowJSON.page("model_versions", versions.map(MLflowJSON.modelVersion), nextPageToken: nil)
        }
        add(.post, "/registered-models/get-latest-versions", latest)
        add(.get, "/registered-models/get-latest-versions", latest)
        add(.post, "/registered-models/set-tag") { fields in
            try await registry.setModelTag(name: try fields.required("name"),
                                           tag: Tag(key: try fields.required("key"), value: try fields.string("value") ?? ""))
            return .empty
        }
        add(.delete, "/registered-models/delete-tag") { fields in
            try await registry.deleteModelTag(name: try fields.required("name"), key: try fields.required("key"))
            return .empty
        }
        addCall(.post, "/registered-models/alias") { call in
            let fields = call.fields
            try await registry.setAlias(name: try fields.required("name"), alias: try fields.required("alias"),
                                        version: try fields.required("version"), actor: call.actor)
            return .empty
        }
        addCall(.delete, "/registered-models/alias") { call in
            try await registry.deleteAlias(name: try call.fields.required("name"), alias: try call.fields.required("alias"), actor: call.actor)
            return .empty
        }
        add(.get, "/registered-models/alias") { fields in
            do {
                let version = try await registry.version(name: try fields.required("name"), alias: try fields.required("alias"))
                return .object([("model_version", MLflowJSON.modelVersion(version))])
            } catch let error as YardError where error.code == .resourceDoesNotExist && error.message.hasPrefix("Registered model alias") {
                // MLflow answers a missing alias with 400, and its clients are written against that.
                throw YardError.invalid(error.message)
            }
        }

        addCall(.post, "/model-versions/create") { call in
            let fields = call.fields
            let version = try await registry.createVersion(
                name: try fields.required("name"), source: try fields.string("source"), runId: try fields.string("run_id"),
                modelId: try fields.string("model_id"), tags: try fields.tags(), runLink: try fields.string("run_link"),
                description: try fields.string("description"), userId: nil, actor: call.actor)
            return .object([("model_version", MLflowJSON.modelVersion(version))])
        }
        add(.get, "/model-versions/get") { fields in
            let version = try await registry.version(name: try fields.required("name"), version: try fields.required("version"))
            return .object([("model_version", MLflowJSON.modelVersion(version))])
        }
        add(.patch, "/model-versions/update") { fields in
            let version = try await registry.updateVersion(name: try fields.required("name"), version: try fields.required("version"),
                                                           description: try fields.string("description"))
            return .object([("model_version", MLflowJSON.modelVersion(version))])
        }
        addCall(.delete, "/model-versions/delete") { call in
            try await registry.deleteVersion(name: try call.fields.required("name"), version: try call.fields.required("version"), actor: call.actor)
            return .empty
        }
        addCall(.post, "/model-versions/transition-stage") { call in
            let fields = call.fields
            let version = try await registry.transitionStage(
                name: try fields.required("name"), version: try fields.required("version"), stage: try fields.required("stage"),
                archiveExisting: try fields.bool("archive_existing_versions") ?? false, actor: call.actor)
            return .object([("model_version", MLflowJSON.modelVersion(version))])
        }
        add(.get, "/model-versions/search") { fields in
            let page = try await registry.searchVersions(
                filter: try fields.string("filter"), orderBy: try fields.strings("order_by"),
                maxResults: try fields.int64("max_results"), pageToken: try fields.string("page_token"))
            return MLflowJSON.page("model_versions", page.items.map(MLflowJSON.modelVersion), nextPageToken: page.nextPageToken)
        }
        add(.get, "/model-versions/get-download-uri") { fields in
            let uri = try await registry.downloadURI(name: try fields.required("name"), version: try fields.required("version"))
            return .object([("artifact_uri", .string(uri))])
        }
        add(.post, "/model-versions/set-tag") { fields in
            try await registry.setVersionTag(name: try fields.required("name"), version: try fields.required("version"),
                                             tag: Tag(key: try fields.required("key"), value: try fields.string("value") ?? ""))
            return .empty
        }
        add(.delete, "/model-versions/delete-tag") { fields in
            try await registry.deleteVersionTag(name: try fields.required("name"), version: try fields.required("version"),
                                                key: try fields.required("key"))
            return .empty
        }
    }
}
