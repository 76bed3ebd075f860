import Foundation
import YardCore
import YardData
import YardJSON

/// What `yard run` should do.
public struct RunOptions: Sendable {
    /// Stage names to bring up to date (with what they depend on); empty means every stage.
    public var targets: [String] = []
    /// Stages running at the same time.
    public var jobs: Int = ProcessInfo.processInfo.activeProcessorCount
    /// Run the selected stages even when they are up to date (and skip the run cache).
    public var force = false
    /// After a failure, keep starting stages that do not depend on it.
    public var keepGoing = false
    /// Restore identical earlier executions from the run cache.
    public var useRunCache = true
    /// Only say what would run.
    public var dryRun = false
    /// `--pull`: where to fetch the outputs of a restorable execution the local cache lacks.
    public var remote: (any Remote)?

    public init() {}
}

/// How each stage ended up.
public struct StageReport: Sendable {
    public enum Outcome: Sendable, Equatable {
        case upToDate
        case frozen
        case wouldRun
        case restored(fromRun: String?)
        case executed
        case failed(String)
        /// Not started because a stage it depends on failed (or the run stopped).
        case notRun(String)
        case cancelled
    }

    public var stage: String
    public var outcome: Outcome
    public var reasons: [StaleReason]
    public var seconds: Double
    /// The tracking run recording this execution.
    public var runID: String?
    public var warnings: [String]

    public var isSuccess: Bool {
        switch outcome {
        case .upToDate, .frozen, .wouldRun, .restored, .executed: return true
        case .failed, .notRun, .cancelled: return false
        }
    }
}

/// Receives progress as the run goes; the CLI prints it.
public protocol PipelineObserver: Sendable {
    func stageStarted(_ stage: String, reasons: [StaleReason], attempt: Int)
    func stageFinished(_ report: StageReport)
    func output(_ stage: String, line: String)
    func warning(_ message: String)
}

/// Opens the run recorder the first time a stage actually executes, so a no-op `yard run` never starts
/// a server or touches the store.
public typealias RecorderFactory = @Sendable () async throws -> any RunRecorder

/// Runs a pipeline: decides per stage (in dependency order, up to `jobs` at a time) whether it is up to
/// date, restorable from the run cache, or must execute; executes through a `StageExecutor`; stores
/// outputs in the data cache; writes `yard.lock` after each stage; records each execution as a run.
public final class PipelineRunner: Sendable {
    public let repository: DataRepository
    public let spec: PipelineSpec
    public let graph: PipelineGraph
    let executor: any StageExecutor
    let recorderSlot: RecorderSlot
    /// False when the parent run belongs to someone else (a sweep), who finishes it.
    let ownsRecorder: Bool
    let stageTags: [String: String]
    let observer: any PipelineObserver
    let runCache: RunCache
    let lockState: LockState
    let state: StateCache
    let gitWatch: GitWatch
    let windows = ExecutionWindows()
    /// Environment handed to every stage before its own `env` and the tracking variables.
    let baseEnvironment: [String: String]

