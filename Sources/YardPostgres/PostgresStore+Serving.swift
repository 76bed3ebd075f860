import Foundation
import YardCore
import YardStore

extension PostgresStore: ServingStore {
    static let deploymentColumns = "name, model_uri, canary_uri, canary_share, shadow_uri, log_sample_rate, created_at, updated_at"
    static let predictionColumns = """
        seq, id, deployment, model_name, model_version, role, timestamp, latency_micros, inputs, outputs, row_count, label, labeled_at
        """
    /// Rows per INSERT: 12 binds each stays well under PostgreSQL's 65,535 parameters per statement.
    static let predictionRowsPerInsert = 1_000

    // MARK: Deployments

    public func createDeployment(_ record: DeploymentRecord) async throws {
        try await write { pg in
            if try await pg.first("SELECT 1 AS one FROM serving_deployments WHERE name = ?", [.text(record.name)]) != nil {
                throw YardError(.resourceAlreadyExists, "Deployment '\(record.name)' already exists; update it or choose another name.")
            }
            try await pg.execute(
                "INSERT INTO serving_deployments (\(Self.deploymentColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [.text(record.name), .text(record.modelURI), .text(record.canaryURI), .double(record.canaryShare),
                 .text(record.shadowURI), .double(record.logSampleRate), .int(record.createdAt), .int(record.updatedAt)])
        }
    }

    public func updateDeployment(_ record: DeploymentRecord) async throws {
        try await write { pg in
            let changed = try await pg.execute(
                """
                UPDATE serving_deployments SET model_uri = ?, canary_uri = ?, canary_share = ?, shadow_uri = ?,
                log_sample_rate = ?, updated_at = ? WHERE name = ? RETURNING 1
                """,
                [.text(record.modelURI), .text(record.canaryURI), .double(record.canaryShare), .text(record.shadowURI),
                 .double(record.logSampleRate), .int(record.updatedAt), .text(record.name)])
            if changed == 0 { throw Self.deploymentNotFound(record.name) }
        }
    }

    public func deleteDeployment(name: String) async throws {
        try await write { pg in
            let changed = try await pg.execute("DELETE FROM serving_deployments WHERE name = ? RETURNING 1", [.text(name)])
            if changed == 0 { throw Self.deploymentNotFound(name) }
        }
    }

    public func deployment(name: String) async throws -> DeploymentRecord {
        try await read { pg in
            guard let row = try await pg.first("SELECT \(Self.deploymentColumns) FROM serving_deployments WHERE name = ?",
                                               [.text(name)]) else {
                throw Self.deploymentNotFound(name)
            }
            return try Self.deploymentRecord(row)
        }
    }

    public func deployments() async throws -> [DeploymentRecord] {
        try await read { pg in
            try await pg.query("SELECT \(Self.deploymentColumns) FROM serving_deployments ORDER BY name")
                .map(Self.deploymentRecord)
        }
    }

    static func deploymentNotFound(_ name: String) -> YardError {
        .notFound("Deployment '\(name)' not found; list deployments to see the names in use.")
    }

    static func deploymentRecord(_ row: PGRow) throws -> DeploymentRecord {
        DeploymentRecord(name: try row.string("name"), modelURI: try row.string("model_uri"),
                         canaryURI: try row.optionalString("canary_uri"), canaryShare: try row.double("canary_share"),
                         shadowURI: try row.optionalString("shadow_uri"), logSampleRate: try row.double("log_sample_rate"),
                         createdAt: try row.int64("created_at"), updatedAt: try row.int64("updated_at"))
    }

    // MARK: Prediction log

    public func appendPredictions(_ records: [PredictionRecord]) async throws {
        guard !records.isEmpty else { return }
        for record in records { try Self.requireStorableText(record) }
        try await write { pg in
            var skipped: [PredictionRecord] = []
            var start = 0
            while start < records.count {
                let chunk = records[start..<min(start + Self.predictionRowsPerInsert, records.count)]
                start += chunk.count
                skipped += try await Self.insertSkippingLogged(pg, chunk)
            }
            try await Self.requireSameRecords(pg, skipped)
        }
    }

    /// Inserts the records in order and returns, in order, those whose (deployment, id, role) was already
    /// logged (before or earlier in the batch), as SQLite's INSERT OR IGNORE leaves them.
    private static func insertSkippingLogged(_ pg: PGConnection, _ records: ArraySlice<PredictionRecord>) async throws -> [PredictionRecord] {
        var statement = PGStatement("""
            INSERT INTO serving_predictions
            (id, deployment, model_name, model_version, role, timestamp, latency_micros, inputs, outputs, row_count, label, labeled_at)
            VALUES
            """)
        for (index, record) in records.enumerated() {
            statement.append(PGStatement(index == 0 ? " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                .text(record.id), .text(record.deployment), .text(record.modelName), .text(record.modelVersion), .text(record.role),
                .int(record.timestamp), .int(record.latencyMicros), .text(record.inputs), .text(record.outputs), .int(record.rows),
                .text(record.label), .int(record.labeledAt),
            ]))
        }
        statement.append(PGStatement(" ON CONFLICT (deployment, id, role) DO NOTHING RETURNING deployment, id, role"))
        var inserted = Set<PredictionKey>()
        for row in try await pg.query(statement) {
            inserted.insert(PredictionKey(deployment: try row.string("deployment"), id: try row.string("id"), role: try row.string("role")))
        }
        // The first record of a key in the batch is the one inserted; any later one was skipped.
        return records.filter { inserted.remove(PredictionKey($0)) == nil }
    }

    /// A record whose (deployment, id, role) is already logged is a retry only when it says the same thing;
    /// a different record reusing the id is refused (and its batch rolled back) rather than dropped unseen.
    private static func requireSameRecords(_ pg: PGConnection, _ records: [PredictionRecord]) async throws {
        guard !records.isEmpty else { return }
        let rows = try await pg.query("""
            SELECT p.deployment, p.id, p.role, p.model_name, p.model_version, p.timestamp, p.inputs, p.outputs, p.row_count
            FROM serving_predictions p
            JOIN unnest(?::text[], ?::text[], ?::text[]) AS k(deployment, id, role)
              ON p.deployment = k.deployment AND p.id = k.id AND p.role = k.role
            """, [.textArray(records.map(\.deployment)), .textArray(records.map(\.id)), .textArray(records.map(\.role))])
        var stored: [PredictionKey: PGRow] = [:]
        for row in rows {
            stored[PredictionKey(deployment: try row.string("deployment"), id: try row.string("id"), role: try row.string("role"))] = row
        }
        for record in records {
            guard let row = stored[PredictionKey(record)] else { continue }
            // Swift String equality, as the SQLite store compares.
            let same = try row.string("model_name") == record.modelName && row.string("model_version") == record.modelVersion
                && row.int64("timestamp") == record.timestamp && row.string("inputs") == record.inputs
                && row.string("outputs") == record.outputs && row.int("row_count") == record.rows
            if !same {
                throw YardError(.resourceConflict,
                                "Record id '\(record.id.prefix(200))' is already logged in '\(record.deployment)' with different content; nothing from this batch was stored. Give each record a new id (or omit 'id' to have one assigned).")
            }
        }
    }

    /// PostgreSQL text cannot hold U+0000 (SQLite's can): refused as the client's error rather than failing
    /// the statement as a server error.
    static func requireStorableText(_ record: PredictionRecord) throws {
        let fields: [(String, String?)] = [
            ("id", record.id), ("deployment", record.deployment), ("model name", record.modelName),
            ("model version", record.modelVersion), ("role", record.role), ("inputs", record.inputs),
            ("outputs", record.outputs), ("label", record.label),
        ]
        for (field, value) in fields where value.map(containsNUL) == true {
            throw YardError.invalid("The \(field) of record '\(record.id.prefix(200).replacingOccurrences(of: "\0", with: "\\u0000"))' contains a NUL character (U+0000), which the PostgreSQL store cannot keep.")
        }
    }

    static func containsNUL(_ text: String) -> Bool { text.utf8.contains(0) }

    public func predictions(_ query: PredictionQuery) async throws -> Page<PredictionRecord> {
        let after = try PredictionPageKey(token: query.pageToken)
        let size = min(max(query.limit, 1), PredictionQuery.maxLimit)
        var statement = PGStatement("SELECT \(Self.predictionColumns) FROM serving_predictions WHERE deployment = ?", [.text(query.deployment)])
        if let since = query.since { statement.and(PGStatement("timestamp >= ?", [.int(since)])) }
        if let until = query.until { statement.and(PGStatement("timestamp < ?", [.int(until)])) }
        if let role = query.role { statement.and(PGStatement("role = ?", [.text(role)])) }
        if query.labeledOnly { statement.and(PGStatement("label IS NOT NULL")) }
        if let after {
            statement.and(PGStatement("timestamp < ? OR (timestamp = ? AND seq < ?)", [.int(after.timestamp), .int(after.timestamp), .int(after.seq)]))
        }
        statement.append(PGStatement(" ORDER BY timestamp DESC, seq DESC LIMIT \(size + 1)"))
        let finalStatement = statement
        return try await read { pg in
            let rows = try await pg.query(finalStatement)
            let pageRows = rows.prefix(size)
            var nextPageToken: String?
            if rows.count > size, let last = pageRows.last {
                nextPageToken = PredictionPageKey(timestamp: try last.int64("timestamp"), seq: try last.int64("seq")).token
            }
            return Page(items: try pageRows.map(Self.predictionRecord), nextPageToken: nextPageToken)
        }
    }

    public func recordLabels(_ labels: [(predictionId: String, label: String)], deployment: String, at: Int64) async throws -> Int {
        // The last label sent for an id wins, as when each is applied in turn; an id holding U+0000 can
        // match no stored record, so it is left out rather than sent.
        // Ids are keyed by bytes, as the store matches them.
        var latest: [[UInt8]: (id: String, label: String)] = [:]
        var order: [[UInt8]] = []
        for (id, label) in labels where !Self.containsNUL(id) {
            let key = Array(id.utf8)
            if latest.updateValue((id, label), forKey: key) == nil { order.append(key) }
        }
        guard !order.isEmpty else { return 0 }
        let pairs = order.compactMap { latest[$0] }
        if pairs.contains(where: { Self.containsNUL($0.label) }) {
            throw YardError.invalid("A label contains a NUL character (U+0000), which the PostgreSQL store cannot keep.")
        }
        let ids = pairs.map(\.id)
        let texts = pairs.map(\.label)
        return try await write { pg in
            let rows = try await pg.query("""
                UPDATE serving_predictions p SET label = l.label, labeled_at = ?
                FROM unnest(?::text[], ?::text[]) AS l(id, label)
                WHERE p.deployment = ? AND p.id = l.id
                RETURNING p.id
                """, [.int(at), .textArray(ids), .textArray(texts), .text(deployment)])
            return Set(try rows.map { Array(try $0.string("id").utf8) }).count
        }
    }

    public func prunePredictions(deployment: String, keepNewest: Int) async throws -> Int {
        guard keepNewest >= 0 else {
            throw YardError.invalid("Cannot keep \(keepNewest) predictions of deployment '\(deployment)'; keepNewest must be 0 or more.")
        }
        return try await write { pg in
            // The newest record to delete; it and everything older go, using the (deployment, timestamp, seq) index.
            guard let cutoff = try await pg.first("""
                SELECT timestamp, seq FROM serving_predictions WHERE deployment = ?
                ORDER BY timestamp DESC, seq DESC LIMIT 1 OFFSET ?
                """, [.text(deployment), .int(keepNewest)]) else { return 0 }
            let timestamp = try cutoff.int64("timestamp")
            let seq = try cutoff.int64("seq")
            let counted = try await pg.first("""
                WITH gone AS (
                    DELETE FROM serving_predictions
                    WHERE deployment = ? AND (timestamp < ? OR (timestamp = ? AND seq <= ?))
                    RETURNING 1
                )
                SELECT count(*) AS gone FROM gone
                """, [.text(deployment), .int(timestamp), .int(timestamp), .int(seq)])
            return try counted?.int("gone") ?? 0
        }
    }

    public func predictionCount(deployment: String) async throws -> Int {
        try await read { pg in
            try await pg.first("SELECT count(*) AS n FROM serving_predictions WHERE deployment = ?", [.text(deployment)])?.int("n") ?? 0
        }
    }

    static func predictionRecord(_ row: PGRow) throws -> PredictionRecord {
        PredictionRecord(id: try row.string("id"), deployment: try row.string("deployment"), modelName: try row.string("model_name"),
                         modelVersion: try row.string("model_version"), role: try row.string("role"),
                         timestamp: try row.int64("timestamp"), latencyMicros: try row.int64("latency_micros"),
                         inputs: try row.string("inputs"), outputs: try row.string("outputs"), rows: try row.int("row_count"),
                         label: try row.optionalString("label"), labeledAt: try row.optionalInt64("labeled_at"))
    }
}

/// What makes a prediction record unique in the log, by bytes as the unique index compares (Swift's String
/// equality would merge differently normalised ids that the index keeps apart).
private struct PredictionKey: Hashable {
    let deployment: [UInt8]
    let id: [UInt8]
    let role: [UInt8]

    init(deployment: String, id: String, role: String) {
        self.deployment = Array(deployment.utf8)
        self.id = Array(id.utf8)
        self.role = Array(role.utf8)
    }

    init(_ record: PredictionRecord) {
        self.init(deployment: record.deployment, id: record.id, role: record.role)
    }
}

/// Where the previous page of the prediction log ended: its last record's timestamp and sequence number,
/// in the SQLite store's token format. A token that does not decode is the client's error (400).
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
