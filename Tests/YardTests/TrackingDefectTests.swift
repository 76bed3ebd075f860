import Foundation
import Testing
import YardCore
@testable import YardStore
@testable import YardTracking

/// Regression tests for defects found in review: each one crashed the server, leaked server folders or
/// turned a client mistake into a 500.
@Suite("Tracking defect regressions")
struct TrackingDefectTests {
    let directory = TemporaryDirectory()

    func service(_ factory: StoreFactory) async throws -> TrackingService {
        TrackingService(store: try await factory.make(directory), defaultArtifactRoot: "mlflow-artifacts:/")
    }

    func expectInvalid(naming parameter: String, _ body: () async throws -> Void,
                       sourceLocation: SourceLocation = #_sourceLocation) async {
        do {
            try await body()
            Issue.record("expected INVALID_PARAMETER_VALUE naming \(parameter)", sourceLocation: sourceLocation)
        } catch let error as YardError {
            #expect(error.code == .invalidParameterValue, "\(error)", sourceLocation: sourceLocation)
            #expect(error.message.contains(parameter), "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected a YardError, got \(error)", sourceLocation: sourceLocation)
        }
    }

    // MARK: metrics/get-history

    @Test(arguments: StoreFactory.allCases)
    func metricHistoryRejectsOverflowingAndNonPositiveMaxResults(_ factory: StoreFactory) async throws {
        let tracking = try await service(factory)
        let run = try await tracking.createRun(experimentId: "0", userId: nil, runName: nil, startTime: nil, tags: [])
        try await tracking.logMetric(runId: run.info.runId, metric: Metric(key: "m", value: 1, timestamp: 1))
        for bad: Int64 in [Int64.max, Int64.max - 1, 1 << 40, 0, -1, Int64.min] {
            await expectInvalid(naming: "max_results") {
                _ = try await tracking.metricHistory(runId: run.info.runId, key: "m", maxResults: bad, pageToken: nil)
            }
        }
    }

    @Test(arguments: StoreFactory.allCases)
    func metricHistoryWithoutMaxResultsIsPagedAndTokensReachEveryPoint(_ factory: StoreFactory) async throws {
        let tracking = try await service(factory)
        let run = try await tracking.createRun(experimentId: "0", userId: nil, runName: nil, startTime: nil, tags: [])
        let total = 25_000 + 1_234
        var batch: [Metric] = []
        for index in 0..<total {
            batch.append(Metric(key: "loss", value: Double(index), timestamp: Int64(index), step: Int64(index)))
            if batch.count == 1000 {
                try await tracking.logBatch(runId: run.info.runId, metrics: batch, params: [], tags: [])
                batch = []
            }
        }
        if !batch.isEmpty { try await tracking.logBatch(runId: run.info.runId, metrics: batch, params: [], tags: []) }

        let first = try await tracking.metricHistory(runId: run.info.runId, key: "loss", maxResults: nil, pageToken: nil)
        #expect(first.items.count == 25_000, "an unbounded history must be capped at one page")
        #expect(first.nextPageToken != nil)
        var steps = first.items.map(\.step)
        var token = first.nextPageToken
        while let current = token {
            let page = try await tracking.metricHistory(runId: run.info.runId, key: "loss", maxResults: nil, pageToken: current)
            steps += page.items.map(\.step)
            token = page.nextPageToken
        }
        #expect(steps == (0..<Int64(total)).map { $0 })
    }

    @Test(arguments: StoreFactory.allCases)
    func pageTokensWithHugeOffsetsAreHandled(_ factory: StoreFactory) async throws {
        let tracking = try await service(factory)
        let run = try await tracking.createRun(experimentId: "0", userId: nil, runName: nil, startTime: nil, tags: [])
        try await tracking.logMetric(runId: run.info.runId, metric: Metric(key: "m", value: 1, timestamp: 1))
        for offset in ["9223372036854775807", "9223372036854775000", "1e300", "18446744073709551616"] {
            let token = Data("{\"offset\": \(offset)}".utf8).base64EncodedString()
            // Either an empty page or a 400 for the token; never a trap.
            do {
                let page = try await tracking.metricHistory(runId: run.info.runId, key: "m", maxResults: 10, pageToken: token)
                #expect(page.items.isEmpty)
                #expect(page.nextPageToken == nil)
            } catch let error as YardError {
                #expect(error.code == .invalidParameterValue)
            }
            do {
                let page = try await tracking.searchRuns(experimentIds: ["0"], filter: nil, orderBy: [], viewType: .all,
                                                         maxResults: 50_000, pageToken: token)
                #expect(page.items.isEmpty)
            } catch let error as YardError {
                #expect(error.code == .invalidParameterValue)
            }
            do {
                let page = try await tracking.searchExperiments(filter: nil, orderBy: [], viewType: .all,
                                                                maxResults: 50_000, pageToken: token)
                #expect(page.items.isEmpty)
            } catch let error as YardError {
                #expect(error.code == .invalidParameterValue)
            }
        }
    }

