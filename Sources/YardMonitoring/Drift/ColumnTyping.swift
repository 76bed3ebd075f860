/// Decides a column's kind the way Evidently 0.7 does (`evidently/core/datasets.py: infer_column_type`),
/// from the pandas dtype the readers mirror:
///
/// - float → numerical (an integer column with a missing cell is float in pandas, so numerical too);
/// - integer → categorical when it has at most 10 distinct values, numerical otherwise;
/// - string → text when its distinct values are more than half its non-missing values, else categorical;
/// - boolean → categorical; a boolean column with missing cells is an object column of `True`/`False`
///   in pandas, which Evidently leaves untyped, so it is skipped;
/// - every cell missing → skipped.
///
/// `Report.run` builds its data definition from the **current** dataset only (the reference is typed
/// separately and its types are not used), so inference reads the current column. A kind the mapping
/// forces wins over inference. Text and datetime columns are not drift-tested here.
public enum ColumnTyping {
    public enum Decision: Sendable, Equatable {
        case tested(ColumnKind)
        case skipped(String)
    }

    /// Evidently's `INTEGER_CARDINALITY_LIMIT`.
    public static let integerCategoryLimit = 10

    /// The kind Evidently infers for a column, or why it would not be typed.
    public static func inferredKind(of column: LoadedColumn) -> Decision {
        switch column.valueType {
        case .float:
            return .tested(.numerical)
        case .integer:
            return .tested(column.sample.distinctCount(union: ColumnSample(numbers: [])) <= integerCategoryLimit
                           ? .categorical : .numerical)
        case .boolean:
            if column.sample.missing > 0 {
                return .skipped("boolean values with missing cells: pandas reads them as an untyped object column, which Evidently does not test; map the column as categorical to test it")
            }
            return .tested(.categorical)
        case .string:
            if case .counts(let counts) = column.sample.values, counts.keys.contains(where: { if case .number = $0 { return true } else { return false } }) {
                return .skipped("mixes numbers and strings, which Evidently leaves untyped; map the column as categorical to test it")
            }
            let distinct = column.sample.distinctCount(union: ColumnSample(counts: [:]))
            if Double(distinct) > Double(column.sample.count) * 0.5 {
                return .skipped("text column (\(distinct) distinct values in \(column.sample.count)); text drift is not tested, map it as categorical to test it")
            }
            return .tested(.categorical)
        case .empty:
            return .skipped("every value is missing in the current data")
        }
    }

    /// The kind used for a column present on both sides: the mapping's, else the current data's
    /// inference; skipped when a side has no values or the kind does not fit the values.
    public static func decide(column name: String, reference: LoadedColumn, current: LoadedColumn,
                              mapping: ColumnMapping) -> Decision {
        let decision: Decision
        switch mapping.forcedKind(of: name) {
        case .text?: return .skipped("text column (by the column mapping); text drift is not tested")
        case .datetime?: return .skipped("datetime column (by the column mapping); not drift-tested")
        case let kind?: decision = .tested(kind)
        case nil: decision = inferredKind(of: current)
        }
        guard case .tested(let kind) = decision else { return decision }
        if reference.sample.count == 0 { return .skipped("every value is missing in the reference data") }
        if current.sample.count == 0 { return .skipped("every value is missing in the current data") }
        if kind == .numerical {
            for (side, column) in [("reference", reference), ("current", current)] where column.sample.numbers == nil {
                return .skipped("numerical, but the \(side) data holds text values (e.g. '\(sampleText(column.sample))'); map it as categorical or fix the data")
            }
        }
        return .tested(kind)
    }

    private static func sampleText(_ sample: ColumnSample) -> String {
        guard case .counts(let counts) = sample.values else { return "" }
        return counts.keys.first { if case .text = $0 { return true } else { return false } }?.description ?? ""
    }
}
