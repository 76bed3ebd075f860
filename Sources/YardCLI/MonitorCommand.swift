import ArgumentParser
import Foundation
import YardClient
import YardCore
import YardJSON
import YardMonitoring
import YardPipelines

struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Watch a deployment or record stream for drift and quality loss, with alerts that call webhooks or run pipelines.",
        discussion: """
            A monitor compares a window of live data (a deployment's prediction log, or a stream posted to /api/v1/streams/<name>/records) with a reference dataset version (`yard data add --name`, its bytes pushed with `yard data push`). Each evaluation tests every column for drift, computes quality when labels were posted, and moves the alert rules; a rule that fires calls its actions (a webhook POST, or a pipeline stage run).

            monitor.yaml:
              name: churn-drift
              source: {deployment: churn}
              reference: {dataset: churn-train, digest: 3f2a9c1}
              window: {last_records: 1000}
              schedule_seconds: 300
              columns: {target: churned, prediction: prediction, ignored: [id]}
              rules:
                - name: drift
                  condition: "share_drifted > 0.3 for 2 evaluations"
                  actions: [notify, retrain]
              actions:
                notify: {webhook: {url: "https://hooks.example.com/yard"}}
                retrain: {pipeline: {workspace: /srv/churn, stage: train}}

            Examples:
              yard monitor create --file monitor.yaml
              yard monitor list
              yard monitor evaluate churn-drift
              yard monitor history churn-drift --limit 20
              yard monitor alerts churn-drift
              yard monitor show churn-drift
              yard monitor delete churn-drift
            """,
        subcommands: [MonitorCreateCommand.self, MonitorUpdateCommand.self, MonitorListCommand.self, MonitorShowCommand.self,
                      MonitorEvaluateCommand.self, MonitorHistoryCommand.self, MonitorAlertsCommand.self, MonitorDeleteCommand.self])
}

struct MonitorServerOptions: ParsableArguments {
    @Option(name: [.customLong("server"), .customLong("tracking-uri")],
            help: "URL of the yard server (default: $YARD_SERVER, else $MLFLOW_TRACKING_URI, else http://127.0.0.1:5000).")
    var server: String?

    var client: MonitorsClient { MonitorsClient(connection: ServerConnection.resolve(server: server)) }
}

struct MonitorFileOption: ParsableArguments {
    @Option(name: .shortAndLong, help: "The monitor definition: a YAML or JSON file (see `yard monitor --help`).")
    var file: String

    /// The file as JSON, whichever of YAML or JSON it was written in.
    func document() throws -> Data {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw CLIError("Cannot read the monitor file '\(file)'; check the path.")
        }
        let root: JSONValue
        do {
            root = try ParamsFile.parse(String(decoding: data, as: UTF8.self), source: file).root
        } catch {
            throw CLIError(error.message)
        }
        guard case .object = root else {
            throw CLIError("'\(file)' must hold one monitor definition (a mapping with name, source, reference, rules, ...).")
        }
        return Data(JSONWriter.bytes(root))
    }
}

struct MonitorCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a monitor from a YAML or JSON definition.",
        discussion: """
            The server checks the definition and names the field it refuses (rules[0].condition, reference.digest, ...).

            Examples:
              yard monitor create --file monitor.yaml
              yard monitor create -f monitor.json --server http://yard.internal:5000
            """)

    @OptionGroup var file: MonitorFileOption
    @OptionGroup var server: MonitorServerOptions

    func run() async throws {
        let document = try file.document()
        let monitor = try await cliCall { try await server.client.create(document: document) }
        Console.line("Monitor \(Console.printable(monitor.name)) created.")
        MonitorPrinter.show(monitor)
        Console.line("Evaluate it now with `yard monitor evaluate \(Console.printable(monitor.name))`.")
    }
}

struct MonitorUpdateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update", abstract: "Replace a monitor's definition (its history and alert states stay).",
        discussion: "Example:\n  yard monitor update churn-drift --file monitor.yaml")

    @Argument(help: "Monitor name.") var name: String
    @OptionGroup var file: MonitorFileOption
    @OptionGroup var server: MonitorServerOptions

    func run() async throws {
        let document = try file.document()
        let monitor = try await cliCall { try await server.client.update(name: name, document: document) }
        Console.line("Monitor \(Console.printable(monitor.name)) updated.")
        MonitorPrinter.show(monitor)
    }
}

