import Foundation
import Prometheus
import YardMonitoring
import YardStore

/// Monitor figures in the server's Prometheus registry (the one /metrics renders): per-feature drift
/// scores, thresholds and verdicts, share drifted, dataset drift, quality metrics and window size, labelled by
/// monitor, model and version; evaluations by status; alert rules firing; action outcomes.
///
/// A monitor's gauges are replaced by each evaluation: series of a previous evaluation that the new one
/// did not produce (a column dropped from the mapping, a new model version) are removed, so a dashboard
/// never shows a stale score as current. A failed evaluation leaves them as they were.
public final class MonitoringMetrics: MonitorObserver, @unchecked Sendable {
    let registry: PrometheusCollectorRegistry
    private let lock = NSLock()
    /// The gauges each monitor's latest evaluation set, so the next one can remove what it did not set.
    private var published: [String: [Gauge]] = [:]
    private var firing: [String: [String: Gauge]] = [:]

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    static func descriptor(_ name: String, _ unit: String = "", _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "yard", subsystem: "monitor", metricName: name, unitName: unit, helpText: help)
    }

    static var driftScore: MetricNameDescriptor { descriptor("feature_drift_score", "", "Latest drift score of a feature (p-value or distance, see the stattest label) against the monitor's reference.") }
    static var driftThreshold: MetricNameDescriptor { descriptor("feature_drift_threshold", "", "The threshold the feature's drift score is compared with (drift when a p-value falls below it, or a distance exceeds it).") }
    static var drifted: MetricNameDescriptor { descriptor("feature_drifted", "", "1 when the latest evaluation found the feature drifted, else 0.") }
    static var shareDrifted: MetricNameDescriptor { descriptor("share_drifted", "ratio", "Share of tested columns that drifted in the latest evaluation.") }
    static var datasetDrift: MetricNameDescriptor { descriptor("dataset_drift", "", "1 when the share of drifted columns reached the monitor's drift_share, else 0.") }
    static var quality: MetricNameDescriptor { descriptor("quality", "", "Latest model quality or fairness figure of the window (accuracy, f1, rmse, ...), by metric.") }
    static var windowRows: MetricNameDescriptor { descriptor("window_rows", "", "Records in the latest evaluation's window.") }
    static var lastEvaluation: MetricNameDescriptor { descriptor("last_evaluation_timestamp", "seconds", "When the monitor was last evaluated (Unix time).") }
    static var evaluations: MetricNameDescriptor { descriptor("evaluations", "total", "Monitor evaluations by status (ok, error).") }
    static var alertFiring: MetricNameDescriptor { descriptor("alert_firing", "", "1 while the alert rule is firing, else 0.") }
    static var actions: MetricNameDescriptor { descriptor("actions", "total", "Alert actions attempted, by action (webhook, pipeline) and outcome (succeeded, failed).") }

    public func monitorEvaluated(_ spec: MonitorSpec, evaluation: MonitorEvaluationRecord, report: DriftReport?, quality: [String: Double]) {
        let monitor = spec.name
        let base = [("monitor", monitor), ("model", evaluation.modelName), ("version", evaluation.modelVersion)]
        var gauges: [Gauge] = []
        func set(_ descriptor: MetricNameDescriptor, _ labels: [(String, String)], _ value: Double) {
            let gauge = registry.makeGauge(descriptor: descriptor, labels: labels)
            gauge.set(value)
            gauges.append(gauge)
        }
        registry.makeCounter(descriptor: Self.evaluations, labels: [("monitor", monitor), ("status", evaluation.status)]).increment()
        registry.makeGauge(descriptor: Self.lastEvaluation, labels: [("monitor", monitor)]).set(Double(evaluation.evaluatedAt) / 1000)
        // A failed evaluation (empty window, missing reference) measured nothing: the last figures stand.
        guard evaluation.status == "ok" else { return }
        set(Self.windowRows, base, Double(evaluation.rows))
        if let report {
            for column in report.columns {
                let labels = base + [("feature", String(column.column.prefix(128))), ("stattest", column.test)]
                set(Self.driftScore, labels, column.result.score)
                set(Self.driftThreshold, labels, column.result.threshold)
                set(Self.drifted, labels, column.result.drifted ? 1 : 0)
            }
            set(Self.shareDrifted, base, report.shareDrifted)
            set(Self.datasetDrift, base, report.datasetDrift ? 1 : 0)
        }
        for (metric, value) in quality where value.isFinite {
            set(Self.quality, base + [("metric", metric)], value)
        }
        let stale: [Gauge] = lock.withLock {
            let previous = published[monitor] ?? []
            published[monitor] = gauges
            let kept = Set(gauges.map(ObjectIdentifier.init))
            return previous.filter { !kept.contains(ObjectIdentifier($0)) }
        }
        for gauge in stale { registry.unregisterGauge(gauge) }
    }

    /// The rules of `monitor` as they stand now: 1 for firing, 0 otherwise; rules no longer listed go.
    public func alertStates(monitor: String, _ states: [AlertStateRecord]) {
        var gauges: [String: Gauge] = [:]
        for state in states {
            let gauge = registry.makeGauge(descriptor: Self.alertFiring, labels: [("monitor", monitor), ("rule", state.rule)])
            gauge.set(Double(state.state == "firing" ? 1 : 0))
            gauges[state.rule] = gauge
        }
        let stale: [Gauge] = lock.withLock {
            let previous = firing[monitor] ?? [:]
            firing[monitor] = gauges
            return previous.filter { gauges[$0.key] == nil }.map(\.value)
        }
        for gauge in stale { registry.unregisterGauge(gauge) }
    }

    public func actionAttempted(_ outcome: ActionOutcomeRecord) {
        registry.makeCounter(descriptor: Self.actions, labels: [
            ("monitor", outcome.monitor), ("action", outcome.action), ("outcome", outcome.outcome),
        ]).increment()
    }

    /// A deleted monitor's gauges go with it (its counters stay: they are totals).
    public func forget(monitor: String) {
        let gauges: [Gauge] = lock.withLock {
            defer {
                published[monitor] = nil
                firing[monitor] = nil
            }
            return (published[monitor] ?? []) + (firing[monitor].map { Array($0.values) } ?? [])
        }
        for gauge in gauges { registry.unregisterGauge(gauge) }
        registry.unregisterGauge(registry.makeGauge(descriptor: Self.lastEvaluation, labels: [("monitor", monitor)]))
    }
}

