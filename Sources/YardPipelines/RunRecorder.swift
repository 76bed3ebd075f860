import YardCore

/// Where stage executions are recorded as tracking runs: a `yard server` (or any MLflow-compatible server)
/// over HTTP, or the repository's embedded store served on a loopback port for the duration of `yard run`.
/// Every executed stage is one run; one parent run groups the stages of a `yard run` (or a sweep).
public protocol RunRecorder: Sendable {
    /// The URI a stage process gets as `MLFLOW_TRACKING_URI`, so its own mlflow calls reach the same store.
    var trackingURI: String { get }

    /// The experiment named `experiment`, created when missing; returns its id.
    func experiment(named experiment: String) async throws -> String

    /// Starts a run (status RUNNING) and returns its id. `parentRunID` sets `mlflow.parentRunId`.
    func startRun(experimentID: String, name: String, parentRunID: String?, tags: [String: String]) async throws -> String

    /// Logs params, metrics and tags in one batch (values already strings / doubles).
    func log(runID: String, params: [String: String], metrics: [String: Double], tags: [String: String]) async throws

    /// Records dataset inputs (one per dependency: name = path, digest = content digest short form,
    /// source = the repository-relative path).
    func logInputs(runID: String, inputs: [RecordedInput]) async throws

    /// Uploads a local file as the artifact at `artifactPath` (e.g. `logs/stage.log`).
    func uploadArtifact(runID: String, localPath: String, artifactPath: String) async throws

    /// Reads back an artifact of a run (`yard reproduce` reads `yard/lock.json` when the lock entry was
    /// too large for a tag).
    func downloadArtifact(runID: String, artifactPath: String) async throws -> [UInt8]

    /// Sets the terminal status and end time.
    func finishRun(runID: String, status: RunStatus) async throws

    /// Reads a run back (for `yard reproduce`).
    func fetchRun(runID: String) async throws -> Run
}

/// A stage dependency as a dataset input of its run.
public struct RecordedInput: Sendable, Equatable {
    public var name: String
    public var digest: String
    public var source: String
    /// `file` or `directory`.
    public var kind: String

    public init(name: String, digest: String, source: String, kind: String) {
        self.name = name
        self.digest = digest
        self.source = source
        self.kind = kind
    }
}
