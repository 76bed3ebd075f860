import Foundation
import YardCore
import YardData
import YardJSON
import YardPipelines

/// A git work tree with `.yard/` initialised, for pipeline tests. Stage commands that need to leave
/// evidence (how often they ran, when) write into `scratch`, a folder outside the repository, so that
/// evidence is never mistaken for an undeclared output.
final class PipelineWorkspace: @unchecked Sendable {
    let directory = TemporaryDirectory()
    let repository: DataRepository
    let scratch: String
    var root: String { repository.root }

    /// `PATH` only: stage processes must not depend on whatever the test runner's environment holds.
    static let stageEnvironment = ["PATH": "/usr/local/bin:/usr/bin:/bin", "LC_ALL": "C"]

    init(git: Bool = true) throws {
        let rootPath = directory.path + "/repo"
        scratch = directory.path + "/scratch"
        try FileManager.default.createDirectory(atPath: rootPath, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        if git {
            try Self.shell("git", ["init", "-q", rootPath])
            try Self.shell("git", ["-C", rootPath, "config", "user.email", "test@example.com"])
            try Self.shell("git", ["-C", rootPath, "config", "user.name", "Test"])
            try Self.shell("git", ["-C", rootPath, "config", "commit.gpgsign", "false"])
        }
        repository = try DataRepository.initialize(at: rootPath)
    }

    /// Replaces the file rather than writing through it: an older version may be hard-linked into the cache.
    func write(_ relative: String, _ text: String) {
        let path = root + "/" + relative
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        unlink(path)
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    }

    func read(_ relative: String) -> String? {
        FileManager.default.contents(atPath: root + "/" + relative).map { String(decoding: $0, as: UTF8.self) }
    }

    func exists(_ relative: String) -> Bool { FileManager.default.fileExists(atPath: root + "/" + relative) }

    func remove(_ relative: String) { try? FileManager.default.removeItem(atPath: root + "/" + relative) }

    func spec() throws -> PipelineSpec { try PipelineSpecLoader.load(repositoryRoot: root) }

    func runner(observer: RecordingObserver = RecordingObserver(), recorder: RecorderFactory? = nil,
                executor: any StageExecutor = LocalProcessExecutor(gracePeriodSeconds: 0.5)) throws -> PipelineRunner {
        try PipelineRunner(repository: repository, spec: try spec(), executor: executor, recorder: recorder,
                           observer: observer, environment: Self.stageEnvironment)
    }

    /// Loads yard.yaml afresh and runs it, as one `yard run` does.
    func run(observer: RecordingObserver = RecordingObserver(), recorder: (any RunRecorder)? = nil,
             _ configure: (inout RunOptions) -> Void = { _ in }) async throws -> [StageReport] {
        var options = RunOptions()
        options.jobs = 2
        configure(&options)
        let factory: RecorderFactory? = recorder.map { recorder in { @Sendable in recorder } }
        return try await runner(observer: observer, recorder: factory).run(options)
    }

    func lock() throws -> PipelineLock { try PipelineLock.load(repositoryRoot: root) }

    /// A shell command that appends one line to `scratch/<name>`; `count(name)` reads how often it ran.
    func tally(_ name: String) -> String { "echo x >> '\(scratch)/\(name)'" }

    func count(_ name: String) -> Int {
        guard let text = try? String(contentsOfFile: scratch + "/" + name, encoding: .utf8) else { return 0 }
        return text.split(separator: "\n").count
    }

    /// Every run-cache entry file under `.yard/runcache`.
    func runCacheEntries() -> [String] {
        let folder = repository.yardDirectory + "/runcache"
        guard let enumerator = FileManager.default.enumerator(atPath: folder) else { return [] }
        return enumerator.compactMap { $0 as? String }.filter { $0.hasSuffix(".json") }
    }

    @discardableResult
    func git(_ arguments: String...) throws -> String {
        try Self.shell("git", ["-C", root] + arguments)
    }

    @discardableResult
    static func shell(_ tool: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw YardError(.internalError, "\(tool) \(arguments.joined(separator: " ")) exited with \(process.terminationStatus)")
        }
        return String(decoding: output, as: UTF8.self)
    }
}

extension Array where Element == StageReport {
    func report(_ stage: String) -> StageReport? { first { $0.stage == stage } }
    func outcome(_ stage: String) -> StageReport.Outcome? { report(stage)?.outcome }
    func all(_ outcome: StageReport.Outcome) -> Bool { !isEmpty && allSatisfy { $0.outcome == outcome } }
    var summary: String { map { "\($0.stage): \($0.outcome)" }.joined(separator: ", ") }
}

extension StageReport.Outcome {
    var failureMessage: String? {
        if case .failed(let message) = self { return message }
        return nil
    }

    var isNotRun: Bool {
        if case .notRun = self { return true }
        return false
    }

    var isRestored: Bool {
        if case .restored = self { return true }
        return false
    }
}

/// Everything a run tells its observer, in order, from whichever thread tells it.
final class RecordingObserver: PipelineObserver, @unchecked Sendable {
    enum Event: Sendable {
        case started(stage: String, attempt: Int, at: ContinuousClock.Instant)
        case finished(StageReport, at: ContinuousClock.Instant)
        case output(stage: String, line: String)
        case warning(String)
    }

