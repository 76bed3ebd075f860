#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import Foundation

/// Runs stage jobs as local processes: every command is `/bin/sh -c <command>`, spawned in a process group
/// of its own so that stopping a job reaches everything it started (a shell that started python that started
/// worker processes), not just the shell.
///
/// Threads: each running job uses two dedicated threads, one that spawns the commands and blocks in
/// `waitpid`, and one that reads the output pipe. Neither blocks Swift's cooperative pool, so many jobs can run
/// at once without starving other tasks. The `output` handler is called on the reader thread, one line at a
/// time in order; a slow handler slows the job's output (the pipe fills), it loses nothing.
///
/// Processes a command leaves running in its group after it exits (`server &` without `wait`) are stopped
/// too (SIGTERM, SIGKILL after the grace period): a stage owns its processes, and a stray writer would keep
/// appending to a log that belongs to a finished stage.
public struct LocalProcessExecutor: StageExecutor {
    /// Seconds between SIGTERM and SIGKILL when a job is stopped (timeout, cancellation).
    public var gracePeriodSeconds: Double
    /// The shell that runs each command with `-c`.
    public var shellPath: String

    public init(gracePeriodSeconds: Double = 3, shellPath: String = "/bin/sh") {
        self.gracePeriodSeconds = gracePeriodSeconds
        self.shellPath = shellPath
    }

    public func run(_ job: StageJob, output: StageOutputHandler?) async -> StageOutcome {
        let clock = ContinuousClock()
        let started = clock.now
        func seconds() -> Double {
            let elapsed = clock.now - started
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        }

        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: job.workingDirectory, isDirectory: &isDirectory), isDirectory.boolValue else {
            return StageOutcome(ending: .couldNotStart(
                "Stage '\(job.stage)' cannot start: its working directory \(job.workingDirectory) does not exist. "
                    + "Create the folder or fix the stage's working directory in yard.yaml."), seconds: seconds())
        }
        let files: JobFiles
        switch JobFiles.openFiles(logPath: job.logPath, stage: job.stage) {
        case .success(let opened): files = opened
        case .failure(let problem): return StageOutcome(ending: .couldNotStart(problem.message), seconds: seconds())
        }

        let control = JobControl(gracePeriodSeconds: gracePeriodSeconds)
        let shellPath = shellPath
        let ending: StageOutcome.Ending = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<StageOutcome.Ending, Never>) in
                let pump = OutputPump(files: files, stage: job.stage, logPath: job.logPath, output: output)
                let reader = Thread { pump.run() }
                reader.name = "yard-output-\(job.stage)"
                reader.start()
                let runner = Thread {
                    var timeout: DispatchWorkItem?
                    if let limit = job.timeoutSeconds {
                        let item = DispatchWorkItem { control.stop(.timedOut) }
                        DispatchQueue.global().asyncAfter(deadline: .now() + max(0, limit), execute: item)
                        timeout = item
                    }
                    let ending = CommandSequence(job: job, shellPath: shellPath, files: files, control: control).run()
                    timeout?.cancel()
                    pump.finish(closingWriteEnd: files)
                    files.closeAll()
                    continuation.resume(returning: ending)
                }
                runner.name = "yard-stage-\(job.stage)"
                runner.start()
            }
        } onCancel: {
            control.stop(.cancelled)
        }
        return StageOutcome(ending: ending, seconds: seconds())
    }
}

/// Why a job was stopped from outside.
enum StopReason: Sendable {
    case timedOut
    case cancelled

    var ending: StageOutcome.Ending {
        switch self {
        case .timedOut: .timedOut
        case .cancelled: .cancelled
        }
    }
}

/// The state a job's stop requests (timeout timer, task cancellation) share with the thread that spawns and
/// reaps its commands. Spawning happens under the lock, so a stop can never fall between a spawn and the
/// moment its process group becomes visible here.
final class JobControl: @unchecked Sendable {
    private let lock = NSLock()
    private var reason: StopReason?
    private var requestedAt: ContinuousClock.Instant?
    private var runningGroup: pid_t?
    private var finished = false
    let gracePeriodSeconds: Double

    init(gracePeriodSeconds: Double) {
        self.gracePeriodSeconds = max(0, gracePeriodSeconds)
    }

