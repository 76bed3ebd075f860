import YardCore
import YardStore

/// The dataset registry in the browser: datasets, one dataset's versions, and a version with its profile
/// (rows, columns, types, nulls, min/max/mean) and the runs that used it. Versions are registered by
/// `yard data add --name`; runs point at them through MLflow's `log_input` with the digest.
public enum DatasetPages {
    public static func routes(_ services: WebServices) -> [WebRoute] {
        [
            WebRoute(.get, "/ui/datasets") { request in try await datasetsPage(request, services) },
            WebRoute(.get, "/ui/datasets/:name") { request in try await datasetPage(request, services) },
            WebRoute(.get, "/ui/datasets/:name/versions/:digest") { request in try await DatasetVersionPage.render(request, services) },
        ]
    }

    /// Rows any one list draws; the rest are counted in a note (`?q=` narrows the datasets list).
    static let listLimit = 500

    // MARK: /ui/datasets

    static func datasetsPage(_ request: WebRequest, _ services: WebServices) async throws -> WebResponse {
        let search = request.query("q")?.trimmingCharacters(in: .whitespaces) ?? ""
        let all = try await services.datasets.summaries()
        let matching = search.isEmpty ? all : all.filter { $0.name.localizedCaseInsensitiveContains(search) }
        let shown = matching.prefix(listLimit)
        let now = Format.nowMillis()
        return PageLayout.page(title: "Datasets", section: .datasets) { main in
            main.element("form", [.id("dataset-search"), .class("toolbar"), Attribute("method", "get"), Attribute("action", WebLinks.datasets())]) { form in
                form.void("input", [Attribute("type", "search"), Attribute("name", "q"), Attribute("value", search),
                                    Attribute("placeholder", "Name contains…"), Attribute("aria-label", "Search datasets by name")])
                form.element("button", [Attribute("type", "submit")], text: "Search")
                if !search.isEmpty { form.link(WebLinks.datasets(), text: "Clear") }
            }
            guard !shown.isEmpty else {
                PageLayout.empty(search.isEmpty
                    ? "No datasets registered yet. Register a version with `yard data add --name <name> --server <url> <file>`."
                    : "No dataset's name contains '\(search)'.", into: &main)
                return
            }
            main.element("div", [.class("table-wrap")]) { wrap in
                wrap.element("table", [.id("datasets"), .class("grid sortable")]) { table in
                    table.element("thead") { head in
                        head.element("tr") { row in
                            for title in ["Name", "Versions", "Latest version", "Size", "Registered"] { row.element("th", text: title) }
                        }
                    }
                    table.element("tbody") { body in
                        for summary in shown {
                            body.element("tr", [Attribute("data-dataset", summary.name)]) { row in
                                row.element("td") { cell in
                                    cell.element("a", [.class("dataset-link"), Attribute("href", WebLinks.dataset(summary.name))], text: summary.name)
                                }
                                row.element("td", [.class("num")], text: String(summary.versionCount))
                                row.element("td", [.class("mono")]) { cell in
                                    cell.element("a", [.class("dataset-version-link"),
                                                       Attribute("href", WebLinks.datasetVersion(summary.name, summary.latest.shortDigest)),
                                                       Attribute("title", summary.latest.digest)], text: shortDigest(summary.latest))
                                }
                                row.element("td", [.class("num"), Attribute("data-sort", String(summary.latest.size))], text: Format.bytes(summary.latest.size))
                                row.element("td", [Attribute("data-sort", String(summary.latest.createdAt)),
                                                   Attribute("title", Format.timestamp(summary.latest.createdAt))],
                                            text: Format.ago(summary.latest.createdAt, now: now))
                            }
                        }
                    }
                }
            }
            countNote(shown: shown.count, of: matching.count, what: "datasets", hint: "search by name to narrow the list", into: &main)
        }
    }

    // MARK: /ui/datasets/<name>

    static func datasetPage(_ request: WebRequest, _ services: WebServices) async throws -> WebResponse {
        let name = try request.parameter("name")
        let versions = try await orNotFound(missingDataset(name)) { try await services.datasets.versions(name: name) }
        let shown = versions.prefix(listLimit)
        let now = Format.nowMillis()
        let crumbs = [PageLayout.Crumb("Datasets", WebLinks.datasets()), PageLayout.Crumb(name)]
        return PageLayout.page(title: name, section: .datasets, crumbs: crumbs) { main in
            main.element("p", [.class("muted")],
                         text: "\(versions.count) version(s), newest first. A run uses one through mlflow.log_input with its 36-character digest.")
            main.element("div", [.class("table-wrap")]) { wrap in
                wrap.element("table", [.id("dataset-versions"), .class("grid sortable")]) { table in
                    table.element("thead") { head in
                        head.element("tr") { row in
                            for title in ["Digest", "Kind", "Size", "Files", "Rows", "Columns", "Registered", "Source"] { row.element("th", text: title) }
                        }
                    }
                    table.element("tbody") { body in
                        for version in shown {
                            body.element("tr", [Attribute("data-digest", version.shortDigest)]) { row in
                                row.element("td", [.class("mono")]) { cell in
                                    cell.element("a", [.class("dataset-version-link"), Attribute("href", WebLinks.datasetVersion(name, version.shortDigest)),
                                                       Attribute("title", version.digest)], text: shortDigest(version))
                                }
                                row.element("td", text: version.kind.rawValue)
                                row.element("td", [.class("num"), Attribute("data-sort", String(version.size))], text: Format.bytes(version.size))
                                row.element("td", [.class("num")], text: String(version.files))
                                row.element("td", [.class("num")], text: version.profile.map { String($0.rows) } ?? "–")
                                row.element("td", [.class("num")], text: version.profile.map { String($0.columns.count) } ?? "–")
                                row.element("td", [Attribute("data-sort", String(version.createdAt)), Attribute("title", Format.timestamp(version.createdAt))],
                                            text: Format.ago(version.createdAt, now: now))
                                row.element("td", [.class("wrap mono")], text: version.source ?? "–")
                            }
                        }
                    }
                }
            }
            countNote(shown: shown.count, of: versions.count, what: "versions", hint: "the API lists them all", into: &main)
        }
    }

    // MARK: Shared pieces

    /// The first 12 hex characters: enough to tell versions apart at a glance (the link carries the full one).
    static func shortDigest(_ version: DatasetVersionRecord) -> String {
        String(version.digest.prefix(12))
    }

    static func countNote(shown: Int, of total: Int, what: String, hint: String, into html: inout HTML) {
        guard shown < total else { return }
        html.element("p", [.class("muted list-note")], text: "Showing \(shown) of \(total) \(what); \(hint).")
    }

    static func missingDataset(_ name: String) -> String {
        "There is no registered dataset named '\(name)'. The Datasets page lists the registered ones."
    }

    /// The domain's "does not exist" as a 404 page saying what is missing; a malformed name or digest too,
    /// since an address that cannot name a dataset names nothing.
    static func orNotFound<T>(_ message: @autoclosure () -> String, _ read: () async throws -> T) async throws -> T {
        do {
            return try await read()
        } catch let error as YardError where error.code == .resourceDoesNotExist || error.code == .invalidParameterValue {
            throw WebError.notFound(error.code == .resourceDoesNotExist ? message() : message() + " " + error.message)
        }
    }
}
