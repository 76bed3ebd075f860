import YardStore
import YardCore

/// Translation of a parsed run search into one query over `runs r` that returns a page of run ids, as the
/// SQLite store's `RunSearchSQL`. Metric comparisons look at each run's latest value, as MLflow's do.
///
/// Index use: one experiment and one lifecycle stage are bound as equalities, not `= ANY(array)`, since
/// PostgreSQL does not read `runs_by_experiment` in order past an array comparison on its leading columns,
/// and the default listing then stops after a page. Param and tag equalities also compare `md5(value)`,
/// which their (key, md5(value)) indexes look up.
enum PGRunSearchSQL {
    static func selectIds(_ query: RunQuery, limit: Int, offset: Int) throws -> PGStatement {
        let experimentNumbers = query.experimentIds.compactMap { Int64($0) }
        guard !experimentNumbers.isEmpty else {
            return PGStatement("SELECT run_uuid FROM runs WHERE FALSE")
        }
        var from = PGStatement("runs r")
        let stages = query.viewType.stages.map(\.rawValue)
        var condition = experimentNumbers.count == 1
            ? PGStatement("r.experiment_id = ?", [.int(experimentNumbers[0])])
            : PGStatement("r.experiment_id = ANY(?::bigint[])", [.intArray(experimentNumbers)])
        condition.and(stages.count == 1
                      ? PGStatement("r.lifecycle_stage = ?", [.text(stages[0])])
                      : PGStatement("r.lifecycle_stage = ANY(?::text[])", [.textArray(stages)]))
        for clause in query.filter {
            condition.and(try self.condition(for: clause))
        }
        var orderSQL: [String] = []
        for (position, order) in query.orderBy.enumerated() {
            let term = try orderTerm(order, alias: "o\(position)")
            if let join = term.join {
                from.append(PGStatement(" "))
                from.append(join)
            }
            orderSQL.append(term.sql)
        }
        // SQLite sorts NULL lowest, so a missing start time comes last in descending order.
        orderSQL += ["r.start_time DESC NULLS LAST", "r.run_uuid ASC"]
        var statement = PGStatement("SELECT r.run_uuid FROM ")
        statement.append(from)
        statement.append(PGStatement(" WHERE "))
        statement.append(condition)
        statement.append(PGStatement(" ORDER BY \(orderSQL.joined(separator: ", ")) LIMIT \(limit) OFFSET \(offset)"))
        return statement
    }

    static func condition(for clause: SearchClause) throws -> PGStatement {
        switch clause.entity {
        case .metric:
            // NaN is unequal to everything and fails every ordering comparison, as in MLflow.
            let inner = "SELECT 1 FROM latest_metrics m WHERE m.run_uuid = r.run_uuid AND m.key = ?"
            let test = try PGComparison.make(column: "m.value", comparator: clause.comparator, value: clause.value)
            let nanRule = clause.comparator == .notEqual ? "(m.is_nan <> 0 OR \(test.sql))" : "(m.is_nan = 0 AND \(test.sql))"
            return PGStatement("EXISTS (\(inner) AND \(nanRule))", [.text(clause.key)] + test.values)
        case .param:
            let inner = "SELECT 1 FROM params p WHERE p.run_uuid = r.run_uuid AND p.key = ?"
            return try PGComparison.exists(inner: inner, key: clause.key, valueColumn: "p.value",
                                           comparator: clause.comparator, value: clause.value, md5Indexed: true)
        case .tag:
            let inner = "SELECT 1 FROM tags t WHERE t.run_uuid = r.run_uuid AND t.key = ?"
            return try PGComparison.exists(inner: inner, key: clause.key, valueColumn: "t.value",
                                           comparator: clause.comparator, value: clause.value, md5Indexed: true)
        case .attribute:
            return try PGComparison.make(column: try RunSearchColumns.attribute(clause.key), comparator: clause.comparator, value: clause.value)
        case .dataset:
            if clause.key == "context" {
                let test = try PGComparison.make(column: "t.value", comparator: clause.comparator, value: clause.value)
                return PGStatement("""
                    EXISTS (SELECT 1 FROM run_dataset_input_tags t WHERE t.run_uuid = r.run_uuid AND t.key = ? AND \(test.sql))
                    """, [.text(ReservedTags.datasetContext)] + test.values)
            }
            guard clause.key == "name" || clause.key == "digest" else {
                throw YardError.invalid("Invalid dataset key '\(clause.key)' specified. Valid keys are name, digest, context.")
            }
            let test = try PGComparison.make(column: "d.\(clause.key)", comparator: clause.comparator, value: clause.value)
            return PGStatement("""
                EXISTS (SELECT 1 FROM run_dataset_inputs i JOIN datasets d ON d.dataset_uuid = i.dataset_uuid
                WHERE i.run_uuid = r.run_uuid AND \(test.sql))
                """, test.values)
        }
    }

    /// Missing values (and NaN metrics) sort last in both directions, as in MLflow: `(expression IS NULL)`
    /// leads, so where PostgreSQL places NULL within the term does not matter. A metric, param or tag key
    /// is read through a LEFT JOIN on its child table (one row per run and key, so no run repeats).
    static func orderTerm(_ order: SearchOrder, alias: String) throws -> (sql: String, join: PGStatement?) {
        let direction = order.ascending ? "ASC" : "DESC"
        let expression: String
        var join: PGStatement?
        switch order.entity {
        case .metric:
            join = PGStatement("LEFT JOIN latest_metrics \(alias) ON \(alias).run_uuid = r.run_uuid AND \(alias).key = ?", [.text(order.key)])
            expression = "(CASE WHEN \(alias).is_nan <> 0 THEN NULL ELSE \(alias).value END)"
        case .param:
            join = PGStatement("LEFT JOIN params \(alias) ON \(alias).run_uuid = r.run_uuid AND \(alias).key = ?", [.text(order.key)])
            expression = "\(alias).value"
        case .tag:
            join = PGStatement("LEFT JOIN tags \(alias) ON \(alias).run_uuid = r.run_uuid AND \(alias).key = ?", [.text(order.key)])
            expression = "\(alias).value"
        case .attribute:
            expression = try RunSearchColumns.attribute(order.key)
        case .dataset:
            throw YardError.invalid("Invalid order_by entity 'dataset'.")
        }
        return ("(\(expression) IS NULL), \(expression) \(direction)", join)
    }
}
