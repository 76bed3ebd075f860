#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Turns SIGINT and SIGTERM into a callback, so the CLI can cancel the Task running a pipeline instead of
/// dying with stage processes still running:
///
/// ```swift
/// let run = Task { try await runner.run(...) }
/// let subscription = InterruptSignals.onInterrupt { _ in run.cancel() }
/// defer { subscription.cancel() }
/// ```
///
/// Stage processes run in process groups of their own (see `LocalProcessExecutor`), so a Ctrl-C typed in the
/// terminal reaches only `yard`, never the stages directly. Cancelling the task is what stops them, with
/// SIGTERM to each group and SIGKILL after the grace period; that way every stage ends with a recorded
/// outcome and no process outlives `yard`. While a subscription exists the signals no longer end the process;
/// a user who wants out regardless can still press Ctrl-\ (SIGQUIT) or send SIGKILL.
///
/// This does not use Dispatch signal sources: on Linux, libdispatch installs its own signal action once per
/// process and never again, so a signal ignored and restored around one subscription would silently stop
/// reaching the next one. A plain handler writing to a pipe is predictable, and restoring the previous
/// action on cancel hands the signal back to whoever had it (a server's graceful shutdown, for example).
public enum InterruptSignals {
    /// Calls `handler` with the signal number, on a dedicated thread, each time one of `signals` arrives,
    /// until the returned subscription is cancelled.
    public static func onInterrupt(signals: [Int32] = [SIGINT, SIGTERM],
                                   _ handler: @escaping @Sendable (Int32) -> Void) -> InterruptSubscription {
        SignalRelay.shared.subscribe(signals: Set(signals), handler)
    }
}

/// Keeps signals routed to a handler; `cancel()` (or releasing the subscription) restores what was there.
public final class InterruptSubscription: Sendable {
    let identifier: Int

    init(identifier: Int) {
        self.identifier = identifier
    }

    public func cancel() {
        SignalRelay.shared.unsubscribe(identifier)
    }

    deinit {
        cancel()
    }
}

/// The pipe's write end, for the signal handler (which can capture nothing and may only make
/// async-signal-safe calls). Set once, before any handler is installed.
nonisolated(unsafe) private var signalRelayWriteDescriptor: Int32 = -1

private let relaySignalHandler: @convention(c) (Int32) -> Void = { signalNumber in
    let savedErrno = errno
    var byte = UInt8(truncatingIfNeeded: signalNumber)
    _ = write(signalRelayWriteDescriptor, &byte, 1)
    errno = savedErrno
}

/// Process-wide: the signal handler forwards signal numbers through a pipe to one thread, which calls the
/// subscribers. Overlapping subscriptions share the installed action; the last one out restores the
/// previous action.
final class SignalRelay: @unchecked Sendable {
    static let shared = SignalRelay()

    private let lock = NSLock()
    private var subscribers: [Int: (signals: Set<Int32>, handler: @Sendable (Int32) -> Void)] = [:]
    private var previousActions: [Int32: sigaction] = [:]
    private var nextIdentifier = 0
    private let readDescriptor: Int32

    private init() {
        var descriptors: [Int32] = [-1, -1]
        if pipe(&descriptors) != 0 {
            // Without a pipe there is no safe way to leave the handler; subscriptions then do nothing and the
            // signals keep their default action, which is what a user pressing Ctrl-C gets anyway.
            readDescriptor = -1
            return
        }
        for descriptor in descriptors { _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC) }
        // A burst of signals must never block inside the handler.
        _ = fcntl(descriptors[1], F_SETFL, fcntl(descriptors[1], F_GETFL) | O_NONBLOCK)
        readDescriptor = descriptors[0]
        signalRelayWriteDescriptor = descriptors[1]
        let thread = Thread { [readDescriptor = descriptors[0]] in
            SignalRelay.deliverForever(from: readDescriptor)
        }
        thread.name = "yard-signals"
        thread.start()
    }

    private static func deliverForever(from descriptor: Int32) {
        var byte: UInt8 = 0
        while true {
            let count = read(descriptor, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            guard count == 1 else { return }
            let signalNumber = Int32(byte)
            let handlers = shared.lock.withLock {
                shared.subscribers.values.filter { $0.signals.contains(signalNumber) }.map(\.handler)
            }
            for handler in handlers { handler(signalNumber) }
        }
    }

    func subscribe(signals: Set<Int32>, _ handler: @escaping @Sendable (Int32) -> Void) -> InterruptSubscription {
        lock.withLock {
            nextIdentifier += 1
            let identifier = nextIdentifier
            guard readDescriptor >= 0 else { return InterruptSubscription(identifier: identifier) }
            for signalNumber in signals where !isRouted(signalNumber) {
                var action = sigaction()
                #if canImport(Darwin)
                action.__sigaction_u.__sa_handler = relaySignalHandler
                #else
                action.__sigaction_handler.sa_handler = relaySignalHandler
                #endif
                action.sa_flags = SA_RESTART
                sigemptyset(&action.sa_mask)
                var previous = sigaction()
                if sigaction(signalNumber, &action, &previous) == 0 {
                    previousActions[signalNumber] = previous
                }
            }
            subscribers[identifier] = (signals, handler)
            return InterruptSubscription(identifier: identifier)
        }
    }

    func unsubscribe(_ identifier: Int) {
        lock.withLock {
            guard let removed = subscribers.removeValue(forKey: identifier) else { return }
            for signalNumber in removed.signals where !isRouted(signalNumber) {
                if var previous = previousActions.removeValue(forKey: signalNumber) {
                    _ = sigaction(signalNumber, &previous, nil)
                }
            }
        }
    }

    /// Whether some remaining subscriber still listens to the signal. Called with the lock held.
    private func isRouted(_ signalNumber: Int32) -> Bool {
        subscribers.values.contains { $0.signals.contains(signalNumber) }
    }
}