    var stopRequest: (reason: StopReason, at: ContinuousClock.Instant)? {
        lock.withLock {
            guard let reason, let requestedAt else { return nil }
            return (reason, requestedAt)
        }
    }

    enum SpawnAttempt {
        case started(pid_t)
        case failed(Int32)
        case stopped(StopReason)
    }

    func spawnUnlessStopped(_ spawn: () -> Result<pid_t, SpawnFailure>) -> SpawnAttempt {
        lock.withLock {
            if let reason { return .stopped(reason) }
            switch spawn() {
            case .success(let pid):
                runningGroup = pid
                return .started(pid)
            case .failure(let failure):
                return .failed(failure.errorNumber)
            }
        }
    }

    /// The command's group is gone (or given up on); signals must no longer be sent to its id.
    func groupEnded() {
        lock.withLock { runningGroup = nil }
    }

    /// Marks the job finished and returns why it was stopped, if it was.
    func finish() -> StopReason? {
        lock.withLock {
            finished = true
            runningGroup = nil
            return reason
        }
    }

    func stop(_ stopReason: StopReason) {
        let first: Bool = lock.withLock {
            guard !finished, reason == nil else { return false }
            reason = stopReason
            requestedAt = ContinuousClock.now
            if let group = runningGroup { _ = kill(-group, SIGTERM) }
            return true
        }
        guard first else { return }
        // The leader may ignore SIGTERM (`trap '' TERM`) and then the runner thread stays in waitpid; this
        // timer is what ends it.
        DispatchQueue.global().asyncAfter(deadline: .now() + gracePeriodSeconds) { [self] in
            lock.withLock {
                if !finished, let group = runningGroup { _ = kill(-group, SIGKILL) }
            }
        }
    }
}

struct SpawnFailure: Error {
    var errorNumber: Int32
}

/// The files one job uses: its log, the output pipe all its commands share, and a pipe that wakes the reader
/// when the job is over but some escaped process (one that left the group) still holds the output pipe.
final class JobFiles: @unchecked Sendable {
    let logDescriptor: Int32
    let outputRead: Int32
    private let lock = NSLock()
    private var outputWriteOpen: Int32?
    let wakeRead: Int32
    let wakeWrite: Int32

    struct Problem: Error {
        var message: String
    }

    private init(log: Int32, outputRead: Int32, outputWrite: Int32, wakeRead: Int32, wakeWrite: Int32) {
        logDescriptor = log
        self.outputRead = outputRead
        outputWriteOpen = outputWrite
        self.wakeRead = wakeRead
        self.wakeWrite = wakeWrite
    }

    /// The write end every command's stdout and stderr are duplicated from; nil once the job is over.
    var outputWrite: Int32? { lock.withLock { outputWriteOpen } }

