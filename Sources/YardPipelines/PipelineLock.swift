import Crypto
import Foundation
import Yams
import YardCore
import YardData
import YardJSON

/// A path with the content it held when a stage last ran.
public struct LockedPath: Sendable, Equatable {
    public var path: String
    public var snapshot: PathSnapshot

    public init(path: String, snapshot: PathSnapshot) {
        self.path = path
        self.snapshot = snapshot
    }
}

/// One parameter value a stage ran with.
public struct LockedParam: Sendable, Equatable {
    public var file: String
    public var key: String
    public var value: JSONValue

    public init(file: String, key: String, value: JSONValue) {
        self.file = file
        self.key = key
        self.value = value
    }
}

/// What a stage's last successful execution saw and produced: the basis of every staleness decision and
/// the record `yard reproduce` replays.
public struct LockEntry: Sendable, Equatable {
    public var command: String
    /// The stage's own `env` (not the whole environment), sorted by name.
    public var environment: [String: String]
    public var deps: [LockedPath]
    public var params: [LockedParam]
    public var outs: [LockedPath]

    public init(command: String, environment: [String: String], deps: [LockedPath], params: [LockedParam], outs: [LockedPath]) {
        self.command = command
        self.environment = environment
        self.deps = deps
        self.params = params
        self.outs = outs
    }

