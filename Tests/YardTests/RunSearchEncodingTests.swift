import Testing
import YardCore
import YardJSON
@testable import YardServer

/// The run search response is written straight into bytes; it must be exactly the JSON the tree encoder
/// gives every other run response.
@Suite("Run search JSON encoding")
struct RunSearchEncodingTests {
    static let fullRun = Run(
        info: RunInfo(runId: "abc", runName: "name \"quoted\" \\ é 😀", experimentId: "7", userId: "", status: .finished,
                      startTime: -5, endTime: Int64.max, artifactUri: "s3://b/p", lifecycleStage: .deleted),
        metrics: [Metric(key: "nan", value: .nan, timestamp: 0, step: -1),
                  Metric(key: "inf", value: .infinity, timestamp: Int64.min, step: 0),
                  Metric(key: "neg", value: -.infinity, timestamp: 1, step: 2, modelId: "m-1", datasetName: "d", datasetDigest: "x"),
                  Metric(key: "whole", value: 3, timestamp: 2, step: 3),
                  Metric(key: "tiny", value: 1e-300, timestamp: 3, step: 4),
                  Metric(key: "big", value: 1.5e20, timestamp: 4, step: 5, modelId: "only-model")],
        params: [Param(key: "control\u{1}\t\n", value: "")],
        tags: [Tag(key: "a", value: "b"), Tag(key: "mlflow.runName", value: "x")],
        datasetInputs: [DatasetInput(tags: [Tag(key: "mlflow.data.context", value: "train")],
                                     dataset: Dataset(name: "n", digest: "d", sourceType: "local", source: "{}", schema: "{}", profile: nil)),
                        DatasetInput(tags: [], dataset: Dataset(name: "e", digest: "f", sourceType: "s3", source: "s", schema: nil, profile: "p"))],
        modelInputs: ["m-in"],
        modelOutputs: [ModelOutput(modelId: "m-out", step: 9)])

    static let bareRun = Run(info: RunInfo(runId: "r", runName: "", experimentId: "0", userId: "u", status: .running,
                                           startTime: nil, endTime: nil, artifactUri: "", lifecycleStage: .active))

    @Test(arguments: [
        ([], nil), ([bareRun], nil), ([fullRun], "token"), ([fullRun, bareRun, fullRun], "eyJvZmZzZXQiOiAzfQ=="),
    ] as [([Run], String?)])
    func pageBytesEqualTheTreeEncoding(runs: [Run], token: String?) {
        let tree = JSONWriter.bytes(MLflowJSON.page("runs", runs.map(MLflowJSON.run), nextPageToken: token))
        let direct = MLflowJSON.runsPage(runs, nextPageToken: token)
        #expect(String(decoding: direct, as: UTF8.self) == String(decoding: tree, as: UTF8.self))
    }

    @Test(arguments: [0, 1, -1, 9, 10, -10, 1_796_410_859_659, Int64.max, Int64.min])
    func integersAreWrittenAsTheirDecimalText(number: Int64) {
        var output = JSONOutput()
        output.beginArray()
        output.int(number)
        output.int(number)
        output.endArray()
        #expect(String(decoding: output.bytes, as: UTF8.self) == "[\(number),\(number)]")
    }
}
