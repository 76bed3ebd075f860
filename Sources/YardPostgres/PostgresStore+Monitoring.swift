import Foundation
import YardCore
import YardStore

extension PostgresStore: MonitoringStore {
    static let evaluationColumns = """
        id, monitor, evaluated_at, window_start, window_end, row_count, labeled_rows, model_name, model_version, status, error,
        dataset_drift, share_drifted, result
        """
    static let alertEventColumns = "id, monitor, rule, state, evaluation_id, timestamp, value, message"
    static let actionOutcomeColumns = "id, event_id, monitor, action, target, attempt, outcome, detail, timestamp"

    // MARK: Monitors

    public func createMonitor(_ record: MonitorRecord) async throws {
        try await write { pg in
            if try await Self.monitorExists(pg, record.name) {
                throw YardError(.resourceAlreadyExists, "Monitor '\(record.name)' already exists; update it or choose another name.")
            }
            try await pg.execute("INSERT INTO monitors (name, spec, created_at, updated_at) VALUES (?, ?, ?, ?)",
                                 [.text(record.name), .text(record.spec), .int(record.createdAt), .int(record.updatedAt)])
        }
    }

    public func updateMonitor(_ record: MonitorRecord) async throws {
        try await write { pg in
            let changed = try await pg.execute("UPDATE monitors SET spec = ?, updated_at = ? WHERE name = ? RETURNING 1",
                                               [.text(record.spec), .int(record.updatedAt), .text(record.name)])
            if changed == 0 { throw Self.monitorNotFound(record.name) }
        }
    }

    public func deleteMonitor(name: String) async throws {
        try await write { pg in
            // Alert states go with the monitor (ON DELETE CASCADE); the history stays.
            let changed = try await pg.execute("DELETE FROM monitors WHERE name = ? RETURNING 1", [.text(name)])
            if changed == 0 { throw Self.monitorNotFound(name) }
        }
    }

    public func monitor(name: String) async throws -> MonitorRecord {
        try await read { pg in
            guard let row = try await pg.first("SELECT name, spec, created_at, updated_at FROM monitors WHERE name = ?", [.text(name)]) else {
                throw Self.monitorNotFound(name)
            }
            return try Self.monitorRecord(row)
        }
    }

    public func monitors() async throws -> [MonitorRecord] {
        try await read { pg in
            try await pg.query("SELECT name, spec, created_at, updated_at FROM monitors ORDER BY name").map(Self.monitorRecord)
        }
    }

    static func monitorExists(_ pg: PGConnection, _ name: String) async throws -> Bool {
        try await pg.first("SELECT 1 AS one FROM monitors WHERE name = ?", [.text(name)]) != nil
    }

    static func monitorNotFound(_ name: String) -> YardError {
        .notFound("Monitor '\(name)' not found; list monitors to see the names in use.")
    }

    static func monitorRecord(_ row: PGRow) throws -> MonitorRecord {
        MonitorRecord(name: try row.string("name"), spec: try row.string("spec"), createdAt: try row.int64("created_at"),
                      updatedAt: try row.int64("updated_at"))
    }

    // MARK: Evaluations and alerts

    /// The check of `expectedStates` and the writes happen in one SERIALIZABLE transaction: of two servers
    /// committing against the same states, one sees the other's states (a conflict) or loses the
    /// serialization race and, run again, sees them then.
    public func commitEvaluation(_ evaluation: MonitorEvaluationRecord, expectedStates: [AlertStateRecord],
                                 states: [AlertStateRecord], events: [AlertEventRecord]) async throws
        -> (evaluation: MonitorEvaluationRecord, events: [AlertEventRecord]) {
        let monitor = evaluation.monitor
        let committed = try await write { pg in
            guard try await Self.monitorExists(pg, monitor) else {
                throw YardError.notFound("Monitor '\(monitor)' was deleted while it was being evaluated; nothing was recorded.")
            }
            let stored = try await Self.alertStates(pg, monitor: monitor)
            guard Self.sameStates(stored, expectedStates) else {
                throw YardError(.resourceConflict, "Monitor '\(monitor)': its alert states changed during the evaluation (another evaluation committed first); evaluate again.")
            }
            var committed = evaluation
            committed.id = try await Self.insertEvaluation(pg, evaluation)

            try await pg.execute("DELETE FROM monitor_alert_states WHERE monitor = ?", [.text(monitor)])
            for state in states {
                try await pg.execute(
                    "INSERT INTO monitor_alert_states (monitor, rule, state, consecutive, since, last_value) VALUES (?, ?, ?, ?, ?, ?)",
                    [.text(monitor), .text(state.rule), .text(state.state), .int(state.consecutive), .int(state.since),
                     .double(state.lastValue.flatMap(Self.storable))])
            }
            var committedEvents: [AlertEventRecord] = []
            for event in events {
                var saved = event
                saved.monitor = monitor
                saved.evaluationId = committed.id
                let row = try await pg.first(
                    """
                    INSERT INTO monitor_alert_events (id, monitor, rule, state, evaluation_id, timestamp, value, message)
                    SELECT COALESCE(MAX(id), 0) + 1, ?, ?, ?, ?, ?, ?, ? FROM monitor_alert_events RETURNING id
                    """,
                    [.text(monitor), .text(saved.rule), .text(saved.state), .int(saved.evaluationId), .int(saved.timestamp),
                     .double(saved.value.flatMap(Self.storable)), .text(saved.message)])
                saved.id = try Self.insertedId(row)
                committedEvents.append(saved)
            }
            return CommittedEvaluation(evaluation: committed, events: committedEvents)
        }
        return (committed.evaluation, committed.events)
    }

