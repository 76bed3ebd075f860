import Foundation
import Testing
import YardClient
import YardCore
import YardPipelines
import YardServer

/// Stage runs recorded through the MLflow REST API against the real server, embedded in this process over
/// a data folder, and read back after the server restarts on the same folder.
@Suite("Run recorder")
struct RunRecorderTests {
    let directory = TemporaryDirectory()

    @Test func recordsParentAndChildRunsDurably() async throws {
        let dataDirectory = directory.file("tracking")
        let server = try await EmbeddedServer.start(dataDirectory: dataDirectory)
        let recorder = try MLflowRunRecorder(trackingURI: server.url)
        #expect(recorder.trackingURI == server.url)
        #expect(server.url.hasPrefix("http://127.0.0.1:"))

        let experiment = try await recorder.experiment(named: "churn pipeline")
        #expect(experiment != "0")
        #expect(try await recorder.experiment(named: "churn pipeline") == experiment)

        let parent = try await recorder.startRun(experimentID: experiment, name: "yard run", parentRunID: nil, tags: ["yard.pipeline": "churn"])
        let child = try await recorder.startRun(experimentID: experiment, name: "train", parentRunID: parent, tags: ["yard.stage": "train"])

        // More params and tags than one log-batch may carry, so the recorder must split them.
        let params = Dictionary(uniqueKeysWithValues: (0..<150).map { ("param\($0)", "value \($0)") })
        let tags = Dictionary(uniqueKeysWithValues: (0..<120).map { ("yard.tag\($0)", "tag \($0)") })
        let metrics: [String: Double] = ["loss": 0.125, "auc": 0.875, "diverged": .nan]
        try await recorder.log(runID: child, params: params, metrics: metrics, tags: tags)

        let longDigest = String(repeating: "ab", count: 32)
        let inputs = [
            RecordedInput(name: "data/train.csv", digest: "3f2a9c01", source: "data/train.csv", kind: "file"),
            RecordedInput(name: "data/images", digest: longDigest, source: "data/images", kind: "directory"),
        ]
        try await recorder.logInputs(runID: child, inputs: inputs)

        let logBytes = Array("epoch 1: loss 0.5\nepoch 2: loss 0.125\nTraceback: boom\n".utf8)
        let logFile = directory.file("train.log")
        try Data(logBytes).write(to: URL(fileURLWithPath: logFile))
        try await recorder.uploadArtifact(runID: child, localPath: logFile, artifactPath: "logs/train.log")
        try await recorder.finishRun(runID: child, status: .failed)
        try await recorder.finishRun(runID: parent, status: .finished)

        let fetched = try await recorder.fetchRun(runID: child)
        #expect(fetched.info.runId == child)
        #expect(fetched.info.runName == "train")
        #expect(fetched.info.experimentId == experiment)
        #expect(fetched.info.status == .failed)
        let start = try #require(fetched.info.startTime)
        let end = try #require(fetched.info.endTime)
        #expect(end >= start)
        #expect(fetched.info.artifactUri == "mlflow-artifacts:/\(experiment)/\(child)/artifacts")

        var expectedTags = tags
        expectedTags["yard.stage"] = "train"
        expectedTags["mlflow.runName"] = "train"
        expectedTags["mlflow.parentRunId"] = parent
        #expect(dictionary(fetched.tags) == expectedTags)
        #expect(dictionary(fetched.params) == params)
        #expect(fetched.metrics.count == metrics.count)
        for metric in fetched.metrics {
            let expected = try #require(metrics[metric.key])
            #expect(metric.value == expected || (metric.value.isNaN && expected.isNaN), "metric \(metric.key)")
            #expect(metric.step == 0)
        }

        #expect(fetched.datasetInputs.count == 2)
        for input in inputs {
            let recorded = try #require(fetched.datasetInputs.first { $0.dataset.name == input.name })
            #expect(recorded.dataset.digest == String(input.digest.prefix(36)))
            #expect(recorded.dataset.sourceType == "local")
            #expect(recorded.dataset.source == #"{"uri":"\#(input.source)"}"#)
            #expect(dictionary(recorded.tags) == ["mlflow.data.context": "input", MLflowRunRecorder.inputKindTag: input.kind])
        }

        let parentRun = try await recorder.fetchRun(runID: parent)
        #expect(parentRun.info.status == .finished)
        #expect(dictionary(parentRun.tags) == ["yard.pipeline": "churn", "mlflow.runName": "yard run"])

        // The artifact is listed for the run and downloads with the same bytes through the proxy.
        let connection = try ServerConnection(baseURL: server.url)
        let listing = try await connection.send(.GET, "/api/2.0/mlflow/artifacts/list", query: [("run_id", child), ("path", "logs")])
        #expect(listing.status == 200)
        let files = try #require((try JSONSerialization.jsonObject(with: listing.body) as? [String: Any])?["files"] as? [[String: Any]])
        #expect(files.count == 1)
        #expect(files.first?["path"] as? String == "logs/train.log")
        #expect((files.first?["file_size"] as? NSNumber)?.intValue == logBytes.count)
        let download = try await connection.send(.GET, "/api/2.0/mlflow-artifacts/artifacts/\(experiment)/\(child)/artifacts/logs/train.log")
        #expect(download.status == 200)
        #expect(Array(download.body) == logBytes)

        // A recorder that did not create the run finds the run's artifact location through runs/get.
        let other = try MLflowRunRecorder(trackingURI: server.url)
        try await other.uploadArtifact(runID: parent, localPath: logFile, artifactPath: "logs/all stages.log")
        let parentDownload = try await connection.send(.GET, "/api/2.0/mlflow-artifacts/artifacts/\(experiment)/\(parent)/artifacts/logs/all%20stages.log")
        #expect(parentDownload.status == 200)
        #expect(Array(parentDownload.body) == logBytes)
        await server.stop()

        // The store lives in the data folder: a new server over it serves the same run.
        let restarted = try await EmbeddedServer.start(dataDirectory: dataDirectory)
        let again = try await MLflowRunRecorder(trackingURI: restarted.url).fetchRun(runID: child)
        #expect(again == fetched)
        #expect(try await MLflowRunRecorder(trackingURI: restarted.url).experiment(named: "churn pipeline") == experiment)
        await restarted.stop()
        #expect(FileManager.default.fileExists(atPath: dataDirectory + "/yard.db"))
        #expect(FileManager.default.fileExists(atPath: dataDirectory + "/artifacts/\(experiment)/\(child)/artifacts/logs/train.log"))
    }

