import Foundation
import Synchronization
import Testing
import YardCore
import YardPostgres
import YardSQLite
import YardStore

/// Every metadata store implementation. The store suite (and the service suites) run each case
/// against each of these. PostgreSQL joins when the test script started a cluster
/// (`YARD_TEST_POSTGRES_URL`, see tests/postgres/postgres.sh); with `YARD_REQUIRE_POSTGRES=1` its cases
/// fail rather than vanish when the cluster is missing.
enum StoreFactory: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    static var allCases: [StoreFactory] {
        PostgresTestCluster.isConfigured ? [.sqlite, .postgres] : [.sqlite]
    }

    var testDescription: String { rawValue }

    /// A store keeping its data in (or, for a server database, keyed by) `directory`, with the default
    /// experiment "0" in place. Making it again for the same directory reopens the same data. One value
    /// serves all three protocols, as the server uses it (logged models and runs share a transaction).
    func make(_ directory: TemporaryDirectory) async throws -> any TrackingStore & DatasetStore & RegistryStore {
        switch self {
        case .sqlite:
            return try await makeAll(directory)
        case .postgres:
            return try await PostgresTestCluster.store(for: directory)
        }
    }

    /// The same store as every protocol the server uses it as.
    func makeAll(_ directory: TemporaryDirectory) async throws -> any AllStores {
        switch self {
        case .sqlite:
            let store = try SQLiteStore(path: directory.file("yard.db"))
            try store.ensureDefaultExperiment(artifactLocation: "mlflow-artifacts:/0")
            return store
        case .postgres:
            return try await PostgresTestCluster.store(for: directory)
        }
    }
}

typealias AllStores = TrackingStore & DatasetStore & RegistryStore & ServingStore & MonitoringStore