    /// `sharedParent`: record stage runs under another run's parent (a sweep's) instead of opening one.
    /// `stageTags` are added to every stage run.
    public convenience init(repository: DataRepository, spec: PipelineSpec, executor: any StageExecutor,
                recorder: RecorderFactory?, observer: any PipelineObserver,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws(YardError) {
        try self.init(repository: repository, spec: spec, executor: executor, recorder: recorder, observer: observer,
                      sharedParent: nil, stageTags: [:], environment: environment)
    }

    init(repository: DataRepository, spec: PipelineSpec, executor: any StageExecutor,
         recorder: RecorderFactory?, observer: any PipelineObserver, sharedParent: RecorderSlot?,
         stageTags: [String: String], environment: [String: String] = ProcessInfo.processInfo.environment) throws(YardError) {
        self.repository = repository
        self.spec = spec
        graph = PipelineGraph(spec)
        self.executor = executor
        recorderSlot = sharedParent ?? RecorderSlot(factory: recorder, pipeline: spec.name)
        ownsRecorder = sharedParent == nil
        self.stageTags = stageTags
        self.observer = observer
        runCache = RunCache(repository: repository)
        lockState = LockState(lock: try PipelineLock.load(repositoryRoot: repository.root), root: repository.root)
        state = repository.openState()
        gitWatch = GitWatch(root: repository.root)
        baseEnvironment = environment
    }

    /// Runs the selected stages; returns one report per stage considered, in the order they finished.
    public func run(_ options: RunOptions) async throws -> [StageReport] {
        let dataLock = try repository.lock(.shared, command: "run")
        let runLock = try RepositoryLock.acquireNamed("run", in: repository.yardDirectory,
            busy: "Another `yard run` is running in this repository; wait for it to finish (two runs would write the same outputs).")
        defer {
            withExtendedLifetime(dataLock) {}
            withExtendedLifetime(runLock) {}
            state.save()
        }
        try ensureIgnored()
        let selected = options.targets.isEmpty ? Set(graph.stages.indices) : graph.closure(of: try graph.resolve(options.targets))
        let order = graph.topologicalOrder(of: selected)
        let jobs = max(1, options.jobs)
        var reports: [Int: StageReport] = [:]
        var started = Set<Int>()
        var stopScheduling = false
        await withTaskGroup(of: (Int, StageReport).self) { group in
            var running = 0
            func startReady() {
                for node in order where !started.contains(node) && running < jobs {
                    let parents = graph.upstream[node].filter { selected.contains($0) }
                    if parents.contains(where: { reports[$0].map { !$0.isSuccess } ?? false }) {
                        started.insert(node)
                        let failed = parents.first { reports[$0].map { !$0.isSuccess } ?? false }!
                        reports[node] = StageReport(stage: graph.stages[node].name, outcome: .notRun("'\(graph.stages[failed].name)' did not succeed"),
                                                    reasons: [], seconds: 0, runID: nil, warnings: [])
                        observer.stageFinished(reports[node]!)
                        continue
                    }
                    guard !stopScheduling, parents.allSatisfy({ reports[$0] != nil }) else { continue }
                    started.insert(node)
                    running += 1
                    group.addTask { (node, await self.process(node, options: options)) }
                }
            }
            // Stages blocked by a failure are settled as they become ready, so loop until nothing changes.
            var before = -1
            while before != started.count { before = started.count; startReady() }
            while let (node, report) = await group.next() {
                running -= 1
                reports[node] = report
                observer.stageFinished(report)
                if !report.isSuccess && !options.keepGoing { stopScheduling = true }
                if Task.isCancelled { stopScheduling = true }
                before = -1
                while before != started.count { before = started.count; startReady() }
            }
        }
        for node in order where reports[node] == nil {
            reports[node] = StageReport(stage: graph.stages[node].name, outcome: .notRun(Task.isCancelled ? "the run was interrupted" : "the run stopped after a failure (use --keep-going to run independent stages)"),
                                        reasons: [], seconds: 0, runID: nil, warnings: [])
            observer.stageFinished(reports[node]!)
        }
        attributeUndeclaredWrites(&reports)
        await recorderSlot.drain()
        if ownsRecorder {
            await recorderSlot.finishParent(success: reports.values.allSatisfy(\.isSuccess), cancelled: Task.isCancelled)
        }
        return order.compactMap { reports[$0] }
    }

    /// Files that appeared or changed in the work tree during the run and that no stage declares, named
    /// on the stage that wrote them (or on every stage that ran, when several ran side by side). One
    /// `git status` per run, not per stage, keeps the per-stage overhead small.
    func attributeUndeclaredWrites(_ reports: inout [Int: StageReport]) {
        let executed = reports.filter { if case .executed = $0.value.outcome { return true }; return false }.keys.sorted()
        guard !executed.isEmpty else { return }
        let declared = spec.stages.flatMap { $0.outs.map(\.path) }
        let undeclared = gitWatch.newlyChanged().filter { path in
            path != PipelineLock.fileName && !path.hasPrefix(DataRepository.directoryName + "/")
                && !declared.contains { path == $0 || path.hasPrefix($0 + "/") }
                && !path.hasSuffix("/.gitignore") && path != ".gitignore"
        }.sorted()
        for path in undeclared.prefix(20) {
            // The file's modification time says which stage was running when it was written; a deleted
            // file (or one touched between stages) is put on every stage that ran.
            let modified = FileSystem.info(repository.root + "/" + path)?.modifiedNanoseconds
            var writers = executed
            if let modified {
                // The stage whose running time is nearest the write: inside its window, or just before its
                // start (file times come from a clock that can lag the one the runner reads).
                let distances = executed.compactMap { node in windows.distance(node: node, time: modified).map { (node, $0) } }
                if let best = distances.map(\.1).min(), best <= 10_000_000 {
                    writers = distances.filter { $0.1 == best }.map(\.0)
                }
            }
            let names = writers.map { graph.stages[$0].name }
            let who = names.count == 1 ? "stage '\(names[0])'" : "one of the stages \(names.joined(separator: ", "))"
            let message = "\(who) wrote '\(path)', which is not a declared output of any stage; declare it in `outs` so it is versioned and restored"
            observer.warning(message)
            for node in writers { reports[node]?.warnings.append(message) }
        }
    }

    /// The run cache and embedded store stay out of git.
    func ensureIgnored() throws(YardError) {
        let path = repository.yardDirectory + "/.gitignore"
        var text = FileSystem.exists(path) ? String(decoding: try FileSystem.readFile(path), as: UTF8.self) : ""
        var changed = false
        for line in ["/runcache/", "/tracking/"] where !text.split(separator: "\n").contains(Substring(line)) {
            if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
            text += line + "\n"
            changed = true
        }
        if changed { try FileSystem.writeAtomically(path, Array(text.utf8)) }
    }

    // MARK: one stage

    func process(_ node: Int, options: RunOptions) async -> StageReport {
        let stage = graph.stages[node]
        var report = StageReport(stage: stage.name, outcome: .upToDate, reasons: [], seconds: 0, runID: nil, warnings: [])
        if stage.frozen, await lockState.entry(stage.name) != nil {
            report.outcome = .frozen
            return report
        }
        let started = ContinuousClock.now
        do {
            let inputs = try await Blocking.run { () throws(YardError) in try self.currentInputs(stage) }
            let locked = await lockState.entry(stage.name)
            report.reasons = options.force ? [.forced] : StageStaleness.reasons(stage: stage, locked: locked, deps: inputs.deps,
                                                                                   params: inputs.params, outs: inputs.outs)
            if report.reasons.isEmpty { return report }
            if options.dryRun {
                report.outcome = .wouldRun
                return report
            }
            let planned = LockEntry(command: stage.commandText, environment: Dictionary(stage.environment, uniquingKeysWith: { _, last in last }),
                                    deps: inputs.deps, params: inputs.params, outs: stage.outs.map { LockedPath(path: $0.path, snapshot: Self.placeholder) })
            // Outputs an identical execution produced come back from the data cache (fetched from the
            // remote with --pull): from the run cache, or from yard.lock itself when only outputs are missing.
            var candidates: [(entry: LockEntry, runID: String?)] = []
            if options.useRunCache && !options.force && stage.outs.allSatisfy(\.cache) && !stage.alwaysChanged {
                if let hit = runCache.lookup(planned.executionKey) { candidates.append((hit.entry, hit.runID)) }
                if let locked, report.reasons.allSatisfy({ if case .outputMissing = $0 { return true }; return false }) {
                    candidates.append((locked, nil))
                }
            }
            for candidate in candidates where candidate.entry.outs.map(\.path).sorted() == stage.outs.map(\.path).sorted() {
                if let remote = options.remote {
                    for output in candidate.entry.outs where !repository.cacheHolds(output.snapshot) {
                        try? await repository.fetch(output.snapshot, from: remote)
                    }
                }
                guard candidate.entry.outs.allSatisfy({ repository.cacheHolds($0.snapshot) }) else { continue }
                try await Blocking.run { () throws(YardError) in
                    for output in candidate.entry.outs { try self.repository.restore(output.path, to: output.snapshot, state: self.state) }
                }
                var entry = planned
                entry.outs = candidate.entry.outs
                try await lockState.update(stage.name, entry)
                report.outcome = .restored(fromRun: candidate.runID)
                report.seconds = Self.seconds(since: started)
                return report
            }
            return await execute(stage, planned: planned, report: report, started: started)
        } catch {
            report.outcome = .failed(error.message)
            report.seconds = Self.seconds(since: started)
            return report
        }
    }

    struct CurrentInputs: Sendable {
        var deps: [LockedPath]
        var params: [LockedParam]
        var outs: [String: PathSnapshot?]
    }

    func currentInputs(_ stage: StageSpec) throws(YardError) -> CurrentInputs {
        var deps: [LockedPath] = []
        for dep in stage.deps {
            guard let snapshot = try repository.snapshot(of: dep, state: state) else {
                throw .notFound("The dependency '\(dep)' is missing. Restore it (yard data checkout / git checkout) or run the stage that produces it.")
            }
            deps.append(LockedPath(path: dep, snapshot: snapshot))
        }
        var outs: [String: PathSnapshot?] = [:]
        for output in stage.outs { outs[output.path] = try repository.snapshot(of: output.path, state: state) }
        let params = try StageStaleness.currentParams(of: stage, repositoryRoot: repository.root)
        return CurrentInputs(deps: deps, params: params, outs: outs)
    }

    static let placeholder = PathSnapshot(kind: .file, digest: ContentDigest.of([]), size: 0, files: 0)

    static func seconds(since start: ContinuousClock.Instant) -> Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    }

