import Foundation
import Testing
import YardCore
import YardRegistry
@testable import YardServer
import YardTracking
@testable import YardWeb

@Suite("Web UI model pages")
struct WebModelPagesTests {
    static let script = "<script>alert(1)</script>"
    static let image = #""><img src=x onerror=alert(1)>"#
    static let digest = String(repeating: "0123456789abcdef", count: 4)
    static let policy = """
        aliases: [production]
        metrics:
          - accuracy >= 0.9
          - f1 >= champion.f1 - 0.01
        """

    /// The ids of what `seed` made.
    struct Seeded {
        var runs: [String]
        var modelId: String
        var shortDigest: String
    }

    /// `model` with three versions from three runs: v1 promoted to production, v2 refused (its f1 is below
    /// the champion's), v3 promoted, then production rolled back to v1. Run 1 used a registered dataset version.
    static func seed(_ components: ServerComponents, model: String = "churn", text: String = "retrained on Q3",
                     actor: String = "ann") async throws -> Seeded {
        let datasets = DatasetService(store: components.datasets)
        let registered = try await datasets.register(DatasetRegistrationRequest(
            name: "churn-train", digest: "sha256:" + digest, kind: "file", size: "2048", files: "1", source: text,
            profile: DatasetProfile(rows: 10, columns: [.init(name: text, type: "integer", nulls: 1, min: 1, max: 9, mean: 5)])))
        let experiment = try await components.tracking.createExperiment(name: "exp " + text, artifactLocation: nil, tags: [])
        var runs: [String] = []
        for (index, metrics) in [["accuracy": 0.92, "f1": 0.80], ["accuracy": 0.95, "f1": 0.70], ["accuracy": 0.93, "f1": 0.85]].enumerated() {
            let run = try await components.tracking.createRun(experimentId: experiment, userId: actor, runName: "train-\(index + 1) " + text,
                                                              startTime: nil, tags: [])
            try await components.tracking.logBatch(runId: run.info.runId, metrics: metrics.map { Metric(key: $0.key, value: $0.value, timestamp: 1) },
                                                   params: [Param(key: "alpha", value: text)], tags: [])
            runs.append(run.info.runId)
        }
        try await components.tracking.logInputs(runId: runs[0], datasets: [
            DatasetInput(tags: [Tag(key: "mlflow.data.context", value: "training")],
                         dataset: Dataset(name: "churn-train", digest: registered.shortDigest, sourceType: "local", source: text)),
            DatasetInput(tags: [], dataset: Dataset(name: "holdout " + text, digest: "d1g3st", sourceType: "local", source: text)),
        ], modelIds: [])
        let logged = try await components.loggedModels.create(experimentId: experiment, name: "model " + text, modelType: nil,
                                                              sourceRunId: runs[0], params: [], tags: [])
        _ = try await components.registry.createModel(name: model, description: "Churn model " + text,
                                                      tags: [Tag(key: "team", value: text)], userId: actor)
        for (index, runId) in runs.enumerated() {
            _ = try await components.registry.createVersion(
                name: model, source: "runs:/\(runId)/model", runId: runId, modelId: index == 0 ? logged.modelId : nil,
                tags: [Tag(key: "owner", value: text)], runLink: nil, description: "version \(index + 1) " + text, userId: actor, actor: actor)
        }
        _ = try await components.promotion.setPolicy(name: model, document: policy + "\n# " + text + "\n", actor: actor)
        _ = try await components.promotion.promote(name: model, version: 1, alias: "production", dryRun: false, actor: "ann")
        _ = try await components.promotion.promote(name: model, version: 2, alias: "production", dryRun: false, actor: "bob " + text)
        _ = try await components.promotion.promote(name: model, version: 3, alias: "production", dryRun: false, actor: "carol")
        _ = try await components.promotion.rollback(name: model, alias: "production", actor: "dave")
        return Seeded(runs: runs, modelId: logged.modelId, shortDigest: registered.shortDigest)
    }

