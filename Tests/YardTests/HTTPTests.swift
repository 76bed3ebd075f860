import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import YardJSON
@testable import YardServer

/// Drives the real router, middleware and SQLite store through Hummingbird's test client.
@Suite("MLflow HTTP API")
struct HTTPTests {
    let directory = TemporaryDirectory()

    func withClient(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let configuration = ServerConfiguration(port: 0, dataDirectory: directory.path)
        let app = try await buildApplication(configuration)
        try await app.test(.router) { client in try await body(client) }
    }

    static let jsonHeaders: HTTPFields = [.contentType: "application/json"]

    func post(_ client: any TestClientProtocol, _ path: String, _ body: String) async throws -> (status: Int, json: JSONValue) {
        try await client.execute(uri: "/api/2.0/mlflow" + path, method: .post, headers: Self.jsonHeaders,
                                 body: ByteBuffer(string: body)) { response in
            (Int(response.status.code), try JSONParser.parse(Array(response.body.readableBytesView)))
        }
    }

    func get(_ client: any TestClientProtocol, _ uri: String) async throws -> (status: Int, json: JSONValue) {
        try await client.execute(uri: uri, method: .get) { response in
            (Int(response.status.code), try JSONParser.parse(Array(response.body.readableBytesView)))
        }
    }

