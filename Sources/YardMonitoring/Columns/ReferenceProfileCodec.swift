/// A compact binary form of a loaded table, so a monitor reads its reference dataset once and keeps it.
public enum ReferenceProfileCodec {
    public static func encode(columns: [LoadedColumn], rowCount: Int, label: String) -> [UInt8] {
        []
    }

    public static func encode(_ table: LoadedTable) -> [UInt8] {
        encode(columns: table.columns, rowCount: table.rowCount, label: table.label)
    }

    /// Throws `DriftError` for bytes that are not a profile this version wrote.
    public static func decode(_ bytes: [UInt8]) throws -> LoadedTable {
        throw DriftError("Reference profiles are not implemented yet.")
    }
}
