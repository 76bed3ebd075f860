import Foundation

/// A point of a chart, in data units.
public struct ChartPoint: Sendable, Equatable {
    public var x: Double
    public var y: Double
    public init(x: Double, y: Double) {
        self.x = x
        self.y = y
    }
}

/// One line of a chart: a run's metric history, say. `href` makes its legend entry a link.
public struct ChartSeries: Sendable {
    public var label: String
    public var points: [ChartPoint]
    public var href: String?
    public init(label: String, points: [ChartPoint], href: String? = nil) {
        self.label = label
        self.points = points
        self.href = href
    }
}

public struct LineChartOptions: Sendable {
    public var title: String
    public var xLabel: String
    public var yLabel: String
    /// x values are epoch milliseconds and the axis shows times.
    public var xIsTime: Bool
    /// x values are milliseconds since the start (of the run) and the axis shows durations.
    public var xIsElapsed: Bool
    public var logY: Bool
    /// Exponential moving average weight in [0, 1): 0 draws the raw values only.
    public var smoothing: Double
    /// Points drawn per series at most; longer series are downsampled (LTTB) on the server.
    public var maxPointsPerSeries: Int
    public var width: Int
    public var height: Int

    public init(title: String = "", xLabel: String = "step", yLabel: String = "", xIsTime: Bool = false, logY: Bool = false,
                smoothing: Double = 0, maxPointsPerSeries: Int = 1000, width: Int = 640, height: Int = 260,
                xIsElapsed: Bool = false) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xIsTime = xIsTime
        self.xIsElapsed = xIsElapsed
        self.logY = logY
        self.smoothing = smoothing
        self.maxPointsPerSeries = maxPointsPerSeries
        self.width = width
        self.height = height
    }

    var xKind: ChartXKind { xIsTime ? .wallTime : xIsElapsed ? .elapsed : .number }
}

/// Line charts drawn as inline SVG on the server (one or many series, overlaid): axes with ticks and
/// gridlines, a legend, each long series cut down to `maxPointsPerSeries` with LTTB, optional smoothing
/// (the raw line stays faint behind it) and a log y axis. The drawn points also travel as data on each
/// line so the chart script can show hover values without asking the server again.
public enum LineChart {
    /// Room around the plot for the tick labels.
    static let margin = (left: 58.0, right: 14.0, top: 10.0, bottom: 36.0)
    static let maxLegendEntries = 50

    public static func render(_ series: [ChartSeries], options: LineChartOptions, into html: inout HTML) {
        let prepared = series.map { PreparedSeries($0, options: options) }
        let skippedNonFinite = prepared.reduce(0) { $0 + $1.skippedNonFinite }
        let skippedNonPositive = prepared.reduce(0) { $0 + $1.skippedNonPositive }
        let drawable = prepared.enumerated().filter { !$0.element.xs.isEmpty }
        guard let bounds = Bounds(drawable.map(\.element)) else {
            var reason = "No points to draw"
            if skippedNonPositive > 0 { reason += ": every value is zero or negative, which a log scale cannot show" }
            else if skippedNonFinite > 0 { reason += ": every value is NaN or infinite" }
            html.element("p", [.class("empty chart-empty")], text: reason + ".")
            return
        }
        let plot = (left: margin.left, top: margin.top,
                    right: Double(options.width) - margin.right, bottom: Double(options.height) - margin.bottom)
        let frame = Frame(bounds: bounds, plot: plot, options: options)

        html.open("svg", [
            .class("chart"), Attribute("viewBox", "0 0 \(options.width) \(options.height)"), Attribute("role", "img"),
            Attribute("aria-label", options.title.isEmpty ? nil : options.title), Attribute("data-x-kind", options.xKind.rawValue),
            Attribute("data-x0", String(bounds.x.lower)), Attribute("data-x-domain", "\(frame.x.domain.lower),\(frame.x.domain.upper)"),
            Attribute("data-y-domain", "\(frame.yDomain.lower),\(frame.yDomain.upper)"), Attribute("data-y-log", options.logY ? "1" : nil),
            Attribute("data-plot", [plot.left, plot.top, plot.right, plot.bottom].map(LinearScale.pixel).joined(separator: ",")),
        ])
        if !options.title.isEmpty { html.element("title", text: options.title) }
        drawAxes(frame, options: options, into: &html)
        html.open("g", [.class("lines")])
        for (index, line) in drawable {
            drawSeries(line, label: series[index].label, color: ChartPalette.color(index), x0: bounds.x.lower, frame: frame,
                       smoothed: options.smoothing > 0, into: &html)
        }
        html.close("g")
        html.close("svg")

        if series.count > 1 || series.contains(where: { $0.href != nil }) {
            drawLegend(series, into: &html)
        }
        var notes: [String] = []
        let downsampled = drawable.filter { $0.element.drawnIndices.count < $0.element.xs.count }
        if let longest = downsampled.map(\.element.xs.count).max() {
            notes.append("Drawn with at most \(options.maxPointsPerSeries) of \(longest) points per line (LTTB keeps peaks and dips).")
        }
        if skippedNonFinite > 0 { notes.append("\(skippedNonFinite) NaN or infinite values are not drawn.") }
        if skippedNonPositive > 0 { notes.append("Log scale: \(skippedNonPositive) values ≤ 0 are not drawn.") }
        if !notes.isEmpty { html.element("p", [.class("chart-note")], text: notes.joined(separator: " ")) }
    }

