import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import Testing
import YardCore
import YardStore
import YardTracking
@testable import YardSQLite
@testable import YardServer
@testable import YardWeb

@Suite("Web experiment pages")
struct WebExperimentPagesTests {
    // MARK: Experiments list and its forms

    @Test func listShowsRunCountsAndActivity() async throws {
        try await WebTestServer().run { components, client in
            let tracking = components.tracking
            let id = try await tracking.createExperiment(name: "churn", artifactLocation: nil, tags: [])
            let runs = try await seedRuns(tracking, experimentId: id, count: 3)
            try await tracking.deleteRun(id: runs[2])

            let page = try await client.page("/ui/experiments")
            #expect(page.status == 200)
            #expect(page.body.contains(#"<table id="experiments""#))
            let row = try #require(tableRow(page.body, attribute: "data-experiment-id", value: id))
            #expect(row.contains(#"class="experiment-link""#))
            #expect(row.contains(#"href="/ui/experiments/\#(id)""#))
            #expect(row.contains(#"data-sort="2">2</td>"#), "two active runs")
            #expect(row.contains(#"title="1970-01-01 00:00:02""#), "last activity: the latest end time")
            #expect(page.body.contains(#"<form id="create-experiment" method="post" action="/ui/experiments">"#))
            #expect(page.body.contains(#"name="_csrf""#))
        }
    }

    @Test func createRenameDeleteAndRestoreThroughForms() async throws {
        try await WebTestServer().run { components, client in
            let tracking = components.tracking
            let created = try await client.submit("/ui/experiments", fields: [("name", "fraud")], token: webTestToken)
            #expect(created.status == 303)
            let id = try await tracking.experiment(named: "fraud").experimentId
            #expect(created.header("Location") == "/ui/experiments/\(id)")

            let duplicate = try await client.submit("/ui/experiments", fields: [("name", "fraud")], token: webTestToken)
            #expect(duplicate.status == 400)
            #expect(duplicate.body.contains(#"class="error-message""#))
            #expect(duplicate.body.contains("already exists"))
            #expect(duplicate.body.contains(#"id="create-experiment""#))
            let empty = try await client.submit("/ui/experiments", fields: [("name", "")], token: webTestToken)
            #expect(empty.status == 400)

            let renamed = try await client.submit("/ui/experiments/\(id)/rename", fields: [("name", "fraud v2")], token: webTestToken)
            #expect(renamed.status == 303)
            #expect(renamed.header("Location") == "/ui/experiments")
            #expect(try await tracking.experiment(id: id).name == "fraud v2")

            let deleted = try await client.submit("/ui/experiments/\(id)/delete", fields: [("next", "/ui/experiments")], token: webTestToken)
            #expect(deleted.status == 303)
            #expect(try await tracking.experiment(id: id).lifecycleStage == .deleted)
            let active = try await client.page("/ui/experiments")
            #expect(tableRow(active.body, attribute: "data-experiment-id", value: id) == nil)
            let trash = try await client.page("/ui/experiments?view=deleted")
            #expect(try #require(tableRow(trash.body, attribute: "data-experiment-id", value: id)).contains("/restore"))
            let gone = try await client.page("/ui/experiments/\(id)")
            #expect(gone.status == 404)
            #expect(gone.body.contains(#"class="error-message""#))
            #expect(gone.body.contains("is deleted"))

            // A `next` pointing off-site is ignored: no open redirect.
            let restored = try await client.submit("/ui/experiments/\(id)/restore", fields: [("next", "//evil.example/")], token: webTestToken)
            #expect(restored.status == 303)
            #expect(restored.header("Location") == "/ui/experiments")
            #expect(try await tracking.experiment(id: id).lifecycleStage == .active)

            let forged = try await client.submit("/ui/experiments/\(id)/delete", fields: [], token: nil)
            #expect(forged.status == 403)
            #expect(try await tracking.experiment(id: id).lifecycleStage == .active)
        }
    }