struct MonitorListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List monitors with what they watch and their schedule.",
        discussion: "Example:\n  yard monitor list")

    @OptionGroup var server: MonitorServerOptions

    func run() async throws {
        let monitors = try await cliCall { try await server.client.list() }
        guard !monitors.isEmpty else {
            Console.line("No monitors. Create one with `yard monitor create --file monitor.yaml` (see `yard monitor --help`).")
            return
        }
        let rows = monitors.map { monitor in
            [monitor.name, MonitorPrinter.source(monitor), MonitorPrinter.reference(monitor), MonitorPrinter.schedule(monitor),
             String(monitor.rules?.count ?? 0)].map { Console.printable($0) }
        }
        Console.line(Console.table(["NAME", "SOURCE", "REFERENCE", "SCHEDULE", "RULES"], rows))
    }
}

struct MonitorShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show a monitor's definition, its rules' states and its last evaluation.",
        discussion: "Examples:\n  yard monitor show churn-drift\n  yard monitor show churn-drift --json")

    @Argument(help: "Monitor name.") var name: String
    @Flag(help: "Print the stored definition as JSON.") var json = false
    @OptionGroup var server: MonitorServerOptions

    func run() async throws {
        let client = server.client
        if json {
            let document = try await cliCall { try await client.document(name: name) }
            Console.line(String(decoding: document, as: UTF8.self))
            return
        }
        let monitor = try await cliCall { try await client.get(name: name) }
        MonitorPrinter.show(monitor)
        let alerts = try await cliCall { try await client.alerts(name: name, limit: 1) }
        for state in alerts.states {
            Console.line(Console.printable("  rule \(state.rule): \(state.state) since \(MonitorPrinter.time(state.since))"))
        }
        if let last = try await cliCall({ try await client.evaluations(name: name, limit: 1) }).first {
            Console.line("  last evaluation: \(MonitorPrinter.summary(last))")
        } else {
            Console.line("  not evaluated yet")
        }
    }
}

struct MonitorEvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate", abstract: "Evaluate a monitor now and print its drift table and quality figures.",
        discussion: """
            The evaluation is stored in the monitor's history and moves its alert rules, as a scheduled one would.

            Examples:
              yard monitor evaluate churn-drift
              yard monitor evaluate churn-drift --json
            """)

    @Argument(help: "Monitor name.") var name: String
    @Flag(help: "Print the evaluation as the server returned it (JSON).") var json = false
    @OptionGroup var server: MonitorServerOptions

    func run() async throws {
        let client = server.client
        if json {
            let reply = try await cliCall { try await client.connection.send(.POST, "/api/v1/monitors/\(ServerConnection.pathComponent(name))/evaluate", body: Data("{}".utf8)) }
            guard reply.status == 200 else { throw CLIError(ServerConnection.error(from: reply).message) }
            Console.line(String(decoding: reply.body, as: UTF8.self))
            return
        }
        let evaluation = try await cliCall { try await client.evaluate(name: name) }
        MonitorPrinter.show(evaluation)
        if evaluation.status != "ok" { throw ExitCode(1) }
    }
}

struct MonitorHistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "List a monitor's evaluations, newest first.",
        discussion: "Examples:\n  yard monitor history churn-drift\n  yard monitor history churn-drift --limit 100")

    @Argument(help: "Monitor name.") var name: String
    @Option(help: "How many evaluations to list.") var limit = 20
    @OptionGroup var server: MonitorServerOptions

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be a positive number, got \(limit).") }
    }

    func run() async throws {
        let evaluations = try await cliCall { try await server.client.evaluations(name: name, limit: limit) }
        guard !evaluations.isEmpty else {
            Console.line("No evaluations of \(Console.printable(name)) yet. Run one with `yard monitor evaluate \(Console.printable(name))`.")
            return
        }
        let rows = evaluations.map { evaluation -> [String] in
            let quality = (evaluation.result?.quality?.values ?? [:]).sorted { $0.key < $1.key }.prefix(3)
                .map { "\($0.key)=\(MonitorPrinter.figure($0.value))" }.joined(separator: " ")
            return [String(evaluation.id), MonitorPrinter.time(evaluation.evaluatedAt), evaluation.status, String(evaluation.rows),
                    evaluation.modelVersion.isEmpty ? "-" : evaluation.modelVersion,
                    evaluation.shareDrifted.map { MonitorPrinter.percent($0) } ?? "-", evaluation.datasetDrift ? "yes" : "no",
                    quality.isEmpty ? (evaluation.error ?? "") : quality].map { Console.printable($0) }
        }
        Console.line(Console.table(["ID", "EVALUATED", "STATUS", "ROWS", "VERSION", "DRIFTED", "DATASET DRIFT", "QUALITY / ERROR"], rows))
    }
}

