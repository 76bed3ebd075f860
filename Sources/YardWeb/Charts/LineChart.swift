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
    public var logY: Bool
    /// Exponential moving average weight in [0, 1): 0 draws the raw values only.
    public var smoothing: Double
    /// Points drawn per series at most; longer series are downsampled (LTTB) on the server.
    public var maxPointsPerSeries: Int
    public var width: Int
    public var height: Int

    public init(title: String = "", xLabel: String = "step", yLabel: String = "", xIsTime: Bool = false, logY: Bool = false,
                smoothing: Double = 0, maxPointsPerSeries: Int = 1000, width: Int = 640, height: Int = 260) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xIsTime = xIsTime
        self.logY = logY
        self.smoothing = smoothing
        self.maxPointsPerSeries = maxPointsPerSeries
        self.width = width
        self.height = height
    }
}

/// Line charts drawn as inline SVG on the server (one or many series, overlaid).
public enum LineChart {
    public static func render(_ series: [ChartSeries], options: LineChartOptions, into html: inout HTML) {
        // Placeholder drawing (axes, ticks, hover, log scale and smoothing come with the charts work).
        let all = series.flatMap(\.points)
        guard let minX = all.map(\.x).min(), let maxX = all.map(\.x).max(),
              let minY = all.map(\.y).min(), let maxY = all.map(\.y).max() else {
            html.element("p", [.class("empty")], text: "No points to draw.")
            return
        }
        let width = Double(options.width), height = Double(options.height)
        html.open("svg", [.class("chart"), Attribute("viewBox", "0 0 \(options.width) \(options.height)"),
                          Attribute("role", "img"), Attribute("aria-label", options.title)])
        for (index, line) in series.enumerated() {
            var path = ""
            for point in line.points {
                let x = maxX > minX ? (point.x - minX) / (maxX - minX) * width : width / 2
                let y = maxY > minY ? height - (point.y - minY) / (maxY - minY) * height : height / 2
                path += path.isEmpty ? "M" : "L"
                path += "\(x),\(y)"
            }
            html.void("path", [.class("series"), Attribute("d", path), Attribute("stroke", ChartPalette.color(index))], selfClosing: true)
        }
        html.close("svg")
    }
}

public enum ChartPalette {
    static let colors = ["#1f6feb", "#cf222e", "#1a7f37", "#9a6700", "#8250df", "#bf3989", "#0a7a8a", "#6e7781",
                         "#fb8500", "#2a9d8f", "#e76f51", "#264653"]

    public static func color(_ index: Int) -> String { colors[index % colors.count] }
}
