import Foundation

/// One column of a plot over runs (a param or a metric): one value per item, in item order. Numbers go on a
/// linear axis; anything else (an optimizer's name, `True`/`False`) on evenly spaced categories.
public struct PlotColumn: Sendable {
    public enum Values: Sendable {
        case numeric([Double?])
        case categorical([String?])
    }

    public var label: String
    public var values: Values

    public init(label: String, values: Values) {
        self.label = label
        self.values = values
    }

    /// Numeric when every present value reads as a finite number (params are stored as text), else categorical.
    public static func inferred(label: String, texts: [String?]) -> PlotColumn {
        var numbers: [Double?] = []
        numbers.reserveCapacity(texts.count)
        for text in texts {
            guard let text else {
                numbers.append(nil)
                continue
            }
            guard let number = Double(text.trimmingCharacters(in: .whitespaces)), number.isFinite else {
                return PlotColumn(label: label, values: .categorical(texts))
            }
            numbers.append(number)
        }
        return PlotColumn(label: label, values: .numeric(numbers))
    }
}

/// Where a column's values fall along one pixel interval: linear for numbers, the centre of an evenly spaced
/// band for each category (sorted, so the same values always land in the same place). Missing values have no
/// position; plots put them in a "missing" slot of their own.
struct PlotAxisScale {
    private enum Kind {
        case linear(LinearScale, [Double?])
        case bands(categories: [String], indexOf: [String: Int], values: [String?])
    }

    private let kind: Kind
    let start: Double
    let end: Double

    init(_ column: PlotColumn, range start: Double, _ end: Double) {
        self.start = start
        self.end = end
        switch column.values {
        case .numeric(let values):
            let present = values.compactMap { $0 }
            kind = .linear(LinearScale(domain: present.min() ?? 0, present.max() ?? 1, range: start, end), values)
        case .categorical(let values):
            let categories = Set(values.compactMap { $0 }).sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
            let indexOf = Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($1, $0) })
            kind = .bands(categories: categories, indexOf: indexOf, values: values)
        }
    }

    var isCategorical: Bool {
        if case .bands = kind { return true }
        return false
    }

    /// The width of one category's band (the whole range for numbers).
    var bandWidth: Double {
        switch kind {
        case .linear: return end - start
        case .bands(let categories, _, _): return (end - start) / Double(max(categories.count, 1))
        }
    }

    func position(ofItem index: Int) -> Double? {
        switch kind {
        case .linear(let scale, let values):
            guard index < values.count, let value = values[index] else { return nil }
            return scale(value)
        case .bands(_, let indexOf, let values):
            guard index < values.count, let value = values[index], let band = indexOf[value] else { return nil }
            return start + (Double(band) + 0.5) * bandWidth
        }
    }

    /// The item's value as the axis shows it, for hover titles.
    func label(ofItem index: Int) -> String {
        switch kind {
        case .linear(_, let values):
            guard index < values.count, let value = values[index] else { return "–" }
            return Format.number(value)
        case .bands(_, _, let values):
            guard index < values.count, let value = values[index] else { return "–" }
            return value
        }
    }

    /// Tick positions and labels; a long category list is thinned to about `maxLabels` so labels never overlap.
    func ticks(maxLabels: Int) -> [(position: Double, label: String)] {
        switch kind {
        case .linear(let scale, _):
            return scale.ticks(5).map { (scale($0), Format.number($0)) }
        case .bands(let categories, _, _):
            let stride = max(1, (categories.count + maxLabels - 1) / max(maxLabels, 1))
            return categories.enumerated().filter { $0.offset % stride == 0 }.map { index, category in
                (start + (Double(index) + 0.5) * bandWidth, category)
            }
        }
    }

    /// A value between 0 and 1 for colouring: the linear position for numbers, the band index for categories.
    func colour(ofItem index: Int) -> String? {
        switch kind {
        case .linear(let scale, let values):
            guard index < values.count, let value = values[index] else { return nil }
            let t = (scale(value) - start) / (end - start)
            return PlotColour.ramp(t)
        case .bands(_, let indexOf, let values):
            guard index < values.count, let value = values[index], let band = indexOf[value] else { return nil }
            return ChartPalette.color(band)
        }
    }
}

/// One thing plotted (a run): its hover text, where clicking it goes, and its own colour where a plot uses one.
public struct PlotItem: Sendable {
    public var label: String
    public var href: String?
    public var color: String

    public init(label: String, href: String? = nil, color: String = "#1f6feb") {
        self.label = label
        self.href = href
        self.color = color
    }
}

/// Colours shared by the plots over runs.
enum PlotColour {
    static let missing = "#8c959f"
    private static let low = (r: 59.0, g: 76.0, b: 192.0)
    private static let middle = (r: 221.0, g: 221.0, b: 221.0)
    private static let high = (r: 180.0, g: 4.0, b: 38.0)

    /// A diverging blue – grey – red ramp (low values blue, high red), `t` in [0, 1].
    static func ramp(_ t: Double) -> String {
        let t = t.isFinite ? min(1, max(0, t)) : 0.5
        let (from, to, u) = t < 0.5 ? (low, middle, t * 2) : (middle, high, (t - 0.5) * 2)
        return hex(from.r + (to.r - from.r) * u, from.g + (to.g - from.g) * u, from.b + (to.b - from.b) * u)
    }

