import Foundation
import YardStore
import YardCore

/// Run search and the loading of whole runs (info and every child table) that it and `run(id:)` share.
extension PostgresStore {
    public func searchRuns(_ query: RunQuery) async throws -> Page<Run> {
        let window = try PageWindow(token: query.pageToken, requested: query.maxResults, cap: Validation.maxRunSearchResults)
        let statement = try PGRunSearchSQL.selectIds(query, limit: window.fetchLimit, offset: window.offset)
        await plannerStatistics.ensurePresent(in: self)
        return try await read { pg in
            let ids = try await pg.query(statement).map { try $0.string("run_uuid") }
            let runs = try await Self.loadRuns(pg, ids: Array(ids.prefix(window.size)))
            return Page(items: runs, nextPageToken: window.nextPageToken(fetched: ids.count))
        }
    }

    /// Loads whole runs in the order of `ids` (unknown ids are left out): one statement per table for the
    /// whole page, each child table read in its key order per run, as the SQLite store's primary keys give.
    static func loadRuns(_ pg: PGConnection, ids: [String]) async throws -> [Run] {
        guard !ids.isEmpty else { return [] }
        let page = PGValue.textArray(ids)
        // Runs sit in an array and are changed in place through their index: mutating a dictionary's value
        // through an optional chain copied the whole run for every child row.
        var runs: [Run] = []
        var position: [String: Int] = [:]
        for row in try await pg.query("SELECT \(runColumns) FROM runs WHERE run_uuid = ANY(?::text[])", [page]) {
            let info = try runInfo(row)
            position[info.runId] = runs.count
            runs.append(Run(info: info))
        }
        guard !runs.isEmpty else { return [] }
        for row in try await pg.query("SELECT run_uuid, key, value FROM params WHERE run_uuid = ANY(?::text[]) ORDER BY run_uuid, key", [page]) {
            if let index = position[try row.string("run_uuid")] { runs[index].params.append(Param(key: try row.string("key"), value: try row.string("value"))) }
        }
        for row in try await pg.query("SELECT run_uuid, key, value FROM tags WHERE run_uuid = ANY(?::text[]) ORDER BY run_uuid, key", [page]) {
            if let index = position[try row.string("run_uuid")] { runs[index].tags.append(Tag(key: try row.string("key"), value: try row.string("value"))) }
        }
        for row in try await pg.query("""
            SELECT run_uuid, \(metricColumns) FROM latest_metrics WHERE run_uuid = ANY(?::text[]) ORDER BY run_uuid, key
            """, [page]) {
            if let index = position[try row.string("run_uuid")] { runs[index].metrics.append(try metric(row)) }
        }
        var inputTags: [String: [String: [Tag]]] = [:]
        for row in try await pg.query("""
            SELECT run_uuid, dataset_uuid, key, value FROM run_dataset_input_tags WHERE run_uuid = ANY(?::text[])
            ORDER BY run_uuid, dataset_uuid, key
            """, [page]) {
            inputTags[try row.string("run_uuid"), default: [:]][try row.string("dataset_uuid"), default: []]
                .append(Tag(key: try row.string("key"), value: try row.string("value")))
        }
        for row in try await pg.query("""
            SELECT i.run_uuid, d.dataset_uuid, d.name, d.digest, d.source_type, d.source, d.schema, d.profile
            FROM run_dataset_inputs i JOIN datasets d ON d.dataset_uuid = i.dataset_uuid
            WHERE i.run_uuid = ANY(?::text[]) ORDER BY i.run_uuid, i.position
            """, [page]) {
            let runId = try row.string("run_uuid")
            let dataset = Dataset(name: try row.string("name"), digest: try row.string("digest"), sourceType: try row.string("source_type"),
                                  source: try row.string("source"), schema: try row.optionalString("schema"),
                                  profile: try row.optionalString("profile"))
            if let index = position[runId] { runs[index].datasetInputs.append(DatasetInput(tags: inputTags[runId]?[try row.string("dataset_uuid")] ?? [], dataset: dataset)) }
        }
        for row in try await pg.query("SELECT run_uuid, model_id FROM run_model_inputs WHERE run_uuid = ANY(?::text[]) ORDER BY run_uuid, model_id",
                                      [page]) {
            if let index = position[try row.string("run_uuid")] { runs[index].modelInputs.append(try row.string("model_id")) }
        }
        for row in try await pg.query("""
            SELECT run_uuid, model_id, step FROM run_model_outputs WHERE run_uuid = ANY(?::text[]) ORDER BY run_uuid, model_id, step
            """, [page]) {
            if let index = position[try row.string("run_uuid")] { runs[index].modelOutputs.append(ModelOutput(modelId: try row.string("model_id"), step: try row.int64("step"))) }
        }
        return ids.compactMap { id in position[id].map { runs[$0] } }
    }
}
