import YardCore
import YardTracking

/// `/ui/experiments/<id>`: one page of the experiment's runs from `tracking.searchRuns`, with the MLflow filter,
/// ordering, chosen columns and page token all in the query. Everything on a page is read with a fixed
/// number of service calls (the search, one logged-model search, one lookup per distinct dataset name),
/// never one per row. `fragment=1` answers just the table, for the live refresh while runs are RUNNING.
enum RunsTablePage {
    /// Seconds between refreshes of the table while any run on it is RUNNING.
    static let refreshSeconds = "5"
    /// Default columns when the URL names none: the keys most runs of the page have.
    static let defaultMetricColumns = 8
    static let defaultParamColumns = 4

    /// What one page shows, read before any markup is written.
    struct Contents {
        var experiment: Experiment
        var query: RunsTableQuery
        var runs: [Run] = []
        var nextPageToken: String?
        var columns: [RunColumn] = []
        var modelsByRun: [String: [LoggedModel]] = [:]
        /// Dataset name → the digests (short, full, `sha256:`-prefixed) that have a dataset page.
        var registeredDigests: [String: Set<String>] = [:]
        /// The search's refusal (a bad filter or order), shown above the form that holds the bad text.
        var refusal: WebError?
        var now = Format.nowMillis()

        var anyRunning: Bool { runs.contains { $0.info.status == .running } }
    }

    static func respond(_ services: WebServices, _ request: WebRequest) async throws -> WebResponse {
        let id = try request.parameter("experiment")
        let experiment = try await existingExperiment(services, id)
        if experiment.lifecycleStage == .deleted {
            return deletedPage(experiment, request)
        }
        var contents = Contents(experiment: experiment, query: RunsTableQuery(experimentId: id, request: request))
        let query = contents.query
        do {
            let page = try await services.tracking.searchRuns(
                experimentIds: [id], filter: query.filter, orderBy: query.order, viewType: query.view.viewType,
                maxResults: Int64(query.size), pageToken: query.page)
            contents.runs = page.items
            contents.nextPageToken = page.nextPageToken
        } catch {
            let refusal = WebError.from(error)
            guard (400..<500).contains(refusal.status) else { throw refusal }
            contents.refusal = WebError(status: 400, refusal.message)
        }
        contents.columns = query.columns ?? defaultColumns(for: contents.runs, order: query.primaryOrder)
        contents.modelsByRun = await loggedModels(services, experimentId: id, runs: contents.runs)
        contents.registeredDigests = await registeredDigests(services, runs: contents.runs)

        if request.queryFlag("fragment") {
            if let refusal = contents.refusal { throw refusal }
            var html = HTML(reservingCapacity: 64 * 1024)
            html.element("div") { RunsTableRendering.table(contents, into: &$0) }
            return .html(html)
        }
        return page(contents, request)
    }

    /// The experiment, or a 404 that says which one is missing and where to go instead.
    static func existingExperiment(_ services: WebServices, _ id: String) async throws -> Experiment {
        do {
            return try await services.tracking.experiment(id: id)
        } catch {
            let refusal = WebError.from(error)
            if refusal.status == 404 {
                throw WebError.notFound("There is no experiment with id '\(id)'. It may never have existed; pick one from the experiments list.")
            }
            throw refusal
        }
    }

    // MARK: Reading

    /// Up to 8 metrics and 4 params, the keys most runs on this page have (ties by name), shown in name
    /// order; plus the column the table is sorted by, so the order is visible. Never every key.
    static func defaultColumns(for runs: [Run], order: SearchOrder?) -> [RunColumn] {
        var metricCounts: [String: Int] = [:]
        var paramCounts: [String: Int] = [:]
        for run in runs {
            for metric in run.metrics { metricCounts[metric.key, default: 0] += 1 }
            for param in run.params { paramCounts[param.key, default: 0] += 1 }
        }
        func top(_ counts: [String: Int], _ limit: Int) -> [String] {
            counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(limit).map(\.key).sorted()
        }
        var columns = top(metricCounts, defaultMetricColumns).map { RunColumn(.metric, $0) }
            + top(paramCounts, defaultParamColumns).map { RunColumn(.param, $0) }
        if let order, let kind = RunColumn.Kind.allCases.first(where: { $0.entity == order.entity }) {
            let sorted = RunColumn(kind, order.key)
            if !columns.contains(sorted) { columns.append(sorted) }
        }
        return columns
    }

    /// The logged models of the page's runs: those whose source run it is, and those the runs logged as
    /// outputs. At most two searches per page (paged through if a page of runs made over a thousand
    /// models); a failure only leaves the column empty.
    static func loggedModels(_ services: WebServices, experimentId: String, runs: [Run]) async -> [String: [LoggedModel]] {
        let runIds = runs.map(\.info.runId).filter { !$0.contains("'") }
        guard !runIds.isEmpty else { return [:] }
        var found = await searchModels(services, experimentId: experimentId, attribute: "source_run_id", values: runIds)
        let foundIds = Set(found.map(\.modelId))
        let outputIds = Set(runs.flatMap { $0.modelOutputs.map(\.modelId) }).subtracting(foundIds).filter { !$0.contains("'") }
        if !outputIds.isEmpty {
            found += await searchModels(services, experimentId: experimentId, attribute: "model_id", values: outputIds.sorted())
        }
        let byId = Dictionary(found.map { ($0.modelId, $0) }, uniquingKeysWith: { first, _ in first })
        var byRun: [String: [LoggedModel]] = [:]
        for run in runs {
            var ids: [String] = []
            for model in found where model.sourceRunId == run.info.runId { ids.append(model.modelId) }
            for output in run.modelOutputs where !ids.contains(output.modelId) { ids.append(output.modelId) }
            let models = ids.compactMap { byId[$0] }
            if !models.isEmpty { byRun[run.info.runId] = models.sorted { $0.creationTimestamp < $1.creationTimestamp } }
        }
        return byRun
    }

