import YardCore

/// The compare page's list of runs and its overlaid metric charts.
enum CompareSections {
    // MARK: Runs compared

    static func runList(_ context: CompareContext, into html: inout HTML) {
        let table = context.table
        html.element("section", [.id("compared-runs")]) { section in
            section.open("ol", [.class("compare-runs")])
            for (index, run) in table.runs.enumerated() {
                let info = run.info
                let deleted = info.lifecycleStage == .deleted
                section.open("li", [.class(deleted ? "deleted" : nil), Attribute("data-run-id", info.runId)])
                swatch(context.colour(ofRun: index), into: &section)
                section.element("a", [.class("run-link"), Attribute("href", WebLinks.run(info.runId))], text: table.name(ofRun: index))
                section.element("span", [.class("status status-" + info.status.rawValue)], text: info.status.rawValue)
                if deleted { section.element("span", [.class("badge deleted-badge")], text: "deleted") }
                section.element("a", [.class("muted"), Attribute("href", WebLinks.experiment(info.experimentId))],
                                text: context.experimentNames[info.experimentId] ?? info.experimentId)
                section.close("li")
            }
            section.close("ol")
        }
    }

    /// The run's colour as a small SVG square (a `style` attribute would break the page's CSP).
    static func swatch(_ colour: String, into html: inout HTML) {
        html.open("svg", [.class("run-swatch"), Attribute("width", "10"), Attribute("height", "10"), Attribute("viewBox", "0 0 10 10"),
                          Attribute("aria-hidden", "true")])
        html.void("rect", [Attribute("width", "10"), Attribute("height", "10"), Attribute("rx", "2"), Attribute("fill", colour)],
                  selfClosing: true)
        html.close("svg")
    }

    // MARK: Charts

    /// Metric checkboxes offered beyond the charted ones; a key past this is added by typing its name.
    static let maxOfferedMetrics = 200

    static func charts(_ context: CompareContext, into html: inout HTML) {
        let table = context.table
        let query = context.query
        html.element("section", [.id("compare-charts")]) { section in
            section.element("h2", text: "Metrics")
            guard !table.metricKeys.isEmpty else {
                PageLayout.empty("None of these runs logged a metric.", into: &section)
                return
            }
            chartOptions(context, into: &section)
            if context.chartKeys.isEmpty {
                PageLayout.empty("No metric is charted: tick some under “Charted metrics” above.", into: &section)
                return
            }
            // Fewer points per line when many runs share a chart: the page stays small, the shape stays (LTTB).
            let pointsPerSeries = min(1000, max(50, 40_000 / table.runs.count))
            section.open("div", [.class("cards compare-chart-grid")])
            for key in context.chartKeys {
                let history = context.histories[key] ?? [:]
                // Every run gets a series, empty when it lacks the metric, so the colours line up across charts.
                let series = table.runs.enumerated().map { index, run in
                    ChartSeries(label: table.name(ofRun: index), points: points(history[run.info.runId] ?? [], of: run, x: query.chartX),
                                href: WebLinks.run(run.info.runId))
                }
                section.open("figure", [.class("metric-chart card"), Attribute("data-metric", key)])
                section.element("figcaption", text: key)
                let options = LineChartOptions(
                    title: key, xLabel: xLabel(query.chartX), yLabel: key, xIsTime: query.chartX == .wall, logY: query.logY,
                    smoothing: query.smoothing, maxPointsPerSeries: pointsPerSeries)
                LineChart.render(series, options: options, into: &section)
                section.close("figure")
            }
            section.close("div")
        }
    }

    /// One GET form for the chart settings and which metrics are charted; the rest of the view rides along hidden.
    static func chartOptions(_ context: CompareContext, into html: inout HTML) {
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
        html.element("label") { label in
            label.void("input", [Attribute("type", "checkbox"), Attribute("name", "log"), Attribute("value", "1"), .flag("checked", query.logY)])
            label.text(" log scale")
        }
        html.element("label") { label in
            label.text("smoothing ")
            label.void("input", [Attribute("type", "number"), Attribute("name", "smooth"), Attribute("min", "0"), Attribute("max", "0.99"),
                                 Attribute("step", "0.05"), Attribute("value", Format.number(query.smoothing))])
        }
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
        case .time: "seconds since start"
        case .wall: "time"
        }
    }

    /// A run's history as chart points. NaN and infinite values cannot be drawn and are left out.
    static func points(_ history: [Metric], of run: Run, x mode: CompareQuery.ChartX) -> [ChartPoint] {
        var points: [ChartPoint] = []
        points.reserveCapacity(history.count)
        let origin = run.info.startTime ?? history.map(\.timestamp).min() ?? 0
        for metric in history where metric.value.isFinite {
            let x: Double = switch mode {
            case .step: Double(metric.step)
            case .time: Double(metric.timestamp - origin) / 1000
            case .wall: Double(metric.timestamp)
            }
            points.append(ChartPoint(x: x, y: metric.value))
        }
        if mode != .step { points.sort { $0.x < $1.x } }
        return points
    }
}
