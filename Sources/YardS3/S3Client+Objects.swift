import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import YardCore

/// An object's size and entity tag, as HeadObject or a listing reports them.
public struct S3ObjectInfo: Sendable, Equatable {
    public var key: String
    public var size: Int64
    public var etag: String?
}

/// One page of ListObjectsV2: objects, the common prefixes a delimiter folded them into, and the token
/// for the next page.
public struct S3ListPage: Sendable, Equatable {
    public var objects: [S3ObjectInfo]
    public var commonPrefixes: [String]
    public var nextContinuationToken: String?
}

/// An object being downloaded: its size and its bytes, pulled from the connection as they are read.
public struct S3Download: Sendable {
    public var size: Int64
    public var chunks: HTTPClientResponse.Body
}

extension S3Client {
    // MARK: Buckets

    /// PUT /bucket (us-east-1 needs no location document; other regions name themselves).
    public func createBucket(_ bucket: String) async throws {
        var body: ByteBuffer?
        if endpoint.region != "us-east-1" {
            body = ByteBuffer(string: "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>\(endpoint.region)</LocationConstraint></CreateBucketConfiguration>")
        }
        _ = try await send(Operation(name: "CreateBucket", method: .PUT, bucket: bucket, body: body, idempotent: true))
    }

    /// Confirms the bucket exists and these credentials may list it. A GET rather than HeadBucket, because
    /// only a GET's error document says whether the key id, the secret or the bucket is wrong.
    public func checkBucket(_ bucket: String) async throws {
        _ = try await listObjects(bucket: bucket, prefix: "", maxKeys: 1)
    }

    /// HeadBucket: succeeds when the bucket exists and is reachable with these credentials.
    public func headBucket(_ bucket: String) async throws {
        _ = try await send(Operation(name: "HeadBucket", method: .HEAD, bucket: bucket, idempotent: true))
    }

    // MARK: Objects

    /// Stores `body` as one object. The payload hash is signed, so the service refuses bytes that changed
    /// on the way; the object appears whole or not at all.
    public func putObject(bucket: String, key: String, body: ByteBuffer) async throws {
        _ = try await send(Operation(name: "PutObject", method: .PUT, bucket: bucket, key: key, body: body,
                                     idempotent: true, timeout: Self.transferTimeout(body.readableBytes)))
    }

    /// The object's bytes, streamed from the connection (never held whole); nil when there is no such key.
    public func getObject(bucket: String, key: String) async throws -> S3Download? {
        let response = try await send(Operation(name: "GetObject", method: .GET, bucket: bucket, key: key, idempotent: true),
                                      notFoundIsAnswer: true)
        if response.status == .notFound {
            let body = (try? await response.body.collect(upTo: 64 << 10)).map { Array($0.readableBytesView) } ?? []
            if S3ErrorBody(xml: body).code == "NoSuchBucket" {
                throw S3Failure.status(404, S3ErrorBody(xml: body)).error(
                    operation: Operation(name: "GetObject", method: .GET, bucket: bucket, key: key, idempotent: true),
                    endpoint: endpoint, credentials: credentials, attempts: 1)
            }
            return nil
        }
        guard let length = response.headers.first(name: "content-length").flatMap({ Int64($0) }) else {
            throw YardError(.internalError, "S3 endpoint \(endpoint.url) sent s3://\(bucket)/\(key) without a Content-Length.")
        }
        return S3Download(size: length, chunks: response.body)
    }

    /// Size and entity tag of an object; nil when there is no such key.
    public func headObject(bucket: String, key: String) async throws -> S3ObjectInfo? {
        let response = try await send(Operation(name: "HeadObject", method: .HEAD, bucket: bucket, key: key, idempotent: true),
                                      notFoundIsAnswer: true)
        if response.status == .notFound { return nil }
        let size = response.headers.first(name: "content-length").flatMap { Int64($0) } ?? 0
        return S3ObjectInfo(key: key, size: size, etag: response.headers.first(name: "etag"))
    }

