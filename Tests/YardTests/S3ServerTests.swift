import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing
import YardCore
import YardJSON
@testable import YardS3
@testable import YardServer

@Suite("S3 settings and artifact root configuration")
struct S3SettingsTests {
    @Test func flagsWinOverTheEnvironmentAndDefaultsFillTheRest() throws {
        let environment = ["AWS_ENDPOINT_URL": "http://env:9000", "MLFLOW_S3_ENDPOINT_URL": "http://mlflow:9000",
                           "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": "AKIA1", "AWS_SECRET_ACCESS_KEY": "s",
                           "AWS_SESSION_TOKEN": "t"]
        let fromEnvironment = try S3Settings.resolve(endpointURL: nil, region: nil, addressing: nil, environment: environment)
        #expect(fromEnvironment.endpointURL == "http://env:9000")
        #expect(fromEnvironment.region == "eu-west-1")
        #expect(fromEnvironment.addressing == .path)
        #expect(fromEnvironment.credentials == AWSCredentials(accessKeyId: "AKIA1", secretAccessKey: "s", sessionToken: "t"))
        let fromFlags = try S3Settings.resolve(endpointURL: "http://flag:1", region: "ap-south-1", addressing: "virtual", environment: environment)
        #expect(fromFlags.endpointURL == "http://flag:1" && fromFlags.region == "ap-south-1" && fromFlags.addressing == .virtualHost)
        let mlflowOnly = try S3Settings.resolve(endpointURL: nil, region: nil, addressing: nil,
                                                environment: ["MLFLOW_S3_ENDPOINT_URL": "http://mlflow:9000", "AWS_REGION": "us-west-2"])
        #expect(mlflowOnly.endpointURL == "http://mlflow:9000" && mlflowOnly.region == "us-west-2")
        let aws = try S3Settings.resolve(endpointURL: nil, region: nil, addressing: nil, environment: [:])
        #expect(aws.region == "us-east-1" && aws.addressing == .virtualHost)
        #expect(try aws.endpoint().url == "https://s3.us-east-1.amazonaws.com")
        #expect(throws: (any Error).self) { _ = try S3Settings.resolve(endpointURL: nil, region: nil, addressing: "sideways", environment: [:]) }
    }

    @Test func missingCredentialsAreNamedWhenABucketIsUsed() async throws {
        let settings = try S3Settings.resolve(endpointURL: "http://127.0.0.1:1", region: nil, addressing: nil,
                                              environment: ["AWS_ACCESS_KEY_ID": "AKIA1"])
        let directory = TemporaryDirectory()
        let configuration = ServerConfiguration(port: 0, dataDirectory: directory.path, artifactsURI: "s3://bucket/prefix", s3: settings)
        let error = await #expect(throws: YardError.self) { _ = try await buildComponents(configuration) }
        #expect(error?.message == "The artifact root s3://bucket/prefix needs S3 credentials: set AWS_SECRET_ACCESS_KEY in the server's environment.")
    }

    @Test func artifactRootsAreFoldersOrBuckets() throws {
        #expect(try ServerConfiguration(artifactsURI: "s3://bucket/a/b").artifactRoot() == .s3(try S3Location(bucket: "bucket", prefix: "a/b")))
        #expect(try ServerConfiguration(artifactsURI: "/srv/artifacts").artifactRoot() == .folder("/srv/artifacts"))
        #expect(throws: YardError.self) { _ = try ServerConfiguration(artifactsURI: "s3://B/x").artifactRoot() }
        let other = #expect(throws: YardError.self) { _ = try ServerConfiguration(artifactsURI: "gs://bucket/x").artifactRoot() }
        #expect(other?.code == .notImplemented)
    }
}

/// `yard server --artifacts s3://…` as the server builds it, on moto: the start-up check and the
/// artifact proxy routes.
@Suite("Server with an S3 artifact root", .enabled(if: S3TestServer.enabled, S3TestServer.skipNote))
struct S3ServerTests {
    let directory = TemporaryDirectory()

    func configuration(_ s3: S3TestServer.Connection, secret: String? = nil, keyId: String? = nil,
                       endpoint: String? = nil, bucket: String? = nil) -> ServerConfiguration {
        let credentials = AWSCredentials(accessKeyId: keyId ?? s3.credentials.accessKeyId,
                                         secretAccessKey: secret ?? s3.credentials.secretAccessKey)
        let settings = S3Settings(endpointURL: endpoint ?? s3.endpoint.url, region: "us-east-1", addressing: .path,
                                  credentials: credentials)
        return ServerConfiguration(port: 0, dataDirectory: directory.path,
                                   artifactsURI: "s3://\(bucket ?? s3.bucket)/\(S3TestServer.uniquePrefix("server"))", s3: settings)
    }

