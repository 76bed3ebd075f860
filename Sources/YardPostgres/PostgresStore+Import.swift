import PostgresNIO
import YardCore
import YardStore

/// One table of a finished copy: its rows and content digest, equal on both sides.
public struct StoreCopyTable: Sendable, Equatable {
    public let name: String
    public let rows: Int
    public let digest: String
}

/// What `importTables` reports as it goes.
public enum StoreCopyProgress: Sendable {
    case copied(table: String, rows: Int)
    case verified(StoreCopyTable)
    /// The source's row counts in these tables moved after the snapshot was taken (a server is writing).
    case sourceChangedAfterSnapshot(tables: [String])
}

extension PostgresStore {
    /// Copies every row of `source` into this store's schema, which must be empty (apart from the default
    /// experiment "0" a server's start-up inserts, which the source's own row replaces), in one
    /// transaction: tables in foreign-key order, rows in batches bound by the PostgreSQL column types;
    /// sequences are moved past the copied ids. Before committing, every table is read back and its row
    /// count and content digest (see `StoreTableDigest`) compared with the source's; on any difference,
    /// nothing is committed and the error names the table. Writes to the source after its snapshot are
    /// reported through `progress`, not copied.
    public func importTables(from source: any StoreTableSource,
                             progress: @escaping @Sendable (StoreCopyProgress) -> Void = { _ in }) async throws -> [StoreCopyTable] {
        let schema = settings.schema
        let target = settings.displayName
        return try await write { pg in
            let layouts = try await source.tableLayouts()
            let catalog = try await PGTableCatalog.read(pg, schema: schema)
            let problems = catalog.differences(from: layouts, sourceName: "the source")
            guard problems.isEmpty else {
                throw YardError(.invalidState, "The source (\(source.displayName)) and \(target) do not have the same tables: "
                    + problems.joined(separator: "; ") + ". Copy with the yard version that last served the source.")
            }
            try await Self.requireEmptyTarget(pg, layouts: layouts, target: target)
            let ordered = try catalog.insertionOrder(layouts)
            var sourceDigests: [String: StoreTableDigest] = [:]
            for layout in ordered {
                let columns = catalog.columns[layout.name] ?? []
                let digest = try await Self.copyRows(of: layout, columns: columns, from: source, into: pg)
                sourceDigests[layout.name] = digest
                progress(.copied(table: layout.name, rows: digest.rowCount))
            }
            try await Self.advanceSequences(pg, schema: schema, catalog: catalog, layouts: layouts,
                                            floors: try await source.usedIdFloors())
            var results: [StoreCopyTable] = []
            for layout in ordered {
                let columns = catalog.columns[layout.name] ?? []
                let copied = try await Self.readBack(layout, columns: columns, from: pg)
                let expected = sourceDigests[layout.name] ?? StoreTableDigest(columnCount: layout.columns.count)
                guard copied == expected else {
                    throw Self.mismatch(layout, expected: expected, copied: copied)
                }
                let result = StoreCopyTable(name: layout.name, rows: copied.rowCount, digest: copied.hex)
                results.append(result)
                progress(.verified(result))
            }
            // Planner statistics with the data, not a minute later from autovacuum: on tables it still
            // believes empty, PostgreSQL picks nested loops that take seconds for a search.
            for layout in ordered { try await pg.execute("ANALYZE \(quotedIdentifier(layout.name))") }
            // The copy is the snapshot, consistent by itself; writes a running server made after it are
            // not part of it, which the operator must hear about.
            let changed = try await source.tablesChangedSinceSnapshot()
            if !changed.isEmpty { progress(.sourceChangedAfterSnapshot(tables: changed)) }
            return results
        }
    }

    /// Refuses a target holding anything but the default experiment a server's start-up inserts, and
    /// removes that one (the source's own experiment "0" is copied with its ids and times).
    static func requireEmptyTarget(_ pg: PGConnection, layouts: [StoreTableLayout], target: String) async throws {
        var occupied: [String] = []
        for layout in layouts {
            let row = try await pg.first("SELECT count(*) AS n FROM (SELECT 1 FROM \(quotedIdentifier(layout.name)) LIMIT 2) AS probe")
            if let count = try row?.int64("n"), count > 0 { occupied.append(layout.name) }
        }
        if occupied == ["experiments"] {
            let defaultOnly = try await pg.first("SELECT count(*) AS n FROM experiments WHERE experiment_id <> 0")
            if try defaultOnly?.int64("n") == 0 {
                try await pg.execute("DELETE FROM experiments WHERE experiment_id = 0")
                return
            }
        }
        guard occupied.isEmpty else {
            throw YardError(.invalidState, "\(target) already holds data (in \(occupied.joined(separator: ", "))); yard db copy only fills an empty store. Name a new schema (?schema=…) or drop this one.")
        }
    }

