#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Testing
import YardClient
import YardCore
import YardData
import YardJSON
import YardPipelines
import YardServer

/// The pipeline runner over real stage processes, real files, a real git work tree and (for tracking) the
/// real embedded server: what runs, in which order, in parallel or not, what is restored, what is
/// recorded in yard.lock and the run cache after failures, timeouts, cancellation and SIGKILL.
/// Serialized: several tests measure wall-clock time, which other stage processes on a 2-core machine
/// would distort.
@Suite("Pipeline runner", .serialized)
struct PipelineRunnerTests {
    let workspace: PipelineWorkspace

    init() throws {
        workspace = try PipelineWorkspace()
    }

    private var scratch: String { workspace.scratch }

    private func digest(_ text: String) -> ContentDigest { ContentDigest.of(Array(text.utf8)) }

    private func reasons(_ stage: String) throws -> [StaleReason]? {
        try workspace.runner().standings().first { $0.stage == stage }?.reasons
    }

    // MARK: staleness

    private func writeStalenessPipeline(command: String = "cat data.csv > out.txt", env: String = "{MODE: a}",
                                        deps: String = "[data.csv]", outs: String = "[out.txt]", extra: String = "") {
        workspace.write("yard.yaml", """
            stages:
              build:
                cmd: \(workspace.tally("build")) && \(command)
                deps: \(deps)
                params: [lr]
                env: \(env)
                outs: \(outs)
            \(extra)
            """)
    }

    /// Runs the staleness pipeline once from a clean start and checks it is then up to date.
    private func runStalenessBaseline() async throws {
        workspace.write("data.csv", "a,b\n1,2\n")
        workspace.write("other.csv", "x\n")
        workspace.write("params.yaml", "lr: 0.1\nunrelated: 1\n")
        writeStalenessPipeline()
        #expect(try reasons("build") == [.neverRun])
        let reports = try await workspace.run()
        #expect(reports.outcome("build") == .executed)
        #expect(try reasons("build") == [])
    }

    @Test func commandChangeIsExplained() async throws {
        try await runStalenessBaseline()
        writeStalenessPipeline(command: "cat data.csv > out.txt && true")
        let tally = workspace.tally("build")
        #expect(try reasons("build") == [.commandChanged(from: "\(tally) && cat data.csv > out.txt", to: "\(tally) && cat data.csv > out.txt && true")])
    }

