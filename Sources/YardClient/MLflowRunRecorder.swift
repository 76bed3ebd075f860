import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import YardBlobs
import YardCore
import YardPipelines

/// Records stage executions on any server that speaks the MLflow REST API (`yard server`, the embedded
/// server of `yard run`, or MLflow itself), so the runs show up in the MLflow UI and client like any other.
public struct MLflowRunRecorder: RunRecorder {
    public let connection: ServerConnection
    public var trackingURI: String { connection.baseURL }

    /// MLflow refuses a log-batch above these counts (and above 1,000 entries in total).
    static let paramsPerBatch = 100
    static let tagsPerBatch = 100
    static let entriesPerBatch = 1000
    /// MLflow stores a dataset digest in a 36-character column.
    static let maximumDigestLength = 36

    private let artifactRoots = ArtifactRootCache()

    public init(connection: ServerConnection) {
        self.connection = connection
    }

    /// A recorder for the server at `trackingURI` (http or https), refused at once when it is not a URL.
    public init(trackingURI: String) throws(YardError) {
        self.init(connection: try ServerConnection(baseURL: trackingURI))
    }

    public func experiment(named experiment: String) async throws -> String {
        if let existing = try await experimentID(named: experiment) { return existing }
        do {
            let created = try await call(CreatedExperiment.self, .POST, "experiments/create", body: NewExperiment(name: experiment))
            return created.experimentId
        } catch let error as YardError where error.code == .resourceAlreadyExists {
            // Another process created it between our lookup and our create.
            if let existing = try await experimentID(named: experiment) { return existing }
            throw error
        }
    }

    public func startRun(experimentID: String, name: String, parentRunID: String?, tags: [String: String]) async throws -> String {
        var allTags = tags
        allTags[ReservedTags.runName] = name
        if let parentRunID { allTags[Self.parentRunTag] = parentRunID }
        let request = NewRun(experimentId: experimentID, runName: name, userId: ServerConnection.defaultActor,
                             startTime: Self.now(), tags: WireTag.list(allTags))
        let created = try await call(RunEnvelope.self, .POST, "runs/create", body: request)
        await artifactRoots.remember(created.run.info.artifactUri, for: created.run.info.runId)
        return created.run.info.runId
    }

    public func log(runID: String, params: [String: String], metrics: [String: Double], tags: [String: String]) async throws {
        let timestamp = Self.now()
        var pendingParams = WireTag.list(params)[...]
        var pendingTags = WireTag.list(tags)[...]
        var pendingMetrics = metrics.sorted { $0.key < $1.key }.map { WireMetric(key: $0.key, value: $0.value, timestamp: timestamp, step: 0) }[...]
        while !pendingParams.isEmpty || !pendingTags.isEmpty || !pendingMetrics.isEmpty {
            let batchParams = pendingParams.prefix(Self.paramsPerBatch)
            let batchTags = pendingTags.prefix(Self.tagsPerBatch)
            let batchMetrics = pendingMetrics.prefix(Self.entriesPerBatch - batchParams.count - batchTags.count)
            pendingParams = pendingParams.dropFirst(batchParams.count)
            pendingTags = pendingTags.dropFirst(batchTags.count)
            pendingMetrics = pendingMetrics.dropFirst(batchMetrics.count)
            let batch = Batch(runId: runID, params: Array(batchParams), metrics: Array(batchMetrics), tags: Array(batchTags))
            _ = try await call(Empty.self, .POST, "runs/log-batch", body: batch)
        }
    }

    public func logInputs(runID: String, inputs: [RecordedInput]) async throws {
        guard !inputs.isEmpty else { return }
        let sourceEncoder = JSONEncoder()
        sourceEncoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let datasets = try inputs.map { input in
            let source = String(decoding: try sourceEncoder.encode(["uri": input.source]), as: UTF8.self)
            return WireDatasetInput(
                tags: [WireTag(key: ReservedTags.datasetContext, value: "input"), WireTag(key: Self.inputKindTag, value: input.kind)],
                dataset: WireDataset(name: input.name, digest: String(input.digest.prefix(Self.maximumDigestLength)),
                                     sourceType: "local", source: source, schema: nil, profile: nil))
        }
        _ = try await call(Empty.self, .POST, "runs/log-inputs", body: Inputs(runId: runID, datasets: datasets))
    }

