import ArgumentParser
import Foundation
import YardCore
import YardData
import YardS3

struct DataRemoteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "remote",
        abstract: "Add, list or remove remotes (folders, yard servers or S3 buckets) in .yard/config.",
        discussion: """
            Examples:
              yard data remote add origin /mnt/share/yard --default
              yard data remote add server http://127.0.0.1:5000
              yard data remote add origin s3://my-bucket/datasets --default
              yard data remote add minio s3://data/yard --endpoint-url http://127.0.0.1:9000
              yard data remote list
            """,
        subcommands: [Add.self, List.self, Remove.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add or replace a remote.",
            discussion: """
                An s3://bucket/prefix remote is spoken to directly with the S3 API: objects are stored under the
                prefix in the cache's layout and checked against their SHA-256 before they exist in the bucket.
                Credentials come from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN and are
                never stored. The endpoint and region come from --endpoint-url and --region when given (stored
                in .yard/config), else from AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL or MLFLOW_S3_ENDPOINT_URL and
                AWS_REGION or AWS_DEFAULT_REGION (default: AWS in us-east-1).

                Examples:
                  yard data remote add origin /mnt/share/yard --default
                  yard data remote add origin s3://my-bucket/datasets --region eu-west-1
                  yard data remote add minio s3://data/yard --endpoint-url http://127.0.0.1:9000
                """)

        @Argument(help: "Remote name.") var name: String
        @Argument(help: "A folder (absolute, or relative to the repository root), http(s):// URL of a yard server, or s3://bucket/prefix.")
        var location: String
        @Flag(help: "Use it when push, pull and fetch name no remote.") var `default` = false
        @Option(help: "s3:// remotes: the S3-compatible endpoint, e.g. http://127.0.0.1:9000 (default: from the AWS environment, else AWS).")
        var endpointURL: String?
        @Option(help: "s3:// remotes: the region (default: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1).")
        var region: String?
        @Option(help: "s3:// remotes: 'path' (bucket in the path) or 'virtual' (bucket in the host name); default: path with an endpoint URL, else virtual.")
        var addressing: String?

        func run() throws {
            try DataCLI.reportingErrors {
                let repository = try DataCLI.repository()
                var config = repository.config
                let settings = RepositoryConfig.RemoteSettings(endpointURL: endpointURL, region: region, addressing: addressing)
                if location.hasPrefix("s3://") {
                    try S3Remote.validate(uri: location, settings: settings)
                } else if !settings.isEmpty {
                    throw YardError.invalid("--endpoint-url, --region and --addressing apply to s3:// remotes only.")
                }
                config.remotes = (config.remotes ?? [:]).merging([name: location]) { $1 }
                config.remoteSettings?.removeValue(forKey: name)
                if !settings.isEmpty { config.remoteSettings = (config.remoteSettings ?? [:]).merging([name: settings]) { $1 } }
                if config.remoteSettings?.isEmpty == true { config.remoteSettings = nil }
                if `default` || config.defaultRemote == nil { config.defaultRemote = name }
                try config.save(repository.configPath)
                Console.line("Remote \(name) -> \(location)\(config.defaultRemote == name ? " (default)" : ""). Commit .yard/config to share it.")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List remotes.", discussion: "Example:\n  yard data remote list")

        func run() throws {
            try DataCLI.reportingErrors {
                let config = try DataCLI.repository().config
                for (name, location) in (config.remotes ?? [:]).sorted(by: { $0.key < $1.key }) {
                    let settings = config.remoteSettings?[name]
                    let options = [settings?.endpointURL.map { "endpoint \($0)" }, settings?.region.map { "region \($0)" },
                                   settings?.addressing.map { "addressing \($0)" }].compactMap { $0 }
                    let details = (options.isEmpty ? "" : "\t(" + options.joined(separator: ", ") + ")")
                        + (config.defaultRemote == name ? "\t(default)" : "")
                    Console.line("\(name)\t\(location)\(details)")
                }
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a remote.", discussion: "Example:\n  yard data remote remove origin")

        @Argument(help: "Remote name.") var name: String

        func run() throws {
            try DataCLI.reportingErrors {
                let repository = try DataCLI.repository()
                var config = repository.config
                guard config.remotes?.removeValue(forKey: name) != nil else {
                    throw YardError.notFound("No remote named '\(name)'; see `yard data remote list`.")
                }
                config.remoteSettings?.removeValue(forKey: name)
                if config.remoteSettings?.isEmpty == true { config.remoteSettings = nil }
                if config.defaultRemote == name { config.defaultRemote = nil }
                try config.save(repository.configPath)
                Console.line("Removed remote \(name).")
            }
        }
    }
}