    @Test func modelsListShowsAliasesAndLatestVersion() async throws {
        try await WebTestServer().run { components, client in
            let empty = try await client.page("/ui/models")
            #expect(empty.status == 200)
            #expect(empty.body.contains("No registered models yet"))

            _ = try await Self.seed(components)
            let page = try await client.page("/ui/models")
            #expect(page.status == 200)
            #expect(page.body.contains(#"<table id="models""#))
            #expect(page.body.contains(#"<tr data-model="churn">"#))
            #expect(page.body.contains(#"<a class="model-link" href="/ui/models/churn">churn</a>"#))
            #expect(page.body.contains(#"href="/ui/models/churn/versions/1" data-alias="production">production → v1</a>"#))
            #expect(page.body.contains(#"<a class="version-link" href="/ui/models/churn/versions/3">v3</a>"#))
            #expect(page.body.contains("Churn model retrained on Q3"))

            let searched = try await client.page("/ui/models?q=CHU")
            #expect(searched.body.contains(#"data-model="churn""#))
            let none = try await client.page("/ui/models?q=zzz")
            #expect(!none.body.contains(#"data-model="churn""#))
            #expect(none.body.contains("No registered model&#39;s name contains &#39;zzz&#39;"))
        }
    }

    @Test func modelPageListsVersionsAliasesTagsAndPolicy() async throws {
        try await WebTestServer().run { components, client in
            let seeded = try await Self.seed(components)
            let page = try await client.page("/ui/models/churn")
            #expect(page.status == 200)
            #expect(page.body.contains(#"<table id="versions""#))
            for version in 1...3 {
                #expect(page.body.contains(#"<tr data-version="\#(version)">"#))
                #expect(page.body.contains(#"<a class="version-link" href="/ui/models/churn/versions/\#(version)">Version \#(version)</a>"#))
            }
            #expect(page.body.contains(#"href="/ui/runs/\#(seeded.runs[1])""#))
            #expect(page.body.contains(#"<ul id="aliases""#))
            #expect(page.body.contains(#"<li data-alias="production">"#))
            #expect(page.body.contains("accuracy &gt;= 0.9"))
            #expect(page.body.contains(#"href="/ui/models/churn/versions/3#policy""#))
            #expect(page.body.contains(#"id="model-tags-table""#))
            #expect(page.body.contains(#"<ol id="model-history" class="timeline">"#))

            let paged = try await client.page("/ui/models/churn?size=2")
            #expect(paged.body.contains(#"<tr data-version="3">"#) && !paged.body.contains(#"<tr data-version="1">"#))
            let next = try #require(paged.body.firstGroup(matching: #"<a id="next-page" class="next-page" href="([^"]+)""#))
            let second = try await client.page(next.replacingOccurrences(of: "&amp;", with: "&"))
            #expect(second.body.contains(#"<tr data-version="1">"#) && !second.body.contains(#"<tr data-version="3">"#))
        }
    }