/// The monitoring store as the service sees it in a server: every call goes to `store`, and what the
/// gauges and counters need is taken on the way (alert states as each evaluation commits them, action
/// outcomes as they are recorded), whether the evaluation was asked for or scheduled.
struct MeteredMonitoringStore: MonitoringStore {
    let store: any MonitoringStore
    let metrics: MonitoringMetrics

    func createMonitor(_ record: MonitorRecord) async throws { try await store.createMonitor(record) }
    func updateMonitor(_ record: MonitorRecord) async throws { try await store.updateMonitor(record) }
    func deleteMonitor(name: String) async throws {
        try await store.deleteMonitor(name: name)
        metrics.forget(monitor: name)
    }
    func monitor(name: String) async throws -> MonitorRecord { try await store.monitor(name: name) }
    func monitors() async throws -> [MonitorRecord] { try await store.monitors() }

    func commitEvaluation(_ evaluation: MonitorEvaluationRecord, expectedStates: [AlertStateRecord],
                          states: [AlertStateRecord], events: [AlertEventRecord]) async throws
        -> (evaluation: MonitorEvaluationRecord, events: [AlertEventRecord]) {
        let committed = try await store.commitEvaluation(evaluation, expectedStates: expectedStates, states: states, events: events)
        metrics.alertStates(monitor: evaluation.monitor, states)
        return committed
    }
    func evaluations(monitor: String, limit: Int, before: Int64?) async throws -> [MonitorEvaluationRecord] {
        try await store.evaluations(monitor: monitor, limit: limit, before: before)
    }
    func alertStates(monitor: String) async throws -> [AlertStateRecord] { try await store.alertStates(monitor: monitor) }
    func alertEvents(monitor: String?, limit: Int) async throws -> [AlertEventRecord] {
        try await store.alertEvents(monitor: monitor, limit: limit)
    }
    func recordActionOutcome(_ outcome: ActionOutcomeRecord) async throws -> ActionOutcomeRecord {
        let recorded = try await store.recordActionOutcome(outcome)
        metrics.actionAttempted(recorded)
        return recorded
    }
    func actionOutcomes(monitor: String?, limit: Int) async throws -> [ActionOutcomeRecord] {
        try await store.actionOutcomes(monitor: monitor, limit: limit)
    }
    func referenceProfile(key: String) async throws -> [UInt8]? { try await store.referenceProfile(key: key) }
    func storeReferenceProfile(key: String, bytes: [UInt8]) async throws {
        try await store.storeReferenceProfile(key: key, bytes: bytes)
    }
}
