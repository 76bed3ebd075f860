import YardCore
import YardStore
import YardJSON

/// `/ui/experiments/<id>/columns?q=<substring>&limit=200`: the column picker's search over an experiment's
/// params, metrics and tags as `{"columns":["metrics.x",…],"total":N,"truncated":bool}`. An experiment can
/// have tens of thousands of keys; the page never renders them all, it asks here as the user types.
enum ExperimentColumnsEndpoint {
    static let defaultLimit = 200
    static let maxLimit = 2000

    static func respond(_ services: WebServices, _ request: WebRequest) async throws -> WebResponse {
        let id = try request.parameter("experiment")
        _ = try await RunsTablePage.existingExperiment(services, id)
        let limit = Int(request.query("limit") ?? "").map { min(max($0, 1), maxLimit) } ?? defaultLimit
        let names = try await columnNames(services, experimentId: id)
        let (columns, total) = matching(names, query: request.query("q") ?? "", limit: limit)
        let body: JSONValue = .object([
            ("columns", .array(columns.map { .string($0) })),
            ("total", .int(total)),
            ("truncated", .bool(total > columns.count)),
        ])
        return WebResponse(contentType: "application/json", body: JSONWriter.bytes(body))
    }

    /// The first `limit` names containing `query` (case-insensitively), and how many contain it.
    static func matching(_ names: [String], query: String, limit: Int) -> (columns: [String], total: Int) {
        let needle = query.trimmingCharacters(in: .whitespaces).lowercased()
        if needle.isEmpty { return (Array(names.prefix(limit)), names.count) }
        var columns: [String] = []
        var total = 0
        for name in names where name.lowercased().contains(needle) {
            total += 1
            if columns.count < limit { columns.append(name) }
        }
        return (columns, total)
    }

    /// Every column name of the experiment: metrics, then params, then tags, each sorted. The store reads
    /// them off its key indexes, so even 12,000 keys are a few milliseconds and need no cache.
    static func columnNames(_ services: WebServices, experimentId: String) async throws -> [String] {
        let keys: RunColumnKeys
        do {
            keys = try await services.tracking.runColumnKeys(experimentIds: [experimentId])
        } catch {
            throw WebError.from(error)
        }
        return keys.metrics.map { RunColumn(.metric, $0).name } + keys.params.map { RunColumn(.param, $0).name }
            + keys.tags.map { RunColumn(.tag, $0).name }
    }
}