    // MARK: Drawing

    private static func drawAxes(_ frame: Frame, options: LineChartOptions, into html: inout HTML) {
        let plot = frame.plot
        let px = LinearScale.pixel
        html.open("g", [.class("grid")])
        for tick in frame.yTicks {
            let y = px(frame.y(tick))
            html.void("line", [Attribute("x1", px(plot.left)), Attribute("x2", px(plot.right)), Attribute("y1", y), Attribute("y2", y)],
                      selfClosing: true)
        }
        for tick in frame.xTicks {
            let x = px(frame.x(tick))
            html.void("line", [Attribute("x1", x), Attribute("x2", x), Attribute("y1", px(plot.top)), Attribute("y2", px(plot.bottom))],
                      selfClosing: true)
        }
        html.close("g")

        html.open("g", [.class("axis x-axis")])
        html.void("line", [Attribute("x1", px(plot.left)), Attribute("x2", px(plot.right)), Attribute("y1", px(plot.bottom)),
                           Attribute("y2", px(plot.bottom))], selfClosing: true)
        for tick in frame.xTicks {
            html.element("text", [Attribute("x", px(frame.x(tick))), Attribute("y", px(plot.bottom + 14)), Attribute("text-anchor", "middle")],
                         text: frame.xLabel(tick))
        }
        if !options.xLabel.isEmpty {
            html.element("text", [.class("axis-label"), Attribute("x", px(plot.right)), Attribute("y", px(plot.bottom + 30)),
                                  Attribute("text-anchor", "end")], text: options.xLabel + (options.xIsTime ? " (UTC)" : ""))
        }
        html.close("g")

        html.open("g", [.class("axis y-axis")])
        html.void("line", [Attribute("x1", px(plot.left)), Attribute("x2", px(plot.left)), Attribute("y1", px(plot.top)),
                           Attribute("y2", px(plot.bottom))], selfClosing: true)
        for tick in frame.yTicks {
            html.element("text", [Attribute("x", px(plot.left - 6)), Attribute("y", px(frame.y(tick) + 4)), Attribute("text-anchor", "end")],
                         text: frame.yLabel(tick))
        }
        if !options.yLabel.isEmpty || options.logY {
            let label = options.yLabel.isEmpty ? "log scale" : options.yLabel + (options.logY ? " (log)" : "")
            html.element("text", [.class("axis-label"), Attribute("x", px(plot.left + 4)), Attribute("y", px(plot.top + 10))], text: label)
        }
        html.close("g")
    }

