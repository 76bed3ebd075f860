/// The chart settings every chart form shares (log scale, smoothing), so the run and compare pages read
/// them from the same query names with the same bounds.
enum ChartControls {
    static func logAndSmoothing(logY: Bool, smoothing: Double, into html: inout HTML) {
        html.element("label") { label in
            label.void("input", [Attribute("type", "checkbox"), Attribute("name", "log"), Attribute("value", "1"), .flag("checked", logY)])
            label.text(" log scale")
        }
        html.element("label") { label in
            label.text("smoothing ")
            label.void("input", [Attribute("type", "number"), Attribute("name", "smooth"), Attribute("min", "0"), Attribute("max", "0.99"),
                                 Attribute("step", "0.01"), Attribute("value", smoothingText(smoothing))])
        }
    }

    /// `0.6`, `0.95`, `0`: two decimals at most, no trailing zeros.
    static func smoothingText(_ smoothing: Double) -> String {
        String(format: "%.2f", smoothing).replacingOccurrences(of: "\\.?0+$", with: "", options: .regularExpression)
    }
}
