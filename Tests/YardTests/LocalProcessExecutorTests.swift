#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Testing
@testable import YardPipelines

/// Collects the lines a job delivers, from the executor's reader thread.
private final class LineCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var collected: [String] = []

    var handler: StageOutputHandler {
        { [self] _, line in lock.withLock { collected.append(line) } }
    }

    var lines: [String] { lock.withLock { collected } }
}

private let basicEnvironment = ["PATH": "/usr/bin:/bin"]

private func job(_ commands: [String], in directory: TemporaryDirectory, environment: [String: String] = basicEnvironment,
                 timeout: Double? = nil, workingDirectory: String? = nil) -> StageJob {
    StageJob(stage: "test", commands: commands, workingDirectory: workingDirectory ?? directory.path, environment: environment,
             timeoutSeconds: timeout, logPath: directory.file("logs/test.log"))
}

private func readLog(_ directory: TemporaryDirectory) -> String {
    (try? String(contentsOfFile: directory.file("logs/test.log"), encoding: .utf8)) ?? "<no log>"
}

/// Whether a process has ended. Dead processes whose parent has gone stay zombies where PID 1 does not reap
/// orphans (as in many containers); a zombie runs nothing, so it counts as gone.
private func processIsGone(_ pid: pid_t) -> Bool {
    if kill(pid, 0) == -1 && errno == ESRCH { return true }
    #if os(Linux)
    if let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
       let nameEnd = stat.lastIndex(of: ")") {
        let state = stat[stat.index(after: nameEnd)...].trimmingCharacters(in: .whitespaces).first
        return state == "Z" || state == "X"
    }
    return true
    #else
    return false
    #endif
}

private func waitUntilGone(_ pid: pid_t, seconds: Double = 2) async -> Bool {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while ContinuousClock.now < deadline {
        if processIsGone(pid) { return true }
        try? await Task.sleep(for: .milliseconds(20))
    }
    return processIsGone(pid)
}

private func waitForFile(_ path: String, lines: Int, seconds: Double = 20) async -> [String]? {
    let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
    while ContinuousClock.now < deadline {
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            let found = text.split(separator: "\n").map(String.init)
            if found.count >= lines { return found }
        }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return nil
}

@Suite("Local process executor")
struct LocalProcessExecutorTests {
    let executor = LocalProcessExecutor()

    @Test("a successful job logs its output, delivers lines in order, sees its environment and folder")
    func success() async throws {
        let directory = TemporaryDirectory()
        let collector = LineCollector()
        let outcome = await executor.run(
            job(["echo first; echo \"foo=$FOO\"", "pwd", "echo 'a b  c'; env | grep -c . "], in: directory,
                environment: ["PATH": "/usr/bin:/bin", "FOO": "bar baz"]),
            output: collector.handler)
        #expect(outcome.ending == .succeeded)
        let realFolder = URL(fileURLWithPath: directory.path).resolvingSymlinksInPath().path
        // PATH and FOO, plus PWD which the shell itself exports: nothing leaked from the test process.
        let expected = ["first", "foo=bar baz", realFolder, "a b  c", "3"]
        #expect(collector.lines == expected)
        #expect(readLog(directory) == expected.joined(separator: "\n") + "\n")
        #expect(outcome.seconds > 0)
    }

    @Test("the first failing command ends the job; later commands do not run")
    func stopsAtFirstFailure() async throws {
        let directory = TemporaryDirectory()
        let marker = directory.file("should-not-exist")
        let outcome = await executor.run(
            job(["echo one", "echo two; exit 3", "touch '\(marker)'"], in: directory), output: nil)
        #expect(outcome.ending == .failed(exitStatus: 3, command: 1))
        #expect(!FileManager.default.fileExists(atPath: marker))
        #expect(readLog(directory) == "one\ntwo\n")
    }

    @Test("stdout and stderr both reach the log")
    func bothStreams() async throws {
        let directory = TemporaryDirectory()
        let collector = LineCollector()
        let outcome = await executor.run(job(["echo out; echo err >&2; echo out2"], in: directory), output: collector.handler)
        #expect(outcome.ending == .succeeded)
        #expect(readLog(directory) == "out\nerr\nout2\n")
        #expect(collector.lines == ["out", "err", "out2"])
    }

