import YardJSON

/// Converts request cells (JSON scalars or CSV cells) to an input's element type.
///
/// Rules, the same for every request format:
/// - float/double inputs take numbers, booleans (1/0) and strings that spell a number. null, "NaN" and
///   an empty CSV cell mean a missing value and become NaN (float inputs are the only ones that can
///   carry one; models with an imputer or trees handle it, others propagate it). Infinities are refused.
/// - int64 inputs take integral numbers and booleans; a fraction or a missing value is refused.
/// - string inputs take strings, and numbers as their text (a CSV category column of digits).
/// - bool inputs take booleans, 0/1, and "true"/"false" in any case.
enum CellConversion {
    /// Converts `cells` and writes them into a row-major buffer of width `stride` at column `offset`.
    /// `where(i)` names cell i in error messages.
    static func fill(_ buffer: inout TypedBuffer, cells: some Collection<JSONValue>, stride: Int, offset: Int,
                     where location: (Int) -> String) throws(CodecError) {
        var index = offset
        var position = 0
        switch buffer {
        case .float(var values):
            buffer = .float([])
            for cell in cells {
                values[index] = try float(cell, location, position)
                index += stride
                position += 1
            }
            buffer = .float(values)
        case .double(var values):
            buffer = .double([])
            for cell in cells {
                values[index] = try double(cell, location, position)
                index += stride
                position += 1
            }
            buffer = .double(values)
        case .int64(var values):
            buffer = .int64([])
            for cell in cells {
                values[index] = try int64(cell, location, position)
                index += stride
                position += 1
            }
            buffer = .int64(values)
        case .string(var values):
            buffer = .string([])
            for cell in cells {
                values[index] = try string(cell, location, position)
                index += stride
                position += 1
            }
            buffer = .string(values)
        case .bool(var values):
            buffer = .bool([])
            for cell in cells {
                values[index] = try bool(cell, location, position)
                index += stride
                position += 1
            }
            buffer = .bool(values)
        }
    }

    static func float(_ cell: JSONValue, _ location: (Int) -> String, _ position: Int) throws(CodecError) -> Float {
        switch cell {
        case .number(let text):
            guard let value = Float(text), value.isFinite else {
                throw .invalid("\(location(position)): \(text) does not fit a 32-bit float")
            }
            return value
        default:
            return Float(try double(cell, location, position))
        }
    }

    static func double(_ cell: JSONValue, _ location: (Int) -> String, _ position: Int) throws(CodecError) -> Double {
        switch cell {
        case .number(let text):
            guard let value = Double(text), value.isFinite else {
                throw .invalid("\(location(position)): \(text) is out of range")
            }
            return value
        case .bool(let flag):
            return flag ? 1 : 0
        case .null:
            return .nan
        case .string(let text):
            let trimmed = text.trimmingSpaces
            let lowered = trimmed.lowercased()
            if NumberText.nanSpellings.contains(lowered) || CSVReader.missingSpellings.contains(trimmed) || trimmed.isEmpty { return .nan }
            if NumberText.infinitySpellings.contains(lowered) {
                throw .invalid("\(location(position)): infinite values are not accepted")
            }
            if trimmed.utf8.allSatisfy(NumberText.isNumberByte), let value = Double(trimmed), value.isFinite { return value }
            throw .invalid("\(location(position)): \(quoted(text)) is not a number")
        case .array, .object:
            throw .invalid("\(location(position)): expected a number, got a \(cell.pythonTypeName == "list" ? "list" : "object")")
        }
    }

    static func int64(_ cell: JSONValue, _ location: (Int) -> String, _ position: Int) throws(CodecError) -> Int64 {
        switch cell {
        case .number(let text):
            if let value = Int64(text) { return value }
            if let value = Double(text), value.rounded() == value, abs(value) < 9.2e18 { return Int64(value) }
            throw .invalid("\(location(position)): \(text) is not an integer (the input is int64)")
        case .bool(let flag):
            return flag ? 1 : 0
        case .null:
            throw .invalid("\(location(position)): missing value, and the input is int64, which cannot hold one")
        case .string(let text):
            let trimmed = text.trimmingSpaces
            if let value = Int64(trimmed) { return value }
            if trimmed.utf8.allSatisfy(NumberText.isNumberByte), let value = Double(trimmed), value.rounded() == value, abs(value) < 9.2e18 {
                return Int64(value)
            }
            throw .invalid("\(location(position)): \(quoted(text)) is not an integer (the input is int64)")
        case .array, .object:
            throw .invalid("\(location(position)): expected an integer, got a \(cell.pythonTypeName == "list" ? "list" : "object")")
        }
    }

    static func string(_ cell: JSONValue, _ location: (Int) -> String, _ position: Int) throws(CodecError) -> String {
        switch cell {
        case .string(let text): return text
        case .number(let text): return text
        case .null: throw .invalid("\(location(position)): missing value, and the input is a string, which cannot hold one")
        case .bool: throw .invalid("\(location(position)): expected a string, got a boolean")
        case .array, .object: throw .invalid("\(location(position)): expected a string, got a \(cell.pythonTypeName == "list" ? "list" : "object")")
        }
    }

    static func bool(_ cell: JSONValue, _ location: (Int) -> String, _ position: Int) throws(CodecError) -> Bool {
        switch cell {
        case .bool(let flag): return flag
        case .number(let text):
            if let value = Double(text), value == 0 || value == 1 { return value == 1 }
            throw .invalid("\(location(position)): \(text) is not a boolean (use true/false or 1/0)")
        case .string(let text):
            switch text.trimmingSpaces.lowercased() {
            case "true", "1": return true
            case "false", "0": return false
            default: throw .invalid("\(location(position)): \(quoted(text)) is not a boolean (use true/false or 1/0)")
            }
        case .null: throw .invalid("\(location(position)): missing value, and the input is a boolean, which cannot hold one")
        case .array, .object: throw .invalid("\(location(position)): expected a boolean, got a \(cell.pythonTypeName == "list" ? "list" : "object")")
        }
    }

    static func quoted(_ text: String) -> String {
        let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
        return "'\(shown)'"
    }
}

/// A buffer of one element type, filled column by column, then turned into a tensor.
enum TypedBuffer {
    case float([Float])
    case double([Double])
    case int64([Int64])
    case string([String])
    case bool([Bool])

    init(_ type: ElementType, count: Int) {
        switch type {
        case .float: self = .float([Float](repeating: 0, count: count))
        case .double: self = .double([Double](repeating: 0, count: count))
        case .int64: self = .int64([Int64](repeating: 0, count: count))
        case .string: self = .string([String](repeating: "", count: count))
        case .bool: self = .bool([Bool](repeating: false, count: count))
        }
    }

    var elements: Tensor.Elements {
        switch self {
        case .float(let values): return .float(values)
        case .double(let values): return .double(values)
        case .int64(let values): return .int64(values)
        case .string(let values): return .string(values)
        case .bool(let values): return .bool(values)
        }
    }
}

extension String {
    var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
              let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        return String(scalars[first...last])
    }
}
