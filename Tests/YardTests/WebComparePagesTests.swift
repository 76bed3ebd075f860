import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import YardCore
@testable import YardServer
@testable import YardTracking
@testable import YardWeb

@Suite("Web compare page")
struct WebComparePagesTests {
    /// Three runs: `alpha` differs, `optimizer` is equal, `rmse` and `accuracy` are logged by all, `extra` by one.
    static func seedThreeRuns(_ tracking: TrackingService) async throws -> (experiment: String, runs: [String]) {
        let experiment = try await tracking.createExperiment(name: "compare-me", artifactLocation: nil, tags: [])
        var ids: [String] = []
        for (index, alpha) in ["0.1", "0.5", "0.9"].enumerated() {
            let run = try await tracking.createRun(experimentId: experiment, userId: "ann", runName: "run-\(index)",
                                                   startTime: 1_000_000, tags: [])
            let rmse = (0..<5).map { Metric(key: "rmse", value: Double(5 - $0) + Double(index), timestamp: 1_000_000 + Int64($0) * 1000, step: Int64($0)) }
            var metrics = rmse + [Metric(key: "accuracy", value: 0.7 + Double(index) / 10, timestamp: 1_005_000, step: 4)]
            if index == 0 { metrics.append(Metric(key: "extra", value: 1, timestamp: 1_005_000)) }
            try await tracking.logBatch(runId: run.info.runId, metrics: metrics,
                                        params: [Param(key: "alpha", value: alpha), Param(key: "optimizer", value: "adam")], tags: [])
            ids.append(run.info.runId)
        }
        return (experiment, ids)
    }

    static func count(_ needle: String, in body: String) -> Int {
        body.components(separatedBy: needle).count - 1
    }

    /// The markup between `<tag … id="id"` and its closing `</tag>`.
    static func element(_ tag: String, id: String, in body: String) -> String? {
        guard let start = body.range(of: "<\(tag) id=\"\(id)\"") ?? body.range(of: "id=\"\(id)\"") else { return nil }
        guard let end = body.range(of: "</\(tag)>", range: start.upperBound..<body.endIndex) else { return nil }
        return String(body[start.lowerBound..<end.upperBound])
    }

    @Test func comparesThreeRuns() async throws {
        try await WebTestServer().run { components, client in
            let (_, runs) = try await Self.seedThreeRuns(components.tracking)
            let page = try await client.page(WebLinks.compare(runs: runs))
            #expect(page.status == 200)
            let body = page.body
            #expect(body.contains("Compare 3 runs"))
            for run in runs {
                #expect(body.contains("href=\"/ui/runs/\(run)\""))
            }
            // One chart per metric, series overlaid.
            for key in ["rmse", "accuracy", "extra"] {
                #expect(Self.count("data-metric=\"\(key)\"", in: body) == 1)
            }
            #expect(body.contains("<section id=\"compare-charts\">"))
            #expect(Self.count("class=\"metric-chart card\"", in: body) == 3)

            // The difference table: alpha differs, optimizer is equal.
            let diff = try #require(Self.element("table", id: "diff", in: body))
            #expect(diff.contains("<tr data-key=\"params.alpha\"><th class=\"diff-key\">alpha</th><td>0.1</td><td>0.5</td><td>0.9</td></tr>"))
            #expect(diff.contains("<tr class=\"equal\" data-key=\"params.optimizer\">"))
            #expect(diff.contains("<tr data-key=\"metrics.accuracy\">"))
            // Higher accuracy is better: the third run's 0.9 is highlighted.
            #expect(diff.contains("<td class=\"num best\">0.9</td>"))
            #expect(diff.contains("<td class=\"num best\">1</td>"))  // lowest latest rmse (run 0: 5 - 4 + 0)
            #expect(body.contains("id=\"hide-equal\""))

            // One polyline per run, one scatter point per run.
            let parallel = try #require(Self.element("svg", id: "parallel-coordinates", in: body))
            #expect(Self.count("<polyline", in: parallel) == 3)
            let scatter = try #require(Self.element("svg", id: "scatter", in: body))
            #expect(Self.count("<circle class=\"scatter-point\"", in: scatter) == 3)
            let form = try #require(Self.element("form", id: "scatter", in: body))
            #expect(form.contains("<select name=\"x\">") && form.contains("<select name=\"y\">"))
            #expect(form.contains("value=\"params.alpha\"") && form.contains("value=\"metrics.rmse\""))
            #expect(form.contains("<input type=\"hidden\" name=\"runs\" value=\"\(runs.joined(separator: ","))\">"))
        }
    }

