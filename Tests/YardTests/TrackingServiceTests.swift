import Foundation
import Testing
import YardCore
@testable import YardSQLite
@testable import YardStore
@testable import YardTracking

/// The tracking service's MLflow rules on top of every store implementation (`StoreFactory`).
@Suite("Tracking service over every store")
struct TrackingServiceTests {
    let directory = TemporaryDirectory()

    func service(_ factory: StoreFactory) async throws -> TrackingService {
        TrackingService(store: try await factory.make(directory), defaultArtifactRoot: "mlflow-artifacts:/")
    }

    @Test(arguments: StoreFactory.allCases)
    func defaultExperimentExistsAndIdsAscend(_ factory: StoreFactory) async throws {
        let tracking = try await service(factory)
        let defaultExperiment = try await tracking.experiment(id: "0")
        #expect(defaultExperiment.name == "Default")
        #expect(defaultExperiment.artifactLocation == "mlflow-artifacts:/0")
        let first = try await tracking.createExperiment(name: "a", artifactLocation: nil, tags: [Tag(key: "team", value: "x")])
        let second = try await tracking.createExperiment(name: "b", artifactLocation: nil, tags: [])
        #expect(first == "1")
        #expect(second == "2")
        let experiment = try await tracking.experiment(named: "a")
        #expect(experiment.artifactLocation == "mlflow-artifacts:/1")
        #expect(experiment.tags == [Tag(key: "team", value: "x")])
    }

