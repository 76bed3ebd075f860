import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import YardCore
import YardJSON
@testable import YardServer
@testable import YardServing

/// A server on a temporary data dir with registered ONNX models (committed fixtures, made by
/// tests/serving/make_swift_fixtures.py) whose artifacts sit in the server's artifact root.
struct ServingTestServer: Sendable {
    let directory = TemporaryDirectory()
    let components: ServerComponents

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/serving")

    init(pollMilliseconds: Int = 100, retainPredictions: Int? = 100_000) async throws {
        var settings = ServingSettings(pollInterval: .milliseconds(pollMilliseconds), retryFailedAfterSeconds: 30, maxRequestBytes: 4096)
        settings.predictionLog = .init(flushInterval: .milliseconds(20), retain: retainPredictions)
        let configuration = ServerConfiguration(port: 0, dataDirectory: directory.path, serving: settings)
        components = try await buildComponents(configuration)
    }

    var application: some ApplicationProtocol {
        get throws { try buildApplication(components: components, configuration: components.configuration) }
    }

    /// Registers version N of `model` from a fixture: an MLflow model folder (MLmodel + model.onnx)
    /// under the artifact root, the version's source pointing at it. Returns the version number.
    @discardableResult
    func register(_ model: String, fixture: String) async throws -> Int64 {
        if (try? await components.registry.model(name: model)) == nil {
            _ = try await components.registry.createModel(name: model, description: nil, tags: [], userId: nil)
        }
        let folder = "models/\(model)/\(UUID().uuidString)"
        let path = components.artifactRoot + "/" + folder
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.fixtures.appendingPathComponent(fixture).path, toPath: path + "/model.onnx")
        try Data("flavors:\n  onnx:\n    data: model.onnx\n    onnx_version: 1.23.2\nmlflow_version: 3.18.0\n".utf8)
            .write(to: URL(fileURLWithPath: path + "/MLmodel"))
        let version = try await components.registry.createVersion(
            name: model, source: "mlflow-artifacts:/\(folder)", runId: nil, modelId: nil, tags: [], runLink: nil,
            description: nil, userId: nil, actor: "test")
        return version.version
    }

    func setAlias(_ model: String, _ alias: String, _ version: Int64) async throws {
        try await components.registry.setAlias(name: model, alias: alias, version: String(version), actor: "test")
    }
}

struct HTTPAnswer: Sendable {
    let status: Int
    let headers: HTTPFields
    let body: [UInt8]

    var json: JSONValue { (try? JSONParser.parse(body)) ?? .null }
    func header(_ name: String) -> String? { headers[HTTPField.Name(name)!] }
}

extension TestClientProtocol {
    func call(_ method: HTTPRequest.Method, _ uri: String, _ body: String? = nil,
              contentType: String? = "application/json") async throws -> HTTPAnswer {
        var headers: HTTPFields = [:]
        if let contentType, body != nil { headers[.contentType] = contentType }
        return try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { response in
            HTTPAnswer(status: Int(response.status.code), headers: response.headers, body: Array(response.body.readableBytesView))
        }
    }
}

func firstNumber(_ value: JSONValue?) -> Double? {
    switch value {
    case .number(let text)?: return Double(text)
    case .array(let items)?: return firstNumber(items.first)
    case .object(let members)?: return firstNumber(members.first?.1)
    default: return nil
    }
}

@Suite("Serving deployments over HTTP")
struct ServingDeploymentTests {
    static let row = #"{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2]]}}"#

