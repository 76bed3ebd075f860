import Foundation
import Testing
import YardCore
import YardStore
@testable import YardServer
import YardTracking
@testable import YardWeb

@Suite("Web UI dataset pages")
struct WebDatasetPagesTests {
    static let script = "<script>alert(1)</script>"
    static let image = #""><img src=x onerror=alert(1)>"#
    static let firstDigest = String(repeating: "0123456789abcdef", count: 4)
    static let secondDigest = String(repeating: "fedcba9876543210", count: 4)

    struct Seeded {
        var runId: String
        var experimentId: String
        var shortDigest: String
    }

    /// `churn-train` with two versions (the second a CSV with a profile) and one run that logged the second
    /// through MLflow's log_input with its short digest.
    static func seed(_ components: ServerComponents, text: String = "train.csv") async throws -> Seeded {
        let datasets = DatasetService(store: components.datasets)
        _ = try await datasets.register(DatasetRegistrationRequest(
            name: "churn-train", digest: "sha256:" + firstDigest, kind: "directory", size: "4096", files: "3", source: "data/raw",
            profile: nil), now: 1_000)
        let profile = DatasetProfile(rows: 100, columns: [
            .init(name: "age", type: "integer", nulls: 2, min: 18, max: 90, mean: 41.5),
            .init(name: text, type: "string", nulls: 0),
        ])
        let second = try await datasets.register(DatasetRegistrationRequest(
            name: "churn-train", digest: "sha256:" + secondDigest, kind: "file", size: "2048", files: "1", source: text, profile: profile), now: 2_000)
        let experiment = try await components.tracking.createExperiment(name: "churn " + text, artifactLocation: nil, tags: [])
        let run = try await components.tracking.createRun(experimentId: experiment, userId: "ann", runName: "fit " + text, startTime: 5_000, tags: [])
        try await components.tracking.logInputs(runId: run.info.runId, datasets: [DatasetInput(
            tags: [], dataset: Dataset(name: "churn " + text, digest: second.shortDigest, sourceType: "local", source: text))], modelIds: [])
        return Seeded(runId: run.info.runId, experimentId: experiment, shortDigest: second.shortDigest)
    }

    @Test func datasetsListAndVersions() async throws {
        try await WebTestServer().run { components, client in
            let empty = try await client.page("/ui/datasets")
            #expect(empty.status == 200)
            #expect(empty.body.contains("No datasets registered yet"))

            let seeded = try await Self.seed(components)
            let list = try await client.page("/ui/datasets")
            #expect(list.body.contains(#"<table id="datasets""#))
            #expect(list.body.contains(#"<tr data-dataset="churn-train">"#))
            #expect(list.body.contains(#"<a class="dataset-link" href="/ui/datasets/churn-train">churn-train</a>"#))
            #expect(list.body.contains(#"<td class="num">2</td>"#))
            #expect(list.body.contains(#"href="/ui/datasets/churn-train/versions/\#(seeded.shortDigest)""#))
            #expect(list.body.contains("2.0 KiB"))
            #expect(!(try await client.page("/ui/datasets?q=zzz")).body.contains(#"data-dataset="churn-train""#))

            let versions = try await client.page("/ui/datasets/churn-train")
            #expect(versions.status == 200)
            #expect(versions.body.contains(#"<table id="dataset-versions""#))
            let newest = try #require(versions.body.range(of: #"data-digest="\#(seeded.shortDigest)""#))
            let oldest = try #require(versions.body.range(of: #"data-digest="\#(Self.firstDigest.prefix(36))""#))
            #expect(newest.lowerBound < oldest.lowerBound)
            #expect(versions.body.contains(#"<a class="dataset-version-link" href="/ui/datasets/churn-train/versions/\#(seeded.shortDigest)""#))
            #expect(versions.body.contains("<td>directory</td>"))
            #expect(versions.body.contains("data/raw"))
        }
    }

    @Test func versionPageShowsProfileAndTheRunsThatUsedIt() async throws {
        try await WebTestServer().run { components, client in
            let seeded = try await Self.seed(components)
            // Every digest form the service accepts names the same page.
            for digest in [seeded.shortDigest, Self.secondDigest, "sha256:" + Self.secondDigest, Self.secondDigest.uppercased()] {
                let page = try await client.page(WebLinks.datasetVersion("churn-train", digest))
                #expect(page.status == 200, "\(digest)")
                #expect(page.body.contains(#"<table id="profile""#), "\(digest)")
            }
            let page = try await client.page(WebLinks.datasetVersion("churn-train", seeded.shortDigest))
            #expect(page.body.contains("100 rows × 2 columns"))
            #expect(page.body.contains(#"<tr data-column="age"><td class="wrap">age</td>"#))
            for value in [">integer<", #"<td class="num">2</td>"#, ">2 %<", #">18</td>"#, #">90</td>"#, #">41.5</td>"#] {
                #expect(page.body.contains(value), "\(value)")
            }
            #expect(page.body.contains(#"<table id="used-by""#))
            #expect(page.body.contains(#"<a class="run-link" href="/ui/runs/\#(seeded.runId)" title="\#(seeded.runId)">fit train.csv</a>"#))
            #expect(page.body.contains(#"<a class="experiment-link" href="/ui/experiments/\#(seeded.experimentId)">churn train.csv</a>"#))
            #expect(page.body.contains("<td>churn train.csv</td>"))
            #expect(page.body.contains("sha256:" + Self.secondDigest))

            let folder = try await client.page(WebLinks.datasetVersion("churn-train", Self.firstDigest))
            #expect(folder.body.contains("A folder has no profile"))
            #expect(folder.body.contains("No run has logged this version as an input yet."))
            #expect(!folder.body.contains(#"<table id="used-by""#))
        }
    }

