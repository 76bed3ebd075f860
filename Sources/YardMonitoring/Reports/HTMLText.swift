import Foundation
import YardCore

/// Escaping for text that lands in HTML or SVG, inside elements or quoted attributes.
enum HTMLText {
    static func escape(_ text: String) -> String {
        HTMLEscaping.escaped(text, showingControlCharacters: true)
    }

    /// A coordinate with one decimal: enough for a chart, short in the file.
    static func coordinate(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.1f", rounded)
    }

    /// A share 0...1 as a percentage for labels.
    static func percent(_ share: Double) -> String {
        guard share.isFinite else { return "-" }
        let value = share * 100
        if value != 0 && abs(value) < 0.1 { return String(format: "%.2g%%", value) }
        return String(format: "%.1f%%", value)
    }

    /// A bin edge or axis value, short.
    static func axisNumber(_ value: Double) -> String {
        guard value.isFinite else { return "-" }
        return String(format: "%.4g", value)
    }
}
