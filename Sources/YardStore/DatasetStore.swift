import YardCore

/// A registered version of a dataset: the bytes `yard data add --name` snapshotted, by content digest.
public struct DatasetVersionRecord: Sendable, Equatable {
    public var name: String
    /// 64 lowercase hex characters of the SHA-256 (of the file, or of the folder's root manifest).
    public var digest: String
    /// The first 36 hex characters: MLflow's dataset digest limit, so `log_input` can carry it.
    public var shortDigest: String
    public var kind: DatasetKind
    public var size: Int64
    public var files: Int
    /// Where it came from (the path in the repository).
    public var source: String?
    /// The CSV profile, when the version is a CSV file. Stores keep it as JSON; the interface is typed.
    public var profile: DatasetProfile?
    /// Milliseconds since the epoch.
    public var createdAt: Int64

    public init(name: String, digest: String, shortDigest: String, kind: DatasetKind, size: Int64, files: Int,
                source: String?, profile: DatasetProfile?, createdAt: Int64) {
        self.name = name
        self.digest = digest
        self.shortDigest = shortDigest
        self.kind = kind
        self.size = size
        self.files = files
        self.source = source
        self.profile = profile
        self.createdAt = createdAt
    }
}

public struct DatasetSummary: Sendable, Equatable {
    public var name: String
    public var versionCount: Int
    public var latest: DatasetVersionRecord

    public init(name: String, versionCount: Int, latest: DatasetVersionRecord) {
        self.name = name
        self.versionCount = versionCount
        self.latest = latest
    }
}

/// A run whose MLflow dataset inputs used a given digest.
public struct DatasetRunLink: Sendable, Equatable {
    public var runId: String
    public var experimentId: String
    public var runName: String
    public var status: RunStatus
    public var startTime: Int64?
    /// The dataset name the run logged (MLflow's, which may differ from the registry's).
    public var datasetName: String

    public init(runId: String, experimentId: String, runName: String, status: RunStatus, startTime: Int64?,
                datasetName: String) {
        self.runId = runId
        self.experimentId = experimentId
        self.runName = runName
        self.status = status
        self.startTime = startTime
        self.datasetName = datasetName
    }
}

/// The dataset registry's metadata. Registering the same (name, digest) twice returns the first record.
public protocol DatasetStore: Sendable {
    func registerDatasetVersion(_ version: DatasetVersionRecord) async throws -> DatasetVersionRecord
    /// Every dataset with its latest version, by name.
    func datasetSummaries() async throws -> [DatasetSummary]
    /// Versions of one dataset, newest first; empty when the name is unknown.
    func datasetVersions(name: String) async throws -> [DatasetVersionRecord]
    /// One version by full (64) or short (36) hex digest.
    func datasetVersion(name: String, digest: String) async throws -> DatasetVersionRecord?
    /// Active runs that logged any of `digests` as a dataset input, newest first.
    func runs(usingDatasetDigests digests: [String]) async throws -> [DatasetRunLink]
}
