import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import YardCore
import YardJSON
@testable import YardServer

/// What the clients saw while the alias moved.
final class SwapLog: @unchecked Sendable {
    private let lock = NSLock()
    private var answers: [(version: String, value: Double?)] = []
    private var failures: [String] = []
    private var stopped = false

    func add(version: String, value: Double?) { lock.withLock { answers.append((version, value)) } }
    func fail(_ text: String) { lock.withLock { failures.append(text) } }
    func stop() { lock.withLock { stopped = true } }
    var isStopped: Bool { lock.withLock { stopped } }
    var failureList: [String] { lock.withLock { failures } }
    var count: Int { lock.withLock { answers.count } }
    func versions(since start: Int) -> [String] { lock.withLock { answers.dropFirst(start).map(\.version) } }
    /// Answers whose value is not what the version that claimed them computes (v1: 5, v2: 55).
    var mismatches: [String] {
        let seen = lock.withLock { answers }
        var wrong: [String] = []
        for answer in seen {
            let expected: Double = answer.version == "2" ? 55 : 5
            if answer.value != expected {
                wrong.append("version \(answer.version) answered \(answer.value.map { String($0) } ?? "nothing")")
            }
        }
        return wrong
    }
}

@Suite("Serving hot swap")
struct ServingHotSwapTests {
    static let row = #"{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2]]}}"#

    /// Waits until every answer after `start` is from `version` for a stretch (the swap completed), or
    /// the deadline passes.
    static func waitForAnswers(from version: String, after start: Int, in log: SwapLog, deadline: Duration = .seconds(10)) async throws -> Bool {
        let clock = ContinuousClock()
        let end = clock.now + deadline
        while clock.now < end {
            try await Task.sleep(for: .milliseconds(50))
            let seen = log.versions(since: start)
            if let last = seen.lastIndex(where: { $0 != version }) {
                if seen.count - last > 20 { return true }
            } else if seen.count > 20 {
                return true
            }
        }
        return false
    }

    @Test func aliasMovesRollbackAndBrokenVersionWithoutFailedRequests() async throws {
        let server = try await ServingTestServer(pollMilliseconds: 100)
        let v1 = try await server.register("m", fixture: "linear_v1.onnx")
        let v2 = try await server.register("m", fixture: "linear_v2.onnx")
        let broken = try await server.register("m", fixture: "broken.onnx")
        try await server.setAlias("m", "prod", v1)
        let log = SwapLog()

        try await server.application.test(.ahc(.http)) { client in
            let created = try await client.call(.post, "/api/v1/deployments", #"{"name": "live", "model_uri": "models:/m@prod"}"#)
            #expect(created.json["deployment"]?["serving_version"] == .string("1"))

            // Four clients fire requests back to back for the whole test.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        while !log.isStopped {
                            do {
                                let answer = try await client.call(.post, "/serving/live/invocations", Self.row)
                                if answer.status == 200, let version = answer.header("x-model-version") {
                                    log.add(version: version, value: firstNumber(answer.json["predictions"]))
                                } else {
                                    log.fail("HTTP \(answer.status): \(String(decoding: answer.body.prefix(300), as: UTF8.self))")
                                }
                            } catch {
                                log.fail("\(error)")
                            }
                        }
                    }
                }

                #expect(try await Self.waitForAnswers(from: "1", after: 0, in: log))

                // Promotion: the watcher follows the alias to version 2.
                var mark = log.count
                try await server.setAlias("m", "prod", v2)
                #expect(try await Self.waitForAnswers(from: "2", after: mark, in: log), "never switched to version 2")

                // Rollback moves it back to version 1.
                mark = log.count
                let rolledBack = try await server.components.promotion.rollback(name: "m", alias: "prod", actor: "test")
                #expect(rolledBack.to == v1)
                #expect(try await Self.waitForAnswers(from: "1", after: mark, in: log), "never switched back to version 1")

                // A version whose model file is broken: version 1 keeps answering, the status says why.
                mark = log.count
                try await server.setAlias("m", "prod", broken)
                var status: JSONValue = .null
                for _ in 0..<100 {
                    status = try await client.call(.get, "/api/v1/deployments/live").json["deployment"] ?? .null
                    if status["last_load_error"] != .null && status["last_load_error"] != nil { break }
                    try await Task.sleep(for: .milliseconds(50))
                }
                guard case .string(let error)? = status["last_load_error"] else {
                    Issue.record("no load error reported: \(status)"); log.stop(); return
                }
                #expect(error.contains("version \(broken)"), "\(error)")
                #expect(error.contains("version 1 keeps serving"), "\(error)")
                #expect(status["serving_version"] == .string("1"))
                #expect(status["models"]?["primary"]?["pending_version"] == .string(String(broken)))
                try await Task.sleep(for: .milliseconds(400))
                #expect(log.versions(since: mark).allSatisfy { $0 == "1" })

                log.stop()
                try await group.waitForAll()
            }
        }

        #expect(log.failureList.isEmpty, "\(log.failureList.count) failed requests, first: \(log.failureList.first ?? "")")
        #expect(log.mismatches.isEmpty, "\(log.mismatches.prefix(3))")
        #expect(log.count > 100, "only \(log.count) requests were answered")

        let history = try await server.components.promotion.history(name: "m").filter { $0.action == .deploymentChanged }
        let details = history.compactMap { try? JSONParser.parse(Array($0.detail.utf8)) }
        let loads = details.filter { $0["event"] == .string("version_loaded") }.compactMap { $0["version"] }
        #expect(loads == [.string("1"), .string("2"), .string("1")], "\(loads)")
        let failed = details.filter { $0["event"] == .string("load_failed") }
        #expect(failed.count == 1)
        #expect(failed.first?["serving_version"] == .string("1"))
    }
}
