import Foundation
import GRDB
import YardStore
import YardCore

extension SQLiteStore: ServingStore {
    static let deploymentColumns = "name, model_uri, canary_uri, canary_share, shadow_uri, log_sample_rate, created_at, updated_at"
    static let predictionColumns = """
        seq, id, deployment, model_name, model_version, role, timestamp, latency_micros, inputs, outputs, row_count, label, labeled_at
        """

    // MARK: Deployments

    public func createDeployment(_ record: DeploymentRecord) async throws {
        try await write { db in
            if try Self.deploymentExists(db, record.name) {
                throw YardError(.resourceAlreadyExists, "Deployment '\(record.name)' already exists; update it or choose another name.")
            }
            try db.execute(
                sql: "INSERT INTO serving_deployments (\(Self.deploymentColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [record.name, record.modelURI, record.canaryURI, record.canaryShare, record.shadowURI,
                            record.logSampleRate, record.createdAt, record.updatedAt])
        }
    }

    public func updateDeployment(_ record: DeploymentRecord) async throws {
        try await write { db in
            try db.execute(
                sql: """
                    UPDATE serving_deployments SET model_uri = ?, canary_uri = ?, canary_share = ?, shadow_uri = ?,
                    log_sample_rate = ?, updated_at = ? WHERE name = ?
                    """,
                arguments: [record.modelURI, record.canaryURI, record.canaryShare, record.shadowURI, record.logSampleRate,
                            record.updatedAt, record.name])
            if db.changesCount == 0 { throw Self.deploymentNotFound(record.name) }
        }
    }

    public func deleteDeployment(name: String) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM serving_deployments WHERE name = ?", arguments: [name])
            if db.changesCount == 0 { throw Self.deploymentNotFound(name) }
        }
    }

    public func deployment(name: String) async throws -> DeploymentRecord {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT \(Self.deploymentColumns) FROM serving_deployments WHERE name = ?",
                                             arguments: [name]) else {
                throw Self.deploymentNotFound(name)
            }
            return Self.deploymentRecord(row)
        }
    }

    public func deployments() async throws -> [DeploymentRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.deploymentColumns) FROM serving_deployments ORDER BY name")
                .map(Self.deploymentRecord)
        }
    }

    static func deploymentExists(_ db: Database, _ name: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT 1 FROM serving_deployments WHERE name = ?", arguments: [name]) == true
    }

    static func deploymentNotFound(_ name: String) -> YardError {
        .notFound("Deployment '\(name)' not found; list deployments to see the names in use.")
    }

    static func deploymentRecord(_ row: Row) -> DeploymentRecord {
        DeploymentRecord(name: row[0], modelURI: row[1], canaryURI: row[2], canaryShare: row[3], shadowURI: row[4],
                         logSampleRate: row[5], createdAt: row[6], updatedAt: row[7])
    }

    // MARK: Prediction log

    public func appendPredictions(_ records: [PredictionRecord]) async throws {
        guard !records.isEmpty else { return }
        try await write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO serving_predictions
                (id, deployment, model_name, model_version, role, timestamp, latency_micros, inputs, outputs, row_count, label, labeled_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """)
            for record in records {
                try statement.execute(arguments: [
                    record.id, record.deployment, record.modelName, record.modelVersion, record.role, record.timestamp,
                    record.latencyMicros, record.inputs, record.outputs, record.rows, record.label, record.labeledAt,
                ])
                if db.changesCount == 0 { try Self.requireSameRecord(db, record) }
            }
        }
    }

    /// A record whose (deployment, id, role) is already logged is a retry only when it says the same thing;
    /// a different record reusing the id is refused (and its batch rolled back) rather than dropped unseen.
    private static func requireSameRecord(_ db: Database, _ record: PredictionRecord) throws {
        let row = try Row.fetchOne(db, sql: """
            SELECT model_name, model_version, timestamp, inputs, outputs, row_count FROM serving_predictions
            WHERE deployment = ? AND id = ? AND role = ?
            """, arguments: [record.deployment, record.id, record.role])
        guard let row else { return }
        let same = row[0] as String == record.modelName && row[1] as String == record.modelVersion
            && row[2] as Int64 == record.timestamp && row[3] as String == record.inputs
            && row[4] as String == record.outputs && row[5] as Int == record.rows
        if !same {
            throw YardError(.resourceConflict,
                            "Record id '\(record.id.prefix(200))' is already logged in '\(record.deployment)' with different content; nothing from this batch was stored. Give each record a new id (or omit 'id' to have one assigned).")
        }
    }

    public func predictions(_ query: PredictionQuery) async throws -> Page<PredictionRecord> {
        let after = try PredictionPageKey(token: query.pageToken)
        let size = min(max(query.limit, 1), PredictionQuery.maxLimit)
        var conditions = ["deployment = ?"]
        var arguments: StatementArguments = [query.deployment]
        if let since = query.since {
            conditions.append("timestamp >= ?")
            arguments += [since]
        }
        if let until = query.until {
            conditions.append("timestamp < ?")
            arguments += [until]
        }
        if let role = query.role {
            conditions.append("role = ?")
            arguments += [role]
        }
        if query.labeledOnly {
            conditions.append("label IS NOT NULL")
        }
        if let after {
            conditions.append("(timestamp < ? OR (timestamp = ? AND seq < ?))")
            arguments += [after.timestamp, after.timestamp, after.seq]
        }
        let sql = """
            SELECT \(Self.predictionColumns) FROM serving_predictions
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY timestamp DESC, seq DESC LIMIT \(size + 1)
            """
        let finalArguments = arguments
        return try await read { db in
            let rows = try Row.fetchAll(db, sql: sql, arguments: finalArguments)
            let pageRows = rows.prefix(size)
            var nextPageToken: String?
            if rows.count > size, let last = pageRows.last {
                nextPageToken = PredictionPageKey(timestamp: last["timestamp"], seq: last["seq"]).token
            }
            return Page(items: pageRows.map(Self.predictionRecord), nextPageToken: nextPageToken)
        }
    }

    public func recordLabels(_ labels: [(predictionId: String, label: String)], deployment: String, at: Int64) async throws -> Int {
        guard !labels.isEmpty else { return 0 }
        let pairs = labels.map { LabelPair(predictionId: $0.predictionId, label: $0.label) }
        return try await write { db in
            let statement = try db.cachedStatement(sql: "UPDATE serving_predictions SET label = ?, labeled_at = ? WHERE id = ? AND deployment = ?")
            var matched = Set<String>()
            for pair in pairs {
                try statement.execute(arguments: [pair.label, at, pair.predictionId, deployment])
                if db.changesCount > 0 { matched.insert(pair.predictionId) }
            }
            return matched.count
        }
    }

    public func prunePredictions(deployment: String, keepNewest: Int) async throws -> Int {
        guard keepNewest >= 0 else {
            throw YardError.invalid("Cannot keep \(keepNewest) predictions of deployment '\(deployment)'; keepNewest must be 0 or more.")
        }
        return try await write { db in
            // The newest record to delete; it and everything older go, using the (deployment, timestamp) index.
            guard let cutoff = try Row.fetchOne(db, sql: """
                SELECT timestamp, seq FROM serving_predictions WHERE deployment = ?
                ORDER BY timestamp DESC, seq DESC LIMIT 1 OFFSET ?
                """, arguments: [deployment, keepNewest]) else { return 0 }
            let timestamp: Int64 = cutoff[0]
            let seq: Int64 = cutoff[1]
            try db.execute(sql: """
                DELETE FROM serving_predictions
                WHERE deployment = ? AND (timestamp < ? OR (timestamp = ? AND seq <= ?))
                """, arguments: [deployment, timestamp, timestamp, seq])
            return db.changesCount
        }
    }

    public func predictionCount(deployment: String) async throws -> Int {
        try await read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM serving_predictions WHERE deployment = ?", arguments: [deployment]) ?? 0
        }
    }

    static func predictionRecord(_ row: Row) -> PredictionRecord {
        PredictionRecord(id: row[1], deployment: row[2], modelName: row[3], modelVersion: row[4], role: row[5], timestamp: row[6],
                         latencyMicros: row[7], inputs: row[8], outputs: row[9], rows: row[10], label: row[11], labeledAt: row[12])
    }
}

/// A label for the write closure (a tuple of Strings is Sendable, but a named value reads better).
private struct LabelPair: Sendable {
    let predictionId: String
    let label: String
}

/// Where the previous page of the prediction log ended: its last record's timestamp and sequence number.
/// The token is opaque to clients; a token that does not decode is the client's error (400).
struct PredictionPageKey {
    let timestamp: Int64
    let seq: Int64

    init(timestamp: Int64, seq: Int64) {
        self.timestamp = timestamp
        self.seq = seq
    }

    init?(token: String?) throws {
        guard let token, !token.isEmpty else { return nil }
        let invalid = YardError.invalid("Invalid page token for the prediction log: \(token). Pass the token of the previous page, or none for the first.")
        guard let data = Data(base64Encoded: token) else { throw invalid }
        let parts = String(decoding: data, as: UTF8.self).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "p1", let timestamp = Int64(parts[1]), let seq = Int64(parts[2]) else { throw invalid }
        self.timestamp = timestamp
        self.seq = seq
    }

    var token: String { Data("p1:\(timestamp):\(seq)".utf8).base64EncodedString() }
}
