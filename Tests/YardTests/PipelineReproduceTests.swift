import Foundation
import Testing
import YardCore
import YardData
import YardJSON
import YardClient
import YardPipelines
import YardServer

/// `yard reproduce`, sweeps, `yard metrics diff`, and the data commands that must know about pipelines
/// (gc keeps their outputs; push and `run --pull` move them), over real git, processes and caches.
@Suite("Pipeline reproduce, sweeps, metrics diff, gc and pull")
struct PipelineReproduceTests {
    static let deterministic = """
        stages:
          train:
            cmd: >-
              cat data.txt > model.txt && echo "lr=${train.lr}" >> model.txt && echo '{"score": ${train.lr}}' > score.json
            deps: [data.txt]
            outs: [model.txt]
            metrics: [score.json]
        """

    func committedWorkspace(_ yaml: String = deterministic, lr: String = "0.5") throws -> PipelineWorkspace {
        let workspace = try PipelineWorkspace()
        workspace.write("yard.yaml", yaml)
        workspace.write("params.yaml", "train:\n  lr: \(lr)\n")
        workspace.write("data.txt", "rows\n")
        try workspace.git("add", "-A")
        try workspace.git("commit", "-qm", "pipeline")
        return workspace
    }

    func stageRun(_ recorder: InMemoryRunRecorder, _ stage: String) async throws -> Run {
        let stored = try #require(recorder.run(named: stage))
        return try await recorder.fetchRun(runID: stored.id)
    }

    @Test func reproducingADeterministicStageMatchesAndLeavesTheWorkTreeAlone() async throws {
        let workspace = try committedWorkspace()
        let recorder = InMemoryRunRecorder()
        let reports = try await workspace.run(recorder: recorder)
        #expect(reports.outcome("train") == .executed)
        let before = workspace.read("model.txt")
        let result = try await Reproducer.reproduce(try await stageRun(recorder, "train"), in: workspace.repository,
                                                    executor: LocalProcessExecutor(), output: nil)
        #expect(result.outcome.succeeded)
        #expect(result.matches)
        #expect(result.outputs.map(\.path).sorted() == ["model.txt", "score.json"])
        #expect(result.restoredInputs.isEmpty && result.patchedParams.isEmpty)
        #expect(workspace.read("model.txt") == before)
        #expect(!FileManager.default.fileExists(atPath: result.workTree), "the temporary work tree is removed")
        #expect(!(try workspace.git("worktree", "list")).contains(result.workTree))
    }

    @Test func uncommittedParamsAndDataAreRebuiltFromTheRecord() async throws {
        let workspace = try committedWorkspace()
        // Run from a dirty tree: neither the param value nor the data are in the commit.
        workspace.write("params.yaml", "train:\n  lr: 0.9\n")
        workspace.write("data.txt", "other rows\n")
        let recorder = InMemoryRunRecorder()
        _ = try await workspace.run(recorder: recorder)
        let run = try await stageRun(recorder, "train")
        #expect(run.tags.contains(Tag(key: "yard.git.dirty", value: "true")))
        let result = try await Reproducer.reproduce(run, in: workspace.repository, executor: LocalProcessExecutor(), output: nil)
        #expect(result.restoredInputs == ["data.txt"])
        #expect(result.patchedParams == ["params.yaml:train.lr=0.9"])
        #expect(result.matches, "outputs: \(result.outputs.map { "\($0.path) \($0.matches)" })")
    }

    @Test func aNondeterministicStageIsReportedAsDiffering() async throws {
        let workspace = try committedWorkspace("""
            stages:
              noisy:
                cmd: date +%s%N > stamp.txt
                outs: [stamp.txt]
            """)
        let recorder = InMemoryRunRecorder()
        _ = try await workspace.run(recorder: recorder)
        let result = try await Reproducer.reproduce(try await stageRun(recorder, "noisy"), in: workspace.repository,
                                                    executor: LocalProcessExecutor(), output: nil)
        #expect(result.outcome.succeeded)
        #expect(!result.matches)
        let output = try #require(result.outputs.first)
        #expect(output.reproduced != nil && output.reproduced != output.recorded)
    }

    @Test func aRecordWithoutWhatReproductionNeedsNamesTheMissingParts() throws {
        let run = Run(info: RunInfo(runId: "abc", runName: "x", experimentId: "1", userId: "", status: .failed, startTime: nil,
                                    endTime: nil, artifactUri: "", lifecycleStage: .active),
                      metrics: [], params: [], tags: [Tag(key: "yard.stage", value: "train")])
        do {
            _ = try Reproducer.recordedEntry(of: run)
            Issue.record("a run without commit and lock entry was accepted")
        } catch {
            #expect(error.message.contains("git commit"))
            #expect(error.message.contains("FAILED"))
            #expect(!error.message.contains("stage name"))
        }
    }

