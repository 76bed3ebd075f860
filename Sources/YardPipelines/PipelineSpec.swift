import YardCore
import YardJSON

/// A pipeline as `yard.yaml` describes it, after `foreach`/`matrix` expansion and `${…}` interpolation,
/// with every path made relative to the repository root and checked to stay inside it.
public struct PipelineSpec: Sendable {
    /// The pipeline's name: the experiment its stage runs are recorded in.
    public var name: String
    /// Stages in the order the file lists them (expanded stages in expansion order).
    public var stages: [StageSpec]
    /// The spec file, relative to the repository root (for messages).
    public var file: String

    public init(name: String, stages: [StageSpec], file: String) {
        self.name = name
        self.stages = stages
        self.file = file
    }

    public func stage(named name: String) -> StageSpec? { stages.first { $0.name == name } }
}

/// One stage: a command with the paths it reads, the parameters it uses and the paths it writes.
public struct StageSpec: Sendable, Equatable {
    /// `train`, or `train@a`, `train@lr=0.1-depth=4` for expanded stages.
    public var name: String
    /// The line of the stage's definition in the spec file.
    public var line: Int
    /// Shell commands run in order (a list in the file, or one string).
    public var commands: [String]
    /// The folder the commands run in, relative to the root ("" for the root).
    public var workingDirectory: String
    /// Paths read, relative to the root.
    public var deps: [String]
    /// Paths written (including metrics files), relative to the root.
    public var outs: [OutputSpec]
    public var params: [ParamDependency]
    public var environment: [(String, String)]
    /// Further attempts after a failure (0: run once).
    public var retries: Int
    public var timeoutSeconds: Double?
    /// Always run, e.g. a stage that polls an outside source.
    public var alwaysChanged: Bool
    /// Never run again; the lock entry is kept as it is.
    public var frozen: Bool
    public var description: String?

    public init(name: String, line: Int, commands: [String], workingDirectory: String = "", deps: [String] = [],
                outs: [OutputSpec] = [], params: [ParamDependency] = [], environment: [(String, String)] = [],
                retries: Int = 0, timeoutSeconds: Double? = nil, alwaysChanged: Bool = false, frozen: Bool = false,
                description: String? = nil) {
        self.name = name
        self.line = line
        self.commands = commands
        self.workingDirectory = workingDirectory
        self.deps = deps
        self.outs = outs
        self.params = params
        self.environment = environment
        self.retries = retries
        self.timeoutSeconds = timeoutSeconds
        self.alwaysChanged = alwaysChanged
        self.frozen = frozen
        self.description = description
    }

    public static func == (lhs: StageSpec, rhs: StageSpec) -> Bool {
        lhs.name == rhs.name && lhs.line == rhs.line && lhs.commands == rhs.commands
            && lhs.workingDirectory == rhs.workingDirectory && lhs.deps == rhs.deps && lhs.outs == rhs.outs
            && lhs.params == rhs.params && lhs.environment.elementsEqual(rhs.environment, by: { $0 == $1 })
            && lhs.retries == rhs.retries && lhs.timeoutSeconds == rhs.timeoutSeconds
            && lhs.alwaysChanged == rhs.alwaysChanged && lhs.frozen == rhs.frozen && lhs.description == rhs.description
    }

    /// The command as recorded in the lock: the list joined so a change of any part shows.
    public var commandText: String { commands.joined(separator: "\n") }

    /// Metrics files among the outputs.
    public var metricsFiles: [String] { outs.filter(\.isMetric).map(\.path) }
}

public struct OutputSpec: Sendable, Equatable, Hashable {
    public var path: String
    /// Stored in the data cache (the default); `cache: false` leaves it to git.
    public var cache: Bool
    /// Not deleted before the stage runs (e.g. a checkpoint the command resumes from).
    public var persist: Bool
    /// A metrics file (JSON or YAML the stage writes); its numbers are logged to the stage's run.
    public var isMetric: Bool
    /// The line it was declared on.
    public var line: Int

    public init(path: String, cache: Bool = true, persist: Bool = false, isMetric: Bool = false, line: Int = 0) {
        self.path = path
        self.cache = cache
        self.persist = persist
        self.isMetric = isMetric
        self.line = line
    }
}

/// Keys of a parameters file a stage depends on; `keys == nil` means the whole file.
public struct ParamDependency: Sendable, Equatable, Hashable {
    /// Relative to the root.
    public var file: String
    public var keys: [String]?
    public var line: Int

    public init(file: String, keys: [String]?, line: Int = 0) {
        self.file = file
        self.keys = keys
        self.line = line
    }
}
