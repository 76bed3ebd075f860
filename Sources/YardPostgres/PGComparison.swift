import YardCore

/// Comparisons shared by every PostgreSQL search, with MLflow's operator semantics as the SQLite store's
/// `SQLComparison` has them: LIKE case-sensitive with no escape character (SQLite's LIKE has none by
/// default, PostgreSQL's would be the backslash), ILIKE as lower() LIKE lower() in the C collation, `!=`
/// never matching a missing value, and an empty IN list matching nothing (NOT IN everything).
enum PGComparison {
    static func make(column: String, comparator: SearchComparator, value: SearchValue, numericList: Bool = false) throws -> PGStatement {
        switch (comparator, value) {
        case (.isNull, _):
            return PGStatement("\(column) IS NULL")
        case (.isNotNull, _):
            return PGStatement("\(column) IS NOT NULL")
        case (.isIn, .list(let items)), (.notIn, .list(let items)):
            let keyword = comparator == .isIn ? "= ANY" : "<> ALL"
            if numericList {
                // A list item that is no number matches no row, as SQLite's comparison of an integer with text.
                return PGStatement("\(column) \(keyword)(?::bigint[])", [.intArray(items.compactMap { Int64($0) })])
            }
            return PGStatement("\(column) \(keyword)(?::text[])", [.textArray(items)])
        case (.like, .string(let pattern)):
            return PGStatement("\(column) LIKE ? ESCAPE ''", [.text(pattern)])
        case (.ilike, .string(let pattern)):
            // SQLite's lower() folds ASCII only; so does PostgreSQL's in the C collation.
            return PGStatement("lower(\(column) COLLATE \"C\") LIKE lower(? COLLATE \"C\") ESCAPE ''", [.text(pattern)])
        case (_, .string(let text)):
            guard let op = plainOperator(comparator) else { break }
            return PGStatement("\(column) \(op) ?", [.text(text)])
        case (_, .number(let number)):
            guard let op = plainOperator(comparator) else { break }
            return PGStatement("\(column) \(op) ?", [.double(number)])
        default:
            break
        }
        throw YardError.invalid("Invalid comparator '\(comparator.rawValue)' for this value.")
    }

    /// `EXISTS (inner AND valueColumn op ?)` for key/value children (tags, params), `NOT EXISTS` for IS NULL.
    /// `inner` ends with the key's placeholder. With `md5Indexed`, an equality also compares `md5(value)`,
    /// which is what the (key, md5(value)) indexes of long-valued tables can look up.
    static func exists(inner: String, key: String, valueColumn: String, comparator: SearchComparator, value: SearchValue,
                       md5Indexed: Bool = false) throws -> PGStatement {
        switch (comparator, value) {
        case (.isNull, _):
            return PGStatement("NOT EXISTS (\(inner))", [.text(key)])
        case (.isNotNull, _):
            return PGStatement("EXISTS (\(inner))", [.text(key)])
        case (.equal, .string(let text)) where md5Indexed:
            return PGStatement("EXISTS (\(inner) AND md5(\(valueColumn)) = md5(?) AND \(valueColumn) = ?)",
                               [.text(key), .text(text), .text(text)])
        default:
            let test = try make(column: valueColumn, comparator: comparator, value: value)
            return PGStatement("EXISTS (\(inner) AND \(test.sql))", [.text(key)] + test.values)
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