    @Test func versionPageShowsSourceRunPolicyGateNumbersAndHistory() async throws {
        try await WebTestServer().run { components, client in
            let seeded = try await Self.seed(components)
            let refused = try await client.page("/ui/models/churn/versions/2")
            #expect(refused.status == 200)
            #expect(refused.body.contains(#"<a id="source-run" class="run-link" href="/ui/runs/\#(seeded.runs[1])">train-2 retrained on Q3</a>"#))
            #expect(refused.body.contains(#"<section id="policy">"#))
            #expect(refused.body.contains(#"<pre id="policy-document""#))
            #expect(refused.body.contains(#"<tr data-alias="production">"#))
            #expect(refused.body.contains(#"<section id="gate">"#))
            #expect(refused.body.contains(#"<p class="gate-summary" data-passed="false">"#))
            #expect(refused.body.contains("Not promoted to &#39;production&#39;; it stayed on v1."))
            // f1 gate: observed 0.7 against champion v1's 0.8 - 0.01 = 0.79, failed.
            let f1Row = try #require(refused.body.firstGroup(matching: #"(<tr class="gate-fail" data-passed="false"><td class="mono">f1 &gt;= champion.f1 - 0.01</td>.*?</tr>)"#))
            #expect(f1Row.contains(#"<td class="mono">f1</td><td class="mono">&gt;=</td>"#))
            #expect(f1Row.contains(#"<td class="num">0.79<span class="muted threshold-expression"> (champion.f1 - 0.01)</span></td>"#))
            #expect(f1Row.contains(#"<td class="num observed">0.7</td>"#))
            #expect(f1Row.contains("status-failed"))
            let accuracyRow = try #require(refused.body.firstGroup(matching: #"(<tr class="gate-pass" data-passed="true"><td class="mono">accuracy &gt;= 0.9</td>.*?</tr>)"#))
            #expect(accuracyRow.contains(#"<td class="num observed">0.95</td>"#))
            #expect(accuracyRow.contains(#"<td class="num">0.9</td>"#))

            // The timeline: newest first, with actor and time, this version's entries marked.
            let history = try #require(refused.body.firstGroup(matching: #"(<ol id="history" class="timeline">.*?</ol>)"#))
            let rollback = try #require(history.range(of: "Rolled back"))
            let promotion = try #require(history.range(of: "carol"))
            let refusal = try #require(history.range(of: "Promotion refused"))
            #expect(rollback.lowerBound < promotion.lowerBound && promotion.lowerBound < refusal.lowerBound)
            #expect(history.contains(#"<span class="actor">dave</span>"#))
            #expect(history.contains(#"<span class="actor">bob retrained on Q3</span>"#))
            #expect(history.contains(#"<li class="event-promotion_refused this-version" data-action="promotion_refused""#))
            #expect(history.contains("production: v3 → v1"))
            #expect(history.contains("production stays on v1 · 1 of 2 gate(s) passed"))
            #expect(history.contains(" UTC</time>"))

            let onlyThis = try await client.page("/ui/models/churn/versions/2?history=version")
            let filtered = try #require(onlyThis.body.firstGroup(matching: #"(<ol id="history" class="timeline">.*?</ol>)"#))
            #expect(!filtered.contains("Rolled back") && filtered.contains("Promotion refused"))
            #expect(onlyThis.body.contains(#"id="history-all""#))

            // v1 was the champion v2's refusal compared against, but the refusal moved nothing: not v1's entry.
            let champion = try await client.page("/ui/models/churn/versions/1")
            #expect(champion.body.contains(#"<li class="event-promotion_refused" data-action="promotion_refused""#))
            #expect(champion.body.contains(#"<li class="event-rolled_back this-version" data-action="rolled_back""#))

            let promoted = try await client.page("/ui/models/churn/versions/3")
            #expect(promoted.body.contains(#"<p class="gate-summary" data-passed="true">"#))
            #expect(promoted.body.contains("Promoted to &#39;production&#39;, replacing v1."))
            #expect(promoted.body.contains(#"<span class="actor">carol</span>"#))
        }
    }

    @Test func lineageGraphLinksDatasetRunModelAndAliases() async throws {
        try await WebTestServer().run { components, client in
            let seeded = try await Self.seed(components)
            let page = try await client.page("/ui/models/churn/versions/1")
            #expect(page.status == 200)
            let svg = try #require(page.body.firstGroup(matching: #"(<svg id="lineage" class="lineage".*?</svg>)"#))
            #expect(svg.contains(#"<marker id="arrow""#))
            #expect(svg.contains(#"<a href="/ui/datasets/churn-train/versions/\#(seeded.shortDigest)" class="node kind-dataset""#))
            #expect(svg.contains(#"<a href="/ui/runs/\#(seeded.runs[0])" class="node kind-run""#))
            #expect(svg.contains(#"<a href="/ui/runs/\#(seeded.runs[0])#outputs" class="node kind-logged-model""#))
            #expect(svg.contains(#"<a href="/ui/models/churn/versions/1" class="node kind-version current""#))
            #expect(svg.contains(#"<a href="/ui/models/churn#aliases" class="node kind-alias""#))
            // An input that is not a registered version is drawn without a link.
            #expect(svg.contains(#"<g class="node kind-dataset unlinked""#))
            #expect(svg.contains("(not a registered dataset version)"))
            // Long labels are cut on the node and whole in the tooltip.
            #expect(svg.contains("<title>run: train-1 retrained on Q3"))
            #expect(svg.contains(">train-1 retrained on Q3</text>"))
            #expect(svg.contains(">model retrained on Q3</text>"))
            #expect(svg.contains(#"data-from="dataset-0" data-to="run""#))
            #expect(svg.contains(#"data-from="run" data-to="logged-model""#))
            #expect(svg.contains(#"data-from="logged-model" data-to="version""#))
            #expect(svg.contains(#"data-from="version" data-to="alias-production""#))
            #expect(page.body.contains(#"<span id="logged-model" class="mono">\#(seeded.modelId)</span>"#))
        }
    }