    func execute(_ stage: StageSpec, planned: LockEntry, report initial: StageReport, started: ContinuousClock.Instant) async -> StageReport {
        var report = initial
        let root = repository.root
        if let failure = await clearOutputs(of: stage) {
            report.outcome = .failed(failure)
            return report
        }
        let recording: RecorderSlot.Recording?
        do {
            recording = try await recorderSlot.startStage(stage, params: planned.params, inputs: planned.deps, git: gitWatch.initial,
                                                          extraTags: stageTags, observer: observer)
        } catch {
            report.outcome = .failed((error as? YardError)?.message ?? "\(error)")
            return report
        }
        report.runID = recording?.runID
        var environment = baseEnvironment
        for (key, value) in stage.environment { environment[key] = value }
        if let recording {
            environment["MLFLOW_TRACKING_URI"] = recording.trackingURI
            environment["MLFLOW_RUN_ID"] = recording.runID
            environment["MLFLOW_EXPERIMENT_ID"] = recording.experimentID
        }
        environment["YARD_STAGE"] = stage.name
        let logPath = repository.yardDirectory + "/tmp/logs/" + stage.name.replacingOccurrences(of: "/", with: "_") + ".log"
        let job = StageJob(stage: stage.name, commands: stage.commands,
                           workingDirectory: stage.workingDirectory.isEmpty ? root : root + "/" + stage.workingDirectory,
                           environment: environment, timeoutSeconds: stage.timeoutSeconds,
                           inputs: stage.deps, outputs: stage.outs.map(\.path), logPath: logPath)
        let observer = self.observer
        var outcome = StageOutcome(ending: .cancelled, seconds: 0)
        let node = graph.index(of: stage.name) ?? -1
        windows.begin(node: node)
        defer { windows.end(node: node) }
        for attempt in 0...stage.retries {
            // A failed attempt's partial outputs must not pass for the next attempt's.
            if attempt > 0, let failure = await clearOutputs(of: stage) {
                outcome = StageOutcome(ending: .couldNotStart(failure), seconds: 0)
                break
            }
            observer.stageStarted(stage.name, reasons: report.reasons, attempt: attempt + 1)
            outcome = await executor.run(job) { name, line in observer.output(name, line: line) }
            switch outcome.ending {
            case .succeeded, .cancelled, .couldNotStart: break
            default: if attempt < stage.retries && !Task.isCancelled { continue }
            }
            break
        }
        var entry = planned
        var metrics: [(String, Double)] = []
        switch outcome.ending {
        case .succeeded:
            do {
                let (outs, warnings, read) = try await Blocking.run { () throws(YardError) in try self.collect(stage, planned: planned) }
                entry.outs = outs
                metrics = read
                report.warnings = warnings
                try await lockState.update(stage.name, entry)
                if stage.outs.allSatisfy(\.cache) { try? runCache.record(entry, runID: recording?.runID) }
                report.outcome = .executed
            } catch {
                report.outcome = .failed(error.message)
            }
        case .failed(let status, let command):
            report.outcome = .failed("command \(stage.commands.count > 1 ? "\(command + 1) " : "")exited with status \(status)")
        case .signalled(let signal, _):
            report.outcome = .failed("the command was killed by signal \(signal)")
        case .timedOut:
            report.outcome = .failed("it ran past its timeout of \(stage.timeoutSeconds.map { "\($0)" } ?? "?") s and was stopped")
        case .cancelled:
            report.outcome = .cancelled
        case .couldNotStart(let reason):
            report.outcome = .failed("the command could not start: \(reason)")
        }
        report.seconds = Self.seconds(since: started)
        if let recording {
            let finished = report
            await recorderSlot.finishStage(recording, stage: stage, report: finished, outcome: outcome, entry: entry,
                                           metrics: metrics, logPath: logPath, observer: observer)
        }
        return report
    }

