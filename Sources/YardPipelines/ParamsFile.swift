import Foundation
import Yams
import YardCore
import YardData
import YardJSON

/// A parameters file (`params.yaml` by default; YAML or JSON) read as a tree of values.
public struct ParamsFile: Sendable {
    public let path: String
    public let root: JSONValue

    public init(path: String, root: JSONValue) {
        self.path = path
        self.root = root
    }

    /// Reads `relative` under `repositoryRoot`; a missing file is an error naming it.
    public static func load(_ relative: String, repositoryRoot: String) throws(YardError) -> ParamsFile {
        let absolute = repositoryRoot + "/" + relative
        guard let bytes = try? FileSystem.readFile(absolute) else {
            throw .notFound("The parameters file '\(relative)' does not exist; create it or point the stage's params at another file.")
        }
        return try parse(String(decoding: bytes, as: UTF8.self), source: relative)
    }

    /// Parses YAML or JSON text; `source` names it in errors and becomes `path`.
    public static func parse(_ text: String, source: String) throws(YardError) -> ParamsFile {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw .invalid("'\(source)' is not valid YAML or JSON: \(YAMLText.describe(error)).")
        }
        return ParamsFile(path: source, root: node.map(YAMLText.value(of:)) ?? .object([]))
    }

    /// How a parameter value reads in a table, a message or an MLflow param: strings bare, numbers and
    /// booleans as written, lists and mappings as JSON.
    public static func text(of value: JSONValue) -> String { YAMLText.display(value) }

    /// The value at a dotted key (`train.lr`, `layers[0]`), or nil when the file has no such key.
    public func value(at key: String) -> JSONValue? {
        Self.lookup(key, in: root)
    }

    public static func lookup(_ key: String, in root: JSONValue) -> JSONValue? {
        var current = root
        for part in key.split(separator: ".", omittingEmptySubsequences: false) {
            var name = Substring(part)
            var indices: [Int] = []
            while name.hasSuffix("]"), let open = name.lastIndex(of: "[") {
                guard let index = Int(name[name.index(after: open)..<name.index(before: name.endIndex)]) else { return nil }
                indices.insert(index, at: 0)
                name = name[..<open]
            }
            if !name.isEmpty {
                guard let next = current[String(name)] else { return nil }
                current = next
            }
            for index in indices {
                guard case .array(let items) = current, items.indices.contains(index) else { return nil }
                current = items[index]
            }
        }
        return current
    }

    /// Every leaf under the root as (dotted key, value), for a whole-file dependency.
    public var leaves: [(String, JSONValue)] {
        guard case .object(let members) = root else { return [] }
        return members.map { ($0.0, $0.1) }
    }
}

/// Converting YAML to values and values to text that is both canonical and valid YAML (JSON is).
enum YAMLText {
    static func value(of node: Node) -> JSONValue {
        switch node {
        case .scalar(let scalar):
            switch node.tagName {
            case .null: return .null
            case .bool: return .bool(node.bool ?? false)
            case .int: return node.int.map { .number(String($0)) } ?? .string(scalar.string)
            case .float:
                guard let double = node.float else { return .string(scalar.string) }
                // JSON has no infinities or NaN: keep them as their YAML spelling, so they compare equal
                // when read back from yard.lock.
                guard double.isFinite else { return .string(double.isNaN ? ".nan" : double > 0 ? ".inf" : "-.inf") }
                return .number(canonicalNumber(double))
            default: return .string(scalar.string)
            }
        case .sequence(let sequence):
            return .array(sequence.map(value(of:)))
        case .mapping(let mapping):
            return .object(mapping.map { (($0.key.string ?? "\($0.key)"), value(of: $0.value)) })
        case .alias:
            return .null
        }
    }

    static func canonicalNumber(_ double: Double) -> String {
        if double == double.rounded(), abs(double) < 1e15 { return String(Int64(double)) + ".0" }
        return "\(double)"
    }

    /// JSON with object keys sorted: the same parameters always give the same text.
    static func canonical(_ value: JSONValue) -> String {
        String(decoding: JSONWriter.bytes(sorted(value)), as: UTF8.self)
    }

    static func sorted(_ value: JSONValue) -> JSONValue {
        switch value {
        case .array(let items): return .array(items.map(sorted))
        case .object(let members): return .object(members.map { ($0.0, sorted($0.1)) }.sorted { $0.0 < $1.0 })
        default: return value
        }
    }

    /// How a value reads in a message or an MLflow param: strings bare, everything else as JSON.
    static func display(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return text
        case .number(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        case .null: return "null"
        default: return canonical(value)
        }
    }

    static func describe(_ error: any Error) -> String {
        if let yaml = error as? YamlError {
            switch yaml {
            case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
                return "line \(mark.line): \(problem)"
            default: break
            }
        }
        return "\(error)"
    }
}

extension Node {
    /// The resolved YAML type (`tag:yaml.org,2002:int`, …) of a composed node.
    var tagName: Yams.Tag.Name { Yams.Tag.Name(rawValue: tag.rawValue) }
}