    // MARK: Runs table

    @Test func filterShowsOnlyMatchingRuns() async throws {
        try await WebTestServer().run { components, client in
            let id = try await components.tracking.createExperiment(name: "filtering", artifactLocation: nil, tags: [])
            let runs = try await seedRuns(components.tracking, experimentId: id, count: 5)
            let filter = WebLinks.component("metrics.rmse < 0.25 and params.alpha != '0.0'")
            let page = try await client.page("/ui/experiments/\(id)?filter=\(filter)")
            #expect(page.status == 200)
            // rmse is 0.1 × (index + 1); alpha is index / 10: only run 1 (0.2, 0.1) matches.
            #expect(runIds(page.body) == [runs[1]])
            #expect(page.body.contains(#"<form id="run-filter""#))
            #expect(page.body.contains(#"id="filter" name="filter" value="metrics.rmse &lt; 0.25 and params.alpha != &#39;0.0&#39;""#))
        }
    }

    @Test func sortsByAMetricBothWays() async throws {
        try await WebTestServer().run { components, client in
            let id = try await components.tracking.createExperiment(name: "sorting", artifactLocation: nil, tags: [])
            let runs = try await seedRuns(components.tracking, experimentId: id, count: 4)
            let descending = try await client.page("/ui/experiments/\(id)?order=\(WebLinks.component("metrics.rmse DESC"))")
            #expect(runIds(descending.body) == runs.reversed())
            let ascending = try await client.page("/ui/experiments/\(id)?order=\(WebLinks.component("metrics.rmse ASC"))")
            #expect(runIds(ascending.body) == runs)

            // The header of the sorted column links to the other direction.
            let header = try #require(section(descending.body, from: #"<th data-column="metrics.rmse""#, to: "</th>"))
            #expect(header.contains(#"class="sort-link""#))
            #expect(header.contains("order=metrics.rmse%20ASC"))
            #expect(header.contains("▼"))
            let other = try #require(section(ascending.body, from: #"<th data-column="metrics.rmse""#, to: "</th>"))
            #expect(other.contains("order=metrics.rmse%20DESC"))
        }
    }

    @Test func chosenColumnsReplaceTheDefaults() async throws {
        try await WebTestServer().run { components, client in
            let tracking = components.tracking
            let id = try await tracking.createExperiment(name: "columns", artifactLocation: nil, tags: [])
            let runs = try await seedRuns(tracking, experimentId: id, count: 2)
            try await tracking.setTag(runId: runs[0], tag: Tag(key: "team", value: "risk"))

            let defaults = try await client.page("/ui/experiments/\(id)")
            #expect(defaults.body.contains(#"<th data-column="metrics.rmse""#))
            #expect(defaults.body.contains(#"<th data-column="params.alpha""#))
            #expect(!defaults.body.contains(#"data-column="tags.team""#))
            #expect(defaults.body.contains(#"data-columns-url="/ui/experiments/\#(id)/columns""#))
            #expect(defaults.body.contains(#"<details class="picker column-picker""#))

            let chosen = try await client.page("/ui/experiments/\(id)?cols=tags.team,params.alpha,bogus")
            #expect(chosen.body.contains(#"<th data-column="tags.team""#))
            #expect(chosen.body.contains(#"<th data-column="params.alpha""#))
            #expect(!chosen.body.contains(#"data-column="metrics.rmse""#))
            #expect(try #require(tableRow(chosen.body, attribute: "data-run-id", value: runs[0])).contains("<td>risk</td>"))
            #expect(chosen.body.contains("Ignored columns &#39;bogus&#39;"))
        }
    }