    /// Outputs are the stage's to rewrite: cleared (unless `persist`) so a stale file is never taken for a
    /// fresh one, with their folders created. Returns why that failed, if it did.
    func clearOutputs(of stage: StageSpec) async -> String? {
        let root = repository.root
        do {
            try await Blocking.run { () throws(YardError) in
                for output in stage.outs {
                    if !output.persist { FileSystem.remove(root + "/" + output.path) }
                    let folder = PathText.parent(output.path)
                    if !folder.isEmpty { try FileSystem.createDirectory(root + "/" + folder) }
                }
            }
            return nil
        } catch {
            return error.message
        }
    }

    /// After a successful command: every declared output must exist; they go into the data cache (cached
    /// ones) and the lock; paths the command wrote that no stage declares are reported.
    func collect(_ stage: StageSpec, planned: LockEntry) throws(YardError) -> ([LockedPath], [String], [(String, Double)]) {
        var outs: [LockedPath] = []
        for output in stage.outs {
            let snapshot = output.cache ? try repository.store(output.path, state: state) : try repository.snapshot(of: output.path, state: state)
            guard let snapshot else {
                throw .invalid("The command succeeded but did not create its declared output '\(output.path)'; the stage is not recorded. Fix the command or the `outs` in yard.yaml.")
            }
            if output.cache && !output.isMetric { try repository.ignoreInGit(output.path) }
            outs.append(LockedPath(path: output.path, snapshot: snapshot))
        }
        // Dependencies go into the cache too, so `yard reproduce` can rebuild this execution's inputs
        // even from a work tree that differed from the commit.
        for dep in planned.deps where !repository.cacheHolds(dep.snapshot) { _ = try repository.store(dep.path, state: state) }
        var metrics: [(String, Double)] = []
        for file in stage.metricsFiles {
            do {
                metrics += try MetricsFile.read(file, repositoryRoot: repository.root)
            } catch {
                observer.warning("stage '\(stage.name)': cannot read metrics from '\(file)': \(error.message)")
            }
        }
        return (outs, [], metrics)
    }
}

