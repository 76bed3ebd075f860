import YardStore
import YardCore

/// Registry search translation, as the SQLite store's `RegistrySearchSQL`. Tag `!=` matches models without
/// the tag, which is what makes the client's ever-present ``tag.`mlflow.prompt.is_prompt` != 'true'`` clause
/// keep untagged models.
/// The tracking port's comparisons (MLflow operator semantics), shared by every search.
fileprivate typealias RegistryComparison = PGComparison

enum PGRegistrySearch {
    /// Prompts are hidden unless the filter asks for them.
    static func notPrompt(nameColumn: String) -> PGStatement {
        PGStatement("NOT EXISTS (SELECT 1 FROM registered_model_tags pt WHERE pt.name = \(nameColumn) AND pt.key = ? AND lower(pt.value) = 'true')",
                    [.text(ReservedTags.isPrompt)])
    }

    static func registeredModelCondition(for clause: SearchClause) throws -> PGStatement {
        switch clause.entity {
        case .attribute where clause.key == "name":
            return try RegistryComparison.make(column: "rm.name", comparator: clause.comparator, value: clause.value)
        case .tag:
            return try tagCondition(table: "registered_model_tags", join: "t.name = rm.name", clause: clause)
        default:
            throw YardError.invalid("Invalid filter '\(clause.entity.rawValue).\(clause.key)' for registered models.")
        }
    }

    static func modelVersionCondition(for clause: SearchClause) throws -> PGStatement {
        switch (clause.entity, clause.key) {
        case (.attribute, "name"):
            return try RegistryComparison.make(column: "mv.name", comparator: clause.comparator, value: clause.value)
        case (.attribute, "run_id"):
            return try RegistryComparison.make(column: "mv.run_id", comparator: clause.comparator, value: clause.value)
        case (.attribute, "source_path"):
            return try RegistryComparison.make(column: "mv.source", comparator: clause.comparator, value: clause.value)
        case (.attribute, "version_number"):
            return try RegistryComparison.make(column: "mv.version", comparator: clause.comparator, value: clause.value, numericList: true)
        case (.tag, _):
            return try tagCondition(table: "model_version_tags", join: "t.name = mv.name AND t.version = mv.version", clause: clause)
        default:
            throw YardError.invalid("Invalid filter '\(clause.entity.rawValue).\(clause.key)' for model versions.")
        }
    }

    private static func tagCondition(table: String, join: String, clause: SearchClause) throws -> PGStatement {
        let inner = "SELECT 1 FROM \(table) t WHERE \(join) AND t.key = ?"
        if clause.comparator == .notEqual {
            let equal = try RegistryComparison.make(column: "t.value", comparator: .equal, value: clause.value)
            return PGStatement("NOT EXISTS (\(inner) AND \(equal.sql))", [.text(clause.key)] + equal.values)
        }
        return try RegistryComparison.exists(inner: inner, key: clause.key, valueColumn: "t.value", comparator: clause.comparator, value: clause.value)
    }

    /// Every orderable column is NOT NULL, so no NULL placement needs pinning.
    static func orderTerm(_ order: SearchOrder, alias: String) throws -> String {
        let direction = order.ascending ? "ASC" : "DESC"
        switch order.key {
        case "name": return "\(alias).name \(direction)"
        case "version_number": return "\(alias).version \(direction)"
        case "creation_timestamp": return "\(alias).creation_timestamp \(direction)"
        case "last_updated_timestamp": return "\(alias).last_updated_timestamp \(direction)"
        default: throw YardError.invalid("Invalid order_by key '\(order.key)'.")
        }
    }
}

/// Logged-model search over `logged_models lm`. Metric filters look at the model's newest value per key.
enum PGLoggedModelSearch {
    static let latestMetric = """
        (SELECT CASE WHEN x.is_nan <> 0 THEN NULL ELSE x.value END FROM logged_model_metrics x
         WHERE x.model_id = lm.model_id AND x.key = ? ORDER BY x.step DESC, x.timestamp DESC LIMIT 1)
        """

    static func condition(for clause: SearchClause) throws -> PGStatement {
        switch clause.entity {
        case .attribute:
            return try RegistryComparison.make(column: try column(clause.key), comparator: clause.comparator, value: clause.value)
        case .metric:
            let test = try RegistryComparison.make(column: latestMetric, comparator: clause.comparator, value: clause.value)
            return PGStatement(test.sql, [.text(clause.key)] + test.values)
        case .param:
            return try RegistryComparison.exists(inner: "SELECT 1 FROM logged_model_params p WHERE p.model_id = lm.model_id AND p.key = ?",
                                           key: clause.key, valueColumn: "p.value", comparator: clause.comparator, value: clause.value)
        case .tag:
            return try RegistryComparison.exists(inner: "SELECT 1 FROM logged_model_tags t WHERE t.model_id = lm.model_id AND t.key = ?",
                                           key: clause.key, valueColumn: "t.value", comparator: clause.comparator, value: clause.value)
        case .dataset:
            throw YardError.invalid("Logged models cannot be filtered by dataset.")
        }
    }

    static func column(_ key: String) throws -> String {
        switch key {
        case "name", "model_id", "model_type", "status", "source_run_id", "creation_timestamp", "last_updated_timestamp":
            return "lm.\(key)"
        default:
            throw YardError.invalid("Invalid attribute key '\(key)' for logged models.")
        }
    }

    /// SQLite sorts NULL lowest, PostgreSQL highest: NULLS FIRST/LAST keeps SQLite's order for the
    /// nullable columns (model_type, source_run_id).
    static func orderTerm(_ order: SearchOrder) throws -> PGStatement {
        let direction = order.ascending ? "ASC NULLS FIRST" : "DESC NULLS LAST"
        switch order.entity {
        case .attribute:
            return PGStatement("\(try column(order.key)) \(direction)")
        case .metric:
            return PGStatement("(\(latestMetric) IS NULL), \(latestMetric) \(direction)", [.text(order.key), .text(order.key)])
        case .param:
            let expression = "(SELECT p.value FROM logged_model_params p WHERE p.model_id = lm.model_id AND p.key = ?)"
            return PGStatement("(\(expression) IS NULL), \(expression) \(direction)", [.text(order.key), .text(order.key)])
        case .tag:
            let expression = "(SELECT t.value FROM logged_model_tags t WHERE t.model_id = lm.model_id AND t.key = ?)"
            return PGStatement("(\(expression) IS NULL), \(expression) \(direction)", [.text(order.key), .text(order.key)])
        case .dataset:
            throw YardError.invalid("Logged models cannot be ordered by dataset.")
        }
    }
}