    @Test func pagesThroughRuns() async throws {
        try await WebTestServer().run { components, client in
            let id = try await components.tracking.createExperiment(name: "paging", artifactLocation: nil, tags: [])
            let runs = try await seedRuns(components.tracking, experimentId: id, count: 7)
            var seen: [String] = []
            var address: String? = "/ui/experiments/\(id)?size=3"
            var pages = 0
            while let next = address {
                let page = try await client.page(next)
                #expect(page.status == 200)
                seen += runIds(page.body)
                address = nextPageLink(page.body)
                pages += 1
            }
            #expect(pages == 3)
            #expect(Set(seen) == Set(runs))
            #expect(seen.count == 7)
        }
    }

    @Test func columnsEndpointSearchesThousandsOfKeys() async throws {
        try await WebTestServer().run { components, client in
            let tracking = components.tracking
            let id = try await tracking.createExperiment(name: "wide", artifactLocation: nil, tags: [])
            // 1,500 distinct param keys over 15 runs (100 params per batch is the API's limit).
            for batch in 0..<15 {
                let run = try await tracking.createRun(experimentId: id, userId: "u", runName: "wide-\(batch)", startTime: 1000, tags: [])
                let params = (0..<100).map { Param(key: String(format: "param-%04d", batch * 100 + $0), value: "v") }
                try await tracking.logBatch(runId: run.info.runId, metrics: [Metric(key: "loss", value: 1, timestamp: 1)], params: params, tags: [])
            }
            let limited = try JSONSerialization.jsonObject(with: Data(try await client.page("/ui/experiments/\(id)/columns?q=param-&limit=50").body.utf8)) as? [String: Any]
            let columns = try #require(limited?["columns"] as? [String])
            #expect(columns.count == 50)
            #expect(columns.first == "params.param-0000")
            #expect(limited?["total"] as? Int == 1500)
            #expect(limited?["truncated"] as? Bool == true)

            let narrow = try await client.page("/ui/experiments/\(id)/columns?q=PARAM-149")
            #expect(narrow.header("Content-Type") == "application/json")
            let narrowed = try JSONSerialization.jsonObject(with: Data(narrow.body.utf8)) as? [String: Any]
            #expect((narrowed?["columns"] as? [String])?.count == 10)
            #expect(narrowed?["truncated"] as? Bool == false)

            let everything = try JSONSerialization.jsonObject(with: Data(try await client.page("/ui/experiments/\(id)/columns").body.utf8)) as? [String: Any]
            #expect((everything?["columns"] as? [String])?.count == 200)
            #expect((everything?["columns"] as? [String])?.first == "metrics.loss")
            #expect((everything?["total"] as? Int ?? 0) > 1500)

            // The runs page itself shows a few of them, never all 1,500.
            let page = try await client.page("/ui/experiments/\(id)")
            #expect(page.body.components(separatedBy: #"<th data-column="params."#).count - 1 == RunsTablePage.defaultParamColumns)
        }
    }

    @Test func invalidFilterIsA400WithTheProblemAndTheForm() async throws {
        try await WebTestServer().run { components, client in
            let id = try await components.tracking.createExperiment(name: "bad filter", artifactLocation: nil, tags: [])
            _ = try await seedRuns(components.tracking, experimentId: id, count: 1)
            let page = try await client.page("/ui/experiments/\(id)?filter=\(WebLinks.component("metrics.rmse < 1 or params.a = 'b'"))")
            #expect(page.status == 400)
            #expect(page.body.contains(#"class="error-message""#))
            #expect(page.body.contains("OR"))
            #expect(page.body.contains(#"value="metrics.rmse &lt; 1 or params.a = &#39;b&#39;""#))
            #expect(!page.body.contains(#"<table id="runs""#))
            let order = try await client.page("/ui/experiments/\(id)?order=\(WebLinks.component("metrics.rmse SIDEWAYS"))")
            #expect(order.status == 400)
            #expect(order.body.contains("Invalid order_by clause"))
        }
    }