    @Test func environmentChangesAreExplained() async throws {
        try await runStalenessBaseline()
        writeStalenessPipeline(env: "{MODE: b, EXTRA: \"1\"}")
        #expect(try reasons("build") == [.environmentChanged(variable: "EXTRA", from: nil, to: "1"),
                                         .environmentChanged(variable: "MODE", from: "a", to: "b")])
        writeStalenessPipeline(env: "{}")
        #expect(try reasons("build") == [.environmentChanged(variable: "MODE", from: "a", to: nil)])
    }

    @Test func dependencyChangesAreExplained() async throws {
        try await runStalenessBaseline()
        workspace.write("data.csv", "a,b\n1,2\n3,4\n")
        #expect(try reasons("build") == [.dependencyChanged(path: "data.csv", from: digest("a,b\n1,2\n"), to: digest("a,b\n1,2\n3,4\n"))])
        workspace.write("data.csv", "a,b\n1,2\n")
        #expect(try reasons("build") == [])
        writeStalenessPipeline(deps: "[data.csv, other.csv]")
        #expect(try reasons("build") == [.dependencyAdded(path: "other.csv")])
        writeStalenessPipeline(deps: "[]")
        #expect(try reasons("build") == [.dependencyRemoved(path: "data.csv")])
    }

    @Test func paramChangeIsExplainedAndUnrelatedKeysAreIgnored() async throws {
        try await runStalenessBaseline()
        workspace.write("params.yaml", "lr: 0.1\nunrelated: 2\nadded: true\n")
        #expect(try reasons("build") == [], "a key the stage does not use changed")
        let quiet = try await workspace.run()
        #expect(quiet.outcome("build") == .upToDate)
        #expect(workspace.count("build") == 1)

        workspace.write("params.yaml", "lr: 0.25\nunrelated: 2\n")
        #expect(try reasons("build") == [.paramChanged(file: "params.yaml", key: "lr", from: .number("0.1"), to: .number("0.25"))])
    }

    @Test func outputChangesAreExplained() async throws {
        try await runStalenessBaseline()
        workspace.remove("out.txt")
        #expect(try reasons("build") == [.outputMissing(path: "out.txt")])
        workspace.write("out.txt", "tampered\n")
        #expect(try reasons("build") == [.outputModified(path: "out.txt", from: digest("a,b\n1,2\n"), to: digest("tampered\n"))])
        workspace.write("out.txt", "a,b\n1,2\n")
        #expect(try reasons("build") == [])
        writeStalenessPipeline(command: "cat data.csv > out.txt && echo > more.txt", outs: "[out.txt, more.txt]")
        let tally = workspace.tally("build")
        #expect(try reasons("build") == [.commandChanged(from: "\(tally) && cat data.csv > out.txt", to: "\(tally) && cat data.csv > out.txt && echo > more.txt"),
                                         .outputAdded(path: "more.txt")])
    }

    @Test func alwaysChangedStageIsAlwaysStaleAndAlwaysRuns() async throws {
        workspace.write("yard.yaml", """
            stages:
              poll:
                cmd: \(workspace.tally("poll")) && date +%s%N > latest.txt
                outs: [latest.txt]
                always_changed: true
            """)
        #expect(try await workspace.run().outcome("poll") == .executed)
        #expect(try reasons("poll") == [.alwaysChanged])
        #expect(try await workspace.run().outcome("poll") == .executed)
        #expect(workspace.count("poll") == 2)
    }

    @Test func standingsExplainAStageWaitingOnAStaleUpstream() async throws {
        workspace.write("raw.csv", "1\n")
        workspace.write("yard.yaml", """
            stages:
              prepare:
                cmd: cat raw.csv > prepared.csv
                deps: [raw.csv]
                outs: [prepared.csv]
              train:
                cmd: cat prepared.csv > model.bin
                deps: [prepared.csv]
                outs: [model.bin]
              report:
                cmd: echo report > report.txt
                outs: [report.txt]
            """)
        let first = try await workspace.run()
        #expect(first.all(.executed), "\(first.summary)")
        workspace.write("raw.csv", "1\n2\n")
        let standings = try workspace.runner().standings()
        #expect(standings.map(\.stage) == ["prepare", "train", "report"])
        #expect(standings[0].reasons == [.dependencyChanged(path: "raw.csv", from: digest("1\n"), to: digest("1\n2\n"))])
        #expect(standings[1].reasons == [.upstreamStale(stage: "prepare")])
        #expect(standings[1].reasons.first?.description.contains("'prepare'") == true)
        #expect(standings[2].reasons == [])
        // Only the target's closure is considered.
        #expect(try workspace.runner().standings(targets: ["prepare"]).map(\.stage) == ["prepare"])
    }

    // MARK: running

    @Test func chainRunsInOrderThenIsUpToDate() async throws {
        workspace.write("raw.csv", "alpha\n")
        workspace.write("yard.yaml", """
            stages:
              evaluate:
                cmd: \(workspace.tally("evaluate")) && wc -l < models/model.bin > score.txt
                deps: [models/model.bin]
                outs: [score.txt]
              train:
                cmd: \(workspace.tally("train")) && mkdir -p models && cat features/f.csv features/f.csv > models/model.bin
                deps: [features]
                outs: [models/model.bin]
              featurize:
                cmd: \(workspace.tally("featurize")) && mkdir -p features && tr a-z A-Z < raw.csv > features/f.csv
                deps: [raw.csv]
                outs: [features]
            """)
        let observer = RecordingObserver()
        let first = try await workspace.run(observer: observer)
        #expect(first.map(\.stage) == ["featurize", "train", "evaluate"])
        #expect(first.all(.executed), "\(first.summary)")
        #expect(observer.startOrder == ["featurize", "train", "evaluate"])
        #expect(workspace.read("models/model.bin") == "ALPHA\nALPHA\n")
        #expect(workspace.read("score.txt")?.trimmingCharacters(in: .whitespacesAndNewlines) == "2")

        let lock = try workspace.lock()
        #expect(Set(lock.stages.keys) == ["featurize", "train", "evaluate"])
        #expect(lock.stages["train"]?.outs.map(\.path) == ["models/model.bin"])
        #expect(lock.stages["train"]?.outs.first?.snapshot.digest == digest("ALPHA\nALPHA\n"))
        #expect(lock.stages["train"]?.deps.first?.snapshot.kind == .directory)
        #expect(lock.stages["featurize"]?.deps.first?.snapshot.digest == digest("alpha\n"))

        let second = try await workspace.run()
        #expect(second.all(.upToDate), "\(second.summary)")
        #expect([workspace.count("featurize"), workspace.count("train"), workspace.count("evaluate")] as [Int] == [1, 1, 1])
        #expect(try workspace.lock() == lock)

        // A target brings only what it needs up to date.
        workspace.write("raw.csv", "beta\n")
        let targeted = try await workspace.run { $0.targets = ["featurize"] }
        #expect(targeted.map(\.stage) == ["featurize"])
        #expect([workspace.count("featurize"), workspace.count("train")] as [Int] == [2, 1])
    }

    /// Whether the stages ran at the same time is read from when each command itself started and ended (its
    /// own clock readings), not from how long the run took, so a loaded machine cannot make it fail.
    @Test func independentStagesRunInParallelUpToJobs() async throws {
        let scratch = workspace.scratch
        workspace.write("yard.yaml", """
            stages:
              left:
                cmd: date +%s%N > \(scratch)/left.start && sleep 0.5 && echo left > left.txt && date +%s%N > \(scratch)/left.end
                outs: [left.txt]
              right:
                cmd: date +%s%N > \(scratch)/right.start && sleep 0.5 && echo right > right.txt && date +%s%N > \(scratch)/right.end
                outs: [right.txt]
            """)
        func span(_ stage: String) -> (start: Int64, end: Int64)? {
            func read(_ name: String) -> Int64? {
                (try? String(contentsOfFile: scratch + "/" + name, encoding: .utf8)).flatMap { Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
            guard let start = read(stage + ".start"), let end = read(stage + ".end") else { return nil }
            return (start, end)
        }
        func overlapped() -> Bool? {
            guard let left = span("left"), let right = span("right") else { return nil }
            return left.start < right.end && right.start < left.end
        }

        let together = try await workspace.run { $0.jobs = 2 }
        #expect(together.all(.executed))
        #expect(overlapped() == true, "with jobs=2 the two stages did not run at the same time")

        let oneByOne = try await workspace.run { $0.jobs = 1; $0.force = true }
        #expect(oneByOne.all(.executed))
        #expect(overlapped() == false, "with jobs=1 the two stages ran at the same time")
    }

    /// Parallel stages store the same dependency in the data cache at the same moment; neither may fail.
    @Test func parallelStagesSharingADependencyAllSucceed() async throws {
        for index in 0..<40 { workspace.write("shared/part-\(index).csv", String(repeating: "row \(index)\n", count: 50)) }
        workspace.write("yard.yaml", """
            stages:
              use:
                foreach: [a, b, c, d]
                do:
                  cmd: cat shared/*.csv | wc -l > count-${item}.txt
                  deps: [shared]
                  outs:
                    - count-${item}.txt
            """)
        for round in 0..<3 {
            let reports = try await workspace.run { $0.jobs = 4; $0.force = true }
            #expect(reports.all(.executed), "round \(round): \(reports.summary)")
        }
        #expect(workspace.read("count-d.txt")?.trimmingCharacters(in: .whitespacesAndNewlines) == "2000")
        let lock = try workspace.lock()
        #expect(Set(lock.stages.values.map { $0.deps.first?.snapshot.digest }).count == 1)
        #expect(lock.stages["use@a"]?.deps.first?.snapshot.files == 40)
    }

    @Test func puttingAParamBackRestoresFromTheRunCache() async throws {
        workspace.write("params.yaml", "lr: 0.1\n")
        workspace.write("yard.yaml", """
            stages:
              train:
                cmd: \(workspace.tally("train")) && echo "lr=${lr} at $(date +%s%N)" > model.bin
                outs: [model.bin]
            """)
        let first = try await workspace.run()
        #expect(first.outcome("train") == .executed)
        let original = try #require(workspace.read("model.bin"))
        #expect(original.hasPrefix("lr=0.1 "))

        workspace.write("params.yaml", "lr: 0.2\n")
        #expect(try await workspace.run().outcome("train") == .executed)
        #expect(workspace.read("model.bin")?.hasPrefix("lr=0.2 ") == true)
        #expect(workspace.count("train") == 2)

        workspace.write("params.yaml", "lr: 0.1\n")
        let back = try await workspace.run()
        #expect(back.outcome("train")?.isRestored == true, "\(String(describing: back.outcome("train")))")
        #expect(workspace.count("train") == 2, "the command must not run again")
        #expect(workspace.read("model.bin") == original, "the earlier execution's exact bytes come back")
        let entry = try #require(try workspace.lock().stages["train"])
        #expect(entry.params == [LockedParam(file: "params.yaml", key: "lr", value: .number("0.1"))])
        #expect(entry.outs.first?.snapshot.digest == digest(original))
        #expect(try reasons("train") == [])

        // --no-run-cache and --force execute instead.
        workspace.write("params.yaml", "lr: 0.2\n")
        #expect(try await workspace.run { $0.useRunCache = false }.outcome("train") == .executed)
        #expect(workspace.count("train") == 3)
    }

    private func writeFailurePipeline() {
        workspace.write("yard.yaml", """
            stages:
              bad:
                cmd: |-
                  \(workspace.tally("bad"))
                  test ! -f \(scratch)/fail || { echo failing on purpose; exit 3; }
                  cat input.txt > bad.out
                deps: [input.txt]
                outs: [bad.out]
              child:
                cmd: \(workspace.tally("child")) && cat bad.out > child.out
                deps: [bad.out]
                outs: [child.out]
              indep:
                cmd: \(workspace.tally("indep")) && echo indep > indep.out
                outs: [indep.out]
                always_changed: true
            """)
    }

    @Test func failureStopsDependentsAndLeavesTheLockAlone() async throws {
        workspace.write("input.txt", "v1\n")
        writeFailurePipeline()
        let first = try await workspace.run { $0.jobs = 1 }
        #expect(first.all(.executed), "\(first.summary)")
        let before = try #require(try workspace.lock().stages["bad"])
        let cacheEntries = workspace.runCacheEntries()

        _ = FileManager.default.createFile(atPath: scratch + "/fail", contents: Data())
        workspace.write("input.txt", "v2\n")
        let stopped = try await workspace.run { $0.jobs = 1 }
        let failure = try #require(stopped.outcome("bad")?.failureMessage)
        #expect(failure.contains("exited with status 3"), "\(failure)")
        #expect(stopped.outcome("child")?.isNotRun == true)
        #expect(stopped.outcome("indep")?.isNotRun == true, "without keep-going nothing new starts: \(String(describing: stopped.outcome("indep")))")
        #expect([workspace.count("bad"), workspace.count("child"), workspace.count("indep")] as [Int] == [2, 1, 1])
        #expect(try workspace.lock().stages["bad"] == before, "a failed execution must not change yard.lock")
        #expect(workspace.runCacheEntries() == cacheEntries)

        let kept = try await workspace.run { $0.jobs = 1; $0.keepGoing = true }
        #expect(kept.outcome("bad")?.failureMessage != nil)
        #expect(kept.outcome("child")?.isNotRun == true)
        #expect(kept.outcome("indep") == .executed)
        #expect([workspace.count("bad"), workspace.count("child"), workspace.count("indep")] as [Int] == [3, 1, 2])
        #expect(try workspace.lock().stages["bad"] == before)
    }

    /// The CLI prints stages as the observer hears of them; a stage the summary counts as "not run" must
    /// have been named too.
    @Test
    func observerHearsOfEveryStageInTheReport() async throws {
        workspace.write("input.txt", "v1\n")
        writeFailurePipeline()
        _ = FileManager.default.createFile(atPath: scratch + "/fail", contents: Data())
        let observer = RecordingObserver()
        let reports = try await workspace.run(observer: observer) { $0.jobs = 1 }
        #expect(reports.outcome("indep")?.isNotRun == true)
        let heard = observer.events.compactMap { event -> String? in
            if case .finished(let report, _) = event { return report.stage }
            return nil
        }
        #expect(heard.sorted() == reports.map(\.stage).sorted())
    }

    @Test func corruptLockIsNamedWithWhatToDo() throws {
        workspace.write("yard.yaml", """
            stages:
              a:
                cmd: echo
            """)
        workspace.write("yard.lock", "schema: 1\nstages:\n  a:\n    outs: [{path: x}]\n")
        let error = #expect(throws: YardError.self) { _ = try workspace.runner() }
        #expect(error?.message.contains("yard.lock") == true && error?.message.contains("'a'") == true, "\(error?.message ?? "")")
        #expect(error?.message.contains("run the stage again") == true, "\(error?.message ?? "")")
    }

    @Test func missingDeclaredOutputFailsTheStage() async throws {
        workspace.write("yard.yaml", """
            stages:
              forgetful:
                cmd: echo wrote nothing
                outs: [result.txt, reports/summary.json]
            """)
        let reports = try await workspace.run()
        let failure = try #require(reports.outcome("forgetful")?.failureMessage)
        #expect(failure.contains("'result.txt'") && failure.contains("did not create"), "\(failure)")
        #expect(try workspace.lock().stages["forgetful"] == nil)
        #expect(workspace.runCacheEntries().isEmpty)
    }

    @Test func deletingADeclaredPersistentOutputFailsTheStage() async throws {
        workspace.write("checkpoint.bin", "epoch 3\n")
        workspace.write("yard.yaml", """
            stages:
              resume:
                cmd: rm -f checkpoint.bin
                outs:
                  - checkpoint.bin: {persist: true}
            """)
        let reports = try await workspace.run()
        let failure = try #require(reports.outcome("resume")?.failureMessage)
        #expect(failure.contains("'checkpoint.bin'"), "\(failure)")
        #expect(try workspace.lock().stages["resume"] == nil)
        #expect(workspace.runCacheEntries().isEmpty)
    }

    @Test func persistentOutputIsKeptForTheCommand() async throws {
        workspace.write("checkpoint.bin", "epoch 1\n")
        workspace.write("yard.yaml", """
            stages:
              resume:
                cmd: echo next >> checkpoint.bin
                outs:
                  - checkpoint.bin: {persist: true}
            """)
        #expect(try await workspace.run().outcome("resume") == .executed)
        #expect(workspace.read("checkpoint.bin") == "epoch 1\nnext\n")
    }

    @Test func undeclaredWritesAreNamed() async throws {
        workspace.write("yard.yaml", """
            stages:
              sloppy:
                cmd: echo ok > out.txt && echo stray > stray.txt && mkdir -p logs && echo debug > logs/debug.txt
                outs: [out.txt]
              tidy:
                cmd: echo fine > tidy.txt
                outs: [tidy.txt]
            """)
        try workspace.git("add", "-A")
        try workspace.git("commit", "-q", "-m", "pipeline")
        let observer = RecordingObserver()
        let reports = try await workspace.run(observer: observer) { $0.jobs = 1 }
        let warnings = try #require(reports.report("sloppy")).warnings
        #expect(warnings.contains { $0.contains("'stray.txt'") }, "\(warnings)")
        #expect(warnings.contains { $0.contains("'logs/debug.txt'") }, "\(warnings)")
        #expect(!warnings.contains { $0.contains("out.txt") || $0.contains("tidy.txt") || $0.contains("yard.lock") }, "\(warnings)")
        #expect(observer.warnings.contains { $0.contains("'stray.txt'") })
    }

    @Test func retriesRunTheCommandAgainAfterAFailure() async throws {
        workspace.write("yard.yaml", """
            stages:
              flaky:
                cmd: |-
                  \(workspace.tally("flaky"))
                  if [ ! -f \(scratch)/tried ]; then touch \(scratch)/tried; echo first attempt fails; exit 1; fi
                  echo ok > out.txt
                outs: [out.txt]
                retries: 1
              hopeless:
                cmd: \(workspace.tally("hopeless")) && exit 2
                retries: 2
            """)
        let observer = RecordingObserver()
        let reports = try await workspace.run(observer: observer) { $0.keepGoing = true }
        #expect(reports.outcome("flaky") == .executed)
        #expect(workspace.count("flaky") == 2)
        #expect(observer.attempts(of: "flaky") == 2)
        #expect(reports.outcome("hopeless")?.failureMessage?.contains("status 2") == true)
        #expect(workspace.count("hopeless") == 3)
    }

    @Test func timeoutStopsTheStageQuickly() async throws {
        workspace.write("yard.yaml", """
            stages:
              slow:
                cmd: sleep 10 && echo never > out.txt
                outs: [out.txt]
                timeout: 0.3
            """)
        let started = ContinuousClock.now
        let reports = try await workspace.run()
        let seconds = elapsedSeconds(since: started)
        let failure = try #require(reports.outcome("slow")?.failureMessage)
        #expect(failure.contains("timeout"), "\(failure)")
        #expect(seconds < 8, "took \(seconds) s; the command alone sleeps 10 s")
        #expect(try workspace.lock().stages["slow"] == nil)
    }

    @Test func cancellationStopsTheRunAndRecordsNothing() async throws {
        workspace.write("yard.yaml", """
            stages:
              quick:
                cmd: echo quick > quick.txt
                outs: [quick.txt]
              slow:
                cmd: |-
                  \(workspace.tally("slow"))
                  touch \(scratch)/slow-started
                  if [ ! -f \(scratch)/second ]; then sleep 30; fi
                  echo done > slow.txt
                deps: [quick.txt]
                outs: [slow.txt]
              after:
                cmd: cat slow.txt > after.txt
                deps: [slow.txt]
                outs: [after.txt]
            """)
        let recorder = InMemoryRunRecorder()
        let runner = try workspace.runner(recorder: { recorder })
        var options = RunOptions()
        options.jobs = 2
        let work = Task { try await runner.run(options) }
        #expect(await waitUntil(seconds: 10) { FileManager.default.fileExists(atPath: scratch + "/slow-started") })
        try await Task.sleep(for: .milliseconds(300))
        let cancelled = ContinuousClock.now
        work.cancel()
        let reports = try await work.value
        let seconds = elapsedSeconds(since: cancelled)
        #expect(seconds < 15, "the run took \(seconds) s to stop; the stage alone sleeps 30 s")
        #expect(reports.outcome("slow") == .cancelled)
        #expect(reports.outcome("quick") == .executed)
        #expect(reports.outcome("after")?.isNotRun == true)
        #expect(recorder.run(named: "after") == nil)
        let lock = try workspace.lock()
        #expect(lock.stages["slow"] == nil)
        #expect(lock.stages["quick"] != nil)
        #expect(!workspace.exists("slow.txt"))
        #expect(recorder.run(named: "slow")?.status == .killed)
        #expect(recorder.run(named: "quick")?.status == .finished)
        let parents = recorder.runs.filter { $0.parentRunID == nil }
        #expect(parents.count == 1)
        #expect(parents.first?.status == .killed)

        _ = FileManager.default.createFile(atPath: scratch + "/second", contents: Data())
        let again = try await workspace.run()
        #expect(again.outcome("slow") == .executed)
        #expect(again.outcome("quick") == .upToDate)
        #expect(workspace.count("slow") == 2)
        #expect(workspace.read("slow.txt") == "done\n")
    }

    @Test func missingOutputsOfAnUnchangedStageComeBackWithoutRunning() async throws {
        workspace.write("yard.yaml", """
            stages:
              split:
                cmd: \(workspace.tally("split")) && mkdir -p parts/deep && echo one > parts/a.txt && echo two > parts/deep/b.txt
                outs: [parts]
            """)
        #expect(try await workspace.run().outcome("split") == .executed)
        workspace.remove("parts")
        #expect(try reasons("split") == [.outputMissing(path: "parts")])
        let reports = try await workspace.run()
        #expect(reports.outcome("split")?.isRestored == true, "\(reports.summary)")
        #expect(workspace.count("split") == 1)
        #expect(workspace.read("parts/a.txt") == "one\n")
        #expect(workspace.read("parts/deep/b.txt") == "two\n")
        #expect(try reasons("split") == [])

        // --force executes even so.
        #expect(try await workspace.run { $0.force = true }.outcome("split") == .executed)
        #expect(workspace.count("split") == 2)
    }

    @Test func restoredFolderOutputHoldsExactlyTheEarlierFiles() async throws {
        workspace.write("params.yaml", "variant: a\n")
        workspace.write("yard.yaml", """
            stages:
              split:
                cmd: \(workspace.tally("split")) && mkdir -p parts && echo ${variant} > parts/${variant}.txt
                outs: [parts]
            """)
        #expect(try await workspace.run().outcome("split") == .executed)
        workspace.write("params.yaml", "variant: b\n")
        #expect(try await workspace.run().outcome("split") == .executed)
        #expect(workspace.exists("parts/b.txt") && !workspace.exists("parts/a.txt"))
        workspace.write("params.yaml", "variant: a\n")
        let back = try await workspace.run()
        #expect(back.outcome("split")?.isRestored == true, "\(back.summary)")
        #expect(workspace.count("split") == 2)
        let files = (try? FileManager.default.contentsOfDirectory(atPath: workspace.root + "/parts")) ?? []
        #expect(files == ["a.txt"], "the restored folder must hold exactly what the earlier execution produced")
        #expect(try reasons("split") == [], "yard.lock must describe the folder as it is")
    }

    @Test
    func retryDoesNotInheritAFailedAttemptsOutput() async throws {
        workspace.write("yard.yaml", """
            stages:
              flaky:
                cmd: |-
                  if [ ! -f \(scratch)/tried ]; then touch \(scratch)/tried; echo partial > out.txt; exit 1; fi
                  echo second attempt writes nothing
                outs: [out.txt]
                retries: 1
            """)
        let reports = try await workspace.run()
        let failure = reports.outcome("flaky")?.failureMessage
        #expect(failure?.contains("'out.txt'") == true, "the successful attempt did not create out.txt: \(reports.summary)")
        #expect(try workspace.lock().stages["flaky"] == nil)
    }

    /// Values YAML spells in ways JSON cannot must read back from yard.lock as what params.yaml holds.
    private func expectParamsStayUpToDate(_ params: String, cmd: String, keys: String) async throws {
        workspace.write("params.yaml", params)
        workspace.write("yard.yaml", """
            stages:
              use:
                cmd: \(cmd) > used.txt
                params: \(keys)
                outs: [used.txt]
            """)
        #expect(try await workspace.run().outcome("use") == .executed)
        let stale = try reasons("use") ?? []
        #expect(stale == [], "\(stale.map(\.description))")
        #expect(try await workspace.run().outcome("use") == .upToDate)
    }

    @Test func unusualParamValuesStayUpToDate() async throws {
        try await expectParamsStayUpToDate("tiny: 1.0e-7\nbig: 12345678901234567890\nwhen: 2024-01-02\nflag: yes\nhex: 0x1F\nnothing: ~\nquote: 'say \"hi\"'\n",
                                           cmd: "echo ${tiny} ${hex}", keys: "[big, when, flag, nothing, quote]")
    }

    @Test
    func infiniteParamValuesStayUpToDate() async throws {
        try await expectParamsStayUpToDate("limit: .inf\nfloor: -.inf\n", cmd: "echo ${limit}", keys: "[floor]")
    }

    @Test func dryRunSaysWhatWouldRunAndRunsNothing() async throws {
        workspace.write("yard.yaml", """
            stages:
              build:
                cmd: \(workspace.tally("build")) && echo > built.txt
                outs: [built.txt]
            """)
        let reports = try await workspace.run { $0.dryRun = true }
        #expect(reports.outcome("build") == .wouldRun)
        #expect(reports.report("build")?.reasons == [.neverRun])
        #expect(workspace.count("build") == 0)
        #expect(!workspace.exists("built.txt"))
        #expect(!workspace.exists("yard.lock"))
    }

    @Test func frozenStageKeepsItsLockEntry() async throws {
        workspace.write("source.txt", "v1\n")
        let pipeline = { (frozen: Bool) in
            workspace.write("yard.yaml", """
                stages:
                  vendor:
                    cmd: \(workspace.tally("vendor")) && cat source.txt > vendored.txt
                    deps: [source.txt]
                    outs: [vendored.txt]
                    frozen: \(frozen)
                """)
        }
        pipeline(true)
        #expect(try await workspace.run().outcome("vendor") == .executed, "a frozen stage with no entry runs once")
        let entry = try workspace.lock().stages["vendor"]
        workspace.write("source.txt", "v2\n")
        #expect(try await workspace.run().outcome("vendor") == .frozen)
        #expect(workspace.count("vendor") == 1)
        #expect(try workspace.lock().stages["vendor"] == entry)
        pipeline(false)
        #expect(try await workspace.run().outcome("vendor") == .executed)
        #expect(workspace.read("vendored.txt") == "v2\n")
    }

    @Test func stageRunsInItsWorkingFolder() async throws {
        workspace.write("data/raw.csv", "r\n")
        workspace.write("yard.yaml", """
            stages:
              inside:
                wdir: data
                cmd: pwd > where.txt && cat raw.csv >> where.txt && echo "$YARD_STAGE" >> where.txt
                deps: [raw.csv]
                outs: [where.txt]
            """)
        #expect(try await workspace.run().outcome("inside") == .executed)
        #expect(workspace.read("data/where.txt") == "\(workspace.root)/data\nr\ninside\n")
        #expect(try workspace.lock().stages["inside"]?.deps.map(\.path) == ["data/raw.csv"])
    }

    @Test func secondRunInTheSameRepositoryIsRefusedWhileOneRuns() async throws {
        workspace.write("yard.yaml", """
            stages:
              slow:
                cmd: touch \(scratch)/started && sleep 1 && echo > slow.txt
                outs: [slow.txt]
            """)
        let first = Task { try await workspace.run() }
        #expect(await waitUntil(seconds: 10) { FileManager.default.fileExists(atPath: scratch + "/started") })
        let refused = await #expect(throws: YardError.self) { _ = try await workspace.run() }
        #expect(refused?.message.contains("Another `yard run`") == true, "\(refused?.message ?? "")")
        #expect(try await first.value.outcome("slow") == .executed)
    }

    @Test
    func undeclaredWritesAreNamedOnTheStageThatWroteThem() async throws {
        workspace.write("yard.yaml", """
            stages:
              sloppy:
                cmd: echo ok > out.txt && echo stray > stray.txt
                outs: [out.txt]
              tidy:
                cmd: echo fine > tidy.txt
                deps: [out.txt]
                outs: [tidy.txt]
            """)
        try workspace.git("add", "-A")
        try workspace.git("commit", "-q", "-m", "pipeline")
        let reports = try await workspace.run { $0.jobs = 1 }
        #expect(reports.report("sloppy")?.warnings.contains { $0.contains("'stray.txt'") } == true)
        #expect(reports.report("tidy")?.warnings == [], "tidy ran after sloppy had finished; it wrote nothing undeclared")
    }

    @Test func wholeFileParamsFollowEveryKey() async throws {
        workspace.write("config.yaml", "depth: 4\nwidth: 8\n")
        workspace.write("yard.yaml", """
            stages:
              fit:
                cmd: cat config.yaml > fitted.txt
                params:
                  - config.yaml:
                outs: [fitted.txt]
            """)
        #expect(try await workspace.run().outcome("fit") == .executed)
        #expect(try workspace.lock().stages["fit"]?.params == [LockedParam(file: "config.yaml", key: "depth", value: .number("4")),
                                                              LockedParam(file: "config.yaml", key: "width", value: .number("8"))])
        workspace.write("config.yaml", "depth: 4\nheight: 2\n")
        #expect(try reasons("fit") == [.paramChanged(file: "config.yaml", key: "height", from: nil, to: .number("2")),
                                       .paramChanged(file: "config.yaml", key: "width", from: .number("8"), to: nil)])
        #expect(try reasons("fit")?.first?.description == "param config.yaml:height changed from unset to 2")
    }

    @Test func restoredOutcomeNamesTheRunThatProducedTheOutputs() async throws {
        workspace.write("params.yaml", "lr: 0.1\n")
        workspace.write("yard.yaml", """
            stages:
              train:
                cmd: echo ${lr} > model.bin
                outs: [model.bin]
              notes:
                cmd: echo ${lr} > notes.txt
                outs:
                  - notes.txt: {cache: false}
            """)
        let recorder = InMemoryRunRecorder()
        let first = try await workspace.run(recorder: recorder)
        let producer = try #require(first.report("train")?.runID)
        workspace.write("params.yaml", "lr: 0.2\n")
        _ = try await workspace.run(recorder: recorder)
        workspace.write("params.yaml", "lr: 0.1\n")
        let back = try await workspace.run(recorder: recorder)
        #expect(back.outcome("train") == .restored(fromRun: producer))
        #expect(back.report("train")?.runID == nil, "a restore is not a new execution")
        #expect(back.outcome("notes") == .executed, "outputs kept out of the cache cannot be restored")
        #expect(recorder.runs.filter { $0.name == "train" }.count == 2)
    }

    @Test func cachedOutputsAreIgnoredByGitAndMetricsAreNot() async throws {
        workspace.write("yard.yaml", """
            stages:
              train:
                cmd: |-
                  mkdir -p models && echo m > models/model.bin && echo '{"auc": 1}' > scores.json && echo n > notes.txt
                outs:
                  - models/model.bin
                  - notes.txt: {cache: false}
                metrics: [scores.json]
            """)
        try workspace.git("add", "-A")
        try workspace.git("commit", "-q", "-m", "pipeline")
        #expect(try await workspace.run().outcome("train") == .executed)
        let status = try workspace.git("status", "--porcelain", "--untracked-files=all")
        #expect(!status.contains("model.bin"), "\(status)")
        #expect(status.contains("scores.json") && status.contains("notes.txt") && status.contains("yard.lock"), "\(status)")
    }

    @Test
    func outputsWithGlobCharactersAreIgnoredByGit() async throws {
        workspace.write("yard.yaml", """
            stages:
              train:
                cmd: echo m > 'model[1].bin' && echo s > 'run*.bin'
                outs: ["model[1].bin", "run*.bin"]
            """)
        #expect(try await workspace.run().outcome("train") == .executed)
        let status = try workspace.git("status", "--porcelain", "--untracked-files=all")
        #expect(!status.contains("model[1].bin") && !status.contains("run*.bin"), "\(status)")
    }

    @Test func stageKilledBySignalFails() async throws {
        workspace.write("yard.yaml", """
            stages:
              doomed:
                cmd: echo > out.txt && kill -9 $$
                outs: [out.txt]
            """)
        let failure = try await workspace.run().outcome("doomed")?.failureMessage
        #expect(failure?.contains("signal 9") == true, "\(failure ?? "")")
        #expect(try workspace.lock().stages["doomed"] == nil)
    }

    @Test func runCancelledBeforeItStartsRunsNothing() async throws {
        workspace.write("yard.yaml", """
            stages:
              first:
                cmd: \(workspace.tally("first")) && echo > first.txt
                outs: [first.txt]
              second:
                cmd: \(workspace.tally("second")) && cat first.txt > second.txt
                deps: [first.txt]
                outs: [second.txt]
            """)
        let runner = try workspace.runner()
        let work = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await runner.run(RunOptions())
        }
        let reports = try await work.value
        #expect(!reports.contains { $0.outcome == .executed }, "\(reports.summary)")
        #expect(reports.outcome("second")?.isNotRun == true)
        #expect(workspace.count("first") == 0 && workspace.count("second") == 0)
        #expect(try workspace.lock().stages.isEmpty)
    }

    // MARK: tracking

    @Test func stageRunsAreRecordedInTheRealServer() async throws {
        workspace.write("data.csv", "id,churned\n1,0\n2,1\n")
        workspace.write("params.yaml", "lr: 0.1\nunused: 5\n")
        workspace.write("yard.yaml", """
            name: tracked
            stages:
              prepare:
                cmd: |-
                  echo "$MLFLOW_RUN_ID $MLFLOW_TRACKING_URI $MLFLOW_EXPERIMENT_ID" > env.txt
                  echo preparing with lr ${lr}
                deps: [data.csv]
                params: [lr]
                outs: [env.txt]
              train:
                cmd: |-
                  cat env.txt > /dev/null
                  echo '{"auc": 0.75, "nested": {"loss": 0.5}, "note": "text"}' > metrics.json
                deps: [env.txt]
                metrics: [metrics.json]
              broken:
                cmd: echo about to fail && exit 4
            """)
        try workspace.git("add", "-A")
        try workspace.git("commit", "-q", "-m", "pipeline")
        let commit = try workspace.git("rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)

        let server = try await EmbeddedServer.start(dataDirectory: workspace.directory.path + "/tracking")
        let url = server.url
        let reports = try await workspace.run(recorder: try MLflowRunRecorder(trackingURI: url)) { $0.keepGoing = true }
        #expect(reports.outcome("prepare") == .executed)
        #expect(reports.outcome("train") == .executed)
        #expect(reports.outcome("broken")?.failureMessage != nil)

        let recorder = try MLflowRunRecorder(trackingURI: server.url)
        let experiment = try await recorder.experiment(named: "tracked")
        let prepareID = try #require(reports.report("prepare")?.runID)
        let trainID = try #require(reports.report("train")?.runID)
        let brokenID = try #require(reports.report("broken")?.runID)

        let environment = workspace.read("env.txt")?.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(environment == "\(prepareID) \(server.url) \(experiment)")

        let prepare = try await recorder.fetchRun(runID: prepareID)
        let tags = Dictionary(prepare.tags.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
        #expect(prepare.info.status == .finished)
        #expect(prepare.info.runName == "prepare")
        #expect(prepare.info.experimentId == experiment)
        #expect(tags["yard.stage"] == "prepare")
        #expect(tags["mlflow.source.git.commit"] == commit)
        #expect(tags["yard.out.env.txt"] == digest(workspace.read("env.txt") ?? "").description)
        #expect(Dictionary(prepare.params.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last }) == ["lr": "0.1"])
        #expect(prepare.datasetInputs.map(\.dataset.name) == ["data.csv"])
        #expect(prepare.datasetInputs.first?.dataset.digest == digest("id,churned\n1,0\n2,1\n").shortForm)

        let parentID = try #require(tags["mlflow.parentRunId"])
        let train = try await recorder.fetchRun(runID: trainID)
        let trainTags = Dictionary(train.tags.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
        #expect(trainTags["mlflow.parentRunId"] == parentID)
        #expect(train.info.status == .finished)
        #expect(Dictionary(train.metrics.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last }) == ["auc": 0.75, "nested.loss": 0.5])
        #expect(train.datasetInputs.first?.dataset.digest == digest(workspace.read("env.txt") ?? "").shortForm)

        let broken = try await recorder.fetchRun(runID: brokenID)
        let brokenTags = Dictionary(broken.tags.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
        #expect(broken.info.status == .failed)
        #expect(brokenTags["yard.exit_status"] == "4")
        #expect(brokenTags["yard.failure"]?.contains("status 4") == true)
        #expect(brokenTags["mlflow.parentRunId"] == parentID)

        let parent = try await recorder.fetchRun(runID: parentID)
        let parentTags = Dictionary(parent.tags.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
        #expect(parentTags["yard.kind"] == "pipeline")
        #expect(parentTags["yard.pipeline"] == "tracked")
        #expect(parent.info.status == .failed, "one stage failed")

        let connection = try ServerConnection(baseURL: server.url)
        let log = try await connection.send(.GET, "/api/2.0/mlflow-artifacts/artifacts/\(experiment)/\(prepareID)/artifacts/logs/prepare.log")
        #expect(log.status == 200)
        #expect(String(decoding: log.body, as: UTF8.self) == "preparing with lr 0.1\n")
        let brokenLog = try await connection.send(.GET, "/api/2.0/mlflow-artifacts/artifacts/\(experiment)/\(brokenID)/artifacts/logs/broken.log")
        #expect(String(decoding: brokenLog.body, as: UTF8.self) == "about to fail\n")

        // An up-to-date run executes nothing and records nothing.
        let again = try await workspace.run(recorder: try MLflowRunRecorder(trackingURI: url)) { $0.targets = ["train"] }
        #expect(again.allSatisfy { $0.outcome == .upToDate && $0.runID == nil })
        await server.stop()
    }

    @Test func stagesStartedTogetherShareOneParentRun() async throws {
        workspace.write("yard.yaml", """
            stages:
              a: {cmd: echo a}
              b: {cmd: echo b}
              c: {cmd: echo c}
            """)
        let recorder = InMemoryRunRecorder()
        let reports = try await workspace.run(recorder: recorder) { $0.jobs = 3 }
        #expect(reports.all(.executed))
        let parents = recorder.runs.filter { $0.parentRunID == nil }
        #expect(parents.count == 1)
        let children = recorder.runs.filter { $0.parentRunID != nil }
        #expect(Set(children.map(\.name)) == ["a", "b", "c"])
        #expect(children.allSatisfy { $0.parentRunID == parents.first?.id && $0.status == .finished })
        #expect(children.allSatisfy { String(decoding: $0.artifacts["logs/\($0.name).log"] ?? [], as: UTF8.self) == "\($0.name)\n" })
        #expect(parents.first?.status == .finished)
    }

    // MARK: SIGKILL

    static var yardBinary: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/yard").path
    }

    private func yard(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.yardBinary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: workspace.root)
        var environment = PipelineWorkspace.stageEnvironment
        environment["HOME"] = workspace.directory.path
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// What Ctrl-C does: the terminal signals `yard` (stages are in process groups of their own), and
    /// `yard run` must stop its stages, record nothing for them and exit with 130.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: PipelineRunnerTests.yardBinary), "needs .build/debug/yard"),
          arguments: [SIGINT, SIGTERM])
    func interruptedYardRunStopsItsStages(signal: Int32) async throws {
        workspace.write("yard.yaml", """
            stages:
              wait:
                cmd: |-
                  echo $$ > \(scratch)/pid
                  sleep 30
                  echo > waited.txt
                outs: [waited.txt]
            """)
        let process = try yard(["run", "--no-track", "--quiet"])
        #expect(await waitUntil(seconds: 10) { (try? String(contentsOfFile: scratch + "/pid", encoding: .utf8))?.hasSuffix("\n") == true })
        let stagePID = try #require(pid_t(try String(contentsOfFile: scratch + "/pid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        let signalled = ContinuousClock.now
        kill(process.processIdentifier, signal)
        let exited = await waitUntil(seconds: 20) { !process.isRunning }
        if !exited {
            kill(process.processIdentifier, SIGKILL)
            kill(-stagePID, SIGKILL)
        }
        #expect(exited, "yard run did not stop after signal \(signal)")
        process.waitUntilExit()
        #expect(elapsedSeconds(since: signalled) < 20, "the stage alone sleeps 30 s")
        #expect(process.terminationReason == .exit && process.terminationStatus == 130)
        #expect(kill(-stagePID, 0) != 0 || Self.onlyZombies(group: stagePID), "the stage's processes outlived yard run")
        #expect(try workspace.lock().stages["wait"] == nil)
        #expect(!workspace.exists("waited.txt"))
    }

    /// Zombies whose parent is gone stay where PID 1 does not reap orphans (many containers); they run nothing.
    static func onlyZombies(group: pid_t) -> Bool {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return false }
        for entry in entries {
            guard let pid = Int32(entry), let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let nameEnd = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: nameEnd)...].split(separator: " ")
            guard fields.count > 2, Int32(fields[2]) == group else { continue }
            if fields[0] != "Z" && fields[0] != "X" { return false }
        }
        return true
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: PipelineRunnerTests.yardBinary), "needs .build/debug/yard"))
    func killedRunLeavesNoRecordAndRunsAgain() async throws {
        workspace.write("yard.yaml", """
            stages:
              write:
                cmd: |-
                  echo $$ > \(scratch)/pgid
                  printf half > part.bin
                  if [ ! -f \(scratch)/second ]; then sleep 30; fi
                  printf full >> part.bin
                outs: [part.bin]
            """)
        let first = try yard(["run", "--no-track", "--quiet"])
        #expect(await waitUntil(seconds: 10) {
            (try? String(contentsOfFile: scratch + "/pgid", encoding: .utf8))?.isEmpty == false && workspace.read("part.bin") == "half"
        })
        let groupText = try String(contentsOfFile: scratch + "/pgid", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let group = try #require(pid_t(groupText))
        kill(first.processIdentifier, SIGKILL)
        kill(-group, SIGKILL)
        first.waitUntilExit()
        #expect(first.terminationReason == .uncaughtSignal)

        #expect(workspace.read("part.bin") == "half")
        #expect(try workspace.lock().stages["write"] == nil)
        #expect(workspace.runCacheEntries().isEmpty)

        _ = FileManager.default.createFile(atPath: scratch + "/second", contents: Data())
        let second = try yard(["run", "--no-track", "--quiet"])
        second.waitUntilExit()
        #expect(second.terminationStatus == 0)
        #expect(workspace.read("part.bin") == "halffull")
        #expect(try workspace.lock().stages["write"]?.outs.first?.snapshot.digest == digest("halffull"))
        #expect(workspace.runCacheEntries().count == 1)
    }
}
