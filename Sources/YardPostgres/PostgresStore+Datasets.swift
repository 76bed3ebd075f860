import Foundation
import YardStore
import YardCore

extension PostgresStore: DatasetStore {
    static let datasetVersionColumns = "name, digest, short_digest, kind, size, files, source, profile, created_at"

    public func registerDatasetVersion(_ version: DatasetVersionRecord) async throws -> DatasetVersionRecord {
        let profile = try version.profile.map(Self.profileJSON)
        return try await write { pg in
            try await pg.execute(
                "INSERT INTO data_dataset_versions (\(Self.datasetVersionColumns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [.text(version.name), .text(version.digest), .text(version.shortDigest), .text(version.kind.rawValue),
                 .int(version.size), .int(version.files), .text(version.source), .text(profile), .int(version.createdAt)])
            guard let row = try await pg.first("SELECT \(Self.datasetVersionColumns) FROM data_dataset_versions WHERE name = ? AND digest = ?",
                                               [.text(version.name), .text(version.digest)]) else {
                throw YardError(.internalError, "Dataset version \(version.name)@\(version.digest) vanished after it was registered.")
            }
            return try Self.datasetVersion(row)
        }
    }

    public func datasetSummaries() async throws -> [DatasetSummary] {
        try await read { pg in
            let rows = try await pg.query("""
                SELECT v.name, v.digest, v.short_digest, v.kind, v.size, v.files, v.source, v.profile, v.created_at, counts.total
                FROM data_dataset_versions v
                JOIN (SELECT name AS counted, COUNT(*) AS total, MAX(created_at) AS newest FROM data_dataset_versions GROUP BY name) counts
                  ON counts.counted = v.name AND counts.newest = v.created_at
                ORDER BY v.name, v.digest
                """)
            var seen = Set<String>()
            var summaries: [DatasetSummary] = []
            for row in rows {
                let version = try Self.datasetVersion(row)
                guard seen.insert(version.name).inserted else { continue }
                summaries.append(DatasetSummary(name: version.name, versionCount: try row.int("total"), latest: version))
            }
            return summaries
        }
    }

    public func datasetVersions(name: String) async throws -> [DatasetVersionRecord] {
        try await read { pg in
            try await pg.query("SELECT \(Self.datasetVersionColumns) FROM data_dataset_versions WHERE name = ? ORDER BY created_at DESC, digest",
                               [.text(name)]).map(Self.datasetVersion)
        }
    }

    public func datasetVersion(name: String, digest: String) async throws -> DatasetVersionRecord? {
        try await read { pg in
            // The digest as tie-breaker: SQLite returns equal times in primary-key (name, digest) order.
            try await pg.first("""
                SELECT \(Self.datasetVersionColumns) FROM data_dataset_versions
                WHERE name = ? AND (digest = ? OR short_digest = ?) ORDER BY created_at DESC, digest LIMIT 1
                """, [.text(name), .text(digest), .text(digest)]).map(Self.datasetVersion)
        }
    }

    public func runs(usingDatasetDigests digests: [String]) async throws -> [DatasetRunLink] {
        guard !digests.isEmpty else { return [] }
        return try await read { pg in
            // MIN(d.name) in SQLite compares bytewise; the C collation of the column does the same here.
            let rows = try await pg.query("""
                SELECT r.run_uuid, r.experiment_id, r.name, r.status, r.start_time, MIN(d.name) AS dataset_name
                FROM datasets d
                JOIN run_dataset_inputs i ON i.dataset_uuid = d.dataset_uuid
                JOIN runs r ON r.run_uuid = i.run_uuid
                WHERE d.digest = ANY(?::text[]) AND r.lifecycle_stage = 'active'
                GROUP BY r.run_uuid
                ORDER BY r.start_time DESC NULLS LAST, r.run_uuid
                """, [.textArray(digests)])
            return try rows.map { row in
                DatasetRunLink(runId: try row.string("run_uuid"), experimentId: String(try row.int64("experiment_id")),
                               runName: try row.string("name"), status: RunStatus(rawValue: try row.string("status")) ?? .running,
                               startTime: try row.optionalInt64("start_time"), datasetName: try row.string("dataset_name"))
            }
        }
    }

    static func datasetVersion(_ row: PGRow) throws -> DatasetVersionRecord {
        DatasetVersionRecord(
            name: try row.string("name"), digest: try row.string("digest"), shortDigest: try row.string("short_digest"),
            kind: DatasetKind(rawValue: try row.string("kind")) ?? .file, size: try row.int64("size"), files: try row.int("files"),
            source: try row.optionalString("source"), profile: try row.optionalString("profile").flatMap(Self.profile),
            createdAt: try row.int64("created_at"))
    }

    /// Profiles are kept as one JSON text column, written exactly as the SQLite store writes them.
    static func profileJSON(_ profile: DatasetProfile) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(profile), as: UTF8.self)
    }

    /// A stored profile that no longer decodes is left out rather than failing the whole read.
    static func profile(_ json: String) -> DatasetProfile? {
        try? JSONDecoder().decode(DatasetProfile.self, from: Data(json.utf8))
    }
}
