import Foundation
import Testing
import YardCore
import YardPostgres
import YardStore

/// Throws unless `body` fails with a YardError of `code`.
func expectYardError(_ code: YardError.Code, _ body: () async throws -> Void,
                     sourceLocation: SourceLocation = #_sourceLocation) async {
    do {
        try await body()
        Issue.record("Expected \(code.rawValue), got success", sourceLocation: sourceLocation)
    } catch let error as YardError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("Expected \(code.rawValue), got \(error)", sourceLocation: sourceLocation)
    }
}

func makePrediction(_ id: String, deployment: String = "churn", role: String = PredictionRole.primary,
                    at timestamp: Int64, version: String = "3") -> PredictionRecord {
    PredictionRecord(id: id, deployment: deployment, modelName: "churn", modelVersion: version, role: role,
                     timestamp: timestamp, latencyMicros: 250, inputs: #"[{"x":\#(timestamp)}]"#,
                     outputs: #"[0.5]"#, rows: 1)
}

extension StoreFactory {
    /// The store as the serving and monitoring protocols see it; made again for the same directory, it
    /// reopens the same data.
    func makeServing(_ directory: TemporaryDirectory) async throws -> any ServingStore & MonitoringStore {
        switch self {
        case .sqlite:
            return try await makeAll(directory)
        case .postgres:
            // Until every PostgreSQL conformance lands (makeAll needs all five), open it directly.
            return try await PostgresStore(url: PostgresTestCluster.storeURL(for: directory))
        }
    }
}

/// The serving store's contract on each store: deployments, the prediction log, labels, retention.
@Suite("Serving store")
struct ServingStoreTests {
    @Test(arguments: StoreFactory.allCases)
    func deploymentsAreCreatedReadUpdatedListedAndDeleted(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.makeServing(directory)
        let churn = DeploymentRecord(name: "churn", modelURI: "models:/churn@production", canaryURI: "models:/churn/4",
                                     canaryShare: 0.1, shadowURI: "models:/churn/5", logSampleRate: 0.25,
                                     createdAt: 1_000, updatedAt: 1_000)
        try await store.createDeployment(churn)
        try await store.createDeployment(DeploymentRecord(name: "a-first", modelURI: "models:/a/1", createdAt: 2_000, updatedAt: 2_000))
        #expect(try await store.deployment(name: "churn") == churn)
        #expect(try await store.deployments().map(\.name) == ["a-first", "churn"])

        await expectYardError(.resourceAlreadyExists) {
            try await store.createDeployment(DeploymentRecord(name: "churn", modelURI: "models:/other/1", createdAt: 3, updatedAt: 3))
        }
        #expect(try await store.deployment(name: "churn").modelURI == "models:/churn@production")

        var swapped = churn
        swapped.modelURI = "models:/churn/4"
        swapped.canaryURI = nil
        swapped.canaryShare = 0
        swapped.shadowURI = nil
        swapped.logSampleRate = 1
        swapped.createdAt = 9_999
        swapped.updatedAt = 5_000
        try await store.updateDeployment(swapped)
        let stored = try await store.deployment(name: "churn")
        #expect(stored.modelURI == "models:/churn/4")
        #expect(stored.canaryURI == nil && stored.shadowURI == nil)
        #expect(stored.canaryShare == 0 && stored.logSampleRate == 1)
        #expect(stored.updatedAt == 5_000)
        #expect(stored.createdAt == 1_000, "the creation time survives updates")

        await expectYardError(.resourceDoesNotExist) {
            try await store.updateDeployment(DeploymentRecord(name: "missing", modelURI: "models:/m/1", createdAt: 1, updatedAt: 1))
        }
        await expectYardError(.resourceDoesNotExist) { _ = try await store.deployment(name: "missing") }
        await expectYardError(.resourceDoesNotExist) { try await store.deleteDeployment(name: "missing") }

        try await store.deleteDeployment(name: "churn")
        await expectYardError(.resourceDoesNotExist) { _ = try await store.deployment(name: "churn") }
        await expectYardError(.resourceDoesNotExist) { try await store.deleteDeployment(name: "churn") }
        #expect(try await store.deployments().map(\.name) == ["a-first"])
        // The name is free again.
        try await store.createDeployment(churn)
        #expect(try await store.deployment(name: "churn") == churn)
    }

    @Test(arguments: StoreFactory.allCases)
    func predictionsComeBackNewestFirstWithFilters(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.makeServing(directory)
        let records = [
            makePrediction("p1", at: 100),
            makePrediction("p2", at: 200),
            makePrediction("p2", role: PredictionRole.shadow, at: 200, version: "5"),
            makePrediction("p3", role: PredictionRole.canary, at: 300, version: "4"),
            makePrediction("p4", at: 300),
            makePrediction("q1", deployment: "fraud", at: 250),
        ]
        try await store.appendPredictions(records)

        let all = try await store.predictions(PredictionQuery(deployment: "churn", limit: 100))
        #expect(all.nextPageToken == nil)
        // Newest first; records of the same millisecond newest-appended first.
        #expect(all.items.map { "\($0.id)/\($0.role)" } == ["p4/primary", "p3/canary", "p2/shadow", "p2/primary", "p1/primary"])
        #expect(all.items.last == records[0], "every field round-trips")

        let window = try await store.predictions(PredictionQuery(deployment: "churn", since: 200, until: 300))
        #expect(window.items.map(\.id) == ["p2", "p2"], "since is inclusive, until exclusive")
        let shadows = try await store.predictions(PredictionQuery(deployment: "churn", role: PredictionRole.shadow))
        #expect(shadows.items.map(\.modelVersion) == ["5"])
        let fraud = try await store.predictions(PredictionQuery(deployment: "fraud"))
        #expect(fraud.items.map(\.id) == ["q1"])
        #expect(try await store.predictions(PredictionQuery(deployment: "nobody")).items.isEmpty)
        #expect(try await store.predictionCount(deployment: "churn") == 5)
        #expect(try await store.predictionCount(deployment: "nobody") == 0)

        // A batch retried after an unclear failure is not logged twice.
        try await store.appendPredictions([records[1], makePrediction("p5", at: 400)])
        #expect(try await store.predictionCount(deployment: "churn") == 6)
    }

    @Test(arguments: StoreFactory.allCases)
    func aReusedIdWithDifferentContentFailsTheWholeBatch(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.makeServing(directory)
        var original = makePrediction("p1", at: 100)
        original.inputs = #"[{"name":"Zoë \u00e9 \"q\"","emoji":"🦜","tab":"\t"}]"#
        original.outputs = #"{"prediction":1e-300}"#
        try await store.appendPredictions([original, makePrediction("p1", deployment: "other", at: 100)])

        var changed = original
        changed.inputs = #"[{"x":2}]"#
        await expectYardError(.resourceConflict) {
            try await store.appendPredictions([makePrediction("fresh", at: 200), changed])
        }
        #expect(try await store.predictionCount(deployment: "churn") == 1, "the refused batch stored nothing")
        // A duplicate inside one batch counts once when identical, and refuses the batch when not.
        try await store.appendPredictions([makePrediction("twice", at: 300), makePrediction("twice", at: 300), original])
        #expect(try await store.predictionCount(deployment: "churn") == 2)
        await expectYardError(.resourceConflict) {
            try await store.appendPredictions([makePrediction("dup", at: 400), makePrediction("dup", at: 401)])
        }
        #expect(try await store.predictionCount(deployment: "churn") == 2)
        let stored = try await store.predictions(PredictionQuery(deployment: "churn")).items
        #expect(stored.map(\.id) == ["twice", "p1"])
        #expect(stored.last == original, "payloads round-trip exactly")
        #expect(try await store.predictionCount(deployment: "other") == 1, "ids are unique per deployment")
    }

    @Test(arguments: StoreFactory.allCases)
    func pagesFollowTheLastRecordEvenWhileNewOnesArrive(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.makeServing(directory)
        // 25 records, several per millisecond.
        let records = (0..<25).map { makePrediction("r\($0)", at: Int64(1_000 + $0 / 3)) }
        try await store.appendPredictions(records)

        var seen: [String] = []
        var token: String?
        var pages = 0
        repeat {
            let page = try await store.predictions(PredictionQuery(deployment: "churn", limit: 4, pageToken: token))
            #expect(page.items.count <= 4)
            seen += page.items.map(\.id)
            token = page.nextPageToken
            pages += 1
            if pages == 2 {
                // Newer records arriving between pages do not shift the later ones.
                try await store.appendPredictions((0..<5).map { makePrediction("late\($0)", at: 9_000) })
            }
        } while token != nil && pages < 50
        #expect(pages == 7)
        #expect(seen == (0..<25).reversed().map { "r\($0)" })

        await expectYardError(.invalidParameterValue) {
            _ = try await store.predictions(PredictionQuery(deployment: "churn", pageToken: "not a token"))
        }
        await expectYardError(.invalidParameterValue) {
            _ = try await store.predictions(PredictionQuery(deployment: "churn", pageToken: Data("p1:x:1".utf8).base64EncodedString()))
        }
        // Limits are clamped rather than refused.
        #expect(try await store.predictions(PredictionQuery(deployment: "churn", limit: 0)).items.count == 1)
    }

    @Test(arguments: StoreFactory.allCases)
    func labelsJoinByPredictionIdAndCountOnlyKnownIds(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.makeServing(directory)
        try await store.appendPredictions([
            makePrediction("a", at: 1), makePrediction("b", at: 2),
            makePrediction("b", role: PredictionRole.shadow, at: 2), makePrediction("c", at: 3),
            makePrediction("f", deployment: "fraud", at: 4),
        ])
        let matched = try await store.recordLabels([(predictionId: "a", label: "1"), (predictionId: "b", label: #"{"y":0}"#),
                                                    (predictionId: "unknown", label: "1"), (predictionId: "a", label: "0")],
                                                   deployment: "churn", at: 7_000)
        #expect(matched == 2)
        #expect(try await store.recordLabels([], deployment: "churn", at: 1) == 0)
        #expect(try await store.recordLabels([(predictionId: "nope", label: "1")], deployment: "churn", at: 1) == 0)
        #expect(try await store.recordLabels([(predictionId: "f", label: "1")], deployment: "churn", at: 1) == 0,
                "a label sent to one deployment never lands on another's prediction")
        #expect(try await store.predictions(PredictionQuery(deployment: "fraud", labeledOnly: true)).items.isEmpty)

        let labeled = try await store.predictions(PredictionQuery(deployment: "churn", labeledOnly: true))
        #expect(labeled.items.map { "\($0.id)/\($0.role)" } == ["b/shadow", "b/primary", "a/primary"])
        #expect(labeled.items.allSatisfy { $0.labeledAt == 7_000 })
        #expect(labeled.items.first { $0.id == "b" }?.label == #"{"y":0}"#)
        #expect(labeled.items.first { $0.id == "a" }?.label == "0", "a later label for the same id replaces the earlier")
        let unlabeled = try await store.predictions(PredictionQuery(deployment: "churn", role: PredictionRole.primary))
        #expect(unlabeled.items.first { $0.id == "c" }?.label == nil)
        #expect(unlabeled.items.first { $0.id == "c" }?.labeledAt == nil)
    }

    @Test(arguments: StoreFactory.allCases)
    func pruningKeepsTheNewestRecordsOfOneDeployment(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.makeServing(directory)
        // Arrival order differs from timestamp order: pruning goes by timestamp.
        let times: [Int64] = [50, 10, 40, 30, 20, 60, 60, 70, 5, 80]
        try await store.appendPredictions(times.enumerated().map { makePrediction("c\($0.offset)", at: $0.element) })
        try await store.appendPredictions((0..<3).map { makePrediction("f\($0)", deployment: "fraud", at: Int64($0)) })

        #expect(try await store.prunePredictions(deployment: "churn", keepNewest: 20) == 0)
        #expect(try await store.prunePredictions(deployment: "churn", keepNewest: 4) == 6)
        let kept = try await store.predictions(PredictionQuery(deployment: "churn"))
        #expect(kept.items.map(\.timestamp) == [80, 70, 60, 60])
        #expect(try await store.predictionCount(deployment: "fraud") == 3, "other deployments keep theirs")
        #expect(try await store.prunePredictions(deployment: "churn", keepNewest: 4) == 0)
        #expect(try await store.prunePredictions(deployment: "churn", keepNewest: 0) == 4)
        #expect(try await store.predictionCount(deployment: "churn") == 0)
        await expectYardError(.invalidParameterValue) { _ = try await store.prunePredictions(deployment: "fraud", keepNewest: -1) }
    }

    @Test(arguments: StoreFactory.allCases)
    func everythingSurvivesReopeningTheStoreAndDeletingADeploymentKeepsItsLog(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        do {
            let store = try await factory.makeServing(directory)
            try await store.createDeployment(DeploymentRecord(name: "churn", modelURI: "models:/churn/1", logSampleRate: 0.5,
                                                              createdAt: 10, updatedAt: 10))
            try await store.appendPredictions((0..<3).map { makePrediction("p\($0)", at: Int64($0)) })
            #expect(try await store.recordLabels([(predictionId: "p1", label: "1")], deployment: "churn", at: 99) == 1)
        }
        let reopened = try await factory.makeServing(directory)
        #expect(try await reopened.deployment(name: "churn").logSampleRate == 0.5)
        #expect(try await reopened.predictionCount(deployment: "churn") == 3)
        #expect(try await reopened.predictions(PredictionQuery(deployment: "churn", labeledOnly: true)).items.map(\.id) == ["p1"])

        try await reopened.deleteDeployment(name: "churn")
        #expect(try await reopened.predictionCount(deployment: "churn") == 3)
        #expect(try await reopened.predictions(PredictionQuery(deployment: "churn")).items.count == 3)
    }
}
