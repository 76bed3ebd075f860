import YardCore
// TEMPORARY, not committed: stands in for the tracking port's PGComparison until it lands.
enum PGComparisonStandIn {
    static func make(column: String, comparator: SearchComparator, value: SearchValue, numericList: Bool = false) throws -> PGStatement {
        switch (comparator, value) {
        case (.isNull, _): return PGStatement("\(column) IS NULL")
        case (.isNotNull, _): return PGStatement("\(column) IS NOT NULL")
        case (.isIn, .list(let items)), (.notIn, .list(let items)):
            let keyword = comparator == .isIn ? "= ANY" : "<> ALL"
            if numericList { return PGStatement("\(column) \(keyword)(?::bigint[])", [.intArray(items.compactMap { Int64($0) })]) }
            return PGStatement("\(column) \(keyword)(?::text[])", [.textArray(items)])
        case (.like, .string(let p)): return PGStatement("\(column) LIKE ? ESCAPE ''", [.text(p)])
        case (.ilike, .string(let p)): return PGStatement("lower(\(column)) LIKE lower(?) ESCAPE ''", [.text(p)])
        case (_, .string(let t)):
            guard let op = plainOperator(comparator) else { break }
            return PGStatement("\(column) \(op) ?", [.text(t)])
        case (_, .number(let n)):
            guard let op = plainOperator(comparator) else { break }
            return PGStatement("\(column) \(op) ?", [.double(n)])
        default: break
        }
        throw YardError.invalid("Invalid comparator '\(comparator.rawValue)' for this value.")
    }
    static func exists(inner: String, key: String, valueColumn: String, comparator: SearchComparator, value: SearchValue) throws -> PGStatement {
        switch comparator {
        case .isNull: return PGStatement("NOT EXISTS (\(inner))", [.text(key)])
        case .isNotNull: return PGStatement("EXISTS (\(inner))", [.text(key)])
        default:
            let test = try make(column: valueColumn, comparator: comparator, value: value)
            return PGStatement("EXISTS (\(inner) AND \(test.sql))", [.text(key)] + test.values)
        }
    }
    static func plainOperator(_ c: SearchComparator) -> String? {
        switch c { case .equal: "="; case .notEqual: "!="; case .less: "<"; case .lessOrEqual: "<="; case .greater: ">"; case .greaterOrEqual: ">="; default: nil }
    }
}