    @Test("a final line without a newline is delivered, and stdin is empty")
    func partialLastLine() async throws {
        let directory = TemporaryDirectory()
        let collector = LineCollector()
        let outcome = await executor.run(job(["cat; printf 'done\\nno newline'"], in: directory), output: collector.handler)
        #expect(outcome.ending == .succeeded)
        #expect(collector.lines == ["done", "no newline"])
        #expect(readLog(directory) == "done\nno newline")
    }

    @Test("a very long line is split instead of buffered whole, never inside a UTF-8 character")
    func longLine() async throws {
        let directory = TemporaryDirectory()
        let collector = LineCollector()
        let accents100 = String(repeating: "é", count: 100)
        let outcome = await executor.run(job([
            "head -c 200000 /dev/zero | tr '\\0' x; echo",
            "head -c 65536 /dev/zero | tr '\\0' y; echo",
            "i=0; while [ $i -lt 400 ]; do printf '\(accents100)'; i=$((i+1)); done; echo",
            "echo after",
        ], in: directory), output: collector.handler)
        #expect(outcome.ending == .succeeded)
        let lines = collector.lines
        #expect(lines.last == "after")
        #expect(lines.allSatisfy { $0.utf8.count <= OutputPump.maximumLineBytes })
        let xs = lines.filter { $0.hasPrefix("x") }
        #expect(xs.map(\.utf8.count) == [65536, 65536, 65536, 3392])
        #expect(lines.filter { $0.hasPrefix("y") }.map(\.utf8.count) == [65536])
        let accents = lines.filter { $0.hasPrefix("é") }
        #expect(accents.map(\.count).reduce(0, +) == 40_000)
        #expect(accents.allSatisfy { !$0.contains("\u{FFFD}") })
    }

    @Test("a command killed by a signal we did not send is reported as signalled")
    func signalled() async throws {
        let directory = TemporaryDirectory()
        let outcome = await executor.run(job(["true", "kill -USR1 $$"], in: directory), output: nil)
        #expect(outcome.ending == .signalled(SIGUSR1, command: 1))
    }

    @Test("a job past its timeout is stopped")
    func timeout() async throws {
        let directory = TemporaryDirectory()
        let outcome = await executor.run(job(["sleep 120"], in: directory, timeout: 0.3), output: nil)
        #expect(outcome.ending == .timedOut)
        // Bounds are loose because a loaded CI machine is slow, yet far below the sleep's 120 s.
        #expect(outcome.seconds >= 0.3 && outcome.seconds < 60, "stopped well before the 120 s sleep ends")
    }

    @Test("a job that ignores SIGTERM is killed after the grace period")
    func timeoutIgnoringTerm() async throws {
        let directory = TemporaryDirectory()
        let pids = directory.file("pids")
        let executor = LocalProcessExecutor(gracePeriodSeconds: 0.5)
        let outcome = await executor.run(
            job(["trap '' TERM; sleep 120 & echo $! > '\(pids)'; echo $$ >> '\(pids)'; wait"], in: directory, timeout: 0.3),
            output: nil)
        #expect(outcome.ending == .timedOut)
        // SIGTERM alone could not have ended it: it must have waited the grace period, and not much more.
        #expect(outcome.seconds >= 0.75 && outcome.seconds < 60)
        let written = try #require(await waitForFile(pids, lines: 2))
        for pid in written.compactMap({ pid_t($0) }) {
            #expect(await waitUntilGone(pid), "process \(pid) survived")
        }
    }

    @Test("cancelling the task stops the whole process tree")
    func cancellation() async throws {
        let directory = TemporaryDirectory()
        let pids = directory.file("pids")
        let job = job(["sleep 120 & echo $! > '\(pids)'; echo $$ >> '\(pids)'; sleep 120; wait"], in: directory)
        let executor = self.executor
        let task = Task { await executor.run(job, output: nil) }
        let written = try #require(await waitForFile(pids, lines: 2))
        let processIDs = written.compactMap { pid_t($0) }
        #expect(processIDs.count == 2)
        #expect(processIDs.allSatisfy { !processIsGone($0) })
        task.cancel()
        let outcome = await task.value
        #expect(outcome.ending == .cancelled)
        #expect(outcome.seconds < 60, "stopped well before the 120 s sleeps end")
        for pid in processIDs {
            #expect(await waitUntilGone(pid), "process \(pid) survived cancellation")
        }
    }