struct MonitorAlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts", abstract: "Show a monitor's alert rules, their events and the actions they ran.",
        discussion: "Example:\n  yard monitor alerts churn-drift")

    @Argument(help: "Monitor name.") var name: String
    @Option(help: "How many events and actions to list.") var limit = 20
    @OptionGroup var server: MonitorServerOptions

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be a positive number, got \(limit).") }
    }

    func run() async throws {
        let client = server.client
        let alerts = try await cliCall { try await client.alerts(name: name, limit: limit) }
        let actions = try await cliCall { try await client.actions(monitor: name, limit: limit) }
        if alerts.states.isEmpty {
            Console.line("No alert rule has been evaluated yet.")
        } else {
            Console.line(Console.table(["RULE", "STATE", "SINCE", "CONSECUTIVE", "LAST VALUE"], alerts.states.map { state in
                [state.rule, state.state, MonitorPrinter.time(state.since), String(state.consecutive),
                 state.lastValue.map(MonitorPrinter.figure) ?? "-"].map { Console.printable($0) }
            }))
        }
        Console.line("")
        if alerts.events.isEmpty {
            Console.line("No alert events.")
        } else {
            Console.line(Console.table(["EVENT", "TIME", "RULE", "STATE", "VALUE", "MESSAGE"], alerts.events.map { event in
                [String(event.id), MonitorPrinter.time(event.timestamp), event.rule, event.state,
                 event.value.map(MonitorPrinter.figure) ?? "-", event.message].map { Console.printable($0) }
            }))
        }
        Console.line("")
        if actions.isEmpty {
            Console.line("No actions ran.")
        } else {
            Console.line(Console.table(["EVENT", "TIME", "ACTION", "TARGET", "ATTEMPT", "OUTCOME", "DETAIL"], actions.map { outcome in
                [String(outcome.eventId), MonitorPrinter.time(outcome.timestamp), outcome.action, outcome.target,
                 String(outcome.attempt), outcome.outcome, String(outcome.detail.prefix(120))].map { Console.printable($0) }
            }))
        }
    }
}

struct MonitorDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete a monitor (its evaluations, alert events and action outcomes are kept).",
        discussion: "Example:\n  yard monitor delete churn-drift")

    @Argument(help: "Monitor name.") var name: String
    @OptionGroup var server: MonitorServerOptions

    func run() async throws {
        try await cliCall { try await server.client.delete(name: name) }
        Console.line("Monitor \(Console.printable(name)) deleted.")
    }
}

