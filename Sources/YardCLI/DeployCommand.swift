import ArgumentParser
import Foundation
import YardClient
import YardCore

struct DeployCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deploy",
        abstract: "Create, inspect, change and remove model deployments on a yard server.",
        discussion: """
            A deployment serves a registered model at /serving/<name>/invocations (MLflow's scoring API) and /v2/models/<name>/infer (Open Inference Protocol). Deploy an alias (models:/churn@prod) and the server follows it: a promotion or a rollback swaps the serving version within a second, without failing requests.

            Examples:
              yard deploy create churn models:/churn@prod
              yard deploy update churn --canary-uri models:/churn/8 --canary-share 0.1
              yard deploy update churn --shadow-uri models:/churn/7
              yard deploy update churn --no-canary
              yard deploy list
              yard deploy show churn
              yard deploy delete churn
            """,
        subcommands: [DeployCreateCommand.self, DeployListCommand.self, DeployShowCommand.self,
                      DeployUpdateCommand.self, DeployDeleteCommand.self])
}

/// `--tracking-uri` (or `--server`), else $YARD_SERVER, else $MLFLOW_TRACKING_URI, else the default port.
struct DeployServerOptions: ParsableArguments {
    @Option(name: [.customLong("tracking-uri"), .customLong("server")],
            help: "URL of the yard server (default: $YARD_SERVER, else $MLFLOW_TRACKING_URI, else http://127.0.0.1:5000).")
    var trackingURI: String?

    var client: DeploymentsClient { DeploymentsClient(connection: ServerConnection.resolve(server: trackingURI)) }
}

struct DeploymentFieldOptions: ParsableArguments {
    @Option(name: .customLong("canary-uri"), help: "A second model answering --canary-share of the requests.")
    var canaryURI: String?

    @Option(name: .customLong("canary-share"), help: "Fraction of requests the canary answers, 0 to 1 (e.g. 0.1).")
    var canaryShare: Double?

    @Option(name: .customLong("shadow-uri"), help: "A model that sees a copy of every request; its answers go only to the prediction log.")
    var shadowURI: String?

    @Option(name: .customLong("log-sample-rate"), help: "Fraction of predictions written to the prediction log, 0 to 1.")
    var logSampleRate: Double?

    func validate() throws {
        for (flag, value) in [("--canary-share", canaryShare), ("--log-sample-rate", logSampleRate)] {
            if let value, !(value.isFinite && (0...1).contains(value)) {
                throw ValidationError("\(flag) must be a fraction between 0 and 1, got \(value).")
            }
        }
    }
}

struct DeployCreateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "create", abstract: "Create a deployment and wait until its model is loaded (or says why not).",
        discussion: """
            Examples:
              yard deploy create churn models:/churn@prod
              yard deploy create churn models:/churn@prod --log-sample-rate 0.1
            """)

    @Argument(help: "Deployment name: letters, digits, '-', '_' or '.', at most 64.") var name: String
    @Argument(help: "The model to serve: models:/<name>@<alias> or models:/<name>/<version>.") var modelURI: String
    @OptionGroup var fields: DeploymentFieldOptions
    @OptionGroup var server: DeployServerOptions

    func run() async throws {
        let created = try await cliCall {
            try await server.client.create(name: name, fields: .init(
                modelURI: modelURI, canaryURI: fields.canaryURI, canaryShare: fields.canaryShare,
                shadowURI: fields.shadowURI, logSampleRate: fields.logSampleRate))
        }
        DeploymentPrinter.show(created)
        if !created.ready { throw ExitCode(1) }
    }
}

struct DeployListCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List deployments with the version each one serves.",
        discussion: "Example:\n  yard deploy list")

    @OptionGroup var server: DeployServerOptions

    func run() async throws {
        let deployments = try await cliCall { try await server.client.list() }
        guard !deployments.isEmpty else {
            Console.line("No deployments. Create one with `yard deploy create <name> models:/<model>@<alias>`.")
            return
        }
        var rows: [[String]] = []
        for deployment in deployments {
            var canary = "-"
            if deployment.canaryUri != nil {
                canary = "\(deployment.canaryVersion ?? "?") (\(DeploymentPrinter.percent(deployment.canaryShare)))"
            }
            let shadow = deployment.shadowUri == nil ? "-" : (deployment.shadowVersion ?? "?")
            let cells = [deployment.name, deployment.modelUri, deployment.servingVersion ?? "-", canary, shadow, deployment.ready ? "yes" : "no"]
            rows.append(cells.map { Console.printable($0) })
        }
        Console.line(Console.table(["NAME", "MODEL", "SERVING", "CANARY", "SHADOW", "READY"], rows))
    }
}