    private let lock = NSLock()
    private var collected: [Event] = []

    var events: [Event] { lock.withLock { collected } }

    func stageStarted(_ stage: String, reasons: [StaleReason], attempt: Int) {
        lock.withLock { collected.append(.started(stage: stage, attempt: attempt, at: .now)) }
    }

    func stageFinished(_ report: StageReport) {
        lock.withLock { collected.append(.finished(report, at: .now)) }
    }

    func output(_ stage: String, line: String) {
        lock.withLock { collected.append(.output(stage: stage, line: line)) }
    }

    func warning(_ message: String) {
        lock.withLock { collected.append(.warning(message)) }
    }

    /// Stage names in the order they started (first attempts only).
    var startOrder: [String] {
        events.compactMap { if case .started(let stage, 1, _) = $0 { return stage }; return nil }
    }

    func attempts(of stage: String) -> Int {
        events.filter { if case .started(stage, _, _) = $0 { return true }; return false }.count
    }

    func lines(of stage: String) -> [String] {
        events.compactMap { if case .output(stage, let line) = $0 { return line }; return nil }
    }

    var warnings: [String] {
        events.compactMap { if case .warning(let message) = $0 { return message }; return nil }
    }
}

/// A RunRecorder that keeps runs in memory, for tests that need to see what the runner recorded without
/// a server. The real recorder over a real server is exercised by RunRecorderTests and the runner's
/// tracking test.
final class InMemoryRunRecorder: RunRecorder, @unchecked Sendable {
    struct StoredRun {
        var id: String
        var experimentID: String
        var name: String
        var parentRunID: String?
        var tags: [String: String]
        var params: [String: String] = [:]
        var metrics: [String: Double] = [:]
        var inputs: [RecordedInput] = []
        var artifacts: [String: [UInt8]] = [:]
        var status: RunStatus = .running
    }

    let trackingURI = "http://127.0.0.1:9/in-memory"
    private let lock = NSLock()
    private var experiments: [String: String] = [:]
    private var stored: [String: StoredRun] = [:]
    private var creationOrder: [String] = []

    var runs: [StoredRun] { lock.withLock { creationOrder.compactMap { stored[$0] } } }

    func run(named name: String) -> StoredRun? { runs.last { $0.name == name } }

    func experiment(named experiment: String) async throws -> String {
        lock.withLock {
            if let id = experiments[experiment] { return id }
            let id = String(experiments.count + 1)
            experiments[experiment] = id
            return id
        }
    }

    func startRun(experimentID: String, name: String, parentRunID: String?, tags: [String: String]) async throws -> String {
        lock.withLock {
            let id = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            stored[id] = StoredRun(id: id, experimentID: experimentID, name: name, parentRunID: parentRunID, tags: tags)
            creationOrder.append(id)
            return id
        }
    }

    func log(runID: String, params: [String: String], metrics: [String: Double], tags: [String: String]) async throws {
        try lock.withLock {
            guard stored[runID] != nil else { throw YardError(.resourceDoesNotExist, "no run \(runID)") }
            stored[runID]!.params.merge(params) { _, new in new }
            stored[runID]!.metrics.merge(metrics) { _, new in new }
            stored[runID]!.tags.merge(tags) { _, new in new }
        }
    }

    func logInputs(runID: String, inputs: [RecordedInput]) async throws {
        lock.withLock { stored[runID]?.inputs += inputs }
    }

    func uploadArtifact(runID: String, localPath: String, artifactPath: String) async throws {
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: localPath)))
        lock.withLock { stored[runID]?.artifacts[artifactPath] = bytes }
    }

    func finishRun(runID: String, status: RunStatus) async throws {
        lock.withLock { stored[runID]?.status = status }
    }

    func downloadArtifact(runID: String, artifactPath: String) async throws -> [UInt8] {
        guard let bytes = lock.withLock({ stored[runID]?.artifacts[artifactPath] }) else {
            throw YardError(.resourceDoesNotExist, "no artifact \(artifactPath) in run \(runID)")
        }
        return bytes
    }

    func fetchRun(runID: String) async throws -> Run {
        guard let run = lock.withLock({ stored[runID] }) else { throw YardError(.resourceDoesNotExist, "no run \(runID)") }
        var tags = run.tags
        if let parent = run.parentRunID { tags["mlflow.parentRunId"] = parent }
        return Run(info: RunInfo(runId: run.id, runName: run.name, experimentId: run.experimentID, userId: "", status: run.status,
                                 startTime: nil, endTime: nil, artifactUri: "", lifecycleStage: .active),
                   metrics: run.metrics.map { Metric(key: $0.key, value: $0.value, timestamp: 0) },
                   params: run.params.map { Param(key: $0.key, value: $0.value) },
                   tags: tags.map { Tag(key: $0.key, value: $0.value) })
    }
}

/// Polls until `condition` holds or `seconds` pass; returns whether it held.
func waitUntil(seconds: Double, _ condition: () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while ContinuousClock.now < deadline {
        if condition() { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return condition()
}

func elapsedSeconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}
