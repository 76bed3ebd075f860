import ArgumentParser
import Foundation
import YardCore
import YardJSON
import YardPipelines

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Compare the pipeline's metrics files with a git revision.",
        subcommands: [MetricsDiffCommand.self])
}

struct MetricsDiffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Show how each metric in the metrics files changed between a git revision and the work tree.",
        discussion: """
            Reads every file the stages of yard.yaml declare under `metrics:` (JSON or YAML, nested keys joined with dots), in the work tree and at REV (default HEAD), and prints old value, new value and change.

            Examples:
              yard metrics diff            # work tree vs the last commit
              yard metrics diff main --all --json
            """)

    @Argument(help: "A git revision: branch, tag or commit (default: HEAD).")
    var revision = "HEAD"

    @Option(help: "Compare only these metrics files.")
    var file: [String] = []

    @Flag(help: "Also list metrics that did not change.")
    var all = false

    @Flag(help: "Print JSON.")
    var json = false

    func run() throws {
        try DataCLI.reportingErrors {
            let (repository, spec) = try PipelineCLI.load()
            let comparison = try MetricsComparison.compare(spec: spec, repositoryRoot: repository.root, revision: revision,
                                                           files: file, includeUnchanged: all)
            func number(_ value: Double?) -> JSONValue { value.map(JSONValue.double) ?? .null }
            if json {
                let rows: [JSONValue] = comparison.rows.map {
                    .object([("file", .string($0.file)), ("key", .string($0.key)), ("old", number($0.old)),
                             ("new", number($0.new)), ("change", number($0.change))])
                }
                Console.line(String(decoding: JSONWriter.bytes(.array(rows)), as: UTF8.self))
                return
            }
            if comparison.rows.isEmpty {
                Console.line("No metric changed since \(revision).")
                return
            }
            func text(_ value: Double?) -> String { value.map { String(format: "%.6g", $0) } ?? "-" }
            let header = ["file", "metric", revision, "workspace", "change"]
            let rows = comparison.rows.map { row in
                [row.file, row.key, text(row.old), text(row.new), row.change.map { String(format: "%+.6g", $0) } ?? "-"]
            }
            Console.line(Console.table(header, rows, rule: false))
        }
    }
}