    static func openFiles(logPath: String, stage: String) -> Result<JobFiles, Problem> {
        let folder = (logPath as NSString).deletingLastPathComponent
        if !folder.isEmpty {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                return .failure(Problem(message: "Stage '\(stage)' cannot start: cannot create the folder \(folder) for its log file "
                    + "(\(error.localizedDescription)). Check that the location is writable."))
            }
        }
        let log = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard log >= 0 else {
            return .failure(Problem(message: "Stage '\(stage)' cannot start: cannot open its log file \(logPath): \(describeError(errno)). "
                + "Check that the location is writable."))
        }
        guard let output = makePipe() else {
            let problem = describeError(errno)
            close(log)
            return .failure(Problem(message: "Stage '\(stage)' cannot start: cannot create an output pipe: \(problem). "
                + "Too many open files? Raise the limit (ulimit -n) or run fewer jobs at once."))
        }
        guard let wake = makePipe() else {
            let problem = describeError(errno)
            close(log); close(output.read); close(output.write)
            return .failure(Problem(message: "Stage '\(stage)' cannot start: cannot create a pipe: \(problem). "
                + "Too many open files? Raise the limit (ulimit -n) or run fewer jobs at once."))
        }
        return .success(JobFiles(log: log, outputRead: output.read, outputWrite: output.write, wakeRead: wake.read, wakeWrite: wake.write))
    }

    /// Pipes are close-on-exec so that a job started concurrently on another thread does not inherit this
    /// job's write end (which would keep this job's output open until that other job ends).
    private static func makePipe() -> (read: Int32, write: Int32)? {
        var descriptors: [Int32] = [-1, -1]
        #if canImport(Glibc)
        if let pipe2 = LinuxSpawnExtensions.pipe2 {
            guard pipe2(&descriptors, O_CLOEXEC) == 0 else { return nil }
            return (descriptors[0], descriptors[1])
        }
        #endif
        guard pipe(&descriptors) == 0 else { return nil }
        _ = fcntl(descriptors[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(descriptors[1], F_SETFD, FD_CLOEXEC)
        return (descriptors[0], descriptors[1])
    }

    func closeWriteEnd() {
        lock.withLock {
            if let descriptor = outputWriteOpen { close(descriptor) }
            outputWriteOpen = nil
        }
    }

    func closeAll() {
        closeWriteEnd()
        close(outputRead)
        close(wakeRead)
        close(wakeWrite)
        close(logDescriptor)
    }
}

/// Runs a job's commands one after another on the calling (dedicated) thread.
struct CommandSequence {
    let job: StageJob
    let shellPath: String
    let files: JobFiles
    let control: JobControl

    func run() -> StageOutcome.Ending {
        var ending = StageOutcome.Ending.succeeded
        commands: for (index, command) in job.commands.enumerated() {
            guard let outputWrite = files.outputWrite else { break }
            let attempt = control.spawnUnlessStopped {
                spawnShell(command: command, outputDescriptor: outputWrite)
            }
            switch attempt {
            case .stopped:
                break commands
            case .failed(let errorNumber):
                _ = control.finish()
                return .couldNotStart("Stage '\(job.stage)' cannot start \(shellPath) in \(job.workingDirectory): \(describeError(errorNumber)).")
            case .started(let pid):
                let status = waitForExit(pid)
                stopLeftovers(group: pid)
                control.groupEnded()
                switch ExitStatus(status) {
                case .exited(0)?:
                    continue commands
                case .exited(let value)?:
                    ending = .failed(exitStatus: value, command: index)
                case .signalled(let signal)?:
                    ending = .signalled(signal, command: index)
                case nil:
                    ending = .failed(exitStatus: -1, command: index)
                }
                break commands
            }
        }
        // A stop requested at any point before the job is over wins over whatever the commands did: the
        // caller asked for the job to end and must be able to rely on the outcome saying so.
        if let reason = control.finish() { return reason.ending }
        return ending
    }

    private func spawnShell(command: String, outputDescriptor: Int32) -> Result<pid_t, SpawnFailure> {
        #if canImport(Darwin)
        var actions: posix_spawn_file_actions_t? = nil
        var attributes: posix_spawnattr_t? = nil
        #else
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outputDescriptor, 1)
        posix_spawn_file_actions_adddup2(&actions, outputDescriptor, 2)
        #if canImport(Glibc)
        guard let addChdir = LinuxSpawnExtensions.addChdir else { return .failure(SpawnFailure(errorNumber: ENOSYS)) }
        _ = addChdir(&actions, job.workingDirectory)
        // Descriptors some library opened without close-on-exec must not leak into stage processes.
        _ = LinuxSpawnExtensions.addCloseFrom?(&actions, 3)
        #else
        posix_spawn_file_actions_addchdir_np(&actions, job.workingDirectory)
        #endif

        var flags = Int32(POSIX_SPAWN_SETPGROUP) | Int32(POSIX_SPAWN_SETSIGDEF) | Int32(POSIX_SPAWN_SETSIGMASK)
        #if canImport(Darwin)
        flags |= Int32(POSIX_SPAWN_CLOEXEC_DEFAULT)
        #endif
        posix_spawnattr_setflags(&attributes, Int16(flags))
        posix_spawnattr_setpgroup(&attributes, 0)
        // Dispositions we ignore (SIGINT while InterruptSignals is subscribed, SIGPIPE that Swift servers
        // ignore) would otherwise be inherited through exec, and `yes | head` in a stage would never end.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in 1..<32 where signal != SIGKILL && signal != SIGSTOP {
            sigaddset(&defaults, Int32(signal))
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)

        let arguments = [shellPath, "-c", command]
        let environment = job.environment.map { "\($0.key)=\($0.value)" }
        var argumentPointers: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        var environmentPointers: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer {
            for pointer in argumentPointers { free(pointer) }
            for pointer in environmentPointers { free(pointer) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, shellPath, &actions, &attributes, &argumentPointers, &environmentPointers)
        guard result == 0 else { return .failure(SpawnFailure(errorNumber: result)) }
        return .success(pid)
    }

    private func waitForExit(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            if errno != EINTR { return 0 }
        }
        return status
    }

    /// Ends whatever is still alive in the command's process group after its shell exited. When the job is
    /// being stopped, SIGTERM was already sent and SIGKILL follows at the stop's grace deadline; otherwise these
    /// are processes the command left behind, and they get the same sequence starting now.
    private func stopLeftovers(group: pid_t) {
        guard ProcessGroup.hasLiveMembers(group) else { return }
        let clock = ContinuousClock()
        let grace = Duration.milliseconds(Int64(control.gracePeriodSeconds * 1000))
        let killAt: ContinuousClock.Instant
        if let request = control.stopRequest {
            killAt = request.at + grace
        } else {
            _ = kill(-group, SIGTERM)
            killAt = clock.now + grace
        }
        var giveUpAt: ContinuousClock.Instant?
        while ProcessGroup.hasLiveMembers(group) {
            if let giveUpAt, clock.now >= giveUpAt { return }
            if giveUpAt == nil, clock.now >= killAt {
                _ = kill(-group, SIGKILL)
                giveUpAt = clock.now + .seconds(1)
            }
            usleep(5_000)
        }
    }
}

