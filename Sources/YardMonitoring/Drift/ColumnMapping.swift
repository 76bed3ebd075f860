import Foundation
import YardJSON
import Yams

/// Which columns are what: forced kinds, roles, tests and thresholds. Read from a YAML file
/// (`yard drift --columns`) or from a monitor's `"columns"` JSON object; both use the same keys.
public struct ColumnMapping: Sendable, Equatable {
    public var numerical: [String] = []
    public var categorical: [String] = []
    /// Not drift-tested; reported as skipped.
    public var text: [String] = []
    /// Not drift-tested; reported as skipped.
    public var datetime: [String] = []
    public var target: String?
    public var prediction: [String] = []
    public var ignored: [String] = []
    /// Test for every column (a name from `StatTest.all`).
    public var stattest: String?
    public var stattests: [String: String] = [:]
    public var threshold: Double?
    public var thresholds: [String: Double] = [:]
    public var driftShare: Double?

    public init() {}

    /// The keys a mapping document may have.
    public static let keys = ["numerical", "categorical", "text", "datetime", "target", "prediction", "ignored",
                              "stattest", "stattests", "threshold", "thresholds", "drift_share"]

    /// Reads a YAML (or JSON, which is YAML) mapping file; errors name the file and the key.
    public static func load(path: String) throws -> ColumnMapping {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw DriftError("Cannot read the column mapping \(path): \(error.localizedDescription). Check the path.")
        }
        return try ColumnMapping(yaml: text, source: path)
    }

    /// `source` names the document in errors.
    public init(yaml: String, source: String = "column mapping") throws {
        let node: Any?
        do {
            node = try Yams.load(yaml: yaml)
        } catch {
            throw DriftError("\(source) is not valid YAML: \(error)")
        }
        guard let node else { self.init(); return }
        try self.init(document: try MappingDocument(yaml: node, source: source))
    }

    /// A monitor's `"columns"` object; errors name the key as `columns.<key>`.
    public init(json: JSONValue) throws {
        try self.init(document: try MappingDocument(json: json, source: "columns"))
    }

    /// The role the mapping gives `column` (feature when it names none).
    public func role(of column: String) -> ColumnRole {
        if ignored.contains(column) { return .ignored }
        if target == column { return .target }
        if prediction.contains(column) { return .prediction }
        return .feature
    }

    /// The kind the mapping forces for `column`, if any.
    public func forcedKind(of column: String) -> ColumnKind? {
        if numerical.contains(column) { return .numerical }
        if categorical.contains(column) { return .categorical }
        if text.contains(column) { return .text }
        if datetime.contains(column) { return .datetime }
        return nil
    }

    /// The canonical JSON document (keys in `keys` order, empty ones left out).
    public var json: JSONValue {
        var members: [(String, JSONValue)] = []
        func names(_ key: String, _ list: [String]) {
            if !list.isEmpty { members.append((key, .array(list.map { .string($0) }))) }
        }
        names("numerical", numerical)
        names("categorical", categorical)
        names("text", text)
        names("datetime", datetime)
        if let target { members.append(("target", .string(target))) }
        if prediction.count == 1 {
            members.append(("prediction", .string(prediction[0])))
        } else {
            names("prediction", prediction)
        }
        names("ignored", ignored)
        if let stattest { members.append(("stattest", .string(stattest))) }
        if !stattests.isEmpty {
            members.append(("stattests", .object(stattests.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        }
        if let threshold { members.append(("threshold", .double(threshold))) }
        if !thresholds.isEmpty {
            members.append(("thresholds", .object(thresholds.sorted { $0.key < $1.key }.map { ($0.key, .double($0.value)) })))
        }
        if let driftShare { members.append(("drift_share", .double(driftShare))) }
        return .object(members)
    }

    private init(document: MappingDocument) throws {
        self.init()
        try document.apply(to: &self)
    }
}
