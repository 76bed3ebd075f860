import YardJSON

/// The drift report as JSON, in the shape `yard drift --json` prints and monitor evaluations store.
/// Key order is fixed so the output is byte-stable for the same report.
public enum DriftReportJSON {
    public static func json(_ report: DriftReport) -> JSONValue {
        .object([
            ("reference", .string(report.reference)),
            ("current", .string(report.current)),
            ("reference_rows", .int(report.referenceRows)),
            ("current_rows", .int(report.currentRows)),
            ("drift_share", number(report.driftShare)),
            ("tested_columns", .int(report.testedCount)),
            ("drifted_columns", .int(report.driftedCount)),
            ("share_drifted", number(report.shareDrifted)),
            ("dataset_drift", .bool(report.datasetDrift)),
            ("columns", columns(report.columns)),
            ("skipped", skipped(report.skipped)),
        ])
    }

    /// The `columns` array alone (a monitor evaluation's `result.columns`).
    public static func columns(_ columns: [ColumnDrift]) -> JSONValue {
        .array(columns.map(column))
    }

    public static func skipped(_ skipped: [SkippedColumn]) -> JSONValue {
        .array(skipped.map { .object([("column", .string($0.column)), ("reason", .string($0.reason))]) })
    }

    public static func column(_ drift: ColumnDrift) -> JSONValue {
        let result = drift.result
        return .object([
            ("column", .string(drift.column)),
            ("role", .string(drift.role.rawValue)),
            ("kind", .string(drift.kind.rawValue)),
            ("stattest", .string(drift.test)),
            ("stattest_title", .string(drift.testTitle)),
            ("score_kind", .string(drift.scoreKind.rawValue)),
            ("statistic", result.statistic.map(number) ?? .null),
            ("p_value", result.pValue.map(number) ?? .null),
            ("score", number(result.score)),
            ("threshold", number(result.threshold)),
            ("drifted", .bool(result.drifted)),
            ("reference_count", .int(drift.referenceCount)),
            ("current_count", .int(drift.currentCount)),
            ("reference_missing", .int(drift.referenceMissing)),
            ("current_missing", .int(drift.currentMissing)),
        ])
    }

    /// Shortest text that parses back to the same double; NaN and ±infinity are not JSON, so they become
    /// null (YardJSON's `.double` writes them as strings, MLflow's convention for metrics, which a
    /// consumer of drift scores would then have to special-case).
    public static func number(_ value: Double) -> JSONValue {
        value.isFinite ? .double(value) : .null
    }

    /// The report as UTF-8 JSON text (one line, no trailing newline).
    public static func text(_ report: DriftReport) -> String {
        String(decoding: JSONWriter.bytes(json(report)), as: UTF8.self)
    }
}
