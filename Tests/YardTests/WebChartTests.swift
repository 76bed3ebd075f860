import Foundation
import Testing
@testable import YardWeb

@Suite("Web UI charts")
struct WebChartTests {
    // MARK: LTTB

    @Test func lttbKeepsEndsAndReturnsExactlyTheThreshold() {
        let xs = (0..<10_000).map(Double.init)
        let ys = xs.map { sin($0 / 100) }
        let kept = Downsample.lttbIndices(xs: xs, ys: ys, threshold: 500)
        #expect(kept.count == 500)
        #expect(kept.first == 0)
        #expect(kept.last == 9_999)
        #expect(zip(kept, kept.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test func lttbKeepsASpike() {
        var ys = [Double](repeating: 1, count: 5_000)
        ys[3_217] = 1_000
        ys[4_001] = -500
        let points = ys.enumerated().map { ChartPoint(x: Double($0.offset), y: $0.element) }
        let kept = Downsample.lttb(points, threshold: 100)
        #expect(kept.count == 100)
        #expect(kept.contains(ChartPoint(x: 3_217, y: 1_000)))
        #expect(kept.contains(ChartPoint(x: 4_001, y: -500)))
    }

    @Test func lttbReturnsShortSeriesAsTheyAre() {
        let points = (0..<50).map { ChartPoint(x: Double($0), y: Double($0 * $0)) }
        #expect(Downsample.lttb(points, threshold: 50) == points)
        #expect(Downsample.lttb(points, threshold: 1000) == points)
        #expect(Downsample.lttb(points, threshold: 2) == points)
        #expect(Downsample.lttbIndices(xs: [], ys: [], threshold: 10).isEmpty)
    }

    @Test func smoothingIsDebiasedAndKeepsConstantsConstant() {
        let constant = Downsample.smoothed([5, 5, 5, 5], weight: 0.9)
        #expect(constant.allSatisfy { abs($0 - 5) < 1e-9 })
        let steps = Downsample.smoothed([0, 10, 10, 10], weight: 0.5)
        #expect(steps[0] == 0)
        #expect(steps[1] > 5 && steps[1] < 10)
        #expect(Downsample.smoothed([1, 2, 3], weight: 0) == [1, 2, 3])
        let withNaN = Downsample.smoothed([1, .nan, 1], weight: 0.5)
        #expect(withNaN[1].isNaN && abs(withNaN[2] - 1) < 1e-9)
    }

    // MARK: Scales and ticks

    @Test func linearTicksAreNice() {
        let unit = LinearScale(domain: 0, 1, range: 0, 100).ticks(5)
        #expect(unit.count == 6 && unit.first == 0 && abs(unit.last! - 1) < 1e-9)
        #expect(LinearScale(domain: 3, 97, range: 0, 100).ticks(5) == [20, 40, 60, 80])
        #expect(LinearScale(domain: -0.013, 0.021, range: 0, 100).ticks(4).contains(0))
        // A constant domain is widened instead of dividing by zero.
        let constant = LinearScale(domain: 7, 7, range: 0, 100)
        #expect(constant(7) == 50)
    }

    @Test func logTicksArePowersOfTen() {
        let scale = LogScale(domain: 0.001, 1000, range: 100, 0)
        #expect(scale.ticks(6) == [0.001, 0.01, 0.1, 1, 10, 100, 1000])
        #expect(abs(scale(1) - 50) < 1e-9)
        #expect(LogScale(domain: 2, 40, range: 0, 1).ticks(5).contains(10))
    }

    @Test func timeTicksFallOnReadableSteps() {
        let hour = TimeTicks.ticks(lower: 0, upper: 3_600_000, count: 6)
        #expect(hour.step == 600_000)
        #expect(hour.values.first == 0 && hour.values.last == 3_600_000)
        #expect(ChartAxis.wallLabel(1_764_800_000_000, step: 600_000, span: 3_600_000) == "22:13")
        #expect(ChartAxis.elapsedLabel(90_000, step: 30_000) == "90 s")
        #expect(ChartAxis.elapsedLabel(7_200_000, step: 3_600_000) == "2 h")
        #expect(ChartAxis.elapsedLabel(120_000, step: 60_000) == "2 min")
        #expect(ChartAxis.numberLabel(0.25, step: 0.05) == "0.25")
        #expect(ChartAxis.numberLabel(2_500_000, step: 500_000) == "2.5e6")
    }

    // MARK: Drawing

    private func draw(_ series: [ChartSeries], _ options: LineChartOptions = LineChartOptions()) -> String {
        var html = HTML()
        LineChart.render(series, options: options, into: &html)
        return html.rendered
    }

    private func count(_ needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }

