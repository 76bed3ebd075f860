import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import YardBlobs
import YardCore
import YardJSON
@testable import YardServer

/// Regression tests for the review's HTTP findings: Host and content-type checks (DNS rebinding and
/// cross-site requests), body caps and the free-disk reserve, what the history records as the actor,
/// where stored artifact locations may point, and safe download headers.
@Suite("HTTP hardening")
struct HTTPHardeningTests {
    let directory = TemporaryDirectory()

    func withClient(_ configure: (inout ServerConfiguration) -> Void = { _ in },
                    _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        var configuration = ServerConfiguration(port: 0, dataDirectory: directory.path)
        configure(&configuration)
        let app = try await buildApplication(configuration)
        try await app.test(.router) { client in try await body(client) }
    }

    static let json: HTTPFields = [.contentType: "application/json"]

    func status(_ client: any TestClientProtocol, _ uri: String, _ method: HTTPRequest.Method = .get,
                headers: HTTPFields = [:], body: String? = nil) async throws -> (Int, JSONValue?) {
        try await client.execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) {
            (Int($0.status.code), try? JSONParser.parse(Array($0.body.readableBytesView)))
        }
    }

    @Test func foreignHostNamesAreRefusedAndLocalOnesAnswered() async throws {
        try await withClient { client in
            let (rebound, error) = try await status(client, "/api/2.0/mlflow/experiments/get?experiment_id=0",
                                                    headers: [HostAllowListMiddleware.hostField: "attacker.example.com:5000"])
            #expect(rebound == 403)
            if case .string(let message)? = error?["message"] {
                #expect(message.contains("attacker.example.com"))
                #expect(message.contains("--allowed-hosts"))
            } else {
                Issue.record("no error message for a foreign host")
            }
            for host in ["localhost:5000", "127.0.0.1:5000", "[::1]:5000", "10.1.2.3", "api.localhost"] {
                let (code, _) = try await status(client, "/health", headers: [HostAllowListMiddleware.hostField: host])
                #expect(code == 200, "Host \(host) should be answered")
            }
        }
        try await withClient({ $0.allowedHosts = ["yard.internal"] }) { client in
            let (code, _) = try await status(client, "/health", headers: [HostAllowListMiddleware.hostField: "yard.internal:443"])
            #expect(code == 200)
            let (other, _) = try await status(client, "/health", headers: [HostAllowListMiddleware.hostField: "yard.internal.evil.com"])
            #expect(other == 403)
        }
    }

    @Test func nativePostsRequireJSONSoNoPageCanTriggerThemCrossSite() async throws {
        try await withClient { client in
            _ = try await status(client, "/api/2.0/mlflow/registered-models/create", .post, headers: Self.json, body: #"{"name":"churn"}"#)
            for contentType in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
                let (code, error) = try await status(client, "/api/v1/models/churn/rollback", .post,
                                                     headers: [.contentType: contentType], body: #"{"alias":"production"}"#)
                #expect(code == 415, "\(contentType) must be refused")
                #expect(error?["error_code"] == .string("UNSUPPORTED_MEDIA_TYPE"))
            }
            let (none, _) = try await status(client, "/api/v1/models/churn/promote", .post, body: #"{"version":1,"alias":"p"}"#)
            #expect(none == 415)
            // With JSON the request reaches the handler (which finds nothing to roll back).
            let (reached, _) = try await status(client, "/api/v1/models/churn/rollback", .post, headers: Self.json, body: #"{"alias":"production"}"#)
            #expect(reached != 415)
        }
    }

    @Test func artifactUploadsOverTheCapAre413AndLeaveNothing() async throws {
        try await withClient({ $0.limits.artifactBytes = 1000 }) { client in
            let path = "/api/2.0/mlflow-artifacts/artifacts/0/r/artifacts/big.bin"
            let (streamed, error) = try await status(client, path, .put, body: String(repeating: "x", count: 5000))
            #expect(streamed == 413)
            if case .string(let message)? = error?["message"] {
                #expect(message.contains("--max-artifact-size"))
            }
            // (A declared Content-Length over the cap is refused before reading: tests/compat/test_hardening.py
            // checks that on a real socket, since the in-process client recomputes the header.)
            let (missing, _) = try await status(client, path)
            #expect(missing == 404)
            let (fits, _) = try await status(client, path, .put, body: String(repeating: "x", count: 1000))
            #expect(fits == 200)
        }
        let leftovers = FileManager.default.enumerator(atPath: directory.file("artifacts"))?.allObjects as? [String] ?? []
        #expect(!leftovers.contains { $0.contains(DurableFiles.temporaryPrefix) }, "temporary files left: \(leftovers)")
    }

    @Test func uploadsThatWouldFillTheDiskAre507() async throws {
        try await withClient({ $0.limits.minimumFreeDiskBytes = Int64.max / 2 }) { client in
            let (artifact, error) = try await status(client, "/api/2.0/mlflow-artifacts/artifacts/0/r/artifacts/a.txt", .put, body: "abc")
            #expect(artifact == 507)
            #expect(error?["error_code"] == .string("INSUFFICIENT_STORAGE"))
            let digest = String(repeating: "a", count: 64)
            let (object, _) = try await status(client, "/api/v1/objects/\(digest)", .put,
                                               headers: [.contentType: "application/octet-stream"], body: "abc")
            #expect(object == 507)
        }
    }

    @Test func objectUploadsOverTheCapAre413() async throws {
        try await withClient({ $0.limits.objectBytes = 10 }) { client in
            let digest = String(repeating: "b", count: 64)
            let (code, error) = try await status(client, "/api/v1/objects/\(digest)", .put,
                                                 headers: [.contentType: "application/octet-stream"], body: String(repeating: "y", count: 100))
            #expect(code == 413)
            #expect(error?["error_code"] == .string("CONTENT_TOO_LARGE"))
        }
    }

    @Test func historyNeverRecordsPasswordsOrControlCharacters() async throws {
        try await withClient { client in
            _ = try await status(client, "/api/2.0/mlflow/registered-models/create", .post, headers: Self.json, body: #"{"name":"m"}"#)
            _ = try await status(client, "/api/2.0/mlflow/model-versions/create", .post, headers: Self.json,
                                 body: #"{"name":"m","source":"mlflow-artifacts:/0/x/artifacts/model"}"#)
            let token = "s3cr3t-token-value"
            let tokenOnly = "Basic " + Data(":\(token)".utf8).base64EncodedString()
            let (set, _) = try await status(client, "/api/2.0/mlflow/registered-models/alias", .post,
                                            headers: [.contentType: "application/json", .authorization: tokenOnly],
                                            body: #"{"name":"m","alias":"a","version":"1"}"#)
            #expect(set == 200)
            let hostile = "alice\u{1B}[31m\nforged entry\u{7}" + String(repeating: "z", count: 500)
            _ = try await status(client, "/api/2.0/mlflow/registered-models/alias", .post,
                                 headers: [.contentType: "application/json", .init("X-Yard-Actor")!: hostile],
                                 body: #"{"name":"m","alias":"b","version":"1"}"#)
            let history = try await client.execute(uri: "/api/v1/models/m/history", method: .get) { String(buffer: $0.body) }
            #expect(!history.contains(token), "the history recorded a credential: \(history)")
            let document = try JSONParser.parse(Array(history.utf8))
            guard case .array(let entries)? = document["entries"] else {
                Issue.record("no history entries in \(history)")
                return
            }
            let actors = entries.compactMap { entry -> String? in
                if case .string(let actor)? = entry["actor"] { return actor }
                return nil
            }
            #expect(actors.contains("anonymous"))
            let claimed = actors.first { $0.hasPrefix("alice") }
            #expect(claimed != nil)
            if let claimed {
                #expect(claimed.hasSuffix(" (unverified)"))
                #expect(!claimed.unicodeScalars.contains { $0.properties.generalCategory == .control })
                #expect(claimed.count <= CallerIdentity.maximumNameLength + " (unverified)".count)
            }
        }
    }

    @Test func claimedIdentities() {
        #expect(CallerIdentity.sanitized("  bob\r\n") == "bob")
        #expect(CallerIdentity.sanitized("\u{1B}\u{0}") == nil)
        #expect(CallerIdentity.sanitized(String(repeating: "é", count: 300))?.count == CallerIdentity.maximumNameLength)
        #expect(CallerIdentity(name: "bob", isVerified: false).actor == "bob (unverified)")
        #expect(CallerIdentity.anonymous.actor == "anonymous")
    }

    @Test func storedArtifactLocationsOutsideTheRootsAreNotServed() throws {
        let proxy = try LocalArtifactStore(root: directory.file("artifacts"))
        let roots = ArtifactRoots(proxy: proxy, localRoots: [directory.file("artifacts")])
        #expect(throws: YardError.self) { _ = try roots.locate("file:///etc?", "") }
        #expect(throws: YardError.self) { _ = try roots.locate("file:///etc", "") }
        #expect(throws: YardError.self) { _ = try roots.locate("FILE:///etc", "") }
        #expect(throws: YardError.self) { _ = try roots.locate("file://" + directory.file("artifacts") + "2", "") }
        #expect(throws: YardError.self) { _ = try roots.locate("file://" + directory.file("artifacts/../"), "") }
        #expect(throws: YardError.self) { _ = try roots.locate("mlflow-artifacts:/0/../..", "") }
        let inside = try roots.locate("file://" + directory.file("artifacts/1/run"), "model")
        #expect(inside.path == "model")
    }

    @Test func downloadNamesCannotBreakContentDisposition() async throws {
        let header = ContentDisposition.attachment(fileName: "a\"; filename=evil.html; x=\".txt")
        #expect(header.hasPrefix("attachment; filename=\"a_; filename=evil.html; x=_.txt\"; filename*=UTF-8''"))
        #expect(header.filter { $0 == "\"" }.count == 2)
        try await withClient { client in
            let uri = "/api/2.0/mlflow-artifacts/artifacts/0/r/artifacts/q%22uote.txt"
            _ = try await status(client, uri, .put, body: "hi")
            let disposition = try await client.execute(uri: uri, method: .get) { $0.headers[.contentDisposition] }
            #expect(disposition == "attachment; filename=\"q_uote.txt\"; filename*=UTF-8''q%22uote.txt")
        }
    }

    @Test func staleTemporaryUploadsAreSwept() throws {
        let root = directory.file("sweep")
        try FileManager.default.createDirectory(atPath: root + "/a/b", withIntermediateDirectories: true)
        let stale = root + "/a/b/" + DurableFiles.temporaryPrefix + "old"
        let fresh = root + "/a/" + DurableFiles.temporaryPrefix + "new"
        let kept = root + "/a/b/model.pkl"
        for path in [stale, fresh, kept] { _ = FileManager.default.createFile(atPath: path, contents: Data("x".utf8)) }
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: stale)
        try FileManager.default.setAttributes([.modificationDate: Date(timeIntervalSinceNow: -7200)], ofItemAtPath: kept)
        #expect(DurableFiles.sweepTemporaries(under: root, olderThan: 3600) == 1)
        #expect(!FileManager.default.fileExists(atPath: stale))
        #expect(FileManager.default.fileExists(atPath: fresh))
        #expect(FileManager.default.fileExists(atPath: kept))
    }

    @Test func sizesParse() {
        #expect(BodyLimits.parseSize("10GiB") == 10 << 30)
        #expect(BodyLimits.parseSize("500MB") == 500_000_000)
        #expect(BodyLimits.parseSize("0") == 0)
        #expect(BodyLimits.parseSize("12 parsecs") == nil)
        #expect(BodyLimits.parseSize("99999999999TiB") == nil)
    }
}
