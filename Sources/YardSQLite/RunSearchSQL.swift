import GRDB
import YardStore
import YardCore

/// Translation of a parsed run search into one SQL query over `runs r` that returns a page of run ids.
/// Metric comparisons look at each run's latest value, as MLflow's do.
enum RunSearchSQL {
    static func selectIds(_ query: RunQuery, limit: Int, offset: Int) throws -> SQLFragment {
        let experimentNumbers = query.experimentIds.compactMap { Int64($0) }
        guard !experimentNumbers.isEmpty else {
            return SQLFragment("SELECT run_uuid FROM runs WHERE 0")
        }
        let stages = query.viewType.stages.map { "'\($0.rawValue)'" }.joined(separator: ",")
        var condition = SQLFragment(
            "r.experiment_id IN (\(experimentNumbers.map(String.init).joined(separator: ","))) AND r.lifecycle_stage IN (\(stages))")
        for clause in query.filter {
            condition.and(try self.condition(for: clause))
        }
        var orderSQL: [String] = []
        var orderArguments: [DatabaseValue] = []
        for order in query.orderBy {
            let term = try orderTerm(order)
            orderSQL.append(term.sql)
            orderArguments += term.arguments
        }
        orderSQL += ["r.start_time DESC", "r.run_uuid ASC"]
        return SQLFragment(
            "SELECT r.run_uuid FROM runs r WHERE \(condition.sql) ORDER BY \(orderSQL.joined(separator: ", ")) LIMIT \(limit) OFFSET \(offset)",
            values: condition.arguments + orderArguments)
    }

    static func condition(for clause: SearchClause) throws -> SQLFragment {
        switch clause.entity {
        case .metric:
            // NaN is unequal to everything and fails every ordering comparison, as in MLflow.
            let inner = "SELECT 1 FROM latest_metrics m WHERE m.run_uuid = r.run_uuid AND m.key = ?"
            let test = try SQLComparison.make(column: "m.value", comparator: clause.comparator, value: clause.value)
            let nanRule = clause.comparator == .notEqual ? "(m.is_nan = 1 OR \(test.sql))" : "(m.is_nan = 0 AND \(test.sql))"
            return SQLFragment("EXISTS (\(inner) AND \(nanRule))", values: [clause.key.databaseValue] + test.arguments)
        case .param where clause.comparator == .equal:
            // An equality on a param is usually selective: drive the search from the (key, value) index
            // instead of probing every run of the experiment.
            guard case .string(let value) = clause.value else { fallthrough }
            return SQLFragment("r.run_uuid IN (SELECT p.run_uuid FROM params p WHERE p.key = ? AND p.value = ?)", [clause.key, value])
        case .param:
            let inner = "SELECT 1 FROM params p WHERE p.run_uuid = r.run_uuid AND p.key = ?"
            return try SQLComparison.exists(inner: inner, key: clause.key, valueColumn: "p.value",
                                            comparator: clause.comparator, value: clause.value)
        case .tag:
            let inner = "SELECT 1 FROM tags t WHERE t.run_uuid = r.run_uuid AND t.key = ?"
            return try SQLComparison.exists(inner: inner, key: clause.key, valueColumn: "t.value",
                                            comparator: clause.comparator, value: clause.value)
        case .attribute:
            return try SQLComparison.make(column: try attributeColumn(clause.key), comparator: clause.comparator, value: clause.value)
        case .dataset:
            if clause.key == "context" {
                let test = try SQLComparison.make(column: "t.value", comparator: clause.comparator, value: clause.value)
                return SQLFragment("""
                    EXISTS (SELECT 1 FROM run_dataset_input_tags t WHERE t.run_uuid = r.run_uuid
                    AND t.key = '\(ReservedTags.datasetContext)' AND \(test.sql))
                    """, values: test.arguments)
            }
            guard clause.key == "name" || clause.key == "digest" else {
                throw YardError.invalid("Invalid dataset key '\(clause.key)' specified. Valid keys are name, digest, context.")
            }
            let test = try SQLComparison.make(column: "d.\(clause.key)", comparator: clause.comparator, value: clause.value)
            return SQLFragment("""
                EXISTS (SELECT 1 FROM run_dataset_inputs i JOIN datasets d ON d.dataset_uuid = i.dataset_uuid
                WHERE i.run_uuid = r.run_uuid AND \(test.sql))
                """, values: test.arguments)
        }
    }

    static func attributeColumn(_ key: String) throws -> String {
        switch key {
        case "run_id": return "r.run_uuid"
        case "run_name": return "r.name"
        case "status": return "r.status"
        case "user_id": return "r.user_id"
        case "artifact_uri": return "r.artifact_uri"
        case "lifecycle_stage": return "r.lifecycle_stage"
        case "start_time", "created": return "r.start_time"
        case "end_time": return "r.end_time"
        default: throw YardError.invalid("Invalid attribute key '\(key)' specified.")
        }
    }

    /// Missing values (and NaN metrics) sort last in both directions, as in MLflow.
    static func orderTerm(_ order: SearchOrder) throws -> SQLFragment {
        let direction = order.ascending ? "ASC" : "DESC"
        let expression: String
        var arguments: [DatabaseValueConvertible?] = []
        switch order.entity {
        case .metric:
            expression = "(SELECT CASE WHEN m.is_nan THEN NULL ELSE m.value END FROM latest_metrics m WHERE m.run_uuid = r.run_uuid AND m.key = ?)"
            arguments = [order.key, order.key]
        case .param:
            expression = "(SELECT p.value FROM params p WHERE p.run_uuid = r.run_uuid AND p.key = ?)"
            arguments = [order.key, order.key]
        case .tag:
            expression = "(SELECT t.value FROM tags t WHERE t.run_uuid = r.run_uuid AND t.key = ?)"
            arguments = [order.key, order.key]
        case .attribute:
            expression = try attributeColumn(order.key)
        case .dataset:
            throw YardError.invalid("Invalid order_by entity 'dataset'.")
        }
        return SQLFragment("(\(expression) IS NULL), \(expression) \(direction)", arguments)
    }
}