    @Test func hideEqualAndChosenColumns() async throws {
        try await WebTestServer().run { components, client in
            let (_, runs) = try await Self.seedThreeRuns(components.tracking)
            let hidden = try await client.page(WebLinks.compare(runs: runs, query: [("hide-equal", "1")]))
            #expect(hidden.status == 200)
            #expect(!hidden.body.contains("data-key=\"params.optimizer\""))
            #expect(hidden.body.contains("data-key=\"params.alpha\""))
            let toggle = try #require(Self.element("a", id: "hide-equal", in: hidden.body))
            #expect(!toggle.contains("hide-equal=1"))

            // Repeated `runs=` works as well as a comma list; `metrics=` picks the charts; `pc=` the axes.
            let uri = "/ui/compare?" + runs.map { "runs=\($0)" }.joined(separator: "&")
                + "&metrics=accuracy&pc=params.alpha,metrics.rmse&x=metrics.accuracy&y=params.alpha"
            let chosen = try await client.page(uri)
            #expect(chosen.status == 200)
            #expect(Self.count("class=\"metric-chart card\"", in: chosen.body) == 1)
            #expect(chosen.body.contains("data-metric=\"accuracy\""))
            let parallel = try #require(Self.element("svg", id: "parallel-coordinates", in: chosen.body))
            #expect(Self.count("class=\"pc-label\"", in: parallel) == 2)
            #expect(chosen.body.contains("<option value=\"metrics.accuracy\" selected>"))
            let scatter = try #require(Self.element("svg", id: "scatter", in: chosen.body))
            #expect(scatter.contains("aria-label=\"Scatter of params.alpha against metrics.accuracy\""))
        }
    }

    @Test func chartsPastThePointBudgetLoadOnDemand() async throws {
        try await WebTestServer().run { components, client in
            let tracking = components.tracking
            let experiment = try await tracking.createExperiment(name: "many", artifactLocation: nil, tags: [])
            var runs: [String] = []
            for index in 0..<30 {
                let run = try await tracking.createRun(experimentId: experiment, userId: nil, runName: "r\(index)", startTime: 1, tags: [])
                // Two points per metric, the last at step 10,000: the page takes these for long histories.
                let metrics = (0..<8).flatMap { key in
                    [Metric(key: "m\(key)", value: Double(index), timestamp: 1, step: 0),
                     Metric(key: "m\(key)", value: Double(index + key), timestamp: 2, step: 10_000)]
                }
                try await tracking.logBatch(runId: run.info.runId, metrics: metrics, params: [], tags: [])
                runs.append(run.info.runId)
            }
            let page = try await client.page(WebLinks.compare(runs: runs))
            #expect(page.status == 200)
            // 30 runs × 666 points per line is 19,980 points a chart: one fits the inline budget.
            #expect(Self.count("<figure class=\"metric-chart card\"", in: page.body) == 1)
            #expect(Self.count("<figure class=\"metric-chart card lazy-chart\"", in: page.body) == 7)
            #expect(page.body.contains("data-chart-url=\"/ui/compare/chart?runs="))

            let fragment = try await client.page(WebLinks.with("/ui/compare/chart", [("runs", runs.joined(separator: ",")), ("key", "m7")]))
            #expect(fragment.status == 200)
            #expect(fragment.body.hasPrefix("<figure class=\"metric-chart card\" data-metric=\"m7\">"))
            #expect(fragment.body.contains("<svg class=\"chart\""))
            let missing = try await client.page(WebLinks.with("/ui/compare/chart", [("runs", runs.joined(separator: ",")), ("key", "nope")]))
            #expect(missing.status == 404)
        }
    }