    /// Streams the file through the server's artifact proxy into the run's `mlflow-artifacts:` location.
    public func uploadArtifact(runID: String, localPath: String, artifactPath: String) async throws {
        let size: Int64
        do {
            let attributes = try FileManager.default.attributesOfItem(atPath: localPath)
            guard attributes[.type] as? FileAttributeType == .typeRegular else {
                throw YardError.invalid("Cannot upload '\(localPath)' as an artifact: it is not a regular file.")
            }
            size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        } catch let error as YardError {
            throw error
        } catch {
            throw YardError.notFound("Cannot upload '\(localPath)' as an artifact: the file cannot be read (\(error.localizedDescription)).")
        }
        let relative = artifactPath.split(separator: "/").map(String.init)
        guard !relative.isEmpty, !relative.contains(".."), !relative.contains(".") else {
            throw YardError.invalid("Artifact path '\(artifactPath)' must be a relative path without '.' or '..' segments, e.g. logs/stage.log.")
        }
        let root = try await proxiedArtifactRoot(runID: runID)
        let path = (root + relative).map(ServerConnection.pathComponent).joined(separator: "/")
        try connection.ensureReachable()
        var request = HTTPClientRequest(url: connection.baseURL + "/api/2.0/mlflow-artifacts/artifacts/" + path)
        request.method = .PUT
        request.headers.add(name: "Content-Type", value: "application/octet-stream")
        request.headers.add(name: "X-Yard-Actor", value: connection.actor)
        request.body = .stream(FileChunks(path: localPath), length: .known(size))
        let response = try await connection.execute(request)
        let reply = Array(buffer: try await response.body.collect(upTo: 1 << 20))
        try ServerConnection.check(response.status, reply, context: "PUT /api/2.0/mlflow-artifacts/artifacts")
    }

    /// Reads an artifact through the server's artifact proxy (at most 64 MiB: records, not datasets).
    public func downloadArtifact(runID: String, artifactPath: String) async throws -> [UInt8] {
        let relative = artifactPath.split(separator: "/").map(String.init)
        guard !relative.isEmpty, !relative.contains(".."), !relative.contains(".") else {
            throw YardError.invalid("Artifact path '\(artifactPath)' must be a relative path without '.' or '..' segments.")
        }
        let root = try await proxiedArtifactRoot(runID: runID)
        let path = (root + relative).map(ServerConnection.pathComponent).joined(separator: "/")
        try connection.ensureReachable()
        var request = HTTPClientRequest(url: connection.baseURL + "/api/2.0/mlflow-artifacts/artifacts/" + path)
        request.method = .GET
        request.headers.add(name: "X-Yard-Actor", value: connection.actor)
        let response = try await connection.execute(request)
        let reply = Array(buffer: try await response.body.collect(upTo: 64 << 20))
        try ServerConnection.check(response.status, reply, context: "GET /api/2.0/mlflow-artifacts/artifacts")
        return reply
    }

    public func finishRun(runID: String, status: RunStatus) async throws {
        _ = try await call(Empty.self, .POST, "runs/update", body: RunUpdate(runId: runID, status: status.rawValue, endTime: Self.now()))
    }

    public func fetchRun(runID: String) async throws -> Run {
        let fetched = try await call(RunEnvelope.self, .GET, "runs/get", query: [("run_id", runID)])
        return try fetched.run.domainValue()
    }

    // MARK: Wire plumbing

    static let parentRunTag = "mlflow.parentRunId"
    /// Whether a recorded input was a file or a directory (MLflow's dataset entity has no field for it).
    public static let inputKindTag = "yard.data.kind"

    static func now() -> Int64 { Int64((Date().timeIntervalSince1970 * 1000).rounded()) }

    private func experimentID(named name: String) async throws -> String? {
        do {
            return try await call(ExperimentEnvelope.self, .GET, "experiments/get-by-name", query: [("experiment_name", name)]).experiment.experimentId
        } catch let error as YardError where error.code == .resourceDoesNotExist {
            return nil
        }
    }

    /// The run's artifact location as segments below the proxy root: `mlflow-artifacts:/1/<run>/artifacts`
    /// (or with an authority, `mlflow-artifacts://host:port/1/<run>/artifacts`) becomes `1/<run>/artifacts`.
    private func proxiedArtifactRoot(runID: String) async throws -> [String] {
        let uri: String
        if let known = await artifactRoots.root(for: runID) {
            uri = known
        } else {
            uri = try await call(RunEnvelope.self, .GET, "runs/get", query: [("run_id", runID)]).run.info.artifactUri
            await artifactRoots.remember(uri, for: runID)
        }
        let scheme = "mlflow-artifacts:"
        guard uri.hasPrefix(scheme) else {
            throw YardError(.notImplemented, "Run \(runID) keeps its artifacts at '\(uri)', which is not served through the tracking server's artifact proxy; start the server with proxied artifacts (the default of `yard server`, or `mlflow server --serve-artifacts`).")
        }
        var rest = uri.dropFirst(scheme.count)
        if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
            rest = rest.drop { $0 != "/" }
        }
        return rest.split(separator: "/").map(String.init)
    }

    private func call<Reply: Decodable>(_ type: Reply.Type, _ method: HTTPMethod, _ endpoint: String,
                                        query: [(String, String)] = [], body: (some Encodable)? = Optional<Empty>.none) async throws -> Reply {
        // A refused connection is otherwise retried by the HTTP client until the request's deadline.
        try connection.ensureReachable()
        var path = "/api/2.0/mlflow/" + endpoint
        if !query.isEmpty {
            var components = URLComponents()
            components.queryItems = query.map { URLQueryItem(name: $0.0, value: $0.1) }
            path += "?" + (components.percentEncodedQuery ?? "")
        }
        let requestBytes = try body.map { Array(try Self.encoder.encode($0)) }
        let reply = try await connection.json(method, path, body: requestBytes)
        do {
            return try Self.decoder.decode(Reply.self, from: Data(reply))
        } catch {
            throw YardError(.internalError, "The server at \(connection.baseURL) answered \(method) \(path) with a body this client cannot read (\(error)); is it an MLflow-compatible tracking server?")
        }
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        // MLflow's protobuf JSON carries non-finite doubles as these strings.
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return decoder
    }()
}