    private static func searchModels(_ services: WebServices, experimentId: String, attribute: String,
                                     values: [String]) async -> [LoggedModel] {
        let filter = "attributes.\(attribute) IN (" + values.map { "'\($0)'" }.joined(separator: ",") + ")"
        var models: [LoggedModel] = []
        var token: String?
        for _ in 0..<5 {
            guard let page = try? await services.loggedModels.search(
                experimentIds: [experimentId], filter: filter, orderBy: [], maxResults: Int64(Validation.maxLoggedModelSearchResults),
                pageToken: token) else { break }
            models += page.items
            guard let next = page.nextPageToken else { break }
            token = next
        }
        return models
    }

    /// Which dataset inputs of the page have a dataset page: one registry lookup per distinct dataset name
    /// (pages rarely use more than a few), capped so a page of odd names stays cheap.
    static func registeredDigests(_ services: WebServices, runs: [Run]) async -> [String: Set<String>] {
        var names: [String] = []
        for run in runs {
            for input in run.datasetInputs where !names.contains(input.dataset.name) {
                names.append(input.dataset.name)
            }
        }
        var digests: [String: Set<String>] = [:]
        for name in names.prefix(20) where (try? DatasetService.validateName(name)) != nil {
            guard let versions = try? await services.datasets.versions(name: name) else { continue }
            digests[name] = Set(versions.flatMap { [$0.shortDigest, $0.digest, "sha256:" + $0.digest] })
        }
        return digests
    }

    // MARK: Pages

    private static func page(_ contents: Contents, _ request: WebRequest) -> WebResponse {
        let experiment = contents.experiment
        let query = contents.query
        let crumbs = [PageLayout.Crumb("Experiments", WebLinks.experiments()), PageLayout.Crumb(experiment.name)]
        return PageLayout.page(title: experiment.name, section: .experiments, crumbs: crumbs,
                               status: contents.refusal?.status ?? 200) { main in
            main.element("p", [.class("experiment-meta muted")]) { meta in
                meta.text("Experiment #\(experiment.experimentId) · created \(Format.timestamp(experiment.creationTime)) · artifacts ")
                meta.element("code", text: experiment.artifactLocation)
            }
            RunsTableRendering.filterForm(query, into: &main)
            main.element("div", [.class("toolbar runs-toolbar")]) { bar in
                RunsTableRendering.viewSwitch(query, into: &bar)
                RunsTableRendering.columnPicker(contents, into: &bar)
            }
            if !query.ignoredColumns.isEmpty {
                main.element("p", [.class("notice")],
                             text: "Ignored columns \(query.ignoredColumns.map { "'\($0)'" }.joined(separator: ", ")): "
                                 + "name them metrics.<key>, params.<key> or tags.<key>.")
            }
            if let refusal = contents.refusal {
                main.element("p", [.class("error-message"), Attribute("role", "alert")], text: refusal.message)
                return
            }
            if contents.runs.isEmpty {
                PageLayout.empty(emptyMessage(query), into: &main)
                return
            }
            RunsTableRendering.selectionForm(contents, into: &main)
            main.element("div", [.class("pager")]) { pager in
                pager.element("span", [.class("muted")], text: "\(contents.runs.count) runs on this page")
                if query.page != nil {
                    pager.link(query.link(page: .some(nil)), [.id("first-page")], text: "First page")
                }
                if let next = contents.nextPageToken {
                    pager.link(query.link(page: .some(next)), [.id("next-page")], text: "Next page")
                }
            }
        }
    }

    private static func emptyMessage(_ query: RunsTableQuery) -> String {
        if !query.filter.isEmpty { return "No runs match this filter." }
        if query.page != nil { return "No more runs: this is past the last page." }
        switch query.view {
        case .active: return "No runs in this experiment yet. Log one with an MLflow client pointed at this server."
        case .deleted: return "No deleted runs in this experiment."
        case .all: return "No runs in this experiment yet."
        }
    }

    /// A deleted experiment is a 404 (its address no longer shows runs), with a way to bring it back.
    private static func deletedPage(_ experiment: Experiment, _ request: WebRequest) -> WebResponse {
        let here = WebLinks.experiment(experiment.experimentId)
        return PageLayout.page(title: experiment.name, section: .experiments,
                               crumbs: [PageLayout.Crumb("Experiments", WebLinks.experiments())], status: 404) { main in
            main.element("p", [.class("error-message"), Attribute("role", "alert")],
                         text: "Experiment '\(experiment.name)' (#\(experiment.experimentId)) is deleted, and its runs with it. "
                             + "Restore it to see its runs again.")
            main.element("p", [.class("deleted-actions")]) { actions in
                ExperimentPages.actionForm(experiment.experimentId, "restore", label: "Restore experiment", confirm: nil,
                                           returnTo: here, request: request, into: &actions)
                actions.text(" ")
                actions.link(WebLinks.experiments(view: "deleted"), text: "Deleted experiments")
            }
        }
    }
}
