import YardCore

/// The markup of the runs page: the filter form, the view switch, the column picker and the table itself
/// (also sent alone as the live-refresh fragment). Element ids and classes here are the contract the
/// browser suite and the other pages rely on.
enum RunsTableRendering {
    /// Long param and tag values are cut in the cell; the full value is on the run page.
    static let cellTextLimit = 80
    static let titleTextLimit = 500

    // MARK: Controls

    /// GET form#run-filter: the filter text, plus the rest of the state as hidden fields so a search keeps
    /// the order, columns, view and page size (and starts again at the first page).
    static func filterForm(_ query: RunsTableQuery, into html: inout HTML) {
        html.element("form", [.id("run-filter"), .class("toolbar"), Attribute("method", "get"),
                              Attribute("action", WebLinks.experiment(query.experimentId))]) { form in
            form.void("input", [Attribute("type", "search"), .id("filter"), Attribute("name", "filter"), Attribute("value", query.filter),
                                Attribute("placeholder", "metrics.rmse < 1 and params.alpha = '0.5'"),
                                Attribute("aria-label", "Filter runs (MLflow search syntax)"), Attribute("spellcheck", "false")])
            hidden("order", query.order.isEmpty ? nil : query.order.joined(separator: ","), into: &form)
            hidden("cols", query.columns.map { $0.map(\.name).joined(separator: ",") }, into: &form)
            hidden("view", query.view == .active ? nil : query.view.rawValue, into: &form)
            form.element("label", [.class("page-size")]) { label in
                label.text("Rows ")
                label.element("select", [Attribute("name", "size")]) { select in
                    for size in [50, 100, 250, 500, 1000] {
                        select.element("option", [Attribute("value", String(size)), Attribute.flag("selected", size == query.size)],
                                       text: String(size))
                    }
                }
            }
            form.element("button", [Attribute("type", "submit"), .class("primary")], text: "Search")
            if !query.filter.isEmpty {
                var cleared = query
                cleared.filter = ""
                form.link(cleared.link(page: .some(nil)), [.class("clear-filter")], text: "Clear")
            }
        }
    }

    private static func hidden(_ name: StaticString, _ value: String?, into html: inout HTML) {
        guard let value, !value.isEmpty else { return }
        html.void("input", [Attribute("type", "hidden"), Attribute("name", name.description), Attribute("value", value)])
    }

    static func viewSwitch(_ query: RunsTableQuery, into html: inout HTML) {
        html.element("span", [.class("view-switch"), Attribute("aria-label", "Which runs")]) { links in
            for view in RunsView.allCases {
                links.link(query.link(view: view, page: .some(nil)),
                           [.class(view == query.view ? "current" : nil), Attribute("aria-current", view == query.view ? "true" : nil)],
                           text: view.title)
            }
        }
    }

    /// details.column-picker: the script asks `/columns?q=` as the user types and rewrites `cols`; without
    /// the script the summary still says how many columns there are to choose from.
    static func columnPicker(_ contents: RunsTablePage.Contents, into html: inout HTML) {
        let query = contents.query
        html.element("details", [.class("picker column-picker"), .id("column-picker"),
                                 Attribute("data-columns-url", WebLinks.experimentColumns(query.experimentId)),
                                 Attribute("data-param", "cols"),
                                 Attribute("data-selected", contents.columns.map(\.name).joined(separator: ","))]) { details in
            details.element("summary", text: "Columns (\(contents.columns.count) shown)")
            details.element("div", [.class("picker-panel")]) { panel in
                panel.void("input", [Attribute("type", "search"), Attribute("placeholder", "Find a metric, param or tag"),
                                     Attribute("aria-label", "Find a column")])
                panel.element("p", [.class("picker-note muted")], text: "Type to search this experiment's columns.")
                panel.element("ul") { _ in }
                if query.columns != nil {
                    var reset = query
                    reset.columns = nil
                    panel.link(reset.link(page: .some(nil)), [.class("reset-columns")], text: "Back to the default columns")
                }
            }
        }
    }