#if canImport(Glibc)
/// glibc functions Swift's Glibc module does not import (they are declared only under _GNU_SOURCE), looked up
/// once by name. Changing the working directory inside the child is the only way to give each concurrent job
/// its own folder: `chdir` in this process would move every thread.
enum LinuxSpawnExtensions {
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32

    static let addChdir: AddChdir? = symbol("posix_spawn_file_actions_addchdir_np")
    static let addCloseFrom: AddCloseFrom? = symbol("posix_spawn_file_actions_addclosefrom_np")
    static let pipe2: Pipe2? = symbol("pipe2")

    private static func symbol<Function>(_ name: String) -> Function? {
        guard let handle = dlopen(nil, RTLD_NOW), let address = dlsym(handle, name) else { return nil }
        return unsafeBitCast(address, to: Function.self)
    }
}
#endif

/// A decoded `waitpid` status (the W* macros are not imported into Swift).
enum ExitStatus: Equatable {
    case exited(Int32)
    case signalled(Int32)

    init?(_ status: Int32) {
        let low = status & 0x7f
        if low == 0 {
            self = .exited((status >> 8) & 0xff)
        } else if low != 0x7f {
            self = .signalled(low)
        } else {
            return nil
        }
    }
}

enum ProcessGroup {
    /// Whether any process in the group is still running. Zombies do not count: where PID 1 does not reap
    /// orphans (many containers), the group's dead members stay visible to `kill` forever, and waiting for
    /// them would turn every stop into a full grace period.
    static func hasLiveMembers(_ group: pid_t) -> Bool {
        guard kill(-group, 0) == 0 || errno == EPERM else { return false }
        #if os(Linux)
        guard let directory = opendir("/proc") else { return true }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            guard let pid = Int32(name), let state = processState(pid), state.group == group else { continue }
            if state.code != UInt8(ascii: "Z") && state.code != UInt8(ascii: "X") { return true }
        }
        return false
        #else
        return true
        #endif
    }

    #if os(Linux)
    /// The state letter and process group from `/proc/<pid>/stat` ("pid (comm) S ppid pgrp ...").
    static func processState(_ pid: pid_t) -> (code: UInt8, group: pid_t)? {
        let descriptor = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 512)
        let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        let text = buffer[0..<count]
        guard let nameEnd = text.lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = text[(nameEnd + 1)...].split(separator: UInt8(ascii: " "), maxSplits: 4)
        guard fields.count >= 3, let code = fields[0].first,
              let group = Int32(String(decoding: fields[2], as: UTF8.self)) else { return nil }
        return (code, group)
    }
    #endif
}

/// Copies a job's output pipe to its log file and hands complete lines to the output handler.
final class OutputPump: @unchecked Sendable {
    /// Longer lines are delivered in pieces of this size instead of being buffered without bound.
    static let maximumLineBytes = 64 * 1024

