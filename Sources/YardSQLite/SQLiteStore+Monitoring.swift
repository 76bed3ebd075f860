import Foundation
import GRDB
import YardStore
import YardCore

extension SQLiteStore: MonitoringStore {
    static let evaluationColumns = """
        id, monitor, evaluated_at, window_start, window_end, row_count, labeled_rows, model_name, model_version, status, error,
        dataset_drift, share_drifted, result
        """
    static let alertEventColumns = "id, monitor, rule, state, evaluation_id, timestamp, value, message"
    static let actionOutcomeColumns = "id, event_id, monitor, action, target, attempt, outcome, detail, timestamp"

    // MARK: Monitors

    public func createMonitor(_ record: MonitorRecord) async throws {
        try await write { db in
            if try Self.monitorExists(db, record.name) {
                throw YardError(.resourceAlreadyExists, "Monitor '\(record.name)' already exists; update it or choose another name.")
            }
            try db.execute(sql: "INSERT INTO monitors (name, spec, created_at, updated_at) VALUES (?, ?, ?, ?)",
                           arguments: [record.name, record.spec, record.createdAt, record.updatedAt])
        }
    }

    public func updateMonitor(_ record: MonitorRecord) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE monitors SET spec = ?, updated_at = ? WHERE name = ?",
                           arguments: [record.spec, record.updatedAt, record.name])
            if db.changesCount == 0 { throw Self.monitorNotFound(record.name) }
        }
    }

    public func deleteMonitor(name: String) async throws {
        try await write { db in
            // Alert states go with the monitor (ON DELETE CASCADE); the history stays.
            try db.execute(sql: "DELETE FROM monitors WHERE name = ?", arguments: [name])
            if db.changesCount == 0 { throw Self.monitorNotFound(name) }
        }
    }

    public func monitor(name: String) async throws -> MonitorRecord {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT name, spec, created_at, updated_at FROM monitors WHERE name = ?",
                                             arguments: [name]) else {
                throw Self.monitorNotFound(name)
            }
            return MonitorRecord(name: row[0], spec: row[1], createdAt: row[2], updatedAt: row[3])
        }
    }

    public func monitors() async throws -> [MonitorRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT name, spec, created_at, updated_at FROM monitors ORDER BY name")
                .map { MonitorRecord(name: $0[0], spec: $0[1], createdAt: $0[2], updatedAt: $0[3]) }
        }
    }

    static func monitorExists(_ db: Database, _ name: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM monitors WHERE name = ?", arguments: [name]) == true
    }

    static func monitorNotFound(_ name: String) -> YardError {
        .notFound("Monitor '\(name)' not found; list monitors to see the names in use.")
    }

    // MARK: Evaluations and alerts

    public func commitEvaluation(_ evaluation: MonitorEvaluationRecord, expectedStates: [AlertStateRecord],
                                 states: [AlertStateRecord], events: [AlertEventRecord]) async throws
        -> (evaluation: MonitorEvaluationRecord, events: [AlertEventRecord]) {
        let monitor = evaluation.monitor
        return try await write { db in
            guard try Self.monitorExists(db, monitor) else {
                throw YardError.notFound("Monitor '\(monitor)' was deleted while it was being evaluated; nothing was recorded.")
            }
            let stored = try Self.alertStates(db, monitor: monitor)
            guard Self.sameStates(stored, expectedStates) else {
                throw YardError(.resourceConflict, "Monitor '\(monitor)': its alert states changed during the evaluation (another evaluation committed first); evaluate again.")
            }
            try db.execute(
                sql: """
                    INSERT INTO monitor_evaluations (monitor, evaluated_at, window_start, window_end, row_count, labeled_rows,
                    model_name, model_version, status, error, dataset_drift, share_drifted, result)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [monitor, evaluation.evaluatedAt, evaluation.windowStart, evaluation.windowEnd, evaluation.rows,
                            evaluation.labeledRows, evaluation.modelName, evaluation.modelVersion, evaluation.status,
                            evaluation.error, evaluation.datasetDrift, Self.storable(evaluation.shareDrifted), evaluation.result])
            var committed = evaluation
            committed.id = db.lastInsertedRowID

            try db.execute(sql: "DELETE FROM monitor_alert_states WHERE monitor = ?", arguments: [monitor])
            for state in states {
                try db.execute(
                    sql: "INSERT INTO monitor_alert_states (monitor, rule, state, consecutive, since, last_value) VALUES (?, ?, ?, ?, ?, ?)",
                    arguments: [monitor, state.rule, state.state, state.consecutive, state.since, state.lastValue.flatMap(Self.storable)])
            }
            var committedEvents: [AlertEventRecord] = []
            for event in events {
                var saved = event
                saved.monitor = monitor
                saved.evaluationId = committed.id
                try db.execute(
                    sql: "INSERT INTO monitor_alert_events (monitor, rule, state, evaluation_id, timestamp, value, message) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    arguments: [monitor, saved.rule, saved.state, saved.evaluationId, saved.timestamp,
                                saved.value.flatMap(Self.storable), saved.message])
                saved.id = db.lastInsertedRowID
                committedEvents.append(saved)
            }
            return (committed, committedEvents)
        }
    }

    /// The states two evaluations would disagree on. `lastValue` is left out: a value SQLite cannot keep
    /// (NaN) would read back as NULL and make every later commit look like a conflict.
    static func sameStates(_ stored: [AlertStateRecord], _ expected: [AlertStateRecord]) -> Bool {
        func key(_ states: [AlertStateRecord]) -> [String: [String]] {
            Dictionary(states.map { ($0.rule, [$0.state, String($0.consecutive), String($0.since)]) }, uniquingKeysWith: { a, _ in a })
        }
        return stored.count == expected.count && key(stored) == key(expected)
    }

    /// SQLite turns NaN into NULL; finite values and infinities are kept.
    static func storable(_ value: Double) -> Double? {
        value.isNaN ? nil : value
    }

    public func evaluations(monitor: String, limit: Int, before: Int64?) async throws -> [MonitorEvaluationRecord] {
        let size = min(max(limit, 1), 10_000)
        return try await read { db in
            var sql = "SELECT \(Self.evaluationColumns) FROM monitor_evaluations WHERE monitor = ?"
            var arguments: StatementArguments = [monitor]
            if let before {
                sql += " AND id < ?"
                arguments += [before]
            }
            sql += " ORDER BY id DESC LIMIT \(size)"
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map(Self.evaluationRecord)
        }
    }

    public func alertStates(monitor: String) async throws -> [AlertStateRecord] {
        try await read { db in try Self.alertStates(db, monitor: monitor) }
    }

    static func alertStates(_ db: Database, monitor: String) throws -> [AlertStateRecord] {
        try Row.fetchAll(db, sql: """
            SELECT monitor, rule, state, consecutive, since, last_value FROM monitor_alert_states WHERE monitor = ? ORDER BY rule
            """, arguments: [monitor])
            .map { AlertStateRecord(monitor: $0[0], rule: $0[1], state: $0[2], consecutive: $0[3], since: $0[4], lastValue: $0[5]) }
    }

    public func alertEvents(monitor: String?, limit: Int) async throws -> [AlertEventRecord] {
        let size = min(max(limit, 1), 10_000)
        return try await read { db in
            let filter = monitor == nil ? "" : "WHERE monitor = ?"
            let arguments: StatementArguments = monitor.map { [$0] } ?? []
            return try Row.fetchAll(db, sql: "SELECT \(Self.alertEventColumns) FROM monitor_alert_events \(filter) ORDER BY id DESC LIMIT \(size)",
                                    arguments: arguments)
                .map { AlertEventRecord(id: $0[0], monitor: $0[1], rule: $0[2], state: $0[3], evaluationId: $0[4], timestamp: $0[5],
                                        value: $0[6], message: $0[7]) }
        }
    }

    public func recordActionOutcome(_ outcome: ActionOutcomeRecord) async throws -> ActionOutcomeRecord {
        try await write { db in
            try db.execute(
                sql: """
                    INSERT INTO monitor_action_outcomes (event_id, monitor, action, target, attempt, outcome, detail, timestamp)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [outcome.eventId, outcome.monitor, outcome.action, outcome.target, outcome.attempt, outcome.outcome,
                            outcome.detail, outcome.timestamp])
            var saved = outcome
            saved.id = db.lastInsertedRowID
            return saved
        }
    }

    public func actionOutcomes(monitor: String?, limit: Int) async throws -> [ActionOutcomeRecord] {
        let size = min(max(limit, 1), 10_000)
        return try await read { db in
            let filter = monitor == nil ? "" : "WHERE monitor = ?"
            let arguments: StatementArguments = monitor.map { [$0] } ?? []
            return try Row.fetchAll(db, sql: "SELECT \(Self.actionOutcomeColumns) FROM monitor_action_outcomes \(filter) ORDER BY id DESC LIMIT \(size)",
                                    arguments: arguments)
                .map { ActionOutcomeRecord(id: $0[0], eventId: $0[1], monitor: $0[2], action: $0[3], target: $0[4], attempt: $0[5],
                                           outcome: $0[6], detail: $0[7], timestamp: $0[8]) }
        }
    }

    // MARK: Reference profiles

    public func referenceProfile(key: String) async throws -> [UInt8]? {
        try await read { db in
            try Data.fetchOne(db, sql: "SELECT profile FROM monitor_reference_profiles WHERE key = ?", arguments: [key]).map { [UInt8]($0) }
        }
    }

    public func storeReferenceProfile(key: String, bytes: [UInt8]) async throws {
        let data = Data(bytes)
        try await write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO monitor_reference_profiles (key, profile, created_at) VALUES (?, ?, ?)",
                           arguments: [key, data, Identifiers.nowMillis()])
        }
    }

    static func evaluationRecord(_ row: Row) -> MonitorEvaluationRecord {
        MonitorEvaluationRecord(id: row[0], monitor: row[1], evaluatedAt: row[2], windowStart: row[3], windowEnd: row[4], rows: row[5],
                                labeledRows: row[6], modelName: row[7], modelVersion: row[8], status: row[9], error: row[10],
                                datasetDrift: row[11], shareDrifted: row[12] ?? .nan, result: row[13])
    }
}
