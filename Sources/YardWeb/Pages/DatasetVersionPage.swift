import YardCore
import YardStore

/// `/ui/datasets/<name>/versions/<digest>` (full, `sha256:`-prefixed or 36-character digest): what the
/// version is, its CSV profile column by column, and the runs whose `log_input` used it.
enum DatasetVersionPage {
    /// Profile columns drawn; a wider file's remaining columns are counted in a note.
    static let profileLimit = 2000
    /// Experiments looked up by id for their names in the used-by table; beyond that the id is shown.
    static let experimentNameLimit = 50

    static func render(_ request: WebRequest, _ services: WebServices) async throws -> WebResponse {
        let name = try request.parameter("name")
        let digest = try request.parameter("digest")
        let version: DatasetVersionRecord
        do {
            version = try await services.datasets.version(name: name, digest: digest)
        } catch let error as YardError where error.code == .resourceDoesNotExist || error.code == .invalidParameterValue {
            // Say which is missing: the dataset, or this version of one that exists.
            _ = try await DatasetPages.orNotFound(DatasetPages.missingDataset(name)) { try await services.datasets.versions(name: name) }
            throw WebError.notFound("Dataset '\(name)' has no version \(digest). "
                                    + (error.code == .invalidParameterValue ? error.message + " " : "")
                                    + "The dataset's page lists its versions.")
        }
        let runs = try await services.datasets.runs(name: name, digest: version.digest)
        let shownRuns = runs.prefix(DatasetPages.listLimit)
        var experimentNames: [String: String] = [:]
        for id in Set(shownRuns.map(\.experimentId)).sorted().prefix(experimentNameLimit) {
            experimentNames[id] = try? await services.tracking.experiment(id: id).name
        }

        let crumbs = [PageLayout.Crumb("Datasets", WebLinks.datasets()), PageLayout.Crumb(name, WebLinks.dataset(name)),
                      PageLayout.Crumb(DatasetPages.shortDigest(version))]
        return PageLayout.page(title: "\(name) @ \(DatasetPages.shortDigest(version))", section: .datasets, crumbs: crumbs) { main in
            overview(version, into: &main)
            main.element("section", [.id("profile-section")]) { section in
                section.element("h2", text: "Profile")
                profile(version, into: &section)
            }
            main.element("section", [.id("used-by-section")]) { section in
                section.element("h2", text: "Runs that used it")
                usedBy(Array(shownRuns), experimentNames: experimentNames, into: &section)
                DatasetPages.countNote(shown: shownRuns.count, of: runs.count, what: "runs",
                                       hint: "GET /api/v1/datasets/\(name)/versions/\(version.shortDigest)/runs lists them all", into: &section)
            }
        }
    }

    static func overview(_ version: DatasetVersionRecord, into html: inout HTML) {
        html.element("section", [.id("dataset-version-overview")]) { section in
            section.element("table", [.class("kv")]) { table in
                row("Digest", "sha256:" + version.digest, mono: true, into: &table)
                row("MLflow digest", version.shortDigest, mono: true, into: &table)
                row("Kind", version.kind.rawValue, into: &table)
                row("Size", Format.bytes(version.size) + " (\(version.size) bytes)", into: &table)
                row("Files", String(version.files), into: &table)
                if let profile = version.profile {
                    row("Rows", String(profile.rows), into: &table)
                    row("Columns", String(profile.columns.count), into: &table)
                }
                row("Source", version.source ?? "–", mono: true, into: &table)
                row("Registered", Format.timestamp(version.createdAt) + " UTC", into: &table)
            }
            section.element("p", [.class("muted")], text: "Log it as an input of a run:")
            section.element("pre", [.class("preview log-input")],
                            text: "mlflow.log_input(mlflow.data.from_pandas(df, name=\"\(version.name)\", digest=\"\(version.shortDigest)\"))")
        }
    }

