import YardCore
import YardStore

/// Evaluates monitors whose `schedule_seconds` have passed since their last evaluation. Wakes every
/// `tick`; evaluations of different monitors run concurrently, never two of the same monitor.
/// `run()` returns once the calling task is cancelled and the evaluations in flight have finished.
public actor MonitorScheduler {
    let service: MonitorService
    let tick: Duration
    let report: @Sendable (String) -> Void
    /// When each monitor last started an evaluation (ms); read from the store the first time it is seen.
    private var lastEvaluated: [String: Int64] = [:]
    private var inFlight: Set<String> = []

    /// `report` receives a line for each evaluation that could not be recorded at all (a store failure).
    public init(service: MonitorService, tick: Duration = .seconds(1), report: @escaping @Sendable (String) -> Void = { _ in }) {
        self.service = service
        self.tick = tick
        self.report = report
    }

    public func run() async {
        // Discarding: finished evaluations free their memory at once; the group waits for those in flight.
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                for name in await due() {
                    inFlight.insert(name)
                    group.addTask { [self] in
                        await evaluate(name)
                        await finished(name)
                    }
                }
                do { try await Task.sleep(for: tick) } catch { break }
            }
        }
    }

    nonisolated private func evaluate(_ name: String) async {
        do {
            _ = try await service.evaluate(name: name)
        } catch let error as YardError where error.code == .resourceDoesNotExist {
            // Deleted meanwhile.
        } catch where Task.isCancelled {
            // Shutting down.
        } catch {
            report("Monitor '\(name)': the scheduled evaluation failed: \(MonitorService.message(error))")
        }
    }

    private func finished(_ name: String) {
        inFlight.remove(name)
    }

    /// One pass without the loop: evaluates what is due now and waits for it (tests; a manual tick).
    public func runDue() async {
        let names = await due()
        for name in names { inFlight.insert(name) }
        await withTaskGroup(of: Void.self) { group in
            for name in names {
                group.addTask { [self] in await evaluate(name) }
            }
        }
        for name in names { inFlight.remove(name) }
    }

    /// Monitors with a schedule whose interval has passed and that are not being evaluated; marks them started.
    private func due() async -> [String] {
        let specs: [MonitorSpec]
        do {
            specs = try await service.monitors()
        } catch is CancellationError {
            return []
        } catch {
            // A stop cancels the listing; that is no failure to report.
            if !Task.isCancelled { report("Monitor scheduler: listing monitors failed: \(MonitorService.message(error))") }
            return []
        }
        let now = service.options.now()
        var names: [String] = []
        let known = Set(specs.map(\.name))
        lastEvaluated = lastEvaluated.filter { known.contains($0.key) }
        for spec in specs where spec.scheduleSeconds > 0 && !inFlight.contains(spec.name) {
            if lastEvaluated[spec.name] == nil {
                let latest = try? await service.store.evaluations(monitor: spec.name, limit: 1, before: nil).first
                lastEvaluated[spec.name] = latest?.evaluatedAt ?? Int64.min / 2
            }
            guard let last = lastEvaluated[spec.name], now - last >= Int64(spec.scheduleSeconds) * 1_000 else { continue }
            lastEvaluated[spec.name] = now
            names.append(spec.name)
        }
        return names
    }
}
