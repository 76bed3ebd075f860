/// Runs Evidently's data-drift preset over two tables: every column in both is typed, given a test and
/// a threshold, and tested; columns run in parallel, a few loaded at a time.
public enum DriftEngine {
    /// `progress` is called with each column's name when it is done (tested or skipped).
    public static func run(reference: any ColumnSource, current: any ColumnSource, options: DriftOptions,
                           progress: (@Sendable (String) -> Void)? = nil) async throws -> DriftReport {
        try options.validate()
        throw DriftError("The drift engine is not implemented yet.")
    }
}