    @Test("a job cancelled before it starts runs nothing")
    func cancelledBeforeStart() async throws {
        let directory = TemporaryDirectory()
        let marker = directory.file("ran")
        let executor = self.executor
        let job = job(["touch '\(marker)'"], in: directory)
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return await executor.run(job, output: nil)
        }
        #expect(await task.value.ending == .cancelled)
        #expect(!FileManager.default.fileExists(atPath: marker))
    }

    @Test("a missing working directory cannot start, and the message names it")
    func missingWorkingDirectory() async throws {
        let directory = TemporaryDirectory()
        let missing = directory.file("no/such/folder")
        let outcome = await executor.run(job(["true"], in: directory, workingDirectory: missing), output: nil)
        guard case .couldNotStart(let message) = outcome.ending else {
            Issue.record("expected couldNotStart, got \(outcome.ending)")
            return
        }
        #expect(message.contains(missing))
    }

    @Test("processes a command leaves behind do not outlive the job")
    func leftoversStopped() async throws {
        let directory = TemporaryDirectory()
        let pids = directory.file("pids")
        let outcome = await executor.run(job(["sleep 120 & echo $! > '\(pids)'"], in: directory), output: nil)
        #expect(outcome.ending == .succeeded)
        #expect(outcome.seconds < 60, "the 120 s leftover was stopped, not waited for")
        let written = try #require(await waitForFile(pids, lines: 1))
        #expect(await waitUntilGone(try #require(pid_t(written[0]))))
    }

    @Test("a process that left the job's process group does not hold the job open")
    func escapedProcess() async throws {
        let directory = TemporaryDirectory()
        let pids = directory.file("pids")
        let collector = LineCollector()
        let outcome = await executor.run(
            job(["echo before; setsid sh -c 'echo $$ > \"$0\"; exec sleep 120' '\(pids)' & sleep 0.2; echo after"], in: directory),
            output: collector.handler)
        let written = await waitForFile(pids, lines: 1)
        if let pid = written.flatMap({ pid_t($0[0]) }) { kill(pid, SIGKILL) }
        #expect(outcome.ending == .succeeded)
        #expect(outcome.seconds < 60, "the escaped 120 s sleep did not hold the job open")
        #expect(collector.lines == ["before", "after"])
        #expect(written != nil)
    }

    @Test("interrupt signals reach each subscription in turn, and cancelling hands the signal back")
    func interruptSignals() async throws {
        // SIGUSR2 stands in for SIGINT so nothing else in the test process is disturbed; ignored beforehand so
        // that a signal arriving outside a subscription cannot end the test process.
        let before = signal(SIGUSR2, SIG_IGN)
        defer { _ = signal(SIGUSR2, before) }
        for round in 1...2 {
            let received = LineCollector()
            let subscription = InterruptSignals.onInterrupt(signals: [SIGUSR2]) { signal in
                received.handler("signal", "\(signal)")
            }
            kill(getpid(), SIGUSR2)
            let deadline = ContinuousClock.now + .seconds(2)
            while received.lines.isEmpty && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            subscription.cancel()
            #expect(received.lines == ["\(SIGUSR2)"], "subscription \(round)")
            kill(getpid(), SIGUSR2)
            try await Task.sleep(for: .milliseconds(50))
            #expect(received.lines.count == 1, "a cancelled subscription still received a signal")
        }
        var current = sigaction()
        sigaction(SIGUSR2, nil, &current)
        #if canImport(Darwin)
        let handler = current.__sigaction_u.__sa_handler
        #else
        let handler = current.__sigaction_handler.sa_handler
        #endif
        #expect(unsafeBitCast(handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self))
    }
}