    // MARK: artifact_location

    @Test(arguments: StoreFactory.allCases)
    func experimentArtifactLocationOutsideTheRootIsRefused(_ factory: StoreFactory) async throws {
        let tracking = try await service(factory)
        for location in ["file:///etc?", "file:///etc", "/etc", "file:///etc#x", "mlflow-artifacts:/x?y=1",
                         "mlflow-artifacts:/../../etc", "s3://bucket/path", "relative/folder"] {
            await expectInvalid(naming: "artifact_location") {
                _ = try await tracking.createExperiment(name: "e-\(UUID().uuidString)", artifactLocation: location, tags: [])
            }
        }
        let id = try await tracking.createExperiment(name: "proxied", artifactLocation: "mlflow-artifacts:/team/a", tags: [])
        #expect(try await tracking.experiment(id: id).artifactLocation == "mlflow-artifacts:/team/a")
    }

    @Test(arguments: StoreFactory.allCases)
    func experimentArtifactLocationInsideAConfiguredRootIsAccepted(_ factory: StoreFactory) async throws {
        let root = directory.file("artifacts")
        let extra = directory.file("shared")
        let tracking = TrackingService(store: try await factory.make(directory), defaultArtifactRoot: "mlflow-artifacts:/",
                                       artifactRootPath: root, extraArtifactRoots: [extra])
        let inside = try await tracking.createExperiment(name: "inside", artifactLocation: "file://\(root)/team", tags: [])
        #expect(try await tracking.experiment(id: inside).artifactLocation == "file://\(root)/team")
        let plain = try await tracking.createExperiment(name: "plain", artifactLocation: "\(extra)/x", tags: [])
        #expect(try await tracking.experiment(id: plain).artifactLocation == "\(extra)/x")
        for location in ["file://\(root)/../escape", "file://\(root)-sibling/x", "\(root)/a/../../x", "file://\(root)/x?y",
                         "file://\(root)/%2e%2e/escape", "file://otherhost\(root)/x", "file:///etc", "/etc/passwd"] {
            await expectInvalid(naming: "artifact_location") {
                _ = try await tracking.createExperiment(name: "e-\(UUID().uuidString)", artifactLocation: location, tags: [])
            }
        }
    }

    // MARK: search limits

    @Test(arguments: StoreFactory.allCases)
    func hugeRunFiltersAreClientErrors(_ factory: StoreFactory) async throws {
        let tracking = try await service(factory)
        let manyClauses = (0..<1_200).map { "params.p\($0) = 'x'" }.joined(separator: " AND ")
        await expectInvalid(naming: "filter") {
            _ = try await tracking.searchRuns(experimentIds: ["0"], filter: manyClauses, orderBy: [], viewType: .all,
                                              maxResults: nil, pageToken: nil)
        }
        let hugeList = "attributes.run_id IN (" + (0..<40_000).map { "'r\($0)'" }.joined(separator: ", ") + ")"
        await expectInvalid(naming: "filter") {
            _ = try await tracking.searchRuns(experimentIds: ["0"], filter: hugeList, orderBy: [], viewType: .all,
                                              maxResults: nil, pageToken: nil)
        }
    }

    @Test func filtersAtTheLimitsStillParse() throws {
        let hundred = (0..<Validation.maxFilterClauses).map { "params.p\($0) = 'x'" }.joined(separator: " AND ")
        #expect(try SearchGrammar.parseRunFilter(hundred).count == Validation.maxFilterClauses)
        let list = "attributes.run_id IN (" + (0..<Validation.maxFilterListValues).map { "'r\($0)'" }.joined(separator: ", ") + ")"
        #expect(try SearchGrammar.parseRunFilter(list).count == 1)
        let twoLists = list + " AND " + list.replacingOccurrences(of: "IN", with: "NOT IN")
        #expect(throws: YardError.self) { try SearchGrammar.parseRunFilter(twoLists) }
    }

    @Test(arguments: StoreFactory.allCases)
    func hugeExperimentFiltersAreClientErrors(_ factory: StoreFactory) async throws {
        let tracking = try await service(factory)
        let manyClauses = (0..<1_200).map { "tags.t\($0) = 'x'" }.joined(separator: " AND ")
        await expectInvalid(naming: "filter") {
            _ = try await tracking.searchExperiments(filter: manyClauses, orderBy: [], viewType: .all, maxResults: nil, pageToken: nil)
        }
        let hugeList = "attribute.experiment_id IN (" + (0..<40_000).map { "'\($0)'" }.joined(separator: ", ") + ")"
        await expectInvalid(naming: "filter") {
            _ = try await tracking.searchExperiments(filter: hugeList, orderBy: [], viewType: .all, maxResults: nil, pageToken: nil)
        }
    }
}
