import Foundation
import Synchronization
import Testing
import YardCore
import YardServing
import YardStore

/// A serving store that forwards to another but can hold appends at a gate or fail the next ones, to see
/// what the logger does when the store is slow or broken.
final class InterposedServingStore: ServingStore {
    let inner: any ServingStore
    private let state = Mutex<(failuresLeft: Int, appendCalls: Int, held: Bool, waiters: [CheckedContinuation<Void, Never>])>(
        (0, 0, false, []))

    init(_ inner: any ServingStore) { self.inner = inner }

    var appendCalls: Int { state.withLock { $0.appendCalls } }

    func failNextAppends(_ count: Int) { state.withLock { $0.failuresLeft = count } }

    func hold() { state.withLock { $0.held = true } }

    func release() {
        let waiters = state.withLock { state in
            state.held = false
            defer { state.waiters = [] }
            return state.waiters
        }
        waiters.forEach { $0.resume() }
    }

    func appendPredictions(_ records: [PredictionRecord]) async throws {
        await withCheckedContinuation { continuation in
            let held = state.withLock { state in
                if state.held { state.waiters.append(continuation) }
                return state.held
            }
            if !held { continuation.resume() }
        }
        let fail = state.withLock { state in
            state.appendCalls += 1
            guard state.failuresLeft > 0 else { return false }
            state.failuresLeft -= 1
            return true
        }
        if fail { throw YardError(.temporarilyUnavailable, "disk is having a bad day") }
        try await inner.appendPredictions(records)
    }

    func createDeployment(_ record: DeploymentRecord) async throws { try await inner.createDeployment(record) }
    func updateDeployment(_ record: DeploymentRecord) async throws { try await inner.updateDeployment(record) }
    func deleteDeployment(name: String) async throws { try await inner.deleteDeployment(name: name) }
    func deployment(name: String) async throws -> DeploymentRecord { try await inner.deployment(name: name) }
    func deployments() async throws -> [DeploymentRecord] { try await inner.deployments() }
    func predictions(_ query: PredictionQuery) async throws -> Page<PredictionRecord> { try await inner.predictions(query) }
    func recordLabels(_ labels: [(predictionId: String, label: String)], deployment: String, at: Int64) async throws -> Int {
        try await inner.recordLabels(labels, deployment: deployment, at: at)
    }
    func prunePredictions(deployment: String, keepNewest: Int) async throws -> Int {
        try await inner.prunePredictions(deployment: deployment, keepNewest: keepNewest)
    }
    func predictionCount(deployment: String) async throws -> Int { try await inner.predictionCount(deployment: deployment) }
}

@Suite("Prediction logger")
struct PredictionLoggerTests {
    func prediction(_ logger: PredictionLogger, deployment: String = "churn", at timestamp: Int64 = 1_000) -> PredictionRecord {
        makePrediction(logger.newPredictionId(), deployment: deployment, at: timestamp)
    }

