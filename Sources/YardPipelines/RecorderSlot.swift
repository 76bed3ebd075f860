import Foundation
import YardCore
import YardData
import YardJSON

/// The tracking side of a `yard run`: opens the recorder on first use, creates the experiment (the
/// pipeline's name) and one parent run, then one child run per executed stage.
actor RecorderSlot {
    struct Recording: Sendable {
        var runID: String
        var experimentID: String
        var trackingURI: String
        var recorder: any RunRecorder
    }

    private let factory: RecorderFactory?
    private let pipeline: String
    private var opened: (recorder: any RunRecorder, experimentID: String, parentRunID: String)?
    /// Recording work still in flight, per run: it runs beside the stages and is awaited by `drain()`.
    private var pending: [String: Task<Void, Never>] = [:]
    /// Extra tags on the parent run (a sweep says what it varies).
    var parentTags: [String: String] = [:]
    var parentName: String?

    init(factory: RecorderFactory?, pipeline: String) {
        self.factory = factory
        self.pipeline = pipeline
    }

    func configureParent(name: String, tags: [String: String]) {
        parentName = name
        parentTags = tags
    }

    /// Stages start side by side, so the first caller opens and the others await the same attempt (an
    /// actor is reentrant across the awaits inside, which would otherwise create two parent runs).
    private var opening: Task<(recorder: any RunRecorder, experimentID: String, parentRunID: String)?, any Error>?

    private func open(git: GitState) async throws -> (recorder: any RunRecorder, experimentID: String, parentRunID: String)? {
        if let opened { return opened }
        if let opening { return try await opening.value }
        guard let factory else { return nil }
        let pipeline = self.pipeline
        var tags = parentTags
        let name = parentName ?? "\(pipeline) run"
        let attempt = Task { () async throws -> (recorder: any RunRecorder, experimentID: String, parentRunID: String)? in
            do {
                let recorder = try await factory()
                let experimentID = try await recorder.experiment(named: pipeline)
                tags["yard.pipeline"] = pipeline
                if tags["yard.kind"] == nil { tags["yard.kind"] = "pipeline" }
                tags["mlflow.source.name"] = "yard run"
                tags["mlflow.source.type"] = "LOCAL"
                if let commit = git.commit { tags["mlflow.source.git.commit"] = commit }
                tags["yard.git.dirty"] = git.isDirty ? "true" : "false"
                let parent = try await recorder.startRun(experimentID: experimentID, name: name, parentRunID: nil, tags: tags)
                return (recorder, experimentID, parent)
            } catch {
                throw YardError(.invalidState, "Cannot record stage runs: \((error as? YardError)?.message ?? "\(error)"). Start the server, point --server at a running one, or pass --no-track to run without tracking.")
            }
        }
        opening = attempt
        let result = try await attempt.value
        opened = result
        return result
    }

    /// Starts the stage's run with its params, tags and inputs. Nil when tracking is off.
    func startStage(_ stage: StageSpec, params: [LockedParam], inputs: [LockedPath], git: GitState,
                    extraTags: [String: String] = [:], observer: any PipelineObserver) async throws -> Recording? {
        guard let opened = try await open(git: git) else { return nil }
        var tags = extraTags
        tags.merge([
            "yard.pipeline": pipeline, "yard.stage": stage.name, "yard.kind": "stage",
            "yard.command": String(stage.commandText.prefix(5000)),
            "mlflow.source.name": "yard run", "mlflow.source.type": "LOCAL",
            "yard.git.dirty": git.isDirty ? "true" : "false",
        ]) { _, ours in ours }
        if let commit = git.commit { tags["mlflow.source.git.commit"] = commit }
        if !stage.workingDirectory.isEmpty { tags["yard.wdir"] = stage.workingDirectory }
        let recorder = opened.recorder
        let runID = try await recorder.startRun(experimentID: opened.experimentID, name: stage.name,
                                                parentRunID: opened.parentRunID, tags: tags)
        var loggedParams: [String: String] = [:]
        for param in params {
            let key = param.file == PipelineSpecLoader.defaultParamsFile ? param.key : param.file + ":" + param.key
            loggedParams[String(key.prefix(250))] = String(YAMLText.display(param.value).prefix(6000))
        }
        let recorded = inputs.map { input in
            RecordedInput(name: input.path, digest: input.snapshot.digest.shortForm, source: input.path, kind: input.snapshot.kind.rawValue)
        }
        // Only the run id is needed before the command starts; the rest is recorded while it runs.
        let name = stage.name
        pending[runID] = Task {
            do {
                if !loggedParams.isEmpty { try await recorder.log(runID: runID, params: loggedParams, metrics: [:], tags: [:]) }
                if !recorded.isEmpty { try await recorder.logInputs(runID: runID, inputs: recorded) }
            } catch {
                observer.warning("stage '\(name)': could not record the params and inputs of run \(runID): \((error as? YardError)?.message ?? "\(error)")")
            }
        }
        return Recording(runID: runID, experimentID: opened.experimentID, trackingURI: recorder.trackingURI, recorder: recorder)
    }

    /// Records how the stage ended. Runs even when the run is being cancelled, so an interrupted stage
    /// is recorded as KILLED rather than left RUNNING.
    func finishStage(_ recording: Recording, stage: StageSpec, report: StageReport, outcome: StageOutcome, entry: LockEntry,
                     metrics: [(String, Double)], logPath: String, observer: any PipelineObserver) async {
        let status: RunStatus
        switch report.outcome {
        case .executed: status = .finished
        case .cancelled: status = .killed
        default: status = .failed
        }
        var tags: [String: String] = ["yard.duration_seconds": String(format: "%.3f", outcome.seconds)]
        switch outcome.ending {
        case .succeeded: tags["yard.exit_status"] = "0"
        case .failed(let code, _): tags["yard.exit_status"] = String(code)
        case .signalled(let signal, _): tags["yard.exit_status"] = "signal \(signal)"
        case .timedOut: tags["yard.exit_status"] = "timeout"
        case .cancelled: tags["yard.exit_status"] = "cancelled"
        case .couldNotStart: tags["yard.exit_status"] = "not started"
        }
        if case .failed(let reason) = report.outcome { tags["yard.failure"] = String(reason.prefix(5000)) }
        if status == .finished {
            let lockJSON = String(decoding: JSONWriter.bytes(entry.json), as: UTF8.self)
            if lockJSON.utf8.count <= 7500 { tags["yard.lock"] = lockJSON }
            for output in entry.outs.prefix(50) { tags["yard.out." + String(output.path.prefix(200))] = output.snapshot.digest.description }
        }
        let lockJSON = JSONWriter.bytes(entry.json)
        let metricsByKey = Dictionary(metrics.map { (String($0.0.prefix(250)), $0.1) }, uniquingKeysWith: { _, last in last })
        let pipelineName = pipeline
        let started = pending[recording.runID]
        pending[recording.runID] = Task {
            await started?.value
            let recorder = recording.recorder
            do {
                try await recorder.log(runID: recording.runID, params: [:], metrics: metricsByKey, tags: tags)
                if FileSystem.exists(logPath) {
                    try await recorder.uploadArtifact(runID: recording.runID, localPath: logPath, artifactPath: "logs/\(stage.name).log")
                }
                if status == .finished && tags["yard.lock"] == nil {
                    // Too large for a tag: the lock entry travels as an artifact instead.
                    let lockFile = NSTemporaryDirectory() + "/yard-lock-\(recording.runID).json"
                    try FileSystem.writeAtomically(lockFile, lockJSON)
                    defer { FileSystem.remove(lockFile) }
                    try await recorder.uploadArtifact(runID: recording.runID, localPath: lockFile, artifactPath: Reproducer.lockArtifact)
                }
                try await recorder.finishRun(runID: recording.runID, status: status)
            } catch {
                observer.warning("stage '\(stage.name)' (\(pipelineName)): could not finish recording run \(recording.runID): \((error as? YardError)?.message ?? "\(error)")")
            }
        }
    }

    /// Waits for every recording still in flight.
    func drain() async {
        while let (runID, task) = pending.first {
            await task.value
            if pending[runID] == task { pending[runID] = nil }
        }
    }

    func finishParent(success: Bool, cancelled: Bool) async {
        await drain()
        guard let opened else { return }
        let status: RunStatus = cancelled ? .killed : (success ? .finished : .failed)
        await Task { try? await opened.recorder.finishRun(runID: opened.parentRunID, status: status) }.value
    }
}
