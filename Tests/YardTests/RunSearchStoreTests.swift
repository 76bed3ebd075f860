import Foundation
import Testing
import YardCore
import YardStore

/// Run search through the store API: the query plans it picks (a param equality drives the search, sort
/// keys come from joined child tables) must keep MLflow's results, order, ties and pages, and a page of
/// runs must come back whole, in order.
@Suite("Run search store")
struct RunSearchStoreTests {
    typealias Store = any TrackingStore & DatasetStore

    func makeRun(_ store: Store, experimentId: String, name: String, start: Int64?, runId: String = Identifiers.newRunId()) async throws -> RunInfo {
        let info = RunInfo(runId: runId, runName: name, experimentId: experimentId, userId: "u",
                           status: .running, startTime: start, endTime: nil,
                           artifactUri: "mlflow-artifacts:/\(experimentId)/\(runId)/artifacts", lifecycleStage: .active)
        try await store.createRun(info, tags: [Tag(key: ReservedTags.runName, value: name)])
        return info
    }

    func names(_ page: Page<Run>) -> [String] { page.items.map(\.info.runName) }

    @Test(arguments: StoreFactory.allCases)
    func paramEqualityKeepsToTheExperimentAndOtherClauses(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.make(directory)
        let searched = try await store.createExperiment(name: "searched", tags: []) { "x/\($0)" }
        let other = try await store.createExperiment(name: "other", tags: []) { "x/\($0)" }
        for index in 0..<6 {
            let info = try await makeRun(store, experimentId: searched, name: "s\(index)", start: Int64(index))
            try await store.logBatch(runId: info.runId, metrics: [Metric(key: "loss", value: Double(index), timestamp: 1)],
                                     params: [Param(key: "alpha", value: index < 4 ? "0.1" : "0.2"),
                                              Param(key: "beta", value: index % 2 == 0 ? "x" : "y")], tags: [])
        }
        let outsider = try await makeRun(store, experimentId: other, name: "o", start: 100)
        try await store.logBatch(runId: outsider.runId, metrics: [Metric(key: "loss", value: 0, timestamp: 1)],
                                 params: [Param(key: "alpha", value: "0.1"), Param(key: "beta", value: "x")], tags: [])
        let deleted = try await makeRun(store, experimentId: searched, name: "deleted", start: 200)
        try await store.logBatch(runId: deleted.runId, metrics: [], params: [Param(key: "alpha", value: "0.1")], tags: [])
        try await store.setRunLifecycle(id: deleted.runId, to: .deleted)

        let alpha = SearchClause(entity: .param, key: "alpha", comparator: .equal, value: .string("0.1"))
        let beta = SearchClause(entity: .param, key: "beta", comparator: .equal, value: .string("x"))
        let lossBelow3 = SearchClause(entity: .metric, key: "loss", comparator: .less, value: .number(3))
        #expect(names(try await store.searchRuns(RunQuery(experimentIds: [searched], filter: [alpha]))) == ["s3", "s2", "s1", "s0"])
        #expect(names(try await store.searchRuns(RunQuery(experimentIds: [searched], filter: [alpha, beta]))) == ["s2", "s0"])
        #expect(names(try await store.searchRuns(RunQuery(experimentIds: [searched], filter: [lossBelow3, beta, alpha]))) == ["s2", "s0"])
        #expect(names(try await store.searchRuns(RunQuery(experimentIds: [searched, other], filter: [alpha, beta]))) == ["o", "s2", "s0"])
        #expect(names(try await store.searchRuns(RunQuery(experimentIds: [searched], filter: [alpha], viewType: .deletedOnly))) == ["deleted"])
        let missing = SearchClause(entity: .param, key: "alpha", comparator: .equal, value: .string("0.9"))
        #expect(try await store.searchRuns(RunQuery(experimentIds: [searched], filter: [missing])).items.isEmpty)
    }

