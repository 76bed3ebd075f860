import YardCore

/// The compare page's overlaid metric charts: one figure per charted metric with every run as a line, in
/// the run's own colour (its place in the comparison, as in the run list). The first charts come with the
/// page; once their points would make it heavy, the rest are placeholders the chart script fills in from
/// `/ui/compare/chart` as they scroll into view, so 200 runs × 8 metrics never make one multi-megabyte page.
enum CompareCharts {
    /// Metric checkboxes offered beyond the charted ones; a key past this is added by typing its name.
    static let maxOfferedMetrics = 200
    /// Points drawn with the page, summed over its inline charts (the first chart is always inline).
    static let inlinePointBudget = 25_000

    /// Fewer points per line when many runs share a chart; LTTB keeps each line's shape.
    static func pointsPerSeries(runCount: Int) -> Int { min(1000, max(50, 20_000 / max(runCount, 1))) }

    /// The charted keys drawn with the page: the first, then more while the estimated points fit the budget.
    static func inlineKeys(_ keys: [String], table: CompareTable) -> [String] {
        let perSeries = pointsPerSeries(runCount: table.runs.count)
        var total = 0
        var inline: [String] = []
        for key in keys {
            // The latest value's step estimates a history's length: steps usually count up from 0.
            let estimate = table.metrics.reduce(0) { sum, run in
                sum + (run[key].map { min(perSeries, Int(clamping: min(max(0, $0.step), Int64(perSeries))) + 1) } ?? 0)
            }
            if !inline.isEmpty, total + estimate > inlinePointBudget { break }
            total += estimate
            inline.append(key)
        }
        return inline
    }

    static func section(_ context: CompareContext, into html: inout HTML) {
        let table = context.table
        html.element("section", [.id("compare-charts")]) { section in
            section.element("h2", text: "Metrics")
            guard !table.metricKeys.isEmpty else {
                PageLayout.empty("None of these runs logged a metric.", into: &section)
                return
            }
            options(context, into: &section)
            if context.chartKeys.isEmpty {
                PageLayout.empty("No metric is charted: tick some under “Charted metrics” above.", into: &section)
                return
            }
            let inline = Set(context.inlineKeys)
            section.open("div", [.class("cards compare-chart-grid")])
            for key in context.chartKeys {
                if inline.contains(key) {
                    figure(key, table: table, history: context.histories[key] ?? [:], query: context.query, into: &section)
                } else {
                    placeholder(key, query: context.query, into: &section)
                }
            }
            section.close("div")
        }
    }

    static func figure(_ key: String, table: CompareTable, history: [String: [Metric]], query: CompareQuery, into html: inout HTML) {
        // Every run gets a series, empty when it lacks the metric, so a run has the same colour in every chart.
        let series = table.runs.enumerated().map { index, run in
            ChartSeries(label: table.name(ofRun: index), points: points(history[run.info.runId] ?? [], of: run, x: query.chartX),
                        href: WebLinks.run(run.info.runId))
        }
        html.open("figure", [.class("metric-chart card"), Attribute("data-metric", key)])
        html.element("figcaption", text: key)
        let options = LineChartOptions(
            title: key, xLabel: xLabel(query.chartX), yLabel: key, xIsTime: query.chartX == .wall, logY: query.logY,
            smoothing: query.smoothing, maxPointsPerSeries: pointsPerSeries(runCount: table.runs.count),
            xIsElapsed: query.chartX == .time)
        LineChart.render(series, options: options, into: &html)
        html.close("figure")
    }

    static func placeholder(_ key: String, query: CompareQuery, into html: inout HTML) {
        let url = chartLink(key, query: query)
        html.element("figure", [.class("metric-chart card lazy-chart"), Attribute("data-metric", key), Attribute("data-chart-url", url)]) { figure in
            figure.element("figcaption", text: key)
            figure.element("p", [.class("chart-placeholder")]) { p in
                p.element("a", [Attribute("href", url)], text: "Draw this chart")
            }
        }
    }

    static func chartLink(_ key: String, query: CompareQuery) -> String {
        let kept: Set<String> = ["runs", "chart-x", "log", "smooth"]
        return WebLinks.with(WebLinks.root + "/compare/chart", query.pairs.filter { kept.contains($0.0) } + [("key", key)])
    }

