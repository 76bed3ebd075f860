import YardCore
import Foundation

/// The drift report as a terminal table, a summary line and the skipped columns.
public enum DriftReportText {
    /// `colour` adds ANSI colours to the verdicts and the summary (only for a terminal).
    public static func render(_ report: DriftReport, colour: Bool = false) -> String {
        var lines = [
            "Reference: \(printable(report.reference)) (\(report.referenceRows) rows)",
            "Current:   \(printable(report.current)) (\(report.currentRows) rows)",
            "",
        ]
        if report.columns.isEmpty {
            lines.append("No column was tested.")
        } else {
            lines.append(contentsOf: table(report.columns, colour: colour))
        }
        lines.append("")
        let summary = summaryLine(report)
        lines.append(colour ? paint(summary, report.datasetDrift ? red : green, bold: true) : summary)
        if !report.skipped.isEmpty {
            lines.append("")
            lines.append("Skipped \(report.skipped.count) column\(report.skipped.count == 1 ? "" : "s"):")
            for skipped in report.skipped {
                lines.append("  \(printable(skipped.column)): \(printable(skipped.reason))")
            }
        }
        return lines.joined(separator: "\n")
    }

    /// "2 of 7 columns drifted (28.6%); dataset drift: no (threshold 50%)".
    public static func summaryLine(_ report: DriftReport) -> String {
        let tested = report.testedCount
        return "\(report.driftedCount) of \(tested) column\(tested == 1 ? "" : "s") drifted (\(percent(report.shareDrifted, digits: 1))); "
            + "dataset drift: \(report.datasetDrift ? "yes" : "no") (threshold \(percent(report.driftShare, digits: nil)))"
    }

    static func table(_ columns: [ColumnDrift], colour: Bool) -> [String] {
        let header = ["COLUMN", "KIND", "TEST", "SCORE", "THRESHOLD", "VERDICT"]
        let rows = columns.map { drift -> [String] in
            let (score, threshold) = scoreTexts(drift.result.score, drift.result.threshold)
            let kind = drift.role == .feature ? drift.kind.rawValue : "\(drift.kind.rawValue) (\(drift.role.rawValue))"
            return [printable(drift.column), kind, drift.test, score, threshold, drift.result.drifted ? "drift" : "no drift"]
        }
        let widths = header.indices.map { index in ([header[index]] + rows.map { $0[index] }).map(\.count).max() ?? 0 }
        // Padding is measured on the plain text; colour codes are wrapped around the padded cell.
        func line(_ cells: [String], drifted: Bool?) -> String {
            cells.enumerated().map { index, cell in
                let isLast = index == cells.count - 1
                let padded = isLast ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
                guard colour, isLast, let drifted else { return padded }
                return paint(padded, drifted ? red : green, bold: drifted)
            }.joined(separator: "  ")
        }
        let rule = widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")
        return [line(header, drifted: nil), rule] + zip(rows, columns).map { line($0.0, drifted: $0.1.result.drifted) }
    }

    /// Score and threshold with four significant digits, or more when four would print them equal
    /// (a p-value of 0.04996 against 0.05 must not read "0.05 0.05 drift").
    static func scoreTexts(_ score: Double, _ threshold: Double) -> (String, String) {
        for digits in [4, 8, 17] {
            let pair = (format(score, digits: digits), format(threshold, digits: digits))
            if pair.0 != pair.1 || score == threshold { return pair }
        }
        return (format(score, digits: 17), format(threshold, digits: 17))
    }

    static func format(_ value: Double, digits: Int) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        return String(format: "%.\(digits)g", value)
    }

    static func percent(_ share: Double, digits: Int?) -> String {
        guard share.isFinite else { return "-" }
        if let digits { return String(format: "%.\(digits)f%%", share * 100) }
        return String(format: "%g%%", share * 100)
    }

    static let red = "31", green = "32"

    static func paint(_ text: String, _ code: String, bold: Bool) -> String {
        "\u{1B}[\(bold ? "1;" : "")\(code)m\(text)\u{1B}[0m"
    }

    /// Column names and labels come from user files: a crafted header cannot drive the terminal.
    public static func printable(_ text: String) -> String {
        TerminalText.printable(text)
    }
}