    @Test func missingModelsAndVersionsAre404Pages() async throws {
        try await WebTestServer().run { components, client in
            _ = try await Self.seed(components)
            for (uri, message) in [
                ("/ui/models/nope", "There is no registered model named &#39;nope&#39;"),
                ("/ui/models/nope/versions/1", "There is no registered model named &#39;nope&#39;"),
                ("/ui/models/churn/versions/99", "Registered model &#39;churn&#39; has no version 99"),
                ("/ui/models/churn/versions/abc", "&#39;abc&#39; is not a version number"),
                ("/ui/models/churn/versions/0", "&#39;0&#39; is not a version number"),
            ] {
                let page = try await client.page(uri)
                #expect(page.status == 404, "\(uri)")
                #expect(page.body.contains(#"<p class="error-message" role="alert">"#), "\(uri)")
                #expect(page.body.contains(message), "\(uri): \(page.body)")
            }
            try await components.registry.deleteModel(name: "churn", actor: "ann")
            let deleted = try await client.page("/ui/models/churn/versions/1")
            #expect(deleted.status == 404)
        }
    }

    @Test func userTextIsEscapedEverywhere() async throws {
        try await WebTestServer().run { components, client in
            // A model name cannot hold '/', so the <script> payload goes in every other field and the
            // attribute-breaking one in the name as well.
            let payload = Self.script + " " + Self.image
            _ = try await Self.seed(components, model: Self.image, text: payload, actor: payload)
            let name = WebLinks.segment(Self.image)
            for uri in ["/ui/models", "/ui/models/\(name)", "/ui/models/\(name)/versions/1", "/ui/models/\(name)/versions/2",
                        "/ui/models/\(name)/versions/1?history=version"] {
                let page = try await client.page(uri)
                #expect(page.status == 200, "\(uri)")
                #expect(!page.body.contains("<script>alert"), "\(uri)")
                #expect(!page.body.contains("<img src=x"), "\(uri)")
                #expect(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "\(uri)")
                #expect(page.body.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"), "\(uri)")
            }
            let version = try await client.page("/ui/models/\(name)/versions/1")
            #expect(version.body.contains(#"id="lineage""#))
            #expect(version.body.contains(#"<a id="source-run""#))
            #expect(version.body.contains("# &lt;script&gt;alert(1)&lt;/script&gt;"))
        }
    }