    @Test func theArtifactProxyStoresInTheBucket() async throws {
        let s3 = try S3TestServer.connection()
        let configuration = configuration(s3)
        let components = try await buildComponents(configuration)
        try await components.checkArtifactStore()
        #expect(components.artifactRoot.hasPrefix("s3://\(s3.bucket)/tests/server-"))
        let app = try buildApplication(components: components, configuration: configuration)
        try await app.test(.router) { client in
            let base = "/api/2.0/mlflow-artifacts/artifacts"
            try await client.execute(uri: base + "/0/run1/artifacts/model/MLmodel", method: .put,
                                     body: ByteBuffer(string: "flavors: {}")) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: base + "/0/run1/artifacts/model/MLmodel", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == "flavors: {}")
            }
            try await client.execute(uri: base + "?path=0/run1/artifacts", method: .get) { response in
                let json = try JSONParser.parse(Array(response.body.readableBytesView))
                #expect(json["files"] == .array([.object([("path", .string("model")), ("is_dir", .bool(true))])]))
            }
            try await client.execute(uri: base + "/0/run1/artifacts/..%2F..%2Fescape", method: .put, body: ByteBuffer(string: "x")) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: base + "/0/run1/artifacts/model", method: .delete) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: base + "/0/run1/artifacts/model/MLmodel", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func startUpNamesAWrongSecret() async throws {
        let s3 = try S3TestServer.connection()
        let components = try await buildComponents(configuration(s3, secret: "wrong"))
        let error = await #expect(throws: YardError.self) { try await components.checkArtifactStore() }
        #expect(error?.message.hasPrefix("The artifact root s3://\(s3.bucket)/tests/server-") == true)
        #expect(error?.message.contains("Check AWS_SECRET_ACCESS_KEY") == true)
    }

    @Test func startUpNamesAnUnknownAccessKeyId() async throws {
        let s3 = try S3TestServer.connection()
        let components = try await buildComponents(configuration(s3, keyId: "AKIANOBODY0000000000"))
        let error = await #expect(throws: YardError.self) { try await components.checkArtifactStore() }
        #expect(error?.message.contains("does not know the access key id 'AKIANOBODY0000000000'") == true)
        #expect(error?.message.contains("Check AWS_ACCESS_KEY_ID") == true)
    }

    @Test func startUpNamesAMissingBucket() async throws {
        let s3 = try S3TestServer.connection()
        let components = try await buildComponents(configuration(s3, bucket: "not-a-bucket"))
        let error = await #expect(throws: YardError.self) { try await components.checkArtifactStore() }
        #expect(error?.message.contains("S3 bucket 'not-a-bucket' does not exist at \(s3.endpoint.url)") == true)
    }

    @Test func startUpNamesAnUnreachableEndpoint() async throws {
        let s3 = try S3TestServer.connection()
        let port = try S3TestServer.closedPort()
        let components = try await buildComponents(configuration(s3, endpoint: "http://127.0.0.1:\(port)"))
        let error = await #expect(throws: YardError.self) { try await components.checkArtifactStore() }
        #expect(error?.code == .temporarilyUnavailable)
        #expect(error?.message.contains("S3 endpoint http://127.0.0.1:\(port) is unreachable") == true)
    }

    /// Serving on a bucket: a registered version whose artifacts went up through the proxy is copied once
    /// into the data folder, loaded and scored; a second deployment of it reuses the copy.
    @Test func aModelInTheBucketIsServed() async throws {
        let s3 = try S3TestServer.connection()
        var configuration = configuration(s3)
        configuration.serving = ServingSettings(pollInterval: .milliseconds(100))
        let components = try await buildComponents(configuration)
        let app = try buildApplication(components: components, configuration: configuration)
        let onnx = try Data(contentsOf: ServingTestServer.fixtures.appendingPathComponent("linear_v1.onnx"))
        let mlmodel = "flavors:\n  onnx:\n    data: model.onnx\n    onnx_version: 1.23.2\nmlflow_version: 3.18.0\n"
        try await app.test(.router) { client in
            let base = "/api/2.0/mlflow-artifacts/artifacts/models/price"
            try await client.execute(uri: base + "/model.onnx", method: .put, body: ByteBuffer(bytes: Array(onnx))) { #expect($0.status == .ok) }
            try await client.execute(uri: base + "/MLmodel", method: .put, body: ByteBuffer(string: mlmodel)) { #expect($0.status == .ok) }
            _ = try await components.registry.createModel(name: "price", description: nil, tags: [], userId: nil)
            _ = try await components.registry.createVersion(name: "price", source: "mlflow-artifacts:/models/price", runId: nil, modelId: nil,
                                                            tags: [], runLink: nil, description: nil, userId: nil, actor: "test")
            for name in ["price", "price-again"] {
                if name == "price-again" {  // the copy is reused, and its time says it was used
                    let copy = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/serving-models/price")[0]
                    try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-30 * 24 * 3600)],
                                                          ofItemAtPath: directory.path + "/serving-models/price/" + copy)
                }
                let created = try await client.call(.post, "/api/v1/deployments", #"{"name": "\#(name)", "model_uri": "models:/price/1"}"#)
                #expect(created.status == 200, "\(String(decoding: created.body, as: UTF8.self))")
                let scored = try await client.call(.post, "/serving/\(name)/invocations", #"{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2]]}}"#)
                #expect(scored.status == 200, "\(String(decoding: scored.body, as: UTF8.self))")
                #expect(firstNumber(scored.json["predictions"]) == 5)  // y = a + 2b
            }
        }
        let copies = try FileManager.default.contentsOfDirectory(atPath: directory.path + "/serving-models/price")
        #expect(copies.count == 1 && copies[0].hasPrefix("1-"), "one copy of version 1, no staging left: \(copies)")
        let copied = directory.path + "/serving-models/price/" + copies[0] + "/model.onnx"
        #expect(FileManager.default.contents(atPath: copied) == onnx)
        let used = try FileManager.default.attributesOfItem(atPath: directory.path + "/serving-models/price/" + copies[0])[.modificationDate] as? Date
        #expect(used.map { $0 > Date().addingTimeInterval(-3600) } == true, "reusing a copy refreshes its time: \(String(describing: used))")
    }

    @Test func abandonedStagingFoldersAreSweptOnceStale() throws {
        let cache = directory.path + "/serving-models"
        let stale = cache + "/price/1-abc.partial-old", fresh = cache + "/price/1-abc.partial-new", done = cache + "/price/1-abc"
        for folder in [stale, fresh, done] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: folder + "/model.onnx", contents: Data("x".utf8))
        }
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-7200)], ofItemAtPath: stale)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-7200)], ofItemAtPath: done)
        #expect(ModelArtifactMirror.removeAbandonedStaging(under: cache, olderThan: 3600) == 1)
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: fresh), "a copy in progress is left alone")
        #expect(FileManager.default.fileExists(atPath: done + "/model.onnx"), "a finished copy is kept however old")
        #expect(ModelArtifactMirror.removeAbandonedStaging(under: directory.path + "/nothing-here", olderThan: 0) == 0)
    }

    @Test func copiesUnusedForLongAreRemovedAndUsedOnesKept() throws {
        let cache = directory.path + "/serving-models"
        let retired = cache + "/old-model/1-abc", current = cache + "/price/2-def", staging = cache + "/price/3-ghi.partial-new"
        for folder in [retired, current, staging] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: folder + "/model.onnx", contents: Data("x".utf8))
        }
        let month = Date().addingTimeInterval(-30 * 24 * 3600)
        for folder in [retired, staging] { try FileManager.default.setAttributes([.modificationDate: month], ofItemAtPath: folder) }
        #expect(ModelArtifactMirror.removeUnusedCopies(under: cache, olderThan: 14 * 24 * 3600) == 1)
        #expect(!FileManager.default.fileExists(atPath: cache + "/old-model"), "the emptied model folder goes too")
        #expect(FileManager.default.fileExists(atPath: current + "/model.onnx"), "a copy used lately is kept")
        #expect(FileManager.default.fileExists(atPath: staging), "staging folders are the sweep's, not this")
        #expect(ModelArtifactMirror.removeUnusedCopies(under: directory.path + "/nothing-here", olderThan: 0) == 0)
    }

    @Test func listedNamesThatCannotBeFileNamesAreRefused() throws {
        for name in ["", ".", "..", "a/b", "a\\b", "a\u{0}b"] {
            #expect(throws: YardError.self) { try ModelArtifactMirror.checkedName(name) }
        }
        #expect(try ModelArtifactMirror.checkedName("model.onnx") == "model.onnx")
    }
}