/// The PostgreSQL cluster the test script started; each test directory gets a schema of its own, so tests
/// run in parallel on one database and a store made again for the same directory reopens its data.
enum PostgresTestCluster {
    static var url: String? { ProcessInfo.processInfo.environment["YARD_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 } }
    static var isRequired: Bool { ProcessInfo.processInfo.environment["YARD_REQUIRE_POSTGRES"] == "1" }
    static var isConfigured: Bool { url != nil || isRequired }

    /// A schema name unique to `directory` (its random folder name).
    static func schema(for directory: TemporaryDirectory) -> String {
        let name = (directory.path as NSString).lastPathComponent.lowercased()
        let cleaned = String(name.map { $0.isLetter || $0.isNumber ? $0 : "_" }.prefix(55))
        return "t_" + cleaned
    }

    static func storeURL(for directory: TemporaryDirectory, poolMax: Int = 4) throws -> String {
        guard let url else {
            throw YardError(.invalidState, "YARD_REQUIRE_POSTGRES=1 but YARD_TEST_POSTGRES_URL is not set: start a cluster with tests/postgres/postgres.sh.")
        }
        let separator = url.contains("?") ? "&" : "?"
        return url + separator + "schema=\(schema(for: directory))&pool_max=\(poolMax)&sslmode=disable"
    }

    static func store(for directory: TemporaryDirectory) async throws -> PostgresStore {
        let store = try await PostgresStore(url: try storeURL(for: directory))
        try await store.ensureDefaultExperiment(artifactLocation: "mlflow-artifacts:/0")
        return store
    }
}

/// The tracking and dataset store protocols' contract, through their API only (no SQL, no service):
/// what any implementation must do, including the invariants it enforces inside its transactions and
/// the typed errors it reports.
@Suite("Store suite")
struct StoreSuite {
    typealias Store = any TrackingStore & DatasetStore

    func makeRun(_ store: Store, experimentId: String = "0", name: String = "r", start: Int64 = 1000,
                 tags: [YardCore.Tag] = []) async throws -> RunInfo {
        let info = RunInfo(runId: Identifiers.newRunId(), runName: name, experimentId: experimentId, userId: "u",
                           status: .running, startTime: start, endTime: nil,
                           artifactUri: "mlflow-artifacts:/\(experimentId)/r/artifacts", lifecycleStage: .active)
        try await store.createRun(info, tags: tags)
        return info
    }

    // MARK: Experiments

    @Test(arguments: StoreFactory.allCases)
    func experimentsAreCreatedWithAscendingIdsAndTheirLocation(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.make(directory)
        #expect(try await store.experiment(id: "0").name == "Default")
        let first = try await store.createExperiment(name: "a", tags: [Tag(key: "team", value: "x")]) { "root/\($0)" }
        let second = try await store.createExperiment(name: "b", tags: []) { "root/\($0)" }
        #expect(first == "1")
        #expect(second == "2")
        let a = try await store.experiment(id: first)
        #expect(a.name == "a")
        #expect(a.artifactLocation == "root/1")
        #expect(a.lifecycleStage == .active)
        #expect(a.tags == [Tag(key: "team", value: "x")])
        #expect(a.lastUpdateTime >= a.creationTime)
        #expect(try await store.experiment(named: "b")?.experimentId == second)
        #expect(try await store.experiment(named: "missing") == nil)
        await #expect(throws: (any Error).self) { _ = try await store.experiment(id: "999") }
        await #expect(throws: (any Error).self) { _ = try await store.experiment(id: "not-a-number") }
    }

    @Test(arguments: StoreFactory.allCases)
    func experimentConflictsAndLifecycleAreTypedErrors(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.make(directory)
        let id = try await store.createExperiment(name: "dup", tags: []) { "x/\($0)" }
        _ = try await store.createExperiment(name: "other", tags: []) { "x/\($0)" }
        await #expect(throws: TrackingStoreError.experimentAlreadyExists(name: "dup")) {
            _ = try await store.createExperiment(name: "dup", tags: []) { "x/\($0)" }
        }
        await #expect(throws: TrackingStoreError.experimentNameTaken(name: "other")) {
            try await store.renameExperiment(id: id, to: "other")
        }
        try await store.renameExperiment(id: id, to: "renamed")
        #expect(try await store.experiment(id: id).name == "renamed")
        await #expect(throws: TrackingStoreError.deletingDefaultExperiment) {
            try await store.setExperimentLifecycle(id: "0", to: .deleted)
        }
        await #expect(throws: TrackingStoreError.experimentLifecycleUnchanged(id: id, requested: .active, current: .active)) {
            try await store.setExperimentLifecycle(id: id, to: .active)
        }
        await #expect(throws: TrackingStoreError.experimentNotFound(id: "404")) {
            try await store.renameExperiment(id: "404", to: "x")
        }

        let run = try await makeRun(store, experimentId: id)
        try await store.setExperimentLifecycle(id: id, to: .deleted)
        #expect(try await store.experiment(id: id).lifecycleStage == .deleted)
        #expect(try await store.run(id: run.runId).info.lifecycleStage == .deleted, "runs follow their experiment")
        await #expect(throws: TrackingStoreError.renamingInactiveExperiment(id: id)) {
            try await store.renameExperiment(id: id, to: "again")
        }
        await #expect(throws: TrackingStoreError.experimentNotActive(id: id, stage: .deleted)) {
            try await store.setExperimentTag(id: id, tag: Tag(key: "k", value: "v"))
        }
        await #expect(throws: (any Error).self) { _ = try await makeRun(store, experimentId: id) }
        try await store.setExperimentLifecycle(id: id, to: .active)
        #expect(try await store.run(id: run.runId).info.lifecycleStage == .active)
    }

    @Test(arguments: StoreFactory.allCases)
    func experimentTags(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.make(directory)
        let id = try await store.createExperiment(name: "tags", tags: []) { "x/\($0)" }
        try await store.setExperimentTag(id: id, tag: Tag(key: "k", value: "1"))
        try await store.setExperimentTag(id: id, tag: Tag(key: "k", value: "2"))
        #expect(try await store.experiment(id: id).tags == [Tag(key: "k", value: "2")])
        try await store.deleteExperimentTag(id: id, key: "k")
        #expect(try await store.experiment(id: id).tags.isEmpty)
        await #expect(throws: TrackingStoreError.experimentTagNotFound(experimentId: id, key: "k")) {
            try await store.deleteExperimentTag(id: id, key: "k")
        }
    }

    @Test(arguments: StoreFactory.allCases)
    func experimentSearchFiltersOrdersAndPages(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.make(directory)
        for name in ["c-exp", "a-exp", "b-exp", "other"] {
            _ = try await store.createExperiment(name: name, tags: name == "b-exp" ? [Tag(key: "k", value: "v")] : []) { "x/\($0)" }
        }
        let filter = [SearchClause(entity: .attribute, key: "name", comparator: .like, value: .string("%-exp"))]
        let order = [SearchOrder(entity: .attribute, key: "name", ascending: true)]
        var names: [String] = []
        var token: String?
        repeat {
            let page = try await store.searchExperiments(ExperimentQuery(filter: filter, orderBy: order, maxResults: 2, pageToken: token))
            #expect(page.items.count <= 2)
            names += page.items.map(\.name)
            token = page.nextPageToken
        } while token != nil
        #expect(names == ["a-exp", "b-exp", "c-exp"])
        let tagged = try await store.searchExperiments(ExperimentQuery(
            filter: [SearchClause(entity: .tag, key: "k", comparator: .equal, value: .string("v"))]))
        #expect(tagged.items.map(\.name) == ["b-exp"])
        await #expect(throws: (any Error).self) {
            _ = try await store.searchExperiments(ExperimentQuery(pageToken: "not-a-token"))
        }
    }

    // MARK: Runs

    /// Keys are bytes to both stores: two canonically equivalent spellings (which Swift's String equality
    /// merges) are two tags, each with its own value. A NUL character is stored by SQLite; PostgreSQL's text
    /// type refuses it, which must be the caller's 400, never a 500.
    @Test(arguments: StoreFactory.allCases)
    func tagKeysAreBytesAndUnstorableTextIsTheCallersError(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.make(directory)
        let info = try await makeRun(store)
        let composed = "\u{00C5}ngstr\u{00F6}m", compatibility = "\u{212B}ngstr\u{00F6}m"
        #expect(composed == compatibility, "Swift calls them equal; the stores must not")
        try await store.logBatch(runId: info.runId, metrics: [], params: [],
                                 tags: [Tag(key: composed, value: "a"), Tag(key: compatibility, value: "b")])
        let tags = try await store.run(id: info.runId).tags.filter { $0.key.hasSuffix("ngstr\u{00F6}m") }
        #expect(Set(tags.map { Array($0.key.utf8) }) == [Array(composed.utf8), Array(compatibility.utf8)])
        #expect(tags.first { Array($0.key.utf8) == Array(composed.utf8) }?.value == "a")
        #expect(tags.first { Array($0.key.utf8) == Array(compatibility.utf8) }?.value == "b")

        let nul = Tag(key: "with-nul", value: "a\u{0}b")
        switch factory {
        case .sqlite:
            try await store.logBatch(runId: info.runId, metrics: [], params: [], tags: [nul])
        case .postgres:
            let error = await #expect(throws: YardError.self) {
                try await store.logBatch(runId: info.runId, metrics: [], params: [], tags: [nul])
            }
            #expect(error?.code == .invalidParameterValue)
            #expect(error?.message.contains("NUL") == true)
            #expect(try await store.run(id: info.runId).tags.contains { $0.key == "with-nul" } == false)
        }
    }

    @Test(arguments: StoreFactory.allCases)
    func runsKeepTheirDataAndTheLatestMetricRule(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.make(directory)
        let info = try await makeRun(store, tags: [Tag(key: ReservedTags.runName, value: "r")])
        #expect(try await store.run(id: info.runId).info == info)
        try await store.logBatch(runId: info.runId, metrics: [
            Metric(key: "loss", value: 0.9, timestamp: 10, step: 0),
            Metric(key: "loss", value: 0.5, timestamp: 5, step: 2),
            Metric(key: "loss", value: 0.7, timestamp: 20, step: 1),
            Metric(key: "nan", value: .nan, timestamp: 1, step: 0),
            Metric(key: "inf", value: .infinity, timestamp: 1, step: 0),
        ], params: [Param(key: "alpha", value: "0.1")], tags: [Tag(key: "t", value: "1")])
        // A later batch with an older point must not replace the latest; a newer one must.
        try await store.logBatch(runId: info.runId, metrics: [Metric(key: "loss", value: 0.1, timestamp: 99, step: 1)], params: [], tags: [])
        try await store.logBatch(runId: info.runId, metrics: [Metric(key: "nan", value: 5, timestamp: 2, step: 0)], params: [], tags: [])
        let run = try await store.run(id: info.runId)
        let latest = Dictionary(uniqueKeysWithValues: run.metrics.map { ($0.key, $0) })
        #expect(latest["loss"]?.value == 0.5)
        #expect(latest["loss"]?.step == 2)
        #expect(latest["nan"]?.value == 5, "NaN counts as 0 in the rule, so a later timestamp wins")
        #expect(latest["inf"]?.value == Validation.largestFiniteDouble)
        #expect(run.params == [Param(key: "alpha", value: "0.1")])
        #expect(run.tags.contains(Tag(key: "t", value: "1")))

        let updated = try await store.updateRun(id: info.runId, status: .finished, endTime: 2000, runName: "renamed")
        #expect(updated.status == .finished)
        #expect(updated.endTime == 2000)
        let renamed = try await store.run(id: info.runId)
        #expect(renamed.info.runName == "renamed")
        #expect(renamed.tags.contains(Tag(key: ReservedTags.runName, value: "renamed")))
    }

    @Test(arguments: StoreFactory.allCases)
    func theLatestMetricRuleMatchesTheDomainRule(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.make(directory)
        let info = try await makeRun(store)
        // Pseudo-random points logged one batch at a time; the stored latest must be the one the
        // domain rule picks over all of them.
        var generator = SplitMix(seed: 42)
        var logged: [Metric] = []
        for _ in 0..<60 {
            let values: [Double] = [0, 1, -1, .nan, .infinity, 0.5]
            let metric = Metric(key: "m", value: values[Int(generator.next() % 6)],
                                timestamp: Int64(generator.next() % 4), step: Int64(generator.next() % 3))
            logged.append(metric)
            try await store.logBatch(runId: info.runId, metrics: [metric], params: [], tags: [])
        }
        let expected = Metric.latestPerKey(logged)[0]
        let stored = try await store.run(id: info.runId).metrics[0]
        #expect(stored.step == expected.step)
        #expect(stored.timestamp == expected.timestamp)
        #expect(stored.comparableValue == expected.comparableValue)
    }

    @Test(arguments: StoreFactory.allCases)
    func runInvariantsAreTypedErrors(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.make(directory)
        let info = try await makeRun(store)
        try await store.logBatch(runId: info.runId, metrics: [], params: [Param(key: "a", value: "1")], tags: [])
        try await store.logBatch(runId: info.runId, metrics: [], params: [Param(key: "a", value: "1")], tags: [])
        await #expect(throws: TrackingStoreError.paramValueChanged(runId: info.runId, key: "a", oldValue: "1", newValue: "2")) {
            try await store.logBatch(runId: info.runId, metrics: [Metric(key: "m", value: 1, timestamp: 1)],
                                     params: [Param(key: "a", value: "2")], tags: [])
        }
        #expect(try await store.run(id: info.runId).metrics.isEmpty, "a refused batch writes nothing")

        await #expect(throws: TrackingStoreError.runTagNotFound(runId: info.runId, key: "nope")) {
            try await store.deleteRunTag(runId: info.runId, key: "nope")
        }
        await #expect(throws: TrackingStoreError.runNotFound(id: "missing")) {
            try await store.logBatch(runId: "missing", metrics: [], params: [], tags: [])
        }
        await #expect(throws: TrackingStoreError.runNotFound(id: "missing")) {
            try await store.setRunLifecycle(id: "missing", to: .deleted)
        }
        await #expect(throws: (any Error).self) { _ = try await store.run(id: "missing") }

        try await store.setRunLifecycle(id: info.runId, to: .deleted)
        await #expect(throws: TrackingStoreError.runNotActive(id: info.runId, stage: .deleted)) {
            try await store.logBatch(runId: info.runId, metrics: [], params: [], tags: [Tag(key: "k", value: "v")])
        }
        await #expect(throws: TrackingStoreError.runNotActive(id: info.runId, stage: .deleted)) {
            _ = try await store.updateRun(id: info.runId, status: .failed, endTime: nil, runName: nil)
        }
        try await store.setRunLifecycle(id: info.runId, to: .active)
        try await store.logBatch(runId: info.runId, metrics: [], params: [], tags: [Tag(key: "k", value: "v")])
    }

    @Test(arguments: StoreFactory.allCases)
    func metricHistoryIsOrderedAndPaged(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.make(directory)
        let info = try await makeRun(store)
        let points = (0..<25).map { Metric(key: "m", value: Double($0 % 5), timestamp: Int64(25 - $0), step: Int64($0)) }
        try await store.logBatch(runId: info.runId, metrics: points + points, params: [], tags: [])  // duplicates collapse
        var seen: [Metric] = []
        var token: String?
        repeat {
            let page = try await store.metricHistory(runId: info.runId, key: "m", maxResults: 7, pageToken: token)
            #expect(page.items.count <= 7)
            seen += page.items
            token = page.nextPageToken
        } while token != nil
        #expect(seen.count == 25)
        #expect(seen.map(\.timestamp) == (1...25).map { Int64($0) })
        let whole = try await store.metricHistory(runId: info.runId, key: "m", maxResults: 25, pageToken: nil)
        #expect(whole.items.count == 25)
        #expect(whole.nextPageToken == nil, "no token to an empty page")
        #expect(try await store.metricHistory(runId: info.runId, key: "other", maxResults: 10, pageToken: nil).items.isEmpty)
        await #expect(throws: TrackingStoreError.runNotFound(id: "missing")) {
            _ = try await store.metricHistory(runId: "missing", key: "m", maxResults: 10, pageToken: nil)
        }
    }

    @Test(arguments: StoreFactory.allCases)
    func runSearchFiltersOrdersAndPages(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.make(directory)
        let experimentId = try await store.createExperiment(name: "search", tags: []) { "x/\($0)" }
        var ids: [String] = []
        for index in 0..<8 {
            let info = try await makeRun(store, experimentId: experimentId, name: "run-\(index)", start: Int64(1000 + index))
            try await store.logBatch(runId: info.runId, metrics: [Metric(key: "loss", value: Double(index), timestamp: 1)],
                                     params: [Param(key: "alpha", value: index % 2 == 0 ? "even" : "odd")], tags: [])
            ids.append(info.runId)
        }
        let filter = [
            SearchClause(entity: .metric, key: "loss", comparator: .less, value: .number(5)),
            SearchClause(entity: .param, key: "alpha", comparator: .equal, value: .string("even")),
        ]
        let found = try await store.searchRuns(RunQuery(
            experimentIds: [experimentId], filter: filter,
            orderBy: [SearchOrder(entity: .metric, key: "loss", ascending: false)]))
        #expect(found.items.map(\.info.runName) == ["run-4", "run-2", "run-0"])
        let byDefault = try await store.searchRuns(RunQuery(experimentIds: [experimentId]))
        #expect(byDefault.items.first?.info.runName == "run-7", "default order is start_time DESC")
        var seen: [String] = []
        var token: String?
        repeat {
            let page = try await store.searchRuns(RunQuery(experimentIds: [experimentId], maxResults: 3, pageToken: token))
            seen += page.items.map(\.info.runId)
            token = page.nextPageToken
        } while token != nil
        #expect(Set(seen) == Set(ids))
        #expect(seen.count == ids.count)
        let inList = try await store.searchRuns(RunQuery(experimentIds: [experimentId], filter: [
            SearchClause(entity: .attribute, key: "run_id", comparator: .isIn, value: .list([ids[1], ids[2], "nope"]))]))
        #expect(Set(inList.items.map(\.info.runId)) == [ids[1], ids[2]])
    }

    @Test(arguments: StoreFactory.allCases)
    func inputsAndOutputsAreKept(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.make(directory)
        let first = try await makeRun(store)
        let second = try await makeRun(store)
        let dataset = Dataset(name: "train", digest: "abc", sourceType: "local", source: "{}", schema: "{}", profile: nil)
        let input = DatasetInput(tags: [Tag(key: ReservedTags.datasetContext, value: "training")], dataset: dataset)
        try await store.logInputs(runId: first.runId, datasets: [input], modelIds: ["m-1"])
        try await store.logInputs(runId: second.runId, datasets: [input], modelIds: [])
        try await store.logOutputs(runId: first.runId, models: [ModelOutput(modelId: "m-2", step: 3)])
        let run = try await store.run(id: first.runId)
        #expect(run.datasetInputs == [input])
        #expect(run.modelInputs == ["m-1"])
        #expect(run.modelOutputs == [ModelOutput(modelId: "m-2", step: 3)])
        let found = try await store.searchRuns(RunQuery(experimentIds: ["0"], filter: [
            SearchClause(entity: .dataset, key: "digest", comparator: .equal, value: .string("abc"))]))
        #expect(Set(found.items.map(\.info.runId)) == [first.runId, second.runId])
    }

    // MARK: Datasets

    func version(_ name: String, _ digest: String, at time: Int64, profile: DatasetProfile? = nil) -> DatasetVersionRecord {
        DatasetVersionRecord(name: name, digest: digest, shortDigest: String(digest.prefix(36)), kind: .file, size: 10,
                             files: 1, source: "data/\(name).csv", profile: profile, createdAt: time)
    }

    @Test(arguments: StoreFactory.allCases)
    func datasetVersionsAreRegisteredOnceAndListedNewestFirst(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.make(directory)
        let profile = DatasetProfile(rows: 2, columns: [
            .init(name: "a", type: "integer", nulls: 0, min: 1, max: 2, mean: 1.5),
            .init(name: "b", type: "string", nulls: 1),
        ])
        let digestA = String(repeating: "a", count: 64)
        let digestB = String(repeating: "b", count: 64)
        let first = try await store.registerDatasetVersion(version("churn", digestA, at: 100, profile: profile))
        #expect(first.profile == profile)
        #expect(first.kind == .file)
        let again = try await store.registerDatasetVersion(version("churn", digestA, at: 500))
        #expect(again == first, "registering the same digest again returns the first record")
        var folder = version("churn", digestB, at: 200)
        folder.kind = .directory
        folder.files = 3
        _ = try await store.registerDatasetVersion(folder)
        _ = try await store.registerDatasetVersion(version("other", digestB, at: 50))

        let versions = try await store.datasetVersions(name: "churn")
        #expect(versions.map(\.digest) == [digestB, digestA])
        #expect(versions.first?.kind == .directory)
        #expect(try await store.datasetVersions(name: "nope").isEmpty)
        let summaries = try await store.datasetSummaries()
        #expect(summaries.map(\.name) == ["churn", "other"])
        #expect(summaries.first?.versionCount == 2)
        #expect(summaries.first?.latest.digest == digestB)
        #expect(try await store.datasetVersion(name: "churn", digest: digestA)?.profile == profile)
        #expect(try await store.datasetVersion(name: "churn", digest: String(digestA.prefix(36)))?.digest == digestA)
        #expect(try await store.datasetVersion(name: "churn", digest: String(repeating: "c", count: 64)) == nil)
    }

    @Test(arguments: StoreFactory.allCases)
    func datasetVersionsFindTheActiveRunsThatUsedThem(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.make(directory)
        let short = String(repeating: "d", count: 36)
        let used = try await makeRun(store, name: "used", start: 10)
        let deleted = try await makeRun(store, name: "deleted", start: 20)
        _ = try await makeRun(store, name: "unrelated", start: 30)
        let input = DatasetInput(tags: [], dataset: Dataset(name: "mlflow-name", digest: short, sourceType: "local", source: "{}"))
        try await store.logInputs(runId: used.runId, datasets: [input], modelIds: [])
        try await store.logInputs(runId: deleted.runId, datasets: [input], modelIds: [])
        try await store.setRunLifecycle(id: deleted.runId, to: .deleted)
        let links = try await store.runs(usingDatasetDigests: [short, String(repeating: "d", count: 64)])
        #expect(links == [DatasetRunLink(runId: used.runId, experimentId: "0", runName: "used", status: .running,
                                         startTime: 10, datasetName: "mlflow-name")])
        #expect(try await store.runs(usingDatasetDigests: []).isEmpty)
    }
}