struct DeployShowCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show a deployment: its models, the versions serving, the last load error.",
        discussion: "Example:\n  yard deploy show churn")

    @Argument(help: "Deployment name.") var name: String
    @OptionGroup var server: DeployServerOptions

    func run() async throws {
        DeploymentPrinter.show(try await cliCall { try await server.client.get(name: name) })
    }
}

struct DeployUpdateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update", abstract: "Change a deployment's model, canary, shadow or log sampling.",
        discussion: """
            Only the options given change. The old model keeps serving until the new one is loaded.

            Examples:
              yard deploy update churn --model-uri models:/churn@prod
              yard deploy update churn --canary-uri models:/churn/9 --canary-share 0.2
              yard deploy update churn --no-canary --no-shadow
            """)

    @Argument(help: "Deployment name.") var name: String
    @Option(name: .customLong("model-uri"), help: "The primary model: models:/<name>@<alias> or models:/<name>/<version>.")
    var modelURI: String?
    @Flag(name: .customLong("no-canary"), help: "Remove the canary (all requests go to the primary).") var noCanary = false
    @Flag(name: .customLong("no-shadow"), help: "Remove the shadow.") var noShadow = false
    @OptionGroup var fields: DeploymentFieldOptions
    @OptionGroup var server: DeployServerOptions

    func validate() throws {
        if noCanary && fields.canaryURI != nil { throw ValidationError("Give --canary-uri or --no-canary, not both.") }
        if noShadow && fields.shadowURI != nil { throw ValidationError("Give --shadow-uri or --no-shadow, not both.") }
        if modelURI == nil && !noCanary && !noShadow && fields.canaryURI == nil && fields.canaryShare == nil
            && fields.shadowURI == nil && fields.logSampleRate == nil {
            throw ValidationError("Nothing to change: give --model-uri, --canary-uri, --canary-share, --shadow-uri, --log-sample-rate, --no-canary or --no-shadow.")
        }
    }

    func run() async throws {
        let updated = try await cliCall {
            try await server.client.update(name: name, fields: .init(
                modelURI: modelURI, canaryURI: fields.canaryURI, canaryShare: fields.canaryShare, shadowURI: fields.shadowURI,
                logSampleRate: fields.logSampleRate, clearCanary: noCanary, clearShadow: noShadow))
        }
        DeploymentPrinter.show(updated)
    }
}

struct DeployDeleteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Stop serving a deployment (its prediction log is kept).",
        discussion: "Example:\n  yard deploy delete churn")

    @Argument(help: "Deployment name.") var name: String
    @OptionGroup var server: DeployServerOptions

    func run() async throws {
        try await cliCall { try await server.client.delete(name: name) }
        Console.line("Deployment \(Console.printable(name)) deleted.")
    }
}

enum DeploymentPrinter {
    static func percent(_ share: Double) -> String {
        String(format: "%g%%", share * 100)
    }

    static func show(_ deployment: DeploymentsClient.Deployment) {
        func time(_ millis: Int64?) -> String {
            guard let millis else { return "-" }
            return ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
        }
        var lines = [
            "Deployment \(deployment.name): \(deployment.ready ? "serving" : "not serving")",
            "  endpoints:  /serving/\(deployment.name)/invocations, /v2/models/\(deployment.name)/infer",
            "  log sample: \(percent(deployment.logSampleRate))",
        ]
        for role in ["primary", "canary", "shadow"] {
            guard let slot = deployment.models[role] else { continue }
            var line = "  \(role.padding(toLength: 8, withPad: " ", startingAt: 0))    \(slot.uri) → "
            line += slot.version.map { "version \($0) (loaded \(time(slot.loadedAt)))" } ?? "nothing loaded"
            if role == "canary" { line += ", \(percent(deployment.canaryShare)) of requests" }
            lines.append(line)
            if let pending = slot.pendingVersion { lines.append("              pending version \(pending)") }
            if let error = slot.lastError { lines.append("              last error: \(error)") }
        }
        for line in lines { Console.line(Console.printable(line)) }
    }
}
