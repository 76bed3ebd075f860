import Foundation
import YardMonitoring

/// The retrain action of a server: `yard run <stage>` with this server's own executable, its runs
/// tracked on this server. The URL is known only once the server has bound its port (`--port 0`), so
/// runs asked for before that are tracked in the workspace's own store.
///
/// A pipeline action runs whatever the workspace's yard.yaml says, and monitors are defined over the API,
/// so stages run only in workspaces under the roots the operator named (`--pipeline-workspace`): none
/// named, no pipeline action runs. The check is made when a monitor is saved and again, on the resolved
/// path (symbolic links followed), right before the run.
public final class ServerPipelineTrigger: PipelineTrigger, @unchecked Sendable {
    let executable: String
    let allowedRoots: [String]
    private let lock = NSLock()
    private var url: String?

    /// `executable`: the yard binary to run; nil = the one this process runs. `allowedRoots`: folders
    /// whose sub-folders (and themselves) may be pipeline workspaces.
    public init(executable: String?, allowedRoots: [String] = []) {
        self.executable = executable ?? Self.currentExecutable
        self.allowedRoots = allowedRoots.map { Self.resolved($0) ?? $0 }
    }

    static func resolved(_ path: String) -> String? {
        guard let real = realpath(path, nil) else { return nil }
        defer { free(real) }
        return String(cString: real)
    }

    public func refusal(workspace: String) -> String? {
        guard !allowedRoots.isEmpty else {
            return "pipeline actions are off on this server; start it with --pipeline-workspace <folder> to allow workspaces under that folder."
        }
        guard let real = Self.resolved(workspace) else { return "'\(workspace.prefix(200))' is not an existing folder on the server." }
        let inside = allowedRoots.contains { root in real == root || real.hasPrefix(root.hasSuffix("/") ? root : root + "/") }
        return inside ? nil : "'\(workspace.prefix(200))' is not under a folder the server allows (--pipeline-workspace: \(allowedRoots.joined(separator: ", ")))."
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
        if let refusal = refusal(workspace: workspace) {
            return PipelineRunOutcome(exitCode: nil, timedOut: false, outputTail: "Not run: \(refusal)")
        }
        return await ProcessPipelineTrigger(executable: executable, trackingURI: trackingURI).run(workspace: workspace, stage: stage, timeout: timeout)
    }
}
