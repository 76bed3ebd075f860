import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import YardCore
import YardJSON
@testable import YardClient
@testable import YardData
@testable import YardServer

/// The native object and dataset API through the real router, and `yard data push/pull` against a live server.
@Suite("Data: server object API and dataset registry")
struct DataServerTests {
    let directory = TemporaryDirectory()

    func withClient(_ mode: TestingSetup = .router, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let configuration = ServerConfiguration(port: 0, dataDirectory: directory.path)
        let app = try await buildApplication(configuration)
        try await app.test(mode) { client in try await body(client) }
    }

    static let jsonHeaders: HTTPFields = [.contentType: "application/json"]

    func call(_ client: any TestClientProtocol, _ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil) async throws -> (status: Int, json: JSONValue) {
        try await client.execute(uri: uri, method: method, headers: Self.jsonHeaders, body: body.map { ByteBuffer(string: $0) }) { response in
            (Int(response.status.code), try JSONParser.parse(Array(response.body.readableBytesView)))
        }
    }

    @Test func objectsAreVerifiedOnArrivalAndListedAsMissing() async throws {
        try await withClient { client in
            let content = "hello objects"
            let digest = ContentDigest.of(Array(content.utf8))
            let other = ContentDigest.of(Array("other".utf8))
            let missing = try await call(client, .post, "/api/v1/objects/missing", #"{"digests":["\#(digest.hex)","sha256:\#(other.hex)"]}"#)
            #expect(missing.status == 200)
            #expect(missing.json["missing"] == .array([.string(digest.hex), .string(other.hex)]))

            let wrong = try await client.execute(uri: "/api/v1/objects/\(other.hex)", method: .put, body: ByteBuffer(string: content)) { response in
                (Int(response.status.code), try JSONParser.parse(Array(response.body.readableBytesView)))
            }
            #expect(wrong.0 == 400)
            #expect(wrong.1["error_code"] == .string("INVALID_PARAMETER_VALUE"))

            let stored = try await client.execute(uri: "/api/v1/objects/\(digest.hex)", method: .put, body: ByteBuffer(string: content)) { Int($0.status.code) }
            #expect(stored == 201)
            let again = try await client.execute(uri: "/api/v1/objects/\(digest.hex)", method: .put, body: ByteBuffer(string: content)) { Int($0.status.code) }
            #expect(again == 200)

            let fetched = try await client.execute(uri: "/api/v1/objects/\(digest.hex)", method: .get) { response in
                String(buffer: response.body)
            }
            #expect(fetched == content)
            let after = try await call(client, .post, "/api/v1/objects/missing", #"{"digests":["\#(digest.hex)","\#(other.hex)"]}"#)
            #expect(after.json["missing"] == .array([.string(other.hex)]))

            let absent = try await call(client, .get, "/api/v1/objects/\(other.hex)")
            #expect(absent.status == 404)
            #expect(absent.json["error_code"] == .string("RESOURCE_DOES_NOT_EXIST"))
            let invalid = try await call(client, .get, "/api/v1/objects/not-a-digest")
            #expect(invalid.status == 400)
            let malformed = try await call(client, .post, "/api/v1/objects/missing", #"{"digests": 3}"#)
            #expect(malformed.status == 400)
        }
        // Nothing partial was left in the store.
        let store = try ObjectCache(root: directory.path + "/objects")
        #expect(try store.allObjects().count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path + "/objects/tmp").isEmpty)
    }

    @Test func datasetsRegisterListAndLinkToRuns() async throws {
        try await withClient { client in
            let digest = ContentDigest.of(Array("a,b\n1,2\n".utf8))
            let profile = #"{"rows":1,"columns":[{"name":"a","type":"integer","nulls":0,"min":1,"max":1,"mean":1}]}"#
            let body = #"{"name":"churn-train","digest":"\#(digest.description)","kind":"file","size":8,"files":1,"source":"data/train.csv","profile":\#(profile)}"#
            let registered = try await call(client, .post, "/api/v1/datasets", body)
            #expect(registered.status == 200)
            let version = try #require(registered.json["dataset_version"])
            #expect(version["short_digest"] == .string(digest.shortForm))
            #expect(version["digest"] == .string(digest.hex))
            #expect(version["profile"]?["rows"] == .number("1"))
            // Idempotent.
            #expect(try await call(client, .post, "/api/v1/datasets", body).status == 200)

            let list = try await call(client, .get, "/api/v1/datasets")
            #expect(list.json["datasets"] == .array([.object([
                ("name", .string("churn-train")), ("version_count", .number("1")), ("latest_version", version)])]))
            let one = try await call(client, .get, "/api/v1/datasets/churn-train")
            #expect(one.json["versions"] == .array([version]))
            #expect(try await call(client, .get, "/api/v1/datasets/churn-train/versions/\(digest.shortForm)").json["dataset_version"] == version)
            #expect(try await call(client, .get, "/api/v1/datasets/churn-train/versions/sha256:\(digest.hex)").status == 200)
            #expect(try await call(client, .get, "/api/v1/datasets/nope").status == 404)
            #expect(try await call(client, .get, "/api/v1/datasets/churn-train/versions/\(String(repeating: "0", count: 64))").status == 404)
            #expect(try await call(client, .post, "/api/v1/datasets", #"{"name":"bad name!","digest":"\#(digest.hex)","size":1,"files":1}"#).status == 400)
            #expect(try await call(client, .post, "/api/v1/datasets", #"{"name":"x","digest":"abc","size":1,"files":1}"#).status == 400)