/// A small deterministic generator, so a "random" test fails the same way every time.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}


/// The registry store protocol's contract, through its API only: registered models, versions, aliases
/// with compare-and-set, the append-only history written in the same transaction, logged models.
@Suite("Registry store suite")
struct RegistryStoreSuite {
    typealias Store = any TrackingStore & DatasetStore & RegistryStore

    static func isConflict(_ error: any Error) -> Bool { (error as? YardError)?.code == .resourceConflict }
    static func isNotFound(_ error: any Error) -> Bool { (error as? YardError)?.code == .resourceDoesNotExist }

    func makeModel(_ store: Store, _ name: String) async throws {
        let now = Identifiers.nowMillis()
        try await store.createRegisteredModel(RegisteredModel(name: name, creationTimestamp: now, lastUpdatedTimestamp: now))
    }

    @discardableResult
    func makeVersion(_ store: Store, _ name: String, source: String = "models:/m-x") async throws -> ModelVersion {
        let now = Identifiers.nowMillis()
        return try await store.createModelVersion(
            ModelVersion(name: name, version: 0, creationTimestamp: now, lastUpdatedTimestamp: now, source: source),
            history: { [HistoryRecord(version: $0.version, action: .versionCreated, detail: "{}")] }, actor: "tester")
    }

    // MARK: Registered models

