import Foundation
import Testing
import YardCore
import YardStore

/// The monitoring store's contract on each store.
@Suite("Monitoring store")
struct MonitoringStoreTests {
    func evaluation(_ monitor: String = "churn-drift", at time: Int64, share: Double = 0.5) -> MonitorEvaluationRecord {
        MonitorEvaluationRecord(monitor: monitor, evaluatedAt: time, windowStart: time - 100, windowEnd: time, rows: 10, labeledRows: 4,
                                modelName: "churn", modelVersion: "3", status: "ok", datasetDrift: share >= 0.5, shareDrifted: share,
                                result: #"{"columns":[]}"#)
    }

    func state(_ rule: String, _ name: String, consecutive: Int, since: Int64, value: Double? = nil) -> AlertStateRecord {
        AlertStateRecord(monitor: "churn-drift", rule: rule, state: name, consecutive: consecutive, since: since, lastValue: value)
    }

    @Test(arguments: StoreFactory.allCases)
    func monitorsAreCreatedReadUpdatedListedAndDeleted(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.makeServing(directory)
        try await store.createMonitor(MonitorRecord(name: "b", spec: #"{"name":"b"}"#, createdAt: 10, updatedAt: 10))
        try await store.createMonitor(MonitorRecord(name: "a", spec: #"{"name":"a"}"#, createdAt: 20, updatedAt: 20))
        await expectYardError(.resourceAlreadyExists) {
            try await store.createMonitor(MonitorRecord(name: "a", spec: "{}", createdAt: 30, updatedAt: 30))
        }
        #expect(try await store.monitors().map(\.name) == ["a", "b"])
        try await store.updateMonitor(MonitorRecord(name: "a", spec: #"{"name":"a","v":2}"#, createdAt: 99, updatedAt: 40))
        let updated = try await store.monitor(name: "a")
        #expect(updated.spec == #"{"name":"a","v":2}"#)
        #expect(updated.createdAt == 20 && updated.updatedAt == 40, "the creation time survives updates")
        await expectYardError(.resourceDoesNotExist) { try await store.updateMonitor(MonitorRecord(name: "zz", spec: "{}")) }
        await expectYardError(.resourceDoesNotExist) { _ = try await store.monitor(name: "zz") }
        try await store.deleteMonitor(name: "a")
        await expectYardError(.resourceDoesNotExist) { try await store.deleteMonitor(name: "a") }
        #expect(try await store.monitors().map(\.name) == ["b"])
    }

    @Test(arguments: StoreFactory.allCases)
    func commitEvaluationStoresStatesAndEventsAndRefusesStaleStates(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.makeServing(directory)
        try await store.createMonitor(MonitorRecord(name: "churn-drift", spec: "{}", createdAt: 1, updatedAt: 1))

        let pending = [state("drift", "pending", consecutive: 1, since: 1_000, value: 0.5)]
        let first = try await store.commitEvaluation(evaluation(at: 1_000), expectedStates: [], states: pending, events: [])
        #expect(first.evaluation.id > 0)
        #expect(first.events.isEmpty)
        #expect(try await store.alertStates(monitor: "churn-drift") == pending)

        let firing = [state("drift", "firing", consecutive: 2, since: 2_000, value: 0.6)]
        let event = AlertEventRecord(monitor: "churn-drift", rule: "drift", state: "firing", evaluationId: 0, timestamp: 2_000,
                                     value: 0.6, message: "share_drifted = 0.6")
        // Two evaluations that both read `pending`: the first commits, the second must not fire again.
        let second = try await store.commitEvaluation(evaluation(at: 2_000, share: 0.6), expectedStates: pending, states: firing, events: [event])
        #expect(second.evaluation.id > first.evaluation.id)
        #expect(second.events.count == 1)
        #expect(second.events[0].id > 0)
        #expect(second.events[0].evaluationId == second.evaluation.id)
        await expectYardError(.resourceConflict) {
            _ = try await store.commitEvaluation(evaluation(at: 2_001, share: 0.7), expectedStates: pending, states: firing, events: [event])
        }
        // The refused commit changed nothing: one event, two evaluations, the committed states.
        #expect(try await store.alertEvents(monitor: "churn-drift", limit: 10).count == 1)
        #expect(try await store.evaluations(monitor: "churn-drift", limit: 10, before: nil).count == 2)
        #expect(try await store.alertStates(monitor: "churn-drift") == firing)
        // A rule missing from the expectation is a conflict too.
        await expectYardError(.resourceConflict) {
            _ = try await store.commitEvaluation(evaluation(at: 3_000), expectedStates: [], states: [], events: [])
        }
        // The evaluation that read the committed states goes through.
        let third = try await store.commitEvaluation(evaluation(at: 3_000, share: 0.1), expectedStates: firing, states: [], events: [])
        #expect(third.evaluation.shareDrifted == 0.1)
        #expect(try await store.alertStates(monitor: "churn-drift").isEmpty)

        let history = try await store.evaluations(monitor: "churn-drift", limit: 2, before: nil)
        #expect(history.map(\.id) == [third.evaluation.id, second.evaluation.id], "newest first")
        #expect(history[1] == second.evaluation, "stored as committed")
        #expect(try await store.evaluations(monitor: "churn-drift", limit: 10, before: second.evaluation.id).map(\.id) == [first.evaluation.id])

        await expectYardError(.resourceDoesNotExist) {
            _ = try await store.commitEvaluation(evaluation("missing", at: 1), expectedStates: [], states: [], events: [])
        }
    }

    @Test(arguments: StoreFactory.allCases)
    func racingCommitsOnTheSameStatesLetExactlyOneThrough(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.makeServing(directory)
        try await store.createMonitor(MonitorRecord(name: "churn-drift", spec: "{}", createdAt: 1, updatedAt: 1))
        let firing = [state("drift", "firing", consecutive: 1, since: 10)]
        let event = AlertEventRecord(monitor: "churn-drift", rule: "drift", state: "firing", evaluationId: 0, timestamp: 10,
                                     value: 1, message: "m")
        let outcomes = await withTaskGroup(of: YardError.Code?.self) { group in
            for index in 0..<8 {
                group.addTask {
                    do {
                        _ = try await store.commitEvaluation(evaluation(at: 10 + Int64(index)), expectedStates: [], states: firing,
                                                             events: [event])
                        return nil
                    } catch let error as YardError {
                        return error.code
                    } catch {
                        return .internalError
                    }
                }
            }
            var codes: [YardError.Code?] = []
            for await code in group { codes.append(code) }
            return codes
        }
        #expect(outcomes.filter { $0 == nil }.count == 1, "\(outcomes)")
        #expect(outcomes.filter { $0 == .resourceConflict }.count == 7, "\(outcomes)")
        #expect(try await store.alertEvents(monitor: "churn-drift", limit: 10).count == 1, "the rule fired once")
        #expect(try await store.evaluations(monitor: "churn-drift", limit: 10, before: nil).map(\.id) == [1])
    }

    @Test(arguments: StoreFactory.allCases)
    func alertValuesKeepInfinitiesAndReadNaNAsMissing(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.makeServing(directory)
        try await store.createMonitor(MonitorRecord(name: "churn-drift", spec: "{}", createdAt: 1, updatedAt: 1))
        let states = [state("a", "pending", consecutive: 1, since: 5, value: .infinity),
                      state("b", "pending", consecutive: 1, since: 5, value: .nan),
                      state("c", "ok", consecutive: 0, since: 5, value: -0.1)]
        let event = AlertEventRecord(monitor: "churn-drift", rule: "a", state: "firing", evaluationId: 0, timestamp: 5,
                                     value: -.infinity, message: "m")
        _ = try await store.commitEvaluation(evaluation(at: 5), expectedStates: [], states: states, events: [event])
        let stored = try await store.alertStates(monitor: "churn-drift")
        #expect(stored.map(\.lastValue) == [.infinity, nil, -0.1])
        #expect(try await store.alertEvents(monitor: nil, limit: 1).first?.value == -.infinity)
        // The NaN read back as missing does not make the next commit a conflict.
        _ = try await store.commitEvaluation(evaluation(at: 6), expectedStates: states, states: [], events: [])
        #expect(try await store.alertStates(monitor: "churn-drift").isEmpty)
    }

    @Test(arguments: StoreFactory.allCases)
    func deletingAMonitorKeepsItsHistoryButNotItsStates(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.makeServing(directory)
        try await store.createMonitor(MonitorRecord(name: "churn-drift", spec: "{}", createdAt: 1, updatedAt: 1))
        try await store.createMonitor(MonitorRecord(name: "other", spec: "{}", createdAt: 1, updatedAt: 1))
        let firing = [state("drift", "firing", consecutive: 1, since: 5)]
        let event = AlertEventRecord(monitor: "churn-drift", rule: "drift", state: "firing", evaluationId: 0, timestamp: 5, value: 1, message: "m")
        let committed = try await store.commitEvaluation(evaluation(at: 5), expectedStates: [], states: firing, events: [event])
        var otherEvent = event
        otherEvent.monitor = "other"
        _ = try await store.commitEvaluation(evaluation("other", at: 6), expectedStates: [], states: [], events: [otherEvent])
        let outcome = try await store.recordActionOutcome(ActionOutcomeRecord(
            eventId: committed.events[0].id, monitor: "churn-drift", action: "webhook", target: "http://x/hook", attempt: 1,
            outcome: "failed", detail: "HTTP 500", timestamp: 7))
        #expect(outcome.id > 0)
        _ = try await store.recordActionOutcome(ActionOutcomeRecord(eventId: 1, monitor: "other", action: "pipeline", target: "/w: train",
                                                                    attempt: 1, outcome: "succeeded", detail: "exit 0", timestamp: 8))

        try await store.deleteMonitor(name: "churn-drift")
        #expect(try await store.alertStates(monitor: "churn-drift").isEmpty)
        #expect(try await store.evaluations(monitor: "churn-drift", limit: 10, before: nil).count == 1)
        #expect(try await store.alertEvents(monitor: "churn-drift", limit: 10).map(\.id) == committed.events.map(\.id))
        #expect(try await store.actionOutcomes(monitor: "churn-drift", limit: 10) == [outcome])
        #expect(try await store.alertEvents(monitor: nil, limit: 10).map(\.monitor) == ["other", "churn-drift"], "newest first")
        #expect(try await store.actionOutcomes(monitor: nil, limit: 1).map(\.monitor) == ["other"])
        // A monitor created again under the name starts without states.
        try await store.createMonitor(MonitorRecord(name: "churn-drift", spec: "{}", createdAt: 9, updatedAt: 9))
        #expect(try await store.alertStates(monitor: "churn-drift").isEmpty)
    }

    @Test(arguments: StoreFactory.allCases)
    func referenceProfilesAreKeptAcrossReopening(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let bytes: [UInt8] = (0..<5_000).map { UInt8($0 % 251) }
        do {
            let store = try await factory.makeServing(directory)
            #expect(try await store.referenceProfile(key: "train@abc#1") == nil)
            try await store.storeReferenceProfile(key: "train@abc#1", bytes: [1, 2, 3])
            try await store.storeReferenceProfile(key: "train@abc#1", bytes: bytes)
        }
        let reopened = try await factory.makeServing(directory)
        #expect(try await reopened.referenceProfile(key: "train@abc#1") == bytes)
        #expect(try await reopened.referenceProfile(key: "train@abc#2") == nil)
    }
}
