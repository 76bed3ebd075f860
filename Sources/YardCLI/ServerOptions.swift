import ArgumentParser
import YardClient

/// How client commands find the server.
struct ServerOptions: ParsableArguments {
    @Option(help: "URL of the yard server (default: $YARD_SERVER, else $MLFLOW_TRACKING_URI, else http://127.0.0.1:5000).")
    var server: String?

    var connection: ServerConnection { ServerConnection.resolve(server: server) }
}
