import Foundation
import HummingbirdTesting
import Testing
import YardCore
import YardData
import YardJSON
@testable import YardServer

/// The monitoring API over the real router and a real SQLite store: monitors, evaluations against a
/// reference dataset version pushed to the server's object store, record streams, alerts, /metrics.
@Suite("Monitoring API over HTTP")
struct MonitoringRoutesTests {
    /// Deterministic values spread like a standard normal (a fixed LCG through Box-Muller).
    static func normals(_ count: Int, seed: UInt64) -> [Double] {
        var state = seed
        func uniform() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Double(state >> 11) + 0.5) / Double(1 << 53)
        }
        return (0..<count).map { _ in (-2 * log(uniform())).squareRoot() * cos(2 * .pi * uniform()) }
    }

    /// Reference: x ~ N(0,1), c alternating a/b, prediction and label agreeing on x > 0.
    static func referenceCSV(rows: Int = 300) -> String {
        var lines = ["x,c,prediction,label"]
        for (index, x) in normals(rows, seed: 7).enumerated() {
            let verdict = x > 0 ? 1 : 0
            lines.append("\(x),\(index % 2 == 0 ? "a" : "b"),\(verdict),\(verdict)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Stream records with x shifted by `shift`.
    static func recordsBody(count: Int, shift: Double, idPrefix: String) -> String {
        let records = normals(count, seed: 11).enumerated().map { index, x -> String in
            let value = x + shift
            return #"{"id": "\#(idPrefix)-\#(index)", "features": {"x": \#(value), "c": "\#(index % 2 == 0 ? "a" : "b")"}, "prediction": \#(value > 0 ? 1 : 0)}"#
        }
        return #"{"records": [\#(records.joined(separator: ", "))]}"#
    }

    static func monitorBody(name: String = "clicks-drift", stream: String = "clicks", digest: String, webhook: String = "http://127.0.0.1:9/hook") -> String {
        #"""
        {"name": "\#(name)", "source": {"stream": "\#(stream)"},
         "reference": {"dataset": "clicks-ref", "digest": "\#(digest)"},
         "window": {"last_records": 1000},
         "columns": {"numerical": ["x"], "categorical": ["c"], "prediction": "prediction", "target": "label"},
         "quality": {"task": "classification", "positive_label": "1"},
         "rules": [{"name": "drift", "condition": "share_drifted > 0.3", "actions": ["notify"]}],
         "actions": {"notify": {"webhook": {"url": "\#(webhook)", "retries": 0, "timeout_seconds": 1}}}}
        """#
    }

    /// Pushes the reference CSV to the object store and registers it as `clicks-ref`; returns the digest.
    static func registerReference(_ client: some TestClientProtocol, push: Bool = true) async throws -> String {
        let csv = referenceCSV()
        let digest = ContentDigest.of(Array(csv.utf8)).hex
        if push {
            let stored = try await client.call(.put, "/api/v1/objects/\(digest)", csv, contentType: "application/octet-stream")
            #expect(stored.status == 201, "\(String(decoding: stored.body, as: UTF8.self))")
        }
        let registered = try await client.call(.post, "/api/v1/datasets", #"""
            {"name": "clicks-ref", "digest": "\#(digest)", "kind": "file", "size": \#(csv.utf8.count), "files": 1, "source": "data/clicks.csv"}
            """#)
        #expect(registered.status == 200, "\(String(decoding: registered.body, as: UTF8.self))")
        return digest
    }

    static func text(_ answer: HTTPAnswer) -> String { String(decoding: answer.body, as: UTF8.self) }

    @Test func streamsTakeRecordsLabelsAndListThem() async throws {
        let server = try await ServingTestServer()
        try await server.application.test(.router) { client in
            let posted = try await client.call(.post, "/api/v1/streams/clicks/records", #"""
                {"records": [{"id": "r1", "timestamp": 1767225600000, "features": {"x": 1.5, "c": "a"}, "prediction": 1, "model_version": "3"},
                             {"features": {"x": -2, "c": "b"}}]}
                """#)
            #expect(posted.status == 200, "\(Self.text(posted))")
            #expect(posted.json["received"] == .int(2))
            guard case .array(let ids)? = posted.json["ids"], ids.count == 2, case .string(let generated) = ids[1] else {
                Issue.record("no ids: \(Self.text(posted))"); return
            }
            #expect(ids[0] == .string("r1"))
            #expect(generated.count == 36 && generated != "r1")

            let labeled = try await client.call(.post, "/api/v1/streams/clicks/labels", #"{"labels": [{"id": "r1", "label": 1}, {"id": "nope", "label": 0}]}"#)
            #expect(labeled.status == 200, "\(Self.text(labeled))")
            #expect(labeled.json["received"] == .int(2))
            #expect(labeled.json["matched"] == .int(1))

            let listed = try await client.call(.get, "/api/v1/streams/clicks/records?limit=10")
            #expect(listed.status == 200)
            guard case .array(let records)? = listed.json["records"] else { Issue.record("no records: \(Self.text(listed))"); return }
            #expect(records.count == 2)
            let first = records.first { $0["id"] == .string("r1") }
            #expect(first?["features"]?["x"] == .number("1.5"))
            #expect(first?["features"]?["c"] == .string("a"))
            #expect(first?["prediction"] == .number("1"))
            #expect(first?["model_version"] == .string("3"))
            #expect(first?["label"] == .number("1"))
            #expect(first?["timestamp"] == .int(Int64(1_767_225_600_000)))
            let second = records.first { $0["id"] == .string(generated) }
            #expect(second?["prediction"] == .null)
            #expect(second?["label"] == .null)

            // The records are the prediction log of deployment stream:clicks, which monitors read.
            let page = try await server.components.serving.store!.predictions(.init(deployment: "stream:clicks"))
            #expect(page.items.count == 2)
            #expect(page.items.allSatisfy { $0.role == "primary" && $0.rows == 1 })
            #expect(page.items.first { $0.id == "r1" }?.inputs == #"[{"x":1.5,"c":"a"}]"#)
            #expect(page.items.first { $0.id == "r1" }?.outputs == #"{"prediction":1}"#)

            let other = try await client.call(.get, "/api/v1/streams/other/records")
            #expect(other.json["records"] == .array([]))
        }
    }

    @Test func recordIdsAreUniquePerStreamAndAReusedIdIsRefusedNotDropped() async throws {
        let server = try await ServingTestServer()
        try await server.application.test(.router) { client in
            let first = #"{"records": [{"id": "r1", "timestamp": 1767225600000, "features": {"x": 1}}]}"#
            #expect(try await client.call(.post, "/api/v1/streams/a/records", first).status == 200)
            // The same id in another stream is another record.
            #expect(try await client.call(.post, "/api/v1/streams/b/records", first).status == 200)
            // A retry of the same record is accepted and logged once.
            #expect(try await client.call(.post, "/api/v1/streams/a/records", first).status == 200)
            // Different content under a used id fails the whole batch, naming the id; nothing of it is stored.
            let clash = try await client.call(.post, "/api/v1/streams/a/records", #"""
                {"records": [{"id": "r2", "timestamp": 1767225600001, "features": {"x": 2}},
                             {"id": "r1", "timestamp": 1767225600000, "features": {"x": 99}}]}
                """#)
            #expect(clash.status == 409, "\(Self.text(clash))")
            #expect(Self.text(clash).contains("'r1'"))
            let store = try #require(server.components.serving.store)
            let a = try await store.predictions(.init(deployment: "stream:a"))
            #expect(a.items.map(\.id) == ["r1"])
            #expect(a.items.first?.inputs == #"[{"x":1}]"#)
            #expect(try await store.predictions(.init(deployment: "stream:b")).items.map(\.id) == ["r1"])
        }
    }

    @Test func streamRecordsAreKeptToThePredictionLogRetention() async throws {
        let server = try await ServingTestServer(retainPredictions: 3)
        try await server.application.test(.router) { client in
            let records = (0..<5).map { #"{"id": "r\#($0)", "timestamp": \#(1767225600000 + $0), "features": {"x": \#($0)}}"# }
            let posted = try await client.call(.post, "/api/v1/streams/clicks/records", #"{"records": [\#(records.joined(separator: ","))]}"#)
            #expect(posted.status == 200, "\(Self.text(posted))")
            let log = try #require(server.components.serving.predictionLog)
            await log.prune()
            let kept = try await server.components.serving.store!.predictions(.init(deployment: "stream:clicks"))
            #expect(kept.items.map(\.id).sorted() == ["r2", "r3", "r4"])
        }
    }

    @Test func malformedStreamRequestsNameTheField() async throws {
        let server = try await ServingTestServer()
        try await server.application.test(.router) { client in
            let cases: [(String, String, String)] = [
                ("clicks", #"{}"#, "records"),
                ("clicks", #"{"records": []}"#, "records"),
                ("clicks", #"{"records": [7]}"#, "records[0]"),
                ("clicks", #"{"records": [{"x": 1}]}"#, "records[0].x"),
                ("clicks", #"{"records": [{"features": [1, 2]}]}"#, "records[0].features"),
                ("clicks", #"{"records": [{"features": {}}]}"#, "records[0].features"),
                ("clicks", #"{"records": [{"features": {"x": 1}}, {"features": {"x": 1}, "timestamp": "noon"}]}"#, "records[1].timestamp"),
                ("clicks", #"{"records": [{"features": {"x": 1}, "timestamp": 12}]}"#, "records[0].timestamp"),
                ("clicks", #"{"records": [{"features": {"x": 1}, "id": ""}]}"#, "records[0].id"),
                ("clicks", #"{"records": [{"features": {"x": 1}, "id": "a b"}]}"#, "records[0].id"),
                ("clicks", #"{"records": [{"features": {"x": 1}, "id": "d"}, {"features": {"x": 2}, "id": "d"}]}"#, "records[1].id"),
                ("clicks", #"{"records": [{"features": {"x": 1}, "prediction": [1]}]}"#, "records[0].prediction"),
                ("clicks", #"{"records": [{"features": {"x": 1}, "model_version": {}}]}"#, "records[0].model_version"),
                ("bad%20name", #"{"records": [{"features": {"x": 1}}]}"#, "stream name"),
                ("-dash", #"{"records": [{"features": {"x": 1}}]}"#, "stream name"),
            ]
            for (stream, body, field) in cases {
                let answer = try await client.call(.post, "/api/v1/streams/\(stream)/records", body)
                #expect(answer.status == 400, "\(body) → \(answer.status)")
                guard case .string(let message)? = answer.json["message"] else { Issue.record("no message for \(body)"); continue }
                #expect(message.contains(field), "\(body): \(message)")
            }
            let labelCases: [(String, String)] = [
                (#"{"labels": {}}"#, "labels"),
                (#"{"labels": [{"label": 1}]}"#, "labels[0].id"),
                (#"{"labels": [{"id": "r", "label": 1}, {"id": "r"}]}"#, "labels[1].label"),
            ]
            for (body, field) in labelCases {
                let answer = try await client.call(.post, "/api/v1/streams/clicks/labels", body)
                #expect(answer.status == 400, "\(body)")
                guard case .string(let message)? = answer.json["message"] else { Issue.record("no message for \(body)"); continue }
                #expect(message.contains(field), "\(body): \(message)")
            }
            let notJSON = try await client.call(.post, "/api/v1/streams/clicks/records", "features=1", contentType: "application/x-www-form-urlencoded")
            #expect(notJSON.status == 415)
            let badLimit = try await client.call(.get, "/api/v1/streams/clicks/records?limit=0")
            #expect(badLimit.status == 400)
            #expect(Self.text(badLimit).contains("limit"))
            // Over the native body limit: 413, not a crash.
            var limits = BodyLimits()
            limits.nativeJSONBytes = 1024
            let small = try await buildComponents(ServerConfiguration(port: 0, dataDirectory: server.directory.path + "/small", limits: limits))
            try await buildApplication(components: small, configuration: small.configuration).test(.router) { small in
                let big = try await small.call(.post, "/api/v1/streams/clicks/records", Self.recordsBody(count: 100, shift: 0, idPrefix: "b"))
                #expect(big.status == 413, "\(Self.text(big))")
                #expect(big.json["error_code"] != nil)
            }
        }
    }

    @Test func monitorsCreateReadUpdateDelete() async throws {
        let server = try await ServingTestServer()
        try await server.application.test(.router) { client in
            let digest = try await Self.registerReference(client)
            let created = try await client.call(.post, "/api/v1/monitors", Self.monitorBody(digest: String(digest.prefix(7))))
            #expect(created.status == 200, "\(Self.text(created))")
            let monitor = created.json["monitor"]
            #expect(monitor?["name"] == .string("clicks-drift"))
            #expect(monitor?["source"]?["stream"] == .string("clicks"))
            guard case .number(let createdAt)? = monitor?["created_at"], let createdMillis = Int64(createdAt) else {
                Issue.record("no created_at: \(Self.text(created))"); return
            }
            #expect(createdMillis > 1_700_000_000_000)

            let duplicate = try await client.call(.post, "/api/v1/monitors", Self.monitorBody(digest: digest))
            #expect(duplicate.status == 400)
            #expect(duplicate.json["error_code"] == .string("RESOURCE_ALREADY_EXISTS"))

            let listed = try await client.call(.get, "/api/v1/monitors")
            guard case .array(let monitors)? = listed.json["monitors"] else { Issue.record("no list"); return }
            #expect(monitors.map { $0["name"] } == [.string("clicks-drift")])

            let fetched = try await client.call(.get, "/api/v1/monitors/clicks-drift")
            #expect(fetched.json["monitor"]?["reference"]?["digest"] == .string(String(digest.prefix(7))))

            let updated = try await client.call(.put, "/api/v1/monitors/clicks-drift", Self.monitorBody(digest: digest))
            #expect(updated.status == 200, "\(Self.text(updated))")
            #expect(updated.json["monitor"]?["reference"]?["digest"] == .string(digest))
            let renamed = try await client.call(.put, "/api/v1/monitors/clicks-drift", Self.monitorBody(name: "other", digest: digest))
            #expect(renamed.status == 400)
            #expect(Self.text(renamed).contains("name"))
            #expect(updated.json["monitor"]?["created_at"] == .number(createdAt))

            let missing = try await client.call(.get, "/api/v1/monitors/nope")
            #expect(missing.status == 404)
            #expect(try await client.call(.post, "/api/v1/monitors/nope/evaluate", "{}").status == 404)
            #expect(try await client.call(.get, "/api/v1/monitors/nope/evaluations").status == 404)
            #expect(try await client.call(.get, "/api/v1/monitors/nope/alerts").status == 404)

            let deleted = try await client.call(.delete, "/api/v1/monitors/clicks-drift")
            #expect(deleted.status == 200)
            #expect(try await client.call(.get, "/api/v1/monitors/clicks-drift").status == 404)
            #expect(try await client.call(.delete, "/api/v1/monitors/clicks-drift").status == 404)
        }
    }

    @Test func malformedMonitorsNameTheField() async throws {
        let server = try await ServingTestServer()
        let valid = #""source": {"stream": "s"}, "reference": {"dataset": "d", "digest": "abcdef1"}, "window": {"last_records": 10}"#
        try await server.application.test(.router) { client in
            let cases: [(String, String)] = [
                (#"{\#(valid)}"#, "name"),
                (#"{"name": "bad name", \#(valid)}"#, "name"),
                (#"{"name": "m", "reference": {"dataset": "d", "digest": "abcdef1"}, "window": {"last_records": 10}}"#, "source"),
                (#"{"name": "m", "source": {"stream": "s"}, "reference": {"dataset": "d", "digest": "xyz!"}, "window": {"last_records": 10}}"#, "reference.digest"),
                (#"{"name": "m", "source": {"stream": "s"}, "reference": {"dataset": "d", "digest": "abcdef1"}, "window": {"last_records": -3}}"#, "window.last_records"),
                (#"{"name": "m", \#(valid), "rules": [{"name": "r", "condition": "share_drifted >> 3"}]}"#, "rules[0].condition"),
                (#"{"name": "m", \#(valid), "rules": [{"name": "r", "condition": "share_drifted > 0.3", "actions": ["page"]}]}"#, "rules[0].actions[0]"),
                (#"{"name": "m", \#(valid), "actions": {"notify": {"webhook": {"url": "ftp://x"}}}}"#, "actions.notify.webhook.url"),
                (#"{"name": "m", \#(valid), "colour": "red"}"#, "colour"),
            ]
            for (body, field) in cases {
                let answer = try await client.call(.post, "/api/v1/monitors", body)
                #expect(answer.status == 400, "\(body) → \(answer.status): \(Self.text(answer))")
                guard case .string(let message)? = answer.json["message"] else { Issue.record("no message for \(body)"); continue }
                #expect(message.contains(field), "\(body): \(message)")
            }
            for body in ["[1]", "{", "\"monitor\""] {
                let answer = try await client.call(.post, "/api/v1/monitors", body)
                #expect(answer.status == 400, "\(body)")
            }
            let badLimit = try await client.call(.get, "/api/v1/alerts/events?limit=-1")
            #expect(badLimit.status == 400)
            #expect(Self.text(badLimit).contains("limit"))
            let badBefore = try await client.call(.get, "/api/v1/monitors/m/evaluations?before=soon")
            #expect(badBefore.status == 400)
            #expect(Self.text(badBefore).contains("before"))
        }
    }

    @Test func evaluatesAStreamAgainstAPushedReference() async throws {
        let server = try await ServingTestServer()
        try await server.application.test(.router) { client in
            let digest = try await Self.registerReference(client)
            // A digest prefix is enough to name the version.
            let created = try await client.call(.post, "/api/v1/monitors", Self.monitorBody(digest: String(digest.prefix(10))))
            #expect(created.status == 200, "\(Self.text(created))")
            let posted = try await client.call(.post, "/api/v1/streams/clicks/records", Self.recordsBody(count: 200, shift: 3, idPrefix: "live"))
            #expect(posted.status == 200, "\(Self.text(posted))")
            let labels = (0..<50).map { #"{"id": "live-\#($0)", "label": 1}"# }.joined(separator: ", ")
            let labeled = try await client.call(.post, "/api/v1/streams/clicks/labels", #"{"labels": [\#(labels)]}"#)
            #expect(labeled.json["matched"] == .int(50))

            let evaluated = try await client.call(.post, "/api/v1/monitors/clicks-drift/evaluate", "{}")
            #expect(evaluated.status == 200, "\(Self.text(evaluated))")
            let evaluation = evaluated.json["evaluation"]
            #expect(evaluation?["status"] == .string("ok"), "\(Self.text(evaluated))")
            #expect(evaluation?["rows"] == .int(200))
            #expect(evaluation?["labeled_rows"] == .int(50))
            #expect(evaluation?["dataset_drift"] == .bool(true))
            guard case .array(let columns)? = evaluation?["result"]?["columns"] else {
                Issue.record("no result columns: \(Self.text(evaluated))"); return
            }
            let x = columns.first { $0["column"] == .string("x") }
            #expect(x?["drifted"] == .bool(true))
            #expect(x?["stattest"] != nil)
            let c = columns.first { $0["column"] == .string("c") }
            #expect(c?["drifted"] == .bool(false))

            let history = try await client.call(.get, "/api/v1/monitors/clicks-drift/evaluations?limit=5")
            guard case .array(let evaluations)? = history.json["evaluations"] else { Issue.record("no history"); return }
            #expect(evaluations.count == 1)
            #expect(evaluations.first?["id"] == evaluation?["id"])

            let alerts = try await client.call(.get, "/api/v1/monitors/clicks-drift/alerts")
            guard case .array(let states)? = alerts.json["states"], case .array(let events)? = alerts.json["events"] else {
                Issue.record("no alerts: \(Self.text(alerts))"); return
            }
            #expect(states.first?["state"] == .string("firing"))
            #expect(events.first?["state"] == .string("firing"))
            #expect(events.first?["evaluation_id"] == evaluation?["id"])

            // The webhook goes nowhere: the attempt is recorded as failed.
            var actions: [JSONValue] = []
            for _ in 0..<100 {
                let answer = try await client.call(.get, "/api/v1/alerts/actions?monitor=clicks-drift")
                if case .array(let items)? = answer.json["actions"], !items.isEmpty { actions = items; break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(actions.first?["action"] == .string("webhook"))
            #expect(actions.first?["outcome"] == .string("failed"))
            let allEvents = try await client.call(.get, "/api/v1/alerts/events")
            #expect(allEvents.json["events"] == alerts.json["events"])

            let metrics = Self.text(try await client.call(.get, "/metrics"))
            #expect(metrics.contains(#"yard_monitor_feature_drifted{monitor="clicks-drift",model="",version="",feature="x""#), "\(metrics)")
            #expect(metrics.contains(#"yard_monitor_feature_drift_score{monitor="clicks-drift""#))
            #expect(metrics.contains(#"yard_monitor_share_drifted_ratio{monitor="clicks-drift",model="",version=""} 0.75"#), "x, prediction and label drift; c does not")
            #expect(metrics.contains(#"yard_monitor_dataset_drift{monitor="clicks-drift",model="",version=""} 1"#))
            #expect(metrics.contains(#"yard_monitor_window_rows{monitor="clicks-drift",model="",version=""} 200"#))
            #expect(metrics.contains(#"yard_monitor_quality{monitor="clicks-drift",model="",version="",metric="accuracy"}"#))
            #expect(metrics.contains(#"yard_monitor_evaluations_total{monitor="clicks-drift",status="ok"} 1"#))
            #expect(metrics.contains(#"yard_monitor_alert_firing{monitor="clicks-drift",rule="drift"} 1"#))
            #expect(metrics.contains(#"yard_monitor_actions_total{monitor="clicks-drift",action="webhook",outcome="failed"}"#))

            // Deleting the monitor removes its gauges; its history stays readable.
            #expect(try await client.call(.delete, "/api/v1/monitors/clicks-drift").status == 200)
            let after = Self.text(try await client.call(.get, "/metrics"))
            #expect(!after.contains(#"yard_monitor_feature_drift_score{monitor="clicks-drift""#))
            let kept = try await client.call(.get, "/api/v1/monitors/clicks-drift/evaluations")
            #expect(kept.status == 200)
        }
    }

    @Test func aReferenceUnknownOrNeverPushedIsRefusedWithWhatToDo() async throws {
        let server = try await ServingTestServer()
        try await server.application.test(.router) { client in
            let digest = try await Self.registerReference(client, push: false)
            let unpushed = try await client.call(.post, "/api/v1/monitors", Self.monitorBody(digest: digest))
            #expect(unpushed.status == 400, "\(Self.text(unpushed))")
            guard case .string(let message)? = unpushed.json["message"] else { Issue.record("no message"); return }
            #expect(message.contains("reference") && message.contains("yard data push"), "\(message)")

            let unknown = try await client.call(.post, "/api/v1/monitors", Self.monitorBody(digest: "0000000"))
            #expect(unknown.status == 400 || unknown.status == 404, "\(Self.text(unknown))")
            let text = Self.text(unknown)
            #expect(text.contains("clicks-ref") && text.contains("0000000"), "\(text)")

            let short = try await client.call(.post, "/api/v1/monitors", Self.monitorBody(digest: "abc"))
            #expect(short.status == 400)
            #expect(Self.text(short).contains("reference"), "\(Self.text(short))")

            // Pushed afterwards, the same definition is accepted.
            let csv = Self.referenceCSV()
            #expect(try await client.call(.put, "/api/v1/objects/\(digest)", csv, contentType: "application/octet-stream").status == 201)
            #expect(try await client.call(.post, "/api/v1/monitors", Self.monitorBody(digest: digest)).status == 200)
        }
    }

    @Test func openAPIDocumentCoversTheMonitoringAPI() async throws {
        let server = try await ServingTestServer()
        try await server.application.test(.router) { client in
            let answer = try await client.call(.get, "/api/v1/openapi.json")
            #expect(answer.status == 200)
            guard case .object(let paths)? = answer.json["paths"] else { Issue.record("no paths"); return }
            let names = Set(paths.map(\.0))
            for path in ["/api/v1/monitors", "/api/v1/monitors/{monitor}", "/api/v1/monitors/{monitor}/evaluate",
                         "/api/v1/monitors/{monitor}/evaluations", "/api/v1/monitors/{monitor}/alerts", "/api/v1/alerts/events",
                         "/api/v1/alerts/actions", "/api/v1/streams/{stream}/records", "/api/v1/streams/{stream}/labels",
                         "/api/v1/deployments", "/api/v1/datasets"] {
                #expect(names.contains(path), "\(path)")
            }
            // Every schema a path refers to is defined.
            let text = Self.text(answer)
            let defined = Set((answer.json["components"]?["schemas"]).flatMap { value -> [String]? in
                guard case .object(let members) = value else { return nil }
                return members.map(\.0)
            } ?? [])
            let referenced = Self.matches(of: #"#/components/schemas/([A-Za-z]+)"#, in: text)
            #expect(!referenced.isEmpty)
            #expect(referenced.subtracting(defined).isEmpty, "undefined: \(referenced.subtracting(defined))")
        }
    }

    /// The dashboard parses, and every metric it queries is one a server with a scored deployment and an
    /// evaluated monitor (an alert firing, an action tried) exports.
    @Test func dashboardQueriesOnlyExportedMetrics() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let dashboardBytes = try [UInt8](Data(contentsOf: root.appendingPathComponent("deploy/grafana/modelyard-dashboard.json")))
        let dashboard = try JSONParser.parse(dashboardBytes)
        #expect(dashboard["title"] != nil)
        guard case .array(let panels)? = dashboard["panels"] else { Issue.record("no panels"); return }
        #expect(panels.count >= 10)
        var expressions: [String] = []
        func collect(_ value: JSONValue) {
            switch value {
            case .object(let members):
                for (key, member) in members {
                    if key == "expr" || key == "definition", case .string(let text) = member { expressions.append(text) }
                    collect(member)
                }
            case .array(let items): items.forEach(collect)
            default: break
            }
        }
        collect(dashboard)
        let queried = Set(expressions.flatMap { Self.matches(of: #"\b(yard_[a-z0-9_]+)"#, in: $0) }.map { name in
            for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) { return String(name.dropLast(suffix.count)) }
            return name
        })
        #expect(queried.count >= 15, "\(queried.sorted())")

        let server = try await ServingTestServer()
        let version = try await server.register("price", fixture: "linear_v1.onnx")
        try await server.setAlias("price", "prod", version)
        try await server.application.test(.router) { client in
            #expect(try await client.call(.post, "/api/v1/deployments", #"{"name": "price", "model_uri": "models:/price@prod"}"#).status == 200)
            let scored = try await client.call(.post, "/serving/price/invocations", #"{"inputs": [[1, 2]]}"#)
            #expect(scored.status == 200)
            let digest = try await Self.registerReference(client)
            #expect(try await client.call(.post, "/api/v1/monitors", Self.monitorBody(digest: digest)).status == 200)
            _ = try await client.call(.post, "/api/v1/streams/clicks/records", Self.recordsBody(count: 100, shift: 3, idPrefix: "d"))
            let labels = (0..<20).map { #"{"id": "d-\#($0)", "label": 1}"# }.joined(separator: ", ")
            _ = try await client.call(.post, "/api/v1/streams/clicks/labels", #"{"labels": [\#(labels)]}"#)
            #expect(try await client.call(.post, "/api/v1/monitors/clicks-drift/evaluate", "{}").status == 200)
            var exported = Set<String>()
            for _ in 0..<100 {
                let metrics = Self.text(try await client.call(.get, "/metrics"))
                exported = Self.matches(of: #"# TYPE ([a-z0-9_]+) "#, in: metrics)
                if exported.contains("yard_monitor_actions_total") { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(queried.subtracting(exported).isEmpty, "queried but not exported: \(queried.subtracting(exported).sorted())")
        }
    }

    static func matches(of pattern: String, in text: String) -> Set<String> {
        guard let expression = try? NSRegularExpression(pattern: pattern) else { return [] }
        let range = NSRange(text.startIndex..., in: text)
        return Set(expression.matches(in: text, range: range).compactMap { match in
            Range(match.range(at: 1), in: text).map { String(text[$0]) }
        })
    }
}
