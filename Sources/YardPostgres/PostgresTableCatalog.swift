import PostgresNIO
import YardCore
import YardStore

/// How a PostgreSQL column's values are bound and read back when rows are copied in.
enum PGColumnKind: Sendable {
    case integer, real, text, bytes, boolean

    init?(dataType: String) {
        switch dataType {
        case "bigint", "integer", "smallint": self = .integer
        case "double precision", "real": self = .real
        case "text", "character varying", "character": self = .text
        case "bytea": self = .bytes
        case "boolean": self = .boolean
        default: return nil
        }
    }

    /// The source value as this column stores it, both as a bind and as the value the digest sees (what
    /// reading the column back yields). Only lossless conversions: an integer-valued REAL into a BIGINT,
    /// 0/1 into a BOOLEAN; anything else is refused.
    func convert(_ value: StoreValue) -> (PGValue, StoreValue)? {
        switch (self, value) {
        case (_, .null): return (.null, .null)
        case (.integer, .integer(let number)): return (.int(number), value)
        case (.integer, .real(let number)):
            guard let exact = Int64(exactly: number) else { return nil }
            return (.int(exact), .integer(exact))
        case (.real, .real(let number)): return (.double(number), value)
        case (.real, .integer(let number)):
            guard let exact = Double(exactly: number) else { return nil }
            return (.double(exact), .real(exact))
        case (.text, .text(let text)):
            // PostgreSQL text cannot hold NUL.
            guard !text.utf8.contains(0) else { return nil }
            return (.text(text), value)
        case (.bytes, .blob(let bytes)): return (.bytes(bytes), value)
        case (.boolean, .integer(let number)):
            guard number == 0 || number == 1 else { return nil }
            return (.bool(number == 1), value)
        default: return nil
        }
    }

    /// A cell read back, as the digest sees it.
    func read(_ cell: PostgresCell) throws -> StoreValue {
        switch self {
        case .integer: return try cell.decode(Int64?.self).map { .integer($0) } ?? .null
        case .real: return try cell.decode(Double?.self).map { .real($0) } ?? .null
        case .text: return try cell.decode(String?.self).map { .text($0) } ?? .null
        case .bytes: return try cell.decode(ByteBuffer?.self).map { .blob(Array($0.readableBytesView)) } ?? .null
        case .boolean: return try cell.decode(Bool?.self).map { .integer($0 ? 1 : 0) } ?? .null
        }
    }
}

struct PGCatalogColumn: Sendable {
    let name: String
    let dataType: String
    /// GENERATED ALWAYS AS IDENTITY: explicit values need OVERRIDING SYSTEM VALUE.
    let alwaysIdentity: Bool
    /// Backed by a sequence (serial, or an identity column) that must move past the copied ids.
    let usesSequence: Bool
}

/// The base tables of the store's schema (without the migrations' bookkeeping), their columns, and the
/// foreign keys between them.
struct PGTableCatalog: Sendable {
    var columns: [String: [PGCatalogColumn]] = [:]
    var references: [String: Set<String>] = [:]

    var tableNames: Set<String> { Set(columns.keys) }

    static func read(_ pg: PGConnection, schema: String) async throws -> PGTableCatalog {
        var catalog = PGTableCatalog()
        let rows = try await pg.query("""
            SELECT c.table_name::text AS table_name, c.column_name::text AS column_name, c.data_type::text AS data_type,
                   (c.is_identity = 'YES' AND c.identity_generation = 'ALWAYS') AS always_identity,
                   (c.is_identity = 'YES' OR COALESCE(c.column_default::text, '') LIKE 'nextval(%') AS uses_sequence
            FROM information_schema.columns c
            JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE c.table_schema = ? AND t.table_type = 'BASE TABLE' AND c.table_name <> 'yard_migrations'
            ORDER BY c.table_name, c.ordinal_position
            """, [.text(schema)])
        for row in rows {
            let column = PGCatalogColumn(name: try row.string("column_name"), dataType: try row.string("data_type"),
                                         alwaysIdentity: try row.bool("always_identity"),
                                         usesSequence: try row.bool("uses_sequence"))
            catalog.columns[try row.string("table_name"), default: []].append(column)
        }
        let keys = try await pg.query("""
            SELECT child.relname::text AS child, parent.relname::text AS parent
            FROM pg_constraint k
            JOIN pg_class child ON child.oid = k.conrelid
            JOIN pg_class parent ON parent.oid = k.confrelid
            JOIN pg_namespace n ON n.oid = child.relnamespace
            WHERE k.contype = 'f' AND n.nspname = ?
            """, [.text(schema)])
        for row in keys {
            let child = try row.string("child")
            let parent = try row.string("parent")
            if child != parent { catalog.references[child, default: []].insert(parent) }
        }
        return catalog
    }

    /// Differences between the source's tables and columns and these, one line each; empty when they match.
    func differences(from layouts: [StoreTableLayout], sourceName: String) -> [String] {
        var problems: [String] = []
        let sourceTables = Set(layouts.map(\.name))
        for name in sourceTables.subtracting(tableNames).sorted() {
            problems.append("table \(name) exists only in \(sourceName)")
        }
        for name in tableNames.subtracting(sourceTables).sorted() {
            problems.append("table \(name) exists only in PostgreSQL")
        }
        for layout in layouts {
            guard let target = columns[layout.name] else { continue }
            let targetNames = Set(target.map(\.name))
            let sourceNames = Set(layout.columns)
            for column in sourceNames.subtracting(targetNames).sorted() {
                problems.append("column \(layout.name).\(column) exists only in \(sourceName)")
            }
            for column in targetNames.subtracting(sourceNames).sorted() {
                problems.append("column \(layout.name).\(column) exists only in PostgreSQL")
            }
            for column in target where PGColumnKind(dataType: column.dataType) == nil {
                problems.append("column \(layout.name).\(column.name) has the type \(column.dataType), which the copy does not handle")
            }
        }
        return problems
    }

    /// The source's tables reordered so each comes after the tables PostgreSQL's foreign keys make it
    /// reference; ties keep the source's order.
    func insertionOrder(_ layouts: [StoreTableLayout]) throws -> [StoreTableLayout] {
        var remaining = layouts
        var placed: [StoreTableLayout] = []
        var done = Set<String>()
        while !remaining.isEmpty {
            guard let next = remaining.firstIndex(where: { (references[$0.name] ?? []).subtracting(done).isEmpty }) else {
                throw YardError(.invalidState, "The PostgreSQL tables \(remaining.map(\.name).joined(separator: ", ")) reference each other in a cycle; they cannot be filled in order.")
            }
            let layout = remaining.remove(at: next)
            placed.append(layout)
            done.insert(layout.name)
        }
        return placed
    }
}

func quotedIdentifier(_ identifier: String) -> String {
    "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}