    private let files: JobFiles
    private let stage: String
    private let logPath: String
    private let output: StageOutputHandler?
    private let done = DispatchSemaphore(value: 0)
    private var pending: [UInt8] = []
    private var logWritable = true

    init(files: JobFiles, stage: String, logPath: String, output: StageOutputHandler?) {
        self.files = files
        self.stage = stage
        self.logPath = logPath
        self.output = output
    }

    /// The reader thread's body: until end of file on the pipe, or until woken when the job is over.
    func run() {
        defer { done.signal() }
        let chunkSize = 64 * 1024
        let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 1)
        defer { chunk.deallocate() }
        var descriptors = [
            pollfd(fd: files.outputRead, events: Int16(POLLIN), revents: 0),
            pollfd(fd: files.wakeRead, events: Int16(POLLIN), revents: 0),
        ]
        // Once woken, read only what a well-behaved writer could still have buffered, so an escaped process
        // that keeps writing cannot keep the job alive.
        var chunksLeftAfterWake: Int?
        while true {
            descriptors[0].revents = 0
            descriptors[1].revents = 0
            if poll(&descriptors, 2, -1) < 0 {
                if errno == EINTR { continue }
                break
            }
            if descriptors[1].revents != 0 {
                if chunksLeftAfterWake == nil { chunksLeftAfterWake = 16 }
                if chunksLeftAfterWake == 0 { break }
                chunksLeftAfterWake? -= 1
            }
            if descriptors[0].revents != 0 {
                let count = read(files.outputRead, chunk.baseAddress, chunkSize)
                if count < 0 {
                    if errno == EINTR || errno == EAGAIN { continue }
                    break
                }
                if count == 0 { break }
                consume(UnsafeRawBufferPointer(rebasing: chunk[0..<count]))
                continue
            }
            // Woken with nothing left to read: the job is over and whatever still holds the pipe is not ours.
            if chunksLeftAfterWake != nil { break }
        }
        if !pending.isEmpty { deliver(pending[...]) }
        pending = []
    }

    /// Called on the runner thread after the last command: closes the job's own write end so the reader sees
    /// end of file, and waits for the reader. If a process that escaped the group still holds the pipe, the
    /// reader is told to stop after a second.
    func finish(closingWriteEnd files: JobFiles) {
        files.closeWriteEnd()
        if done.wait(timeout: .now() + 1) == .timedOut {
            var byte: UInt8 = 1
            _ = write(files.wakeWrite, &byte, 1)
            done.wait()
        }
    }

    private func consume(_ bytes: UnsafeRawBufferPointer) {
        writeToLog(bytes)
        guard output != nil else { return }
        var lineStart = bytes.startIndex
        for index in bytes.indices where bytes[index] == UInt8(ascii: "\n") {
            appendToLine(bytes[lineStart..<index])
            deliver(pending[...])
            pending.removeAll(keepingCapacity: true)
            lineStart = index + 1
        }
        appendToLine(bytes[lineStart..<bytes.endIndex])
    }

    private func appendToLine(_ segment: Slice<UnsafeRawBufferPointer>) {
        pending.append(contentsOf: segment)
        while pending.count > Self.maximumLineBytes {
            var cut = Self.maximumLineBytes
            // Do not split a UTF-8 sequence: back off over continuation bytes.
            while cut > Self.maximumLineBytes - 4, pending[cut] & 0xC0 == 0x80 { cut -= 1 }
            deliver(pending[..<cut])
            pending.removeFirst(cut)
        }
    }

    private func deliver(_ line: ArraySlice<UInt8>) {
        guard let output else { return }
        var text = line
        if text.last == UInt8(ascii: "\r") { text = text.dropLast() }
        output(stage, String(decoding: text, as: UTF8.self))
    }

    private func writeToLog(_ bytes: UnsafeRawBufferPointer) {
        guard logWritable else { return }
        var offset = 0
        while offset < bytes.count {
            let written = write(files.logDescriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                // Keep draining the pipe (the job must not block on a full pipe) and say once why the log stops.
                logWritable = false
                output?(stage, "yard: cannot write the log file \(logPath): \(describeError(errno)); the rest of this stage's output is not in it.")
                return
            }
            offset += written
        }
    }
}

func describeError(_ errorNumber: Int32) -> String {
    String(cString: strerror(errorNumber))
}
