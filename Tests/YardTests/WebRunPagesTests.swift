import Foundation
import Testing
import YardBlobs
import YardCore
@testable import YardServer
import YardTracking
@testable import YardWeb

@Suite("Web UI run page and artifacts")
struct WebRunPagesTests {
    static let script = "<script>alert(1)</script>"
    static let image = #""><img src=x onerror=alert(1)>"#
    static let digest = String(repeating: "0123456789abcdef", count: 4)

    /// A run named `name` with params, a 50-point loss and an accuracy, tags, a description and a
    /// registered dataset input.
    static func seed(_ components: ServerComponents, name: String = "fit-1", text: String = "hello") async throws -> Run {
        let tracking = components.tracking
        let experiment = try await tracking.createExperiment(name: "exp " + name, artifactLocation: nil, tags: [])
        let run = try await tracking.createRun(experimentId: experiment, userId: "ann", runName: name, startTime: 1_764_800_000_000,
                                               tags: [Tag(key: "mlflow.source.name", value: "train.py")])
        let id = run.info.runId
        let loss = (0..<50).map { Metric(key: "loss", value: 1 / Double($0 + 1), timestamp: 1_764_800_000_000 + Int64($0) * 1000, step: Int64($0)) }
        try await tracking.logBatch(runId: id, metrics: loss + [Metric(key: "acc", value: 0.93, timestamp: 1_764_800_060_000, step: 49)],
                                    params: [Param(key: "alpha", value: "0.5 " + text)],
                                    tags: [Tag(key: "team", value: "vision " + text), Tag(key: "mlflow.note.content", value: "Notes: " + text)])
        let datasets = DatasetService(store: components.datasets)
        let version = try await datasets.register(DatasetRegistrationRequest(
            name: "iris", digest: "sha256:" + digest, kind: "file", size: "10", files: "1", source: "data/iris.csv", profile: nil))
        try await tracking.logInputs(runId: id, datasets: [
            DatasetInput(tags: [Tag(key: "mlflow.data.context", value: "training")],
                         dataset: Dataset(name: "iris", digest: version.shortDigest, sourceType: "local", source: "data/iris.csv")),
            DatasetInput(tags: [], dataset: Dataset(name: "other " + text, digest: "abc123", sourceType: "s3", source: "s3://b/" + text)),
        ], modelIds: [])
        _ = try await tracking.updateRun(id: id, status: .finished, endTime: 1_764_800_090_000, runName: nil)
        return try await tracking.run(id: id)
    }

    static func write(_ components: ServerComponents, _ run: Run, _ path: String, _ bytes: [UInt8]) async throws {
        let (store, location) = try components.artifacts.locate(run.info.artifactUri, path)
        try await store.write(location, bytes: bytes)
    }

    static func write(_ components: ServerComponents, _ run: Run, _ path: String, _ text: String) async throws {
        try await write(components, run, path, Array(text.utf8))
    }

    // MARK: The run page

    @Test func runPageShowsEverySection() async throws {
        try await WebTestServer().run { components, client in
            let run = try await Self.seed(components)
            let page = try await client.page("/ui/runs/\(run.info.runId)")
            #expect(page.status == 200)
            for id in ["overview", "description", "params", "metrics", "charts", "tags", "inputs", "outputs", "artifacts"] {
                #expect(page.body.contains(#"<section id="\#(id)">"#), "section \(id)")
            }
            #expect(page.body.contains(#"<table id="params-table""#))
            #expect(page.body.contains("0.5 hello"))
            #expect(page.body.contains(#"<table id="metrics-table""#))
            #expect(page.body.contains(">0.93<"))
            #expect(page.body.contains(#"<figure id="chart-0" class="metric-chart" data-metric="acc">"#))
            #expect(page.body.contains(#"data-metric="loss""#))
            #expect(page.body.components(separatedBy: #"<svg class="chart""#).count - 1 == 2)
            #expect(page.body.contains("Notes: hello"))
            #expect(page.body.contains("vision hello"))
            #expect(page.body.contains("FINISHED"))
            #expect(page.body.contains("1 min 30 s"))
            #expect(page.body.contains("train.py"))
            #expect(page.body.contains(#"href="/ui/experiments/\#(run.info.experimentId)""#))
            #expect(page.body.contains(#"href="/ui/datasets/iris/versions/\#(String(Self.digest.prefix(36)))""#))
            #expect(page.body.contains("other hello"))
            #expect(page.body.contains("not in the dataset registry"))
            #expect(page.body.contains("No artifacts logged."))
            #expect(page.body.contains(#"<form id="chart-options""#))
        }
    }

