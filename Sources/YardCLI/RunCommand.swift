import ArgumentParser
import Foundation
import YardClient
import YardCore
import YardData
import YardJSON
import YardPipelines

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the pipeline in yard.yaml: only stale stages, independent ones in parallel, each recorded as a run.",
        discussion: """
            A stage runs when its command, a dependency's content or a parameter it uses differs from yard.lock (or an output is missing or modified); `yard status` says which and why. An execution whose exact inputs ran before is restored from the run cache instead. Outputs go into the data cache like `yard data add`; yard.lock is written after each stage (commit it with yard.yaml).

            Every executed stage is a run in the experiment named after the pipeline, under one parent run per `yard run`, with its params, metrics files, dependency digests, log, git commit and exit status. The command gets MLFLOW_TRACKING_URI and MLFLOW_RUN_ID, so mlflow.start_run() logs into that same run. Runs go to --server (or YARD_SERVER / MLFLOW_TRACKING_URI); without one, to the repository's own store: browse it with `yard server --data-dir .yard/tracking`.

            Sweeps: --set with comma-separated values runs the grid in parallel as sibling runs, each in its own temporary work tree, and prints their metrics side by side:
              yard run train --set train.lr=0.1,0.01 --set train.depth=4,8
              yard run train --set "train.lr=loguniform(1e-4,1e-1)" --sample 6

            Examples:
              yard run                 # everything that is stale
              yard run train -j 4      # train and what it needs, 4 stages at a time
              yard run --dry           # say what would run
            """)

    @Argument(help: "Stages to bring up to date (with the stages they depend on); default: all.")
    var stages: [String] = []

    @Option(name: .shortAndLong, help: "Stages running at the same time (default: the number of cores).")
    var jobs: Int?

    @Flag(name: .shortAndLong, help: "Run the selected stages even if they are up to date (skips the run cache).")
    var force = false

    @Flag(name: .shortAndLong, help: "After a failure, keep running stages that do not depend on the failed one.")
    var keepGoing = false

    @Flag(help: "Do not restore outputs from the run cache; execute instead.")
    var noRunCache = false

    @Flag(help: "Fetch the outputs of executions that can be restored (run cache or yard.lock) from the data remote when the local cache lacks them.")
    var pull = false

    @Option(name: .shortAndLong, help: "The data remote for --pull (a name from .yard/config, a folder or a server URL; default: the default remote).")
    var remote: String?

    @Flag(help: "Only print what would run and why.")
    var dry = false

    @Option(help: "Tracking server URL (default: YARD_SERVER, MLFLOW_TRACKING_URI, else the repository's embedded store).")
    var server: String?

    @Flag(help: "Do not record stage runs.")
    var noTrack = false

    @Flag(name: .shortAndLong, help: "Do not echo the stages' output (it is still in .yard/tmp/logs/ and the run's artifacts).")
    var quiet = false

    @Option(name: .customLong("set"), help: "Override a params.yaml key: key=value, key=v1,v2 (a sweep), or key=uniform(a,b)/loguniform(a,b)/choice(a,b,…) with --sample.")
    var settings: [String] = []

    @Option(help: "With --set ranges: how many random points to draw.")
    var sample: Int?

    @Option(help: "Seed for --sample (default: random).")
    var seed: UInt64?

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1.") }
        if let sample, sample < 1 { throw ValidationError("--sample must be at least 1.") }
        if sample != nil && settings.isEmpty { throw ValidationError("--sample needs at least one --set key=range.") }
    }

    func run() async throws {
        do {
            let (repository, spec) = try PipelineCLI.load()
            if !settings.isEmpty {
                try await runSweep(repository: repository, spec: spec)
                return
            }
            let tracking = EmbeddedTracking(dataDirectory: PipelineCLI.embeddedStore(of: repository))
            let factory = recorderFactory(tracking)
            let runner = try PipelineRunner(repository: repository, spec: spec, executor: LocalProcessExecutor(),
                                            recorder: factory, observer: ConsoleObserver(repositoryRoot: repository.root, quietOutput: quiet))
            var options = RunOptions()
            options.targets = stages
            if let jobs { options.jobs = jobs }
            options.force = force
            options.keepGoing = keepGoing
            options.useRunCache = !noRunCache
            options.dryRun = dry
            if pull { options.remote = try DataCLI.remote(remote, in: repository) }
            let chosen = options
            let (reports, interrupted) = try await PipelineCLI.interruptible(tracking, stopping: "the running stages") {
                try await runner.run(chosen)
            }
            try summarize(reports, cancelled: interrupted)
        } catch let error as ExitCode {
            throw error
        } catch {
            throw DataCLI.reported(error)
        }
    }

    func recorderFactory(_ tracking: EmbeddedTracking) -> RecorderFactory? {
        if noTrack || dry { return nil }
        if let url = PipelineCLI.serverURL(server) {
            return { try MLflowRunRecorder(trackingURI: url) }
        }
        return { try await tracking.recorder() }
    }

    func summarize(_ reports: [StageReport], cancelled: Bool) throws {
        var counts: [String: Int] = [:]
        for report in reports {
            let key: String
            switch report.outcome {
            case .upToDate, .frozen: key = "up to date"
            case .wouldRun: key = "would run"
            case .restored: key = "restored"
            case .executed: key = "ran"
            case .failed: key = "failed"
            case .notRun: key = "not run"
            case .cancelled: key = "interrupted"
            }
            counts[key, default: 0] += 1
        }
        let order = ["ran", "restored", "up to date", "would run", "failed", "not run", "interrupted"]
        let summary = order.compactMap { key in counts[key].map { "\($0) \(key)" } }.joined(separator: ", ")
        if reports.allSatisfy({ if case .upToDate = $0.outcome { return true }; if case .frozen = $0.outcome { return true }; return false }) {
            Console.line("Pipeline is up to date (\(reports.count) stage\(reports.count == 1 ? "" : "s")); nothing to run.")
        } else {
            Console.line("\(summary).")
        }
        if cancelled { throw ExitCode(130) }
        if reports.contains(where: { !$0.isSuccess }) { throw ExitCode.failure }
    }
}
