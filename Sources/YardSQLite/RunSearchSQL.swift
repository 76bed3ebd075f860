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
        var clauses = query.filter
        var from = SQLFragment("runs r")
        // A param equality is usually the most selective clause and its (key, value) index lists the runs
        // that pass it: drive the search from there (CROSS JOIN pins SQLite's join order) and look each
        // candidate run up by key, instead of scanning every run of the experiment against a list.
        if let driving = clauses.firstIndex(where: { $0.entity == .param && $0.comparator == .equal }),
           case .string(let value) = clauses[driving].value {
            from = SQLFragment("params d CROSS JOIN runs r ON r.run_uuid = d.run_uuid AND d.key = ? AND d.value = ?",
                               [clauses[driving].key, value])
            clauses.remove(at: driving)
        }
        let stages = query.viewType.stages.map { "'\($0.rawValue)'" }.joined(separator: ",")
        var condition = SQLFragment(
            "r.experiment_id IN (\(experimentNumbers.map(String.init).joined(separator: ","))) AND r.lifecycle_stage IN (\(stages))")
        for clause in clauses {
            condition.and(try self.condition(for: clause))
        }
        var orderSQL: [String] = []
        for (position, order) in query.orderBy.enumerated() {
            let term = try orderTerm(order, alias: "o\(position)")
            if let join = term.join {
                from.sql += " " + join.sql
                from.arguments += join.arguments
            }
            orderSQL.append(term.sql)
        }
        orderSQL += ["r.start_time DESC", "r.run_uuid ASC"]
        return SQLFragment(
            "SELECT r.run_uuid FROM \(from.sql) WHERE \(condition.sql) ORDER BY \(orderSQL.joined(separator: ", ")) LIMIT \(limit) OFFSET \(offset)",
            values: from.arguments + condition.arguments)
    }

    static func condition(for clause: SearchClause) throws -> SQLFragment {
        switch clause.entity {
        case .metric:
            // NaN is unequal to everything and fails every ordering comparison, as in MLflow.
            let inner = "SELECT 1 FROM latest_metrics m WHERE m.run_uuid = r.run_uuid AND m.key = ?"
            let test = try SQLComparison.make(column: "m.value", comparator: clause.comparator, value: clause.value)
            let nanRule = clause.comparator == .notEqual ? "(m.is_nan = 1 OR \(test.sql))" : "(m.is_nan = 0 AND \(test.sql))"
            return SQLFragment("EXISTS (\(inner) AND \(nanRule))", values: [clause.key.databaseValue] + test.arguments)
        case .param:
            let inner = "SELECT 1 FROM params p WHERE p.run_uuid = r.run_uuid AND p.key = ?"
            return try SQLComparison.exists(inner: inner, key: clause.key, valueColumn: "p.value",
                                            comparator: clause.comparator, value: clause.value)
        case .tag:
            let inner = "SELECT 1 FROM tags t WHERE t.run_uuid = r.run_uuid AND t.key = ?"
            return try SQLComparison.exists(inner: inner, key: clause.key, valueColumn: "t.value",
                                            comparator: clause.comparator, value: clause.value)
        case .attribute:
            return try SQLComparison.make(column: try RunSearchColumns.attribute(clause.key), comparator: clause.comparator, value: clause.value)
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

    /// Missing values (and NaN metrics) sort last in both directions, as in MLflow. A metric, param or tag
    /// key is read through a LEFT JOIN on its child table (one row per run and key, so no run repeats):
    /// one lookup per run where a correlated subquery in both sort terms would take two.
    static func orderTerm(_ order: SearchOrder, alias: String) throws -> (sql: String, join: SQLFragment?) {
        let direction = order.ascending ? "ASC" : "DESC"
        let expression: String
        var join: SQLFragment?
        switch order.entity {
        case .metric:
            join = SQLFragment("LEFT JOIN latest_metrics \(alias) ON \(alias).run_uuid = r.run_uuid AND \(alias).key = ?", [order.key])
            expression = "(CASE WHEN \(alias).is_nan THEN NULL ELSE \(alias).value END)"
        case .param:
            join = SQLFragment("LEFT JOIN params \(alias) ON \(alias).run_uuid = r.run_uuid AND \(alias).key = ?", [order.key])
            expression = "\(alias).value"
        case .tag:
            join = SQLFragment("LEFT JOIN tags \(alias) ON \(alias).run_uuid = r.run_uuid AND \(alias).key = ?", [order.key])
            expression = "\(alias).value"
        case .attribute:
            expression = try RunSearchColumns.attribute(order.key)
        case .dataset:
            throw YardError.invalid("Invalid order_by entity 'dataset'.")
        }
        return ("(\(expression) IS NULL), \(expression) \(direction)", join)
    }
}