            // A run logs the short digest through MLflow's log-inputs, as mlflow.log_input does.
            let created = try await call(client, .post, "/api/2.0/mlflow/runs/create", #"{"experiment_id":"0","run_name":"train-1","start_time":"1700000000000"}"#)
            guard case .string(let runId)? = created.json["run"]?["info"]?["run_id"] else {
                Issue.record("no run id")
                return
            }
            let logged = try await call(client, .post, "/api/2.0/mlflow/runs/log-inputs",
                                        #"{"run_id":"\#(runId)","datasets":[{"dataset":{"name":"churn-train","digest":"\#(digest.shortForm)","source_type":"local","source":"data/train.csv"}}]}"#)
            #expect(logged.status == 200)
            let runs = try await call(client, .get, "/api/v1/datasets/churn-train/versions/\(digest.shortForm)/runs")
            #expect(runs.status == 200)
            guard case .array(let items)? = runs.json["runs"] else {
                Issue.record("no runs")
                return
            }
            #expect(items.count == 1)
            #expect(items.first?["run_id"] == .string(runId))
            #expect(items.first?["run_name"] == .string("train-1"))
        }
    }

    @Test func pushAndPullThroughALiveServer() async throws {
        try await withClient(.live) { client in
            let port = try #require(client.port)
            let remote = try ServerRemote(baseURL: "http://127.0.0.1:\(port)")
            let origin = try DataTestRepository(maxLeafEntries: 8)
            for index in 0..<40 { origin.write("data/f\(index).txt", String(repeating: "line \(index)\n", count: index + 1)) }
            _ = try origin.repository.add("data", from: origin.root)
            let pushed = try await origin.repository.push(to: remote, from: origin.root)
            #expect(pushed.transferred > 40)
            #expect(try await origin.repository.push(to: remote, from: origin.root).transferred == 0)

            let clone = try DataTestRepository()
            try FileManager.default.copyItem(atPath: origin.root + "/data.yard", toPath: clone.root + "/data.yard")
            let (fetched, checkedOut) = try await clone.repository.pull(from: remote, from: clone.root)
            #expect(fetched.transferred == pushed.transferred)
            #expect(checkedOut.restored == 40)
            #expect(clone.read("data/f3.txt") == "line 3\nline 3\nline 3\nline 3\n")

            let registered = try await DatasetClient(baseURL: "http://127.0.0.1:\(port)").register(DatasetRegistration(
                name: "images", digest: try #require(try? PointerFile.load(origin.root + "/data.yard", displayPath: "p")).digest.description,
                kind: "directory", size: 1, files: 40, source: "data", profile: nil))
            #expect(registered.shortDigest.count == 36)
        }
    }

    @Test func unreachableServerIsAClearError() async throws {
        let remote = try ServerRemote(baseURL: "http://127.0.0.1:1")
        await #expect(throws: YardError.self) { try await remote.missing([ContentDigest.of([1])]) }
        #expect(throws: YardError.self) { try ServerRemote(baseURL: "ftp://nope") }
    }
}
