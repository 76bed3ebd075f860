import ArgumentParser
import Foundation
import YardCore
import YardData
import YardJSON
import YardPipelines

extension RunCommand {
    /// `--set` runs: every point in its own copy of the work tree, in parallel, then one table.
    func runSweep(repository: DataRepository, spec: PipelineSpec) async throws {
        let plan = try SweepPlan.parse(settings, sample: sample, seed: seed)
        let targets = stages.isEmpty ? spec.stages.map(\.name) : stages
        let jobs = self.jobs ?? ProcessInfo.processInfo.activeProcessorCount
        Console.line("Sweep over \(plan.keys.joined(separator: ", ")): \(plan.points.count) point\(plan.points.count == 1 ? "" : "s"), \(min(jobs, plan.points.count)) at a time.")
        let tracking = EmbeddedTracking(dataDirectory: PipelineCLI.embeddedStore(of: repository))
        let factory = recorderFactory(tracking)
        let observer = ConsoleObserver(repositoryRoot: repository.root, quietOutput: quiet)
        let (points, interrupted) = try await PipelineCLI.interruptible(tracking, stopping: "the sweep") {
            try await SweepRunner.run(plan, targets: targets, repository: repository, spec: spec, jobs: jobs,
                                      executor: LocalProcessExecutor(), recorder: factory, observer: observer)
        }
        Console.line("")
        Console.line(Self.table(plan: plan, points: points))
        for (index, point) in points.enumerated() where point.error != nil {
            Console.error("point #\(index + 1): \(point.error!)")
        }
        Console.line("\nTo keep a point, put its values in params.yaml and `yard run`: its outputs come back from the run cache.")
        if interrupted { throw ExitCode(130) }
        if !points.allSatisfy(\.succeeded) || points.count < plan.points.count { throw ExitCode.failure }
    }

    static func table(plan: SweepPlan, points: [SweepPoint]) -> String {
        var metricKeys: [String] = []
        for point in points {
            for (key, _) in point.metrics where !metricKeys.contains(key) { metricKeys.append(key) }
        }
        let header = ["#"] + plan.keys + metricKeys + ["result"]
        var rows: [[String]] = []
        for (index, point) in points.enumerated() {
            let values = Dictionary(point.values.map { ($0.0, $0.1) }, uniquingKeysWith: { first, _ in first })
            let metrics = Dictionary(point.metrics, uniquingKeysWith: { _, last in last })
            var row = [String(index + 1)]
            row += plan.keys.map { values[$0].map(ParamsFile.text(of:)) ?? "" }
            row += metricKeys.map { metrics[$0].map { String(format: "%.6g", $0) } ?? "-" }
            let ran = point.reports.filter { if case .executed = $0.outcome { return true }; return false }.count
            let restored = point.reports.filter { if case .restored = $0.outcome { return true }; return false }.count
            row.append(point.succeeded ? (restored > 0 && ran == 0 ? "restored" : "ok") : "failed")
            rows.append(row)
        }
        return Console.table(header, rows)
    }
}