    @Test func chartOptionsComeFromTheQuery() async throws {
        try await WebTestServer().run { components, client in
            let run = try await Self.seed(components)
            let page = try await client.page("/ui/runs/\(run.info.runId)?x=wall&log=1&smooth=0.6")
            #expect(page.body.contains(#"data-x-kind="wall""#))
            #expect(page.body.contains(#"data-y-log="1""#))
            #expect(page.body.contains("data-ys="))
            #expect(page.body.contains(#"<option value="wall" selected>"#))
            #expect(page.body.contains(#"name="log" value="1" checked"#))
            #expect(page.body.contains(#"value="0.6""#))
            let elapsed = try await client.page("/ui/runs/\(run.info.runId)?x=time")
            #expect(elapsed.body.contains(#"data-x-kind="elapsed""#))

            let fragment = try await client.page("/ui/runs/\(run.info.runId)/chart?key=loss&log=1")
            #expect(fragment.status == 200)
            #expect(fragment.body.hasPrefix(#"<figure class="metric-chart" data-metric="loss">"#))
            #expect(fragment.body.contains(#"data-y-log="1""#))
            #expect(!fragment.body.contains("<html"))
            let missing = try await client.page("/ui/runs/\(run.info.runId)/chart?key=nope")
            #expect(missing.status == 404)
            #expect(missing.body.contains("has no metric &#39;nope&#39;"))
        }
    }

    @Test func manyMetricsLoadTheirChartsLater() async throws {
        try await WebTestServer().run { components, client in
            let run = try await Self.seed(components)
            let metrics = (0..<20).map { Metric(key: "m\($0)", value: Double($0), timestamp: 1, step: 0) }
            try await components.tracking.logBatch(runId: run.info.runId, metrics: metrics, params: [], tags: [])
            let page = try await client.page("/ui/runs/\(run.info.runId)?smooth=0.5")
            #expect(page.body.components(separatedBy: #"<svg class="chart""#).count - 1 == RunCharts.drawnInline)
            #expect(page.body.components(separatedBy: "data-chart-url=").count - 1 == 22 - RunCharts.drawnInline)
            #expect(page.body.contains(#"data-chart-url="/ui/runs/\#(run.info.runId)/chart?key=m9&amp;smooth=0.5""#))
        }
    }

    @Test func missingAndDeletedRuns() async throws {
        try await WebTestServer().run { components, client in
            let missing = try await client.page("/ui/runs/0123456789abcdef0123456789abcdef")
            #expect(missing.status == 404)
            #expect(missing.body.contains(#"<p class="error-message""#))
            #expect(missing.body.contains("does not exist"))
            #expect(try await client.page("/ui/runs/nope/artifacts").status == 404)
            #expect(try await client.page("/ui/runs/nope/artifact?path=a.txt").status == 404)

            let run = try await Self.seed(components)
            try await components.tracking.deleteRun(id: run.info.runId)
            let deleted = try await client.page("/ui/runs/\(run.info.runId)")
            #expect(deleted.status == 200)
            #expect(deleted.body.contains(#"id="deleted-banner""#))
        }
    }

    // MARK: Artifacts