    @Test(arguments: StoreFactory.allCases)
    func registeredModelsAreCreatedRenamedAndDeleted(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.make(directory)
        try await makeModel(store, "alpha")
        #expect(try await store.registeredModel(name: "alpha").name == "alpha")
        await #expect { try await makeModel(store, "alpha") } throws: { (($0 as? YardError)?.code == .resourceAlreadyExists) }
        let id = try #require(try await store.registeredModelId(name: "alpha"))

        try await store.renameRegisteredModel(name: "alpha", to: "beta",
                                              history: [HistoryRecord(version: nil, action: .renamed, detail: "{}")], actor: "tester")
        await #expect { _ = try await store.registeredModel(name: "alpha") } throws: { Self.isNotFound($0) }
        #expect(try await store.registeredModel(name: "beta").name == "beta")
        #expect(try await store.registeredModelId(name: "beta") == id, "the stable id survives a rename")
        #expect(try await store.registeredModelId(name: "alpha") == nil)

        try await store.updateRegisteredModelDescription(name: "beta", description: "d")
        try await store.setRegisteredModelTag(name: "beta", tag: Tag(key: "k", value: "v"))
        var model = try await store.registeredModel(name: "beta")
        #expect(model.description == "d")
        #expect(model.tags == [Tag(key: "k", value: "v")])
        try await store.deleteRegisteredModelTag(name: "beta", key: "k")
        model = try await store.registeredModel(name: "beta")
        #expect(model.tags.isEmpty)

        try await store.deleteRegisteredModel(name: "beta", history: [HistoryRecord(version: nil, action: .modelDeleted, detail: "{}")],
                                              actor: "tester")
        await #expect { _ = try await store.registeredModel(name: "beta") } throws: { Self.isNotFound($0) }
        #expect(try await store.registeredModelId(name: "beta") == nil)
        #expect(try await store.deletedModelIds(name: "beta") == [id])
        // The history outlives the model, keyed by its id.
        #expect(try await store.history(modelId: id).map(\.action) == [.renamed, .modelDeleted])
    }

