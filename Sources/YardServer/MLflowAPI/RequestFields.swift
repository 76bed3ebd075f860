import YardCore
import YardJSON

/// The fields of one MLflow request message, read from a JSON body or a GET query string with the
/// leniency of protobuf's JSON mapping: snake_case or lowerCamel names, int64 as number or string, enums by
/// name or number, unknown fields ignored. Type errors name the field as MLflow does.
struct RequestFields {
    private enum Source {
        case json([(String, JSONValue)])
        case query([(String, String)])
    }

    private let source: Source
    /// Prefix for nested field names in messages, e.g. `metrics[3].`.
    let path: String

    init(json members: [(String, JSONValue)], path: String = "") {
        self.source = .json(members)
        self.path = path
    }

    init(query pairs: [(String, String)]) {
        self.source = .query(pairs)
        self.path = ""
    }

    private func camelCase(_ name: String) -> String {
        var result = ""
        var upperNext = false
        for character in name {
            if character == "_" { upperNext = true; continue }
            result.append(upperNext ? Character(character.uppercased()) : character)
            upperNext = false
        }
        return result
    }

    private func jsonValue(_ name: String) throws(YardError) -> JSONValue? {
        guard case .json(let members) = source else { return nil }
        // Clients send snake_case; the lowerCamel spelling is only worked out for a key that has capitals.
        var camel: String?
        var found: JSONValue?
        var foundName: String?
        for (key, value) in members {
            if key != name {
                guard key.utf8.contains(where: { $0 >= UInt8(ascii: "A") && $0 <= UInt8(ascii: "Z") }) else { continue }
                if camel == nil { camel = camelCase(name) }
                guard key == camel else { continue }
            }
            if let foundName, foundName != key {
                throw .invalid("Invalid request: field '\(path)\(name)' was given twice, as '\(foundName)' and '\(key)'.")
            }
            found = value
            foundName = key
        }
        if case .null = found { return nil }
        return found
    }

    private func queryValues(_ name: String) -> [String] {
        guard case .query(let pairs) = source else { return [] }
        let camel = camelCase(name)
        return pairs.filter { $0.0 == name || $0.0 == camel }.map(\.1)
    }

    private func invalidType(_ name: String, _ value: JSONValue) -> YardError {
        let shown = String(decoding: JSONWriter.bytes(value), as: UTF8.self)
        return .invalid("Invalid value \(shown) for parameter '\(path)\(name)' supplied: Hint: Value was of type '\(value.pythonTypeName)'. See the API docs for more information about request parameters.")
    }

    func string(_ name: String) throws(YardError) -> String? {
        if case .query = source { return queryValues(name).last }
        guard let value = try jsonValue(name) else { return nil }
        guard case .string(let text) = value else { throw invalidType(name, value) }
        return text
    }

    /// A string that must be present and non-empty.
    func required(_ name: String) throws(YardError) -> String {
        guard let value = try string(name), !value.isEmpty else { throw .missingParameter(path + name) }
        return value
    }

    /// MLflow sends run ids as both `run_id` and the deprecated `run_uuid`.
    func runId() throws(YardError) -> String {
        if let id = try string("run_id"), !id.isEmpty { return id }
        if let id = try string("run_uuid"), !id.isEmpty { return id }
        throw .missingParameter("run_id")
    }

    func int64(_ name: String) throws(YardError) -> Int64? {
        if case .query = source {
            guard let text = queryValues(name).last else { return nil }
            guard let number = Int64(text) ?? Double(text).flatMap({ $0 == $0.rounded() ? Int64(exactly: $0) : nil }) else {
                throw .invalid("Invalid value \(text) for parameter '\(path)\(name)' supplied: Hint: Value was of type 'str'. See the API docs for more information about request parameters.")
            }
            return number
        }
        guard let value = try jsonValue(name) else { return nil }
        switch value {
        case .number(let text), .string(let text):
            if let number = Int64(text) { return number }
            if let double = Double(text), double == double.rounded(), let number = Int64(exactly: double) { return number }
            throw invalidType(name, value)
        default:
            throw invalidType(name, value)
        }
    }

    func requiredInt64(_ name: String) throws(YardError) -> Int64 {
        guard let value = try int64(name) else { throw .missingParameter(path + name) }
        return value
    }

    func double(_ name: String) throws(YardError) -> Double? {
        let text: String
        if case .query = source {
            guard let last = queryValues(name).last else { return nil }
            text = last
        } else {
            guard let value = try jsonValue(name) else { return nil }
            switch value {
            case .number(let number): text = number
            case .string(let string): text = string
            default: throw invalidType(name, value)
            }
        }
        switch text {
        case "NaN", "nan": return .nan
        case "Infinity", "inf": return .infinity
        case "-Infinity", "-inf": return -.infinity
        default:
            guard let number = Double(text) else {
                throw .invalid("Invalid value \"\(text)\" for parameter '\(path)\(name)' supplied: expected a number.")
            }
            return number
        }
    }

    func bool(_ name: String) throws(YardError) -> Bool? {
        if case .query = source {
            guard let text = queryValues(name).last else { return nil }
            switch text.lowercased() {
            case "true": return true
            case "false": return false
            default: throw .invalid("Invalid value \(text) for parameter '\(path)\(name)' supplied: expected true or false.")
            }
        }
        guard let value = try jsonValue(name) else { return nil }
        guard case .bool(let flag) = value else { throw invalidType(name, value) }
        return flag
    }

    func strings(_ name: String) throws(YardError) -> [String] {
        if case .query = source { return queryValues(name) }
        guard let value = try jsonValue(name) else { return [] }
        guard case .array(let elements) = value else { throw invalidType(name, value) }
        var result: [String] = []
        for element in elements {
            guard case .string(let text) = element else { throw invalidType(name, value) }
            result.append(text)
        }
        return result
    }

    func messages(_ name: String) throws(YardError) -> [RequestFields] {
        guard let value = try jsonValue(name) else { return [] }
        guard case .array(let elements) = value else { throw invalidType(name, value) }
        var result: [RequestFields] = []
        for (position, element) in elements.enumerated() {
            guard case .object(let members) = element else { throw invalidType(name, value) }
            result.append(RequestFields(json: members, path: "\(path)\(name)[\(position)]."))
        }
        return result
    }

    func message(_ name: String) throws(YardError) -> RequestFields? {
        guard let value = try jsonValue(name) else { return nil }
        guard case .object(let members) = value else { throw invalidType(name, value) }
        return RequestFields(json: members, path: "\(path)\(name).")
    }

    /// An enum given by name (`"FINISHED"`) or by its proto number.
    func enumeration<T>(_ name: String, byName: (String) -> T?, byNumber: (Int) -> T?) throws(YardError) -> T? {
        let raw: String
        if case .query = source {
            guard let last = queryValues(name).last else { return nil }
            raw = last
        } else {
            guard let value = try jsonValue(name) else { return nil }
            switch value {
            case .string(let text), .number(let text): raw = text
            default: throw invalidType(name, value)
            }
        }
        if let parsed = byName(raw) ?? Int(raw).flatMap(byNumber) { return parsed }
        throw .invalid("Invalid value \(raw) for parameter '\(path)\(name)' supplied.")
    }

    func tags(_ name: String = "tags") throws(YardError) -> [Tag] {
        var result: [Tag] = []
        for message in try messages(name) {
            result.append(Tag(key: try message.required("key"), value: try message.string("value") ?? ""))
        }
        return result
    }
}
