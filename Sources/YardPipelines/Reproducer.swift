import Foundation
import YardCore
import YardData
import YardJSON

/// The outcome of `yard reproduce`: each recorded output beside the digest the re-execution produced.
public struct Reproduction: Sendable {
    public struct Output: Sendable {
        public var path: String
        public var recorded: ContentDigest
        /// Nil when the re-execution did not produce it.
        public var reproduced: ContentDigest?
        public var matches: Bool { reproduced == recorded }
    }

    public var runID: String
    public var stage: String
    public var commit: String
    public var outputs: [Output]
    /// Dependencies taken from the data cache because the commit did not hold the recorded bytes.
    public var restoredInputs: [String]
    /// Parameters written into the temporary tree because the commit's files held other values.
    public var patchedParams: [String]
    public var outcome: StageOutcome
    public var workTree: String
    public var matches: Bool { outcome.succeeded && outputs.allSatisfy(\.matches) }
}

/// Re-executes a recorded stage run from its record alone: the git commit, the lock entry (command,
/// environment, dependency digests, parameter values, output digests) and the data cache.
public enum Reproducer {
    /// The parts of a run record reproduction needs; throws naming each missing part.
    /// The artifact holding the lock entry when it was too large for the `yard.lock` tag.
    public static let lockArtifact = "yard/lock.json"

    /// `run` with its lock entry put in the `yard.lock` tag when the record keeps it as an artifact instead.
    public static func completingLockEntry(of run: Run, from recorder: any RunRecorder) async -> Run {
        guard !run.tags.contains(where: { $0.key == "yard.lock" }), run.info.status == .finished,
              let bytes = try? await recorder.downloadArtifact(runID: run.info.runId, artifactPath: lockArtifact) else { return run }
        var completed = run
        completed.tags.append(Tag(key: "yard.lock", value: String(decoding: bytes, as: UTF8.self)))
        return completed
    }

    public static func recordedEntry(of run: Run) throws(YardError) -> (stage: String, commit: String, entry: LockEntry, workingDirectory: String) {
        let tags = Dictionary(run.tags.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
        var missing: [String] = []
        if tags["yard.stage"] == nil { missing.append("the stage name (tag yard.stage: was it recorded by `yard run`?)") }
        if tags["mlflow.source.git.commit"] == nil { missing.append("the git commit (tag mlflow.source.git.commit: the run was made outside a git repository or before its first commit)") }
        if tags["yard.lock"] == nil {
            missing.append(run.info.status == .finished
                ? "the lock entry (tag yard.lock: dependency digests, parameter values and output digests)"
                : "a successful execution (the run ended \(run.info.status.rawValue); only finished stage runs record their outputs)")
        }
        if !missing.isEmpty {
            throw .invalid("Run \(run.info.runId) cannot be reproduced; its record lacks \(missing.joined(separator: ", and ")).")
        }
        let document: JSONValue
        do {
            document = try JSONParser.parse(Array(tags["yard.lock"]!.utf8))
        } catch {
            throw .invalid("Run \(run.info.runId) cannot be reproduced: its yard.lock tag is not valid JSON (\(error)).")
        }
        let entry = try LockEntry.decode(document, source: "run \(run.info.runId) (tag yard.lock)")
        return (tags["yard.stage"]!, tags["mlflow.source.git.commit"]!, entry, tags["yard.wdir"] ?? "")
    }

    public static func reproduce(_ run: Run, in repository: DataRepository, executor: any StageExecutor,
                                 output: StageOutputHandler?, keepWorkTree: Bool = false) async throws -> Reproduction {
        let (stage, commit, entry, workingDirectory) = try recordedEntry(of: run)
        let workspace = try IsolatedWorkspace.atCommit(commit, of: repository)
        defer { if !keepWorkTree { workspace.remove() } }
        let tree = workspace.repository
        let (restored, patched) = try await Blocking.run { () throws(YardError) -> ([String], [String]) in
            let state = tree.openState()
            defer { state.save() }
            var restored: [String] = []
            var missing: [String] = []
            for dep in entry.deps {
                if let now = try tree.snapshot(of: dep.path, state: state), now.digest == dep.snapshot.digest { continue }
                guard tree.cacheHolds(dep.snapshot) else {
                    missing.append("\(dep.path) (\(dep.snapshot.digest))")
                    continue
                }
                try tree.restore(dep.path, to: dep.snapshot, state: state)
                restored.append(dep.path)
            }
            if !missing.isEmpty {
                throw YardError.notFound("Cannot rebuild the inputs of run \(run.info.runId): neither commit \(commit.prefix(12)) nor the data cache holds \(missing.joined(separator: ", ")). Pull them from a remote (`yard data pull`) and try again.")
            }
            var patched: [String] = []
            for (file, params) in Dictionary(grouping: entry.params, by: \.file) {
                let current = try? ParamsFile.load(file, repositoryRoot: tree.root)
                let differing = params.filter { param in
                    current?.value(at: param.key).map(YAMLText.canonical) != YAMLText.canonical(param.value)
                }
                guard !differing.isEmpty else { continue }
                if differing.contains(where: { $0.key.contains("[") }) {
                    throw YardError.invalid("Run \(run.info.runId) used \(differing.map { "\(file):\($0.key)" }.joined(separator: ", ")) with values commit \(commit.prefix(12)) does not hold, and yard cannot set list elements; commit the parameters you run with.")
                }
                try ParamsFile.write(differing.map { ($0.key, $0.value) }, into: file, repositoryRoot: tree.root)
                patched += differing.map { "\(file):\($0.key)=\(YAMLText.display($0.value))" }
            }
            for out in entry.outs { FileSystem.remove(tree.root + "/" + out.path) }
            for out in entry.outs where !PathText.parent(out.path).isEmpty {
                try FileSystem.createDirectory(tree.root + "/" + PathText.parent(out.path))
            }
            return (restored, patched)
        }
        var environment = ProcessInfo.processInfo.environment
        for variable in ["MLFLOW_RUN_ID", "MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_ID"] { environment[variable] = nil }
        for (key, value) in entry.environment { environment[key] = value }
        let job = StageJob(stage: stage, commands: ["set -e\n" + entry.command],
                           workingDirectory: workingDirectory.isEmpty ? tree.root : tree.root + "/" + workingDirectory,
                           environment: environment, inputs: entry.deps.map(\.path), outputs: entry.outs.map(\.path),
                           logPath: tree.yardDirectory + "/tmp/logs/reproduce.log")
        let outcome = await executor.run(job, output: output)
        let outputs = try await Blocking.run { () throws(YardError) -> [Reproduction.Output] in
            let state = tree.openState()
            var result: [Reproduction.Output] = []
            for out in entry.outs {
                let now = try tree.snapshot(of: out.path, state: state)
                result.append(Reproduction.Output(path: out.path, recorded: out.snapshot.digest, reproduced: now?.digest))
            }
            return result
        }
        return Reproduction(runID: run.info.runId, stage: stage, commit: commit, outputs: outputs, restoredInputs: restored,
                            patchedParams: patched, outcome: outcome, workTree: workspace.root)
    }
}