    @Test(arguments: StoreFactory.allCases)
    func registeredModelSearchPages(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.make(directory)
        let names = (0..<5).map { "model-\($0)" }
        for name in names.shuffled() { try await makeModel(store, name) }
        var seen: [String] = []
        var token: String?
        var pages = 0
        repeat {
            let page = try await store.searchRegisteredModels(RegistryQuery(maxResults: 2, pageToken: token))
            #expect(page.items.count <= 2)
            seen += page.items.map(\.name)
            token = page.nextPageToken
            pages += 1
        } while token != nil && pages < 10
        #expect(seen == names, "name order, every model once, no empty last page")
        #expect(pages == 3)
        // A caller of the protocol asking for a page size out of range still gets a bounded answer.
        #expect(try await store.searchRegisteredModels(RegistryQuery(maxResults: Int.max)).items.count == 5)

        for offset in ["9223372036854775807", "1e300", "-1"] {
            let token = Data("{\"offset\": \(offset)}".utf8).base64EncodedString()
            await #expect { _ = try await store.searchRegisteredModels(RegistryQuery(pageToken: token)) } throws: {
                ($0 as? YardError)?.code == .invalidParameterValue
            }
            await #expect { _ = try await store.searchModelVersions(RegistryQuery(pageToken: token)) } throws: {
                ($0 as? YardError)?.code == .invalidParameterValue
            }
            await #expect { _ = try await store.searchLoggedModels(LoggedModelQuery(experimentIds: ["0"], pageToken: token)) } throws: {
                ($0 as? YardError)?.code == .invalidParameterValue
            }
        }
    }

    // MARK: Versions

    @Test(arguments: StoreFactory.allCases)
    func versionsAreNumberedAndDeleted(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.make(directory)
        try await makeModel(store, "m")
        try await makeModel(store, "other")
        #expect(try await makeVersion(store, "m").version == 1)
        #expect(try await makeVersion(store, "m").version == 2)
        #expect(try await makeVersion(store, "other").version == 1, "numbering is per model")
        #expect(try await makeVersion(store, "m").version == 3)
        await #expect { try await makeVersion(store, "missing") } throws: { Self.isNotFound($0) }

        try await store.setAlias(name: "m", alias: "champion", version: 2, expected: .any, policy: .any,
                                 history: { _ in [] }, actor: "tester")
        let dropped = Mutex<[String]?>(nil)
        try await store.deleteModelVersion(name: "m", version: 2, policy: .any, history: { aliases in
            dropped.withLock { $0 = aliases }
            return [HistoryRecord(version: 2, action: .versionDeleted, detail: "{}")]
        }, actor: "tester")
        #expect(dropped.withLock { $0 } == ["champion"], "the history hears which aliases went with the version")
        await #expect { _ = try await store.modelVersion(name: "m", version: 2) } throws: { Self.isNotFound($0) }
        #expect(try await store.aliasHolder(name: "m", alias: "champion") == nil)
        #expect(try await makeVersion(store, "m").version == 4, "a deleted middle version's number is not reused")
        let listed = try await store.searchModelVersions(RegistryQuery(
            filter: [SearchClause(entity: .attribute, key: "name", comparator: .equal, value: .string("m"))]))
        #expect(Set(listed.items.map(\.version)) == [1, 3, 4])
    }

    // MARK: Aliases and history

    @Test(arguments: StoreFactory.allCases)
    func aliasMovesAreCompareAndSetAndAppendHistoryInTheSameTransaction(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.make(directory)
        try await makeModel(store, "m")
        try await makeVersion(store, "m")
        try await makeVersion(store, "m")
        let id = try #require(try await store.registeredModelId(name: "m"))
        let aliasRecord: @Sendable (Int64) -> @Sendable (Int64?) -> [HistoryRecord] = { version in
            { previous in [HistoryRecord(version: version, action: .aliasSet, detail: "{\"previous\":\(previous.map(String.init) ?? "null")}")] }
        }

        try await store.setAlias(name: "m", alias: "champion", version: 1, expected: .absent, policy: .any,
                                 history: aliasRecord(1), actor: "a")
        #expect(try await store.aliasHolder(name: "m", alias: "champion") == 1)
        #expect(try await store.version(name: "m", alias: "champion").version == 1)
        let before = try await store.history(modelId: id)

        // Stale expectations: a conflict, and nothing changes (alias nor history).
        for stale in [AliasExpectation.absent, .holds(2)] {
            await #expect { try await store.setAlias(name: "m", alias: "champion", version: 2, expected: stale, policy: .any,
                                                     history: aliasRecord(2), actor: "b") } throws: { Self.isConflict($0) }
        }
        await #expect { try await store.deleteAlias(name: "m", alias: "champion", expected: .holds(2), policy: .any,
                                                    history: { _ in [HistoryRecord(version: nil, action: .aliasDeleted, detail: "{}")] },
                                                    actor: "b") } throws: { Self.isConflict($0) }
        try await store.setPolicy(name: "m", document: "gates: []", history: [HistoryRecord(version: nil, action: .policySet, detail: "{}")],
                                  actor: "a")
        let withPolicy = try await store.history(modelId: id)
        await #expect { try await store.setAlias(name: "m", alias: "champion", version: 2, expected: .holds(1),
                                                 policy: .document(nil), history: aliasRecord(2), actor: "b") } throws: { Self.isConflict($0) }
        #expect(try await store.aliasHolder(name: "m", alias: "champion") == 1)
        #expect(try await store.history(modelId: id) == withPolicy)
        #expect(Array(withPolicy.prefix(before.count)) == before)

        // The current expectation goes through; the previous holder reaches the history closure.
        try await store.setAlias(name: "m", alias: "champion", version: 2, expected: .holds(1), policy: .document("gates: []"),
                                 history: aliasRecord(2), actor: "b")
        #expect(try await store.aliasHolder(name: "m", alias: "champion") == 2)
        try await store.deleteAlias(name: "m", alias: "champion", expected: .holds(2), policy: .any,
                                    history: { previous in [HistoryRecord(version: previous, action: .aliasDeleted, detail: "{}")] },
                                    actor: "c")
        #expect(try await store.aliasHolder(name: "m", alias: "champion") == nil)
        await #expect { _ = try await store.version(name: "m", alias: "champion") } throws: { Self.isNotFound($0) }

        // Append-only: every earlier entry is unchanged, sequences only grow.
        let after = try await store.history(modelId: id)
        #expect(Array(after.prefix(withPolicy.count)) == withPolicy)
        #expect(after.map(\.sequence) == after.map(\.sequence).sorted())
        #expect(Set(after.map(\.sequence)).count == after.count)
        #expect(after.map(\.action) == [.versionCreated, .versionCreated, .aliasSet, .policySet, .aliasSet, .aliasDeleted])
        #expect(after.map(\.actor) == ["tester", "tester", "a", "a", "b", "c"])
        #expect(after[4].detail == "{\"previous\":1}")
        #expect(after[5].version == 2)
        #expect(after.allSatisfy { $0.modelId == id && $0.modelName == "m" })
        try await store.appendHistory(name: "m", records: [HistoryRecord(version: 1, action: .promotionRefused, detail: "{}")], actor: "d")
        let appended = try await store.history(modelId: id)
        #expect(Array(appended.prefix(after.count)) == after)
        #expect(appended.last?.action == .promotionRefused)
    }

    // MARK: Logged models

    @Test(arguments: StoreFactory.allCases)
    func loggedModelsLiveAndPage(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.make(directory)
        let experimentId = try await store.createExperiment(name: "e", tags: []) { "root/\($0)" }
        func model(_ id: String, created: Int64) -> LoggedModel {
            LoggedModel(modelId: id, experimentId: experimentId, name: "n-\(id)", artifactLocation: "root/\(id)",
                        creationTimestamp: created, lastUpdatedTimestamp: created, status: .pending,
                        tags: [Tag(key: "t", value: "1")], params: [Param(key: "p", value: "1")])
        }
        for index in 0..<5 { try await store.createLoggedModel(model("m-\(index)", created: Int64(1000 + index))) }
        var stored = try await store.loggedModel(id: "m-0", allowDeleted: false)
        #expect(stored.name == "n-m-0")
        #expect(stored.status == .pending)
        #expect(stored.tags == [Tag(key: "t", value: "1")])
        #expect(stored.params == [Param(key: "p", value: "1")])

        stored = try await store.updateLoggedModelStatus(id: "m-0", status: .ready, message: nil)
        #expect(stored.status == .ready)
        try await store.setLoggedModelTags(id: "m-0", tags: [Tag(key: "u", value: "2")])
        try await store.deleteLoggedModelTag(id: "m-0", key: "t")
        try await store.logLoggedModelParams(id: "m-0", params: [Param(key: "q", value: "3")])
        stored = try await store.loggedModel(id: "m-0", allowDeleted: false)
        #expect(stored.tags == [Tag(key: "u", value: "2")])
        #expect(Set(stored.params.map(\.key)) == ["p", "q"])
        await #expect { try await store.deleteLoggedModelTag(id: "m-0", key: "absent") } throws: { Self.isNotFound($0) }

        var seen: [String] = []
        var token: String?
        repeat {
            let page = try await store.searchLoggedModels(LoggedModelQuery(experimentIds: [experimentId], maxResults: 2, pageToken: token))
            seen += page.items.map(\.modelId)
            token = page.nextPageToken
        } while token != nil && seen.count < 20
        #expect(seen == ["m-4", "m-3", "m-2", "m-1", "m-0"], "newest first by default, each once")

        try await store.deleteLoggedModel(id: "m-1")
        await #expect { _ = try await store.loggedModel(id: "m-1", allowDeleted: false) } throws: { Self.isNotFound($0) }
        #expect(try await store.loggedModel(id: "m-1", allowDeleted: true).lifecycleStage == .deleted)
        #expect(try await store.searchLoggedModels(LoggedModelQuery(experimentIds: [experimentId])).items.map(\.modelId)
                == ["m-4", "m-3", "m-2", "m-0"])

        // The experiment checks are the tracking store's, typed the same way.
        await #expect(throws: TrackingStoreError.experimentNotFound(id: "999")) {
            try await store.createLoggedModel(LoggedModel(modelId: "m-x", experimentId: "999", name: "x", artifactLocation: "x",
                                                          creationTimestamp: 1, lastUpdatedTimestamp: 1, status: .pending))
        }
        try await store.setExperimentLifecycle(id: experimentId, to: .deleted)
        await #expect(throws: TrackingStoreError.experimentNotActive(id: experimentId, stage: .deleted)) {
            try await store.createLoggedModel(model("m-y", created: 1))
        }
    }

    @Test(arguments: StoreFactory.allCases)
    func runAndExperimentLookupsAndRunTagUpdatesAreTyped(_ factory: StoreFactory) async throws {
        let directory = TemporaryDirectory()
        let store = try await factory.make(directory)
        await #expect(throws: TrackingStoreError.runNotFound(id: "nope")) { _ = try await store.run(id: "nope") }
        await #expect(throws: TrackingStoreError.experimentNotFound(id: "999")) { _ = try await store.experiment(id: "999") }
        await #expect(throws: TrackingStoreError.experimentNotFound(id: "x")) { _ = try await store.experiment(id: "x") }
        await #expect(throws: TrackingStoreError.runNotFound(id: "nope")) {
            try await store.updateRunTag(runId: "nope", key: "k") { _ in "v" }
        }
        let info = RunInfo(runId: Identifiers.newRunId(), runName: "r", experimentId: "0", userId: "u", status: .running,
                           startTime: 1, endTime: nil, artifactUri: "a", lifecycleStage: .active)
        try await store.createRun(info, tags: [])
        try await store.updateRunTag(runId: info.runId, key: "k") { existing in
            #expect(existing == nil)
            return "1"
        }
        try await store.updateRunTag(runId: info.runId, key: "k") { ($0 ?? "") + "2" }
        #expect(try await store.run(id: info.runId).tags.first { $0.key == "k" }?.value == "12")
        try await store.setRunLifecycle(id: info.runId, to: .deleted)
        await #expect(throws: TrackingStoreError.runNotActive(id: info.runId, stage: .deleted)) {
            try await store.updateRunTag(runId: info.runId, key: "k") { _ in "3" }
        }
    }
}
