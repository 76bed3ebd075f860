import Foundation
import YardMonitoring

/// The retrain action of a server: `yard run <stage>` with this server's own executable, its runs
/// tracked on this server. The URL is known only once the server has bound its port (`--port 0`), so
/// runs asked for before that are tracked in the workspace's own store.
public final class ServerPipelineTrigger: PipelineTrigger, @unchecked Sendable {
    let executable: String
    private let lock = NSLock()
    private var url: String?

    /// `executable`: the yard binary to run; nil = the one this process runs.
    public init(executable: String?) {
        self.executable = executable ?? Self.currentExecutable
    }

    static var currentExecutable: String {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return resolved }
        return Bundle.main.executablePath ?? CommandLine.arguments[0]
    }

    /// Called when the server listens: `host` as bound (a wildcard address becomes loopback), `port` as bound.
    public func serverStarted(host: String, port: Int) {
        let reachable: String
        switch host {
        case "0.0.0.0", "": reachable = "127.0.0.1"
        case "::", "[::]": reachable = "[::1]"
        default: reachable = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        }
        lock.withLock { url = "http://\(reachable):\(port)" }
    }

    public var trackingURI: String? { lock.withLock { url } }

    public func run(workspace: String, stage: String, timeout: Duration) async -> PipelineRunOutcome {
        await ProcessPipelineTrigger(executable: executable, trackingURI: trackingURI).run(workspace: workspace, stage: stage, timeout: timeout)
    }
}