    @Test func dataTheCacheNoLongerHoldsIsNamed() async throws {
        let workspace = try committedWorkspace()
        workspace.write("data.txt", "uncommitted rows\n")
        let recorder = InMemoryRunRecorder()
        _ = try await workspace.run(recorder: recorder)
        for object in try workspace.repository.cache.allObjects() { workspace.repository.cache.remove(object) }
        await #expect(throws: YardError.self) {
            _ = try await Reproducer.reproduce(try await stageRun(recorder, "train"), in: workspace.repository,
                                               executor: LocalProcessExecutor(), output: nil)
        }
        do {
            _ = try await Reproducer.reproduce(try await stageRun(recorder, "train"), in: workspace.repository,
                                               executor: LocalProcessExecutor(), output: nil)
        } catch let error as YardError {
            #expect(error.message.contains("data.txt"))
            #expect(error.message.contains("yard data pull"))
        }
    }

    @Test func aLockEntryTooLargeForATagIsReadFromTheRunsArtifact() async throws {
        let workspace = try PipelineWorkspace()
        var deps: [String] = []
        for index in 0..<120 {
            let name = "inputs/a-dependency-with-a-rather-long-descriptive-name-\(index).txt"
            workspace.write(name, "\(index)\n")
            deps.append(name)
        }
        workspace.write("yard.yaml", """
            stages:
              gather:
                cmd: cat inputs/*.txt > all.txt
                deps: [\(deps.joined(separator: ", "))]
                outs: [all.txt]
            """)
        try workspace.git("add", "-A")
        try workspace.git("commit", "-qm", "many inputs")
        let server = try await EmbeddedServer.start(dataDirectory: workspace.directory.path + "/store")
        do {
            let recorder = try MLflowRunRecorder(trackingURI: server.url)
            let reports = try await workspace.run(recorder: recorder)
            let runID = try #require(reports.report("gather")?.runID)
            let fetched = try await recorder.fetchRun(runID: runID)
            #expect(!fetched.tags.contains { $0.key == "yard.lock" }, "the entry is larger than a tag may be")
            #expect(throws: YardError.self) { try Reproducer.recordedEntry(of: fetched) }
            let run = await Reproducer.completingLockEntry(of: fetched, from: recorder)
            let result = try await Reproducer.reproduce(run, in: workspace.repository, executor: LocalProcessExecutor(), output: nil)
            #expect(result.matches)
            #expect(result.outputs.map(\.path) == ["all.txt"])
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    // MARK: sweeps

    @Test func sweepPlansAreGridsOrSeededSamples() throws {
        let grid = try SweepPlan.parse(["train.lr=0.1,0.01", "train.depth=4,8", "train.kind=gbm"], sample: nil, seed: nil)
        #expect(grid.points.count == 4)
        #expect(grid.points[0].map(\.1) == [.number("0.1"), .number("4"), .string("gbm")])
        #expect(grid.points[3].map(\.1) == [.number("0.01"), .number("8"), .string("gbm")])
        let first = try SweepPlan.parse(["train.lr=loguniform(1e-4,1e-1)", "train.depth=randint(2,6)"], sample: 20, seed: 42)
        let again = try SweepPlan.parse(["train.lr=loguniform(1e-4,1e-1)", "train.depth=randint(2,6)"], sample: 20, seed: 42)
        #expect(first.points.map { $0.map(\.1) } == again.points.map { $0.map(\.1) })
        for point in first.points {
            guard case .number(let lrText) = point[0].1, let lr = Double(lrText), case .number(let depthText) = point[1].1,
                  let depth = Int(depthText) else {
                Issue.record("unexpected point \(point)")
                continue
            }
            #expect(lr >= 1e-4 && lr <= 1e-1)
            #expect((2...6).contains(depth))
        }
        #expect(Set(first.points.map { ParamsFile.text(of: $0[0].1) }).count > 10, "draws differ")
        #expect(throws: YardError.self) { try SweepPlan.parse(["train.lr=uniform(0,1)"], sample: nil, seed: nil) }
        #expect(throws: YardError.self) { try SweepPlan.parse(["a=1", "a=2"], sample: nil, seed: nil) }
        #expect(throws: YardError.self) { try SweepPlan.parse(["novalue"], sample: nil, seed: nil) }
        #expect(throws: YardError.self) { try SweepPlan.parse(["a=loguniform(0,1)"], sample: 2, seed: 1) }
    }

    @Test func aSweepRunsEveryPointAsSiblingRunsAndLeavesTheWorkTreeAlone() async throws {
        let workspace = try committedWorkspace("""
            stages:
              train:
                cmd: >-
                  echo '{"acc": ${train.lr}, "depth": ${train.depth}}' > metrics.json && echo ${train.lr} > model.txt
                deps: [data.txt]
                outs: [model.txt]
                metrics: [metrics.json]
            """)
        workspace.write("params.yaml", "train:\n  lr: 0.5\n  depth: 3\n")
        try workspace.git("commit", "-qam", "params")
        let recorder = InMemoryRunRecorder()
        let plan = try SweepPlan.parse(["train.lr=0.1,0.2", "train.depth=4,8"], sample: nil, seed: nil)
        let points = try await SweepRunner.run(plan, targets: ["train"], repository: workspace.repository, spec: try workspace.spec(),
                                               jobs: 2, executor: LocalProcessExecutor(), recorder: { recorder },
                                               observer: RecordingObserver())
        #expect(points.count == 4)
        #expect(points.allSatisfy { $0.succeeded })
        for point in points {
            let values = Dictionary(point.values, uniquingKeysWith: { a, _ in a })
            let metrics = Dictionary(point.metrics, uniquingKeysWith: { a, _ in a })
            #expect(metrics["acc"] == Double(ParamsFile.text(of: values["train.lr"]!)))
            #expect(metrics["depth"] == Double(ParamsFile.text(of: values["train.depth"]!)))
        }
        let parents = recorder.runs.filter { $0.tags["yard.kind"] == "sweep" }
        #expect(parents.count == 1)
        let children = recorder.runs.filter { $0.parentRunID == parents.first?.id }
        #expect(children.count == 4)
        #expect(Set(children.compactMap { $0.tags["yard.sweep.point"] }).count == 4)
        #expect(parents.first?.status == .finished)
        // The user's files are as they were; no point's yard.lock leaked into the work tree.
        #expect(workspace.read("params.yaml") == "train:\n  lr: 0.5\n  depth: 3\n")
        #expect(!workspace.exists("yard.lock"))
        // Adopting a point restores it from the run cache instead of running it.
        workspace.write("params.yaml", "train:\n  lr: 0.2\n  depth: 8\n")
        let reports = try await workspace.run()
        guard case .restored = reports.outcome("train") else {
            Issue.record("adopting a sweep point ran again: \(String(describing: reports.outcome("train")))")
            return
        }
        #expect(workspace.read("model.txt") == "0.2\n")
    }

    // MARK: metrics diff, gc, pull

    @Test func metricsDiffComparesTheWorkTreeWithARevision() async throws {
        let workspace = try committedWorkspace()
        _ = try await workspace.run()
        try workspace.git("add", "-A")
        try workspace.git("commit", "-qm", "first result")
        workspace.write("params.yaml", "train:\n  lr: 0.75\n")
        _ = try await workspace.run()
        let comparison = try MetricsComparison.compare(spec: try workspace.spec(), repositoryRoot: workspace.root)
        #expect(comparison.rows == [MetricsComparison.Row(file: "score.json", key: "score", old: 0.5, new: 0.75)])
        #expect(comparison.rows.first?.change == 0.25)
        #expect(try MetricsComparison.compare(spec: try workspace.spec(), repositoryRoot: workspace.root, revision: "HEAD",
                                              includeUnchanged: false).rows.count == 1)
        #expect(throws: YardError.self) {
            try MetricsComparison.compare(spec: try workspace.spec(), repositoryRoot: workspace.root, revision: "no-such-branch")
        }
    }

    @Test func gcKeepsPipelineOutputsAndTheRunCache() async throws {
        let workspace = try committedWorkspace()
        _ = try await workspace.run()
        workspace.write("params.yaml", "train:\n  lr: 0.25\n")
        _ = try await workspace.run()
        let collected = try workspace.repository.collectGarbage(scope: .workspace, from: workspace.root)
        #expect(collected.removedObjects == 0, "gc removed \(collected.removedObjects) objects pipelines still name")
        // Both executions come back from the cache after gc.
        workspace.write("params.yaml", "train:\n  lr: 0.5\n")
        let reports = try await workspace.run()
        guard case .restored = reports.outcome("train") else {
            Issue.record("expected a restore, got \(String(describing: reports.outcome("train")))")
            return
        }
        #expect(workspace.read("model.txt") == "rows\nlr=0.5\n")
    }

    @Test func pushedOutputsComeBackInAFreshCloneWithPull() async throws {
        let workspace = try committedWorkspace()
        _ = try await workspace.run()
        try workspace.git("add", "-A")
        try workspace.git("commit", "-qm", "results")
        let remote = try FolderRemote(path: workspace.directory.path + "/remote")
        _ = try await workspace.repository.push(to: remote, from: workspace.root)
        let clonePath = workspace.directory.path + "/clone"
        try PipelineWorkspace.shell("git", ["clone", "-q", workspace.root, clonePath])
        let clone = try DataRepository.initialize(at: clonePath)
        #expect(!FileManager.default.fileExists(atPath: clone.root + "/model.txt"))
        let spec = try PipelineSpecLoader.load(repositoryRoot: clone.root)
        let runner = try PipelineRunner(repository: clone, spec: spec, executor: LocalProcessExecutor(), recorder: nil,
                                        observer: RecordingObserver(), environment: PipelineWorkspace.stageEnvironment)
        // Without the remote the clone's empty cache cannot restore, so the stage would run; with it, it restores.
        var options = RunOptions()
        options.remote = remote
        let reports = try await runner.run(options)
        guard case .restored = reports.outcome("train") else {
            Issue.record("expected a restore from the remote, got \(String(describing: reports.outcome("train")))")
            return
        }
        #expect(String(decoding: try FileSystem.readFile(clone.root + "/model.txt"), as: UTF8.self) == "rows\nlr=0.5\n")
    }
}
