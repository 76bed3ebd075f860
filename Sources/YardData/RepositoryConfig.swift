import Foundation
import Yams
import YardCore

/// `.yard/config`: committed with the repository, so every clone links the same way and knows the remotes.
public struct RepositoryConfig: Sendable, Equatable, Codable {
    public struct Cache: Sendable, Equatable, Codable {
        /// Ordered link types for checkout, e.g. `reflink,copy` (the default) or `hardlink,copy`.
        public var type: String?
    }

    /// Where an `s3://` remote's service is, when not (only) from the AWS environment variables. Never
    /// credentials: those come from the environment of whoever pushes or pulls.
    public struct RemoteSettings: Sendable, Equatable, Codable {
        public var endpointURL: String?
        public var region: String?
        /// `path` or `virtual`.
        public var addressing: String?

        enum CodingKeys: String, CodingKey {
            case region, addressing
            case endpointURL = "endpoint_url"
        }

        public init(endpointURL: String? = nil, region: String? = nil, addressing: String? = nil) {
            self.endpointURL = endpointURL
            self.region = region
            self.addressing = addressing
        }

        public var isEmpty: Bool { endpointURL == nil && region == nil && addressing == nil }
    }

    public var cache: Cache?
    /// Remote name → a folder path (relative to the repository root or absolute), a `yard server` URL or
    /// an `s3://bucket/prefix` URI.
    public var remotes: [String: String]?
    /// Remote name → settings of an `s3://` remote, for those that have any.
    public var remoteSettings: [String: RemoteSettings]?
    public var defaultRemote: String?
    /// The `yard server` that dataset versions are registered with (`yard data add --name`).
    public var server: String?

    enum CodingKeys: String, CodingKey {
        case cache, remotes, server
        case defaultRemote = "default_remote"
        case remoteSettings = "remote_settings"
    }

    public init() {
        cache = Cache(type: LinkKind.defaultOrder.map(\.rawValue).joined(separator: ","))
    }

    public var linkKinds: [LinkKind] {
        get throws(YardError) {
            guard let text = cache?.type else { return LinkKind.defaultOrder }
            let kinds = try LinkKind.parseList(text)
            // Earlier versions of `yard init` wrote their default, reflink,hardlink,copy, into every config:
            // that is not a choice of hard links, so it means today's default. Opt into hard links with
            // e.g. `hardlink,copy` or `reflink,hardlink`.
            return kinds == Self.legacyDefault ? LinkKind.defaultOrder : kinds
        }
    }

    static let legacyDefault: [LinkKind] = [.reflink, .hardlink, .copy]

    public static func load(_ path: String) throws(YardError) -> RepositoryConfig {
        let bytes = try FileSystem.readFile(path)
        let text = String(decoding: bytes, as: UTF8.self)
        if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { return RepositoryConfig() }
        do {
            return try YAMLDecoder().decode(RepositoryConfig.self, from: text)
        } catch {
            throw .invalid("\(path) is not valid: \(error). Fix the YAML by hand or restore it from git.")
        }
    }

    public func save(_ path: String) throws(YardError) {
        let encoder = YAMLEncoder()
        encoder.options.sortKeys = true
        do {
            let text = "# Modelyard data settings; commit this file.\n" + (try encoder.encode(self))
            try FileSystem.writeAtomically(path, Array(text.utf8))
        } catch let error as YardError {
            throw error
        } catch {
            throw YardError(.internalError, "Cannot write \(path): \(error)")
        }
    }
}
