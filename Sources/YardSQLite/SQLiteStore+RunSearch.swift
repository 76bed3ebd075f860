import Foundation
import GRDB
import YardStore
import YardCore

/// Run search and the loading of whole runs (info and every child table) that it and `run(id:)` share.
extension SQLiteStore {
    public func searchRuns(_ query: RunQuery) async throws -> Page<Run> {
        let window = try PageWindow(token: query.pageToken, requested: query.maxResults, cap: Validation.maxRunSearchResults)
        let statement = try RunSearchSQL.selectIds(query, limit: window.fetchLimit, offset: window.offset)
        return try await read { db in
            let ids = try String.fetchAll(db, sql: statement.sql, arguments: StatementArguments(statement.arguments))
            let runs = try Self.loadRuns(db, ids: Array(ids.prefix(window.size)))
            return Page(items: runs, nextPageToken: window.nextPageToken(fetched: ids.count))
        }
    }

    /// `(owner, key, value)` rows of a key/value child table (params, tags…) for a set of owners, by key.
    static func keyValues(_ db: Database, table: String, owner: String, placeholders: String,
                          arguments: StatementArguments) throws -> [(owner: String, tag: Tag)] {
        try Row.fetchAll(db, sql: "SELECT \(owner), key, value FROM \(table) WHERE \(owner) IN (\(placeholders)) ORDER BY \(owner), key",
                         arguments: arguments).map { (owner: $0[0], tag: Tag(key: $0[1], value: $0[2])) }
    }

    /// Loads whole runs in the order of `ids` (unknown ids are left out). The ids travel as one JSON array
    /// that `json_each` numbers, so each table is read by one cached statement whatever the page size,
    /// and every child row names its run by position in the page instead of by an id to hash and look up.
    static func loadRuns(_ db: Database, ids: [String]) throws -> [Run] {
        guard !ids.isEmpty else { return [] }
        let page: StatementArguments = [jsonArray(ids)]
        var runs = [Run?](repeating: nil, count: ids.count)
        try forEachRow(db, pageRunsSQL, page) { row in
            runs[row[9] as Int] = Run(info: runInfo(row))
        }
        try forEachRow(db, "SELECT j.key, p.key, p.value FROM json_each(?) j JOIN params p ON p.run_uuid = j.value ORDER BY j.key, p.key", page) { row in
            runs[row[0] as Int]?.params.append(Param(key: row[1], value: row[2]))
        }
        try forEachRow(db, "SELECT j.key, t.key, t.value FROM json_each(?) j JOIN tags t ON t.run_uuid = j.value ORDER BY j.key, t.key", page) { row in
            runs[row[0] as Int]?.tags.append(Tag(key: row[1], value: row[2]))
        }
        try forEachRow(db, """
            SELECT j.key, m.key, m.value, m.is_nan, m.timestamp, m.step, m.model_id, m.dataset_name, m.dataset_digest
            FROM json_each(?) j JOIN latest_metrics m ON m.run_uuid = j.value ORDER BY j.key, m.key
            """, page) { row in
            runs[row[0] as Int]?.metrics.append(metric(row, from: 1))
        }
        var inputTags: [Int: [String: [Tag]]] = [:]
        try forEachRow(db, """
            SELECT j.key, t.dataset_uuid, t.key, t.value FROM json_each(?) j JOIN run_dataset_input_tags t ON t.run_uuid = j.value
            ORDER BY j.key, t.key
            """, page) { row in
            inputTags[row[0] as Int, default: [:]][row[1] as String, default: []].append(Tag(key: row[2], value: row[3]))
        }
        try forEachRow(db, """
            SELECT j.key, d.dataset_uuid, d.name, d.digest, d.source_type, d.source, d.schema, d.profile
            FROM json_each(?) j JOIN run_dataset_inputs i ON i.run_uuid = j.value JOIN datasets d ON d.dataset_uuid = i.dataset_uuid
            ORDER BY j.key, i.position
            """, page) { row in
            let position: Int = row[0]
            let dataset = Dataset(name: row[2], digest: row[3], sourceType: row[4], source: row[5], schema: row[6], profile: row[7])
            runs[position]?.datasetInputs.append(DatasetInput(tags: inputTags[position]?[row[1] as String] ?? [], dataset: dataset))
        }
        try forEachRow(db, "SELECT j.key, m.model_id FROM json_each(?) j JOIN run_model_inputs m ON m.run_uuid = j.value ORDER BY j.key, m.model_id", page) { row in
            runs[row[0] as Int]?.modelInputs.append(row[1])
        }
        try forEachRow(db, """
            SELECT j.key, m.model_id, m.step FROM json_each(?) j JOIN run_model_outputs m ON m.run_uuid = j.value
            ORDER BY j.key, m.model_id, m.step
            """, page) { row in
            runs[row[0] as Int]?.modelOutputs.append(ModelOutput(modelId: row[1], step: row[2]))
        }
        return runs.compactMap { $0 }
    }

    /// The position comes last so that `runInfo` reads the run's columns from the start of the row.
    private static let pageRunsSQL = """
        SELECT \(runColumns.split(separator: ",").map { "r." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")), j.key
        FROM json_each(?) j JOIN runs r ON r.run_uuid = j.value
        """

    /// Reads each row where SQLite leaves it (a cursor, no copy per row).
    private static func forEachRow(_ db: Database, _ sql: String, _ arguments: StatementArguments, _ body: (Row) throws -> Void) throws {
        let rows = try Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments)
        while let row = try rows.next() {
            try body(row)
        }
    }

    /// `ids` as a JSON array of strings, escaped as RFC 8259 requires.
    private static func jsonArray(_ ids: [String]) -> String {
        var text = "["
        text.reserveCapacity(ids.count * 36 + 2)
        for (index, id) in ids.enumerated() {
            if index > 0 { text += "," }
            text += "\""
            for scalar in id.unicodeScalars {
                switch scalar {
                case "\"": text += "\\\""
                case "\\": text += "\\\\"
                case _ where scalar.value < 0x20: text += String(format: "\\u%04x", scalar.value)
                default: text.unicodeScalars.append(scalar)
                }
            }
            text += "\""
        }
        return text + "]"
    }
}
