import Foundation
import NIOHTTP1
import YardCore
import YardData

/// What `yard data add --name` sends to register a dataset version.
public struct DatasetRegistration: Codable, Sendable, Equatable {
    public var name: String
    /// `sha256:<64 hex>` of the file or folder manifest.
    public var digest: String
    public var kind: String
    public var size: Int64
    public var files: Int
    public var source: String?
    public var profile: CSVProfile?

    public init(name: String, digest: String, kind: String, size: Int64, files: Int, source: String?, profile: CSVProfile?) {
        self.name = name
        self.digest = digest
        self.kind = kind
        self.size = size
        self.files = files
        self.source = source
        self.profile = profile
    }
}

/// A dataset version as the server returns it.
public struct RegisteredDatasetVersion: Decodable, Sendable, Equatable {
    public var name: String
    public var digest: String
    /// The first 36 hex characters: what MLflow's `log_input` records as the dataset digest.
    public var shortDigest: String
    public var size: Int64
    public var files: Int

    enum CodingKeys: String, CodingKey {
        case name, digest, size, files
        case shortDigest = "short_digest"
    }
}

/// The server's dataset registry (`/api/v1/datasets`).
public struct DatasetClient: Sendable {
    let connection: ServerConnection

    public init(baseURL: String) throws(YardError) {
        connection = try ServerConnection(baseURL: baseURL)
    }

    public func register(_ registration: DatasetRegistration) async throws -> RegisteredDatasetVersion {
        try connection.ensureReachable()
        let body = try JSONEncoder().encode(registration)
        let reply = try await connection.json(.POST, "/api/v1/datasets", body: Array(body))
        struct Answer: Decodable { var dataset_version: RegisteredDatasetVersion }
        return try JSONDecoder().decode(Answer.self, from: Data(reply)).dataset_version
    }
}
