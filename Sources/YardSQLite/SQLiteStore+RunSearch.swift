import Foundation
import GRDB
import YardStore
import YardCore

/// Run search and the loading of whole runs (info and every child table) that it and `run(id:)` share.
extension SQLiteStore {
    public func searchRuns(_ query: RunQuery) async throws -> Page<Run> {
        let window = try PageWindow(token: query.pageToken, requested: query.maxResults, cap: Validation.maxRunSearchResults)
        let statement = try RunSearchSQL.selectIds(query, limit: window.fetchLimit, offset: window.offset)
        let runs = try await read { db in
            let ids = try String.fetchAll(db, sql: statement.sql, arguments: StatementArguments(statement.arguments))
            return try Self.loadRuns(db, ids: ids)
        }
        return window.page(runs)
    }

    /// `(owner, key, value)` rows of a key/value child table (params, tags…) for a set of owners, by key.
    static func keyValues(_ db: Database, table: String, owner: String, placeholders: String,
                          arguments: StatementArguments) throws -> [(owner: String, tag: Tag)] {
        try Row.fetchAll(db, sql: "SELECT \(owner), key, value FROM \(table) WHERE \(owner) IN (\(placeholders)) ORDER BY \(owner), key",
                         arguments: arguments).map { (owner: $0[0], tag: Tag(key: $0[1], value: $0[2])) }
    }

    /// Loads whole runs in the order of `ids`, fetching each child table once per chunk of ids.
    static func loadRuns(_ db: Database, ids: [String]) throws -> [Run] {
        var runs: [Run] = []
        runs.reserveCapacity(ids.count)
        let chunkSize = 500
        var start = 0
        while start < ids.count {
            let chunk = Array(ids[start..<min(start + chunkSize, ids.count)])
            runs += try loadRunChunk(db, ids: chunk)
            start += chunkSize
        }
        return runs
    }

    private static func loadRunChunk(_ db: Database, ids: [String]) throws -> [Run] {
        let placeholders = Array(repeating: "?", count: ids.count).joined(separator: ",")
        let arguments = StatementArguments(ids)
        var byId: [String: Run] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT \(runColumns) FROM runs WHERE run_uuid IN (\(placeholders))", arguments: arguments) {
            let info = runInfo(row)
            byId[info.runId] = Run(info: info)
        }
        for (owner, param) in try keyValues(db, table: "params", owner: "run_uuid", placeholders: placeholders, arguments: arguments) {
            byId[owner]?.params.append(param)
        }
        for (owner, tag) in try keyValues(db, table: "tags", owner: "run_uuid", placeholders: placeholders, arguments: arguments) {
            byId[owner]?.tags.append(tag)
        }
        for row in try Row.fetchAll(db, sql: """
            SELECT run_uuid, key, value, is_nan, timestamp, step, model_id, dataset_name, dataset_digest
            FROM latest_metrics WHERE run_uuid IN (\(placeholders)) ORDER BY run_uuid, key
            """, arguments: arguments) {
            byId[row[0]]?.metrics.append(metric(row, from: 1))
        }
        var inputTags: [String: [Tag]] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT run_uuid, dataset_uuid, key, value FROM run_dataset_input_tags WHERE run_uuid IN (\(placeholders)) ORDER BY key", arguments: arguments) {
            inputTags["\(row[0] as String)/\(row[1] as String)", default: []].append(Tag(key: row[2], value: row[3]))
        }
        for row in try Row.fetchAll(db, sql: """
            SELECT i.run_uuid, d.dataset_uuid, d.name, d.digest, d.source_type, d.source, d.schema, d.profile
            FROM run_dataset_inputs i JOIN datasets d ON d.dataset_uuid = i.dataset_uuid
            WHERE i.run_uuid IN (\(placeholders)) ORDER BY i.run_uuid, i.position
            """, arguments: arguments) {
            let dataset = Dataset(name: row[2], digest: row[3], sourceType: row[4], source: row[5], schema: row[6], profile: row[7])
            let runId: String = row[0]
            let datasetId: String = row[1]
            byId[runId]?.datasetInputs.append(DatasetInput(tags: inputTags["\(runId)/\(datasetId)"] ?? [], dataset: dataset))
        }
        for row in try Row.fetchAll(db, sql: "SELECT run_uuid, model_id FROM run_model_inputs WHERE run_uuid IN (\(placeholders))", arguments: arguments) {
            byId[row[0]]?.modelInputs.append(row[1])
        }
        for row in try Row.fetchAll(db, sql: "SELECT run_uuid, model_id, step FROM run_model_outputs WHERE run_uuid IN (\(placeholders))", arguments: arguments) {
            byId[row[0]]?.modelOutputs.append(ModelOutput(modelId: row[1], step: row[2]))
        }
        return ids.compactMap { byId[$0] }
    }
}
