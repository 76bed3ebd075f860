import Histogram

/// What the load generator times: the three requests of a run, and the run as a whole.
enum Phase: Int, CaseIterable, Sendable {
    case createRun, logBatch, finishRun, wholeRun

    var label: String {
        switch self {
        case .createRun: "create"
        case .logBatch: "log_batch"
        case .finishRun: "update"
        case .wholeRun: "run"
        }
    }
}

/// One worker's measurements, merged into the others' when the timed phase ends (no locks while timing).
struct Stats: Sendable {
    /// Latencies in microseconds, up to an hour; three significant digits.
    private(set) var latencies: [Histogram<UInt64>] = Phase.allCases.map { _ in
        Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    }
    private(set) var completedRuns = 0
    private(set) var failedRuns = 0
    private(set) var failedRequests = 0
    private(set) var failureSamples: [String] = []

    static let keptFailureSamples = 5

    mutating func record(_ phase: Phase, nanoseconds: UInt64) {
        latencies[phase.rawValue].record(Swift.max(1, nanoseconds / 1000))
    }

    mutating func recordCompletedRun(nanoseconds: UInt64) {
        completedRuns += 1
        record(.wholeRun, nanoseconds: nanoseconds)
    }

    mutating func recordFailure(_ phase: Phase, _ description: String) {
        failedRuns += 1
        failedRequests += 1
        if failureSamples.count < Self.keptFailureSamples {
            failureSamples.append("\(phase.label): \(description)")
        }
    }

    mutating func merge(_ other: Stats) {
        for phase in Phase.allCases {
            latencies[phase.rawValue].add(other.latencies[phase.rawValue])
        }
        completedRuns += other.completedRuns
        failedRuns += other.failedRuns
        failedRequests += other.failedRequests
        failureSamples.append(contentsOf: other.failureSamples.prefix(Swift.max(0, Self.keptFailureSamples - failureSamples.count)))
    }

    func histogram(_ phase: Phase) -> Histogram<UInt64> { latencies[phase.rawValue] }
}
