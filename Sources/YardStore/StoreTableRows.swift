/// Table-level access to a store's rows, for moving an installation from one implementation to another
/// (`yard db copy`): every row of every table exactly as stored, ids, timestamps and history included,
/// which the entity protocols cannot reproduce (they assign ids and times themselves).

/// One stored value, in SQLite's five storage classes (every implementation's values map onto them).
public enum StoreValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])

    public static func == (lhs: StoreValue, rhs: StoreValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.integer(a), .integer(b)): return a == b
        // Bit patterns, so NaN equals itself and -0.0 differs from 0.0, as the digest sees them.
        case let (.real(a), .real(b)): return a.bitPattern == b.bitPattern
        case let (.text(a), .text(b)): return a.utf8.elementsEqual(b.utf8)
        case let (.blob(a), .blob(b)): return a == b
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .null: hasher.combine(0)
        case .integer(let value): hasher.combine(1); hasher.combine(value)
        case .real(let value): hasher.combine(2); hasher.combine(value.bitPattern)
        case .text(let value): hasher.combine(3); hasher.combine(Array(value.utf8))
        case .blob(let value): hasher.combine(4); hasher.combine(value)
        }
    }
}

/// A table's name, its columns in the source's order, and the columns of its primary key (which orders
/// the rows and pages through them).
public struct StoreTableLayout: Sendable, Equatable {
    public var name: String
    public var columns: [String]
    public var primaryKey: [String]

    public init(name: String, columns: [String], primaryKey: [String]) {
        self.name = name
        self.columns = columns
        self.primaryKey = primaryKey
    }
}

/// A store read as tables from one consistent snapshot.
public protocol StoreTableSource: Sendable {
    /// Where the rows come from, for messages.
    var displayName: String { get }
    /// Every user table, referenced tables before the tables that refer to them.
    func tableLayouts() async throws -> [StoreTableLayout]
    /// Up to `limit` rows of `table` ordered by its primary key, those after the key `after` (nil: from
    /// the start); each row holds the layout's columns in order.
    func rows(of table: StoreTableLayout, after key: [StoreValue]?, limit: Int) async throws -> [[StoreValue]]
    /// The highest id an auto-incrementing key ever handed out, per table, where the source remembers one
    /// beyond the rows still present (SQLite's AUTOINCREMENT), so the target never reuses it.
    func usedIdFloors() async throws -> [String: Int64]
    /// Tables whose row count is no longer the snapshot's: something wrote to the source during the copy.
    func tablesChangedSinceSnapshot() async throws -> [String]
}

/// A table's content digest: FNV-1a 64 over a canonical encoding of each row (a type tag, then the value:
/// integers and the bit pattern of reals as 8 bytes little-endian, text as UTF-8 and blobs as bytes, both
/// length-prefixed), and then over the row count and the sorted row hashes, so it does not depend on
/// the order rows are read in (the two stores may order a REAL key column differently).
///
/// FNV-1a is not cryptographic: it detects a copy that went wrong, not a forged one. YardStore depends on
/// YardCore only, so no SHA-256 here.
public struct StoreTableDigest: Sendable, Equatable {
    public private(set) var rowCount = 0
    private var rowHashes: [UInt64] = []
    /// Per column, the wrapping sum of its values' hashes: names the columns that differ when digests do.
    private var columnSums: [UInt64]

    public init(columnCount: Int) {
        columnSums = Array(repeating: 0, count: columnCount)
    }

    public mutating func add(_ row: [StoreValue]) {
        var rowHash = FNV1a64()
        for (index, value) in row.enumerated() {
            var columnHash = FNV1a64()
            columnHash.add(value)
            if index < columnSums.count { columnSums[index] &+= columnHash.value }
            rowHash.add(value)
        }
        rowHashes.append(rowHash.value)
        rowCount += 1
    }

    /// The digest as 16 hex digits.
    public var hex: String {
        var hash = FNV1a64()
        hash.add(UInt64(rowCount))
        for rowHash in rowHashes.sorted() { hash.add(rowHash) }
        let text = String(hash.value, radix: 16)
        return String(repeating: "0", count: 16 - text.count) + text
    }

    /// Indexes of the columns whose values differ between the two digests' rows (as multisets).
    public func differingColumns(comparedWith other: StoreTableDigest) -> [Int] {
        columnSums.indices.filter { $0 >= other.columnSums.count || columnSums[$0] != other.columnSums[$0] }
    }

    /// How many rows of this side have no identical row on the other.
    public func rowsMissing(from other: StoreTableDigest) -> Int {
        var remaining: [UInt64: Int] = [:]
        for hash in other.rowHashes { remaining[hash, default: 0] += 1 }
        var missing = 0
        for hash in rowHashes {
            if let count = remaining[hash], count > 0 {
                remaining[hash] = count - 1
            } else {
                missing += 1
            }
        }
        return missing
    }

    public static func == (lhs: StoreTableDigest, rhs: StoreTableDigest) -> Bool {
        lhs.rowCount == rhs.rowCount && lhs.hex == rhs.hex
    }
}

/// FNV-1a, 64 bits.
struct FNV1a64 {
    private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(byte: UInt8) {
        value ^= UInt64(byte)
        value = value &* 0x0000_0100_0000_01b3
    }

    mutating func add(_ word: UInt64) {
        var remaining = word
        for _ in 0..<8 {
            add(byte: UInt8(truncatingIfNeeded: remaining))
            remaining >>= 8
        }
    }

    mutating func add<Bytes: Sequence>(bytes: Bytes) where Bytes.Element == UInt8 {
        for byte in bytes { add(byte: byte) }
    }

    mutating func add(_ value: StoreValue) {
        switch value {
        case .null:
            add(byte: 0)
        case .integer(let number):
            add(byte: 1)
            add(UInt64(bitPattern: number))
        case .real(let number):
            add(byte: 2)
            add(number.bitPattern)
        case .text(let text):
            add(byte: 3)
            add(UInt64(text.utf8.count))
            add(bytes: text.utf8)
        case .blob(let bytes):
            add(byte: 4)
            add(UInt64(bytes.count))
            add(bytes: bytes)
        }
    }
}
