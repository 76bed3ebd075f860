import ArgumentParser
import YardClient
import YardCore
import YardS3

/// How client commands find the server.
struct ServerOptions: ParsableArguments {
    @Option(help: "URL of the yard server (default: $YARD_SERVER, else $MLFLOW_TRACKING_URI, else http://127.0.0.1:5000).")
    var server: String?

    var connection: ServerConnection { ServerConnection.resolve(server: server) }
}

/// How `yard server` reaches an S3-compatible bucket given as `--artifacts s3://bucket/prefix`. Credentials
/// come only from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), never from
/// flags, so they do not show up in process listings.
struct S3ServerOptions: ParsableArguments {
    @Option(name: .customLong("s3-endpoint-url"),
            help: "S3-compatible endpoint for an s3:// artifact root, e.g. http://127.0.0.1:9000 (default: $AWS_ENDPOINT_URL_S3, $AWS_ENDPOINT_URL or $MLFLOW_S3_ENDPOINT_URL, else AWS).")
    var endpointURL: String?

    @Option(name: .customLong("s3-region"), help: "Region to sign S3 requests for (default: $AWS_REGION, $AWS_DEFAULT_REGION, else us-east-1).")
    var region: String?

    @Option(name: .customLong("s3-addressing"),
            help: "How buckets are addressed: path (http://host/bucket/key; the default with an endpoint URL) or virtual (http://bucket.host/key; the default on AWS).")
    var addressing: String?

    func settings(environment: [String: String]) throws(YardError) -> S3Settings {
        try S3Settings.resolve(endpointURL: endpointURL, region: region, addressing: addressing, environment: environment)
    }
}