    @Test func experimentRoundTripAndErrors() async throws {
        try await withClient { client in
            let created = try await post(client, "/experiments/create", #"{"name":"exp one"}"#)
            #expect(created.status == 200)
            #expect(created.json["experiment_id"] == .string("1"))

            let byName = try await get(client, "/api/2.0/mlflow/experiments/get-by-name?experiment_name=exp+one")
            #expect(byName.json["experiment"]?["name"] == .string("exp one"))
            #expect(byName.json["experiment"]?["artifact_location"] == .string("mlflow-artifacts:/1"))

            let duplicate = try await post(client, "/experiments/create", #"{"name":"exp one"}"#)
            #expect(duplicate.status == 400)
            #expect(duplicate.json["error_code"] == .string("RESOURCE_ALREADY_EXISTS"))

            let missing = try await get(client, "/api/2.0/mlflow/experiments/get-by-name?experiment_name=nope")
            #expect(missing.status == 404)
            #expect(missing.json["error_code"] == .string("RESOURCE_DOES_NOT_EXIST"))

            let ajax = try await get(client, "/ajax-api/2.0/mlflow/experiments/get?experiment_id=0")
            #expect(ajax.json["experiment"]?["name"] == .string("Default"))
        }
    }

    @Test func malformedRequestsAreClientErrors() async throws {
        try await withClient { client in
            let malformed = try await post(client, "/experiments/create", #"{"name": "#)
            #expect(malformed.status == 400)
            #expect(malformed.json["error_code"] == .string("BAD_REQUEST"))

            let wrongType = try await post(client, "/experiments/create", #"{"name": 31}"#)
            #expect(wrongType.status == 400)
            if case .string(let message)? = wrongType.json["message"] {
                #expect(message.contains("Invalid value 31 for parameter 'name' supplied"))
            } else {
                Issue.record("no message")
            }

            let missingField = try await post(client, "/runs/log-metric", #"{"run_id":"abc","key":"m","value":1}"#)
            #expect(missingField.status == 400)
            #expect(missingField.json["message"] == .string("Missing value for required parameter 'timestamp'. See the API docs for more information about request parameters."))

            let noContentType = try await client.execute(uri: "/api/2.0/mlflow/experiments/create", method: .post,
                                                         body: ByteBuffer(string: #"{"name":"x"}"#)) { Int($0.status.code) }
            #expect(noContentType == 400)

            let missingRun = try await get(client, "/api/2.0/mlflow/runs/get?run_id=0123456789abcdef")
            #expect(missingRun.status == 404)
            #expect(missingRun.json["message"] == .string("Run with id=0123456789abcdef not found"))
        }
    }

    @Test func runLoggingThroughHTTP() async throws {
        try await withClient { client in
            let created = try await post(client, "/runs/create", #"{"experiment_id":"0","run_name":"r","start_time":"1700000000000"}"#)
            guard case .string(let runId)? = created.json["run"]?["info"]?["run_id"] else {
                Issue.record("no run id in \(created.json)")
                return
            }
            #expect(created.json["run"]?["info"]?["start_time"] == .number("1700000000000"))
            let batch = try await post(client, "/runs/log-batch", """
                {"run_id":"\(runId)","metrics":[{"key":"loss","value":"NaN","timestamp":1,"step":0},{"key":"loss","value":0.25,"timestamp":2,"step":1}],
                 "params":[{"key":"alpha","value":"0.5"}],"tags":[{"key":"t","value":""}]}
                """)
            #expect(batch.status == 200)
            #expect(batch.json == .object([]))
            let history = try await get(client, "/api/2.0/mlflow/metrics/get-history?run_id=\(runId)&metric_key=loss")
            #expect(history.json["metrics"] == .array([
                .object([("key", .string("loss")), ("value", .string("NaN")), ("timestamp", .number("1")), ("step", .number("0"))]),
                .object([("key", .string("loss")), ("value", .number("0.25")), ("timestamp", .number("2")), ("step", .number("1"))]),
            ]))
            let changed = try await post(client, "/runs/log-parameter", #"{"run_id":"\#(runId)","key":"alpha","value":"0.6"}"#)
            #expect(changed.status == 400)
            let finished = try await post(client, "/runs/update", #"{"run_id":"\#(runId)","status":"FINISHED","end_time":5}"#)
            #expect(finished.json["run_info"]?["status"] == .string("FINISHED"))
            let search = try await post(client, "/runs/search", #"{"experiment_ids":["0"],"filter":"params.alpha = '0.5' AND attributes.status = 'FINISHED'"}"#)
            if case .array(let runs)? = search.json["runs"] {
                #expect(runs.count == 1)
            } else {
                Issue.record("search returned \(search.json)")
            }
            let badFilter = try await post(client, "/runs/search", #"{"experiment_ids":["0"],"filter":"params.a = '1' OR params.b = '2'"}"#)
            #expect(badFilter.status == 400)
            #expect(badFilter.json["message"] == .string("Invalid clause(s) in filter string: 'OR'"))
        }
    }

    @Test func lowerCamelFieldNamesAreAcceptedAndDoublesAreRefused() async throws {
        try await withClient { client in
            let created = try await post(client, "/runs/create", #"{"experimentId":"0","runName":"camel"}"#)
            #expect(created.json["run"]?["info"]?["run_name"] == .string("camel"))
            let both = try await post(client, "/runs/create", #"{"run_name":"a","runName":"b"}"#)
            #expect(both.status == 400)
        }
    }

    @Test func artifactProxyRefusesEscapesAndRoundTrips() async throws {
        try await withClient { client in
            let put = try await client.execute(uri: "/api/2.0/mlflow-artifacts/artifacts/0/r/artifacts/x.txt", method: .put,
                                               body: ByteBuffer(string: "payload")) { Int($0.status.code) }
            #expect(put == 200)
            let body = try await client.execute(uri: "/api/2.0/mlflow-artifacts/artifacts/0/r/artifacts/x.txt", method: .get) {
                String(buffer: $0.body)
            }
            #expect(body == "payload")
            for escape in ["..%2F..%2Fescape.txt", "%2E%2E/escape.txt", "a/%2e%2e/%2e%2e/escape.txt"] {
                let status = try await client.execute(uri: "/api/2.0/mlflow-artifacts/artifacts/" + escape, method: .put,
                                                      body: ByteBuffer(string: "bad")) { Int($0.status.code) }
                #expect(status == 400, "\(escape) must be refused")
            }
            #expect(!FileManager.default.fileExists(atPath: directory.file("escape.txt")))
            #expect(!FileManager.default.fileExists(atPath: directory.file("artifacts/escape.txt")))
            let listing = try await get(client, "/api/2.0/mlflow-artifacts/artifacts?path=0/r/artifacts")
            #expect(listing.json == .object([("files", .array([
                .object([("path", .string("x.txt")), ("is_dir", .bool(false)), ("file_size", .number("7"))]),
            ]))]))
            let missing = try await get(client, "/api/2.0/mlflow-artifacts/artifacts/0/r/artifacts/none.txt")
            #expect(missing.status == 404)
        }
    }

    @Test func everyDocumentedNativeRouteExists() async throws {
        let document = try JSONParser.parse(Array(OpenAPIDocument.json.utf8))
        guard case .object(let paths)? = document["paths"] else {
            Issue.record("no paths in the OpenAPI document")
            return
        }
        #expect(paths.count >= 10)
        try await withClient { client in
            for (path, operations) in paths {
                guard case .object(let methods) = operations else { continue }
                let uri = path.replacingOccurrences(of: "{name}", with: "ghost")
                    .replacingOccurrences(of: "{digest}", with: String(repeating: "0", count: 64))
                for (method, _) in methods where method != "parameters" {
                    let httpMethod = HTTPRequest.Method(rawValue: method.uppercased())!
                    let code = try await client.execute(uri: uri, method: httpMethod, headers: Self.jsonHeaders,
                                                        body: ByteBuffer(string: "{}")) { response -> String? in
                        if case .string(let code)? = (try? JSONParser.parse(Array(response.body.readableBytesView)))?["error_code"] { return code }
                        return nil
                    }
                    #expect(code != "ENDPOINT_NOT_FOUND", "\(method.uppercased()) \(path) is documented but not routed")
                }
            }
        }
    }

    @Test func healthVersionAndMetrics() async throws {
        try await withClient { client in
            let health = try await client.execute(uri: "/health", method: .get) { String(buffer: $0.body) }
            #expect(health == "OK")
            let version = try await client.execute(uri: "/version", method: .get) { String(buffer: $0.body) }
            #expect(version == mlflowCompatibleVersion)
            _ = try await get(client, "/api/2.0/mlflow/experiments/get?experiment_id=0")
            let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
            #expect(metrics.contains(#"yard_http_requests_total{method="GET",route="/api/2.0/mlflow/experiments/get",status="200"} 1"#))
            #expect(metrics.contains("yard_http_request_duration_seconds_bucket"))
        }
    }
}