    /// Inserts every source row of `layout`, a page at a time, and returns the digest of what was sent.
    static func copyRows(of layout: StoreTableLayout, columns: [PGCatalogColumn], from source: any StoreTableSource,
                         into pg: PGConnection) async throws -> StoreTableDigest {
        let byName = Dictionary(columns.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let kinds = layout.columns.map { byName[$0].flatMap { PGColumnKind(dataType: $0.dataType) } ?? .text }
        let keyIndexes = layout.primaryKey.compactMap { layout.columns.firstIndex(of: $0) }
        let overriding = columns.contains(where: \.alwaysIdentity) ? " OVERRIDING SYSTEM VALUE" : ""
        let prefix = "INSERT INTO \(quotedIdentifier(layout.name)) (\(layout.columns.map(quotedIdentifier).joined(separator: ", ")))\(overriding) VALUES "
        let rowPlaceholders = "(" + Array(repeating: "?", count: layout.columns.count).joined(separator: ", ") + ")"
        // PostgreSQL binds at most 65,535 values per statement.
        let batchRows = max(1, min(1000, 65_535 / max(1, layout.columns.count)))
        let pageRows = 5000
        var digest = StoreTableDigest(columnCount: layout.columns.count)
        var after: [StoreValue]?
        while true {
            let page = try await source.rows(of: layout, after: after, limit: pageRows)
            var start = 0
            while start < page.count {
                let batch = page[start..<min(start + batchRows, page.count)]
                var values: [PGValue] = []
                values.reserveCapacity(batch.count * layout.columns.count)
                for row in batch {
                    var canonical: [StoreValue] = []
                    canonical.reserveCapacity(row.count)
                    for (index, value) in row.enumerated() {
                        guard let (bind, stored) = kinds[index].convert(value) else {
                            throw unconvertible(value, layout: layout, column: index, row: row, keyIndexes: keyIndexes)
                        }
                        values.append(bind)
                        canonical.append(stored)
                    }
                    digest.add(canonical)
                }
                let sql = prefix + Array(repeating: rowPlaceholders, count: batch.count).joined(separator: ", ")
                do {
                    try await pg.execute(sql, values)
                } catch where !PGErrors.isRetryable(error) && !PGErrors.isUnavailable(error) {
                    let reason = (error as? PSQLError)?.serverInfo?[.message] ?? "\(error)"
                    throw YardError(.invalidState, "Copying table \(layout.name) failed: \(reason). Nothing was committed.")
                }
                start += batchRows
            }
            guard page.count == pageRows, !layout.primaryKey.isEmpty, let last = page.last else { break }
            after = keyIndexes.map { last[$0] }
        }
        return digest
    }

    /// The digest of every row of `layout` as PostgreSQL now holds it (the columns in the source's order).
    static func readBack(_ layout: StoreTableLayout, columns: [PGCatalogColumn], from pg: PGConnection) async throws -> StoreTableDigest {
        let byName = Dictionary(columns.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let kinds = layout.columns.map { byName[$0].flatMap { PGColumnKind(dataType: $0.dataType) } ?? .text }
        let statement = PGStatement("SELECT \(layout.columns.map(quotedIdentifier).joined(separator: ", ")) FROM \(quotedIdentifier(layout.name))")
        let rows = try await pg.connection.query(try statement.postgresQuery(), logger: pg.logger)
        var digest = StoreTableDigest(columnCount: layout.columns.count)
        for try await row in rows {
            var values: [StoreValue] = []
            values.reserveCapacity(kinds.count)
            for (index, cell) in row.enumerated() { values.append(try kinds[index].read(cell)) }
            digest.add(values)
        }
        return digest
    }

    /// Moves each sequence-backed column's sequence past the highest copied id (or the source's remembered
    /// AUTOINCREMENT floor), so the next insert does not collide with a copied row.
    static func advanceSequences(_ pg: PGConnection, schema: String, catalog: PGTableCatalog, layouts: [StoreTableLayout],
                                 floors: [String: Int64]) async throws {
        for layout in layouts {
            for column in catalog.columns[layout.name] ?? [] where column.usesSequence {
                let floor = layout.primaryKey == [column.name] ? floors[layout.name] ?? 0 : 0
                try await pg.execute("""
                    SELECT setval(seq, GREATEST(used, ?), true)
                    FROM (SELECT pg_get_serial_sequence(?, ?) AS seq,
                                 (SELECT COALESCE(max(\(quotedIdentifier(column.name))), 0) FROM \(quotedIdentifier(layout.name))) AS used) AS s
                    WHERE seq IS NOT NULL AND GREATEST(used, ?) > 0
                    """, [.int(floor), .text("\(quotedIdentifier(schema)).\(quotedIdentifier(layout.name))"), .text(column.name), .int(floor)])
            }
        }
    }

    static func unconvertible(_ value: StoreValue, layout: StoreTableLayout, column: Int, row: [StoreValue], keyIndexes: [Int]) -> YardError {
        let key = keyIndexes.map { "\(layout.columns[$0])=\(literal(row[$0]))" }.joined(separator: ", ")
        return YardError(.invalidState, "Table \(layout.name), row \(key.isEmpty ? "?" : key): column \(layout.columns[column]) holds \(describe(value)), which its PostgreSQL column cannot store unchanged. Nothing was committed.")
    }

    static func mismatch(_ layout: StoreTableLayout, expected: StoreTableDigest, copied: StoreTableDigest) -> YardError {
        let columns = expected.differingColumns(comparedWith: copied).map { layout.columns[$0] }
        var message = "Table \(layout.name) differs after the copy: the source has \(expected.rowCount) rows (digest \(expected.hex)), PostgreSQL \(copied.rowCount) (digest \(copied.hex))"
        message += "; \(expected.rowsMissing(from: copied)) source rows have no identical copy"
        if !columns.isEmpty { message += "; differing columns: \(columns.joined(separator: ", "))" }
        return YardError(.invalidState, message + ". Nothing was committed.")
    }

    static func describe(_ value: StoreValue) -> String {
        switch value {
        case .null: return "NULL"
        case .integer: return "the integer \(literal(value))"
        case .real: return "the real \(literal(value))"
        case .text: return "the text \(literal(value))"
        case .blob(let bytes): return "a \(bytes.count)-byte blob"
        }
    }

    static func literal(_ value: StoreValue) -> String {
        switch value {
        case .null: return "NULL"
        case .integer(let number): return "\(number)"
        case .real(let number): return "\(number)"
        case .text(let text): return "'\(text.count > 60 ? text.prefix(60) + "…" : text)'"
        case .blob(let bytes): return "<\(bytes.count) bytes>"
        }
    }
}
