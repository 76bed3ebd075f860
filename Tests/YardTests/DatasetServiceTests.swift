import Foundation
import Testing
import YardCore
import YardStore
import YardTracking

@Suite("Dataset service")
struct DatasetServiceTests {
    let directory = TemporaryDirectory()
    let digest = String(repeating: "ab", count: 32)

    func request(name: String? = "churn", digest: String? = nil, kind: String? = nil, size: String? = "10",
                 files: String? = "1", profile: DatasetProfile? = nil) -> DatasetRegistrationRequest {
        DatasetRegistrationRequest(name: name, digest: digest ?? "sha256:" + self.digest, kind: kind, size: size, files: files,
                                   source: "data/churn.csv", profile: profile)
    }

    func expectInvalid(_ message: String, _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async {
        do {
            try await body()
            Issue.record("expected \(message)", sourceLocation: sourceLocation)
        } catch let error as YardError {
            #expect(error.code == .invalidParameterValue, sourceLocation: sourceLocation)
            #expect(error.message == message, sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected a YardError, got \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test(arguments: StoreFactory.allCases)
    func registersLooksUpAndLinksRuns(_ factory: StoreFactory) async throws {
        let store = try await factory.make(directory)
        let service = DatasetService(store: store)
        let profile = DatasetProfile(rows: 1, columns: [.init(name: "a", type: "integer", nulls: 0, min: 1, max: 1, mean: 1)])
        let version = try await service.register(request(digest: digest.uppercased(), profile: profile), now: 7)
        #expect(version.digest == digest)
        #expect(version.shortDigest == String(digest.prefix(36)))
        #expect(version.kind == .file)
        #expect(version.createdAt == 7)
        #expect(version.profile == profile)
        #expect(try await service.version(name: "churn", digest: "sha256:" + digest) == version)
        #expect(try await service.version(name: "churn", digest: String(digest.prefix(36)).uppercased()) == version)
        #expect(try await service.versions(name: "churn") == [version])
        #expect(try await service.summaries().map(\.name) == ["churn"])

        let run = RunInfo(runId: Identifiers.newRunId(), runName: "r", experimentId: "0", userId: "u", status: .finished,
                          startTime: 5, endTime: 6, artifactUri: "mlflow-artifacts:/0/r/artifacts", lifecycleStage: .active)
        try await store.createRun(run, tags: [])
        try await store.logInputs(runId: run.runId, datasets: [DatasetInput(tags: [], dataset: Dataset(
            name: "churn", digest: version.shortDigest, sourceType: "local", source: "{}"))], modelIds: [])
        let links = try await service.runs(name: "churn", digest: digest)
        #expect(links.map(\.runId) == [run.runId])
        #expect(links.first?.status == .finished)
    }

    @Test func refusesBadRegistrations() async throws {
        let service = DatasetService(store: try await StoreFactory.sqlite.make(directory))
        await expectInvalid("Missing value for required parameter 'name'. See the API docs for more information about request parameters.") {
            _ = try await service.register(request(name: nil))
        }
        await expectInvalid("Invalid dataset name 'bad name!': use 1-200 letters, digits, '.', '_' or '-', not starting with '.'.") {
            _ = try await service.register(request(name: "bad name!"))
        }
        await expectInvalid("Invalid digest 'abc': expected sha256:<64 hex characters>.") {
            _ = try await service.register(request(digest: "abc"))
        }
        await expectInvalid("'kind' must be \"file\" or \"directory\".") {
            _ = try await service.register(request(kind: "folder"))
        }
        await expectInvalid("'size' must be a non-negative integer.") {
            _ = try await service.register(request(size: "-1"))
        }
        await expectInvalid("'files' must be a non-negative integer.") {
            _ = try await service.register(request(files: "1.5"))
        }
        await expectInvalid("Invalid digest 'xyz': use the 64-hex SHA-256 (optionally sha256:-prefixed) or its first 36 hex characters.") {
            _ = try await service.version(name: "churn", digest: "xyz")
        }
        do {
            _ = try await service.versions(name: "nope")
            Issue.record("expected not found")
        } catch let error as YardError {
            #expect(error == YardError.notFound("Dataset 'nope' is not registered."))
        }
        let directoryVersion = try await service.register(request(kind: "directory", files: "12"))
        #expect(directoryVersion.kind == .directory)
        #expect(directoryVersion.files == 12)
    }
}
