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
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["run", stage]
        process.currentDirectoryURL = URL(fileURLWithPath: workspace, isDirectory: true)
        var environment = ProcessInfo.processInfo.environment
        if let trackingURI { environment["MLFLOW_TRACKING_URI"] = trackingURI }
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            return PipelineRunOutcome(exitCode: nil, timedOut: false, outputTail: "Could not start \(executable): \(error.localizedDescription)")
        }
        let timedOut = TimeoutFlag()
        let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
        let watchdog = DispatchWorkItem {
            guard process.isRunning else { return }
            timedOut.set()
            process.terminate()
            // A stage that ignores SIGTERM is killed after a grace period.
            DispatchQueue.global().asyncAfter(deadline: .now() + 5) {
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: watchdog)
        // Read to the end while the child runs, so a full pipe never stalls it; keep only the tail.
        var tail: [UInt8] = []
        let handle = output.fileHandleForReading
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            tail.append(contentsOf: chunk)
            if tail.count > tailBytes * 2 { tail.removeFirst(tail.count - tailBytes) }
        }
        process.waitUntilExit()
        watchdog.cancel()
        if tail.count > tailBytes { tail.removeFirst(tail.count - tailBytes) }
        let text = String(decoding: tail, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let signalled = process.terminationReason == .uncaughtSignal
        return PipelineRunOutcome(exitCode: signalled ? 128 + process.terminationStatus : process.terminationStatus,
                                  timedOut: timedOut.value, outputTail: text)
    }
}

/// Set once by the watchdog, read by the waiting thread.
private final class TimeoutFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false

    func set() { lock.withLock { flag = true } }
    var value: Bool { lock.withLock { flag } }
}