    @Test(arguments: StoreFactory.allCases)
    func sortKeysPutMissingAndNaNLastAndBreakTiesByStartThenId(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.make(directory)
        let experiment = try await store.createExperiment(name: "order", tags: []) { "x/\($0)" }
        // (name, loss, start): "tieA"/"tieB" share loss and start, so the run id decides between them.
        let rows: [(String, Double?, Int64)] = [("low", 1, 10), ("high", 3, 11), ("nan", .nan, 12), ("none", nil, 13),
                                               ("tieB", 2, 14), ("tieA", 2, 14), ("early", 2, 5)]
        for (name, loss, start) in rows {
            let runId = name == "tieA" ? "00000000000000000000000000000000" : (name == "tieB" ? "ffffffffffffffffffffffffffffffff" : Identifiers.newRunId())
            let info = try await makeRun(store, experimentId: experiment, name: name, start: start, runId: runId)
            try await store.logBatch(runId: info.runId, metrics: loss.map { [Metric(key: "loss", value: $0, timestamp: 1)] } ?? [],
                                     params: [Param(key: "p", value: name)], tags: [Tag(key: "t", value: String(name.reversed()))])
        }
        func ordered(_ entity: SearchEntity, _ key: String, ascending: Bool) async throws -> [String] {
            names(try await store.searchRuns(RunQuery(experimentIds: [experiment],
                                                      orderBy: [SearchOrder(entity: entity, key: key, ascending: ascending)])))
        }
        #expect(try await ordered(.metric, "loss", ascending: false) == ["high", "tieA", "tieB", "early", "low", "none", "nan"])
        #expect(try await ordered(.metric, "loss", ascending: true) == ["low", "tieA", "tieB", "early", "high", "none", "nan"])
        #expect(try await ordered(.param, "p", ascending: true) == ["early", "high", "low", "nan", "none", "tieA", "tieB"])
        // Tag values are the names reversed ("ylrae", "wol", …); capitals sort before small letters.
        #expect(try await ordered(.tag, "t", ascending: false) == ["early", "low", "nan", "high", "none", "tieB", "tieA"])
        let twoKeys = try await store.searchRuns(RunQuery(experimentIds: [experiment], orderBy: [
            SearchOrder(entity: .metric, key: "loss", ascending: true), SearchOrder(entity: .param, key: "p", ascending: false)]))
        #expect(names(twoKeys) == ["low", "tieB", "tieA", "early", "high", "none", "nan"])
        let filteredAndOrdered = try await store.searchRuns(RunQuery(
            experimentIds: [experiment],
            filter: [SearchClause(entity: .param, key: "p", comparator: .equal, value: .string("nan"))],
            orderBy: [SearchOrder(entity: .metric, key: "loss", ascending: false)]))
        #expect(names(filteredAndOrdered) == ["nan"])
        #expect(filteredAndOrdered.items.first?.metrics.first?.value.isNaN == true)

        var paged: [String] = []
        var token: String?
        repeat {
            let page = try await store.searchRuns(RunQuery(experimentIds: [experiment],
                                                           orderBy: [SearchOrder(entity: .metric, key: "loss", ascending: false)],
                                                           maxResults: 2, pageToken: token))
            #expect(page.items.count <= 2)
            paged += names(page)
            token = page.nextPageToken
        } while token != nil
        #expect(paged == ["high", "tieA", "tieB", "early", "low", "none", "nan"])
    }

    @Test(arguments: StoreFactory.allCases)
    func aPageHoldsWholeRunsInOrder(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.make(directory)
        let experiment = try await store.createExperiment(name: "whole", tags: []) { "x/\($0)" }
        let dataset = Dataset(name: "train", digest: "d1", sourceType: "local", source: "{}", schema: nil, profile: "{\"rows\": 3}")
        let evaluation = Dataset(name: "eval", digest: "d2", sourceType: "local", source: "{}", schema: "{}", profile: nil)
        var expected: [Run] = []
        for index in 0..<5 {
            let info = try await makeRun(store, experimentId: experiment, name: "run-\(index)", start: Int64(100 - index))
            let metrics = [Metric(key: "b", value: Double(index), timestamp: 5, step: 2),
                           Metric(key: "a", value: -1.5e300, timestamp: 6, step: 1, modelId: "m", datasetName: "train", datasetDigest: "d1")]
            try await store.logBatch(runId: info.runId, metrics: metrics,
                                     params: [Param(key: "z", value: "\(index)"), Param(key: "y", value: "quote \" and \\")],
                                     tags: [Tag(key: "note", value: "line\nbreak")])
            var run = Run(info: info,
                          metrics: metrics.sorted { $0.key < $1.key },
                          params: [Param(key: "y", value: "quote \" and \\"), Param(key: "z", value: "\(index)")],
                          tags: [Tag(key: ReservedTags.runName, value: "run-\(index)"), Tag(key: "note", value: "line\nbreak")].sorted { $0.key < $1.key })
            if index % 2 == 0 {
                let inputs = [DatasetInput(tags: [Tag(key: ReservedTags.datasetContext, value: "training"), Tag(key: "a", value: "b")].sorted { $0.key < $1.key },
                                           dataset: dataset),
                              DatasetInput(tags: [], dataset: evaluation)]
                try await store.logInputs(runId: info.runId, datasets: inputs, modelIds: ["model-b", "model-a"])
                try await store.logOutputs(runId: info.runId, models: [ModelOutput(modelId: "out", step: 7), ModelOutput(modelId: "out", step: 3)])
                run.datasetInputs = inputs
                run.modelInputs = ["model-a", "model-b"]
                run.modelOutputs = [ModelOutput(modelId: "out", step: 3), ModelOutput(modelId: "out", step: 7)]
            }
            expected.append(run)
        }
        let page = try await store.searchRuns(RunQuery(experimentIds: [experiment]))
        #expect(page.items == expected)
        for run in expected {
            #expect(try await store.run(id: run.info.runId) == run)
        }
    }

    @Test(arguments: StoreFactory.allCases)
    func runIdsThatNeedEscapingAreLookedUpNotInterpreted(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.make(directory)
        let info = try await makeRun(store, experimentId: "0", name: "plain", start: 1)
        for id in ["\"", "\\", "a\",\"\(info.runId)", "\u{1}", "é"] {
            await #expect(throws: TrackingStoreError.runNotFound(id: id)) { _ = try await store.run(id: id) }
        }
        #expect(try await store.run(id: info.runId).info == info)
    }
}
