/// Evidently's `_get_default_stattest` (legacy/calculations/stattests/registry.py), used when neither
/// the mapping nor the options name a test. `n_ref` is the reference's non-missing count (NaN and ±inf
/// already dropped); `n_unique` counts distinct values over reference ∪ current.
///
/// | kind        | n_ref ≤ 1000                                   | n_ref > 1000                        |
/// |-------------|------------------------------------------------|-------------------------------------|
/// | numerical   | n_unique ≤ 2: z; 3…5: chisquare; > 5: ks        | n_unique ≤ 5: jensenshannon; > 5: wasserstein |
/// | categorical | n_unique ≤ 2: z; else chisquare                 | jensenshannon                       |
public enum DefaultStatTest {
    public static let largeReference = 1000

    public static func choose(reference: ColumnSample, current: ColumnSample, kind: ColumnKind) -> StatTest {
        let distinct = reference.distinctCount(union: current)
        if reference.count <= largeReference {
            if kind == .numerical, distinct > 5 { return .ks }
            return distinct > 2 ? .chiSquare : .z
        }
        if kind == .numerical, distinct > 5 { return .wasserstein }
        return .jensenShannon
    }
}
