/// Opens a CSV (`.csv`) or JSON-lines (`.jsonl`, `.ndjson`) file as a column source; other extensions
/// are sniffed from the first byte (`{` means JSON lines). Reads the whole file once, spilling each
/// column to a temporary file; `label` defaults to the path.
public func openTable(path: String, label: String? = nil) throws -> any ColumnSource {
    throw DriftError("Reading \(path): the table readers are not implemented yet.")
}
