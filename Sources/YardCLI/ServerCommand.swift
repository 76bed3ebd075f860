import ArgumentParser
import Foundation
import Hummingbird
import Logging
import YardCore
import YardS3
import YardServer

struct ServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Run the tracking server: the MLflow REST API, the artifact proxy, /health and /metrics.",
        discussion: """
            The server keeps its SQLite database and artifacts under --data-dir unless --store or --artifacts point elsewhere. It stops cleanly on Ctrl-C or SIGTERM, finishing requests in flight.

            For several servers behind a load balancer, put the metadata in PostgreSQL and the artifacts in S3: --store postgresql://user@host:5432/database (options: ?sslmode=disable|prefer|require, ?schema=name, ?pool_max=16, ?connect_timeout=5; the password from the URL or PGPASSWORD). Each server brings the schema up to date at start-up under an advisory lock (or run `yard db upgrade` first). While PostgreSQL is unreachable, requests fail with 503 and succeed again once it is back.

            Artifacts can live in an S3-compatible bucket: --artifacts s3://bucket/prefix, with the endpoint from --s3-endpoint-url (or AWS_ENDPOINT_URL / MLFLOW_S3_ENDPOINT_URL; AWS when unset), the region from --s3-region (or AWS_REGION / AWS_DEFAULT_REGION; us-east-1) and the credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. The server checks the bucket before it starts and says which of endpoint, bucket, key id or secret is wrong. Uploads above 16 MiB go up in parts and appear only once complete. With several servers, --objects s3://bucket/prefix shares the objects of `yard data push` through a bucket (the layout of a direct `yard data remote add … s3://…`); an upload is acknowledged once it is there, and each server keeps a verified copy of what it serves.

            Limits, one per surface: MLflow JSON requests up to 64 MiB, native API JSON up to 16 MiB, one artifact upload up to --max-artifact-size, one data object up to --max-object-size; larger bodies get 413 CONTENT_TOO_LARGE. An upload that would leave less than --min-free-disk free gets 507 INSUFFICIENT_STORAGE. A connection silent for --idle-timeout seconds is closed.

            Deployments (yard deploy, /api/v1/deployments) follow their model URIs: every --serving-poll-interval seconds each alias is resolved again, and a new version is loaded, warmed up and swapped in without failing a request. Scoring requests are limited to --max-request-size; the prediction log keeps the newest --prediction-log-retain records per deployment.

            Only requests whose Host header names this server are answered (DNS-rebinding protection): the bound address, localhost and IP addresses by default; add names with --allowed-hosts.

            Examples:
              yard server
              yard server --port 8080 --data-dir /srv/yard
              yard server --host 0.0.0.0 --store sqlite:///srv/yard/meta.db --artifacts /mnt/artifacts
              PGPASSWORD=… yard server --host 0.0.0.0 --store postgresql://yard@db:5432/yard --artifacts s3://ml-artifacts/yard
              AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… yard server --artifacts s3://ml-artifacts/yard --s3-endpoint-url http://127.0.0.1:9000
              PGPASSWORD=… yard server --store postgresql://yard@db:5432/yard --artifacts s3://ml/artifacts --objects s3://ml/objects
              yard server --host 0.0.0.0 --allowed-hosts yard.example.com
              yard server --max-artifact-size 50GiB --min-free-disk 10GiB
              yard server --serving-poll-interval 5 --prediction-log-retain 1000000
            """)

    @Option(help: "Address to listen on. Use 0.0.0.0 to accept connections from other machines.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on; 0 picks a free one.")
    var port = 5000

    @Option(name: .customLong("data-dir"), help: "Folder for the database and artifacts.")
    var dataDirectory = "yard-data"

    @Option(help: "Metadata store: sqlite:///path/to/file.db, a file path, or postgresql://user@host:5432/database (default: <data-dir>/yard.db).")
    var store: String?

    @Option(help: "Artifact root: a folder path, file:///path or s3://bucket/prefix (default: <data-dir>/artifacts).")
    var artifacts: String?

    @Option(help: "Share the objects `yard data push` sends between replicas in a bucket: s3://bucket/prefix (default: <data-dir>/objects only). Uses the S3 endpoint, region and credentials of the artifact root.")
    var objects: String?

    @OptionGroup(title: "S3 artifact root")
    var s3: S3ServerOptions

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel = "info"

    @Option(name: .customLong("max-artifact-size"), help: "Largest artifact one upload may write, e.g. 500MB or 10GiB.")
    var maxArtifactSize = "10GiB"

    @Option(name: .customLong("max-object-size"), help: "Largest data object `yard data push` may upload, e.g. 100GiB.")
    var maxObjectSize = "100GiB"

    @Option(name: .customLong("min-free-disk"), help: "Free space uploads must leave on the server's disk, e.g. 1GiB; 0 turns the check off.")
    var minFreeDisk = "1GiB"

    @Option(name: .customLong("idle-timeout"), help: "Seconds a connection may stay silent (idle, or stalled mid-request) before it is closed; 0 = never.")
    var idleTimeout = 60

    @Option(name: .customLong("allowed-hosts"), help: "Comma-separated extra Host names to answer (besides the bound address, localhost and IP addresses); * accepts any.")
    var allowedHosts: String?

    @Option(name: .customLong("serving-poll-interval"), help: "Seconds between checks of each deployment's model URIs for a new version (an alias moved).")
    var servingPollInterval: Double = 1

    @Option(name: .customLong("max-request-size"), help: "Largest scoring or inference request body, e.g. 64MiB; larger requests get 413.")
    var maxRequestSize = "64MiB"

    @Option(name: .customLong("prediction-log-retain"), help: "Prediction log records kept per deployment (the newest); 0 keeps everything.")
    var predictionLogRetain = 100_000

    @Option(name: .customLong("pipeline-workspace"),
            help: "A folder under which monitors' pipeline actions may run `yard run <stage>` (repeatable); without it, pipeline actions are refused.")
    var pipelineWorkspaces: [String] = []

    func validate() throws {
        guard servingPollInterval.isFinite, servingPollInterval >= 0.01 else {
            throw ValidationError("--serving-poll-interval must be at least 0.01 seconds, got \(servingPollInterval).")
        }
        guard predictionLogRetain >= 0 else {
            throw ValidationError("--prediction-log-retain must be 0 (keep everything) or a number of records, got \(predictionLogRetain).")
        }
        for (flag, value) in [("--max-artifact-size", maxArtifactSize), ("--max-object-size", maxObjectSize), ("--min-free-disk", minFreeDisk),
                              ("--max-request-size", maxRequestSize)]
        where BodyLimits.parseSize(value) == nil {
            throw ValidationError("\(flag) must be a size such as 500MB, 10GiB or a byte count, got '\(value)'.")
        }
        guard idleTimeout >= 0 else {
            throw ValidationError("--idle-timeout must be 0 (never) or a number of seconds, got \(idleTimeout).")
        }
        guard (0...65535).contains(port) else {
            throw ValidationError("--port must be between 0 and 65535, got \(port).")
        }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical.")
        }
    }

    private func s3Settings() throws -> S3Settings {
        do {
            return try s3.settings(environment: ProcessInfo.processInfo.environment)
        } catch {
            throw ValidationError(error.message)
        }
    }

    func run() async throws {
        var logger = Logger(label: "yard")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info
        var limits = BodyLimits()
        limits.artifactBytes = BodyLimits.parseSize(maxArtifactSize) ?? limits.artifactBytes
        limits.objectBytes = BodyLimits.parseSize(maxObjectSize) ?? limits.objectBytes
        limits.minimumFreeDiskBytes = BodyLimits.parseSize(minFreeDisk) ?? limits.minimumFreeDiskBytes
        var serving = ServingSettings(pollInterval: .milliseconds(Int64(servingPollInterval * 1000)))
        serving.maxRequestBytes = Int(BodyLimits.parseSize(maxRequestSize) ?? Int64(serving.maxRequestBytes))
        serving.predictionLog.retain = predictionLogRetain == 0 ? nil : predictionLogRetain
        let configuration = ServerConfiguration(
            host: host, port: port, dataDirectory: dataDirectory, storeURI: store, artifactsURI: artifacts,
            limits: limits, idleTimeoutSeconds: idleTimeout,
            allowedHosts: allowedHosts.map { $0.split(separator: ",").map(String.init) }, serving: serving,
            monitoring: MonitoringSettings(pipelineWorkspaces: pipelineWorkspaces),
            s3: try s3Settings(), objectsURI: objects)
        let application: any ApplicationProtocol
        do {
            let components = try await buildComponents(configuration)
            try await components.checkArtifactStore()
            let host = self.host
            Console.line("Modelyard tracking server")
            Console.line("  database:  \(components.databasePath)")
            Console.line("  artifacts: \(components.artifactRoot)")
            if components.objects.shared != nil { Console.line("  objects:   \(components.objects.displayName)") }
            application = try buildApplication(components: components, configuration: configuration, logger: logger) { boundPort in
                Console.line("  listening: http://\(host):\(boundPort)")
                Console.line("Point MLflow clients at it with MLFLOW_TRACKING_URI=http://\(host):\(boundPort)")
            }
        } catch let error as YardError {
            throw ValidationError(error.message)
        }
        try await application.runService()
        Console.line("Modelyard server stopped.")
    }
}