/// The lock as the run goes: updated and saved after each stage, one writer at a time.
actor LockState {
    private var lock: PipelineLock
    private let root: String

    init(lock: PipelineLock, root: String) {
        self.lock = lock
        self.root = root
    }

    func entry(_ stage: String) -> LockEntry? { lock.stages[stage] }

    func update(_ stage: String, _ entry: LockEntry) throws(YardError) {
        lock.stages[stage] = entry
        try lock.save(repositoryRoot: root)
    }
}

/// Tracks which paths git sees as changed, so each finished stage can be told what it wrote that no
/// stage declares. With stages running side by side a path is attributed to the stage that finished
/// first after it appeared.
final class GitWatch: @unchecked Sendable {
    // Unchecked: `baseline` and `seen` are guarded by `lock`.
    let root: String
    private var baseline: GitState?
    private var seen: Set<String> = []
    private let lock = NSLock()

    init(root: String) {
        self.root = root
    }

    /// The commit and changed paths before the first stage executed (read then, so a run that executes
    /// nothing never spawns git).
    var initial: GitState {
        lock.lock()
        defer { lock.unlock() }
        if let baseline { return baseline }
        let state = GitState.read(at: root)
        baseline = state
        seen = state.changedPaths
        return state
    }

    func newlyChanged() -> [String] {
        lock.lock()
        defer { lock.unlock() }
        guard let baseline, baseline.commit != nil || FileSystem.exists(root + "/.git") else { return [] }
        let now = GitState.changedPaths(at: root)
        let fresh = now.subtracting(seen)
        seen.formUnion(now)
        return Array(fresh)
    }
}

