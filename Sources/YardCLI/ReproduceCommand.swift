import ArgumentParser
import Foundation
import YardClient
import YardCore
import YardData
import YardPipelines

struct ReproduceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reproduce",
        abstract: "Re-run a recorded stage run from its record alone and check that every output comes out the same.",
        discussion: """
            Reads the run (from --server, YARD_SERVER / MLFLOW_TRACKING_URI, or the repository's embedded store), checks out its git commit in a temporary work tree (git worktree), rebuilds its inputs from the data cache by their recorded digests, sets the parameter values it used, runs its command with its environment, and compares the digest of each output with the recorded one. Your work tree is not touched. Exit status 0 when every output matches, 1 otherwise.

            Example:
              yard reproduce 9c7137df2a75467095d934fef7ea33ac
            """)

    @Argument(help: "The run id of a stage run recorded by `yard run`.")
    var runID: String

    @Option(help: "Tracking server URL (default: YARD_SERVER, MLFLOW_TRACKING_URI, else the repository's embedded store).")
    var server: String?

    @Flag(help: "Keep the temporary work tree and print where it is.")
    var keep = false

    @Flag(name: .shortAndLong, help: "Do not echo the command's output.")
    var quiet = false

    func run() async throws {
        do {
            let repository = try DataCLI.repository()
            let tracking = EmbeddedTracking(dataDirectory: PipelineCLI.embeddedStore(of: repository))
            let recorder: any RunRecorder
            if let url = PipelineCLI.serverURL(server) {
                recorder = try MLflowRunRecorder(trackingURI: url)
            } else {
                guard FileSystem.exists(PipelineCLI.embeddedStore(of: repository)) else {
                    throw YardError.notFound("This repository has no embedded run store yet (.yard/tracking); pass --server with the server the run was recorded on.")
                }
                recorder = try await tracking.recorder()
            }
            let run: Run
            do {
                run = await Reproducer.completingLockEntry(of: try await recorder.fetchRun(runID: runID), from: recorder)
            } catch {
                await tracking.stop()
                throw error
            }
            await tracking.stop()
            let (stage, commit, _, _) = try Reproducer.recordedEntry(of: run)
            Console.line("Reproducing stage '\(stage)' of run \(runID) at commit \(commit.prefix(12))...")
            let quiet = self.quiet
            let result = try await Reproducer.reproduce(run, in: repository, executor: LocalProcessExecutor(),
                                                        output: { name, line in if !quiet { Console.line("[\(name)] " + Console.printable(line)) } },
                                                        keepWorkTree: keep)
            if !result.restoredInputs.isEmpty { Console.line("Inputs restored from the data cache: \(result.restoredInputs.joined(separator: ", "))") }
            if !result.patchedParams.isEmpty { Console.line("Parameters set as recorded (the commit held other values): \(result.patchedParams.joined(separator: ", "))") }
            guard result.outcome.succeeded else {
                Console.error("error: the command did not succeed (\(result.outcome.ending)); nothing to compare. Log: \(result.workTree)/.yard/tmp/logs/reproduce.log\(keep ? "" : " (removed; use --keep to look at it)")")
                throw ExitCode.failure
            }
            for output in result.outputs {
                let mark = output.matches ? "✓ same" : "✗ differs"
                let now = output.reproduced.map { String($0.hex.prefix(12)) } ?? "missing"
                Console.line("\(mark)  \(output.path)  recorded \(output.recorded.hex.prefix(12))  reproduced \(now)")
            }
            if keep { Console.line("Work tree kept at \(result.workTree) (remove it with `git worktree remove --force \(result.workTree)`).") }
            if result.matches {
                Console.line("Reproduced: all \(result.outputs.count) output\(result.outputs.count == 1 ? "" : "s") match the record.")
            } else {
                Console.error("Not reproduced: \(result.outputs.filter { !$0.matches }.count) of \(result.outputs.count) outputs differ (nondeterminism: unseeded randomness, timestamps, thread scheduling).")
                throw ExitCode.failure
            }
        } catch let error as ExitCode {
            throw error
        } catch {
            throw DataCLI.reported(error)
        }
    }
}
