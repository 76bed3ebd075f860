public struct ScatterPlotOptions: Sendable {
    /// The `id` of the `<svg>` (pages and tests find the plot by it).
    public var id: String
    public var width: Int
    public var height: Int

    public init(id: String = "scatter", width: Int = 680, height: Int = 420) {
        self.id = id
        self.width = width
        self.height = height
    }
}

/// A scatter plot of two columns drawn as SVG on the server: one `<circle>` per item that has both values,
/// inside a link to the item with its values as the `<title>`. Numeric columns get linear axes with ticks and
/// grid lines; categorical ones a band per category, with the points of one band spread across it so that
/// equal values do not hide each other.
public enum ScatterPlot {
    static let left = 76.0
    static let right = 18.0
    static let top = 12.0
    static let bottom = 48.0

    /// Returns how many items were drawn (items missing either value are left out).
    @discardableResult
    public static func render(x: PlotColumn, y: PlotColumn, items: [PlotItem], options: ScatterPlotOptions = .init(),
                              into html: inout HTML) -> Int {
        let width = Double(options.width), height = Double(options.height)
        let plotRight = width - right, plotBottom = height - bottom
        let xScale = PlotAxisScale(x, range: left, plotRight)
        let yScale = PlotAxisScale(y, range: plotBottom, top)

        html.open("svg", [.id(options.id), .class("chart scatter"), Attribute("viewBox", "0 0 \(options.width) \(options.height)"),
                          Attribute("role", "img"), Attribute("aria-label", "Scatter of \(y.label) against \(x.label)")])
        html.open("g", [.class("grid")])
        for tick in xScale.ticks(maxLabels: max(2, options.width / 80)) where !xScale.isCategorical {
            let position = LinearScale.pixel(tick.position)
            html.void("line", [Attribute("x1", position), Attribute("x2", position), Attribute("y1", LinearScale.pixel(top)),
                               Attribute("y2", LinearScale.pixel(plotBottom))], selfClosing: true)
        }
        for tick in yScale.ticks(maxLabels: max(2, options.height / 24)) where !yScale.isCategorical {
            let position = LinearScale.pixel(tick.position)
            html.void("line", [Attribute("x1", LinearScale.pixel(left)), Attribute("x2", LinearScale.pixel(plotRight)),
                               Attribute("y1", position), Attribute("y2", position)], selfClosing: true)
        }
        html.close("g")

        html.open("g", [.class("axis")])
        html.void("line", [Attribute("x1", LinearScale.pixel(left)), Attribute("x2", LinearScale.pixel(plotRight)),
                           Attribute("y1", LinearScale.pixel(plotBottom)), Attribute("y2", LinearScale.pixel(plotBottom))], selfClosing: true)
        html.void("line", [Attribute("x1", LinearScale.pixel(left)), Attribute("x2", LinearScale.pixel(left)),
                           Attribute("y1", LinearScale.pixel(top)), Attribute("y2", LinearScale.pixel(plotBottom))], selfClosing: true)
        for tick in xScale.ticks(maxLabels: max(2, options.width / 80)) {
            let position = LinearScale.pixel(tick.position)
            html.void("line", [Attribute("x1", position), Attribute("x2", position), Attribute("y1", LinearScale.pixel(plotBottom)),
                               Attribute("y2", LinearScale.pixel(plotBottom + 4))], selfClosing: true)
            html.element("text", [Attribute("x", position), Attribute("y", LinearScale.pixel(plotBottom + 16)),
                                  Attribute("text-anchor", "middle")], text: ParallelCoordinates.shortened(tick.label, to: 14))
        }
        for tick in yScale.ticks(maxLabels: max(2, options.height / 24)) {
            let position = LinearScale.pixel(tick.position)
            html.void("line", [Attribute("x1", LinearScale.pixel(left - 4)), Attribute("x2", LinearScale.pixel(left)),
                               Attribute("y1", position), Attribute("y2", position)], selfClosing: true)
            html.element("text", [Attribute("x", LinearScale.pixel(left - 7)), Attribute("y", position), Attribute("text-anchor", "end"),
                                  Attribute("dominant-baseline", "middle")], text: ParallelCoordinates.shortened(tick.label, to: 10))
        }
        html.element("text", [.class("axis-label"), Attribute("x", LinearScale.pixel((left + plotRight) / 2)),
                              Attribute("y", LinearScale.pixel(height - 6)), Attribute("text-anchor", "middle")], text: x.label)
        html.element("text", [.class("axis-label"), Attribute("x", "12"), Attribute("y", LinearScale.pixel((top + plotBottom) / 2)),
                              Attribute("text-anchor", "middle"),
                              Attribute("transform", "rotate(-90 12 \(LinearScale.pixel((top + plotBottom) / 2)))")], text: y.label)
        html.close("g")

        var drawn = 0
        html.open("g", [.class("scatter-points")])
        for (index, item) in items.enumerated() {
            guard var cx = xScale.position(ofItem: index), var cy = yScale.position(ofItem: index) else { continue }
            if xScale.isCategorical { cx += spread(index) * xScale.bandWidth }
            if yScale.isCategorical { cy += spread(index &* 31 &+ 7) * abs(yScale.bandWidth) }
            let title = "\(item.label): \(x.label) = \(xScale.label(ofItem: index)), \(y.label) = \(yScale.label(ofItem: index))"
            let linked = item.href.map(HTML.isSafeHref) ?? false
            if linked, let href = item.href { html.open("a", [Attribute("href", href)]) }
            html.open("circle", [.class("scatter-point"), Attribute("cx", LinearScale.pixel(cx)), Attribute("cy", LinearScale.pixel(cy)),
                                 Attribute("r", "4.5"), Attribute("fill", item.color)])
            html.element("title", text: title)
            html.close("circle")
            if linked { html.close("a") }
            drawn += 1
        }
        html.close("g")
        html.close("svg")
        return drawn
    }

    /// A fixed offset in [-0.3, 0.3] of a band for item `index`: the same run always lands in the same place.
    static func spread(_ index: Int) -> Double {
        let hashed = (UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15) >> 40
        return (Double(hashed % 1001) / 1000 - 0.5) * 0.6
    }
}
