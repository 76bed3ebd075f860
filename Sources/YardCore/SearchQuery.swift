/// A parsed search request, independent of how a store executes it. The grammar is MLflow's
/// (`metrics.loss < 0.5 AND params.alpha = '0.1'`); the parser lives in YardTracking, the SQL in YardStore.
public enum SearchEntity: String, Sendable, Equatable {
    case metric, param, tag, attribute, dataset
}

public enum SearchComparator: String, Sendable, Equatable {
    case equal = "="
    case notEqual = "!="
    case less = "<"
    case lessOrEqual = "<="
    case greater = ">"
    case greaterOrEqual = ">="
    case like = "LIKE"
    case ilike = "ILIKE"
    case isIn = "IN"
    case notIn = "NOT IN"
    case isNull = "IS NULL"
    case isNotNull = "IS NOT NULL"
}

public enum SearchValue: Sendable, Equatable {
    case string(String)
    case number(Double)
    case list([String])
    case none
}

public struct SearchClause: Sendable, Equatable {
    public var entity: SearchEntity
    /// The key as the user wrote it, unquoted; for attributes the canonical name (`start_time`, `run_name`…).
    public var key: String
    public var comparator: SearchComparator
    public var value: SearchValue

    public init(entity: SearchEntity, key: String, comparator: SearchComparator, value: SearchValue) {
        self.entity = entity
        self.key = key
        self.comparator = comparator
        self.value = value
    }
}

public struct SearchOrder: Sendable, Equatable {
    public var entity: SearchEntity
    public var key: String
    public var ascending: Bool

    public init(entity: SearchEntity, key: String, ascending: Bool) {
        self.entity = entity
        self.key = key
        self.ascending = ascending
    }
}
