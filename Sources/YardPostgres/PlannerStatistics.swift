import Foundation
import Synchronization

/// Makes sure PostgreSQL has column statistics for the tables run search joins before it plans a search.
///
/// Without any (tables filled since they were created, before autovacuum's first analyse, up to a minute
/// later), the planner multiplies default selectivities down to one row per step and nests loops that
/// filter millions of rows: a 10,000-run search took 2.5 s instead of 40 ms. Statistics that are merely
/// stale do not do this (selectivities stay fractions and row counts follow the table's size), so once every
/// table has some, autovacuum keeps them and this check stops for the life of the process.
final class PlannerStatistics: Sendable {
    static let searchTables = ["runs", "params", "tags", "latest_metrics"]
    /// Tables smaller than this plan well whatever the statistics say; analysing them would only repeat.
    static let minimumBytes: Int64 = 64 * 1024
    /// Between two looks at the catalog while some table still has no statistics.
    static let recheckInterval: Duration = .seconds(2)

    private struct State {
        var settled = false
        var lastCheck: ContinuousClock.Instant?
    }
    private let state = Mutex(State())

    /// Analyses the search tables that are big enough and have no statistics at all. Never throws: a failed
    /// check leaves planning as it was, and a search must not fail for it.
    func ensurePresent(in store: PostgresStore) async {
        let due = state.withLock { state -> Bool in
            guard !state.settled else { return false }
            let now = ContinuousClock.now
            if let last = state.lastCheck, now - last < Self.recheckInterval { return false }
            state.lastCheck = now
            return true
        }
        guard due else { return }
        do {
            let settled = try await store.withConnection { connection in
                let pg = PGConnection(connection: connection, logger: store.logger)
                let rows = try await pg.query("""
                    SELECT c.relname AS name, pg_relation_size(c.oid) AS bytes,
                           EXISTS (SELECT 1 FROM pg_stats s WHERE s.schemaname = n.nspname AND s.tablename = c.relname) AS analysed
                    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = current_schema() AND c.relname = ANY(?::text[])
                    """, [.textArray(Self.searchTables)])
                let unanalysed = try rows.filter { try !$0.bool("analysed") }
                let missing = try unanalysed.filter { try $0.int64("bytes") >= Self.minimumBytes }.map { try $0.string("name") }
                if !missing.isEmpty {
                    let started = ContinuousClock.now
                    try await pg.execute("ANALYZE " + missing.map { "\"\($0)\"" }.joined(separator: ", "))
                    store.logger.info("analysed search tables that had no planner statistics yet",
                                      metadata: ["tables": "\(missing.joined(separator: ", "))", "took": "\(ContinuousClock.now - started)"])
                }
                return unanalysed.count == missing.count && rows.count == Self.searchTables.count
            }
            // Settled only when every table has (or has just been given) statistics; an empty or small table
            // is looked at again later, once it may have grown.
            if settled { state.withLock { $0.settled = true } }
        } catch {
            store.logger.debug("planner statistics check failed", metadata: ["error": "\(error)"])
        }
    }
}
