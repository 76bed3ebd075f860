// yard-loadgen: a compiled MLflow-REST load generator for bench/tracking-ingest (see Options.usage).
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOPosix

@main
enum LoadGen {
    static func main() async {
        let options: Options
        do {
            options = try Options.parse(Array(CommandLine.arguments.dropFirst()))
        } catch {
            guard let message = error.message else {
                print(Options.usage)
                exit(0)
            }
            fail("\(message)\n\(Options.usage)")
        }

        var configuration = HTTPClient.Configuration()
        configuration.httpVersion = .http1Only
        configuration.decompression = .disabled
        configuration.timeout = .init(connect: .seconds(10), read: MLflowClient.requestTimeout)
        configuration.connectionPool = .init(
            idleTimeout: .seconds(600), concurrentHTTP1ConnectionsPerHostSoftLimit: options.concurrency)
        let eventLoops = MultiThreadedEventLoopGroup(numberOfThreads: options.eventLoopThreads)
        let http = HTTPClient(eventLoopGroup: eventLoops, configuration: configuration)

        let report: Report
        do {
            report = try await measure(options, MLflowClient(http: http, baseURL: options.baseURL))
            try await http.shutdown()
            try await eventLoops.shutdownGracefully()
        } catch {
            fail("\(error)")
        }
        do {
            print(try report.json())
        } catch {
            fail("cannot encode the report: \(error)")
        }
        FileHandle.standardError.write(Data((report.summaryLine + "\n").utf8))
        exit(report.failed_runs == 0 ? 0 : 1)
    }

    /// Warm-up (untimed), the optional go handshake, then the timed phase.
    static func measure(_ options: Options, _ client: MLflowClient) async throws -> Report {
        let experimentID: String
        if let given = options.experimentID {
            experimentID = given
        } else {
            experimentID = try await client.createExperiment(
                named: "yard-loadgen-\(UInt64(Date().timeIntervalSince1970 * 1e9))")
        }
        let bodies = RequestBodies(
            experimentID: experimentID, keys: options.metricKeys, steps: options.stepsPerKey,
            baseMillis: Int64(Date().timeIntervalSince1970 * 1000))
        let workload = Workload(client: client, bodies: bodies, concurrency: options.concurrency)

        let warmup = await workload.run(totalRuns: options.effectiveWarmupRuns)
        if warmup.failedRuns > 0 {
            throw MLflowClient.Failure(
                description: "\(warmup.failedRuns) warm-up runs failed, first: \(warmup.failureSamples.first ?? "?")")
        }
        if options.waitForGoAfterWarmup {
            FileHandle.standardOutput.write(Data("warm\n".utf8))
            guard readLine() != nil else { throw MLflowClient.Failure(description: "stdin closed before the go line") }
        }

        let cpuBefore = processCPUSeconds()
        let started = NIODeadline.now()
        let stats: Stats
        switch options.length {
        case .runs(let runs): stats = await workload.run(totalRuns: runs)
        case .seconds(let seconds): stats = await workload.run(seconds: seconds)
        }
        let seconds = Double((NIODeadline.now() - started).nanoseconds) / 1e9
        return Report(
            options: options, experimentID: experimentID, stats: stats, seconds: seconds,
            clientCPUSeconds: processCPUSeconds() - cpuBefore)
    }

    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("yard-loadgen: \(message)\n".utf8))
        exit(2)
    }
}