    private static func insertEvaluation(_ pg: PGConnection, _ evaluation: MonitorEvaluationRecord) async throws -> Int64 {
        let row = try await pg.first(
            """
            INSERT INTO monitor_evaluations (id, monitor, evaluated_at, window_start, window_end, row_count, labeled_rows,
            model_name, model_version, status, error, dataset_drift, share_drifted, result)
            SELECT COALESCE(MAX(id), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM monitor_evaluations RETURNING id
            """,
            [.text(evaluation.monitor), .int(evaluation.evaluatedAt), .int(evaluation.windowStart), .int(evaluation.windowEnd),
             .int(evaluation.rows), .int(evaluation.labeledRows), .text(evaluation.modelName), .text(evaluation.modelVersion),
             .text(evaluation.status), .text(evaluation.error), .bool(evaluation.datasetDrift),
             .double(Self.storable(evaluation.shareDrifted)), .text(evaluation.result)])
        return try insertedId(row)
    }

    private static func insertedId(_ row: PGRow?) throws -> Int64 {
        guard let row else { throw YardError(.internalError, "An INSERT … RETURNING id returned no row.") }
        return try row.int64("id")
    }

    /// The states two evaluations would disagree on. `lastValue` is left out: NaN is kept as NULL (as the
    /// SQLite store does) and would otherwise make every later commit look like a conflict.
    static func sameStates(_ stored: [AlertStateRecord], _ expected: [AlertStateRecord]) -> Bool {
        func key(_ states: [AlertStateRecord]) -> [String: [String]] {
            Dictionary(states.map { ($0.rule, [$0.state, String($0.consecutive), String($0.since)]) }, uniquingKeysWith: { a, _ in a })
        }
        return stored.count == expected.count && key(stored) == key(expected)
    }

    /// NaN is stored as NULL, as SQLite does, so both stores read back the same; infinities are kept.
    static func storable(_ value: Double) -> Double? {
        value.isNaN ? nil : value
    }

    public func evaluations(monitor: String, limit: Int, before: Int64?) async throws -> [MonitorEvaluationRecord] {
        let size = min(max(limit, 1), 10_000)
        var statement = PGStatement("SELECT \(Self.evaluationColumns) FROM monitor_evaluations WHERE monitor = ?", [.text(monitor)])
        if let before { statement.and(PGStatement("id < ?", [.int(before)])) }
        statement.append(PGStatement(" ORDER BY id DESC LIMIT \(size)"))
        let finalStatement = statement
        return try await read { pg in try await pg.query(finalStatement).map(Self.evaluationRecord) }
    }

    public func alertStates(monitor: String) async throws -> [AlertStateRecord] {
        try await read { pg in try await Self.alertStates(pg, monitor: monitor) }
    }

    static func alertStates(_ pg: PGConnection, monitor: String) async throws -> [AlertStateRecord] {
        try await pg.query("""
            SELECT monitor, rule, state, consecutive, since, last_value FROM monitor_alert_states WHERE monitor = ? ORDER BY rule
            """, [.text(monitor)])
            .map {
                AlertStateRecord(monitor: try $0.string("monitor"), rule: try $0.string("rule"), state: try $0.string("state"),
                                 consecutive: try $0.int("consecutive"), since: try $0.int64("since"),
                                 lastValue: try $0.optionalDouble("last_value"))
            }
    }