    @Test func missingExperimentIsA404() async throws {
        try await WebTestServer().run { _, client in
            let page = try await client.page("/ui/experiments/98765")
            #expect(page.status == 404)
            #expect(page.body.contains(#"class="error-message""#))
            #expect(page.body.contains("There is no experiment with id &#39;98765&#39;"))
            #expect(try await client.page("/ui/experiments/98765/columns").status == 404)
            #expect(try await client.page("/ui/experiments/not-a-number").status == 404)
        }
    }

    @Test func runningRunsRefreshTheTableInPlace() async throws {
        try await WebTestServer().run { components, client in
            let tracking = components.tracking
            let id = try await tracking.createExperiment(name: "live", artifactLocation: nil, tags: [])
            let runs = try await seedRuns(tracking, experimentId: id, count: 2, finish: false)
            let live = try await client.page("/ui/experiments/\(id)")
            #expect(live.body.contains(#"data-refresh-url="/ui/experiments/\#(id)?fragment=1""#))
            #expect(live.body.contains(#"data-refresh-seconds="5""#))
            #expect(live.body.contains(#"<td class="status"><span class="status status-RUNNING">RUNNING</span></td>"#))
            let fragment = try await client.page("/ui/experiments/\(id)?fragment=1")
            #expect(fragment.body.hasPrefix(#"<div><table id="runs""#))
            #expect(!fragment.body.contains("<html"))

            for run in runs { _ = try await tracking.updateRun(id: run, status: .finished, endTime: 5000, runName: nil) }
            let done = try await client.page("/ui/experiments/\(id)")
            #expect(!done.body.contains("data-refresh-url"))
        }
    }

    @Test func showsDatasetInputsAndLoggedModels() async throws {
        try await WebTestServer().run { components, client in
            let tracking = components.tracking
            let id = try await tracking.createExperiment(name: "lineage", artifactLocation: nil, tags: [])
            let runs = try await seedRuns(tracking, experimentId: id, count: 2)
            let digest = "0123456789abcdef0123456789abcdef0123"
            try await tracking.logInputs(runId: runs[0], datasets: [
                DatasetInput(tags: [Tag(key: ReservedTags.datasetContext, value: "training")],
                             dataset: Dataset(name: "train-set", digest: digest, sourceType: "local", source: "data/train.csv")),
            ], modelIds: [])
            let model = try await components.loggedModels.create(experimentId: id, name: "classifier", modelType: nil,
                                                                 sourceRunId: runs[1], params: [], tags: [])
            let page = try await client.page("/ui/experiments/\(id)")
            let first = try #require(tableRow(page.body, attribute: "data-run-id", value: runs[0]))
            #expect(first.contains("train-set@01234567"))
            #expect(first.contains("context: training"))
            let second = try #require(tableRow(page.body, attribute: "data-run-id", value: runs[1]))
            #expect(second.contains(">classifier</a>"))
            #expect(second.contains(model.modelId))
        }
    }

    // MARK: Safety

