import YardCore
import YardData
import YardJSON

/// Why a stage must run, precisely enough to act on ("which dependency, parameter or command changed,
/// and from what to what").
public enum StaleReason: Sendable, Equatable, CustomStringConvertible {
    case neverRun
    case forced
    case alwaysChanged
    case commandChanged(from: String, to: String)
    case environmentChanged(variable: String, from: String?, to: String?)
    case dependencyChanged(path: String, from: ContentDigest, to: ContentDigest)
    case dependencyAdded(path: String)
    case dependencyRemoved(path: String)
    /// Only in `yard status`: the dependency is absent and no stage that will run produces it.
    case dependencyMissing(path: String)
    case paramChanged(file: String, key: String, from: JSONValue?, to: JSONValue?)
    case outputMissing(path: String)
    case outputModified(path: String, from: ContentDigest, to: ContentDigest)
    case outputAdded(path: String)
    /// Only in `yard status`: an upstream stage will run first, so this stage's inputs may change.
    case upstreamStale(stage: String)

    public var description: String {
        switch self {
        case .neverRun: return "it has never run (no entry in yard.lock)"
        case .forced: return "--force"
        case .alwaysChanged: return "it is marked always_changed"
        case .commandChanged(let from, let to): return "the command changed from '\(Self.clip(from))' to '\(Self.clip(to))'"
        case .environmentChanged(let variable, let from, let to):
            return "env \(variable) changed from \(from.map { "'\($0)'" } ?? "unset") to \(to.map { "'\($0)'" } ?? "unset")"
        case .dependencyChanged(let path, let from, let to):
            return "dependency \(path) changed (\(Self.short(from)) → \(Self.short(to)))"
        case .dependencyAdded(let path): return "dependency \(path) is new"
        case .dependencyRemoved(let path): return "dependency \(path) was removed from the stage"
        case .dependencyMissing(let path): return "dependency \(path) is missing (restore it, or run the stage that produces it)"
        case .paramChanged(let file, let key, let from, let to):
            let location = file == PipelineSpecLoader.defaultParamsFile ? key : "\(file):\(key)"
            return "param \(location) changed from \(from.map(YAMLText.display) ?? "unset") to \(to.map(YAMLText.display) ?? "unset")"
        case .outputMissing(let path): return "output \(path) is missing"
        case .outputModified(let path, let from, let to): return "output \(path) was modified (\(Self.short(from)) → \(Self.short(to)))"
        case .outputAdded(let path): return "output \(path) is new"
        case .upstreamStale(let stage): return "upstream stage '\(stage)' will run first"
        }
    }

    static func short(_ digest: ContentDigest) -> String { String(digest.hex.prefix(10)) }

    /// A command as one short line: long or multi-line commands are cut where they stop being readable.
    static func clip(_ text: String) -> String {
        let flat = text.replacingOccurrences(of: "\n", with: " ⏎ ")
        return flat.count <= 72 ? flat : String(flat.prefix(69)) + "…"
    }
}

/// Reading a stage's inputs as they are now, and comparing them with its lock entry.
public enum StageStaleness {
    /// The stage's parameter values now, from its parameter files.
    public static func currentParams(of stage: StageSpec, repositoryRoot: String) throws(YardError) -> [LockedParam] {
        var result: [LockedParam] = []
        var files: [String: ParamsFile] = [:]
        for dependency in stage.params {
            let params: ParamsFile
            if let loaded = files[dependency.file] {
                params = loaded
            } else {
                params = try ParamsFile.load(dependency.file, repositoryRoot: repositoryRoot)
                files[dependency.file] = params
            }
            guard let keys = dependency.keys else {
                for (key, value) in params.leaves { result.append(LockedParam(file: dependency.file, key: key, value: value)) }
                continue
            }
            for key in keys {
                guard let value = params.value(at: key) else {
                    throw .invalid("Stage '\(stage.name)' uses the parameter '\(key)', which '\(dependency.file)' no longer defines. Add it back or remove it from the stage's params in yard.yaml.")
                }
                result.append(LockedParam(file: dependency.file, key: key, value: value))
            }
        }
        return result
    }

    /// What differs between the stage as it would run now and its last recorded execution.
    public static func reasons(stage: StageSpec, locked: LockEntry?, deps: [LockedPath], params: [LockedParam],
                               outs: [String: PathSnapshot?]) -> [StaleReason] {
        guard let locked else { return [.neverRun] }
        var reasons: [StaleReason] = []
        if stage.alwaysChanged { reasons.append(.alwaysChanged) }
        if locked.command != stage.commandText { reasons.append(.commandChanged(from: locked.command, to: stage.commandText)) }
        let environment = Dictionary(stage.environment, uniquingKeysWith: { _, last in last })
        for variable in Set(environment.keys).union(locked.environment.keys).sorted() where environment[variable] != locked.environment[variable] {
            reasons.append(.environmentChanged(variable: variable, from: locked.environment[variable], to: environment[variable]))
        }
        let lockedDeps = Dictionary(locked.deps.map { ($0.path, $0.snapshot) }, uniquingKeysWith: { first, _ in first })
        for dep in deps {
            if let before = lockedDeps[dep.path] {
                if before.digest != dep.snapshot.digest { reasons.append(.dependencyChanged(path: dep.path, from: before.digest, to: dep.snapshot.digest)) }
            } else {
                reasons.append(.dependencyAdded(path: dep.path))
            }
        }
        let currentDepPaths = Set(deps.map(\.path))
        for dep in locked.deps where !currentDepPaths.contains(dep.path) { reasons.append(.dependencyRemoved(path: dep.path)) }
        let lockedParams = Dictionary(locked.params.map { ($0.file + "\u{0}" + $0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
        for param in params {
            let before = lockedParams[param.file + "\u{0}" + param.key]
            if before.map(YAMLText.canonical) != YAMLText.canonical(param.value) {
                reasons.append(.paramChanged(file: param.file, key: param.key, from: before, to: param.value))
            }
        }
        let currentParamKeys = Set(params.map { $0.file + "\u{0}" + $0.key })
        for param in locked.params where !currentParamKeys.contains(param.file + "\u{0}" + param.key) {
            reasons.append(.paramChanged(file: param.file, key: param.key, from: param.value, to: nil))
        }
        let lockedOuts = Dictionary(locked.outs.map { ($0.path, $0.snapshot) }, uniquingKeysWith: { first, _ in first })
        for output in stage.outs {
            guard let before = lockedOuts[output.path] else {
                reasons.append(.outputAdded(path: output.path))
                continue
            }
            guard let now = outs[output.path] ?? nil else {
                reasons.append(.outputMissing(path: output.path))
                continue
            }
            if now.digest != before.digest { reasons.append(.outputModified(path: output.path, from: before.digest, to: now.digest)) }
        }
        return reasons
    }
}
