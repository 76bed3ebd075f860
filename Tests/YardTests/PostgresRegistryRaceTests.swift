import Foundation
import Synchronization
import Testing
import YardCore
import YardPostgres
import YardStore

/// Two "replicas" (two PostgresStore instances, two connection pools) on one schema racing the writes the
/// registry must serialise: version numbering and alias compare-and-set. Only the database can order them.
@Suite("PostgreSQL registry races", .enabled(if: PostgresTestCluster.isConfigured, "needs YARD_TEST_POSTGRES_URL"))
struct PostgresRegistryRaceTests {
    func replicas(_ directory: TemporaryDirectory) async throws -> (PostgresStore, PostgresStore) {
        let url = try PostgresTestCluster.storeURL(for: directory)
        let first = try await PostgresStore(url: url)
        let second = try await PostgresStore(url: url)
        return (first, second)
    }

    func makeModel(_ store: PostgresStore, _ name: String) async throws {
        try await store.createRegisteredModel(RegisteredModel(name: name, creationTimestamp: 1, lastUpdatedTimestamp: 1))
    }

    func version(_ name: String) -> ModelVersion {
        ModelVersion(name: name, version: 0, creationTimestamp: 1, lastUpdatedTimestamp: 1, currentStage: .none,
                     description: "", source: "s3://bucket/model")
    }

    @Test func concurrentVersionsAcrossReplicasAreNumberedWithoutGapsOrDuplicates() async throws {
        let directory = TemporaryDirectory()
        let (a, b) = try await replicas(directory)
        defer { a.close(); b.close() }
        try await makeModel(a, "m")
        let created = try await withThrowingTaskGroup(of: Int64.self) { group in
            for index in 0..<20 {
                let store = index.isMultiple(of: 2) ? a : b
                let request = version("m")
                group.addTask {
                    try await store.createModelVersion(request, history: { stored in
                        [HistoryRecord(version: stored.version, action: .versionCreated, detail: "{}")]
                    }, actor: "replica-\(index % 2)").version
                }
            }
            var numbers: [Int64] = []
            for try await number in group { numbers.append(number) }
            return numbers
        }
        #expect(created.sorted() == Array(1...20), "each call got its own number, no gap, no duplicate")
        let stored = try await b.searchModelVersions(RegistryQuery(maxResults: 100)).items.map(\.version)
        #expect(stored.sorted() == Array(1...20))
        let modelId = try #require(try await a.registeredModelId(name: "m"))
        let history = try await a.history(modelId: modelId)
        #expect(history.allSatisfy { $0.action == .versionCreated })
        #expect(history.compactMap(\.version).sorted() == Array(1...20), "exactly one versionCreated entry per version")
        #expect(history.count == 20)
    }

    @Test func racingCompareAndSetAliasMovesOnTwoReplicasLetExactlyOneThrough() async throws {
        let directory = TemporaryDirectory()
        let (a, b) = try await replicas(directory)
        defer { a.close(); b.close() }
        try await makeModel(a, "m")
        for _ in 0..<3 {
            _ = try await a.createModelVersion(version("m"), history: { _ in [] }, actor: "setup")
        }
        try await a.setAlias(name: "m", alias: "champion", version: 1, expected: .absent, policy: .any, history: { _ in [] }, actor: "setup")
        let modelId = try #require(try await a.registeredModelId(name: "m"))
        #expect(try await a.history(modelId: modelId).isEmpty)

        enum Outcome: Sendable, Equatable { case moved(Int64), conflict, other(String) }
        let outcomes = try await withThrowingTaskGroup(of: Outcome.self) { group in
            for (store, target) in [(a, Int64(2)), (b, Int64(3))] {
                group.addTask {
                    do {
                        try await store.setAlias(name: "m", alias: "champion", version: target, expected: .holds(1), policy: .any,
                                                 history: { previous in
                                                     [HistoryRecord(version: target, action: .aliasSet,
                                                                    detail: "{\"previous\":\(previous.map(String.init) ?? "null")}")]
                                                 }, actor: "replica-\(target)")
                        return .moved(target)
                    } catch let error as YardError where error.code == .resourceConflict {
                        return .conflict
                    } catch {
                        return .other("\(error)")
                    }
                }
            }
            var all: [Outcome] = []
            for try await outcome in group { all.append(outcome) }
            return all
        }
        let winners = outcomes.compactMap { outcome -> Int64? in
            if case .moved(let target) = outcome { return target }
            return nil
        }
        #expect(winners.count == 1, "\(outcomes)")
        #expect(outcomes.filter { $0 == .conflict }.count == 1, "the loser gets RESOURCE_CONFLICT: \(outcomes)")
        let winner = try #require(winners.first)
        #expect(try await b.aliasHolder(name: "m", alias: "champion") == winner)
        let history = try await b.history(modelId: modelId)
        #expect(history.count == 1, "exactly one alias entry: \(history)")
        #expect(history.first?.action == .aliasSet)
        #expect(history.first?.version == winner)
        #expect(history.first?.detail == "{\"previous\":1}")
    }
}