    static func row(_ key: String, _ value: String, mono: Bool = false, into table: inout HTML) {
        table.element("tr") { row in
            row.element("th", text: key)
            row.element("td", [.class(mono ? "wrap mono" : "wrap")], text: value)
        }
    }

    static func profile(_ version: DatasetVersionRecord, into html: inout HTML) {
        guard let profile = version.profile else {
            PageLayout.empty(version.kind == .directory
                ? "A folder has no profile; each CSV file registered on its own gets one."
                : "No profile: only CSV files are profiled when registered.", into: &html)
            return
        }
        guard !profile.columns.isEmpty else {
            PageLayout.empty("The file has no columns.", into: &html)
            return
        }
        let shown = profile.columns.prefix(profileLimit)
        html.element("p", [.id("profile-counts"), .class("muted")], text: "\(profile.rows) rows × \(profile.columns.count) columns")
        html.element("div", [.class("table-wrap")]) { wrap in
            wrap.element("table", [.id("profile"), .class("grid sortable")]) { table in
                table.element("thead") { head in
                    head.element("tr") { row in
                        row.element("th", text: "Column")
                        row.element("th", text: "Type")
                        for title in ["Nulls", "Nulls %", "Min", "Max", "Mean"] { row.element("th", [.class("num")], text: title) }
                    }
                }
                table.element("tbody") { body in
                    for column in shown {
                        body.element("tr", [Attribute("data-column", column.name)]) { row in
                            row.element("td", [.class("wrap")], text: column.name)
                            row.element("td") { cell in cell.element("span", [.class("type type-\(column.type)")], text: column.type) }
                            row.element("td", [.class("num")], text: String(column.nulls))
                            let share = profile.rows > 0 ? Double(column.nulls) / Double(profile.rows) * 100 : 0
                            row.element("td", [.class("num"), Attribute("data-sort", String(share))], text: Format.number((share * 10).rounded() / 10) + " %")
                            for value in [column.min, column.max, column.mean] {
                                row.element("td", [.class("num"), Attribute("data-sort", value.map { String($0) })], text: value.map(Format.number) ?? "–")
                            }
                        }
                    }
                }
            }
        }
        DatasetPages.countNote(shown: shown.count, of: profile.columns.count, what: "columns",
                               hint: "GET /api/v1/datasets/\(version.name)/versions/\(version.shortDigest) returns the whole profile", into: &html)
    }

    static func usedBy(_ runs: [DatasetRunLink], experimentNames: [String: String], into html: inout HTML) {
        guard !runs.isEmpty else {
            PageLayout.empty("No run has logged this version as an input yet.", into: &html)
            return
        }
        html.element("div", [.class("table-wrap")]) { wrap in
            wrap.element("table", [.id("used-by"), .class("grid sortable")]) { table in
                table.element("thead") { head in
                    head.element("tr") { row in
                        for title in ["Run", "Experiment", "Status", "Started", "Logged as"] { row.element("th", text: title) }
                    }
                }
                table.element("tbody") { body in
                    for run in runs {
                        body.element("tr", [Attribute("data-run-id", run.runId)]) { row in
                            row.element("td") { cell in
                                cell.element("a", [.class("run-link"), Attribute("href", WebLinks.run(run.runId)), Attribute("title", run.runId)],
                                             text: run.runName.isEmpty ? run.runId : run.runName)
                            }
                            row.element("td") { cell in
                                cell.element("a", [.class("experiment-link"), Attribute("href", WebLinks.experiment(run.experimentId))],
                                             text: experimentNames[run.experimentId] ?? "experiment \(run.experimentId)")
                            }
                            row.element("td") { cell in
                                cell.element("span", [.class("status status-\(run.status.rawValue)")], text: run.status.rawValue)
                            }
                            row.element("td", [Attribute("data-sort", run.startTime.map(String.init))], text: Format.timestamp(run.startTime))
                            row.element("td", text: run.datasetName)
                        }
                    }
                }
            }
        }
    }
}
