import AsyncHTTPClient
import NIOCore

/// The few MLflow REST calls the load generator makes, over one pooled AsyncHTTPClient.
struct MLflowClient: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let http: HTTPClient
    private let createExperimentURL: String
    private let createRunURL: String
    private let logBatchURL: String
    private let updateRunURL: String

    static let requestTimeout = TimeAmount.seconds(120)
    static let maximumResponseBytes = 4 << 20

    init(http: HTTPClient, baseURL: String) {
        self.http = http
        let api = baseURL + "/api/2.0/mlflow/"
        createExperimentURL = api + "experiments/create"
        createRunURL = api + "runs/create"
        logBatchURL = api + "runs/log-batch"
        updateRunURL = api + "runs/update"
    }

    func createExperiment(named name: String) async throws -> String {
        let body = try await post(createExperimentURL, ByteBuffer(string: #"{"name":"\#(name)"}"#))
        guard let id = firstStringMember(named: "experiment_id", in: body) else {
            throw Failure(description: "experiments/create answered without an experiment_id: \(excerpt(body))")
        }
        return id
    }

    func createRun(_ body: ByteBuffer) async throws -> String {
        let answer = try await post(createRunURL, body)
        guard let id = firstStringMember(named: "run_id", in: answer) else {
            throw Failure(description: "runs/create answered without a run_id: \(excerpt(answer))")
        }
        return id
    }

    func logBatch(_ body: ByteBuffer) async throws { _ = try await post(logBatchURL, body) }
    func updateRun(_ body: ByteBuffer) async throws { _ = try await post(updateRunURL, body) }

    /// POSTs JSON and returns the whole answer; any status outside 2xx is a `Failure` carrying the start
    /// of the server's answer.
    private func post(_ url: String, _ body: ByteBuffer) async throws -> ByteBuffer {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(body)
        let response = try await http.execute(request, deadline: .now() + Self.requestTimeout)
        let answer = try await response.body.collect(upTo: Self.maximumResponseBytes)
        guard (200..<300).contains(response.status.code) else {
            throw Failure(description: "HTTP \(response.status.code): \(excerpt(answer))")
        }
        return answer
    }

    private func excerpt(_ body: ByteBuffer) -> String {
        String(decoding: body.readableBytesView.prefix(300), as: UTF8.self)
    }
}
