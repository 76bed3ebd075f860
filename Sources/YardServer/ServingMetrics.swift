import Foundation
import Prometheus
import YardServing

/// Serving figures in the server's Prometheus registry: requests by outcome, end-to-end and model-only
/// latency with microsecond buckets, the class and score distribution of what the models answer, model
/// loads, and what the prediction log dropped. Labels stay low-cardinality: deployment, model, version,
/// endpoint, outcome, and class labels as the model declares them (capped in length).
public struct ServingMetrics: Sendable {
    let registry: PrometheusCollectorRegistry
    private let logTotals = LoggerTotals()

    public init(registry: PrometheusCollectorRegistry) {
        self.registry = registry
    }

    static let latencyBuckets: [Duration] = [
        .microseconds(10), .microseconds(25), .microseconds(50), .microseconds(100), .microseconds(250),
        .microseconds(500), .milliseconds(1), .milliseconds(2.5), .milliseconds(5), .milliseconds(10),
        .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1), .seconds(5),
    ]
    static let confidenceBuckets: [Double] = stride(from: 0.1, through: 1.0, by: 0.1).map { ($0 * 10).rounded() / 10 }
    static let valueBuckets: [Double] = {
        let magnitudes = [0.001, 0.01, 0.1, 1, 10, 100, 1_000, 10_000, 100_000, 1_000_000]
        return magnitudes.reversed().map { -$0 } + [0] + magnitudes
    }()
    static let rowBuckets: [Double] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 5_000, 10_000]

    static var requests: MetricNameDescriptor { MetricNameDescriptor(namespace: "yard", subsystem: "serving", metricName: "requests", unitName: "total",
                                               helpText: "Scoring and inference requests, by deployment, model, version, endpoint and outcome (ok, client_error, server_error, not_ready).") }
    static var requestDuration: MetricNameDescriptor { MetricNameDescriptor(namespace: "yard", subsystem: "serving", metricName: "request_duration", unitName: "seconds",
                                                      helpText: "End-to-end time of a scoring or inference request: parse, predict, render.") }
    static var inferenceDuration: MetricNameDescriptor { MetricNameDescriptor(namespace: "yard", subsystem: "serving", metricName: "inference_duration", unitName: "seconds",
                                                        helpText: "Time spent in the model alone.") }
    static var rows: MetricNameDescriptor { MetricNameDescriptor(namespace: "yard", subsystem: "serving", metricName: "request_rows", unitName: "",
                                           helpText: "Rows per scoring or inference request.") }
    static var predictions: MetricNameDescriptor { MetricNameDescriptor(namespace: "yard", subsystem: "serving", metricName: "predictions", unitName: "total",
                                                  helpText: "Predicted rows by class (classifiers) or 'value' (regressors).") }
    static var confidence: MetricNameDescriptor { MetricNameDescriptor(namespace: "yard", subsystem: "serving", metricName: "prediction_confidence", unitName: "ratio",
                                                 helpText: "Top class probability of each classified row.") }
    static var value: MetricNameDescriptor { MetricNameDescriptor(namespace: "yard", subsystem: "serving", metricName: "prediction_value", unitName: "",
                                            helpText: "Predicted value of each regressed row.") }
    static var loads: MetricNameDescriptor { MetricNameDescriptor(namespace: "yard", subsystem: "serving", metricName: "model_loads", unitName: "total",
                                            helpText: "Model versions loaded (ok) or refused (failed), by deployment and role.") }
    static var logRecords: MetricNameDescriptor { MetricNameDescriptor(namespace: "yard", subsystem: "prediction_log", metricName: "records", unitName: "total",
                                                 helpText: "Prediction log records by outcome: logged, dropped (buffer full), failed (store refused), sampled_out.") }
    static var logPending: MetricNameDescriptor { MetricNameDescriptor(namespace: "yard", subsystem: "prediction_log", metricName: "pending_records", unitName: "",
                                                 helpText: "Prediction log records waiting to be written.") }

    public enum Outcome: String, Sendable {
        case ok, clientError = "client_error", serverError = "server_error", notReady = "not_ready"
    }

    public struct RequestLabels: Sendable {
        public var deployment: String
        public var model: String
        public var version: String
        public var endpoint: String

        public init(deployment: String, model: String, version: String, endpoint: String) {
            self.deployment = deployment
            self.model = model
            self.version = version
            self.endpoint = endpoint
        }
    }

    public func request(_ labels: RequestLabels, outcome: Outcome, elapsed: Duration) {
        registry.makeCounter(descriptor: Self.requests, labels: [
            ("deployment", labels.deployment), ("model", labels.model), ("version", labels.version),
            ("endpoint", labels.endpoint), ("outcome", outcome.rawValue),
        ]).increment()
        if outcome == .ok {
            registry.makeDurationHistogram(descriptor: Self.requestDuration, labels: [
                ("deployment", labels.deployment), ("model", labels.model), ("version", labels.version), ("endpoint", labels.endpoint),
            ], buckets: Self.latencyBuckets).record(elapsed)
        }
    }

    /// What one answered request predicted: model time, rows, classes and scores.
    public func prediction(deployment: String, model: String, version: String, inference: Duration, rows: Int, summary: PredictionSummary) {
        let base = [("deployment", deployment), ("model", model), ("version", version)]
        registry.makeDurationHistogram(descriptor: Self.inferenceDuration, labels: base, buckets: Self.latencyBuckets).record(inference)
        registry.makeValueHistogram(descriptor: Self.rows, labels: base, buckets: Self.rowBuckets).record(Double(rows))
        switch summary.kind {
        case .classifier:
            var counts: [String: Int64] = [:]
            for label in summary.classes { counts[String(label.prefix(64)), default: 0] += 1 }
            for (label, count) in counts {
                registry.makeCounter(descriptor: Self.predictions, labels: base + [("class", label)]).increment(by: count)
            }
            let histogram = registry.makeValueHistogram(descriptor: Self.confidence, labels: base, buckets: Self.confidenceBuckets)
            for score in summary.scores where score.isFinite { histogram.record(score) }
        case .regressor:
            registry.makeCounter(descriptor: Self.predictions, labels: base + [("class", "value")]).increment(by: Int64(summary.scores.count))
            let histogram = registry.makeValueHistogram(descriptor: Self.value, labels: base, buckets: Self.valueBuckets)
            for score in summary.scores where score.isFinite { histogram.record(score) }
        case .other:
            break
        }
    }

    public func modelLoad(_ event: DeploymentEvent) {
        let outcome: String
        switch event.kind {
        case .loaded: outcome = "ok"
        case .loadFailed: outcome = "failed"
        default: return
        }
        registry.makeCounter(descriptor: Self.loads, labels: [
            ("deployment", event.deployment), ("role", event.role?.rawValue ?? ""), ("outcome", outcome),
        ]).increment()
    }

    /// Brings the prediction log counters up to date; called just before /metrics is rendered.
    public func updatePredictionLog(_ counters: PredictionLogCounters) {
        let increments = logTotals.advance(to: counters)
        for (outcome, amount) in increments where amount > 0 {
            registry.makeCounter(descriptor: Self.logRecords, labels: [("outcome", outcome)]).increment(by: Int64(amount))
        }
        // Make every outcome visible from the start, at zero.
        for outcome in ["logged", "dropped", "failed", "sampled_out"] {
            _ = registry.makeCounter(descriptor: Self.logRecords, labels: [("outcome", outcome)])
        }
        registry.makeGauge(descriptor: Self.logPending).record(Int64(counters.pending))
    }
}

/// The logger's counters as last published, so each /metrics call adds only what happened since.
final class LoggerTotals: @unchecked Sendable {
    private let lock = NSLock()
    private var last = PredictionLogCounters()

    func advance(to counters: PredictionLogCounters) -> [(String, Int)] {
        lock.withLock {
            defer { last = counters }
            return [("logged", counters.logged - last.logged), ("dropped", counters.dropped - last.dropped),
                    ("failed", counters.failed - last.failed), ("sampled_out", counters.sampledOut - last.sampledOut)]
        }
    }
}
