import YardCore
import YardTracking

/// Reads what the compare page shows, in batches: the runs in one search, the experiment names once per
/// experiment, and one metric-history read per charted key covering every run.
enum CompareLoader {
    /// The runs in the order asked for. Unknown ids are a 404 naming them; deleted runs are kept (and marked
    /// on the page), so an old shared link still opens.
    static func runs(_ ids: [String], _ tracking: TrackingService) async throws -> [Run] {
        var found: [String: Run] = [:]
        let batchable = ids.filter(isPlainId)
        if !batchable.isEmpty {
            // The run search is scoped by experiment; every experiment that holds a run is a candidate.
            let experimentIds = try await tracking.experimentActivity().map(\.experimentId)
            let list = batchable.map { "'" + $0 + "'" }.joined(separator: ",")
            let page = try await tracking.searchRuns(
                experimentIds: experimentIds, filter: "attributes.run_id IN (\(list))", orderBy: [], viewType: .all,
                maxResults: Int64(batchable.count), pageToken: nil)
            for run in page.items { found[run.info.runId] = run }
        }
        // An id the filter grammar could not quote (no real run id looks like this) is read on its own.
        for id in ids where !isPlainId(id) {
            do {
                found[id] = try await tracking.run(id: id)
            } catch {
                if WebError.from(error).status != 404 { throw error }
            }
        }
        let missing = ids.filter { found[$0] == nil }
        guard missing.isEmpty else {
            let shown = missing.prefix(10).map { "'\($0)'" }.joined(separator: ", ")
            let more = missing.count > 10 ? " and \(missing.count - 10) more" : ""
            let noun = missing.count == 1 ? "run" : "runs"
            throw WebError.notFound("No \(noun) with id \(shown)\(more). Check the address, or pick the runs again on an experiment's runs page.")
        }
        return ids.compactMap { found[$0] }
    }

    /// Letters, digits, `-` and `_`: safe inside a quoted string of the filter grammar, which has no escapes.
    static func isPlainId(_ id: String) -> Bool {
        !id.isEmpty && id.utf8.count <= 64 && id.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x5F
        }
    }

    /// Experiment id → name for the experiments the runs belong to (usually one). A name that cannot be
    /// read is shown as its id rather than failing the page.
    static func experimentNames(of runs: [Run], _ tracking: TrackingService) async -> [String: String] {
        let ids = Set(runs.map(\.info.experimentId))
        return await withTaskGroup(of: (String, String?).self) { group in
            for id in ids {
                group.addTask { (id, try? await tracking.experiment(id: id).name) }
            }
            var names: [String: String] = [:]
            for await (id, name) in group { names[id] = name ?? id }
            return names
        }
    }

    /// Metric key → run id → history, one read per key for all the runs that logged it, reads in parallel.
    static func histories(of keys: [String], table: CompareTable, _ tracking: TrackingService) async throws
        -> [String: [String: [Metric]]] {
        try await withThrowingTaskGroup(of: (String, [String: [Metric]]).self) { group in
            for key in keys {
                let runIds = table.runs.indices.filter { table.metrics[$0][key] != nil }.map { table.runs[$0].info.runId }
                guard !runIds.isEmpty else { continue }
                group.addTask { (key, try await tracking.metricSeries(runIds: runIds, key: key)) }
            }
            var histories: [String: [String: [Metric]]] = [:]
            for try await (key, series) in group { histories[key] = series }
            return histories
        }
    }
}

/// The compared runs as lookup tables: params and latest metrics by key per run, and the keys in the
/// order the page lists them.
struct CompareTable: Sendable {
    static let defaultChartCount = 8
    static let maxCharts = 40

    enum ColumnRef: Equatable {
        case param(String)
        case metric(String)

        var name: String {
            switch self {
            case .param(let key): "params." + key
            case .metric(let key): "metrics." + key
            }
        }
    }

    let runs: [Run]
    let params: [[String: String]]
    let metrics: [[String: Metric]]
    /// Sorted by name.
    let paramKeys: [String]
    /// The most widely logged first (the keys the runs share), then by name.
    let metricKeys: [String]

    init(runs: [Run]) {
        self.runs = runs
        params = runs.map { run in Dictionary(run.params.map { ($0.key, $0.value) }, uniquingKeysWith: { $1 }) }
        metrics = runs.map { run in Dictionary(run.metrics.map { ($0.key, $0) }, uniquingKeysWith: { $1 }) }
        paramKeys = Set(params.flatMap(\.keys)).sorted(by: Self.byName)
        var counts: [String: Int] = [:]
        for run in metrics {
            for key in run.keys { counts[key, default: 0] += 1 }
        }
        metricKeys = counts.keys.sorted { counts[$0]! != counts[$1]! ? counts[$0]! > counts[$1]! : Self.byName($0, $1) }
    }

    static func byName(_ a: String, _ b: String) -> Bool { a.utf8.lexicographicallyPrecedes(b.utf8) }

    /// The run's name, or the start of its id when it has none.
    func name(ofRun index: Int) -> String {
        let info = runs[index].info
        return info.runName.isEmpty ? String(info.runId.prefix(8)) : info.runName
    }

    var defaultChartKeys: [String] { Array(metricKeys.prefix(Self.defaultChartCount)) }

    /// The keys asked for that some run logged, in the order asked, without repeats.
    func knownMetricKeys(_ keys: [String]) -> [String] {
        let known = Set(metricKeys)
        var seen = Set<String>()
        return Array(keys.filter { known.contains($0) && seen.insert($0).inserted }.prefix(Self.maxCharts))
    }

    func paramDiffers(_ key: String) -> Bool {
        let first = params[0][key]
        return params.contains { $0[key] != first }
    }

    func metricDiffers(_ key: String) -> Bool {
        let first = metrics[0][key].map { $0.value.bitPattern }
        return metrics.contains { $0[key].map { $0.value.bitPattern } != first }
    }

    /// `params.<key>` or `metrics.<key>` (singular prefixes too), when some run has that key.
    func column(named name: String) -> ColumnRef? {
        for prefix in ["params.", "param."] where name.hasPrefix(prefix) {
            let key = String(name.dropFirst(prefix.count))
            return params.contains { $0[key] != nil } ? .param(key) : nil
        }
        for prefix in ["metrics.", "metric."] where name.hasPrefix(prefix) {
            let key = String(name.dropFirst(prefix.count))
            return metrics.contains { $0[key] != nil } ? .metric(key) : nil
        }
        return nil
    }

    /// Every column a plot can use: params, then metrics.
    var allColumns: [ColumnRef] { paramKeys.map(ColumnRef.param) + metricKeys.sorted(by: Self.byName).map(ColumnRef.metric) }

    /// One value per run for a plot. Params that all read as numbers are numeric; NaN and infinite metric
    /// values cannot be placed and count as missing.
    func plotColumn(_ ref: ColumnRef) -> PlotColumn {
        switch ref {
        case .param(let key):
            return PlotColumn.inferred(label: ref.name, texts: params.map { $0[key] })
        case .metric(let key):
            return PlotColumn(label: ref.name, values: .numeric(metrics.map { $0[key].flatMap { $0.value.isFinite ? $0.value : nil } }))
        }
    }
}