enum MonitorPrinter {
    static func time(_ millis: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    static func percent(_ share: Double) -> String {
        String(format: "%.1f%%", share * 100)
    }

    static func figure(_ value: Double) -> String {
        String(format: "%.4g", value)
    }

    static func source(_ monitor: MonitorsClient.Monitor) -> String {
        if let deployment = monitor.source?["deployment"] { return "deployment \(deployment)" }
        if let stream = monitor.source?["stream"] { return "stream \(stream)" }
        return "-"
    }

    static func reference(_ monitor: MonitorsClient.Monitor) -> String {
        guard let reference = monitor.reference else { return "-" }
        return "\(reference.dataset)@\(reference.digest.prefix(12))"
    }

    static func schedule(_ monitor: MonitorsClient.Monitor) -> String {
        guard let seconds = monitor.scheduleSeconds, seconds > 0 else { return "on demand" }
        return "every \(String(format: "%g", seconds))s"
    }

    static func window(_ monitor: MonitorsClient.Monitor) -> String {
        if let records = monitor.window?["last_records"] { return "last \(Int(records)) records" }
        if let seconds = monitor.window?["last_seconds"] { return "last \(String(format: "%g", seconds)) seconds" }
        return "-"
    }

    static func show(_ monitor: MonitorsClient.Monitor) {
        var lines = [
            "Monitor \(monitor.name)",
            "  source:     \(source(monitor))",
            "  reference:  \(reference(monitor))",
            "  window:     \(window(monitor))",
            "  schedule:   \(schedule(monitor))",
        ]
        for rule in monitor.rules ?? [] {
            let actions = rule.actions.map { $0.isEmpty ? "" : " → \($0.joined(separator: ", "))" } ?? ""
            lines.append("  rule \(rule.name): \(rule.condition)\(actions)")
        }
        for line in lines { Console.line(Console.printable(line)) }
    }

    static func summary(_ evaluation: MonitorsClient.Evaluation) -> String {
        var text = "#\(evaluation.id) at \(time(evaluation.evaluatedAt)), \(evaluation.status), \(evaluation.rows) rows"
        if let share = evaluation.shareDrifted, evaluation.status == "ok" {
            text += ", \(percent(share)) of columns drifted, dataset drift \(evaluation.datasetDrift ? "yes" : "no")"
        }
        if let error = evaluation.error { text += ": \(error)" }
        return text
    }

    /// The drift table as `yard drift` prints it, then quality and fairness figures.
    static func show(_ evaluation: MonitorsClient.Evaluation) {
        let model = evaluation.modelName.isEmpty ? "" : " (model \(evaluation.modelName) version \(evaluation.modelVersion))"
        Console.line(Console.printable("Evaluation #\(evaluation.id) of \(evaluation.monitor) at \(time(evaluation.evaluatedAt))\(model)"))
        Console.line("Window: \(evaluation.rows) rows, \(evaluation.labeledRows) labeled, \(time(evaluation.windowStart)) to \(time(evaluation.windowEnd))")
        guard evaluation.status == "ok" else {
            Console.line(Console.printable("Status: \(evaluation.status)\(evaluation.error.map { ": \($0)" } ?? "")"))
            return
        }
        Console.line("")
        if let result = evaluation.result {
            Console.line(DriftReportText.render(report(evaluation, result), colour: isatty(STDOUT_FILENO) == 1))
            for (title, figures) in [("Quality", result.quality), ("Fairness", result.fairness)] {
                guard let values = figures?.values, !values.isEmpty else { continue }
                Console.line("")
                Console.line(Console.table(["\(title.uppercased())", "VALUE"], values.sorted { $0.key < $1.key }.map { [Console.printable($0.key), figure($0.value)] }))
            }
        }
    }

    /// The evaluation's stored columns as a report, so the table reads exactly like `yard drift`'s.
    static func report(_ evaluation: MonitorsClient.Evaluation, _ result: MonitorsClient.EvaluationResult) -> DriftReport {
        let columns = (result.columns ?? []).map { column in
            ColumnDrift(
                column: column.column, role: column.role.flatMap(ColumnRole.init(rawValue:)) ?? .feature,
                kind: column.kind.flatMap(ColumnKind.init(rawValue:)) ?? .numerical,
                test: column.stattest ?? "-", testTitle: column.stattestTitle ?? "",
                scoreKind: column.scoreKind.flatMap(ScoreKind.init(rawValue:)) ?? .pValue,
                result: StatTestResult(statistic: column.statistic, pValue: column.pValue, score: column.score ?? .nan,
                                       threshold: column.threshold ?? .nan, drifted: column.drifted),
                referenceCount: column.referenceCount ?? 0, currentCount: column.currentCount ?? 0,
                referenceMissing: column.referenceMissing ?? 0, currentMissing: column.currentMissing ?? 0, histogram: nil)
        }
        return DriftReport(
            reference: result.reference ?? "reference", current: result.current ?? "\(evaluation.monitor) window",
            referenceRows: result.referenceRows ?? 0, currentRows: evaluation.rows, columns: columns,
            skipped: (result.skipped ?? []).map { SkippedColumn(column: $0.column, reason: $0.reason) },
            driftShare: result.driftShare ?? 0.5)
    }
}