    private static func drawSeries(_ line: PreparedSeries, label: String, color: String, x0: Double, frame: Frame, smoothed: Bool,
                                   into html: inout HTML) {
        let indices = line.drawnIndices
        if smoothed {
            html.void("path", [.class("raw"), Attribute("d", frame.path(indices, line.xs, line.ys)), Attribute("stroke", color)],
                      selfClosing: true)
        }
        let values = smoothed ? line.smoothedYs : line.ys
        var xList = "", yList = "", smoothList = ""
        xList.reserveCapacity(indices.count * 6)
        yList.reserveCapacity(indices.count * 9)
        for (position, index) in indices.enumerated() {
            if position > 0 {
                xList += ","
                yList += ","
                if smoothed { smoothList += "," }
            }
            xList += ChartAxis.compact(line.xs[index] - x0)
            yList += ChartAxis.compact(line.ys[index])
            if smoothed { smoothList += ChartAxis.compact(line.smoothedYs[index]) }
        }
        html.void("path", [
            .class("series"), Attribute("d", frame.path(indices, line.xs, values)), Attribute("stroke", color),
            Attribute("data-label", label), Attribute("data-x", xList), Attribute("data-y", yList),
            Attribute("data-ys", smoothed ? smoothList : nil),
        ], selfClosing: true)
        // A lone point has no line to show it.
        if indices.count == 1, let index = indices.first {
            html.void("circle", [.class("point"), Attribute("cx", LinearScale.pixel(frame.x(line.xs[index]))),
                                 Attribute("cy", LinearScale.pixel(frame.y(values[index]))), Attribute("r", "3"), Attribute("fill", color)],
                      selfClosing: true)
        }
    }

    private static func drawLegend(_ series: [ChartSeries], into html: inout HTML) {
        html.open("ul", [.class("legend")])
        for (index, line) in series.prefix(maxLegendEntries).enumerated() {
            html.element("li") { item in
                item.element("svg", [.class("swatch"), Attribute("viewBox", "0 0 10 10"), Attribute("aria-hidden", "true")]) { swatch in
                    swatch.void("rect", [Attribute("width", "10"), Attribute("height", "10"), Attribute("rx", "2"),
                                         Attribute("fill", ChartPalette.color(index))], selfClosing: true)
                }
                if let href = line.href { item.link(href, text: line.label) } else { item.element("span", text: line.label) }
            }
        }
        if series.count > maxLegendEntries {
            html.element("li", [.class("muted")], text: "and \(series.count - maxLegendEntries) more")
        }
        html.close("ul")
    }
}

/// One series made ready to draw: non-finite values (and, on a log scale, values ≤ 0) dropped, sorted by
/// x, smoothed at full resolution (so smoothing does not depend on the downsampling) and the indices LTTB
/// keeps.
struct PreparedSeries {
    var xs: [Double] = []
    var ys: [Double] = []
    var smoothedYs: [Double] = []
    var drawnIndices: [Int] = []
    var skippedNonFinite = 0
    var skippedNonPositive = 0

    init(_ series: ChartSeries, options: LineChartOptions) {
        var points = series.points
        var sorted = true
        for index in points.indices.dropFirst() where points[index].x < points[index - 1].x {
            sorted = false
            break
        }
        if !sorted { points.sort { $0.x < $1.x } }
        xs.reserveCapacity(points.count)
        ys.reserveCapacity(points.count)
        for point in points {
            guard point.x.isFinite, point.y.isFinite else {
                skippedNonFinite += 1
                continue
            }
            if options.logY, point.y <= 0 {
                skippedNonPositive += 1
                continue
            }
            xs.append(point.x)
            ys.append(point.y)
        }
        smoothedYs = options.smoothing > 0 ? Downsample.smoothed(ys, weight: options.smoothing) : ys
        drawnIndices = Downsample.lttbIndices(xs: xs, ys: ys, threshold: max(options.maxPointsPerSeries, 3))
    }
}

/// The data extent of every drawable series together.
struct Bounds {
    var x: (lower: Double, upper: Double)
    var y: (lower: Double, upper: Double)

    init?(_ series: [PreparedSeries]) {
        var minX = Double.infinity, maxX = -Double.infinity, minY = Double.infinity, maxY = -Double.infinity
        for line in series {
            guard let first = line.xs.first, let last = line.xs.last else { continue }
            minX = min(minX, first)
            maxX = max(maxX, last)
            for value in line.ys {
                minY = min(minY, value)
                maxY = max(maxY, value)
            }
            // Smoothed values lie between the raw ones, except where debiasing overshoots early on.
            for value in line.smoothedYs where value.isFinite {
                minY = min(minY, value)
                maxY = max(maxY, value)
            }
        }
        guard minX.isFinite, minY.isFinite else { return nil }
        x = (minX, maxX)
        y = (minY, maxY)
    }
}

