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
        try RecordFile.replace(path(for: key), JSONWriter.bytes(document))
    }

    /// Every object the run cache refers to (gc keeps them).
    public func referencedDigests() -> [ContentDigest] {
        var found: [ContentDigest] = []
        for (bucket, _) in (try? FileSystem.list(folder)) ?? [] {
            for (name, _) in (try? FileSystem.list(folder + "/" + bucket)) ?? [] where name.hasSuffix(".json") {
                if let hit = lookup(String(name.dropLast(5))) { found += hit.entry.outs.map(\.snapshot.digest) }
            }
        }
        return found
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
        let commit = Git.run(["rev-parse", "--verify", "-q", "HEAD"], at: root).flatMap { output -> String? in
            let text = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? nil : text
        }
        let changed = changedPaths(at: root)
        return GitState(commit: commit, isDirty: !changed.isEmpty, changedPaths: changed)
    }

    /// `git status --porcelain -z`: untracked files listed one by one.
    public static func changedPaths(at root: String) -> Set<String> {
        guard let output = Git.run(["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames"], at: root) else { return [] }
        var paths = Set<String>()
        for record in output.split(separator: 0) where record.count > 3 {
            paths.insert(String(decoding: record.dropFirst(3), as: UTF8.self))
        }
        return paths
    }
}

enum Git {
    /// Runs git in `folder`; nil when git is missing or fails.
    static func run(_ arguments: [String], at folder: String) -> [UInt8]? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? Array(data) : nil
    }
}

/// Metrics files (JSON or YAML) flattened to `key.sub: number`, the way they are logged to a run.
public enum MetricsFile {
    public static func read(_ relative: String, repositoryRoot: String) throws(YardError) -> [(String, Double)] {
        let params = try ParamsFile.load(relative, repositoryRoot: repositoryRoot)
        var result: [(String, Double)] = []
        flatten(params.root, prefix: "", into: &result)
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

/// Replacing a small record file (yard.lock, a run-cache entry) atomically: a reader or a `kill -9` sees
/// the old file or the new one, never half of it. Not fsynced: these records are rewritten after every
/// stage and losing the last one to a power cut only makes a stage run again, while the objects they
/// name are made durable before the record is written.
enum RecordFile {
    static func replace(_ path: String, _ bytes: [UInt8]) throws(YardError) {
        let temporary = PathText.parent(path) + "/.\(PathText.name(path)).\(UUID().uuidString.prefix(8)).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw YardError(.internalError, "Cannot write '\(path)': \(String(cString: strerror(errno))). Check that the folder is writable.")
        }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else {
                let reason = String(cString: strerror(errno))
                close(descriptor)
                unlink(temporary)
                throw YardError(.internalError, "Cannot write '\(path)': \(reason).")
            }
            offset += written
        }
        close(descriptor)
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw YardError(.internalError, "Cannot write '\(path)': \(reason).")
        }
    }
}
