/// Results of Modelyard's registry features, shared by the server and its clients.

/// The verdict on one gate, with the numbers that decided it.
public struct GateResult: Sendable, Equatable, Codable {
    public var gate: String
    public var passed: Bool
    public var detail: String

    public init(gate: String, passed: Bool, detail: String) {
        self.gate = gate
        self.passed = passed
        self.detail = detail
    }
}

public struct PromotionDecision: Sendable, Equatable, Codable {
    public var model: String
    public var version: Int64
    public var alias: String
    public var championVersion: Int64?
    public var gates: [GateResult]
    public var dryRun: Bool
    /// Every gate passed.
    public var passed: Bool
    /// True when the alias now points at the version.
    public var applied: Bool

    public init(model: String, version: Int64, alias: String, championVersion: Int64?, gates: [GateResult], dryRun: Bool, passed: Bool, applied: Bool) {
        self.model = model
        self.version = version
        self.alias = alias
        self.championVersion = championVersion
        self.gates = gates
        self.dryRun = dryRun
        self.passed = passed
        self.applied = applied
    }
}

/// Where a model came from: the version, its logged model, the run that produced it with its params,
/// metrics and code commit, and the exact dataset versions (by digest) the run consumed.
public struct Lineage: Sendable, Equatable, Codable {
    public struct Version: Sendable, Equatable, Codable {
        public var name: String
        public var version: Int64
        public var source: String
        public var stage: ModelStage
        public var aliases: [String]

        public init(name: String, version: Int64, source: String, stage: ModelStage, aliases: [String]) {
            self.name = name
            self.version = version
            self.source = source
            self.stage = stage
            self.aliases = aliases
        }
    }
    public struct LoggedModelInfo: Sendable, Equatable, Codable {
        public var modelId: String
        public var name: String
        public var artifactLocation: String
        public var status: LoggedModelStatus

        public init(modelId: String, name: String, artifactLocation: String, status: LoggedModelStatus) {
            self.modelId = modelId
            self.name = name
            self.artifactLocation = artifactLocation
            self.status = status
        }
    }
    public struct RunInfo: Sendable, Equatable, Codable {
        public var runId: String
        public var runName: String
        public var experimentId: String
        public var status: String
        public var startTime: Int64?
        public var endTime: Int64?
        public var codeCommit: String?
        public var sourceName: String?
        public var params: [Tag]
        public var metrics: [MetricValue]

        public init(runId: String, runName: String, experimentId: String, status: String, startTime: Int64?, endTime: Int64?, codeCommit: String?, sourceName: String?, params: [Tag], metrics: [MetricValue]) {
            self.runId = runId
            self.runName = runName
            self.experimentId = experimentId
            self.status = status
            self.startTime = startTime
            self.endTime = endTime
            self.codeCommit = codeCommit
            self.sourceName = sourceName
            self.params = params
            self.metrics = metrics
        }
    }
    public struct DatasetInfo: Sendable, Equatable, Codable {
        public var name: String
        public var digest: String
        public var source: String
        public var context: String?

        public init(name: String, digest: String, source: String, context: String?) {
            self.name = name
            self.digest = digest
            self.source = source
            self.context = context
        }
    }

    public struct MetricValue: Sendable, Equatable, Codable {
        public var key: String
        public var value: Double

        public init(key: String, value: Double) {
            self.key = key
            self.value = value
        }
    }

    public var version: Version?
    public var loggedModel: LoggedModelInfo?
    public var run: RunInfo?
    public var datasets: [DatasetInfo]

    public init(version: Version?, loggedModel: LoggedModelInfo?, run: RunInfo?, datasets: [DatasetInfo]) {
        self.version = version
        self.loggedModel = loggedModel
        self.run = run
        self.datasets = datasets
    }
}

