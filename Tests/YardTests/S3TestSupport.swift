import Foundation
import NIOCore
import Testing
import YardCore
@testable import YardS3

/// The local S3 (moto, started by scripts/test through tests/s3/moto.sh) the S3 tests talk to. Without
/// YARD_TEST_S3_ENDPOINT the tests are skipped with a note saying how to run them, unless YARD_REQUIRE_S3=1
/// (scripts/test sets it), in which case they run and fail on the missing server instead of passing quietly.
enum S3TestServer {
    static var environment: [String: String] { ProcessInfo.processInfo.environment }
    static var enabled: Bool { environment["YARD_TEST_S3_ENDPOINT"] != nil || environment["YARD_REQUIRE_S3"] == "1" }
    static let skipNote: Comment = """
        needs a local S3: run scripts/test, or `source tests/s3/moto.sh && yard_moto_start && swift test --filter S3` \
        (exports YARD_TEST_S3_ENDPOINT, YARD_TEST_S3_BUCKET, YARD_TEST_S3_ACCESS_KEY_ID, YARD_TEST_S3_SECRET_ACCESS_KEY)
        """

    struct Connection {
        let endpoint: S3Endpoint
        let bucket: String
        let credentials: AWSCredentials
        let client: S3Client
    }

    static func connection() throws -> Connection {
        func required(_ name: String) throws -> String {
            guard let value = environment[name], !value.isEmpty else {
                throw YardError(.invalidState, "\(name) is not set, and YARD_REQUIRE_S3=1 says the S3 tests must run: \(skipNote)")
            }
            return value
        }
        let endpoint = try S3Endpoint(url: try required("YARD_TEST_S3_ENDPOINT"), region: "us-east-1")
        let credentials = AWSCredentials(accessKeyId: try required("YARD_TEST_S3_ACCESS_KEY_ID"),
                                         secretAccessKey: try required("YARD_TEST_S3_SECRET_ACCESS_KEY"))
        return Connection(endpoint: endpoint, bucket: try required("YARD_TEST_S3_BUCKET"), credentials: credentials,
                          client: S3Client(endpoint: endpoint, credentials: credentials))
    }

    /// A key prefix no other test uses, so tests share the bucket without seeing each other's objects.
    static func uniquePrefix(_ label: String) -> String {
        "tests/\(label)-\(UUID().uuidString.lowercased())"
    }

    /// A loopback port nothing listens on (bound, then released).
    static func closedPort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
        }
        guard bound else { throw YardError(.internalError, "could not bind a loopback port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Deterministic bytes, `count` of them, handed out in chunks of `chunkSize` as an upload body would be;
/// after `failAfter` bytes (if set) the sequence throws, like a client that disconnects mid-upload.
struct PatternBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let count: Int
    var chunkSize = 64 << 10
    var failAfter: Int?
    /// Instead of failing, wait (until cancelled) after `failAfter` bytes.
    var hangInsteadOfFailing = false

    static func byte(at index: Int) -> UInt8 { UInt8(truncatingIfNeeded: index &* 31 &+ index >> 9) }

    var bytes: [UInt8] { (0..<count).map(Self.byte(at:)) }

    struct Broken: Error {}

    struct AsyncIterator: AsyncIteratorProtocol {
        let body: PatternBody
        var sent = 0

        mutating func next() async throws -> ByteBuffer? {
            if let limit = body.failAfter, sent >= limit {
                if body.hangInsteadOfFailing { try await Task.sleep(for: .seconds(3600)) }
                throw Broken()
            }
            guard sent < body.count else { return nil }
            let end = Swift.min(body.count, sent + body.chunkSize, body.failAfter ?? .max)
            let chunk = ByteBuffer(bytes: (sent..<end).map(PatternBody.byte(at:)))
            sent = end
            return chunk
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(body: self) }
}
