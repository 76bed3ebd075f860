import Foundation
import GRDB
import YardCore
import YardStore

extension SQLiteStore {
    /// The store's tables as one consistent snapshot (a read transaction held open until the export is
    /// released), for `yard db copy`. Writes committed after this call are not part of it.
    public func tableExport() throws -> SQLiteTableExport {
        let snapshot = try pool.makeSnapshot()
        return try SQLiteTableExport(snapshot: snapshot, pool: pool, path: path)
    }
}

extension SQLiteTableExport {
    /// Opens the database at `path` read-only (no migrations, nothing written: a server may keep using
    /// it) and takes the snapshot. Refuses a database whose migrations are not those of this yard, since
    /// the target's tables would not match it.
    public static func openReadOnly(path: String) throws -> SQLiteTableExport {
        guard FileManager.default.fileExists(atPath: path) else {
            throw YardError(.resourceDoesNotExist, "No SQLite store at \(path).")
        }
        var configuration = Configuration()
        configuration.readonly = true
        configuration.busyMode = .timeout(10)
        let pool = try DatabasePool(path: path, configuration: configuration)
        let applied = try pool.read { db in
            try db.tableExists("grdb_migrations") ? Set(try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations")) : []
        }
        let known = Set(SQLiteStore.migrator.migrations)
        let pending = known.subtracting(applied)
        guard pending.isEmpty, applied.isSubset(of: known) else {
            throw YardError(.invalidState, "\(path) is not at this yard's schema version (pending: \(pending.sorted().joined(separator: ", ")), unknown: \(applied.subtracting(known).sorted().joined(separator: ", "))). Start this yard's server on it once, or copy with the yard that last served it.")
        }
        return try SQLiteTableExport(snapshot: try pool.makeSnapshot(), pool: pool, path: path)
    }
}

/// Every user table of a SQLite store, read from one snapshot: GRDB's own bookkeeping and SQLite's
/// internal tables are left out; rows come in primary-key order, a page at a time.
public final class SQLiteTableExport: StoreTableSource, Sendable {
    private let snapshot: DatabaseSnapshot
    private let pool: DatabasePool
    private let layouts: [StoreTableLayout]
    private let snapshotCounts: [String: Int]
    public let displayName: String

    init(snapshot: DatabaseSnapshot, pool: DatabasePool, path: String) throws {
        self.snapshot = snapshot
        self.pool = pool
        self.displayName = path
        let layouts = try snapshot.read { db in try Self.readLayouts(db) }
        self.layouts = layouts
        self.snapshotCounts = try snapshot.read { db in try Self.rowCounts(db, layouts) }
    }

    public func tableLayouts() async throws -> [StoreTableLayout] { layouts }

    /// A table without a primary key comes whole from the first call (and nothing after it).
    public func rows(of table: StoreTableLayout, after key: [StoreValue]?, limit: Int) async throws -> [[StoreValue]] {
        let columns = table.columns.map(quoted).joined(separator: ", ")
        var sql = "SELECT \(columns) FROM \(quoted(table.name))"
        var arguments: [DatabaseValue] = []
        if table.primaryKey.isEmpty {
            guard key == nil else { return [] }
            sql += " ORDER BY rowid"
        } else {
            let keyList = table.primaryKey.map(quoted).joined(separator: ", ")
            if let key {
                let placeholders = Array(repeating: "?", count: key.count).joined(separator: ", ")
                sql += " WHERE (\(keyList)) > (\(placeholders))"
                arguments = key.map(Self.databaseValue)
            }
            sql += " ORDER BY \(keyList) LIMIT \(limit)"
        }
        let query = sql
        let bound = arguments
        return try await snapshot.read { db in
            try Row.fetchAll(db, sql: query, arguments: StatementArguments(bound)).map { row in
                (0..<row.count).map { Self.storeValue(row[$0] as DatabaseValue) }
            }
        }
    }

    public func usedIdFloors() async throws -> [String: Int64] {
        try await snapshot.read { db in
            guard try db.tableExists("sqlite_sequence") else { return [:] }
            var floors: [String: Int64] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT name, seq FROM sqlite_sequence") {
                floors[row[0]] = row[1]
            }
            return floors
        }
    }

    public func tablesChangedSinceSnapshot() async throws -> [String] {
        let layouts = self.layouts
        let now = try await pool.read { db in try Self.rowCounts(db, layouts) }
        return layouts.map(\.name).filter { now[$0] != snapshotCounts[$0] }
    }

    /// User tables in dependency order: a table comes after every table its foreign keys reference; ties
    /// keep the order the tables were created in.
    static func readLayouts(_ db: Database) throws -> [StoreTableLayout] {
        let names = try String.fetchAll(db, sql: """
            SELECT name FROM sqlite_master
            WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name != 'grdb_migrations'
            ORDER BY rowid
            """)
        var layouts: [String: StoreTableLayout] = [:]
        var references: [String: Set<String>] = [:]
        for name in names {
            let info = try Row.fetchAll(db, sql: "SELECT name, pk FROM pragma_table_info(?) ORDER BY cid", arguments: [name])
            let columns: [String] = info.map { $0["name"] }
            let primaryKey = info.filter { ($0["pk"] as Int) > 0 }
                .sorted { ($0["pk"] as Int) < ($1["pk"] as Int) }
                .map { $0["name"] as String }
            layouts[name] = StoreTableLayout(name: name, columns: columns, primaryKey: primaryKey)
            let referenced = try String.fetchAll(db, sql: "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?)", arguments: [name])
            references[name] = Set(referenced).subtracting([name])
        }
        return try dependencyOrder(names, references: references).compactMap { layouts[$0] }
    }

    /// `names` reordered so each comes after the names it references (a stable topological sort).
    static func dependencyOrder(_ names: [String], references: [String: Set<String>]) throws -> [String] {
        var placed: [String] = []
        var done = Set<String>()
        var remaining = names
        while !remaining.isEmpty {
            guard let next = remaining.firstIndex(where: { (references[$0] ?? []).subtracting(done).allSatisfy { !names.contains($0) } }) else {
                throw YardError(.invalidState, "The tables \(remaining.joined(separator: ", ")) reference each other in a cycle; they cannot be copied in order.")
            }
            let name = remaining.remove(at: next)
            placed.append(name)
            done.insert(name)
        }
        return placed
    }

    static func rowCounts(_ db: Database, _ layouts: [StoreTableLayout]) throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for layout in layouts {
            counts[layout.name] = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(quoted(layout.name))") ?? 0
        }
        return counts
    }

    static func storeValue(_ value: DatabaseValue) -> StoreValue {
        switch value.storage {
        case .null: return .null
        case .int64(let number): return .integer(number)
        case .double(let number): return .real(number)
        case .string(let text): return .text(text)
        case .blob(let data): return .blob([UInt8](data))
        }
    }

    static func databaseValue(_ value: StoreValue) -> DatabaseValue {
        switch value {
        case .null: return .null
        case .integer(let number): return number.databaseValue
        case .real(let number): return number.databaseValue
        case .text(let text): return text.databaseValue
        case .blob(let bytes): return Data(bytes).databaseValue
        }
    }
}

private func quoted(_ identifier: String) -> String {
    "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