    @Test func oneLinePerSeriesWithLegendAndHoverData() {
        let series = (0..<3).map { index in
            ChartSeries(label: "run \(index)", points: (0..<20).map { ChartPoint(x: Double($0), y: Double($0 * index)) }, href: "/ui/runs/\(index)")
        }
        let svg = draw(series)
        #expect(count(#"class="series""#, in: svg) == 3)
        #expect(svg.contains(#"data-x="0,1,2,3"#))
        #expect(svg.contains(#"<ul class="legend">"#))
        #expect(svg.contains(#"<a href="/ui/runs/2">run 2</a>"#))
        #expect(svg.contains(#"class="grid""#) && svg.contains(#"class="axis x-axis""#))
        #expect(!svg.contains("style="))
    }

    @Test func longSeriesAreDownsampledAndSaySo() {
        let points = (0..<100_000).map { ChartPoint(x: Double($0), y: sin(Double($0) / 1000)) }
        let svg = draw([ChartSeries(label: "loss", points: points)], LineChartOptions(maxPointsPerSeries: 1000))
        let data = svg.components(separatedBy: #"data-x=""#)[1].prefix { $0 != "\"" }
        #expect(data.split(separator: ",").count == 1000)
        #expect(svg.contains("of 100000 points"))
    }

    @Test func logScaleDropsNonPositiveValuesAndSaysSo() {
        let points = [0.0, -1, 0.5, 0.05, 0.005].enumerated().map { ChartPoint(x: Double($0.offset), y: $0.element) }
        let svg = draw([ChartSeries(label: "loss", points: points)], LineChartOptions(logY: true))
        #expect(svg.contains(#"data-y-log="1""#))
        #expect(svg.contains("Log scale: 2 values ≤ 0 are not drawn."))
        #expect(svg.contains(#"data-y="0.5,0.05,0.005""#))
        let nothing = draw([ChartSeries(label: "zero", points: [ChartPoint(x: 0, y: 0)])], LineChartOptions(logY: true))
        #expect(nothing.contains("every value is zero or negative"))
    }

    @Test func nanAndInfinitePointsAreSkipped() {
        let points = [1.0, .nan, 2, .infinity, -.infinity, 3].enumerated().map { ChartPoint(x: Double($0.offset), y: $0.element) }
        let svg = draw([ChartSeries(label: "acc", points: points)])
        #expect(svg.contains("3 NaN or infinite values are not drawn."))
        #expect(svg.contains(#"data-y="1,2,3""#))
        #expect(!svg.lowercased().contains("nan,") && !svg.contains("inf,"))
        let none = draw([ChartSeries(label: "acc", points: [ChartPoint(x: 0, y: .nan)])])
        #expect(none.contains("every value is NaN or infinite"))
        #expect(draw([]).contains("No points to draw"))
    }

    @Test func singlePointAndConstantSeriesDraw() {
        let single = draw([ChartSeries(label: "one", points: [ChartPoint(x: 5, y: 0.7)])])
        #expect(single.contains(#"<circle class="point""#))
        let constant = draw([ChartSeries(label: "flat", points: (0..<10).map { ChartPoint(x: Double($0), y: 3) })])
        let path = constant.components(separatedBy: #"class="series" d=""#)[1].prefix { $0 != "\"" }
        let ys = Set(path.split(separator: "L").map { $0.split(separator: ",")[1] })
        #expect(ys.count == 1)
    }

    @Test func smoothingKeepsTheRawLineBehind() {
        let points = (0..<50).map { ChartPoint(x: Double($0), y: Double($0 % 7)) }
        let svg = draw([ChartSeries(label: "noisy", points: points)], LineChartOptions(smoothing: 0.8))
        #expect(svg.contains(#"<path class="raw""#))
        #expect(svg.contains("data-ys="))
    }

    @Test func timeAxesLabelTheirTicks() {
        let start = 1_764_800_000_000.0
        let points = (0..<60).map { ChartPoint(x: start + Double($0) * 60_000, y: Double($0)) }
        let wall = draw([ChartSeries(label: "m", points: points)], LineChartOptions(xLabel: "time", xIsTime: true))
        #expect(wall.contains(#"data-x-kind="wall""#))
        #expect(wall.contains(">22:"))
        let elapsed = draw([ChartSeries(label: "m", points: points.map { ChartPoint(x: $0.x - start, y: $0.y) })],
                           LineChartOptions(xLabel: "time since start", xIsElapsed: true))
        #expect(elapsed.contains(#"data-x-kind="elapsed""#))
        #expect(elapsed.contains(" min<"))
    }

    @Test func labelsAreEscaped() {
        let svg = draw([ChartSeries(label: "<script>alert(1)</script>", points: [ChartPoint(x: 0, y: 1), ChartPoint(x: 1, y: 2)]),
                        ChartSeries(label: #""><img src=x onerror=alert(1)>"#, points: [ChartPoint(x: 0, y: 1)])],
                       LineChartOptions(title: "<script>alert(1)</script>"))
        #expect(!svg.contains("<script>alert"))
        #expect(!svg.contains("<img src=x"))
        #expect(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
    }
}