    /// `/ui/compare/chart?runs=…&key=…&chart-x=&log=&smooth=`: one chart's figure as an HTML fragment.
    static func fragment(_ request: WebRequest, _ services: WebServices) async throws -> WebResponse {
        let query = try CompareQuery(request)
        guard let key = request.query("key"), !key.isEmpty else {
            throw WebError.badRequest("Say which metric to draw: add &key=<metric name> to the address.")
        }
        let table = CompareTable(runs: try await CompareLoader.runs(query.runIds, services.tracking))
        guard table.metricKeys.contains(key) else {
            throw WebError.notFound("None of these runs logged a metric '\(key)'. The compare page lists the metrics they have.")
        }
        let histories = try await CompareLoader.histories(of: [key], table: table, services.tracking)
        var html = HTML(reservingCapacity: 65_536)
        figure(key, table: table, history: histories[key] ?? [:], query: query, into: &html)
        return .html(html)
    }

    /// One GET form for the chart settings and which metrics are charted; the rest of the view rides along hidden.
    static func options(_ context: CompareContext, into html: inout HTML) {
        let table = context.table
        let query = context.query
        let charted = Set(context.chartKeys)
        html.open("form", [.id("chart-options"), .class("toolbar compare-chart-options"), Attribute("method", "get"),
                           Attribute("action", WebLinks.root + "/compare")])
        query.hiddenFields(except: ["metrics", "chart-x", "log", "smooth"], into: &html)
        html.element("label") { label in
            label.text("x axis ")
            label.element("select", [Attribute("name", "chart-x")]) { select in
                for mode in CompareQuery.ChartX.allCases {
                    select.element("option", [Attribute("value", mode.rawValue), .flag("selected", mode == query.chartX)], text: xLabel(mode))
                }
            }
        }
        ChartControls.logAndSmoothing(logY: query.logY, smoothing: query.smoothing, into: &html)
        html.element("details", [.class("metric-choice")]) { details in
            details.element("summary", text: "Charted metrics (\(context.chartKeys.count) of \(table.metricKeys.count))")
            details.open("ul", [.class("metric-choice-list")])
            let others = table.metricKeys.filter { !charted.contains($0) }
            for key in context.chartKeys + others.prefix(maxOfferedMetrics) {
                details.element("li") { item in
                    item.element("label") { label in
                        label.void("input", [Attribute("type", "checkbox"), Attribute("name", "metrics"), Attribute("value", key),
                                             .flag("checked", charted.contains(key))])
                        label.text(" " + key)
                    }
                }
            }
            details.close("ul")
            if others.count > maxOfferedMetrics {
                details.element("p", [.class("muted")], text: "\(others.count - maxOfferedMetrics) more metrics are not listed; add one by name:")
            }
            details.void("input", [Attribute("type", "text"), Attribute("name", "metrics"), Attribute("placeholder", "another metric key"),
                                   Attribute("aria-label", "Add a metric by its key")])
        }
        html.element("button", [Attribute("type", "submit")], text: "Apply")
        html.close("form")
        if query.metrics == nil, table.metricKeys.count > context.chartKeys.count {
            html.element("p", [.class("muted")], text: "Charting the \(context.chartKeys.count) most widely logged of \(table.metricKeys.count) metrics; "
                + "choose others under “Charted metrics”.")
        }
    }

    static func xLabel(_ mode: CompareQuery.ChartX) -> String {
        switch mode {
        case .step: "step"
        case .time: "time since start"
        case .wall: "time"
        }
    }

    /// A run's history as chart points (x in steps, milliseconds since the run's start, or epoch milliseconds).
    static func points(_ history: [Metric], of run: Run, x mode: CompareQuery.ChartX) -> [ChartPoint] {
        let origin = run.info.startTime ?? history.map(\.timestamp).min() ?? 0
        return history.map { metric in
            let x: Double = switch mode {
            case .step: Double(metric.step)
            case .time: Double(metric.timestamp) - Double(origin)
            case .wall: Double(metric.timestamp)
            }
            return ChartPoint(x: x, y: metric.value)
        }
    }
}