    @Test(arguments: StoreFactory.allCases)
    func duplicateExperimentIsRefused(_ factory: StoreFactory) async throws {
        let tracking = try await service(factory)
        _ = try await tracking.createExperiment(name: "dup", artifactLocation: nil, tags: [])
        await #expect(throws: YardError.self) {
            _ = try await tracking.createExperiment(name: "dup", artifactLocation: nil, tags: [])
        }
        do {
            _ = try await tracking.createExperiment(name: "dup", artifactLocation: nil, tags: [])
        } catch let error as YardError {
            #expect(error.code == .resourceAlreadyExists)
            #expect(error.code.httpStatus == 400)
        }
    }

    @Test(arguments: StoreFactory.allCases)
    func missingExperimentByNameIsNotFound(_ factory: StoreFactory) async throws {
        let tracking = try await service(factory)
        do {
            _ = try await tracking.experiment(named: "nope")
            Issue.record("expected an error")
        } catch let error as YardError {
            #expect(error.code == .resourceDoesNotExist)
            #expect(error.message == "Could not find experiment with name 'nope'")
        }
    }

    @Test(arguments: StoreFactory.allCases)
    func runLifecycleAndData(_ factory: StoreFactory) async throws {
        let tracking = try await service(factory)
        let experimentId = try await tracking.createExperiment(name: "e", artifactLocation: nil, tags: [])
        let run = try await tracking.createRun(experimentId: experimentId, userId: "ann", runName: "first", startTime: 100, tags: [])
        #expect(run.info.runName == "first")
        #expect(run.info.status == .running)
        #expect(run.info.artifactUri == "mlflow-artifacts:/\(experimentId)/\(run.info.runId)/artifacts")
        #expect(run.tags.contains(Tag(key: "mlflow.runName", value: "first")))

        try await tracking.logBatch(runId: run.info.runId, metrics: [
            Metric(key: "loss", value: 0.9, timestamp: 10, step: 0),
            Metric(key: "loss", value: 0.5, timestamp: 5, step: 2),
            Metric(key: "loss", value: 0.7, timestamp: 20, step: 1),
            Metric(key: "inf", value: .infinity, timestamp: 1, step: 0),
        ], params: [Param(key: "alpha", value: "0.1")], tags: [Tag(key: "team", value: "core")])

        let stored = try await tracking.run(id: run.info.runId)
        // Latest = greatest (step, timestamp, value), not the last logged.
        #expect(stored.metrics.first(where: { $0.key == "loss" })?.value == 0.5)
        #expect(stored.metrics.first(where: { $0.key == "inf" })?.value == Validation.largestFiniteDouble)
        #expect(stored.params == [Param(key: "alpha", value: "0.1")])

        let history = try await tracking.metricHistory(runId: run.info.runId, key: "loss", maxResults: nil, pageToken: nil)
        #expect(history.items.map(\.timestamp) == [5, 10, 20])

        let updated = try await tracking.updateRun(id: run.info.runId, status: .finished, endTime: 200, runName: "renamed")
        #expect(updated.status == .finished)
        #expect(updated.endTime == 200)
        let renamed = try await tracking.run(id: run.info.runId)
        #expect(renamed.tags.contains(Tag(key: "mlflow.runName", value: "renamed")))
    }

    @Test(arguments: StoreFactory.allCases)
    func paramsAreWriteOnceAndBatchIsAtomic(_ factory: StoreFactory) async throws {
        let tracking = try await service(factory)
        let run = try await tracking.createRun(experimentId: "0", userId: nil, runName: nil, startTime: nil, tags: [])
        let id = run.info.runId
        try await tracking.logParam(runId: id, param: Param(key: "a", value: "1"))
        try await tracking.logParam(runId: id, param: Param(key: "a", value: "1"))
        do {
            try await tracking.logBatch(runId: id, metrics: [Metric(key: "m", value: 1, timestamp: 1)],
                                        params: [Param(key: "a", value: "2")], tags: [])
            Issue.record("changing a param must fail")
        } catch let error as YardError {
            #expect(error.code == .invalidParameterValue)
            #expect(error.message.hasPrefix("Changing param values is not allowed. Param with key='a' was already logged with value='1'"))
        }
        let stored = try await tracking.run(id: id)
        #expect(stored.metrics.isEmpty, "the metric of the refused batch must not be kept")
    }

    @Test(arguments: StoreFactory.allCases)
    func batchLimitsAndKeyValidation(_ factory: StoreFactory) async throws {
        let tracking = try await service(factory)
        let run = try await tracking.createRun(experimentId: "0", userId: nil, runName: nil, startTime: nil, tags: [])
        let tooMany = (0..<1001).map { Metric(key: "m", value: Double($0), timestamp: Int64($0)) }
        await #expect(throws: YardError.invalid("A batch logging request can contain at most 1000 metrics. Got 1001 metrics. Please split up metrics across multiple requests and try again.")) {
            try await tracking.logBatch(runId: run.info.runId, metrics: tooMany, params: [], tags: [])
        }
        await #expect(throws: YardError.self) {
            try await tracking.logMetric(runId: run.info.runId, metric: Metric(key: "../etc", value: 1, timestamp: 1))
        }
        await #expect(throws: YardError.self) {
            try await tracking.logBatch(runId: run.info.runId, metrics: [], params: [Param(key: "p", value: "1"), Param(key: "p", value: "2")], tags: [])
        }
    }

    @Test(arguments: StoreFactory.allCases)
    func deletedRunsRefuseWritesAndFollowTheirExperiment(_ factory: StoreFactory) async throws {
        let tracking = try await service(factory)
        let experimentId = try await tracking.createExperiment(name: "e", artifactLocation: nil, tags: [])
        let run = try await tracking.createRun(experimentId: experimentId, userId: nil, runName: nil, startTime: nil, tags: [])
        try await tracking.deleteRun(id: run.info.runId)
        await #expect(throws: YardError.self) {
            try await tracking.setTag(runId: run.info.runId, tag: Tag(key: "k", value: "v"))
        }
        try await tracking.restoreRun(id: run.info.runId)
        try await tracking.setTag(runId: run.info.runId, tag: Tag(key: "k", value: "v"))

        try await tracking.deleteExperiment(id: experimentId)
        #expect(try await tracking.run(id: run.info.runId).info.lifecycleStage == .deleted)
        await #expect(throws: YardError.self) {
            _ = try await tracking.createRun(experimentId: experimentId, userId: nil, runName: nil, startTime: nil, tags: [])
        }
        try await tracking.restoreExperiment(id: experimentId)
        #expect(try await tracking.run(id: run.info.runId).info.lifecycleStage == .active)
    }

    @Test(arguments: StoreFactory.allCases)
    func searchFiltersOrdersAndPages(_ factory: StoreFactory) async throws {
        let tracking = try await service(factory)
        let experimentId = try await tracking.createExperiment(name: "search", artifactLocation: nil, tags: [])
        var ids: [String] = []
        for index in 0..<10 {
            let run = try await tracking.createRun(experimentId: experimentId, userId: "u", runName: "run-\(index)",
                                                   startTime: Int64(1000 + index), tags: [])
            try await tracking.logBatch(runId: run.info.runId,
                                        metrics: [Metric(key: "loss", value: Double(index) / 10, timestamp: 1)],
                                        params: [Param(key: "alpha", value: index % 2 == 0 ? "0.1" : "0.2")],
                                        tags: index == 3 ? [Tag(key: "Stage", value: "Prod")] : [])
            ids.append(run.info.runId)
        }
        let filtered = try await tracking.searchRuns(
            experimentIds: [experimentId], filter: "metrics.loss < 0.5 AND params.alpha = '0.1'",
            orderBy: ["metrics.loss DESC"], viewType: .activeOnly, maxResults: nil, pageToken: nil)
        #expect(filtered.items.map(\.info.runName) == ["run-4", "run-2", "run-0"])

        // Default order: start_time DESC.
        let all = try await tracking.searchRuns(experimentIds: [experimentId], filter: nil, orderBy: [],
                                                viewType: .activeOnly, maxResults: nil, pageToken: nil)
        #expect(all.items.first?.info.runName == "run-9")

        // LIKE is case-sensitive, ILIKE is not.
        let like = try await tracking.searchRuns(experimentIds: [experimentId], filter: "tags.Stage LIKE 'prod'", orderBy: [],
                                                 viewType: .activeOnly, maxResults: nil, pageToken: nil)
        #expect(like.items.isEmpty)
        let ilike = try await tracking.searchRuns(experimentIds: [experimentId], filter: "tags.Stage ILIKE 'prod'", orderBy: [],
                                                  viewType: .activeOnly, maxResults: nil, pageToken: nil)
        #expect(ilike.items.map(\.info.runName) == ["run-3"])

        // Pagination returns every run exactly once.
        var seen: [String] = []
        var token: String?
        repeat {
            let page = try await tracking.searchRuns(experimentIds: [experimentId], filter: nil, orderBy: ["params.alpha ASC"],
                                                     viewType: .activeOnly, maxResults: 3, pageToken: token)
            #expect(page.items.count <= 3)
            seen += page.items.map(\.info.runId)
            token = page.nextPageToken
        } while token != nil
        #expect(seen.count == 10)
        #expect(Set(seen) == Set(ids))

        await #expect(throws: YardError.self) {
            _ = try await tracking.searchRuns(experimentIds: [experimentId], filter: nil, orderBy: [], viewType: .activeOnly,
                                              maxResults: nil, pageToken: "not-a-token")
        }
    }

    @Test(arguments: StoreFactory.allCases)
    func datasetInputsAreSharedAndSearchable(_ factory: StoreFactory) async throws {
        let tracking = try await service(factory)
        let run = try await tracking.createRun(experimentId: "0", userId: nil, runName: nil, startTime: nil, tags: [])
        let dataset = Dataset(name: "train", digest: "abc123", sourceType: "local", source: "{}", schema: "{}", profile: nil)
        try await tracking.logInputs(runId: run.info.runId,
                                     datasets: [DatasetInput(tags: [Tag(key: "mlflow.data.context", value: "training")], dataset: dataset)],
                                     modelIds: [])
        let stored = try await tracking.run(id: run.info.runId)
        #expect(stored.datasetInputs.count == 1)
        #expect(stored.datasetInputs.first?.dataset == dataset)
        let found = try await tracking.searchRuns(experimentIds: ["0"], filter: "dataset.context = 'training' AND dataset.digest = 'abc123'",
                                                  orderBy: [], viewType: .activeOnly, maxResults: nil, pageToken: nil)
        #expect(found.items.map(\.info.runId) == [run.info.runId])
    }

    @Test(arguments: StoreFactory.allCases)
    func writesSurviveReopeningTheFile(_ factory: StoreFactory) async throws {
        let runId: String
        do {
            let tracking = try await service(factory)
            let run = try await tracking.createRun(experimentId: "0", userId: nil, runName: "durable", startTime: nil, tags: [])
            try await tracking.logMetric(runId: run.info.runId, metric: Metric(key: "m", value: 3, timestamp: 1))
            runId = run.info.runId
        }
        let reopened = try await service(factory)
        let run = try await reopened.run(id: runId)
        #expect(run.info.runName == "durable")
        #expect(run.metrics.map(\.value) == [3])
    }
}

