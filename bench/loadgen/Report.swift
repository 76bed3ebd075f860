import Foundation
import Histogram

/// The result of one timed phase: what the script parses (JSON on stdout) and what a person reads
/// (one line on stderr). Latencies are in milliseconds.
struct Report: Encodable {
    struct Latency: Encodable {
        let count: UInt64
        let p50_ms: Double
        let p90_ms: Double
        let p99_ms: Double
        let max_ms: Double

        init(_ histogram: Histogram<UInt64>) {
            func ms(_ micros: UInt64) -> Double { (Double(micros) / 10).rounded() / 100 }
            count = histogram.totalCount
            p50_ms = ms(histogram.valueAtPercentile(50))
            p90_ms = ms(histogram.valueAtPercentile(90))
            p99_ms = ms(histogram.valueAtPercentile(99))
            max_ms = ms(histogram.max)
        }
    }

    let url: String
    let experiment_id: String
    let concurrency: Int
    let points_per_run: Int
    let warmup_runs: Int
    let runs: Int
    let failed_runs: Int
    let failed_requests: Int
    let first_failures: [String]
    let seconds: Double
    let runs_per_second: Double
    let requests_per_second: Double
    let client_cpu_seconds: Double
    let latency: [String: Latency]

    init(options: Options, experimentID: String, stats: Stats, seconds: Double, clientCPUSeconds: Double) {
        url = options.baseURL
        experiment_id = experimentID
        concurrency = options.concurrency
        points_per_run = options.pointsPerRun
        warmup_runs = options.effectiveWarmupRuns
        runs = stats.completedRuns
        failed_runs = stats.failedRuns
        failed_requests = stats.failedRequests
        first_failures = stats.failureSamples
        self.seconds = seconds
        runs_per_second = Double(stats.completedRuns) / seconds
        let requests = Phase.allCases.filter { $0 != .wholeRun }.reduce(UInt64(0)) { $0 + stats.histogram($1).totalCount }
        requests_per_second = Double(requests) / seconds
        client_cpu_seconds = clientCPUSeconds
        latency = Dictionary(uniqueKeysWithValues: Phase.allCases.map { ($0.label, Latency(stats.histogram($0))) })
    }

    func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    var summaryLine: String {
        let run = latency[Phase.wholeRun.label]!
        let failures = failed_runs == 0 ? "no failures" : "\(failed_runs) failed runs (first: \(first_failures.first ?? "?"))"
        return String(
            format: "yard-loadgen: %d runs in %.2f s = %.1f runs/s at concurrency %d; run p50 %.2f ms p99 %.2f ms max %.2f ms; client CPU %.2f s; %@",
            runs, seconds, runs_per_second, concurrency, run.p50_ms, run.p99_ms, run.max_ms, client_cpu_seconds, failures)
    }
}
