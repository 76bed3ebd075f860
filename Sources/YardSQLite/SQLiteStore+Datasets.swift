import Foundation
import GRDB
import YardStore
import YardCore

extension SQLiteStore: DatasetStore {
    static let datasetVersionColumns = "name, digest, short_digest, kind, size, files, source, profile, created_at"

    public func registerDatasetVersion(_ version: DatasetVersionRecord) async throws -> DatasetVersionRecord {
        try await write { db in
            try db.execute(
                sql: "INSERT OR IGNORE INTO data_dataset_versions (\(Self.datasetVersionColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                arguments: [version.name, version.digest, version.shortDigest, version.kind.rawValue, version.size, version.files,
                            version.source, try version.profile.map(Self.profileJSON), version.createdAt])
            let row = try Row.fetchOne(db, sql: "SELECT \(Self.datasetVersionColumns) FROM data_dataset_versions WHERE name = ? AND digest = ?",
                                       arguments: [version.name, version.digest])
            return Self.datasetVersion(row!)
        }
    }

    public func datasetSummaries() async throws -> [DatasetSummary] {
        try await read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT \(Self.datasetVersionColumns), counts.total FROM data_dataset_versions v
                JOIN (SELECT name AS counted, COUNT(*) AS total, MAX(created_at) AS newest FROM data_dataset_versions GROUP BY name) counts
                  ON counts.counted = v.name AND counts.newest = v.created_at
                ORDER BY v.name, v.digest
                """)
            var seen = Set<String>()
            return rows.compactMap { row in
                let version = Self.datasetVersion(row)
                guard seen.insert(version.name).inserted else { return nil }
                return DatasetSummary(name: version.name, versionCount: row[9], latest: version)
            }
        }
    }

    public func datasetVersions(name: String) async throws -> [DatasetVersionRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.datasetVersionColumns) FROM data_dataset_versions WHERE name = ? ORDER BY created_at DESC, digest",
                             arguments: [name]).map(Self.datasetVersion)
        }
    }

    public func datasetVersion(name: String, digest: String) async throws -> DatasetVersionRecord? {
        try await read { db in
            try Row.fetchOne(db, sql: """
                SELECT \(Self.datasetVersionColumns) FROM data_dataset_versions
                WHERE name = ? AND (digest = ? OR short_digest = ?) ORDER BY created_at DESC LIMIT 1
                """, arguments: [name, digest, digest]).map(Self.datasetVersion)
        }
    }

    public func runs(usingDatasetDigests digests: [String]) async throws -> [DatasetRunLink] {
        guard !digests.isEmpty else { return [] }
        return try await read { db in
            let placeholders = Array(repeating: "?", count: digests.count).joined(separator: ", ")
            let rows = try Row.fetchAll(db, sql: """
                SELECT r.run_uuid, r.experiment_id, r.name, r.status, r.start_time, MIN(d.name)
                FROM datasets d
                JOIN run_dataset_inputs i ON i.dataset_uuid = d.dataset_uuid
                JOIN runs r ON r.run_uuid = i.run_uuid
                WHERE d.digest IN (\(placeholders)) AND r.lifecycle_stage = 'active'
                GROUP BY r.run_uuid
                ORDER BY r.start_time DESC, r.run_uuid
                """, arguments: StatementArguments(digests))
            return rows.map { row in
                let experimentId: Int64 = row[1]
                return DatasetRunLink(runId: row[0], experimentId: String(experimentId), runName: row[2],
                                      status: RunStatus(rawValue: row[3]) ?? .running, startTime: row[4], datasetName: row[5])
            }
        }
    }

    static func datasetVersion(_ row: Row) -> DatasetVersionRecord {
        let profileText: String? = row[7]
        return DatasetVersionRecord(
            name: row[0], digest: row[1], shortDigest: row[2], kind: DatasetKind(rawValue: row[3]) ?? .file, size: row[4],
            files: row[5], source: row[6], profile: profileText.flatMap(Self.profile), createdAt: row[8])
    }

    /// Profiles are kept as one JSON text column; only this file knows.
    static func profileJSON(_ profile: DatasetProfile) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(profile), as: UTF8.self)
    }

    /// A stored profile that no longer decodes (written by an older, untyped server) is left out
    /// rather than failing the whole read.
    static func profile(_ json: String) -> DatasetProfile? {
        try? JSONDecoder().decode(DatasetProfile.self, from: Data(json.utf8))
    }
}
