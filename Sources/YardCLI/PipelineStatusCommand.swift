import ArgumentParser
import Foundation
import YardCore
import YardData
import YardJSON
import YardPipelines

struct PipelineStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Say which pipeline stages are stale and exactly why (what changed, from what to what).",
        discussion: """
            Compares each stage in yard.yaml with its entry in yard.lock: the command, the content of every dependency, the values of the parameters it uses, and its outputs. Nothing is run or written. For tracked data files outside the pipeline, use `yard data status`.

            Examples:
              yard status
              yard status train --json
            """)

    @Argument(help: "Stages to check (with what they depend on); default: all.")
    var stages: [String] = []

    @Flag(help: "Print JSON: [{stage, stale, reasons}].")
    var json = false

    func run() throws {
        try DataCLI.reportingErrors {
            let (repository, spec) = try PipelineCLI.load()
            let runner = try PipelineRunner(repository: repository, spec: spec, executor: LocalProcessExecutor(), recorder: nil,
                                            observer: ConsoleObserver(repositoryRoot: repository.root, quietOutput: true))
            let standings = try runner.standings(targets: stages)
            if json {
                let items: [JSONValue] = standings.map { standing in
                    .object([
                        ("stage", .string(standing.stage)),
                        ("stale", .bool(!standing.reasons.isEmpty)),
                        ("frozen", .bool(standing.frozen)),
                        ("reasons", .array(standing.reasons.map { .string($0.description) })),
                    ])
                }
                Console.line(String(decoding: JSONWriter.bytes(.array(items)), as: UTF8.self))
                return
            }
            let stale = standings.filter { !$0.reasons.isEmpty }
            if stale.isEmpty {
                Console.line("Pipeline is up to date (\(standings.count) stage\(standings.count == 1 ? "" : "s")).")
                return
            }
            for standing in standings {
                if standing.reasons.isEmpty {
                    Console.line("\(standing.stage): \(standing.frozen ? "frozen" : "up to date")")
                } else {
                    Console.line("\(standing.stage): stale")
                    for reason in standing.reasons { Console.line("    \(reason)") }
                }
            }
            Console.line("\(stale.count) of \(standings.count) stage\(standings.count == 1 ? "" : "s") would run; `yard run` brings them up to date.")
        }
    }
}

struct DagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dag",
        abstract: "Print the pipeline's graph: as text in run order, as Graphviz (--dot) or as JSON (--json).",
        discussion: """
            Stages are joined by paths: a stage depends on the stages that write what it reads.

            Examples:
              yard dag
              yard dag --dot | dot -Tsvg > pipeline.svg
              yard dag --json
            """)

    @Flag(help: "Graphviz dot output.")
    var dot = false

    @Flag(help: "JSON output: {stages: [...], edges: [{from, to}]}.")
    var json = false

    func validate() throws {
        if dot && json { throw ValidationError("Choose one of --dot and --json.") }
    }

    func run() throws {
        try DataCLI.reportingErrors {
            let (_, spec) = try PipelineCLI.load()
            let graph = PipelineGraph(spec)
            Console.line(dot ? graph.renderDot() : json ? graph.renderJSON() : graph.renderText())
        }
    }
}
