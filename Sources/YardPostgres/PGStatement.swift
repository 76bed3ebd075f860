import NIOCore
import PostgresNIO
import YardCore

/// One value bound to a statement. Statements never splice user values into SQL text; they bind each one,
/// typed, so `?` next to a BIGINT column must get `.int`, next to TEXT `.text`.
enum PGValue: Sendable, Hashable {
    case text(String)
    case int(Int64)
    case double(Double)
    case bool(Bool)
    case bytes([UInt8])
    case textArray([String])
    case intArray([Int64])
    case null

    static func text(_ value: String?) -> PGValue { value.map { .text($0) } ?? .null }
    static func int(_ value: Int64?) -> PGValue { value.map { .int($0) } ?? .null }
    static func int(_ value: Int) -> PGValue { .int(Int64(value)) }
    static func double(_ value: Double?) -> PGValue { value.map { .double($0) } ?? .null }

    func bind(into bindings: inout PostgresBindings) {
        switch self {
        case .text(let value): bindings.append(value)
        case .int(let value): bindings.append(value)
        case .double(let value): bindings.append(value)
        case .bool(let value): bindings.append(value)
        case .bytes(let value): bindings.append(ByteBuffer(bytes: value))
        case .textArray(let value): bindings.append(value)
        case .intArray(let value): bindings.append(value)
        case .null: bindings.appendNull()
        }
    }
}

/// SQL with `?` placeholders and the values they bind, in order; `query` renumbers the placeholders to
/// PostgreSQL's `$1…$n`. Lets search translation compose fragments the way the SQLite store does.
struct PGStatement: Sendable {
    var sql: String
    var values: [PGValue]

    init(_ sql: String, _ values: [PGValue] = []) {
        self.sql = sql
        self.values = values
    }

    mutating func and(_ other: PGStatement) {
        sql += " AND (\(other.sql))"
        values += other.values
    }

    mutating func append(_ other: PGStatement) {
        sql += other.sql
        values += other.values
    }

    /// The statement as PostgresNIO sends it: `?` outside quoted text becomes `$n`.
    func postgresQuery() throws -> PostgresQuery {
        var rendered = ""
        rendered.reserveCapacity(sql.utf8.count + values.count * 2)
        var index = 0
        var quote: Character?
        for character in sql {
            if let open = quote {
                if character == open { quote = nil }
                rendered.append(character)
            } else if character == "'" || character == "\"" {
                quote = character
                rendered.append(character)
            } else if character == "?" {
                index += 1
                rendered += "$\(index)"
            } else {
                rendered.append(character)
            }
        }
        guard index == values.count else {
            throw YardError(.internalError, "A PostgreSQL statement has \(index) placeholders but \(values.count) values.")
        }
        var bindings = PostgresBindings(capacity: values.count)
        for value in values { value.bind(into: &bindings) }
        return PostgresQuery(unsafeSQL: rendered, binds: bindings)
    }
}

/// One result row, read by column name. Integer columns are BIGINT and read as Int64, real ones DOUBLE
/// PRECISION; a missing column or a type mismatch throws (a schema bug, reported as an internal error).
struct PGRow: Sendable {
    /// Split into cells once per row: `PostgresRow.makeRandomAccess()` copies every cell, so calling it per
    /// read made decoding a page quadratic in the column count.
    let cells: PostgresRandomAccessRow

    init(row: PostgresRow) { cells = row.makeRandomAccess() }

    private func cell(_ column: String) throws -> PostgresCell {
        // PostgresNIO traps on an unknown name; a statement and its reader disagreeing is our bug, not a crash.
        guard cells.contains(column) else {
            throw YardError(.internalError, "A PostgreSQL result has no column \"\(column)\".")
        }
        return cells[column]
    }