    @Test func uploadRefusesMissingFilesAndEscapingPaths() async throws {
        let server = try await EmbeddedServer.start(dataDirectory: directory.file("tracking"))
        let recorder = try MLflowRunRecorder(trackingURI: server.url)
        let run = try await recorder.startRun(experimentID: try await recorder.experiment(named: "e"), name: "s", parentRunID: nil, tags: [:])
        let missing = await #expect(throws: YardError.self) {
            try await recorder.uploadArtifact(runID: run, localPath: directory.file("absent.log"), artifactPath: "logs/absent.log")
        }
        #expect(missing?.message.contains("absent.log") == true)
        let file = directory.file("stage.log")
        try Data("x".utf8).write(to: URL(fileURLWithPath: file))
        let escaping = await #expect(throws: YardError.self) {
            try await recorder.uploadArtifact(runID: run, localPath: file, artifactPath: "../../elsewhere.log")
        }
        #expect(escaping?.code == .invalidParameterValue)
        let unknownRun = await #expect(throws: YardError.self) {
            try await recorder.fetchRun(runID: "0123456789abcdef0123456789abcdef")
        }
        #expect(unknownRun?.code == .resourceDoesNotExist)
        await server.stop()
    }

    @Test func unreachableServerIsReportedAsSuch() async throws {
        // A port that just stopped listening: start a server and stop it.
        let server = try await EmbeddedServer.start(dataDirectory: directory.file("tracking"))
        let url = server.url
        await server.stop()
        let recorder = try MLflowRunRecorder(trackingURI: url)
        let started = ContinuousClock.now
        let error = await #expect(throws: YardError.self) {
            _ = try await recorder.experiment(named: "anything")
        }
        #expect(error?.code == .temporarilyUnavailable)
        #expect(error?.message.contains("Cannot reach the yard server at \(url)") == true)
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func trackingURIMustBeAServerURL() {
        #expect(throws: YardError.self) { try MLflowRunRecorder(trackingURI: "file:///tmp/mlruns") }
    }

    private func dictionary(_ tags: [YardCore.Tag]) -> [String: String] {
        Dictionary(tags.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last })
    }
}
