import Foundation
import Testing
import YardCore
@testable import YardServer
import YardWeb

/// Values the MLflow API accepts from any client, at the ends of their ranges: every page that shows them
/// must answer, never trap on an overflowing difference or a non-finite pixel.
@Suite("Web UI extreme values")
struct WebExtremeValuesTests {
    @Test func pagesSurviveValuesAtTheEndsOfTheirRanges() async throws {
        try await WebTestServer().run { components, client in
            let tracking = components.tracking
            let experiment = try await tracking.createExperiment(name: "extremes", artifactLocation: nil, tags: [])
            let earliest = try await tracking.createRun(experimentId: experiment, userId: "ann", runName: "earliest",
                                                        startTime: Int64.min, tags: [])
            _ = try await tracking.updateRun(id: earliest.info.runId, status: .finished, endTime: Int64.max, runName: nil)
            let running = try await tracking.createRun(experimentId: experiment, userId: "ann", runName: "running",
                                                       startTime: Int64.min, tags: [])
            let huge = Double.greatestFiniteMagnitude
            for run in [earliest, running] {
                try await tracking.logBatch(runId: run.info.runId, metrics: [
                    Metric(key: "span", value: -huge, timestamp: Int64.min, step: 0),
                    Metric(key: "span", value: 1e305, timestamp: 0, step: 1),
                    Metric(key: "span", value: huge, timestamp: Int64.max, step: Int64.max),
                    Metric(key: "tiny", value: Double.leastNonzeroMagnitude, timestamp: 1, step: Int64.min),
                    Metric(key: "tiny", value: -Double.leastNonzeroMagnitude, timestamp: 2, step: 0),
                ], params: [], tags: [])
            }
            let ids = [earliest.info.runId, running.info.runId]
            var pages = [WebLinks.experiments(), WebLinks.experiment(experiment),
                         WebLinks.experiment(experiment, query: [("order", "metrics.span DESC")]),
                         WebLinks.compare(runs: ids), WebLinks.compare(runs: ids, query: [("chart-x", "time")]),
                         WebLinks.compare(runs: ids, query: [("chart-x", "wall"), ("log", "1"), ("smooth", "0.9")])]
            for id in ids {
                for x in ["step", "time", "wall"] {
                    pages.append(WebLinks.run(id, query: [("x", x)]))
                    pages.append(WebLinks.run(id, query: [("x", x), ("log", "1"), ("smooth", "0.6")]))
                    pages.append(WebLinks.runChart(id, query: [("key", "span"), ("x", x)]))
                }
            }
            for uri in pages {
                let page = try await client.page(uri)
                #expect(page.status == 200, "\(uri) answered \(page.status)")
                #expect(page.body.contains("</html>") || page.body.contains("</figure>"), "\(uri) was cut short")
            }
        }
    }
}