    public func deleteObject(bucket: String, key: String) async throws {
        _ = try await send(Operation(name: "DeleteObject", method: .DELETE, bucket: bucket, key: key, idempotent: true))
    }

    /// Deletes up to 1,000 keys in one request (more are sent in batches). Fails if S3 reports any key it
    /// could not delete.
    public func deleteObjects(bucket: String, keys: [String]) async throws {
        for start in stride(from: 0, to: keys.count, by: 1000) {
            let batch = keys[start..<min(start + 1000, keys.count)]
            let objects = batch.map { "<Object><Key>\(HTMLEscaping.escaped($0))</Key></Object>" }.joined()
            let document = "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>true</Quiet>\(objects)</Delete>"
            let body = ByteBuffer(string: document)
            // DeleteObjects requires an integrity header; Content-MD5 is the one every implementation reads.
            let md5 = Data(Insecure.MD5.hash(data: Array(document.utf8))).base64EncodedString()
            let response = try await send(Operation(
                name: "DeleteObjects", method: .POST, bucket: bucket, query: [("delete", "")],
                headers: [("content-md5", md5), ("content-type", "application/xml")], body: body, idempotent: true))
            let answer = try XMLElement.parse(Array(try await response.body.collect(upTo: 16 << 20).readableBytesView))
            if let failed = answer.children("Error").first {
                throw YardError(.internalError, "S3 endpoint \(endpoint.url) could not delete s3://\(bucket)/\(failed.value("Key") ?? "?"): \(failed.value("Code") ?? "") \(failed.value("Message") ?? "")")
            }
        }
    }

    /// One page of ListObjectsV2 under `prefix`, folded at `delimiter` when one is given.
    public func listObjects(bucket: String, prefix: String, delimiter: String? = nil, continuationToken: String? = nil,
                            maxKeys: Int? = nil) async throws -> S3ListPage {
        var query: [(name: String, value: String)] = [("list-type", "2")]
        if !prefix.isEmpty { query.append(("prefix", prefix)) }
        if let delimiter { query.append(("delimiter", delimiter)) }
        if let continuationToken { query.append(("continuation-token", continuationToken)) }
        if let maxKeys { query.append(("max-keys", String(maxKeys))) }
        let response = try await send(Operation(name: "ListObjectsV2", method: .GET, bucket: bucket, query: query, idempotent: true))
        let root = try XMLElement.parse(Array(try await response.body.collect(upTo: 64 << 20).readableBytesView))
        let objects = root.children("Contents").compactMap { item -> S3ObjectInfo? in
            guard let key = item.value("Key") else { return nil }
            return S3ObjectInfo(key: key, size: item.value("Size").flatMap { Int64($0) } ?? 0, etag: item.value("ETag"))
        }
        let prefixes = root.children("CommonPrefixes").compactMap { $0.value("Prefix") }
        let truncated = root.value("IsTruncated") == "true"
        return S3ListPage(objects: objects, commonPrefixes: prefixes,
                          nextContinuationToken: truncated ? root.value("NextContinuationToken") : nil)
    }

    /// Every page of a listing, concatenated.
    public func listAllObjects(bucket: String, prefix: String, delimiter: String? = nil) async throws -> S3ListPage {
        var all = S3ListPage(objects: [], commonPrefixes: [], nextContinuationToken: nil)
        var token: String?
        repeat {
            let page = try await listObjects(bucket: bucket, prefix: prefix, delimiter: delimiter, continuationToken: token)
            all.objects += page.objects
            all.commonPrefixes += page.commonPrefixes
            token = page.nextContinuationToken
        } while token != nil
        return all
    }

    /// A minute, plus a second for every MiB, as the wait for the answer to a body of `bytes`.
    static func transferTimeout(_ bytes: Int) -> Duration {
        .seconds(60 + bytes / (1 << 20))
    }
}
