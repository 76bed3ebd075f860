import Foundation
import NIOCore
import Testing
@testable import YardS3

/// The signer against AWS's published Signature V4 examples: the IAM ListUsers example of the general
/// signing guide, and the four header-signing examples of the S3 API reference (examplebucket, 24 May 2013).
@Suite("S3 Signature V4 signer")
struct S3SignatureTests {
    static let s3Credentials = AWSCredentials(accessKeyId: "AKIAIOSFODNN7EXAMPLE",
                                             secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    static let may24 = Date(timeIntervalSince1970: 1_369_353_600)  // 2013-05-24T00:00:00Z
    static let exampleHost = "examplebucket.s3.amazonaws.com"

    static func signature(_ authorization: String?) -> String? {
        authorization?.components(separatedBy: "Signature=").last
    }

    static func header(_ request: SignatureV4.Request, _ name: String) -> String? {
        request.headers.first { $0.name.lowercased() == name }?.value
    }

    static func signedS3(method: String, path: String, query: [(name: String, value: String)] = [],
                         extraHeaders: [(name: String, value: String)] = [], payloadHash: String) -> SignatureV4.Request {
        var request = SignatureV4.Request(
            method: method, path: path, query: query,
            headers: [("Host", exampleHost)] + extraHeaders + [("x-amz-content-sha256", payloadHash)],
            payloadHash: payloadHash)
        SignatureV4(credentials: s3Credentials, region: "us-east-1").sign(&request, at: may24)
        return request
    }

    @Test func iamListUsersExample() {
        let signer = SignatureV4(credentials: AWSCredentials(accessKeyId: "AKIDEXAMPLE",
                                                             secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
                                 region: "us-east-1", service: "iam")
        var request = SignatureV4.Request(
            method: "GET", path: "/", query: [("Action", "ListUsers"), ("Version", "2010-05-08")],
            headers: [("Host", "iam.amazonaws.com"), ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")],
            payloadHash: SignatureV4.emptyPayloadHash)
        signer.sign(&request, at: Date(timeIntervalSince1970: 1_440_938_160))  // 2015-08-30T12:36:00Z
        #expect(Self.header(request, "x-amz-date") == "20150830T123600Z")
        let (canonical, _) = SignatureV4.canonicalRequest(request)
        #expect(SignatureV4.sha256Hex(Data(canonical.utf8)) == "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59")
        #expect(Self.header(request, "authorization") ==
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request,SignedHeaders=content-type;host;x-amz-date,Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7")
    }

    @Test func s3GetObjectWithRangeExample() {
        let request = Self.signedS3(method: "GET", path: "/test.txt", extraHeaders: [("Range", "bytes=0-9")],
                                    payloadHash: SignatureV4.emptyPayloadHash)
        let (canonical, signedHeaders) = SignatureV4.canonicalRequest(request)
        #expect(signedHeaders == "host;range;x-amz-content-sha256;x-amz-date")
        let toSign = SignatureV4.stringToSign(canonicalRequest: canonical, dateTime: "20130524T000000Z",
                                              scope: "20130524/us-east-1/s3/aws4_request")
        #expect(toSign.hasSuffix("\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"))
        #expect(Self.header(request, "authorization") ==
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    }

    @Test func s3PutObjectExample() {
        let body = "Welcome to Amazon S3."
        let hash = SignatureV4.sha256Hex(Data(body.utf8))
        #expect(hash == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        let request = Self.signedS3(method: "PUT", path: "/" + SignatureV4.encodePath("test$file.text"),
                                    extraHeaders: [("Date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
                                    payloadHash: hash)
        #expect(request.path == "/test%24file.text")
        #expect(SignatureV4.canonicalRequest(request).signedHeaders == "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class")
        #expect(Self.signature(Self.header(request, "authorization")) == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test func s3GetBucketLifecycleExample() {
        let request = Self.signedS3(method: "GET", path: "/", query: [("lifecycle", "")], payloadHash: SignatureV4.emptyPayloadHash)
        #expect(SignatureV4.canonicalQuery(request.query) == "lifecycle=")
        #expect(Self.signature(Self.header(request, "authorization")) == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    @Test func s3ListObjectsExampleSortsTheQuery() {
        let request = Self.signedS3(method: "GET", path: "/", query: [("prefix", "J"), ("max-keys", "2")],
                                    payloadHash: SignatureV4.emptyPayloadHash)
        #expect(SignatureV4.canonicalQuery(request.query) == "max-keys=2&prefix=J")
        #expect(Self.signature(Self.header(request, "authorization")) == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    /// The client's own request for the PUT example (virtual-host addressing on AWS's endpoint) carries
    /// exactly the URL, headers and signature of the published example: what is signed is what is sent.
    @Test func theClientSendsWhatItSigns() throws {
        let endpoint = try S3Endpoint(url: "https://s3.amazonaws.com", region: "us-east-1", addressing: .virtualHost)
        let client = S3Client(endpoint: endpoint, credentials: Self.s3Credentials)
        let body = ByteBuffer(string: "Welcome to Amazon S3.")
        let operation = S3Client.Operation(
            name: "PutObject", method: .PUT, bucket: "examplebucket", key: "test$file.text",
            headers: [("date", "Fri, 24 May 2013 00:00:00 GMT"), ("x-amz-storage-class", "REDUCED_REDUNDANCY")],
            body: body, idempotent: true)
        let request = client.signedRequest(operation, payloadHash: S3Client.payloadHash(body), at: Self.may24)
        #expect(request.url == "https://examplebucket.s3.amazonaws.com/test%24file.text")
        #expect(request.headers.first(name: "host") == Self.exampleHost)
        #expect(request.headers.first(name: "x-amz-content-sha256") == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        #expect(Self.signature(request.headers.first(name: "authorization")) == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test func aSessionTokenIsSentAndSigned() {
        var credentials = Self.s3Credentials
        credentials.sessionToken = "token/with+chars="
        var request = SignatureV4.Request(method: "GET", path: "/", headers: [("host", Self.exampleHost)],
                                          payloadHash: SignatureV4.emptyPayloadHash)
        SignatureV4(credentials: credentials, region: "us-east-1").sign(&request, at: Self.may24)
        #expect(Self.header(request, "x-amz-security-token") == "token/with+chars=")
        #expect(Self.header(request, "authorization")?.contains("SignedHeaders=host;x-amz-date;x-amz-security-token,") == true)
    }

    @Test(arguments: [
        ("test$file.text", "test%24file.text"),
        ("a b/c~d_e-f.g", "a%20b/c~d_e-f.g"),
        ("dir/é+&=?#%", "dir/%C3%A9%2B%26%3D%3F%23%25"),
    ])
    func pathsAreEncodedOnceWithSlashesKept(key: String, encoded: String) {
        #expect(SignatureV4.encodePath(key) == encoded)
        #expect(SignatureV4.encode("a/b", keepSlash: false) == "a%2Fb")
    }

    @Test(arguments: [
        (0.0, "19700101T000000Z"),
        (1_369_353_600.0, "20130524T000000Z"),
        (1_440_938_160.0, "20150830T123600Z"),
        (1_709_251_199.5, "20240229T235959Z"),
        (4_102_444_800.0, "21000101T000000Z"),
    ])
    func datesAreFormattedInUTC(seconds: Double, expected: String) {
        #expect(AmzDate(Date(timeIntervalSince1970: seconds)).dateTime == expected)
    }

    @Test func endpointsAndLocationsAreValidated() throws {
        #expect(throws: (any Error).self) { _ = try S3Endpoint(url: "ftp://host", region: "us-east-1") }
        #expect(throws: (any Error).self) { _ = try S3Endpoint(url: "http://host:9000/some/path", region: "us-east-1") }
        #expect(throws: (any Error).self) { _ = try S3Endpoint(url: "http://user:pw@host", region: "us-east-1") }
        #expect(throws: (any Error).self) { _ = try S3Endpoint(url: "http://host", region: "us east") }
        #expect(throws: (any Error).self) { _ = try S3Location(uri: "s3://Bad_Bucket/x") }
        #expect(throws: (any Error).self) { _ = try S3Location(uri: "s3://bucket/../x") }
        #expect(throws: (any Error).self) { _ = try S3Location(uri: "s3://bucket/x?versionId=1") }
        let location = try S3Location(uri: "s3://ml-artifacts//yard/runs/")
        #expect(location.bucket == "ml-artifacts" && location.prefix == "yard/runs")
        let endpoint = try S3Endpoint(url: "http://127.0.0.1:9000", region: "eu-west-1")
        #expect(endpoint.path(bucket: "b", key: "a b/c") == "/b/a%20b/c")
        #expect(endpoint.hostHeader(bucket: "b") == "127.0.0.1:9000")
    }
}