    @Test func deletedRunsAreShownAndMarked() async throws {
        try await WebTestServer().run { components, client in
            let (_, runs) = try await Self.seedThreeRuns(components.tracking)
            try await components.tracking.deleteRun(id: runs[1])
            let page = try await client.page(WebLinks.compare(runs: runs))
            #expect(page.status == 200)
            #expect(page.body.contains("<li class=\"deleted\" data-run-id=\"\(runs[1])\">"))
            #expect(page.body.contains("deleted-badge"))
        }
    }

    @Test func refusesTooFewTooManyAndUnknownRuns() async throws {
        try await WebTestServer().run { components, client in
            let (_, runs) = try await Self.seedThreeRuns(components.tracking)
            let one = try await client.page(WebLinks.compare(runs: [runs[0]]))
            #expect(one.status == 400)
            #expect(one.body.contains("class=\"error-message\""))
            #expect(one.body.contains("at least 2 runs"))
            let same = try await client.page(WebLinks.compare(runs: [runs[0], runs[0]]))
            #expect(same.status == 400)

            let many = (0..<501).map { String(format: "%032x", $0) }
            let tooMany = try await client.page(WebLinks.compare(runs: many))
            #expect(tooMany.status == 400)
            #expect(tooMany.body.contains("At most 500 runs"))

            let unknown = try await client.page(WebLinks.compare(runs: [runs[0], "feedface0000", "it's-odd"]))
            #expect(unknown.status == 404)
            #expect(unknown.body.contains("class=\"error-message\""))
            #expect(unknown.body.contains("&#39;feedface0000&#39;"))
            #expect(unknown.body.contains("it&#39;s-odd"))
        }
    }

    @Test func userTextIsEscapedEverywhere() async throws {
        let script = "<script>alert(1)</script>"
        let image = #""><img src=x onerror=alert(1)>"#
        try await WebTestServer().run { components, client in
            let tracking = components.tracking
            let experiment = try await tracking.createExperiment(name: "exp " + script, artifactLocation: nil, tags: [])
            var runs: [String] = []
            for (index, payload) in [script, image].enumerated() {
                let run = try await tracking.createRun(experimentId: experiment, userId: image, runName: payload, startTime: 1, tags: [])
                // Through the store: the service refuses `<` in keys, but a store filled another way may hold anything.
                try await tracking.store.logBatch(
                    runId: run.info.runId,
                    metrics: [Metric(key: "m" + script, value: Double(index), timestamp: 1, step: 0),
                              Metric(key: "m" + image, value: Double(index) * 2, timestamp: 2, step: 1)],
                    params: [Param(key: "p" + script, value: payload + "\(index)"), Param(key: "p" + image, value: script)], tags: [])
                runs.append(run.info.runId)
            }
            let columns = ["params.p" + script, "params.p" + image, "metrics.m" + script, "metrics.m" + image]
            let pages = [
                WebLinks.compare(runs: runs),
                WebLinks.compare(runs: runs, query: [("pc", columns.joined(separator: ",")), ("x", columns[0]), ("y", columns[3]),
                                                     ("metrics", "m" + image)]),
                // Unknown columns are echoed in the page's messages: escaped too.
                WebLinks.compare(runs: runs, query: [("pc", script + "," + image), ("x", image), ("y", script)]),
            ]
            for uri in pages {
                let page = try await client.page(uri)
                #expect(page.status == 200)
                #expect(!page.body.contains("<script>alert"))
                #expect(!page.body.contains("<img src=x"))
                #expect(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
                #expect(page.body.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"))
            }
        }
    }

