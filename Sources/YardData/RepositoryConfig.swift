import Foundation
import Yams
import YardCore

/// `.yard/config`: committed with the repository, so every clone links the same way and knows the remotes.
public struct RepositoryConfig: Sendable, Equatable, Codable {
    public struct Cache: Sendable, Equatable, Codable {
        /// Ordered link types for checkout, e.g. `reflink,copy` (the default) or `hardlink,copy`.
        public var type: String?
    }

    public var cache: Cache?
    /// Remote name → a folder path (relative to the repository root or absolute) or a `yard server` URL.
    public var remotes: [String: String]?
    public var defaultRemote: String?
    /// The `yard server` that dataset versions are registered with (`yard data add --name`).
    public var server: String?

    enum CodingKeys: String, CodingKey {
        case cache, remotes, server
        case defaultRemote = "default_remote"
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
