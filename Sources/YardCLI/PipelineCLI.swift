import ArgumentParser
import Foundation
import YardClient
import YardCore
import YardData
import YardPipelines
import YardServer

/// What the pipeline commands share: the repository and its yard.yaml, where runs are recorded, and how
/// progress is printed.
enum PipelineCLI {
    static func load() throws -> (DataRepository, PipelineSpec) {
        let repository = try DataCLI.repository()
        let spec = try PipelineSpecLoader.load(repositoryRoot: repository.root)
        return (repository, spec)
    }

    /// `--server`, else YARD_SERVER, else an http MLFLOW_TRACKING_URI; nil means the embedded store.
    static func serverURL(_ explicit: String?) -> String? {
        let environment = ProcessInfo.processInfo.environment
        return [explicit, environment["YARD_SERVER"], environment["MLFLOW_TRACKING_URI"]].compactMap { $0 }
            .first { $0.hasPrefix("http://") || $0.hasPrefix("https://") }
    }

    static func embeddedStore(of repository: DataRepository) -> String { repository.yardDirectory + "/tracking" }

    /// Runs `work` as a task that Ctrl-C or SIGTERM cancels (which stops the stages' process groups), then
    /// stops the embedded store whatever happened. Returns the result and whether it was interrupted.
    static func interruptible<T: Sendable>(_ tracking: EmbeddedTracking, stopping what: String,
                                           _ work: @escaping @Sendable () async throws -> T) async throws -> (T, Bool) {
        let task = Task { try await work() }
        let subscription = InterruptSignals.onInterrupt { signal in
            Console.error("\nyard run: \(signal == SIGINT ? "interrupted" : "terminated"); stopping \(what)...")
            task.cancel()
        }
        defer { subscription.cancel() }
        do {
            let value = try await task.value
            await tracking.stop()
            return (value, task.isCancelled)
        } catch {
            await tracking.stop()
            throw error
        }
    }
}

/// Starts the repository's embedded tracking store on a loopback port the first time a stage needs it,
/// and stops it at the end of the command.
actor EmbeddedTracking {
    private let dataDirectory: String
    private var server: EmbeddedServer?

    init(dataDirectory: String) {
        self.dataDirectory = dataDirectory
    }

    func recorder() async throws -> any RunRecorder {
        if let server { return try MLflowRunRecorder(trackingURI: server.url) }
        let started = try await EmbeddedServer.start(dataDirectory: dataDirectory)
        server = started
        return try MLflowRunRecorder(trackingURI: started.url)
    }

    func stop() async {
        await server?.stop()
        server = nil
    }
}

/// Prints the run as it goes: one line per decision, the stages' output prefixed with their name.
struct ConsoleObserver: PipelineObserver {
    let repositoryRoot: String
    let quietOutput: Bool

    func stageStarted(_ stage: String, reasons: [StaleReason], attempt: Int) {
        if attempt > 1 {
            Console.line("▶ \(stage): retrying (attempt \(attempt))")
        } else {
            Console.line("▶ \(stage): running because \(reasons.map(\.description).joined(separator: "; "))")
        }
    }

    func stageFinished(_ report: StageReport) {
        let time = String(format: "%.2f s", report.seconds)
        switch report.outcome {
        case .upToDate: Console.line("· \(report.stage): up to date")
        case .frozen: Console.line("· \(report.stage): frozen, not run")
        case .wouldRun: Console.line("? \(report.stage): would run because \(report.reasons.map(\.description).joined(separator: "; "))")
        case .restored(let run):
            Console.line("↺ \(report.stage): restored the outputs of an identical earlier execution\(run.map { " (run \($0))" } ?? "") in \(time)")
        case .executed: Console.line("✓ \(report.stage): done in \(time)\(report.runID.map { " (run \($0))" } ?? "")")
        case .failed(let reason):
            Console.error("✗ \(report.stage): failed: \(reason). Log: .yard/tmp/logs/\(report.stage).log")
        case .notRun(let reason): Console.line("- \(report.stage): not run: \(reason)")
        case .cancelled: Console.error("✗ \(report.stage): interrupted; it is not recorded in yard.lock and will run again")
        }
    }

    func output(_ stage: String, line: String) {
        if !quietOutput { Console.line("[\(stage)] " + Console.printable(line)) }
    }

    func warning(_ message: String) {
        Console.error("warning: " + message)
    }
}