/// Page tokens carry any JSON number; decoding range-checks it and `next` never overflows.
@Suite("Page tokens")
struct PageTokenTests {
    static func token(_ offset: String) -> String { Data("{\"offset\": \(offset)}".utf8).base64EncodedString() }

    @Test(arguments: ["9223372036854775807", "9223372036854775808", "18446744073709551616", "1e300", "-1", "0.5",
                      "9007199254740994"])
    func outOfRangeOffsetsAreInvalid(_ offset: String) {
        #expect(throws: YardError.self) { _ = try PageToken.decodeOffset(Self.token(offset)) }
        #expect(throws: YardError.self) { _ = try Validation.pageOffset(Self.token(offset)) }
    }

    @Test func offsetsInRangeRoundTrip() throws {
        #expect(try PageToken.decodeOffset(nil) == 0)
        #expect(try PageToken.decodeOffset(PageToken.encode(offset: 0)) == 0)
        #expect(try PageToken.decodeOffset(PageToken.encode(offset: 1234)) == 1234)
        #expect(try PageToken.decodeOffset(PageToken.encode(offset: Validation.maxPageOffset)) == Validation.maxPageOffset)
        #expect(throws: YardError.self) { _ = try PageToken.decodeOffset("not base64!") }
    }

    @Test func nextSaturates() throws {
        #expect(PageToken.next(offset: 10, pageSize: 5, fetched: 5) == nil)
        #expect(try PageToken.decodeOffset(PageToken.next(offset: 10, pageSize: 5, fetched: 6)) == 15)
        let saturated = try #require(PageToken.next(offset: Int.max - 1, pageSize: 100, fetched: 101))
        #expect(saturated == PageToken.encode(offset: Int.max))
        #expect(throws: YardError.self) { _ = try PageToken.decodeOffset(saturated) }
    }
}
