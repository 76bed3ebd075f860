import YardCore
import YardTracking

/// The compare page: 2 to 500 runs side by side — overlaid metric charts, a difference table of params,
/// metrics and a few attributes, a parallel-coordinates plot and a scatter of any two columns. Everything it
/// shows comes from one batch read of the runs and one metric-history read per chart drawn (for all runs
/// at once), so its cost grows with what is drawn, not with the number of round trips.
public enum ComparePages {
    public static func routes(_ services: WebServices) -> [WebRoute] {
        [
            WebRoute(.get, WebLinks.root + "/compare") { request in try await comparePage(request, services) },
            WebRoute(.get, WebLinks.root + "/compare/chart") { request in try await CompareCharts.fragment(request, services) },
        ]
    }

    static func comparePage(_ request: WebRequest, _ services: WebServices) async throws -> WebResponse {
        let query = try CompareQuery(request)
        let runs = try await CompareLoader.runs(query.runIds, services.tracking)
        async let experimentNames = CompareLoader.experimentNames(of: runs, services.tracking)
        let table = CompareTable(runs: runs)
        let chartKeys = query.metrics.map { table.knownMetricKeys($0) } ?? table.defaultChartKeys
        let inlineKeys = CompareCharts.inlineKeys(chartKeys, table: table)
        async let histories = CompareLoader.histories(of: inlineKeys, table: table, services.tracking)
        let context = CompareContext(query: query, table: table, experimentNames: await experimentNames,
                                     chartKeys: chartKeys, inlineKeys: inlineKeys, histories: try await histories)

        let experimentIds = Set(runs.map(\.info.experimentId))
        var crumbs = [PageLayout.Crumb("Experiments", WebLinks.experiments())]
        if experimentIds.count == 1, let id = experimentIds.first {
            crumbs.append(PageLayout.Crumb(context.experimentNames[id] ?? id, WebLinks.experiment(id)))
        }
        crumbs.append(PageLayout.Crumb("Compare"))
        return PageLayout.page(title: "Compare \(runs.count) runs", section: .experiments, crumbs: crumbs) { main in
            CompareSections.runList(context, into: &main)
            CompareCharts.section(context, into: &main)
            CompareSections.diffTable(context, into: &main)
            ComparePlots.parallelCoordinates(context, into: &main)
            ComparePlots.scatter(context, into: &main)
        }
    }
}

/// Everything the page's sections draw from, computed once per request.
struct CompareContext: Sendable {
    let query: CompareQuery
    let table: CompareTable
    let experimentNames: [String: String]
    let chartKeys: [String]
    /// The charted keys drawn with the page; the others load on demand.
    let inlineKeys: [String]
    /// Metric key → run id → full history, for the inline charts only.
    let histories: [String: [String: [Metric]]]

    /// A run's series colour: its place in the comparison picks it, the same in every chart and plot.
    func colour(ofRun index: Int) -> String { ChartPalette.color(index) }
}

/// What the compare page was asked for. All of its state lives in the query, so every view is a shareable
/// address and the back button walks through the changes:
/// `runs` (comma list or repeated), `metrics` (charted keys), `chart-x` (`step`|`time`|`wall`), `log`,
/// `smooth`, `hide-equal`, `pc` (parallel-coordinates columns), `x` and `y` (scatter columns).
struct CompareQuery: Sendable {
    static let minRuns = 2
    static let maxRuns = Validation.maxCompareRuns

    enum ChartX: String, Sendable, CaseIterable {
        case step, time, wall
    }

    var runIds: [String]
    var metrics: [String]?
    var chartX: ChartX
    var logY: Bool
    var smoothing: Double
    var hideEqual: Bool
    var parallelColumns: [String]?
    var scatterX: String?
    var scatterY: String?

    init(_ request: WebRequest) throws(WebError) {
        var seen = Set<String>()
        runIds = request.queryList("runs").filter { seen.insert($0).inserted }
        guard runIds.count >= Self.minRuns else {
            throw .badRequest("Choose at least \(Self.minRuns) runs to compare (got \(runIds.count)): tick them in an experiment's runs table, "
                + "or list their ids as /ui/compare?runs=<id>,<id>.")
        }
        guard runIds.count <= Self.maxRuns else {
            throw .badRequest("At most \(Self.maxRuns) runs can be compared at once; this address lists \(runIds.count). "
                + "Narrow the selection with a filter on the runs page.")
        }
        let metricList = request.queryList("metrics")
        metrics = request.query.contains(where: { $0.0 == "metrics" }) ? metricList : nil
        chartX = request.query("chart-x").flatMap(ChartX.init(rawValue:)) ?? .step
        logY = request.queryFlag("log")
        let smooth = request.query("smooth").flatMap(Double.init) ?? 0
        smoothing = smooth.isFinite ? min(0.99, max(0, smooth)) : 0
        hideEqual = request.queryFlag("hide-equal")
        let pc = request.queryList("pc")
        parallelColumns = pc.isEmpty ? nil : pc
        scatterX = request.query("x").flatMap { $0.isEmpty ? nil : $0 }
        scatterY = request.query("y").flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The query pairs of this view, in a fixed order.
    var pairs: [(String, String?)] {
        [("runs", runIds.joined(separator: ",")),
         ("metrics", metrics?.joined(separator: ",")),
         ("chart-x", chartX == .step ? nil : chartX.rawValue),
         ("log", logY ? "1" : nil),
         ("smooth", smoothing > 0 ? Format.number(smoothing) : nil),
         ("hide-equal", hideEqual ? "1" : nil),
         ("pc", parallelColumns?.joined(separator: ",")),
         ("x", scatterX),
         ("y", scatterY)]
    }

    /// This page's address with some keys replaced (a nil value drops the key).
    func link(_ changes: [(String, String?)]) -> String {
        var pairs = self.pairs
        for (key, value) in changes {
            if let index = pairs.firstIndex(where: { $0.0 == key }) { pairs[index].1 = value } else { pairs.append((key, value)) }
        }
        return WebLinks.with(WebLinks.root + "/compare", pairs)
    }

    /// Hidden inputs for every key of the view that a GET form does not set itself, so submitting it
    /// changes only what the form is about.
    func hiddenFields(except keys: Set<String>, into html: inout HTML) {
        for (key, value) in pairs where !keys.contains(key) {
            guard let value, !value.isEmpty else { continue }
            html.void("input", [Attribute("type", "hidden"), Attribute("name", key), Attribute("value", value)])
        }
    }
}