    @Test func missingDatasetsAndVersionsAre404Pages() async throws {
        try await WebTestServer().run { components, client in
            _ = try await Self.seed(components)
            let unknownDigest = String(repeating: "9", count: 64)
            for (uri, message) in [
                ("/ui/datasets/nope", "There is no registered dataset named &#39;nope&#39;"),
                ("/ui/datasets/bad%20name", "There is no registered dataset named &#39;bad name&#39;"),
                ("/ui/datasets/nope/versions/\(unknownDigest)", "There is no registered dataset named &#39;nope&#39;"),
                ("/ui/datasets/churn-train/versions/\(unknownDigest)", "Dataset &#39;churn-train&#39; has no version \(unknownDigest)."),
                ("/ui/datasets/churn-train/versions/not-a-digest", "Dataset &#39;churn-train&#39; has no version not-a-digest."),
            ] {
                let page = try await client.page(uri)
                #expect(page.status == 404, "\(uri)")
                #expect(page.body.contains(#"<p class="error-message" role="alert">"#), "\(uri)")
                #expect(page.body.contains(message), "\(uri): \(page.body)")
            }
        }
    }

    /// Server time of the dataset pages with 300 versions, a 2,000-column profile and 300 runs using it (printed;
    /// the bound only catches a regression by an order of magnitude).
    @Test func pagesStayFastWithWideProfilesAndManyRuns() async throws {
        try await WebTestServer().run { components, client in
            let datasets = DatasetService(store: components.datasets)
            let columns = (0..<2000).map { DatasetProfile.Column(name: "feature_\($0)", type: "float", nulls: $0 % 7, min: 0, max: 1, mean: 0.5) }
            var latest: DatasetVersionRecord?
            for number in 0..<300 {
                let digest = String(repeating: "0", count: 60) + String(format: "%04x", number)
                latest = try await datasets.register(DatasetRegistrationRequest(
                    name: "wide", digest: digest, kind: "file", size: "1000000", files: "1", source: "data/wide.csv",
                    profile: number == 299 ? DatasetProfile(rows: 50_000, columns: columns) : nil), now: Int64(number))
            }
            let version = try #require(latest)
            let experiment = try await components.tracking.createExperiment(name: "wide runs", artifactLocation: nil, tags: [])
            for number in 0..<300 {
                let run = try await components.tracking.createRun(experimentId: experiment, userId: nil, runName: "run \(number)", startTime: nil, tags: [])
                try await components.tracking.logInputs(runId: run.info.runId, datasets: [DatasetInput(
                    tags: [], dataset: Dataset(name: "wide", digest: version.shortDigest, sourceType: "local", source: "data/wide.csv"))], modelIds: [])
            }
            for uri in ["/ui/datasets", "/ui/datasets/wide", WebLinks.datasetVersion("wide", version.shortDigest)] {
                _ = try await client.page(uri)
                let clock = ContinuousClock()
                var page: WebPage?
                let elapsed = try await clock.measure { page = try await client.page(uri) }
                print("dataset pages timing: \(uri) \(elapsed)")
                #expect(page?.status == 200)
                #expect(elapsed < .seconds(1), "\(uri) took \(elapsed)")
            }
        }
    }

    @Test func userTextIsEscapedEverywhere() async throws {
        try await WebTestServer().run { components, client in
            // Dataset names keep to letters, digits, '.', '_' and '-'; everything else a user writes carries both payloads:
            // the version's source, profile column names, the run and experiment names, the name the run logged.
            let seeded = try await Self.seed(components, text: Self.script + " " + Self.image)
            for uri in ["/ui/datasets", "/ui/datasets/churn-train", WebLinks.datasetVersion("churn-train", seeded.shortDigest)] {
                let page = try await client.page(uri)
                #expect(page.status == 200, "\(uri)")
                #expect(!page.body.contains("<script>alert"), "\(uri)")
                #expect(!page.body.contains("<img src=x"), "\(uri)")
            }
            let version = try await client.page(WebLinks.datasetVersion("churn-train", seeded.shortDigest))
            let escaped = "&lt;script&gt;alert(1)&lt;/script&gt; &quot;&gt;&lt;img src=x onerror=alert(1)&gt;"
            #expect(version.body.contains(#"<td class="wrap">\#(escaped)</td>"#))
            #expect(version.body.contains(#"<td class="wrap mono">\#(escaped)</td>"#))
            #expect(version.body.contains(">fit \(escaped)</a>"))
            #expect(version.body.contains(">churn \(escaped)</a>"))
            #expect(version.body.contains("<td>churn \(escaped)</td>"))
            #expect(try await client.page("/ui/datasets/churn-train").body.contains(escaped))
        }
    }
}
