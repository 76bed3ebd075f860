import Foundation
import YardJSON

/// A mapping document read from YAML or JSON, as one neutral tree so validation is written once.
struct MappingDocument {
    indirect enum Value {
        case null
        case bool(Bool)
        case number(Double)
        case string(String)
        case list([Value])
        case map([(String, Value)])

        var typeName: String {
            switch self {
            case .null: return "null"
            case .bool: return "a boolean"
            case .number: return "a number"
            case .string: return "a string"
            case .list: return "a list"
            case .map: return "a mapping"
            }
        }
    }

    let members: [(String, Value)]
    /// Prefix for key names in errors (`columns` for a monitor, the file path for a YAML file).
    let source: String

    init(json: JSONValue, source: String) throws(DriftError) {
        guard case .map(let members) = Self.value(json) else {
            throw DriftError("\(source) must be an object with the keys \(ColumnMapping.keys.joined(separator: ", ")).")
        }
        self.members = members
        self.source = source
    }

    init(yaml: Any, source: String) throws(DriftError) {
        guard case .map(let members) = Self.value(yaml: yaml) else {
            throw DriftError("\(source) must be a mapping with the keys \(ColumnMapping.keys.joined(separator: ", ")).")
        }
        self.members = members
        self.source = source
    }

    private static func value(_ json: JSONValue) -> Value {
        switch json {
        case .null: return .null
        case .bool(let flag): return .bool(flag)
        case .number(let text): return .number(Double(text) ?? .nan)
        case .string(let text): return .string(text)
        case .array(let items): return .list(items.map(value))
        case .object(let members): return .map(members.map { ($0.0, value($0.1)) })
        }
    }

    private static func value(yaml: Any) -> Value {
        switch yaml {
        case let flag as Bool: return .bool(flag)
        case let number as Int: return .number(Double(number))
        case let number as Double: return .number(number)
        case let text as String: return .string(text)
        case let items as [Any]: return .list(items.map { value(yaml: $0) })
        case let map as [String: Any]:
            return .map(map.sorted { $0.key < $1.key }.map { ($0.key, value(yaml: $0.value)) })
        case let map as [AnyHashable: Any]:
            return .map(map.map { ("\($0.key)", value(yaml: $0.value)) }.sorted { $0.0 < $1.0 })
        default: return .null
        }
    }

    private func key(_ name: String) -> String { "\(source): \(name)" }

    func apply(to mapping: inout ColumnMapping) throws(DriftError) {
        var seen = Set<String>()
        for (name, value) in members {
            guard seen.insert(name).inserted else { throw DriftError("\(key(name)) appears twice.") }
            switch name {
            case "numerical": mapping.numerical = try names(value, name)
            case "categorical": mapping.categorical = try names(value, name)
            case "text": mapping.text = try names(value, name)
            case "datetime": mapping.datetime = try names(value, name)
            case "ignored": mapping.ignored = try names(value, name)
            case "target":
                guard case .string(let column) = value, !column.isEmpty else {
                    throw DriftError("\(key(name)) must be one column name, got \(value.typeName).")
                }
                mapping.target = column
            case "prediction":
                if case .string(let column) = value, !column.isEmpty {
                    mapping.prediction = [column]
                } else {
                    mapping.prediction = try names(value, name)
                }
            case "stattest":
                guard case .string(let test) = value else {
                    throw DriftError("\(key(name)) must be a test name, got \(value.typeName).")
                }
                try DriftOptions.check(test: test, key: key(name))
                mapping.stattest = test
            case "stattests":
                mapping.stattests = try perColumn(value, name) { (item, itemKey) throws(DriftError) -> String in
                    guard case .string(let test) = item else {
                        throw DriftError("\(itemKey) must be a test name, got \(item.typeName).")
                    }
                    try DriftOptions.check(test: test, key: itemKey)
                    return test
                }
            case "threshold": mapping.threshold = try threshold(value, key(name))
            case "thresholds":
                mapping.thresholds = try perColumn(value, name) { (item, itemKey) throws(DriftError) -> Double in
                    try threshold(item, itemKey)
                }
            case "drift_share":
                guard case .number(let share) = value, share >= 0, share <= 1 else {
                    throw DriftError("\(key(name)) must be a number between 0 and 1.")
                }
                mapping.driftShare = share
            default:
                throw DriftError("\(key(name)) is not a mapping key. Valid keys: \(ColumnMapping.keys.joined(separator: ", ")).")
            }
        }
        try checkKindsDisjoint(mapping)
    }

    private func names(_ value: Value, _ name: String) throws(DriftError) -> [String] {
        guard case .list(let items) = value else {
            throw DriftError("\(key(name)) must be a list of column names, got \(value.typeName).")
        }
        var columns: [String] = []
        for (index, item) in items.enumerated() {
            guard case .string(let column) = item, !column.isEmpty else {
                throw DriftError("\(key(name))[\(index)] must be a column name, got \(item.typeName).")
            }
            columns.append(column)
        }
        return columns
    }

    private func perColumn<T>(_ value: Value, _ name: String,
                              _ read: (Value, String) throws(DriftError) -> T) throws(DriftError) -> [String: T] {
        guard case .map(let members) = value else {
            throw DriftError("\(key(name)) must map column names to values, got \(value.typeName).")
        }
        var result: [String: T] = [:]
        for (column, item) in members {
            result[column] = try read(item, "\(key(name)).\(column)")
        }
        return result
    }

    private func threshold(_ value: Value, _ itemKey: String) throws(DriftError) -> Double {
        guard case .number(let number) = value, number.isFinite, number >= 0 else {
            throw DriftError("\(itemKey) must be a finite number ≥ 0, got \(value.typeName).")
        }
        return number
    }

    private func checkKindsDisjoint(_ mapping: ColumnMapping) throws(DriftError) {
        var kindOf: [String: String] = [:]
        for (kind, columns) in [("numerical", mapping.numerical), ("categorical", mapping.categorical),
                                ("text", mapping.text), ("datetime", mapping.datetime)] {
            for column in columns {
                if let other = kindOf[column], other != kind {
                    throw DriftError("\(source): column '\(column)' is listed under both \(other) and \(kind).")
                }
                kindOf[column] = kind
            }
        }
    }
}