/// When each stage's command was running (wall-clock nanoseconds, as file modification times are), to
/// tell which stage wrote a file.
final class ExecutionWindows: @unchecked Sendable {
    // Unchecked: `spans` is guarded by `lock`.
    private var spans: [Int: (start: Int64, end: Int64)] = [:]
    private let lock = NSLock()

    func begin(node: Int) {
        let now = FileSystem.nowNanoseconds()
        lock.lock()
        spans[node] = (now, .max)
        lock.unlock()
    }

    func end(node: Int) {
        let now = FileSystem.nowNanoseconds()
        lock.lock()
        spans[node]?.end = now
        lock.unlock()
    }

    /// How far `time` lies outside the node's running window (0 inside it); nil if it never ran.
    func distance(node: Int, time: Int64) -> Int64? {
        lock.lock()
        defer { lock.unlock() }
        guard let span = spans[node] else { return nil }
        if time < span.start { return span.start - time }
        if time > span.end { return time - span.end }
        return 0
    }
}

/// Blocking file and process work runs on its own threads, never on Swift's cooperative pool.
enum Blocking {
    static func run<T: Sendable>(_ work: @escaping @Sendable () throws(YardError) -> T) async throws(YardError) -> T {
        let result: Result<T, YardError> = await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                do throws(YardError) {
                    continuation.resume(returning: .success(try work()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}

/// A stage's standing for `yard status`.
public struct StageStanding: Sendable {
    public var stage: String
    /// Empty when up to date.
    public var reasons: [StaleReason]
    public var frozen: Bool
}

extension PipelineRunner {
    /// Which selected stages would run and exactly why, without running anything. A stage below a stale
    /// one is reported as waiting on it (its inputs are known only once the upstream stage has run).
    public func standings(targets: [String] = []) throws(YardError) -> [StageStanding] {
        defer { state.save() }
        let selected = targets.isEmpty ? Set(graph.stages.indices) : graph.closure(of: try graph.resolve(targets))
        let lock = try PipelineLock.load(repositoryRoot: repository.root)
        var stale = Set<Int>()
        var result: [StageStanding] = []
        for node in graph.topologicalOrder(of: selected) {
            let stage = graph.stages[node]
            if stage.frozen && lock.stages[stage.name] != nil {
                result.append(StageStanding(stage: stage.name, reasons: [], frozen: true))
                continue
            }
            var reasons: [StaleReason]
            do {
                let inputs = try currentInputs(stage)
                reasons = StageStaleness.reasons(stage: stage, locked: lock.stages[stage.name], deps: inputs.deps,
                                                 params: inputs.params, outs: inputs.outs)
            } catch where error.code == .resourceDoesNotExist {
                // A dependency is absent: said as such unless an upstream stage will produce it.
                reasons = graph.upstream[node].contains(where: stale.contains) ? []
                    : stage.deps.filter { FileSystem.info(repository.root + "/" + $0) == nil }.map { .dependencyMissing(path: $0) }
            }
            for parent in graph.upstream[node] where stale.contains(parent) {
                reasons.append(.upstreamStale(stage: graph.stages[parent].name))
            }
            if !reasons.isEmpty { stale.insert(node) }
            result.append(StageStanding(stage: stage.name, reasons: reasons, frozen: false))
        }
        return result
    }
}