    /// The run-cache key: every input of the execution (command, env, dependency digests, parameter
    /// values) and the output paths, hashed. Equal keys mean an identical execution.
    public var executionKey: String {
        var fields: [(String, JSONValue)] = [("cmd", .string(command))]
        fields.append(("env", .object(environment.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        fields.append(("deps", .array(deps.sorted { $0.path < $1.path }.map { .array([.string($0.path), .string($0.snapshot.digest.hex)]) })))
        fields.append(("params", .array(params.sorted { ($0.file, $0.key) < ($1.file, $1.key) }.map {
            .array([.string($0.file), .string($0.key), .string(YAMLText.canonical($0.value))])
        })))
        fields.append(("outs", .array(outs.map(\.path).sorted().map(JSONValue.string))))
        let digest = SHA256.hash(data: JSONWriter.bytes(.object(fields)))
        return digest.map { String(format: "%02x", $0) }.joined()
    }

    /// As JSON (for the run's record and the run cache).
    public var json: JSONValue {
        .object([
            ("cmd", .string(command)),
            ("env", .object(environment.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
            ("deps", .array(deps.map(Self.json(of:)))),
            ("params", .array(params.map { .object([("file", .string($0.file)), ("key", .string($0.key)), ("value", $0.value)]) })),
            ("outs", .array(outs.map(Self.json(of:)))),
        ])
    }

    static func json(of locked: LockedPath) -> JSONValue {
        .object([
            ("path", .string(locked.path)),
            ("kind", .string(locked.snapshot.kind.rawValue)),
            ("digest", .string(locked.snapshot.digest.description)),
            ("size", .int(locked.snapshot.size)),
            ("files", .int(locked.snapshot.files)),
        ])
    }

    /// Reads what `json` wrote; `source` names the document in errors.
    public static func decode(_ value: JSONValue, source: String) throws(YardError) -> LockEntry {
        func bad(_ what: String) -> YardError { .invalid("\(source): \(what). Delete the entry (or the file) and run the stage again.") }
        guard case .string(let command)? = value["cmd"] else { throw bad("it has no `cmd`") }
        var environment: [String: String] = [:]
        if case .object(let members)? = value["env"] {
            for (key, entry) in members { environment[key] = YAMLText.display(entry) }
        }
        func paths(_ field: String) throws(YardError) -> [LockedPath] {
            guard let list = value[field] else { return [] }
            guard case .array(let items) = list else { throw bad("`\(field)` must be a list") }
            var result: [LockedPath] = []
            for item in items {
                guard case .string(let path)? = item["path"], case .string(let digestText)? = item["digest"],
                      let digest = ContentDigest(digestText) else { throw bad("an entry of `\(field)` lacks a path or a valid digest") }
                let kind: PointerFile.Kind = item["kind"].map(YAMLText.display) == "directory" ? .directory : .file
                let size = item["size"].flatMap { Int64(YAMLText.display($0)) } ?? 0
                let files = item["files"].flatMap { Int(YAMLText.display($0)) } ?? 1
                if let reason = PathText.unsafeReason(path) { throw bad("the path '\(path)' is refused (\(reason))") }
                result.append(LockedPath(path: path, snapshot: PathSnapshot(kind: kind, digest: digest, size: size, files: files)))
            }
            return result
        }
        var params: [LockedParam] = []
        switch value["params"] {
        case .array(let items)?:
            for item in items {
                guard case .string(let file)? = item["file"], case .string(let key)? = item["key"] else { throw bad("a param lacks file or key") }
                params.append(LockedParam(file: file, key: key, value: item["value"] ?? .null))
            }
        case .object(let files)?:
            for (file, keys) in files {
                guard case .object(let members) = keys else { throw bad("params of '\(file)' must be a mapping") }
                for (key, entry) in members { params.append(LockedParam(file: file, key: key, value: entry)) }
            }
        case nil, .null?: break
        default: throw bad("`params` must be a mapping")
        }
        return LockEntry(command: command, environment: environment, deps: try paths("deps"), params: params, outs: try paths("outs"))
    }
}

/// `yard.lock`: one entry per stage that has run, next to `yard.yaml`, meant for git. Written whole and
/// atomically after each stage that finishes, with stages and keys in a fixed order so diffs stay small.
public struct PipelineLock: Sendable, Equatable {
    public static let fileName = "yard.lock"
    public var stages: [String: LockEntry]

    public init(stages: [String: LockEntry] = [:]) {
        self.stages = stages
    }

    public static func load(repositoryRoot: String) throws(YardError) -> PipelineLock {
        let path = repositoryRoot + "/" + fileName
        guard FileSystem.exists(path) else { return PipelineLock() }
        return try decode(String(decoding: try FileSystem.readFile(path), as: UTF8.self))
    }

    public static func decode(_ text: String) throws(YardError) -> PipelineLock {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw .invalid("\(fileName) is not valid YAML (\(YAMLText.describe(error))). Restore it from git, or delete it: every stage then runs once more.")
        }
        guard let node else { return PipelineLock() }
        let document = YAMLText.value(of: node)
        var lock = PipelineLock()
        guard case .object(let stages)? = document["stages"] else { return lock }
        for (name, entry) in stages {
            lock.stages[name] = try LockEntry.decode(entry, source: "\(fileName), stage '\(name)'")
        }
        return lock
    }

    public func encoded() -> String {
        func quote(_ text: String) -> String {
            // JSON leaves NEL and the Unicode line/paragraph separators raw, but YAML reads them as line
            // breaks inside double quotes; escape them so every string reads back exactly.
            let json = String(decoding: JSONWriter.bytes(.string(text)), as: UTF8.self)
            guard json.unicodeScalars.contains(where: { $0.value == 0x85 || $0.value == 0x2028 || $0.value == 0x2029 }) else { return json }
            var escaped = ""
            for scalar in json.unicodeScalars {
                switch scalar.value {
                case 0x85, 0x2028, 0x2029: escaped += "\\u" + String(format: "%04X", scalar.value)
                default: escaped.unicodeScalars.append(scalar)
                }
            }
            return escaped
        }
        var lines = [
            "# Written by `yard run`: what each stage last ran with and produced. Commit it with yard.yaml.",
            "schema: 1",
            "stages:",
        ]
        func paths(_ title: String, _ items: [LockedPath]) {
            guard !items.isEmpty else { return }
            lines.append("    \(title):")
            for item in items {
                lines.append("    - path: \(quote(item.path))")
                lines.append("      kind: \(item.snapshot.kind.rawValue)")
                lines.append("      digest: \(quote(item.snapshot.digest.description))")
                lines.append("      size: \(item.snapshot.size)")
                lines.append("      files: \(item.snapshot.files)")
            }
        }
        for name in stages.keys.sorted() {
            let entry = stages[name]!
            lines.append("  \(quote(name)):")
            lines.append("    cmd: \(quote(entry.command))")
            if !entry.environment.isEmpty {
                lines.append("    env:")
                for (key, value) in entry.environment.sorted(by: { $0.key < $1.key }) { lines.append("      \(quote(key)): \(quote(value))") }
            }
            paths("deps", entry.deps)
            if !entry.params.isEmpty {
                lines.append("    params:")
                let files = Dictionary(grouping: entry.params, by: \.file)
                for file in files.keys.sorted() {
                    lines.append("      \(quote(file)):")
                    for param in files[file]!.sorted(by: { $0.key < $1.key }) {
                        lines.append("        \(quote(param.key)): \(YAMLText.canonical(param.value))")
                    }
                }
            }
            paths("outs", entry.outs)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    public func save(repositoryRoot: String) throws(YardError) {
        // Rewritten after every stage, so not fsynced: the objects it names are durable first, and losing
        // the newest version to a power cut only makes a stage run again.
        try FileSystem.writeAtomically(repositoryRoot + "/" + Self.fileName, Array(encoded().utf8), durable: false)
    }
}
