import NIOCore

/// Runs `concurrency` workers, each finishing one run (create, log-batch, update) before starting the
/// next, so exactly that many runs are in flight. Workers keep their own `Stats`, merged at the end.
struct Workload: Sendable {
    let client: MLflowClient
    let bodies: RequestBodies
    let concurrency: Int

    /// `runs` split as evenly as possible over the workers.
    func run(totalRuns: Int) async -> Stats {
        await runWorkers { worker in
            totalRuns / concurrency + (worker < totalRuns % concurrency ? 1 : 0)
        } keepGoing: { done, quota in done < quota }
    }

    /// Every worker keeps starting runs until `seconds` have passed.
    func run(seconds: Double) async -> Stats {
        let deadline = NIODeadline.now() + .nanoseconds(Int64(seconds * 1e9))
        return await runWorkers { _ in 0 } keepGoing: { _, _ in NIODeadline.now() < deadline }
    }

    private func runWorkers(
        quota: @escaping @Sendable (Int) -> Int,
        keepGoing: @escaping @Sendable (_ done: Int, _ quota: Int) -> Bool
    ) async -> Stats {
        await withTaskGroup(of: Stats.self) { group in
            for worker in 0..<concurrency {
                group.addTask {
                    var stats = Stats()
                    let myQuota = quota(worker)
                    var done = 0
                    while keepGoing(done, myQuota) {
                        await oneRun(into: &stats)
                        done += 1
                    }
                    return stats
                }
            }
            var total = Stats()
            for await stats in group { total.merge(stats) }
            return total
        }
    }

    private func oneRun(into stats: inout Stats) async {
        let runStart = NIODeadline.now()
        var phaseStart = runStart
        func lap(_ phase: Phase) {
            let now = NIODeadline.now()
            stats.record(phase, nanoseconds: (now - phaseStart).nanoseconds.magnitude)
            phaseStart = now
        }
        var phase = Phase.createRun
        do {
            let runID = try await client.createRun(bodies.createRun)
            lap(.createRun)
            phase = .logBatch
            try await client.logBatch(bodies.logBatch(runID: runID))
            lap(.logBatch)
            phase = .finishRun
            try await client.updateRun(bodies.finishRun(runID: runID))
            lap(.finishRun)
            stats.recordCompletedRun(nanoseconds: (NIODeadline.now() - runStart).nanoseconds.magnitude)
        } catch {
            stats.recordFailure(phase, String(describing: error))
        }
    }
}