    /// form.run-select#run-select: the table inside a GET form to the compare page, so ticked runs become
    /// `runs=` values. While a run is RUNNING only the table box refreshes, so the form and its button stay.
    static func selectionForm(_ contents: RunsTablePage.Contents, into html: inout HTML) {
        html.element("form", [.id("run-select"), .class("run-select"), Attribute("method", "get"), Attribute("action", WebLinks.root + "/compare")]) { form in
            form.element("div", [.class("compare-bar")]) { bar in
                bar.element("label") { label in
                    label.void("input", [Attribute("type", "checkbox"), .class("select-all"), Attribute("aria-label", "Select every run on this page")])
                    label.text(" Select page")
                }
                bar.element("button", [Attribute("type", "submit"), .id("compare-button")], text: "Compare selected")
                bar.element("span", [.class("selected-count muted")], text: "0 selected")
            }
            let refresh = contents.anyRunning
            form.element("div", [.id("runs-live"), .class("table-wrap"),
                                 Attribute("data-refresh-url", refresh ? contents.query.link(fragment: true) : nil),
                                 Attribute("data-refresh-seconds", refresh ? RunsTablePage.refreshSeconds : nil)]) { wrap in
                table(contents, into: &wrap)
            }
        }
    }

    // MARK: The table

    static func table(_ contents: RunsTablePage.Contents, into html: inout HTML) {
        let query = contents.query
        html.element("table", [.id("runs"), .class("grid runs-table")]) { table in
            table.element("thead") { head in
                head.element("tr") { row in
                    row.element("th", [.class("select")]) { $0.element("span", [.class("visually-hidden")], text: "Select") }
                    attributeHeader("Run", key: "run_name", query: query, into: &row)
                    attributeHeader("Status", key: "status", query: query, into: &row)
                    attributeHeader("Started", key: "start_time", query: query, into: &row)
                    row.element("th", [Attribute("data-column", "duration"), .class("num")], text: "Duration")
                    attributeHeader("User", key: "user_id", query: query, into: &row)
                    row.element("th", [Attribute("data-column", "datasets")], text: "Datasets")
                    row.element("th", [Attribute("data-column", "models")], text: "Models")
                    for column in contents.columns { columnHeader(column, query: query, into: &row) }
                }
            }
            table.element("tbody") { body in
                for run in contents.runs { runRow(run, contents, into: &body) }
            }
        }
    }

    private static func attributeHeader(_ title: String, key: String, query: RunsTableQuery, into html: inout HTML) {
        let identifier = "attributes." + key
        html.element("th", [Attribute("data-column", identifier), .class(key == "start_time" ? "time" : nil)]) { cell in
            sortLink(title, entity: .attribute, key: key, identifier: identifier, query: query, into: &cell)
        }
    }

    private static func columnHeader(_ column: RunColumn, query: RunsTableQuery, into html: inout HTML) {
        html.element("th", [Attribute("data-column", column.name), .class(column.kind == .metric ? "num col-\(column.kind.rawValue)" : "col-\(column.kind.rawValue)"),
                            Attribute("title", column.name)]) { cell in
            if let identifier = column.orderIdentifier {
                sortLink(column.key, prefix: column.kind.rawValue + ".", entity: column.kind.entity, key: column.key,
                         identifier: identifier, query: query, into: &cell)
            } else {
                cell.element("span", [.class("col-kind")], text: column.kind.rawValue + ".")
                cell.text(column.key)
            }
        }
    }

    /// a.sort-link toggling the order, with ▲/▼ on the column the table is sorted by.
    private static func sortLink(_ title: String, prefix: String? = nil, entity: SearchEntity, key: String, identifier: String,
                                 query: RunsTableQuery, into html: inout HTML) {
        let direction = query.currentDirection(entity: entity, key: key)
        let sortState: String? = direction.map { $0 ? "ascending" : "descending" }
        html.element("a", [.class("sort-link"), Attribute("href", query.sortLink(entity: entity, key: key, identifier: identifier)),
                           Attribute("aria-sort", sortState)]) { link in
            if let prefix { link.element("span", [.class("col-kind")], text: prefix) }
            link.text(title)
            if let direction { link.element("span", [.class("order"), Attribute("aria-hidden", "true")], text: direction ? "▲" : "▼") }
        }
    }

