import Foundation
import YardStore

/// What the prediction logger has done since it started, for /metrics.
public struct PredictionLogCounters: Sendable, Equatable {
    /// Records written to the store.
    public var logged = 0
    /// Records refused because the buffer was full (the store is slower than the traffic).
    public var dropped = 0
    /// Records lost because the store refused their batch twice.
    public var failed = 0
    /// Records the sample rate left out.
    public var sampledOut = 0
    /// Old records deleted by retention.
    public var pruned = 0
    /// Records waiting in the buffer.
    public var pending = 0

    public init() {}
}

/// Writes predictions to the store off the request path. `record` only samples and enqueues (no I/O, no
/// await); `run` flushes the buffer in batches every `flushInterval`, or sooner once a batch is waiting,
/// and keeps each deployment's log to its newest `retain` records.
///
/// The buffer holds at most `capacity` records waiting to be written; beyond that requests are still
/// answered but their records are dropped and counted, so a slow disk never slows serving down.
public final class PredictionLogger: @unchecked Sendable {
    // Unchecked: every `var` below is guarded by `lock`.

    public struct Configuration: Sendable {
        public var capacity: Int
        public var batchSize: Int
        public var flushInterval: Duration
        /// Records kept per deployment; nil keeps everything.
        public var retain: Int?
        /// Retention runs on every this-many flush passes (25 × 200 ms: every 5 s).
        public var pruneEveryFlushes: Int
        /// The pause before a failed batch is tried the second and last time.
        public var retryDelay: Duration

        public init(capacity: Int = 10_000, batchSize: Int = 512, flushInterval: Duration = .milliseconds(200),
                    retain: Int? = 100_000, pruneEveryFlushes: Int = 25, retryDelay: Duration = .milliseconds(100)) {
            self.capacity = max(capacity, 1)
            self.batchSize = max(batchSize, 1)
            self.flushInterval = flushInterval
            self.retain = retain.map { max($0, 0) }
            self.pruneEveryFlushes = max(pruneEveryFlushes, 1)
            self.retryDelay = retryDelay
        }
    }

    public let configuration: Configuration
    private let store: any ServingStore
    private let report: @Sendable (String) -> Void

    private let lock = NSLock()
    private var buffer: [PredictionRecord] = []
    private var totals = PredictionLogCounters()
    /// Deployments written to since the last retention pass.
    private var touched: Set<String> = []
    private var flushPasses = 0
    /// The last flush pass queued; each pass waits for the one before, so passes never overlap and a
    /// `flush()` returns only once everything enqueued before it is written.
    private var lastPass: Task<Void, Never>?
    private var wakeUp: AsyncStream<Void>.Continuation?

    /// `report` receives one line per store failure (YardServing has no logger; the server passes its own).
    public init(store: any ServingStore, configuration: Configuration = Configuration(),
                report: @escaping @Sendable (String) -> Void = { _ in }) {
        self.store = store
        self.configuration = configuration
        self.report = report
    }

    public var counters: PredictionLogCounters {
        locked {
            var snapshot = totals
            snapshot.pending = buffer.count
            return snapshot
        }
    }

    public func newPredictionId() -> String {
        PredictionId.make()
    }

    /// Samples and enqueues without waiting; true when the record will be written.
    @discardableResult
    public func record(_ record: PredictionRecord, sampleRate: Double) -> Bool {
        guard PredictionSampler.keeps(id: record.id, rate: sampleRate) else {
            locked { totals.sampledOut += 1 }
            return false
        }
        let (accepted, wake): (Bool, AsyncStream<Void>.Continuation?) = locked {
            guard buffer.count < configuration.capacity else {
                totals.dropped += 1
                return (false, nil)
            }
            buffer.append(record)
            return (true, buffer.count % configuration.batchSize == 0 ? wakeUp : nil)
        }
        wake?.yield()
        return accepted
    }

    /// Counts a prediction the caller already decided not to log (with `PredictionSampler`, before
    /// rendering its record), so `sampledOut` stays complete.
    public func noteSampledOut() {
        locked { totals.sampledOut += 1 }
    }

    /// Records written to the store by someone else (a monitoring stream's batch) still fall under the
    /// retention: their deployment joins the next pruning pass.
    public func noteWrittenDirectly(deployment: String) {
        locked { _ = touched.insert(deployment) }
    }

    /// Writes everything enqueued so far (and prunes when a retention pass is due).
    public func flush() async {
        let pass: Task<Void, Never> = locked {
            let previous = lastPass
            let pass = Task { [self] in
                await previous?.value
                await drain()
            }
            lastPass = pass
            return pass
        }
        await pass.value
    }

    /// Flushes until the calling task is cancelled, then flushes once more and returns.
    public func run() async {
        let (wakeUps, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let batchWaiting = locked {
            wakeUp = continuation
            return buffer.count >= configuration.batchSize
        }
        // A batch filled before the loop started had no one to wake.
        if batchWaiting { continuation.yield() }
        let interval = configuration.flushInterval
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                continuation.yield()
            }
        }
        // AsyncStream's iteration ends when this task is cancelled.
        for await _ in wakeUps {
            await flush()
        }
        ticker.cancel()
        locked { wakeUp = nil }
        continuation.finish()
        // The pass runs in its own task (see `flush`), so the cancellation does not reach the store.
        await flush()
    }

    // MARK: Flush passes

    private func drain() async {
        let waiting = locked {
            let taken = buffer
            buffer = []
            return taken
        }
        var start = 0
        while start < waiting.count {
            let end = min(start + configuration.batchSize, waiting.count)
            await write(Array(waiting[start..<end]))
            start = end
        }
        let pruneDue = locked {
            flushPasses += 1
            return flushPasses % configuration.pruneEveryFlushes == 0
        }
        if pruneDue { await prune() }
    }

    private func write(_ batch: [PredictionRecord]) async {
        let deployments = Set(batch.map(\.deployment))
        for attempt in 1...2 {
            do {
                try await store.appendPredictions(batch)
                locked {
                    totals.logged += batch.count
                    touched.formUnion(deployments)
                }
                return
            } catch {
                if attempt == 1 {
                    report("Prediction log: writing \(batch.count) records failed (\(error)); retrying once.")
                    try? await Task.sleep(for: configuration.retryDelay)
                } else {
                    locked { totals.failed += batch.count }
                    report("Prediction log: writing \(batch.count) records failed again (\(error)); they are lost.")
                }
            }
        }
    }

    /// Deletes all but the newest `retain` records of each deployment written to since the last pass.
    public func prune() async {
        guard let retain = configuration.retain else { return }
        let deployments = locked {
            let due = touched
            touched = []
            return due
        }
        for deployment in deployments.sorted() {
            do {
                let deleted = try await store.prunePredictions(deployment: deployment, keepNewest: retain)
                locked { totals.pruned += deleted }
            } catch {
                locked { _ = touched.insert(deployment) }
                report("Prediction log: pruning deployment '\(deployment)' to \(retain) records failed (\(error)); will try again.")
            }
        }
    }

    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }
}