    @Test(arguments: StoreFactory.allCases)
    func samplingKeepsAboutTheRateAndExactlyNoneOrAll(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.makeServing(directory)
        let logger = PredictionLogger(store: store, configuration: .init(capacity: 50_000))
        let tenth = (0..<10_000).filter { _ in logger.record(prediction(logger, deployment: "tenth"), sampleRate: 0.1) }.count
        let none = (0..<10_000).filter { _ in logger.record(prediction(logger, deployment: "none"), sampleRate: 0) }.count
        let all = (0..<10_000).filter { _ in logger.record(prediction(logger, deployment: "all"), sampleRate: 1) }.count
        #expect((800...1_200).contains(tenth), "kept \(tenth) of 10,000 at 0.1")
        #expect(none == 0)
        #expect(all == 10_000)
        #expect(!logger.record(prediction(logger), sampleRate: .nan))
        logger.noteSampledOut()

        await logger.flush()
        #expect(try await store.predictionCount(deployment: "tenth") == tenth)
        #expect(try await store.predictionCount(deployment: "none") == 0)
        #expect(try await store.predictionCount(deployment: "all") == 10_000)
        let counters = logger.counters
        #expect(counters.logged == tenth + 10_000)
        #expect(counters.sampledOut == 10_000 - tenth + 10_000 + 2)
        #expect(counters.dropped == 0 && counters.failed == 0 && counters.pending == 0)

        // The decision depends on the id only, so a request's primary and shadow records go together.
        let ids = (0..<200).map { _ in PredictionId.make() }
        #expect(ids.map { PredictionSampler.keeps(id: $0, rate: 0.3) } == ids.map { PredictionSampler.keeps(id: $0, rate: 0.3) })
        // ...and across processes and restarts: the hash is fixed, not seeded per process (as Hasher is).
        let fixed = (0..<12).map { "01890a5d-ac96-7000-8000-" + String(repeating: "0", count: 12 - String($0).count) + String($0) }
        #expect(fixed.map { PredictionSampler.keeps(id: $0, rate: 0.5) }
                == [false, false, false, true, true, false, true, false, true, true, true, false])
    }

    @Test(arguments: StoreFactory.allCases)
    func flushWritesEverythingInBatches(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = InterposedServingStore(try await factory.makeServing(directory))
        let logger = PredictionLogger(store: store, configuration: .init(batchSize: 100))
        var sent: [PredictionRecord] = []
        for index in 0..<1_250 {
            let record = prediction(logger, at: Int64(index))
            #expect(logger.record(record, sampleRate: 1))
            sent.append(record)
        }
        #expect(logger.counters.pending == 1_250)
        await logger.flush()
        #expect(store.appendCalls == 13)
        #expect(logger.counters.pending == 0)
        #expect(logger.counters.logged == 1_250)
        #expect(try await store.predictionCount(deployment: "churn") == 1_250)
        let newest = try await store.predictions(PredictionQuery(deployment: "churn", limit: 3))
        #expect(newest.items == Array(sent.suffix(3).reversed()))
        await logger.flush()
        #expect(store.appendCalls == 13, "an empty buffer writes nothing")
    }

    @Test(arguments: StoreFactory.allCases)
    func aFullBufferDropsAndCountsInsteadOfBlocking(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = InterposedServingStore(try await factory.makeServing(directory))
        let logger = PredictionLogger(store: store, configuration: .init(capacity: 100, batchSize: 1_000))
        for _ in 0..<60 { logger.record(prediction(logger), sampleRate: 1) }
        // The store hangs: the flush takes the 60 waiting records and waits with them.
        store.hold()
        let stuckFlush = Task { await logger.flush() }
        while logger.counters.pending > 0 { try await Task.sleep(for: .milliseconds(5)) }

        let started = ContinuousClock.now
        let accepted = (0..<250).filter { _ in logger.record(prediction(logger), sampleRate: 1) }.count
        #expect(ContinuousClock.now - started < .seconds(2), "record never waits for the store")
        #expect(accepted == 100)
        #expect(logger.counters.dropped == 150)
        #expect(logger.counters.pending == 100)

        store.release()
        await stuckFlush.value
        await logger.flush()
        #expect(try await store.predictionCount(deployment: "churn") == 160)
        #expect(logger.counters.logged == 160)
        #expect(logger.counters.dropped == 150)
    }

    @Test(arguments: StoreFactory.allCases)
    func storeFailuresAreRetriedOnceThenCountedWithoutCrashing(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = InterposedServingStore(try await factory.makeServing(directory))
        let reports = Mutex<[String]>([])
        let logger = PredictionLogger(store: store, configuration: .init(batchSize: 10, retryDelay: .milliseconds(1))) { line in
            reports.withLock { $0.append(line) }
        }
        store.failNextAppends(1)
        for _ in 0..<10 { logger.record(prediction(logger), sampleRate: 1) }
        await logger.flush()
        #expect(try await store.predictionCount(deployment: "churn") == 10, "the retry wrote the batch")
        #expect(logger.counters.failed == 0)
        #expect(reports.withLock { $0.count } == 1)

        store.failNextAppends(2)
        for _ in 0..<10 { logger.record(prediction(logger), sampleRate: 1) }
        await logger.flush()
        #expect(try await store.predictionCount(deployment: "churn") == 10)
        #expect(logger.counters.failed == 10)
        #expect(logger.counters.logged == 10)
        #expect(reports.withLock { $0.last ?? "" }.contains("lost"))

        // The logger goes on once the store recovers.
        for _ in 0..<5 { logger.record(prediction(logger), sampleRate: 1) }
        await logger.flush()
        #expect(try await store.predictionCount(deployment: "churn") == 15)
    }

    @Test(arguments: StoreFactory.allCases)
    func retentionKeepsTheNewestRecordsOfEachDeployment(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.makeServing(directory)
        let logger = PredictionLogger(store: store, configuration: .init(retain: 50, pruneEveryFlushes: 2))
        for index in 0..<200 { logger.record(prediction(logger, at: Int64(index)), sampleRate: 1) }
        for index in 0..<30 { logger.record(prediction(logger, deployment: "fraud", at: Int64(index)), sampleRate: 1) }
        await logger.flush()
        #expect(try await store.predictionCount(deployment: "churn") == 200, "not due on the first pass")
        await logger.flush()
        #expect(try await store.predictionCount(deployment: "churn") == 50)
        #expect(try await store.predictionCount(deployment: "fraud") == 30)
        #expect(logger.counters.pruned == 150)
        let oldestKept = try await store.predictions(PredictionQuery(deployment: "churn", limit: 50)).items.last
        #expect(oldestKept?.timestamp == 150)
    }

    @Test(arguments: StoreFactory.allCases)
    func runFlushesInTheBackgroundAndOnceMoreWhenCancelled(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.makeServing(directory)
        let logger = PredictionLogger(store: store, configuration: .init(flushInterval: .milliseconds(20)))
        let loop = Task { await logger.run() }
        for _ in 0..<10 { logger.record(prediction(logger), sampleRate: 1) }
        let deadline = ContinuousClock.now + .seconds(60)
        while try await store.predictionCount(deployment: "churn") < 10, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(try await store.predictionCount(deployment: "churn") == 10)

        // A full batch is written without waiting for the interval; the rest when the loop is cancelled.
        let slow = PredictionLogger(store: store, configuration: .init(batchSize: 20, flushInterval: .seconds(3_600)))
        let slowLoop = Task { await slow.run() }
        for _ in 0..<20 { slow.record(prediction(slow, deployment: "batch"), sampleRate: 1) }
        while try await store.predictionCount(deployment: "batch") < 20, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(try await store.predictionCount(deployment: "batch") == 20)
        for _ in 0..<7 { slow.record(prediction(slow, deployment: "batch"), sampleRate: 1) }
        slowLoop.cancel()
        await slowLoop.value
        #expect(try await store.predictionCount(deployment: "batch") == 27)

        loop.cancel()
        await loop.value
    }

    @Test func predictionIdsAreUUIDShapedUniqueAndSortByTime() {
        let id = PredictionId.make(millis: 1_700_000_000_123)
        #expect(id.wholeMatch(of: /[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/) != nil, "\(id)")
        #expect(PredictionId.make(millis: 1_000) < PredictionId.make(millis: 1_001))
        #expect(PredictionId.make(millis: 0xFF_FFFF) < PredictionId.make(millis: 0x100_0000))
        #expect(Set((0..<10_000).map { _ in PredictionId.make(millis: 5) }).count == 10_000)
    }
}