    private static func runRow(_ run: Run, _ contents: RunsTablePage.Contents, into html: inout HTML) {
        let info = run.info
        html.element("tr", [Attribute("data-run-id", info.runId), .class(info.lifecycleStage == .deleted ? "deleted-run" : nil)]) { row in
            row.element("td", [.class("select")]) { cell in
                cell.void("input", [Attribute("type", "checkbox"), Attribute("name", "runs"), Attribute("value", info.runId),
                                    Attribute("aria-label", "Select run " + info.runName)])
            }
            row.element("td", [.class("run-name wrap")]) { cell in
                cell.link(WebLinks.run(info.runId), [.class("run-link")], text: info.runName.isEmpty ? info.runId : info.runName)
                if info.lifecycleStage == .deleted { cell.element("span", [.class("badge deleted-badge")], text: "deleted") }
            }
            row.element("td", [.class("status")]) { cell in
                cell.element("span", [.class("status status-" + info.status.rawValue)], text: info.status.rawValue)
            }
            row.element("td", [.class("time"), Attribute("data-sort", info.startTime.map(String.init))], text: Format.timestamp(info.startTime))
            durationCell(info, now: contents.now, into: &row)
            let user = info.userId.isEmpty ? (run.tags.first { $0.key == ReservedTags.user }?.value ?? "") : info.userId
            row.element("td", [.class("user")], text: user)
            row.element("td", [.class("datasets")]) { cell in
                for input in run.datasetInputs { datasetBadge(input, registered: contents.registeredDigests, into: &cell) }
            }
            row.element("td", [.class("models")]) { cell in
                for model in contents.modelsByRun[info.runId] ?? [] {
                    cell.link(WebLinks.run(info.runId) + "#outputs", [.class("badge model-badge"),
                                                                      Attribute("title", model.modelId + " · " + model.status.rawValue)],
                              text: model.name)
                }
            }
            valueCells(run, contents.columns, into: &row)
        }
    }

    private static func durationCell(_ info: RunInfo, now: Int64, into html: inout HTML) {
        guard let start = info.startTime else {
            html.element("td", [.class("num")], text: "–")
            return
        }
        if let finished = Format.elapsed(from: start, to: info.endTime) {
            html.element("td", [.class("num"), Attribute("data-sort", String(finished))], text: Format.duration(millis: finished))
        } else if info.status == .running, info.endTime == nil {
            let elapsed = Format.elapsed(from: start, to: now) ?? 0
            html.element("td", [.class("num muted"), Attribute("data-sort", String(elapsed)), Attribute("title", "running")],
                         text: Format.duration(millis: elapsed) + " …")
        } else {
            html.element("td", [.class("num")], text: "–")
        }
    }

    /// `name@1a2b3c4d`, linked to the dataset version when the registry knows it.
    private static func datasetBadge(_ input: DatasetInput, registered: [String: Set<String>], into html: inout HTML) {
        let dataset = input.dataset
        let label = dataset.name + "@" + String(dataset.digest.prefix(8))
        let context = input.tags.first { $0.key == ReservedTags.datasetContext }?.value
        let title = [context.map { "context: " + $0 }, "digest " + dataset.digest].compactMap { $0 }.joined(separator: " · ")
        if registered[dataset.name]?.contains(dataset.digest) == true {
            html.link(WebLinks.datasetVersion(dataset.name, dataset.digest), [.class("badge dataset-input"), Attribute("title", title)],
                      text: label)
        } else {
            html.element("span", [.class("badge dataset-input unregistered"), Attribute("title", title)], text: label)
        }
    }

    /// The chosen columns' cells. Each run's values are looked up by key once per row, so a wide table of
    /// many rows stays linear.
    private static func valueCells(_ run: Run, _ columns: [RunColumn], into html: inout HTML) {
        guard !columns.isEmpty else { return }
        let metrics = Dictionary(run.metrics.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        let params = Dictionary(run.params.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        let tags = Dictionary(run.tags.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        for column in columns {
            switch column.kind {
            case .metric:
                if let value = metrics[column.key] {
                    html.element("td", [.class("num"), Attribute("data-sort", value.isFinite ? String(value) : nil)], text: Format.number(value))
                } else {
                    html.element("td", [.class("num missing")], text: "")
                }
            case .param: textCell(params[column.key], into: &html)
            case .tag: textCell(tags[column.key], into: &html)
            }
        }
    }

    private static func textCell(_ value: String?, into html: inout HTML) {
        guard let value else {
            html.element("td", [.class("missing")], text: "")
            return
        }
        if value.count <= cellTextLimit {
            html.element("td", text: value)
        } else {
            html.element("td", [Attribute("title", String(value.prefix(titleTextLimit)))], text: String(value.prefix(cellTextLimit)) + "…")
        }
    }
}