    @Test func plotsPlaceNumbersAndCategories() {
        let numbers = PlotColumn.inferred(label: "params.lr", texts: ["0.1", nil, "1e-3"])
        guard case .numeric(let values) = numbers.values else {
            Issue.record("numeric params should give a numeric column")
            return
        }
        #expect(values == [0.1, nil, 0.001])
        let words = PlotColumn.inferred(label: "params.opt", texts: ["adam", "sgd", "adam", "nan"])
        guard case .categorical = words.values else {
            Issue.record("words should give a categorical column")
            return
        }
        var html = HTML()
        let drawn = ScatterPlot.render(x: words, y: PlotColumn(label: "metrics.loss", values: .numeric([1, 2, nil, 4])),
                                       items: (0..<4).map { PlotItem(label: "run \($0)", href: "/ui/runs/\($0)") }, into: &html)
        #expect(drawn == 3)
        #expect(Self.count("<circle", in: html.rendered) == 3)

        var parallel = HTML()
        ParallelCoordinates.render(columns: [words, numbers, PlotColumn(label: "metrics.loss", values: .numeric([1, 2, 3, 4]))],
                                   items: (0..<4).map { PlotItem(label: "run \($0)") }, into: &parallel)
        #expect(Self.count("<polyline", in: parallel.rendered) == 4)
        #expect(parallel.rendered.contains(">missing</text>"))

        #expect(CompareSections.betterDirection("val_loss") == .lower)
        #expect(CompareSections.betterDirection("test/accuracy") == .higher)
        #expect(CompareSections.betterDirection("epoch") == nil)
    }

    /// The speed target of issue 16: 200 runs × 50 metrics × 100 steps × 10 params. Seeding a million metric
    /// rows takes a while, so this runs only with YARD_WEB_BENCH=1; it prints the times, asserting none.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["YARD_WEB_BENCH"] == "1"))
    func compareOf200RunsTiming() async throws {
        try await WebTestServer().run { components, client in
            let tracking = components.tracking
            let experiment = try await tracking.createExperiment(name: "bench", artifactLocation: nil, tags: [])
            var runs: [String] = []
            let seedStart = Date()
            for index in 0..<200 {
                let run = try await tracking.createRun(experimentId: experiment, userId: "bench", runName: "run-\(index)",
                                                       startTime: 1_000_000, tags: [])
                let params = (0..<10).map { Param(key: "param_\($0)", value: $0 < 3 ? String(index % (4 + $0)) : "fixed") }
                var metrics: [Metric] = []
                for key in 0..<50 {
                    for step in 0..<100 {
                        metrics.append(Metric(key: "metric_\(key)", value: Double(step * key) / Double(index + 1),
                                              timestamp: 1_000_000 + Int64(step) * 1000, step: Int64(step)))
                    }
                }
                // The store takes the whole history in one batch (the API's 1,000-metric limit is the service's).
                try await tracking.store.logBatch(runId: run.info.runId, metrics: metrics, params: params, tags: [])
                runs.append(run.info.runId)
            }
            print("compare bench: seeded 200 runs in \(Int(Date().timeIntervalSince(seedStart) * 1000)) ms")
            let uri = WebLinks.compare(runs: runs)
            _ = try await client.page(uri)
            var times: [Int] = []
            var size = 0
            for _ in 0..<5 {
                let start = Date()
                let page = try await client.page(uri)
                times.append(Int(Date().timeIntervalSince(start) * 1000))
                size = page.body.utf8.count
                #expect(page.status == 200)
            }
            print("compare bench: 200 runs, \(times.sorted()) ms (sorted, 5 requests), page \(size / 1024) KiB")
            if let path = ProcessInfo.processInfo.environment["YARD_WEB_BENCH_DUMP"] {
                try (try await client.page(uri)).body.write(toFile: path, atomically: true, encoding: .utf8)
            }
        }
    }
}
