import GRDB
import YardStore
import YardCore

/// A piece of SQL with its bound arguments, so search translation never splices user values into SQL.
struct SQLFragment: Sendable {
    var sql: String
    var arguments: [DatabaseValue]

    init(_ sql: String, _ arguments: [(any DatabaseValueConvertible)?] = []) {
        self.sql = sql
        self.arguments = arguments.map { $0?.databaseValue ?? .null }
    }

    init(_ sql: String, values: [DatabaseValue]) {
        self.sql = sql
        self.arguments = values
    }

    mutating func and(_ other: SQLFragment) {
        sql += " AND (\(other.sql))"
        arguments += other.arguments
    }
}

/// Comparisons shared by every search: the operator semantics are MLflow's (LIKE case-sensitive,
/// ILIKE not, `!=` never matches a missing value).
enum SQLComparison {
    static func make(column: String, comparator: SearchComparator, value: SearchValue, numericList: Bool = false) throws -> SQLFragment {
        switch (comparator, value) {
        case (.isNull, _): return SQLFragment("\(column) IS NULL")
        case (.isNotNull, _): return SQLFragment("\(column) IS NOT NULL")
        case (.isIn, .list(let items)), (.notIn, .list(let items)):
            let placeholders = Array(repeating: "?", count: items.count).joined(separator: ",")
            let keyword = comparator == .isIn ? "IN" : "NOT IN"
            let arguments: [DatabaseValueConvertible?] = numericList ? items.map { Int64($0) } : items
            return SQLFragment("\(column) \(keyword) (\(placeholders))", arguments)
        case (.like, .string(let pattern)):
            return SQLFragment("\(column) LIKE ?", [pattern])
        case (.ilike, .string(let pattern)):
            return SQLFragment("lower(\(column)) LIKE lower(?)", [pattern])
        case (_, .string(let text)):
            guard let op = plainOperator(comparator) else { break }
            return SQLFragment("\(column) \(op) ?", [text])
        case (_, .number(let number)):
            guard let op = plainOperator(comparator) else { break }
            return SQLFragment("\(column) \(op) ?", [number])
        default:
            break
        }
        throw YardError.invalid("Invalid comparator '\(comparator.rawValue)' for this value.")
    }

    /// `EXISTS (inner AND valueColumn op ?)` for key/value children (tags, params), `NOT EXISTS` for IS NULL.
    static func exists(inner: String, key: String, valueColumn: String, comparator: SearchComparator, value: SearchValue) throws -> SQLFragment {
        switch comparator {
        case .isNull: return SQLFragment("NOT EXISTS (\(inner))", [key])
        case .isNotNull: return SQLFragment("EXISTS (\(inner))", [key])
        default:
            let test = try make(column: valueColumn, comparator: comparator, value: value)
            return SQLFragment("EXISTS (\(inner) AND \(test.sql))", values: [key.databaseValue] + test.arguments)
        }
    }

    static func plainOperator(_ comparator: SearchComparator) -> String? {
        switch comparator {
        case .equal: return "="
        case .notEqual: return "!="
        case .less: return "<"
        case .lessOrEqual: return "<="
        case .greater: return ">"
        case .greaterOrEqual: return ">="
        default: return nil
        }
    }
}