    public func alertEvents(monitor: String?, limit: Int) async throws -> [AlertEventRecord] {
        let size = min(max(limit, 1), 10_000)
        let statement = Self.newestFirst("SELECT \(Self.alertEventColumns) FROM monitor_alert_events", monitor: monitor, limit: size)
        return try await read { pg in
            try await pg.query(statement).map {
                AlertEventRecord(id: try $0.int64("id"), monitor: try $0.string("monitor"), rule: try $0.string("rule"),
                                 state: try $0.string("state"), evaluationId: try $0.int64("evaluation_id"),
                                 timestamp: try $0.int64("timestamp"), value: try $0.optionalDouble("value"),
                                 message: try $0.string("message"))
            }
        }
    }

    public func recordActionOutcome(_ outcome: ActionOutcomeRecord) async throws -> ActionOutcomeRecord {
        try await write { pg in
            let row = try await pg.first(
                """
                INSERT INTO monitor_action_outcomes (id, event_id, monitor, action, target, attempt, outcome, detail, timestamp)
                SELECT COALESCE(MAX(id), 0) + 1, ?, ?, ?, ?, ?, ?, ?, ? FROM monitor_action_outcomes RETURNING id
                """,
                [.int(outcome.eventId), .text(outcome.monitor), .text(outcome.action), .text(outcome.target), .int(outcome.attempt),
                 .text(outcome.outcome), .text(outcome.detail), .int(outcome.timestamp)])
            var saved = outcome
            saved.id = try Self.insertedId(row)
            return saved
        }
    }

    public func actionOutcomes(monitor: String?, limit: Int) async throws -> [ActionOutcomeRecord] {
        let size = min(max(limit, 1), 10_000)
        let statement = Self.newestFirst("SELECT \(Self.actionOutcomeColumns) FROM monitor_action_outcomes", monitor: monitor, limit: size)
        return try await read { pg in
            try await pg.query(statement).map {
                ActionOutcomeRecord(id: try $0.int64("id"), eventId: try $0.int64("event_id"), monitor: try $0.string("monitor"),
                                    action: try $0.string("action"), target: try $0.string("target"), attempt: try $0.int("attempt"),
                                    outcome: try $0.string("outcome"), detail: try $0.string("detail"),
                                    timestamp: try $0.int64("timestamp"))
            }
        }
    }

    /// `select`, for one monitor or all, newest (highest id) first.
    private static func newestFirst(_ select: String, monitor: String?, limit: Int) -> PGStatement {
        var statement = PGStatement(select)
        if let monitor { statement.append(PGStatement(" WHERE monitor = ?", [.text(monitor)])) }
        statement.append(PGStatement(" ORDER BY id DESC LIMIT \(limit)"))
        return statement
    }

    // MARK: Reference profiles

    public func referenceProfile(key: String) async throws -> [UInt8]? {
        try await read { pg in
            try await pg.first("SELECT profile FROM monitor_reference_profiles WHERE key = ?", [.text(key)])?.bytes("profile")
        }
    }

    public func storeReferenceProfile(key: String, bytes: [UInt8]) async throws {
        let now = Identifiers.nowMillis()
        try await write { pg in
            _ = try await pg.execute("""
                INSERT INTO monitor_reference_profiles (key, profile, created_at) VALUES (?, ?, ?)
                ON CONFLICT (key) DO UPDATE SET profile = EXCLUDED.profile, created_at = EXCLUDED.created_at
                """, [.text(key), .bytes(bytes), .int(now)])
        }
    }

    static func evaluationRecord(_ row: PGRow) throws -> MonitorEvaluationRecord {
        MonitorEvaluationRecord(id: try row.int64("id"), monitor: try row.string("monitor"), evaluatedAt: try row.int64("evaluated_at"),
                                windowStart: try row.int64("window_start"), windowEnd: try row.int64("window_end"),
                                rows: try row.int("row_count"), labeledRows: try row.int("labeled_rows"),
                                modelName: try row.string("model_name"), modelVersion: try row.string("model_version"),
                                status: try row.string("status"), error: try row.optionalString("error"),
                                datasetDrift: try row.bool("dataset_drift"), shareDrifted: try row.optionalDouble("share_drifted") ?? .nan,
                                result: try row.string("result"))
    }
}

/// `commitEvaluation`'s result as one Sendable value out of the write closure.
private struct CommittedEvaluation: Sendable {
    let evaluation: MonitorEvaluationRecord
    let events: [AlertEventRecord]
}