    func string(_ column: String) throws -> String { try cell(column).decode(String.self) }
    func optionalString(_ column: String) throws -> String? { try cell(column).decode(String?.self) }
    func int64(_ column: String) throws -> Int64 { try cell(column).decode(Int64.self) }
    func optionalInt64(_ column: String) throws -> Int64? { try cell(column).decode(Int64?.self) }
    func int(_ column: String) throws -> Int { Int(try int64(column)) }
    func double(_ column: String) throws -> Double { try cell(column).decode(Double.self) }
    func optionalDouble(_ column: String) throws -> Double? { try cell(column).decode(Double?.self) }
    func bool(_ column: String) throws -> Bool { try cell(column).decode(Bool.self) }
    func bytes(_ column: String) throws -> [UInt8] {
        let buffer = try cell(column).decode(ByteBuffer.self)
        return Array(buffer.readableBytesView)
    }
    func optionalBytes(_ column: String) throws -> [UInt8]? {
        try cell(column).decode(ByteBuffer?.self).map { Array($0.readableBytesView) }
    }
    func stringArray(_ column: String) throws -> [String] { try cell(column).decode([String].self) }
}

/// A connection inside one transaction of the store (see `PostgresStore.write` and `read`).
struct PGConnection {
    let connection: PostgresConnection
    let logger: Logger

    /// Runs `sql` and returns every row. For UPDATE and DELETE, add `RETURNING 1` to count affected rows.
    @discardableResult
    func query(_ sql: String, _ values: [PGValue] = []) async throws -> [PGRow] {
        try await query(PGStatement(sql, values))
    }

    @discardableResult
    func query(_ statement: PGStatement) async throws -> [PGRow] {
        // The future-based query gathers the rows on the connection's event loop and hands them over once;
        // iterating the async row sequence cost a task switch per batch of rows, which profiling showed
        // outweighing the decoding on pages of a thousand runs.
        let result = try await connection.query(try statement.postgresQuery(), logger: logger).get()
        return result.rows.map(PGRow.init(row:))
    }

    /// The first row, or nil.
    func first(_ sql: String, _ values: [PGValue] = []) async throws -> PGRow? {
        try await query(sql, values).first
    }

    func first(_ statement: PGStatement) async throws -> PGRow? {
        try await query(statement).first
    }

    /// Runs a statement for its effect; returns how many rows it returned (use `RETURNING 1` to count).
    @discardableResult
    func execute(_ sql: String, _ values: [PGValue] = []) async throws -> Int {
        try await query(sql, values).count
    }

    /// Runs `body` inside a savepoint, so a failure it catches (a unique violation it expects) does not abort
    /// the surrounding transaction: PostgreSQL refuses every later statement of a transaction after an error.
    func savepoint<T>(_ body: () async throws -> T) async throws -> T {
        try await execute("SAVEPOINT yard_step")
        do {
            let value = try await body()
            try await execute("RELEASE SAVEPOINT yard_step")
            return value
        } catch {
            try await execute("ROLLBACK TO SAVEPOINT yard_step")
            throw error
        }
    }
}

enum PGErrors {
    /// The SQLSTATE of a server error, e.g. 23505 for a unique violation.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    static func isUniqueViolation(_ error: any Error) -> Bool { sqlState(error) == "23505" }
    static func isForeignKeyViolation(_ error: any Error) -> Bool { sqlState(error) == "23503" }

    /// Serialization failures and deadlocks: the transaction lost a race and can run again from the start.
    static func isRetryable(_ error: any Error) -> Bool {
        let state = sqlState(error)
        return state == "40001" || state == "40P01"
    }

    /// The server cannot be reached or went away (restart, network): a 503 the client may retry.
    static func isUnavailable(_ error: any Error) -> Bool {
        if let psql = error as? PSQLError {
            switch psql.code {
            case .connectionError, .serverClosedConnection, .uncleanShutdown, .poolClosed, .clientClosedConnection:
                return true
            default:
                break
            }
            // admin_shutdown, crash_shutdown, cannot_connect_now; insufficient resources (too many connections,
            // out of memory or lock table space, disk full): the server's state, not the request's fault.
            if let state = psql.serverInfo?[.sqlState] {
                return state.hasPrefix("57P") || state.hasPrefix("53") || state.hasPrefix("08")
            }
            return false
        }
        return error is ChannelError || error is IOError
    }
}
