import YardCore
import YardTracking

/// The run page (`/ui/runs/<id>`): everything about one run on one page: overview, description, params,
/// latest metrics, a chart per metric, tags, dataset inputs, outputs and the top of its artifacts. The
/// charts and the artifact browser have their own files (RunCharts, RunRelations, Artifact*).
public enum RunPages {
    public static func routes(_ services: WebServices) -> [WebRoute] {
        [
            WebRoute(.get, WebLinks.root + "/runs/:run") { request in
                try await page(request, services)
            },
            WebRoute(.get, WebLinks.root + "/runs/:run/chart") { request in
                try await RunCharts.fragment(request, services)
            },
            WebRoute(.get, WebLinks.root + "/runs/:run/artifacts") { request in
                try await ArtifactPages.browser(request, services)
            },
            WebRoute(.get, WebLinks.root + "/runs/:run/artifact") { request in
                try await ArtifactPages.raw(request, services)
            },
        ]
    }

    /// Rows shown in the params, metrics and tags tables at most; a run with more says so.
    static let tableLimit = 1000

    /// Well-known MLflow tags the page shows in its own places.
    enum KnownTag {
        static let note = "mlflow.note.content"
        static let parentRun = "mlflow.parentRunId"
        static let sourceName = "mlflow.source.name"
        static let sourceType = "mlflow.source.type"
        static let gitCommit = "mlflow.source.git.commit"
        static let user = "mlflow.user"
    }

    // MARK: Loading

    /// The run named in the address, or a 404 that says what is missing.
    static func loadRun(_ request: WebRequest, _ services: WebServices) async throws -> Run {
        let id = try request.parameter("run")
        do {
            return try await services.tracking.run(id: id)
        } catch let error as YardError where error.code == .resourceDoesNotExist {
            throw WebError.notFound("Run '\(id)' does not exist (it may have been deleted permanently). Find runs from their experiment's runs table.")
        } catch let error as YardError where error.code == .invalidParameterValue {
            throw WebError.notFound("Run '\(id)' does not exist: \(error.message)")
        }
    }

    /// The run's experiment name for breadcrumbs; a missing experiment does not hide the run.
    static func experimentName(_ run: Run, _ services: WebServices) async -> String {
        (try? await services.tracking.experiment(id: run.info.experimentId).name) ?? "Experiment \(run.info.experimentId)"
    }

    static func title(_ run: Run) -> String {
        run.info.runName.isEmpty ? run.info.runId : run.info.runName
    }

    static func crumbs(_ run: Run, experimentName: String, last: [PageLayout.Crumb] = []) -> [PageLayout.Crumb] {
        [PageLayout.Crumb("Experiments", WebLinks.experiments()),
         PageLayout.Crumb(experimentName, WebLinks.experiment(run.info.experimentId))]
            + (last.isEmpty ? [PageLayout.Crumb(title(run))] : [PageLayout.Crumb(title(run), WebLinks.run(run.info.runId))] + last)
    }

    /// The banner on every page of a deleted run: it is still shown (it can be restored), but marked.
    static func deletedBanner(_ run: Run, into html: inout HTML) {
        guard run.info.lifecycleStage == .deleted else { return }
        html.element("p", [.id("deleted-banner"), .class("notice deleted-banner"), Attribute("role", "status")],
                     text: "This run is deleted. It is shown until it is removed for good; restore it with the MLflow API (runs/restore) to bring it back into its experiment.")
    }

    // MARK: The page

