import ArgumentParser
import Foundation
import YardClient
import YardCore

struct LineageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lineage",
        abstract: "Show where a model came from: its run, params, metrics, code commit, dataset digests and logged model.",
        discussion: """
            Examples:
              yard lineage models:/churn/3
              yard lineage models:/churn@production --json
              yard lineage runs:/4f1c2a…
            """)

    @Argument(help: "models:/<name>/<version>, models:/<name>@<alias>, models:/<model_id> or runs:/<run_id>.") var uri: String
    @Flag(help: "Print JSON for machines.") var json = false
    @OptionGroup var server: ServerOptions

    func run() async throws {
        let client = ModelsClient(connection: server.connection)
        if json {
            let data = try await cliCall { try await client.lineageJSON(uri: uri) }
            let pretty = (try? JSONSerialization.jsonObject(with: data)).flatMap { try? JSONSerialization.data(withJSONObject: $0, options: [.prettyPrinted, .sortedKeys]) } ?? data
            Console.line(String(decoding: pretty, as: UTF8.self))
            return
        }
        let lineage = try await cliCall { try await client.lineage(uri: uri) }
        if let version = lineage.version {
            Console.line("Model version  \(version.name) v\(version.version)  stage \(version.stage)" + (version.aliases.isEmpty ? "" : "  aliases \(version.aliases.joined(separator: ", "))"))
            Console.line("  source       \(version.source)")
        }
        if let model = lineage.loggedModel {
            Console.line("Logged model   \(model.modelId) (\(model.name), \(model.status))")
            Console.line("  artifacts    \(model.artifactLocation)")
        }
        if let run = lineage.run {
            Console.line("Run            \(run.runId) (\(run.runName)) in experiment \(run.experimentId), \(run.status)")
            Console.line("  code commit  \(run.codeCommit ?? "not recorded")" + (run.sourceName.map { "  source \($0)" } ?? ""))
            if !run.params.isEmpty {
                Console.line("  params       " + run.params.map { "\($0.key)=\($0.value)" }.joined(separator: "  "))
            }
            if !run.metrics.isEmpty {
                Console.line("  metrics      " + run.metrics.map { "\($0.key)=\($0.value)" }.joined(separator: "  "))
            }
        } else {
            Console.line("Run            not recorded")
        }
        if lineage.datasets.isEmpty {
            Console.line("Datasets       none recorded")
        }
        for dataset in lineage.datasets {
            Console.line("Dataset        \(dataset.name)  digest \(dataset.digest)" + (dataset.context.map { "  (\($0))" } ?? "") + "  source \(dataset.source)")
        }
    }
}
