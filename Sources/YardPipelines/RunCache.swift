import Foundation
import YardCore
import YardData
import YardJSON

/// Remembers, for every successful execution, which outputs its inputs produced, keyed by
/// `LockEntry.executionKey`: a stage whose exact inputs ran before gets its outputs back from the data
/// cache instead of running again (switching a param back, checking out an older commit).
/// Entries live in `.yard/runcache/<2 hex>/<key>.json`, written atomically; an entry is written only
/// after every output it names is in the data cache.
public struct RunCache: Sendable {
    public let folder: String

    public init(repository: DataRepository) {
        folder = repository.yardDirectory + "/runcache"
    }

    func path(for key: String) -> String { folder + "/" + key.prefix(2) + "/" + key + ".json" }

    public struct Hit: Sendable {
        public var entry: LockEntry
        /// The tracking run that produced the outputs, when known.
        public var runID: String?
    }

    public func lookup(_ key: String) -> Hit? {
        guard let bytes = try? FileSystem.readFile(path(for: key)), let document = try? JSONParser.parse(bytes),
              let entry = try? LockEntry.decode(document["entry"] ?? .null, source: "run cache entry \(key)") else { return nil }
        var runID: String?
        if case .string(let id)? = document["run_id"] { runID = id }
        return Hit(entry: entry, runID: runID)
    }

    public func record(_ entry: LockEntry, runID: String?) throws(YardError) {
        let key = entry.executionKey
        try FileSystem.createDirectory(folder + "/" + key.prefix(2))
        let document = JSONValue.object([("entry", entry.json), ("run_id", runID.map(JSONValue.string) ?? .null)])
        // Not fsynced: the objects an entry names are durable before it is written, and a lost entry
        // only means one execution is not restorable.
        try FileSystem.writeAtomically(path(for: key), JSONWriter.bytes(document), durable: false)
    }
}

/// The git facts a stage run records: the commit and whether the work tree differed from it.
public struct GitState: Sendable, Equatable {
    public var commit: String?
    public var isDirty: Bool
    /// Paths `git status` reports as changed or untracked, for spotting writes outside declared outputs.
    public var changedPaths: Set<String>

    public static func read(at root: String) -> GitState {
        guard FileSystem.exists(root + "/.git") else { return GitState(commit: nil, isDirty: false, changedPaths: []) }
        let commit = (try? Git.run(["rev-parse", "--verify", "-q", "HEAD"], in: root)).flatMap { output -> String? in
            let text = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? nil : text
        }
        let changed = changedPaths(at: root)
        return GitState(commit: commit, isDirty: !changed.isEmpty, changedPaths: changed)
    }

    /// `git status --porcelain -z`: untracked files listed one by one.
    public static func changedPaths(at root: String) -> Set<String> {
        guard let output = try? Git.run(["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"], in: root) else { return [] }
        var paths = Set<String>()
        for record in output.split(separator: 0) where record.count > 3 {
            paths.insert(String(decoding: record.dropFirst(3), as: UTF8.self))
        }
        return paths
    }
}

/// Metrics files (JSON or YAML) flattened to `key.sub: number`, the way they are logged to a run.
public enum MetricsFile {
    public static func read(_ relative: String, repositoryRoot: String) throws(YardError) -> [(String, Double)] {
        flattened(try ParamsFile.load(relative, repositoryRoot: repositoryRoot).root)
    }

    /// The metrics in a file's bytes (e.g. read from a git revision); `source` names it in errors.
    static func parse(_ bytes: [UInt8], source: String) throws(YardError) -> [(String, Double)] {
        flattened(try ParamsFile.parse(String(decoding: bytes, as: UTF8.self), source: source).root)
    }

    static func flattened(_ root: JSONValue) -> [(String, Double)] {
        var result: [(String, Double)] = []
        flatten(root, prefix: "", into: &result)
        return result
    }

    static func flatten(_ value: JSONValue, prefix: String, into result: inout [(String, Double)]) {
        switch value {
        case .number(let text):
            if let number = Double(text), !prefix.isEmpty { result.append((prefix, number)) }
        case .bool(let flag):
            if !prefix.isEmpty { result.append((prefix, flag ? 1 : 0)) }
        case .object(let members):
            for (key, member) in members { flatten(member, prefix: prefix.isEmpty ? key : prefix + "." + key, into: &result) }
        case .string(let text):
            if let number = Double(text), !prefix.isEmpty { result.append((prefix, number)) }
        default:
            break
        }
    }
}