    @Test func userTextIsEscapedEverywhere() async throws {
        try await WebTestServer().run { components, client in
            let tracking = components.tracking
            let payloads = ["<script>alert(1)</script>", #""><img src=x onerror=alert(1)>"#]
            for (index, payload) in payloads.enumerated() {
                let id = try await tracking.createExperiment(name: payload, artifactLocation: nil, tags: [])
                let run = try await tracking.createRun(experimentId: id, userId: payload, runName: payload, startTime: 1000,
                                                       tags: [Tag(key: "note", value: payload)])
                try await tracking.logBatch(runId: run.info.runId, metrics: [], params: [Param(key: "p", value: payload)], tags: [])
                // Keys with markup characters are refused by the API's validation; a store filled by another
                // writer could still hold them, so they are written to the store directly.
                try await tracking.store.logBatch(runId: run.info.runId, metrics: [Metric(key: payload, value: 1, timestamp: 1)],
                                                  params: [Param(key: payload + "-param", value: "1")],
                                                  tags: [Tag(key: payload + "-tag", value: payload)])
                try await tracking.logInputs(runId: run.info.runId, datasets: [
                    DatasetInput(tags: [Tag(key: ReservedTags.datasetContext, value: payload)],
                                 dataset: Dataset(name: payload, digest: String(payload.prefix(36)), sourceType: "local", source: payload)),
                ], modelIds: [])
                _ = try await components.loggedModels.create(experimentId: id, name: payload, modelType: nil,
                                                             sourceRunId: run.info.runId, params: [], tags: [])

                let cols = ["params.p", "tags.note", "tags.\(payload)-tag", "metrics.\(payload)", "params.\(payload)-param"]
                    .map(WebLinks.component).joined(separator: ",")
                let pages = [
                    try await client.page("/ui/experiments"),
                    try await client.page("/ui/experiments?q=\(WebLinks.component(payload))"),
                    try await client.page("/ui/experiments/\(id)"),
                    try await client.page("/ui/experiments/\(id)?cols=\(cols)"),
                    try await client.page("/ui/experiments/\(id)?filter=\(WebLinks.component(payload))&order=\(WebLinks.component(payload))"),
                ]
                for page in pages {
                    #expect(!page.body.contains("<script>alert"), "raw script payload \(index)")
                    #expect(!page.body.contains("<img src=x"), "raw img payload \(index)")
                }
                let escaped = HTML.escaped(payload)
                #expect(pages[0].body.contains(escaped))
                #expect(pages[2].body.contains(escaped))
                #expect(pages[3].body.contains(">" + escaped + "</td>"), "param and tag values")
                #expect(pages[3].body.contains(HTML.escaped("tags.\(payload)-tag")), "tag key in the header")
                #expect(pages[3].body.contains(HTML.escaped("metrics.\(payload)")), "metric key in the header")
            }
        }
    }

    // MARK: Speed (run by hand: YARD_WEB_BENCH=1 swift test --filter "Web experiment pages")

    @Test(.enabled(if: ProcessInfo.processInfo.environment["YARD_WEB_BENCH"] != nil))
    func runsPageAtTenThousandRuns() async throws {
        try await WebTestServer().run { components, client in
            let tracking = components.tracking
            let id = try await tracking.createExperiment(name: "bench", artifactLocation: nil, tags: [])
            let seedStart = Date()
            for index in 0..<10_000 {
                let run = try await tracking.createRun(experimentId: id, userId: "bench", runName: "run-\(index)",
                                                       startTime: Int64(1_000_000 + index), tags: [Tag(key: "team", value: "t\(index % 7)")])
                let metrics = (0..<50).map { Metric(key: "m\($0)", value: Double((index * 31 + $0 * 17) % 1000) / 1000, timestamp: 1, step: 0) }
                let params = [Param(key: "alpha", value: String(index % 10)), Param(key: "depth", value: String(index % 5))]
                try await tracking.logBatch(runId: run.info.runId, metrics: metrics, params: params, tags: [])
                _ = try await tracking.updateRun(id: run.info.runId, status: .finished, endTime: Int64(1_000_500 + index), runName: nil)
            }
            print("seeded 10,000 runs × 50 metrics in \(String(format: "%.1f", Date().timeIntervalSince(seedStart))) s")
            // A copy of the seeded store for looking at query plans with the sqlite3 shell.
            if let copy = ProcessInfo.processInfo.environment["YARD_WEB_BENCH_COPY"], let store = tracking.store as? SQLiteStore {
                try? FileManager.default.removeItem(atPath: copy)
                try await store.pool.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [copy]) }
            }
            func timed(_ label: String, _ body: () async throws -> Void) async rethrows {
                let start = Date()
                try await body()
                print("web bench service \(label): \(String(format: "%.1f", Date().timeIntervalSince(start) * 1000)) ms")
            }
            var sample: [Run] = []
            try await timed("searchRuns first 100") {
                sample = try await tracking.searchRuns(experimentIds: [id], filter: nil, orderBy: [], viewType: .activeOnly,
                                                       maxResults: 100, pageToken: nil).items
            }
            try await timed("searchRuns 100 by metrics.m7 DESC") {
                _ = try await tracking.searchRuns(experimentIds: [id], filter: nil, orderBy: ["metrics.m7 DESC"], viewType: .activeOnly,
                                                  maxResults: 100, pageToken: nil)
            }
            try await timed("runColumnKeys") { _ = try await tracking.runColumnKeys(experimentIds: [id]) }
            try await timed("experimentActivity") { _ = try await tracking.experimentActivity() }
            let services = WebUIRoutes(components: components).services
            await timed("logged models of 100 runs") { _ = await RunsTablePage.loggedModels(services, experimentId: id, runs: sample) }
            let addresses = [
                "/ui/experiments/\(id)",
                "/ui/experiments/\(id)?order=\(WebLinks.component("metrics.m7 DESC"))",
                "/ui/experiments/\(id)?filter=\(WebLinks.component("metrics.m3 < 0.5 and params.alpha = '3'"))&order=\(WebLinks.component("metrics.m3 ASC"))",
                "/ui/experiments/\(id)?size=1000",
                "/ui/experiments/\(id)/columns?q=m1",
                "/ui/experiments",
            ]
            for address in addresses {
                var times: [Double] = []
                var bytes = 0
                for _ in 0..<7 {
                    let start = Date()
                    let page = try await client.page(address)
                    times.append(Date().timeIntervalSince(start) * 1000)
                    bytes = page.body.utf8.count
                    #expect(page.status == 200)
                }
                times.sort()
                print("web bench \(address): median \(String(format: "%.1f", times[3])) ms, min \(String(format: "%.1f", times[0])) ms, \(bytes) bytes")
            }
        }
    }

    // MARK: Helpers

    /// `count` runs named run-0… with rmse 0.1 × (index + 1), param alpha = index / 10, started in order.
    private func seedRuns(_ tracking: TrackingService, experimentId: String, count: Int, finish: Bool = true) async throws -> [String] {
        var ids: [String] = []
        for index in 0..<count {
            let run = try await tracking.createRun(experimentId: experimentId, userId: "tester", runName: "run-\(index)",
                                                   startTime: Int64(1000 + index), tags: [])
            try await tracking.logBatch(runId: run.info.runId,
                                        metrics: [Metric(key: "rmse", value: 0.1 * Double(index + 1), timestamp: 1)],
                                        params: [Param(key: "alpha", value: String(format: "%.1f", Double(index) / 10))], tags: [])
            if finish { _ = try await tracking.updateRun(id: run.info.runId, status: .finished, endTime: Int64(2000 + index), runName: nil) }
            ids.append(run.info.runId)
        }
        return ids
    }

    /// The run ids of the table's rows, in order.
    private func runIds(_ body: String) -> [String] {
        body.components(separatedBy: #"<tr data-run-id=""#).dropFirst().map { String($0.prefix { $0 != "\"" }) }
    }

    private func tableRow(_ body: String, attribute: String, value: String) -> String? {
        section(body, from: #"<tr \#(attribute)="\#(value)""#, to: "</tr>")
    }

    private func section(_ body: String, from start: String, to end: String) -> String? {
        guard let open = body.range(of: start), let close = body.range(of: end, range: open.upperBound..<body.endIndex) else { return nil }
        return String(body[open.lowerBound..<close.upperBound])
    }

    /// The href of `a#next-page`, unescaped, or nil on the last page.
    private func nextPageLink(_ body: String) -> String? {
        guard let anchor = section(body, from: #"<a href=""#, to: #"id="next-page""#),
              let link = anchor.components(separatedBy: #"<a href=""#).last?.components(separatedBy: "\"").first else { return nil }
        return link.replacingOccurrences(of: "&amp;", with: "&")
    }
}