    @Test func createScoreAndDelete() async throws {
        let server = try await ServingTestServer()
        let v1 = try await server.register("price", fixture: "linear_v1.onnx")
        try await server.setAlias("price", "prod", v1)
        try await server.application.test(.router) { client in
            let created = try await client.call(.post, "/api/v1/deployments", #"{"name": "price", "model_uri": "models:/price@prod"}"#)
            #expect(created.status == 200, "\(String(decoding: created.body, as: UTF8.self))")
            let deployment = created.json["deployment"]
            #expect(deployment?["ready"] == .bool(true))
            #expect(deployment?["serving_version"] == .string("1"))
            #expect(deployment?["models"]?["primary"]?["model_name"] == .string("price"))

            let scored = try await client.call(.post, "/serving/price/invocations", Self.row)
            #expect(scored.status == 200)
            #expect(scored.header("x-model-version") == "1")
            #expect(scored.header("x-prediction-id")?.count == 36)
            // y = 1*a + 2*b for version 1.
            #expect(firstNumber(scored.json["predictions"]) == 5)

            let csv = try await client.call(.post, "/serving/price/invocations", "a,b\n3,4\n", contentType: "text/csv")
            #expect(csv.status == 200)
            #expect(firstNumber(csv.json["predictions"]) == 11)

            let ping = try await client.call(.get, "/serving/price/ping")
            #expect(ping.status == 200)

            let listed = try await client.call(.get, "/api/v1/deployments")
            guard case .array(let items)? = listed.json["deployments"] else { Issue.record("no list"); return }
            #expect(items.count == 1)

            let fetched = try await client.call(.get, "/api/v1/deployments/price")
            #expect(fetched.json["deployment"]?["model_uri"] == .string("models:/price@prod"))

            let deleted = try await client.call(.delete, "/api/v1/deployments/price")
            #expect(deleted.status == 200)
            let gone = try await client.call(.post, "/serving/price/invocations", Self.row)
            #expect(gone.status == 404)
            #expect(gone.json["error_code"] == .string("RESOURCE_DOES_NOT_EXIST"))
        }
        let history = try await server.components.promotion.history(name: "price")
        let events = history.filter { $0.action == .deploymentChanged }.compactMap { entry -> String? in
            guard case .string(let event)? = (try? JSONParser.parse(Array(entry.detail.utf8)))?["event"] else { return nil }
            return event
        }
        #expect(events.contains("created"))
        #expect(events.contains("version_loaded"))
        #expect(events.contains("deleted"))
    }

    @Test func badRequestsNameTheField() async throws {
        let server = try await ServingTestServer()
        try await server.register("m", fixture: "linear_v1.onnx")
        try await server.application.test(.router) { client in
            let cases: [(String, String)] = [
                (#"{"model_uri": "models:/m/1"}"#, "name"),
                (#"{"name": "d"}"#, "model_uri"),
                (#"{"name": "bad name!", "model_uri": "models:/m/1"}"#, "name"),
                (#"{"name": "d", "model_uri": "s3://bucket/model"}"#, "model_uri"),
                (#"{"name": "d", "model_uri": "models:/m/1", "canary_share": 1.5, "canary_uri": "models:/m/1"}"#, "canary_share"),
                (#"{"name": "d", "model_uri": "models:/m/1", "canary_share": 0.5}"#, "canary_uri"),
                (#"{"name": "d", "model_uri": "models:/m/1", "log_sample_rate": "all"}"#, "log_sample_rate"),
                (#"{"name": "d", "model_uri": "models:/m/1", "colour": "red"}"#, "colour"),
                (#"{"name": "d", "model_uri": 7}"#, "model_uri"),
            ]
            for (body, field) in cases {
                let answer = try await client.call(.post, "/api/v1/deployments", body)
                #expect(answer.status == 400, "\(body)")
                guard case .string(let message)? = answer.json["message"] else { Issue.record("no message for \(body)"); continue }
                #expect(message.contains(field), "\(body): \(message)")
            }
            let created = try await client.call(.post, "/api/v1/deployments", #"{"name": "d", "model_uri": "models:/m/1"}"#)
            #expect(created.status == 200)
            let duplicate = try await client.call(.post, "/api/v1/deployments", #"{"name": "d", "model_uri": "models:/m/1"}"#)
            #expect(duplicate.status == 400)
            #expect(duplicate.json["error_code"] == .string("RESOURCE_ALREADY_EXISTS"))
            let missing = try await client.call(.patch, "/api/v1/deployments/nope", #"{"log_sample_rate": 0.5}"#)
            #expect(missing.status == 404)
            let badPatch = try await client.call(.patch, "/api/v1/deployments/d", #"{"canary_share": -1}"#)
            #expect(badPatch.status == 400)
        }
    }

    @Test func scoringErrorsAreMLflowShaped() async throws {
        let server = try await ServingTestServer()
        try await server.register("m", fixture: "linear_v1.onnx")
        try await server.application.test(.router) { client in
            _ = try await client.call(.post, "/api/v1/deployments", #"{"name": "d", "model_uri": "models:/m/1"}"#)
            let bodies: [(String, String?, Int)] = [
                ("{", "application/json", 400),
                (#"{"dataframe_split": {"columns": ["a"], "data": [[1]]}}"#, "application/json", 400),
                (#"{"unknown": []}"#, "application/json", 400),
                (#"[1, 2]"#, "application/json", 400),
                (#"{"inputs": [["x", "y"]]}"#, "application/json", 400),
                ("a,b\n1\n", "text/csv", 400),
                ("<a/>", "application/xml", 415),
                (#"{"inputs": [[1, 2]]}"#, "application/json; charset=latin-1", 415),
                (#"{"inputs": [[1, 2]]}"#, nil, 415),
                (String(repeating: "x", count: 5000), "application/json", 413),
            ]
            for (body, type, status) in bodies {
                let answer = try await client.call(.post, "/serving/d/invocations", body, contentType: type)
                #expect(answer.status == status, "\(body.prefix(40)) \(type ?? "-") → \(answer.status)")
                #expect(answer.json["error_code"] != nil && answer.json["message"] != nil, "\(body.prefix(40))")
            }
            let fine = try await client.call(.post, "/serving/d/invocations", #"{"inputs": [[1, 2], [3, 4]]}"#)
            #expect(fine.status == 200)
            #expect(fine.json["predictions"] == .array([.array([.number("5")]), .array([.number("11")])]))
        }
    }

    @Test func unloadableModelReportsStatusAndAnswers503() async throws {
        let server = try await ServingTestServer()
        try await server.register("m", fixture: "broken.onnx")
        try await server.application.test(.router) { client in
            let created = try await client.call(.post, "/api/v1/deployments", #"{"name": "d", "model_uri": "models:/m/1"}"#)
            #expect(created.status == 200)
            #expect(created.json["deployment"]?["ready"] == .bool(false))
            guard case .string(let error)? = created.json["deployment"]?["last_load_error"] else {
                Issue.record("no load error in \(created.json)"); return
            }
            #expect(error.contains("failed to load"))
            let scored = try await client.call(.post, "/serving/d/invocations", Self.row)
            #expect(scored.status == 503)
            let ping = try await client.call(.get, "/serving/d/ping")
            #expect(ping.status == 503)
            let unknownModel = try await client.call(.post, "/api/v1/deployments", #"{"name": "e", "model_uri": "models:/nobody@prod"}"#)
            #expect(unknownModel.status == 200)
            guard case .string(let resolveError)? = unknownModel.json["deployment"]?["last_load_error"] else {
                Issue.record("no resolve error"); return
            }
            #expect(resolveError.contains("nobody"))
        }
    }

    @Test func canaryShadowLogAndLabels() async throws {
        let server = try await ServingTestServer()
        let v1 = try await server.register("m", fixture: "linear_v1.onnx")
        let v2 = try await server.register("m", fixture: "linear_v2.onnx")
        try await server.application.test(.router) { client in
            let created = try await client.call(.post, "/api/v1/deployments", """
                {"name": "d", "model_uri": "models:/m/\(v1)", "canary_uri": "models:/m/\(v2)", "canary_share": 0.5,
                 "shadow_uri": "models:/m/\(v2)", "log_sample_rate": 1}
                """)
            #expect(created.json["deployment"]?["canary_version"] == .string("2"))
            #expect(created.json["deployment"]?["shadow_version"] == .string("2"))
            var versions: [String: Int] = [:]
            var ids: [String] = []
            for _ in 0..<200 {
                let answer = try await client.call(.post, "/serving/d/invocations", Self.row)
                #expect(answer.status == 200)
                let version = answer.header("x-model-version") ?? "?"
                versions[version, default: 0] += 1
                // The answer matches the version that says it answered.
                #expect(firstNumber(answer.json["predictions"]) == (version == "1" ? 5 : 55))
                if let id = answer.header("x-prediction-id") { ids.append(id) }
            }
            // 200 draws at 50%: both sides far from zero (a 1-in-10^40 chance of failing by luck).
            #expect((versions["1"] ?? 0) > 40 && (versions["2"] ?? 0) > 40, "\(versions)")

            // The log holds every answer (rate 1) and the shadow's copies.
            var logged: [JSONValue] = []
            for _ in 0..<100 {
                await server.components.serving.predictionLog?.flush()
                let page = try await client.call(.get, "/api/v1/deployments/d/predictions?limit=1000")
                if case .array(let items)? = page.json["predictions"] { logged = items }
                if logged.count >= 400 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            let shadows = logged.filter { $0["role"] == .string("shadow") }
            #expect(shadows.count == 200, "\(logged.count) records")
            #expect(shadows.allSatisfy { firstNumber($0["outputs"]) == 55 })
            #expect(logged.filter { $0["role"] != .string("shadow") }.count == 200)

            let labels = try await client.call(.post, "/api/v1/deployments/d/labels",
                                               #"{"labels": [{"prediction_id": "\#(ids[0])", "label": 5}, {"prediction_id": "nope", "label": 1}]}"#)
            #expect(labels.status == 200)
            #expect(labels.json["matched"] == .number("1"))
            let labeled = try await client.call(.get, "/api/v1/deployments/d/predictions?labeled_only=true")
            guard case .array(let joined)? = labeled.json["predictions"] else { Issue.record("no page"); return }
            #expect(joined.count == 2)  // the answer and its shadow copy share the id
            #expect(joined.allSatisfy { $0["label"] == .number("5") })
            let badLabels = try await client.call(.post, "/api/v1/deployments/d/labels", #"{"labels": [{"label": 1}]}"#)
            #expect(badLabels.status == 400)

            // Removing the canary sends everything to the primary again.
            let patched = try await client.call(.patch, "/api/v1/deployments/d", #"{"canary_uri": null}"#)
            #expect(patched.json["deployment"]?["canary_uri"] == .null)
            for _ in 0..<20 {
                let answer = try await client.call(.post, "/serving/d/invocations", Self.row)
                #expect(answer.header("x-model-version") == "1")
            }

            let metrics = try await client.call(.get, "/metrics")
            let text = String(decoding: metrics.body, as: UTF8.self)
            #expect(text.contains(#"yard_serving_requests_total{deployment="d",model="m",version="1",endpoint="invocations",outcome="ok"}"#))
            #expect(text.contains("yard_serving_inference_duration_seconds_bucket"))
            #expect(text.contains(#"yard_serving_predictions_total{deployment="d",model="m",version="2",class="value"}"#))
            #expect(text.contains(#"yard_prediction_log_records_total{outcome="dropped"} 0"#))
        }
    }

    @Test func classifierMetricsCountClasses() async throws {
        let server = try await ServingTestServer()
        try await server.register("c", fixture: "classifier.onnx")
        try await server.application.test(.router) { client in
            _ = try await client.call(.post, "/api/v1/deployments", #"{"name": "c", "model_uri": "models:/c/1"}"#)
            // Scores are softmax(-a-b, a+b): positive sums are class 1, negative ones class 0.
            let answer = try await client.call(.post, "/serving/c/invocations", #"{"inputs": [[1, 2], [-3, -4], [5, 1]]}"#)
            #expect(answer.status == 200)
            #expect(answer.json["predictions"]?["label"] == .array([.number("1"), .number("0"), .number("1")]))
            let text = String(decoding: try await client.call(.get, "/metrics").body, as: UTF8.self)
            #expect(text.contains(#"yard_serving_predictions_total{deployment="c",model="c",version="1",class="1"} 2"#))
            #expect(text.contains(#"yard_serving_predictions_total{deployment="c",model="c",version="1",class="0"} 1"#))
            #expect(text.contains(#"yard_serving_prediction_confidence_ratio_count{deployment="c",model="c",version="1"} 3"#))
        }
    }

    @Test func openAPIDocumentIncludesDeployments() async throws {
        let server = try await ServingTestServer()
        try await server.application.test(.router) { client in
            let document = try await client.call(.get, "/api/v1/openapi.json").json
            #expect(document["openapi"] != nil)
            for path in ["/api/v1/deployments", "/api/v1/deployments/{deployment}", "/api/v1/deployments/{deployment}/labels",
                         "/api/v1/deployments/{deployment}/predictions"] {
                #expect(document["paths"]?[path] != nil, "\(path)")
            }
            #expect(document["paths"]?["/api/v1/models/{name}/policy"] != nil)
            #expect(document["components"]?["schemas"]?["Deployment"] != nil)
        }
    }

    @Test func inferenceProtocolV2() async throws {
        let server = try await ServingTestServer()
        let v1 = try await server.register("m", fixture: "linear_v1.onnx")
        let v2 = try await server.register("m", fixture: "linear_v2.onnx")
        try await server.application.test(.router) { client in
            #expect(try await client.call(.get, "/v2/health/live").json["live"] == .bool(true))
            #expect(try await client.call(.get, "/v2").json["name"] == .string("modelyard"))
            _ = try await client.call(.post, "/api/v1/deployments", """
                {"name": "d", "model_uri": "models:/m/\(v1)", "canary_uri": "models:/m/\(v2)", "canary_share": 0}
                """)
            let ready = try await client.call(.get, "/v2/health/ready")
            #expect(ready.status == 200)
            #expect(ready.json["ready"] == .bool(true))

            let metadata = try await client.call(.get, "/v2/models/d")
            #expect(metadata.status == 200)
            #expect(metadata.json["versions"] == .array([.string("1"), .string("2")]))
            #expect(metadata.json["inputs"] == .array([.object([("name", .string("X")), ("datatype", .string("FP32")),
                                                                ("shape", .array([.number("-1"), .number("2")]))])]))
            #expect(try await client.call(.get, "/v2/models/d/ready").json["ready"] == .bool(true))
            #expect(try await client.call(.get, "/v2/models/d/versions/2/ready").json["ready"] == .bool(true))
            let absent = try await client.call(.get, "/v2/models/d/versions/7/ready")
            #expect(absent.status == 503)

            let request = #"{"id": "r1", "inputs": [{"name": "X", "shape": [2, 2], "datatype": "FP32", "data": [1, 2, 3, 4]}]}"#
            let inferred = try await client.call(.post, "/v2/models/d/infer", request)
            #expect(inferred.status == 200)
            #expect(inferred.header("x-model-version") == "1")
            #expect(inferred.json["id"] == .string("r1"))
            #expect(inferred.json["model_version"] == .string("1"))
            #expect(inferred.json["outputs"]?.firstOutputData == [5, 11])

            // A version in the path picks the role serving it, here the canary that takes no traffic.
            let pinned = try await client.call(.post, "/v2/models/d/versions/2/infer", request)
            #expect(pinned.header("x-model-version") == "2")
            #expect(pinned.json["outputs"]?.firstOutputData == [55, 115])

            let errors: [(String, String, String?, Int)] = [
                ("/v2/models/d/infer", "{", "application/json", 400),
                ("/v2/models/d/infer", #"{"inputs": [{"name": "X", "shape": [1, 3], "datatype": "FP32", "data": [1, 2, 3]}]}"#, "application/json", 400),
                ("/v2/models/d/infer", #"{"inputs": [{"name": "X", "shape": [1, 2], "datatype": "BYTES", "data": ["a", "b"]}]}"#, "application/json", 400),
                ("/v2/models/d/infer", request, "text/plain", 415),
                ("/v2/models/nope/infer", request, "application/json", 404),
                ("/v2/models/d/versions/9/infer", request, "application/json", 404),
            ]
            for (uri, body, type, status) in errors {
                let answer = try await client.call(.post, uri, body, contentType: type)
                #expect(answer.status == status, "\(uri) \(body.prefix(60)) → \(answer.status)")
                guard case .string(let message)? = answer.json["error"] else { Issue.record("no error for \(body.prefix(60))"); continue }
                #expect(!message.isEmpty)
            }
        }
    }
}

extension JSONValue {
    /// The `data` of the first output of a v2 response, as numbers.
    var firstOutputData: [Double]? {
        guard case .array(let outputs) = self, case .array(let data)? = outputs.first?["data"] else { return nil }
        return data.compactMap { if case .number(let text) = $0 { return Double(text) } else { return nil } }
    }
}