    static func hex(_ r: Double, _ g: Double, _ b: Double) -> String {
        let digits = Array("0123456789abcdef")
        var text = "#"
        for channel in [r, g, b] {
            let value = Int(min(255, max(0, channel.rounded())))
            text.append(digits[value >> 4])
            text.append(digits[value & 0xF])
        }
        return text
    }
}

public struct ParallelCoordinatesOptions: Sendable {
    /// The `id` of the `<svg>` (pages and tests find the plot by it).
    public var id: String
    public var height: Int
    /// Horizontal room per axis; the plot is as wide as its axes need.
    public var axisSpacing: Int

    public init(id: String = "parallel-coordinates", height: Int = 380, axisSpacing: Int = 150) {
        self.id = id
        self.height = height
        self.axisSpacing = axisSpacing
    }
}

/// A parallel-coordinates plot drawn as SVG on the server: one vertical axis per column, one `<polyline>`
/// per item through its values, coloured by the last column (a metric, usually: blue low, red high), with
/// the item's label as the line's `<title>` for hover. A missing value sits in a slot below its axis, so
/// every item is still one unbroken line.
public enum ParallelCoordinates {
    static let top = 34.0
    static let bottom = 46.0
    static let side = 70.0

    public static func render(columns: [PlotColumn], items: [PlotItem], options: ParallelCoordinatesOptions = .init(),
                              into html: inout HTML) {
        guard columns.count >= 2, !items.isEmpty else {
            html.element("p", [.class("empty")], text: "A parallel-coordinates plot needs at least two columns and one run.")
            return
        }
        let width = side * 2 + Double(options.axisSpacing * (columns.count - 1))
        let height = Double(options.height)
        let plotBottom = height - bottom
        let missingY = plotBottom + 22
        let scales = columns.map { PlotAxisScale($0, range: plotBottom, top) }
        let axisX = columns.indices.map { side + Double($0 * options.axisSpacing) }
        let colourScale = scales[scales.count - 1]

        html.open("svg", [.id(options.id), .class("chart parallel-coordinates"),
                          Attribute("viewBox", "0 0 \(LinearScale.pixel(width)) \(options.height)"),
                          Attribute("width", LinearScale.pixel(width)), Attribute("role", "img"),
                          Attribute("aria-label", "Parallel coordinates over " + columns.map(\.label).joined(separator: ", "))])
        // Lines first, axes on top, so tick labels stay readable over a dense bundle.
        html.open("g", [.class("pc-lines")])
        for (index, item) in items.enumerated() {
            var points = ""
            points.reserveCapacity(columns.count * 14)
            for (column, scale) in scales.enumerated() {
                if !points.isEmpty { points += " " }
                points += LinearScale.pixel(axisX[column]) + "," + LinearScale.pixel(scale.position(ofItem: index) ?? missingY)
            }
            let colour = colourScale.colour(ofItem: index) ?? PlotColour.missing
            let title = item.label + " — " + zip(columns, scales).map { "\($0.label) = \($1.label(ofItem: index))" }
                .joined(separator: ", ")
            if let href = item.href, HTML.isSafeHref(href) { html.open("a", [Attribute("href", href)]) }
            html.open("polyline", [.class("pc-line"), Attribute("points", points), Attribute("stroke", colour)])
            html.element("title", text: title)
            html.close("polyline")
            if let href = item.href, HTML.isSafeHref(href) { html.close("a") }
        }
        html.close("g")

        for (column, scale) in scales.enumerated() {
            let x = LinearScale.pixel(axisX[column])
            html.open("g", [.class("axis pc-axis")])
            html.void("line", [Attribute("x1", x), Attribute("x2", x), Attribute("y1", LinearScale.pixel(top)),
                               Attribute("y2", LinearScale.pixel(plotBottom))], selfClosing: true)
            for tick in scale.ticks(maxLabels: 12) {
                let y = LinearScale.pixel(tick.position)
                html.void("line", [Attribute("x1", LinearScale.pixel(axisX[column] - 4)), Attribute("x2", x),
                                   Attribute("y1", y), Attribute("y2", y)], selfClosing: true)
                html.element("text", [Attribute("x", LinearScale.pixel(axisX[column] - 7)), Attribute("y", y),
                                      Attribute("text-anchor", "end"), Attribute("dominant-baseline", "middle")],
                             text: shortened(tick.label, to: 16))
            }
            if items.indices.contains(where: { scale.position(ofItem: $0) == nil }) {
                html.element("text", [.class("pc-missing"), Attribute("x", LinearScale.pixel(axisX[column] - 7)),
                                      Attribute("y", LinearScale.pixel(missingY)), Attribute("text-anchor", "end"),
                                      Attribute("dominant-baseline", "middle")], text: "missing")
            }
            html.open("text", [.class("pc-label"), Attribute("x", x), Attribute("y", "14"), Attribute("text-anchor", "middle")])
            html.text(shortened(columns[column].label, to: 24))
            html.element("title", text: columns[column].label)
            html.close("text")
            html.close("g")
        }
        html.close("svg")
    }

    static func shortened(_ text: String, to length: Int) -> String {
        text.count <= length ? text : String(text.prefix(length - 1)) + "…"
    }
}