    static func page(_ request: WebRequest, _ services: WebServices) async throws -> WebResponse {
        let run = try await loadRun(request, services)
        let settings = RunChartSettings(request)
        async let experiment = experimentName(run, services)
        async let charts = RunCharts.load(run, settings: settings, services)
        async let relations = RunRelations.load(run, services)
        async let artifacts = ArtifactPages.rootListing(run, services)
        let (name, chartData, related, rootArtifacts) = await (experiment, try charts, relations, artifacts)

        return PageLayout.page(title: title(run), section: .experiments, crumbs: crumbs(run, experimentName: name)) { main in
            deletedBanner(run, into: &main)
            overview(run, experimentName: name, into: &main)
            description(run, into: &main)
            params(run, into: &main)
            metrics(run, into: &main)
            RunCharts.section(run, data: chartData, settings: settings, into: &main)
            tags(run, into: &main)
            RunRelations.inputs(related, into: &main)
            RunRelations.outputs(related, into: &main)
            ArtifactPages.section(run, listing: rootArtifacts, into: &main)
        }
    }

    static func overview(_ run: Run, experimentName: String, into html: inout HTML) {
        let info = run.info
        let tags = Dictionary(run.tags.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 })
        html.element("section", [.id("overview")]) { section in
            section.element("h2", text: "Overview")
            section.element("table", [.class("kv")]) { table in
                func row(_ label: String, _ value: (inout HTML) -> Void) {
                    table.element("tr") { tr in
                        tr.element("th", text: label)
                        tr.element("td", [.class("wrap")], value)
                    }
                }
                row("Run ID") { $0.element("code", text: info.runId) }
                row("Status") { td in
                    td.element("span", [.class("status status-\(info.status.rawValue)")], text: info.status.rawValue)
                    if info.lifecycleStage == .deleted { td.element("span", [.class("status status-deleted")], text: "deleted") }
                }
                row("Experiment") { $0.link(WebLinks.experiment(info.experimentId), [.class("experiment-link")], text: experimentName) }
                if let parent = tags[KnownTag.parentRun], !parent.isEmpty {
                    row("Parent run") { $0.link(WebLinks.run(parent), [.class("parent-run-link")], text: parent) }
                }
                row("Started") { $0.text(Format.timestamp(info.startTime)) }
                row("Ended") { $0.text(info.endTime == nil ? (info.status == .running ? "still running" : "–") : Format.timestamp(info.endTime)) }
                row("Duration") { td in
                    if info.status == .running, info.endTime == nil, let start = info.startTime {
                        td.text(Format.duration(start: start, end: Format.nowMillis()) + " so far")
                    } else {
                        td.text(Format.duration(start: info.startTime, end: info.endTime))
                    }
                }
                row("User") { $0.text(info.userId.isEmpty ? (tags[KnownTag.user] ?? "–") : info.userId) }
                row("Source") { td in
                    let source = tags[KnownTag.sourceName] ?? ""
                    td.text(source.isEmpty ? "–" : source)
                    if let type = tags[KnownTag.sourceType], !type.isEmpty { td.element("span", [.class("muted")], text: " (\(type.lowercased()))") }
                    if let commit = tags[KnownTag.gitCommit], !commit.isEmpty {
                        td.element("span", [.class("muted")], text: " at commit ")
                        td.element("code", text: String(commit.prefix(12)))
                    }
                }
                row("Artifacts") { $0.element("code", text: info.artifactUri) }
            }
        }
    }

    static func description(_ run: Run, into html: inout HTML) {
        let note = run.tags.first(where: { $0.key == KnownTag.note })?.value ?? ""
        html.element("section", [.id("description")]) { section in
            section.element("h2", text: "Description")
            if note.isEmpty {
                PageLayout.empty("No description. Set the run's mlflow.note.content tag to add one.", into: &section)
            } else {
                section.element("div", [.class("description")], text: note)
            }
        }
    }

    static func params(_ run: Run, into html: inout HTML) {
        let params = run.params.sorted { $0.key < $1.key }
        html.element("section", [.id("params")]) { section in
            section.element("h2", text: "Parameters (\(params.count))")
            guard !params.isEmpty else {
                PageLayout.empty("No parameters logged.", into: &section)
                return
            }
            keyValueTable(params.map { ($0.key, $0.value) }, id: "params-table", valueHeader: "Value", into: &section)
        }
    }

    static func metrics(_ run: Run, into html: inout HTML) {
        let metrics = run.metrics.sorted { $0.key < $1.key }
        html.element("section", [.id("metrics")]) { section in
            section.element("h2", text: "Metrics (\(metrics.count))")
            guard !metrics.isEmpty else {
                PageLayout.empty("No metrics logged.", into: &section)
                return
            }
            section.element("div", [.class("table-wrap")]) { wrap in
                wrap.element("table", [.id("metrics-table"), .class("grid sortable")]) { table in
                    table.element("thead") { head in
                        head.element("tr") { tr in
                            tr.element("th", text: "Metric")
                            tr.element("th", [.class("num")], text: "Latest value")
                            tr.element("th", [.class("num")], text: "Step")
                            tr.element("th", text: "Logged at")
                        }
                    }
                    table.element("tbody") { body in
                        for (index, metric) in metrics.prefix(tableLimit).enumerated() {
                            body.element("tr", [Attribute("data-metric", metric.key)]) { tr in
                                tr.element("td", [.class("wrap")]) { td in
                                    td.element("a", [.class("metric-link"), Attribute("href", "#" + RunCharts.figureId(index))], text: metric.key)
                                }
                                tr.element("td", [.class("num"), Attribute("data-sort", metric.value.isFinite ? String(metric.value) : nil)],
                                           text: Format.number(metric.value))
                                tr.element("td", [.class("num"), Attribute("data-sort", String(metric.step))], text: String(metric.step))
                                tr.element("td", [Attribute("data-sort", String(metric.timestamp))], text: Format.timestamp(metric.timestamp))
                            }
                        }
                    }
                }
            }
            limitNote(metrics.count, what: "metrics", into: &section)
        }
    }

    static func tags(_ run: Run, into html: inout HTML) {
        // System tags (mlflow.*) are shown apart: the overview already reads the useful ones.
        let shownElsewhere: Set<String> = [KnownTag.note]
        let all = run.tags.filter { !shownElsewhere.contains($0.key) }.sorted { $0.key < $1.key }
        let user = all.filter { !$0.key.hasPrefix("mlflow.") }
        let system = all.filter { $0.key.hasPrefix("mlflow.") }
        html.element("section", [.id("tags")]) { section in
            section.element("h2", text: "Tags (\(user.count))")
            if user.isEmpty {
                PageLayout.empty("No tags set.", into: &section)
            } else {
                keyValueTable(user.map { ($0.key, $0.value) }, id: "tags-table", valueHeader: "Value", into: &section)
            }
            if !system.isEmpty {
                section.element("details", [.class("system-tags")]) { details in
                    details.element("summary", text: "System tags (\(system.count))")
                    keyValueTable(system.map { ($0.key, $0.value) }, id: "system-tags-table", valueHeader: "Value", into: &details)
                }
            }
        }
    }

    // MARK: Pieces

    static func keyValueTable(_ rows: [(String, String)], id: String, valueHeader: String, into html: inout HTML) {
        html.element("div", [.class("table-wrap")]) { wrap in
            wrap.element("table", [.id(id), .class("grid sortable kv-table")]) { table in
                table.element("thead") { head in
                    head.element("tr") { tr in
                        tr.element("th", text: "Key")
                        tr.element("th", text: valueHeader)
                    }
                }
                table.element("tbody") { body in
                    for (key, value) in rows.prefix(tableLimit) {
                        body.element("tr", [Attribute("data-key", key)]) { tr in
                            tr.element("td", [.class("wrap key")], text: key)
                            tr.element("td", [.class("wrap value")], text: value)
                        }
                    }
                }
            }
        }
        limitNote(rows.count, what: "rows", into: &html)
    }

    static func limitNote(_ count: Int, what: String, into html: inout HTML) {
        if count > tableLimit {
            html.element("p", [.class("muted limit-note")], text: "Showing the first \(tableLimit) of \(count) \(what).")
        }
    }
}
