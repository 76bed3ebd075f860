import Foundation

/// What one pipeline run triggered by an alert ended with.
public struct PipelineRunOutcome: Sendable, Equatable {
    /// nil when the process could not be started.
    public var exitCode: Int32?
    public var timedOut: Bool
    /// The last lines of the run's combined output, or why it did not start.
    public var outputTail: String

    public init(exitCode: Int32?, timedOut: Bool, outputTail: String) {
        self.exitCode = exitCode
        self.timedOut = timedOut
        self.outputTail = outputTail
    }

    public var succeeded: Bool { exitCode == 0 && !timedOut }
}

/// Runs a pipeline stage in a workspace (the retrain action).
public protocol PipelineTrigger: Sendable {
    func run(workspace: String, stage: String, timeout: Duration) async -> PipelineRunOutcome
    /// Why this trigger would refuse to run in `workspace`, or nil when it would run there. Asked when a
    /// monitor is created or updated, so a refused workspace is a 400 then rather than a failed action later.
    func refusal(workspace: String) -> String?
}

extension PipelineTrigger {
    public func refusal(workspace: String) -> String? { nil }
}

/// Runs `<executable> run <stage>` in the workspace as a child process. The server passes its own binary
/// and its URL, so the stage's runs are tracked on the server that triggered them.
public struct ProcessPipelineTrigger: PipelineTrigger {
    public let executable: String
    public let trackingURI: String?
    /// Bytes of output kept for the outcome's detail.
    public let tailBytes: Int

    public init(executable: String, trackingURI: String?, tailBytes: Int = 2_000) {
        self.executable = executable
        self.trackingURI = trackingURI
        self.tailBytes = max(tailBytes, 1)
    }

    public func run(workspace: String, stage: String, timeout: Duration) async -> PipelineRunOutcome {
        let executable = self.executable, trackingURI = self.trackingURI, tailBytes = self.tailBytes
        // Waiting on a child blocks a thread for minutes; that must not be one of the cooperative pool's.
        return await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(returning: Self.runBlocking(executable: executable, trackingURI: trackingURI, workspace: workspace,
                                                                stage: stage, timeout: timeout, tailBytes: tailBytes))
            }
        }
    }

    static func runBlocking(executable: String, trackingURI: String?, workspace: String, stage: String, timeout: Duration,
                            tailBytes: Int) -> PipelineRunOutcome {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: workspace, isDirectory: &isFolder), isFolder.boolValue else {
            return PipelineRunOutcome(exitCode: nil, timedOut: false, outputTail: "The workspace \(workspace) is not a folder; fix the action's pipeline.workspace.")
        }
        var environment = ProcessInfo.processInfo.environment
        if let trackingURI { environment["MLFLOW_TRACKING_URI"] = trackingURI }
        // The child leads a process group of its own, so a timeout stops the stage's whole tree (a shell
        // waiting on its command ignores SIGTERM until the command ends). `sh` changes to the workspace.
        let arguments = ["/bin/sh", "-c", "cd \"$1\" && exec \"$2\" run \"$3\"", "sh", workspace, executable, stage]
        var child = SpawnedChild()
        if let failure = child.spawn(arguments: arguments, environment: environment.map { "\($0.key)=\($0.value)" }) {
            return PipelineRunOutcome(exitCode: nil, timedOut: false, outputTail: "Could not start \(executable): \(failure)")
        }
        let deadline = ContinuousClock.now + timeout
        var tail: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        func keep(_ count: Int) {
            tail.append(contentsOf: buffer[0..<count])
            if tail.count > tailBytes * 2 { tail.removeFirst(tail.count - tailBytes) }
        }
        var status: Int32?
        var timedOut = false
        var killAt: ContinuousClock.Instant?
        var outputOpen = true
        while status == nil {
            if outputOpen {
                var poller = pollfd(fd: child.output, events: Int16(POLLIN), revents: 0)
                if poll(&poller, 1, 100) > 0 {
                    let count = buffer.withUnsafeMutableBytes { read(child.output, $0.baseAddress, $0.count) }
                    if count > 0 { keep(count) } else { outputOpen = false }
                }
            } else {
                Thread.sleep(forTimeInterval: 0.05)
            }
            status = child.exitStatus()
            let now = ContinuousClock.now
            if status == nil, !timedOut, now >= deadline {
                timedOut = true
                kill(-child.pid, SIGTERM)
                killAt = now + .seconds(5)
            }
            if status == nil, let killAt, now >= killAt {
                kill(-child.pid, SIGKILL)
            }
        }
        // What the child wrote before it exited; a grandchild left running may keep the pipe open, so no EOF wait.
        _ = fcntl(child.output, F_SETFL, fcntl(child.output, F_GETFL) | O_NONBLOCK)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(child.output, $0.baseAddress, $0.count) }
            if count <= 0 { break }
            keep(count)
        }
        close(child.output)
        if tail.count > tailBytes { tail.removeFirst(tail.count - tailBytes) }
        let text = String(decoding: tail, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return PipelineRunOutcome(exitCode: status, timedOut: timedOut, outputTail: text)
    }
}

/// A child process spawned in its own process group, its stdout and stderr on one pipe.
struct SpawnedChild {
    var pid: pid_t = 0
    var output: Int32 = -1

    /// Nil when started; otherwise why not.
    mutating func spawn(arguments: [String], environment: [String]) -> String? {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return "pipe() failed (errno \(errno))" }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        posix_spawn_file_actions_addclose(&actions, fds[0])
        posix_spawn_file_actions_addclose(&actions, fds[1])
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP))
        posix_spawnattr_setpgroup(&attributes, 0)
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        let result = posix_spawn(&pid, arguments[0], &actions, &attributes, argv, envp)
        close(fds[1])
        guard result == 0 else {
            close(fds[0])
            return String(cString: strerror(result))
        }
        output = fds[0]
        return nil
    }

    /// The exit code (128 + signal when killed), or nil while it runs.
    func exitStatus() -> Int32? {
        var status: Int32 = 0
        let waited = waitpid(pid, &status, WNOHANG)
        // -1 other than EINTR (ECHILD: reaped elsewhere) would otherwise read as "still running" forever.
        if waited == -1 && errno != EINTR { return -1 }
        guard waited == pid else { return nil }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}
