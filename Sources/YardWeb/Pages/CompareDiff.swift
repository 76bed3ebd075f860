import YardCore

/// The difference table: one row per attribute, param and metric (latest value), one column per run. Rows
/// whose values are the same in every run are marked `equal` and left out with `hide-equal=1`; in a metric
/// row whose name says which way is better (loss, accuracy, …) the best value is highlighted.
extension CompareSections {
    struct DiffRow {
        enum Group: String {
            case attributes = "Attributes", params = "Params", metrics = "Metrics"
        }

        var group: Group
        var key: String
        /// What each run's cell shows; nil when the run has no value.
        var cells: [String?]
        var equal: Bool
        var best: Set<Int> = []
    }

    /// Cells drawn at most; past that the table keeps its first rows and says how many it left out.
    static let maxDiffCells = 60_000

    static func diffTable(_ context: CompareContext, into html: inout HTML) {
        let table = context.table
        let query = context.query
        let all = diffRows(table)
        let equalCount = all.filter(\.equal).count
        let shown = query.hideEqual ? all.filter { !$0.equal } : all
        let rowLimit = max(60, maxDiffCells / table.runs.count)
        let rows = shown.prefix(rowLimit)

        html.element("section", [.id("compare-diff")]) { section in
            section.element("h2", text: "Differences")
            section.element("div", [.class("toolbar")]) { bar in
                bar.element("a", [.id("hide-equal"), .class("button"), Attribute("href", query.link([("hide-equal", query.hideEqual ? nil : "1")]))],
                            text: query.hideEqual ? "Show the \(equalCount) equal rows" : "Hide the \(equalCount) equal rows")
                bar.element("span", [.class("muted")], text: query.hideEqual
                    ? "\(shown.count) rows differ between the runs."
                    : "\(all.count - equalCount) of \(all.count) rows differ; equal rows are greyed.")
            }
            section.element("div", [.class("table-wrap diff-wrap")]) { wrap in
                wrap.open("table", [.id("diff"), .class("diff")])
                wrap.open("thead")
                wrap.open("tr")
                wrap.element("th", [.class("diff-key")], text: "")
                for (index, run) in table.runs.enumerated() {
                    wrap.open("th", [.class(run.info.lifecycleStage == .deleted ? "deleted" : nil), Attribute("data-run-id", run.info.runId)])
                    swatch(context.colour(ofRun: index), into: &wrap)
                    wrap.text(" ")
                    wrap.element("a", [Attribute("href", WebLinks.run(run.info.runId))], text: table.name(ofRun: index))
                    wrap.close("th")
                }
                wrap.close("tr")
                wrap.close("thead")
                wrap.open("tbody")
                var group: DiffRow.Group?
                for row in rows {
                    if row.group != group {
                        group = row.group
                        wrap.element("tr", [.class("diff-group")]) { tr in
                            tr.element("th", [Attribute("colspan", String(table.runs.count + 1))], text: row.group.rawValue)
                        }
                    }
                    writeRow(row, into: &wrap)
                }
                wrap.close("tbody")
                wrap.close("table")
            }
            if shown.count > rows.count {
                section.element("p", [.class("muted")], text: "Showing the first \(rows.count) of \(shown.count) rows"
                    + (query.hideEqual ? "." : "; hide the equal rows to see more of the differences."))
            } else if rows.isEmpty {
                PageLayout.empty("Every param and metric is the same in all of these runs.", into: &section)
            }
        }
    }

    private static func writeRow(_ row: DiffRow, into html: inout HTML) {
        let rowName = row.group == .attributes ? row.key : (row.group == .params ? "params." : "metrics.") + row.key
        html.open("tr", [.class(row.equal ? "equal" : nil), Attribute("data-key", rowName)])
        html.element("th", [.class("diff-key")], text: row.key)
        let numeric = row.group == .metrics
        for (index, cell) in row.cells.enumerated() {
            var classes = numeric ? "num" : ""
            if cell == nil { classes += classes.isEmpty ? "missing" : " missing" }
            if row.best.contains(index) { classes += classes.isEmpty ? "best" : " best" }
            html.element("td", [.class(classes.isEmpty ? nil : classes)], text: cell ?? "–")
        }
        html.close("tr")
    }

    static func diffRows(_ table: CompareTable) -> [DiffRow] {
        var rows: [DiffRow] = []
        let infos = table.runs.map(\.info)
        func attribute(_ key: String, _ value: (RunInfo) -> String) {
            let cells = infos.map(value)
            rows.append(DiffRow(group: .attributes, key: key, cells: cells, equal: Set(cells).count == 1))
        }
        attribute("status") { $0.status.rawValue }
        attribute("start") { Format.timestamp($0.startTime) }
        attribute("duration") { Format.duration(start: $0.startTime, end: $0.endTime) }
        attribute("user") { $0.userId.isEmpty ? "–" : $0.userId }

        for key in table.paramKeys {
            rows.append(DiffRow(group: .params, key: key, cells: table.params.map { $0[key] }, equal: !table.paramDiffers(key)))
        }
        for key in table.metricKeys.sorted(by: CompareTable.byName) {
            let values = table.metrics.map { $0[key]?.value }
            var row = DiffRow(group: .metrics, key: key, cells: values.map { $0.map(Format.number) }, equal: !table.metricDiffers(key))
            if !row.equal, let direction = betterDirection(key) {
                let finite = values.compactMap { $0 }.filter(\.isFinite)
                if let target = direction == .lower ? finite.min() : finite.max() {
                    row.best = Set(values.indices.filter { values[$0] == target })
                }
            }
            rows.append(row)
        }
        return rows
    }

    enum Direction { case lower, higher }

    /// Which way a metric improves, guessed from its name; nil when the name does not say.
    static func betterDirection(_ key: String) -> Direction? {
        let name = key.lowercased()
        let lower = ["loss", "error", "err", "rmse", "mse", "mae", "mape", "perplexity", "latency", "wer", "cer"]
        let higher = ["accuracy", "acc", "auc", "f1", "precision", "recall", "r2", "score", "iou", "bleu", "rouge", "map"]
        let words = name.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
        if words.contains(where: { word in lower.contains(word) || word.hasSuffix("loss") }) { return .lower }
        if words.contains(where: { higher.contains($0) }) { return .higher }
        return nil
    }
}