    /// Server time of the model pages for a model with 300 versions and 900 history entries (printed; the bound
    /// only catches a regression by an order of magnitude, not machine noise).
    @Test func pagesStayFastWithManyVersionsAndALongHistory() async throws {
        try await WebTestServer().run { components, client in
            let experiment = try await components.tracking.createExperiment(name: "scale", artifactLocation: nil, tags: [])
            let run = try await components.tracking.createRun(experimentId: experiment, userId: nil, runName: "fit", startTime: nil, tags: [])
            _ = try await components.registry.createModel(name: "big", description: nil, tags: [], userId: nil)
            for number in 1...300 {
                _ = try await components.registry.createVersion(name: "big", source: "runs:/\(run.info.runId)/model", runId: run.info.runId,
                                                                modelId: nil, tags: [], runLink: nil, description: "v\(number)", userId: nil, actor: "ci")
                try await components.registry.setAlias(name: "big", alias: "candidate", version: String(number), actor: "ci")
                try await components.registry.setAlias(name: "big", alias: "shadow-\(number % 5)", version: String(number), actor: "ci")
            }
            for uri in ["/ui/models", "/ui/models/big", "/ui/models/big/versions/150", "/ui/models/big/versions/300?history=version"] {
                _ = try await client.page(uri)
                let clock = ContinuousClock()
                var page: WebPage?
                let elapsed = try await clock.measure { page = try await client.page(uri) }
                print("model pages timing: \(uri) \(elapsed)")
                #expect(page?.status == 200)
                #expect(elapsed < .seconds(1), "\(uri) took \(elapsed)")
            }
        }
    }

    @Test func gateNumbersAreReadBackFromTheRecordedSentence() {
        let champion = ModelHistory.check(GateResult(gate: "f1 >= champion.f1 - 0.01", passed: false,
                                                     detail: "f1=0.7 >= champion v1 f1=0.8 - 0.01 (= 0.79)"))
        #expect(champion.metric == "f1" && champion.comparison == ">=")
        #expect(champion.threshold == 0.79 && champion.observed == 0.7)
        #expect(champion.thresholdExpression == "champion.f1 - 0.01")
        let plain = ModelHistory.check(GateResult(gate: "loss < champion.loss", passed: true, detail: "loss=0.2 < champion v4 loss=0.3"))
        #expect(plain.threshold == 0.3 && plain.observed == 0.2)
        let skipped = ModelHistory.check(GateResult(gate: "f1 >= champion.f1", passed: true,
                                                    detail: "no champion holds 'production' yet, so the comparison is skipped (f1=0.81)"))
        #expect(skipped.threshold == nil && skipped.observed == 0.81)
        let constant = ModelHistory.check(GateResult(gate: "accuracy >= 0.9", passed: true, detail: "accuracy=0.93 >= 0.9"))
        #expect(constant.threshold == 0.9 && constant.observed == 0.93)
        let tag = ModelHistory.check(GateResult(gate: "tag owner", passed: false, detail: "tag 'owner' is missing on version 2 and its run"))
        #expect(tag.metric == nil && tag.threshold == nil && tag.observed == nil)
    }

    @Test func lineageLayoutPutsKindsInColumnsLeftToRight() {
        var graph = LineageGraph()
        graph.nodes = [
            .init(id: "alias", kind: .alias, label: "@production", href: nil),
            .init(id: "d1", kind: .dataset, label: "train", href: nil),
            .init(id: "d2", kind: .dataset, label: "test", href: nil),
            .init(id: "run", kind: .run, label: "a run with a very long name that does not fit", href: "/ui/runs/r1"),
        ]
        let (placed, width, _) = graph.layout()
        let x = Dictionary(uniqueKeysWithValues: placed.map { ($0.node.id, $0.x) })
        #expect(x["d1"] == x["d2"])
        #expect(x["d1"]! < x["run"]! && x["run"]! < x["alias"]!)
        #expect(width > LineageGraph.nodeWidth * 3)
        #expect(LineageGraph.truncated("a run with a very long name that does not fit").count == LineageGraph.labelLimit)
        var html = HTML()
        graph.render(id: "lineage", into: &html)
        #expect(html.rendered.contains("a run with a very long …</text>"))
        #expect(html.rendered.contains("<title>run: a run with a very long name that does not fit</title>"))
    }
}

fileprivate extension String {
    /// The first capture group of `pattern` (matched across lines), for pulling one element out of a page.
    func firstGroup(matching pattern: String) -> String? {
        guard let regex = try? NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators]),
              let match = regex.firstMatch(in: self, range: NSRange(startIndex..., in: self)),
              let range = Range(match.range(at: 1), in: self) else { return nil }
        return String(self[range])
    }
}
