import YardCore

/// One stage execution described as a self-contained job: everything an executor needs (the command, its
/// environment, where to run, which paths it reads and writes), so a remote executor (a Ray cluster is the
/// planned second one) can run it without seeing the pipeline.
public struct StageJob: Sendable, Equatable {
    /// The stage's name as shown to the user (`train`, `train@lr=0.1`); also the live-log prefix.
    public var stage: String
    /// Shell commands run in order with `/bin/sh -c`; the first failure stops the job.
    public var commands: [String]
    /// Absolute folder the commands run in.
    public var workingDirectory: String
    /// The complete environment of the process (not merged with anything else).
    public var environment: [String: String]
    /// Wall-clock limit for the whole job, in seconds; nil means none.
    public var timeoutSeconds: Double?
    /// Repository-relative paths the job reads and the ones it must produce.
    public var inputs: [String]
    public var outputs: [String]
    /// Absolute path of the file that receives the job's combined stdout and stderr.
    public var logPath: String

    public init(stage: String, commands: [String], workingDirectory: String, environment: [String: String],
                timeoutSeconds: Double? = nil, inputs: [String] = [], outputs: [String] = [], logPath: String) {
        self.stage = stage
        self.commands = commands
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.timeoutSeconds = timeoutSeconds
        self.inputs = inputs
        self.outputs = outputs
        self.logPath = logPath
    }
}

/// How a job ended.
public struct StageOutcome: Sendable, Equatable {
    public enum Ending: Sendable, Equatable {
        /// Every command exited 0.
        case succeeded
        /// A command exited with this non-zero status (the index of the failing command).
        case failed(exitStatus: Int32, command: Int)
        /// A command was killed by this signal (not by us).
        case signalled(Int32, command: Int)
        /// The job ran past its timeout and was stopped.
        case timedOut
        /// The job was stopped because the run was cancelled (Ctrl-C, SIGTERM, a failing sibling).
        case cancelled
        /// The command could not be started at all (missing shell, bad working directory).
        case couldNotStart(String)
    }

    public var ending: Ending
    /// Wall-clock seconds from start to the end of the last command.
    public var seconds: Double

    public init(ending: Ending, seconds: Double) {
        self.ending = ending
        self.seconds = seconds
    }

    public var succeeded: Bool { ending == .succeeded }
}

/// Receives a running job's output as it is produced, one complete line at a time (without the newline).
public typealias StageOutputHandler = @Sendable (_ stage: String, _ line: String) -> Void

/// Runs stage jobs. The local process pool is the one implementation today.
public protocol StageExecutor: Sendable {
    /// Runs `job` to its end. Output goes to `job.logPath` and, line by line, to `output`. When the calling
    /// task is cancelled the job's processes are stopped (the whole process group: SIGTERM, then SIGKILL
    /// after a grace period) and the outcome is `.cancelled`. Never throws for a failing command: that is
    /// an outcome.
    func run(_ job: StageJob, output: StageOutputHandler?) async -> StageOutcome
}
