import Foundation
import YardCore

/// How the run page draws its charts, read from the query so a chart view is a shareable URL:
/// `x=step|time|wall` (time = since the run started, wall = clock time), `log=1`, `smooth=0…0.99`.
struct RunChartSettings: Sendable {
    enum XAxis: String, CaseIterable, Sendable {
        case step, time, wall

        var title: String {
            switch self {
            case .step: "Step"
            case .time: "Time since start"
            case .wall: "Wall-clock time"
            }
        }
    }

    var x: XAxis
    var logY: Bool
    var smoothing: Double

    init(x: XAxis = .step, logY: Bool = false, smoothing: Double = 0) {
        self.x = x
        self.logY = logY
        self.smoothing = smoothing
    }

    /// Unknown values fall back to the defaults rather than refusing the page: these only change the drawing.
    init(_ request: WebRequest) {
        x = request.query("x").flatMap { XAxis(rawValue: $0.lowercased()) } ?? .step
        logY = request.queryFlag("log")
        let smoothing = request.query("smooth").flatMap { Double($0.trimmingCharacters(in: .whitespaces)) } ?? 0
        self.smoothing = smoothing.isFinite ? min(max(smoothing, 0), 0.99) : 0
    }

    /// The query that reproduces these settings; defaults are left out so plain URLs stay plain.
    var query: [(String, String?)] {
        [("x", x == .step ? nil : x.rawValue), ("log", logY ? "1" : nil), ("smooth", smoothing > 0 ? ChartControls.smoothingText(smoothing) : nil)]
    }

}

/// The run page's charts: one per metric key. The first `drawnInline` are drawn with the page; the rest
/// are placeholders the chart script fills from `/ui/runs/<id>/chart?key=…` as they scroll into view
/// (each also links to its chart, so the page works without the script).
enum RunCharts {
    static let drawnInline = 12
    /// Metric keys given a chart (drawn or placeholder) at most; the metrics table lists the same keys.
    static let chartLimit = RunPages.tableLimit

    struct Loaded: Sendable {
        /// Every metric key of the run, sorted.
        var keys: [String]
        /// Full histories of the keys drawn with the page.
        var series: [String: [Metric]]
    }

    static func figureId(_ index: Int) -> String { "chart-\(index)" }

    static func load(_ run: Run, settings: RunChartSettings, _ services: WebServices) async throws -> Loaded {
        let keys = run.metrics.map(\.key).sorted()
        let runId = run.info.runId
        let series = try await withThrowingTaskGroup(of: (String, [Metric]).self) { group in
            for key in keys.prefix(drawnInline) {
                group.addTask { (key, try await services.tracking.metricSeries(runIds: [runId], key: key)[runId] ?? []) }
            }
            var series: [String: [Metric]] = [:]
            for try await (key, points) in group { series[key] = points }
            return series
        }
        return Loaded(keys: keys, series: series)
    }

    static func section(_ run: Run, data: Loaded, settings: RunChartSettings, into html: inout HTML) {
        html.element("section", [.id("charts")]) { section in
            section.element("h2", text: "Charts")
            guard !data.keys.isEmpty else {
                PageLayout.empty("No metrics to chart.", into: &section)
                return
            }
            controls(run, settings: settings, into: &section)
            section.element("div", [.class("chart-grid")]) { grid in
                for (index, key) in data.keys.prefix(chartLimit).enumerated() {
                    if let metrics = data.series[key] {
                        figure(run, key: key, metrics: metrics, settings: settings, id: figureId(index), into: &grid)
                    } else {
                        placeholder(run, key: key, settings: settings, id: figureId(index), into: &grid)
                    }
                }
            }
            RunPages.limitNote(data.keys.count, what: "metric charts", into: &section)
        }
    }

    /// The chart settings as a GET form, so every view of the charts has its own URL.
    static func controls(_ run: Run, settings: RunChartSettings, into html: inout HTML) {
        html.element("form", [.id("chart-options"), .class("toolbar chart-options"), Attribute("method", "get"),
                              Attribute("action", WebLinks.run(run.info.runId))]) { form in
            form.element("label") { label in
                label.text("X axis ")
                label.element("select", [Attribute("name", "x")]) { select in
                    for axis in RunChartSettings.XAxis.allCases {
                        select.element("option", [Attribute("value", axis.rawValue), .flag("selected", axis == settings.x)], text: axis.title)
                    }
                }
            }
            ChartControls.logAndSmoothing(logY: settings.logY, smoothing: settings.smoothing, into: &form)
            form.element("button", [Attribute("type", "submit")], text: "Apply")
        }
    }

    /// One metric's chart: `figure.metric-chart[data-metric]` holding the SVG.
    static func figure(_ run: Run, key: String, metrics: [Metric], settings: RunChartSettings, id: String?, into html: inout HTML) {
        html.element("figure", [.id(id), .class("metric-chart"), Attribute("data-metric", key)]) { figure in
            figure.element("figcaption") { caption in
                caption.element("span", [.class("metric-name")], text: key)
                caption.element("span", [.class("muted")], text: " · \(metrics.count) point\(metrics.count == 1 ? "" : "s")")
            }
            let origin = run.info.startTime ?? metrics.map(\.timestamp).min() ?? 0
            let points = metrics.map { metric in
                let x: Double = switch settings.x {
                case .step: Double(metric.step)
                case .time: Double(metric.timestamp) - Double(origin)
                case .wall: Double(metric.timestamp)
                }
                return ChartPoint(x: x, y: metric.value)
            }
            let options = LineChartOptions(
                title: key, xLabel: settings.x == .step ? "step" : settings.x == .time ? "time since start" : "time",
                xIsTime: settings.x == .wall, logY: settings.logY, smoothing: settings.smoothing, xIsElapsed: settings.x == .time)
            LineChart.render([ChartSeries(label: key, points: points)], options: options, into: &figure)
        }
    }

    static func placeholder(_ run: Run, key: String, settings: RunChartSettings, id: String, into html: inout HTML) {
        let url = WebLinks.runChart(run.info.runId, query: [("key", key)] + settings.query)
        html.element("figure", [.id(id), .class("metric-chart lazy-chart"), Attribute("data-metric", key), Attribute("data-chart-url", url)]) { figure in
            figure.element("figcaption") { caption in
                caption.element("span", [.class("metric-name")], text: key)
            }
            figure.element("p", [.class("chart-placeholder")]) { p in
                p.element("a", [Attribute("href", url)], text: "Draw this chart")
            }
        }
    }

    /// `/ui/runs/<id>/chart?key=…&x=&log=&smooth=`: one chart's figure as an HTML fragment.
    static func fragment(_ request: WebRequest, _ services: WebServices) async throws -> WebResponse {
        let run = try await RunPages.loadRun(request, services)
        guard let key = request.query("key"), !key.isEmpty else {
            throw WebError.badRequest("Say which metric to draw: add ?key=<metric name> to the address.")
        }
        let metrics = try await services.tracking.metricSeries(runIds: [run.info.runId], key: key)[run.info.runId] ?? []
        if metrics.isEmpty {
            throw WebError.notFound("Run '\(RunPages.title(run))' has no metric '\(key)'. Its metrics are listed on the run page.")
        }
        var html = HTML(reservingCapacity: 32_768)
        figure(run, key: key, metrics: metrics, settings: RunChartSettings(request), id: nil, into: &html)
        return .html(html)
    }
}
