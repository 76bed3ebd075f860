import Foundation
import Yams
import YardCore
import YardData
import YardJSON

/// The points of a parameter sweep: a grid of `--set key=v1,v2` lists, or `--sample N` random draws from
/// lists and ranges (`uniform(a,b)`, `loguniform(a,b)`, `randint(a,b)`, `choice(a,b,…)`).
public struct SweepPlan: Sendable {
    public enum Domain: Sendable, Equatable {
        case values([JSONValue])
        case uniform(Double, Double)
        case logUniform(Double, Double)
        case integers(Int, Int)
    }

    public var keys: [String]
    public var domains: [Domain]
    public var points: [[(String, JSONValue)]]

    public static func parse(_ settings: [String], sample: Int?, seed: UInt64?) throws(YardError) -> SweepPlan {
        var keys: [String] = []
        var domains: [Domain] = []
        for setting in settings {
            guard let equals = setting.firstIndex(of: "="), equals != setting.startIndex else {
                throw .invalid("--set '\(setting)' must look like key=value, key=v1,v2 or key=uniform(a,b).")
            }
            let key = String(setting[..<equals]).trimmingCharacters(in: .whitespaces)
            let text = String(setting[setting.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
            if keys.contains(key) { throw .invalid("--set names '\(key)' twice; give its values once, separated by commas.") }
            keys.append(key)
            domains.append(try domain(text, key: key))
        }
        var points: [[(String, JSONValue)]] = []
        if let sample {
            var generator = SplitMix64(seed: seed ?? UInt64.random(in: 0...UInt64.max))
            for _ in 0..<sample {
                points.append(zip(keys, domains).map { ($0, draw($1, using: &generator)) })
            }
        } else {
            points = [[]]
            for (key, domain) in zip(keys, domains) {
                guard case .values(let values) = domain else {
                    throw .invalid("--set \(key) is a range; ranges need --sample N to say how many points to draw.")
                }
                points = points.flatMap { prefix in values.map { prefix + [(key, $0)] } }
            }
        }
        if points.count > 1000 { throw .invalid("The sweep has \(points.count) points; more than 1000 is refused. Narrow the grid or use --sample.") }
        return SweepPlan(keys: keys, domains: domains, points: points)
    }

    static func domain(_ text: String, key: String) throws(YardError) -> Domain {
        for (name, make) in [("uniform", 0), ("loguniform", 1), ("randint", 2), ("choice", 3)] where text.hasPrefix(name + "(") && text.hasSuffix(")") {
            let arguments = text.dropFirst(name.count + 1).dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            if make == 3 { return .values(arguments.map(scalar)) }
            guard arguments.count == 2, let low = Double(arguments[0]), let high = Double(arguments[1]), low < high else {
                throw .invalid("--set \(key)=\(text): \(name) takes two numbers, low < high, e.g. \(name)(\(make == 1 ? "1e-4,1e-1" : "1,10")).")
            }
            switch make {
            case 0: return .uniform(low, high)
            case 1:
                guard low > 0 else { throw .invalid("--set \(key)=\(text): loguniform needs positive bounds.") }
                return .logUniform(low, high)
            default: return .integers(Int(low), Int(high))
            }
        }
        let values = text.split(separator: ",", omittingEmptySubsequences: false).map { scalar(String($0).trimmingCharacters(in: .whitespaces)) }
        return .values(values)
    }

    /// A command-line value typed as YAML would type it (0.1 is a number, true a boolean, abc a string).
    static func scalar(_ text: String) -> JSONValue {
        guard let node = try? Yams.compose(yaml: text), node.scalar != nil else { return .string(text) }
        return YAMLText.value(of: node)
    }

    /// Six significant digits: enough to tell points apart, short enough to read in a table and a param.
    static func rounded(_ value: Double) -> String {
        YAMLText.canonicalNumber(Double(String(format: "%.6g", value)) ?? value)
    }

    static func draw(_ domain: Domain, using generator: inout SplitMix64) -> JSONValue {
        switch domain {
        case .values(let values): return values[Int(generator.next() % UInt64(values.count))]
        case .uniform(let low, let high): return .number(rounded(low + (high - low) * generator.unit()))
        case .logUniform(let low, let high): return .number(rounded(exp(log(low) + (log(high) - log(low)) * generator.unit())))
        case .integers(let low, let high): return .int(low + Int(generator.next() % UInt64(high - low + 1)))
        }
    }
}

/// A small seeded generator, so `--seed` gives the same points on every machine.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// One point of a sweep after it ran.
public struct SweepPoint: Sendable {
    public var values: [(String, JSONValue)]
    public var reports: [StageReport]
    /// Metrics from the target stages' metrics files, flattened.
    public var metrics: [(String, Double)]
    public var error: String?
    public var succeeded: Bool { error == nil && reports.allSatisfy(\.isSuccess) }
}

/// Runs every point of a sweep in its own copy of the work tree (params.yaml set to the point's values),
/// as sibling runs under one parent run; the user's work tree and yard.lock are not changed. Outputs go
/// to the shared data cache and the run cache, so adopting a point (setting its values in params.yaml
/// and running) restores instead of recomputing.
public enum SweepRunner {
    public static func run(_ plan: SweepPlan, targets: [String], repository: DataRepository, spec: PipelineSpec,
                           jobs: Int, executor: any StageExecutor, recorder: RecorderFactory?,
                           observer: any PipelineObserver) async throws -> [SweepPoint] {
        let parent = RecorderSlot(factory: recorder, pipeline: spec.name)
        let description = plan.keys.joined(separator: ", ")
        await parent.configureParent(name: "sweep: \(description)",
                                     tags: ["yard.kind": "sweep", "yard.sweep.keys": description, "yard.sweep.points": String(plan.points.count)])
        let targetStages = try PipelineGraph(spec).resolve(targets).map { spec.stages[$0] }
        var points = [SweepPoint?](repeating: nil, count: plan.points.count)
        await withTaskGroup(of: (Int, SweepPoint).self) { group in
            var next = 0
            func startNext() {
                guard next < plan.points.count else { return }
                let index = next
                next += 1
                group.addTask { (index, await runPoint(plan.points[index], index: index, targets: targets, targetStages: targetStages,
                                                       repository: repository, executor: executor, parent: parent, observer: observer)) }
            }
            for _ in 0..<max(1, jobs) { startNext() }
            while let (index, point) = await group.next() {
                points[index] = point
                if !Task.isCancelled { startNext() }
            }
        }
        let all = points.compactMap { $0 }
        await parent.finishParent(success: all.count == plan.points.count && all.allSatisfy(\.succeeded), cancelled: Task.isCancelled)
        return all
    }

    static func runPoint(_ values: [(String, JSONValue)], index: Int, targets: [String], targetStages: [StageSpec],
                         repository: DataRepository, executor: any StageExecutor, parent: RecorderSlot,
                         observer: any PipelineObserver) async -> SweepPoint {
        var point = SweepPoint(values: values, reports: [], metrics: [], error: nil)
        let label = values.map { "\($0.0)=\(YAMLText.display($0.1))" }.joined(separator: " ")
        do {
            let workspace = try await Blocking.run { () throws(YardError) -> IsolatedWorkspace in
                let workspace = try IsolatedWorkspace.copyOfWorkTree(repository, label: "sweep")
                workspace.restoreData()
                try ParamsFile.write(values, into: PipelineSpecLoader.defaultParamsFile, repositoryRoot: workspace.root)
                return workspace
            }
            defer { workspace.remove() }
            let spec = try PipelineSpecLoader.load(repositoryRoot: workspace.root)
            let runner = try PipelineRunner(repository: workspace.repository, spec: spec, executor: executor, recorder: nil,
                                            observer: PointObserver(inner: observer, label: "#\(index + 1)"), sharedParent: parent,
                                            stageTags: ["yard.sweep.point": label])
            var options = RunOptions()
            options.targets = targets
            options.jobs = 1
            point.reports = try await runner.run(options)
            for stage in targetStages {
                for file in stage.metricsFiles {
                    point.metrics += (try? MetricsFile.read(file, repositoryRoot: workspace.root)) ?? []
                }
            }
        } catch {
            point.error = (error as? YardError)?.message ?? "\(error)"
        }
        return point
    }
}

/// Prefixes a sweep point's stage names so parallel points can be told apart.
struct PointObserver: PipelineObserver {
    let inner: any PipelineObserver
    let label: String

    func stageStarted(_ stage: String, reasons: [StaleReason], attempt: Int) { inner.stageStarted("\(label) \(stage)", reasons: reasons, attempt: attempt) }
    func stageFinished(_ report: StageReport) {
        var labelled = report
        labelled.stage = "\(label) \(report.stage)"
        inner.stageFinished(labelled)
    }
    func output(_ stage: String, line: String) { inner.output("\(label) \(stage)", line: line) }
    func warning(_ message: String) { inner.warning("\(label): \(message)") }
}
