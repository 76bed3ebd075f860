import Hummingbird
import YardCore
import YardTracking

extension MLflowRoutes {
    func addExperimentRoutes(_ tracking: TrackingService) {
        add(.post, "/experiments/create") { fields in
            let id = try await tracking.createExperiment(
                name: try fields.string("name"), artifactLocation: try fields.string("artifact_location"), tags: try fields.tags())
            return .object([("experiment_id", .string(id))])
        }
        add(.get, "/experiments/get") { fields in
            let experiment = try await tracking.experiment(id: try fields.required("experiment_id"))
            return .object([("experiment", MLflowJSON.experiment(experiment))])
        }
        add(.get, "/experiments/get-by-name") { fields in
            let experiment = try await tracking.experiment(named: try fields.required("experiment_name"))
            return .object([("experiment", MLflowJSON.experiment(experiment))])
        }
        let search: Handler = { fields in
            let page = try await tracking.searchExperiments(
                filter: try fields.string("filter"), orderBy: try fields.strings("order_by"),
                viewType: try fields.viewType("view_type"), maxResults: try fields.int64("max_results"),
                pageToken: try fields.string("page_token"))
            return MLflowJSON.page("experiments", page.items.map(MLflowJSON.experiment), nextPageToken: page.nextPageToken)
        }
        add(.post, "/experiments/search", search)
        add(.get, "/experiments/search", search)
        add(.post, "/experiments/update") { fields in
            try await tracking.renameExperiment(id: try fields.required("experiment_id"), newName: try fields.string("new_name"))
            return .empty
        }
        add(.post, "/experiments/delete") { fields in
            try await tracking.deleteExperiment(id: try fields.required("experiment_id"))
            return .empty
        }
        add(.post, "/experiments/restore") { fields in
            try await tracking.restoreExperiment(id: try fields.required("experiment_id"))
            return .empty
        }
        add(.post, "/experiments/set-experiment-tag") { fields in
            try await tracking.setExperimentTag(
                id: try fields.required("experiment_id"),
                tag: Tag(key: try fields.required("key"), value: try fields.string("value") ?? ""))
            return .empty
        }
        add(.post, "/experiments/delete-experiment-tag") { fields in
            try await tracking.deleteExperimentTag(id: try fields.required("experiment_id"), key: try fields.required("key"))
            return .empty
        }
    }
}

extension RequestFields {
    func viewType(_ name: String) throws(YardError) -> ViewType {
        try enumeration(name, byName: { ViewType(rawValue: $0.uppercased()) }, byNumber: ViewType.init(protoNumber:)) ?? .activeOnly
    }
}
