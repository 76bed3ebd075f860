import Dispatch
import Foundation
import YardCore

/// Runs a blocking job over many items on every core. Files are hashed, linked and copied with plain
/// blocking POSIX calls, so they run on Dispatch's threads, not on Swift's cooperative pool.
enum ParallelWork {
    static var defaultWidth: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }
    /// For jobs that mostly wait on the disk (a data sync per file): many syncs in flight let the file
    /// system commit them together, whatever the number of cores.
    static let blockingWidth = 32

    /// Calls `body` once per index, `width` at a time, and returns the results in index order. The first
    /// error stops the remaining work and is rethrown.
    static func map<T: Sendable>(_ count: Int, width: Int = defaultWidth,
                                 _ body: @escaping @Sendable (Int) throws(YardError) -> T) throws(YardError) -> [T] {
        if count == 0 { return [] }
        let results = ResultSlots<T>(count: count)
        let workers = min(width, count)
        // Indices are handed out in small chunks: few lock round-trips, yet an uneven mix of big and small
        // files still spreads across workers.
        let chunk = max(1, min(64, count / (workers * 8)))
        // Escaping because worker threads hold it; every worker has finished with it before this returns.
        let work: @Sendable () -> Void = {
            while let range = results.claim(chunk) {
                for index in range {
                    do throws(YardError) {
                        results.store(try body(index), at: index)
                    } catch {
                        results.fail(error)
                        return
                    }
                }
            }
        }
        if workers <= defaultWidth {
            DispatchQueue.concurrentPerform(iterations: workers) { _ in work() }
        } else {
            runOnOwnThreads(workers, work)
        }
        return try results.collect()
    }

    /// Dispatch's pool keeps about one thread per core busy, so jobs that block in the kernel get their
    /// own threads (the calling one included) and are joined before returning.
    private static func runOnOwnThreads(_ count: Int, _ work: @escaping @Sendable () -> Void) {
        let finished = DispatchGroup()
        for _ in 1..<count {
            finished.enter()
            let thread = Thread {
                work()
                finished.leave()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
        work()
        finished.wait()
    }

    static func forEach(_ count: Int, width: Int = defaultWidth,
                        _ body: @escaping @Sendable (Int) throws(YardError) -> Void) throws(YardError) {
        _ = try map(count, width: width, body)
    }
}

/// Output slots written by index from many threads; each index is written exactly once.
private final class ResultSlots<T>: @unchecked Sendable {
    // Unchecked: `slots` is written at distinct indices only, `next` and `error` under `lock`.
    private let slots: UnsafeMutableBufferPointer<T?>
    private var next = 0
    private var error: YardError?
    private let lock = NSLock()

    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    func claim(_ size: Int) -> Range<Int>? {
        lock.lock()
        defer { lock.unlock() }
        guard error == nil, next < slots.count else { return nil }
        let start = next
        next = min(slots.count, next + size)
        return start..<next
    }

    func store(_ value: T, at index: Int) {
        slots[index] = value
    }

    func fail(_ failure: YardError) {
        lock.lock()
        if error == nil { error = failure }
        lock.unlock()
    }

    func collect() throws(YardError) -> [T] {
        if let error { throw error }
        return slots.map { $0! }
    }
}