    @Test func artifactBrowserListsFoldersAndPreviewsEachKind() async throws {
        try await WebTestServer().run { components, client in
            let run = try await Self.seed(components)
            let id = run.info.runId
            try await Self.write(components, run, "notes.txt", "line one\nline two")
            try await Self.write(components, run, "metrics.json", #"{"b": 1, "a": [1, 2, {"c": null}]}"#)
            try await Self.write(components, run, "conda.yaml", "name: env\ndependencies:\n  - python=3.11\n")
            try await Self.write(components, run, "data/table.csv", "name,score\n\"Ann, Jr\",0.5\nBob,\"0.7\"\n")
            try await Self.write(components, run, "data/table.tsv", "a\tb\n1\t2\n")
            try await Self.write(components, run, "plot.png", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            try await Self.write(components, run, "weights.bin", [0, 1, 2, 3, 255])
            try await Self.write(components, run, "model/MLmodel", """
                artifact_path: model
                flavors:
                  python_function:
                    loader_module: mlflow.sklearn
                    python_version: 3.11.4
                  sklearn:
                    pickled_model: model.pkl
                    sklearn_version: 1.5.0
                mlflow_version: 2.16.0
                model_uuid: 5d1c
                run_id: \(id)
                signature:
                  inputs: '[{"type": "double", "name": "sepal_length", "required": true}, {"type":
                    "string", "name": "species''s name", "required": true}]'
                  outputs: '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]'
                  params: null
                """)

            let page = try await client.page("/ui/runs/\(id)")
            #expect(page.body.contains(#"class="artifact-link file" href="/ui/runs/\#(id)/artifacts?path=notes.txt""#))
            #expect(page.body.contains(#"id="browse-artifacts""#))

            let root = try await client.page("/ui/runs/\(id)/artifacts")
            #expect(root.status == 200)
            #expect(root.body.contains(#"<table id="artifact-list""#))
            #expect(root.body.contains(#"class="artifact-link folder" href="/ui/runs/\#(id)/artifacts?path=data">data/</a>"#))

            let folder = try await client.page("/ui/runs/\(id)/artifacts?path=data")
            #expect(folder.body.contains(#"href="/ui/runs/\#(id)/artifacts?path=data%2Ftable.csv""#))

            let text = try await client.page("/ui/runs/\(id)/artifacts?path=notes.txt")
            #expect(text.body.contains(#"<div id="artifact-preview""#))
            #expect(text.body.contains("<pre class=\"preview\">line one\nline two</pre>"))
            #expect(text.body.contains(#"id="artifact-download""#))

            let json = try await client.page("/ui/runs/\(id)/artifacts?path=metrics.json")
            #expect(json.body.contains("{\n  &quot;b&quot;: 1,\n  &quot;a&quot;: [\n    1,"))

            let yaml = try await client.page("/ui/runs/\(id)/artifacts?path=conda.yaml")
            #expect(yaml.body.contains("  - python=3.11"))

            let csv = try await client.page("/ui/runs/\(id)/artifacts?path=data/table.csv")
            #expect(csv.body.contains(#"<table id="csv-preview""#))
            #expect(csv.body.contains("<th>score</th>"))
            #expect(csv.body.contains("<td>Ann, Jr</td>"))
            #expect(csv.body.contains("2 rows."))
            let tsv = try await client.page("/ui/runs/\(id)/artifacts?path=data/table.tsv")
            #expect(tsv.body.contains("<th>b</th>"))

            let png = try await client.page("/ui/runs/\(id)/artifacts?path=plot.png")
            #expect(png.body.contains(#"<img class="preview" src="/ui/runs/\#(id)/artifact?path=plot.png""#))

            let binary = try await client.page("/ui/runs/\(id)/artifacts?path=weights.bin")
            #expect(binary.body.contains("Binary file, 5 B"))

            let model = try await client.page("/ui/runs/\(id)/artifacts?path=model/MLmodel")
            #expect(model.body.contains(#"<ul id="mlmodel-flavors">"#))
            #expect(model.body.contains("<code>sklearn</code>"))
            #expect(model.body.contains("sklearn_version: 1.5.0"))
            #expect(model.body.contains(#"<table id="mlmodel-signature""#))
            #expect(model.body.contains("<td>sepal_length</td>"))
            #expect(model.body.contains("<td>species&#39;s name</td>"))
            #expect(model.body.contains("<code>tensor float64 [-1]</code>"))

            let missing = try await client.page("/ui/runs/\(id)/artifacts?path=nope.txt")
            #expect(missing.status == 404)
            #expect(missing.body.contains("has no artifact &#39;nope.txt&#39;"))
        }
    }

    @Test func rawArtifactsAreServedInertly() async throws {
        try await WebTestServer().run { components, client in
            let run = try await Self.seed(components)
            let id = run.info.runId
            try await Self.write(components, run, "page.html", "<script>alert(1)</script>")
            try await Self.write(components, run, "drawing.svg", #"<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>"#)
            try await Self.write(components, run, "weights.bin", [0, 1, 2])
            try await Self.write(components, run, "naïve report.txt", "ok")

            let html = try await client.page("/ui/runs/\(id)/artifact?path=page.html")
            #expect(html.status == 200)
            #expect(html.header("Content-Type") == "text/plain; charset=utf-8")
            #expect(html.header("X-Content-Type-Options") == "nosniff")
            #expect(html.header("Content-Security-Policy") == "sandbox")
            #expect(html.header("Content-Disposition")?.hasPrefix("inline;") == true)
            #expect(html.body == "<script>alert(1)</script>")

            let svg = try await client.page("/ui/runs/\(id)/artifact?path=drawing.svg")
            #expect(svg.header("Content-Type") == "image/svg+xml")
            #expect(svg.header("Content-Security-Policy") == "sandbox")

            let binary = try await client.page("/ui/runs/\(id)/artifact?path=weights.bin")
            #expect(binary.header("Content-Type") == "application/octet-stream")
            #expect(binary.header("Content-Disposition") == #"attachment; filename="weights.bin"; filename*=UTF-8''weights.bin"#)

            let named = try await client.page("/ui/runs/\(id)/artifact?path=na%C3%AFve%20report.txt")
            #expect(named.header("Content-Disposition") == #"inline; filename="na_ve report.txt"; filename*=UTF-8''na%C3%AFve%20report.txt"#)

            #expect(try await client.page("/ui/runs/\(id)/artifact?path=nope.bin").status == 404)
            #expect(try await client.page("/ui/runs/\(id)/artifact").status == 400)
        }
    }

    @Test func unsafeArtifactPathsAreRefused() async throws {
        try await WebTestServer().run { components, client in
            let run = try await Self.seed(components)
            let id = run.info.runId
            try await Self.write(components, run, "a/b.txt", "inside")
            for path in ["..", "../x", "a/../../etc/passwd", "/etc/passwd", "a//b.txt", "a/./b.txt", "a/", "a%2F..%2F..", "..%2Fx", "a\\b"] {
                let encoded = WebLinks.component(path)
                let listing = try await client.page("/ui/runs/\(id)/artifacts?path=\(encoded)")
                #expect(listing.status == 400, "listing \(path)")
                #expect(listing.body.contains("Invalid artifact path"), "listing \(path)")
                let raw = try await client.page("/ui/runs/\(id)/artifact?path=\(encoded)")
                #expect(raw.status == 400, "raw \(path)")
            }
            #expect(try await client.page("/ui/runs/\(id)/artifact?path=a%2Fb.txt").body == "inside")
        }
    }

    // MARK: Safety

    @Test func userTextIsEscapedEverywhere() async throws {
        try await WebTestServer().run { components, client in
            let payloads = [Self.script, Self.image]
            for payload in payloads {
                let run = try await Self.seed(components, name: payload, text: payload)
                let id = run.info.runId
                // Keys are limited to letters, digits and `_-. :/` by the tracking service: a payload key is refused.
                await #expect(throws: YardError.self) {
                    try await components.tracking.logParam(runId: id, param: Param(key: payload, value: "v"))
                }
                await #expect(throws: YardError.self) {
                    try await components.tracking.logMetric(runId: id, metric: Metric(key: payload, value: 1, timestamp: 1))
                }
                try await components.tracking.setTag(runId: id, tag: Tag(key: "mlflow.source.name", value: payload))
                try await components.tracking.setTag(runId: id, tag: Tag(key: "mlflow.parentRunId", value: payload))
                let fileName = payload.replacingOccurrences(of: "/", with: "_")
                try await Self.write(components, run, fileName + ".txt", payload)
                try await Self.write(components, run, "t.csv", "h,\(payload)\n\(payload),2\n")
                try await Self.write(components, run, "t.json", #"{"k": "\#(payload.replacingOccurrences(of: "\"", with: "\\\""))"}"#)
                try await Self.write(components, run, "MLmodel", "flavors:\n  \(payload.replacingOccurrences(of: ":", with: "")):\n    loader_module: \(payload)\n")
                try await Self.write(components, run, "x", payload)

                var pages = [
                    "/ui/runs/\(id)", "/ui/runs/\(id)?x=wall&log=1&smooth=0.5", "/ui/runs/\(id)/chart?key=loss",
                    "/ui/runs/\(id)/artifacts", "/ui/runs/\(id)/artifacts?path=\(WebLinks.component(fileName + ".txt"))",
                    "/ui/runs/\(id)/artifacts?path=t.csv", "/ui/runs/\(id)/artifacts?path=t.json", "/ui/runs/\(id)/artifacts?path=MLmodel",
                    "/ui/runs/\(id)/artifacts?path=x",
                ]
                pages.append("/ui/runs/\(id)/chart?key=\(WebLinks.component(payload))")
                pages.append("/ui/runs/\(id)/artifacts?path=\(WebLinks.component(payload))")
                for uri in pages {
                    let page = try await client.page(uri)
                    #expect(!page.body.contains("<script>alert"), "\(uri)")
                    #expect(!page.body.contains("<img src=x"), "\(uri)")
                }
                let main = try await client.page("/ui/runs/\(id)")
                #expect(main.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;") || main.body.contains("&quot;&gt;&lt;img src=x"))
                let file = try await client.page("/ui/runs/\(id)/artifacts?path=\(WebLinks.component(fileName + ".txt"))")
                #expect(file.body.contains(HTML.escaped(fileName + ".txt")))
            }
        }
    }

    // MARK: Speed

    /// A 100,000-point metric is downsampled on the server: the page says so and stays small. Also prints the
    /// page's server time (no time assertion: timings vary by machine; bench/web measures the release build).
    @Test func runPageWithALongMetricIsDownsampled() async throws {
        try await WebTestServer().run { components, client in
            let run = try await Self.seed(components)
            let id = run.info.runId
            for batch in 0..<100 {
                let metrics = (0..<1000).map { index -> Metric in
                    let step = batch * 1000 + index
                    return Metric(key: "long", value: sin(Double(step) / 2000) + Double(step % 97) / 500, timestamp: 1_764_800_000_000 + Int64(step), step: Int64(step))
                }
                try await components.tracking.logBatch(runId: id, metrics: metrics, params: [], tags: [])
            }
            _ = try await client.page("/ui/runs/\(id)")
            var times: [Double] = []
            for _ in 0..<5 {
                let start = ContinuousClock.now
                let page = try await client.page("/ui/runs/\(id)")
                let elapsed = ContinuousClock.now - start
                times.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
                #expect(page.body.contains("of 100000 points"))
                #expect(page.body.utf8.count < 200_000, "the page carries \(page.body.utf8.count) bytes for one downsampled chart")
            }
            let chartStart = ContinuousClock.now
            _ = try await client.page("/ui/runs/\(id)/chart?key=long&smooth=0.6")
            let chart = ContinuousClock.now - chartStart
            print("run page with a 100,000-point metric: best \(String(format: "%.1f", times.min()!)) ms, median \(String(format: "%.1f", times.sorted()[2])) ms; chart fragment with smoothing: \(chart)")
        }
    }
}