/// Artifact locations learned from runs/create, so an upload right after needs no runs/get.
private actor ArtifactRootCache {
    private var roots: [String: String] = [:]

    func remember(_ root: String, for runID: String) {
        roots[runID] = root
    }

    func root(for runID: String) -> String? { roots[runID] }
}

// MARK: Request and reply bodies (snake_case on the wire through the coders' key strategies)

private struct Empty: Codable {}

private struct NewExperiment: Encodable {
    var name: String
}

private struct CreatedExperiment: Decodable {
    var experimentId: String
}

private struct ExperimentEnvelope: Decodable {
    struct Experiment: Decodable {
        var experimentId: String
    }
    var experiment: Experiment
}

private struct WireTag: Codable {
    var key: String
    var value: String

    /// Sorted by key so batches split the same way every time.
    static func list(_ dictionary: [String: String]) -> [WireTag] {
        dictionary.sorted { $0.key < $1.key }.map { WireTag(key: $0.key, value: $0.value) }
    }
}

private struct NewRun: Encodable {
    var experimentId: String
    var runName: String
    var userId: String
    var startTime: Int64
    var tags: [WireTag]
}

private struct RunUpdate: Encodable {
    var runId: String
    var status: String
    var endTime: Int64
}

private struct WireMetric: Codable {
    var key: String
    var value: Double
    var timestamp: WireInt64
    var step: WireInt64?

    init(key: String, value: Double, timestamp: Int64, step: Int64) {
        self.key = key
        self.value = value
        self.timestamp = WireInt64(timestamp)
        self.step = WireInt64(step)
    }
}

private struct Batch: Encodable {
    var runId: String
    var params: [WireTag]
    var metrics: [WireMetric]
    var tags: [WireTag]
}

private struct WireDataset: Codable {
    var name: String
    var digest: String
    var sourceType: String
    var source: String
    var schema: String?
    var profile: String?
}

private struct WireDatasetInput: Codable {
    var tags: [WireTag]?
    var dataset: WireDataset
}

private struct Inputs: Encodable {
    var runId: String
    var datasets: [WireDatasetInput]
}

/// An int64 as MLflow servers send it: a JSON number, or a string in proto3 JSON.
private struct WireInt64: Codable {
    var value: Int64

    init(_ value: Int64) { self.value = value }

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) {
            value = number
        } else if let text = try? container.decode(String.self), let number = Int64(text) {
            value = number
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected an int64 as a number or a string")
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }
}

private struct RunEnvelope: Decodable {
    var run: WireRun
}

private struct WireRun: Decodable {
    struct Info: Decodable {
        var runId: String
        var runName: String?
        var experimentId: String
        var userId: String?
        var status: String?
        var startTime: WireInt64?
        var endTime: WireInt64?
        var artifactUri: String
        var lifecycleStage: String?
    }
    struct DataSection: Decodable {
        var metrics: [WireMetric]?
        var params: [WireTag]?
        var tags: [WireTag]?
    }
    struct InputSection: Decodable {
        var datasetInputs: [WireDatasetInput]?
    }

    var info: Info
    var data: DataSection?
    var inputs: InputSection?

    func domainValue() throws -> Run {
        let status: RunStatus
        if let text = info.status {
            guard let known = RunStatus(rawValue: text) else {
                throw YardError(.internalError, "Run \(info.runId) has status '\(text)', which this client does not know.")
            }
            status = known
        } else {
            status = .running
        }
        let runInfo = RunInfo(
            runId: info.runId, runName: info.runName ?? "", experimentId: info.experimentId, userId: info.userId ?? "",
            status: status, startTime: info.startTime?.value, endTime: info.endTime?.value, artifactUri: info.artifactUri,
            lifecycleStage: info.lifecycleStage.flatMap(LifecycleStage.init(rawValue:)) ?? .active)
        let tag = { (wire: WireTag) in Tag(key: wire.key, value: wire.value) }
        return Run(
            info: runInfo,
            metrics: (data?.metrics ?? []).map {
                Metric(key: $0.key, value: $0.value, timestamp: $0.timestamp.value, step: $0.step?.value ?? 0)
            },
            params: (data?.params ?? []).map(tag),
            tags: (data?.tags ?? []).map(tag),
            datasetInputs: (inputs?.datasetInputs ?? []).map { input in
                DatasetInput(tags: (input.tags ?? []).map(tag), dataset: Dataset(
                    name: input.dataset.name, digest: input.dataset.digest, sourceType: input.dataset.sourceType,
                    source: input.dataset.source, schema: input.dataset.schema, profile: input.dataset.profile))
            })
    }
}