/// Scales, ticks and labels of one chart.
struct Frame {
    let plot: (left: Double, top: Double, right: Double, bottom: Double)
    let x: LinearScale
    let linearY: LinearScale?
    let logY: LogScale?
    let xTicks: [Double]
    let yTicks: [Double]
    let xKind: ChartXKind
    let xStep: Double
    let yStep: Double

    init(bounds: Bounds, plot: (left: Double, top: Double, right: Double, bottom: Double), options: LineChartOptions) {
        self.plot = plot
        xKind = options.xKind
        var xLower = bounds.x.lower, xUpper = bounds.x.upper
        if xLower == xUpper {
            // One x value: centre it, with a span that suits the kind of axis.
            let pad = xKind == .number ? max(1, abs(xLower) * 0.05) : TimeTicks.minute
            xLower -= pad
            xUpper += pad
        }
        x = LinearScale(domain: xLower, xUpper, range: plot.left, plot.right)
        let xTickCount = max(2, Int((plot.right - plot.left) / 90))
        switch xKind {
        case .number:
            var ticks = x.ticks(xTickCount)
            // Steps are whole numbers: no tick at 2.5.
            if xLower.rounded() == xLower, xUpper - xLower >= 2 { ticks = ticks.filter { $0 == $0.rounded() } }
            xTicks = ticks
            xStep = ticks.count > 1 ? ticks[1] - ticks[0] : 1
        case .wallTime, .elapsed:
            let ticks = TimeTicks.ticks(lower: x.domain.lower, upper: x.domain.upper, count: xTickCount)
            xTicks = ticks.values
            xStep = ticks.step
        }
        let yTickCount = max(2, Int((plot.bottom - plot.top) / 45))
        if options.logY {
            // A little room above and below, in decades.
            let span = max(log10(bounds.y.upper) - log10(bounds.y.lower), 0.2)
            let pad = pow(10, span * 0.04)
            let scale = LogScale(domain: bounds.y.lower / pad, bounds.y.upper * pad, range: plot.bottom, plot.top)
            logY = scale
            linearY = nil
            yTicks = scale.ticks(yTickCount)
            yStep = 0
        } else {
            // Written so that values spanning the whole Double range give a finite, padded domain.
            let pad = bounds.y.upper * 0.05 - bounds.y.lower * 0.05
            let lower = max(bounds.y.lower - pad, -Double.greatestFiniteMagnitude)
            let upper = min(bounds.y.upper + pad, Double.greatestFiniteMagnitude)
            let scale = LinearScale(domain: lower, upper, range: plot.bottom, plot.top)
            linearY = scale
            logY = nil
            yTicks = scale.ticks(yTickCount)
            yStep = yTicks.count > 1 ? yTicks[1] - yTicks[0] : max(abs(yTicks.first ?? 1), 1e-12)
        }
    }

    var yDomain: (lower: Double, upper: Double) { logY?.domain ?? linearY!.domain }

    func y(_ value: Double) -> Double { logY?(value) ?? linearY!(value) }

    func xLabel(_ value: Double) -> String {
        switch xKind {
        case .number: ChartAxis.numberLabel(value, step: xStep)
        case .wallTime: ChartAxis.wallLabel(value, step: xStep, span: x.domain.upper - x.domain.lower)
        case .elapsed: ChartAxis.elapsedLabel(value, step: xStep)
        }
    }

    func yLabel(_ value: Double) -> String {
        logY != nil ? ChartAxis.logLabel(value) : ChartAxis.numberLabel(value, step: yStep)
    }

    /// `M x,y L x,y …` through the given points, in pixels.
    func path(_ indices: [Int], _ xs: [Double], _ ys: [Double]) -> String {
        var d = ""
        d.reserveCapacity(indices.count * 14)
        for (position, index) in indices.enumerated() {
            d += position == 0 ? "M" : "L"
            d += LinearScale.pixel(x(xs[index]))
            d += ","
            d += LinearScale.pixel(y(ys[index]))
        }
        return d
    }
}

public enum ChartPalette {
    static let colors = ["#1f6feb", "#cf222e", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7a8a", "#6e7781",
                         "#fb8500", "#2a9d8f", "#e76f51", "#264653"]

    public static func color(_ index: Int) -> String { colors[index % colors.count] }
}
