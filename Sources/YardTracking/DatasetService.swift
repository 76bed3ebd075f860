import YardCore
import YardStore

/// What a client asks to register, as it arrived: the route only decodes JSON into this, the service
/// decides what is valid. Numbers stay as their JSON text so range checks happen here, once.
public struct DatasetRegistrationRequest: Sendable, Equatable {
    public var name: String?
    public var digest: String?
    /// `file` (the default when absent) or `directory`; any other text, or a non-string, is refused.
    public var kind: String?
    /// The JSON number text of `size` / `files`; nil when absent or not a number.
    public var size: String?
    public var files: String?
    public var source: String?
    public var profile: DatasetProfile?

    public init(name: String?, digest: String?, kind: String?, size: String?, files: String?, source: String?,
                profile: DatasetProfile?) {
        self.name = name
        self.digest = digest
        self.kind = kind
        self.size = size
        self.files = files
        self.source = source
        self.profile = profile
    }
}

/// The dataset registry: versions registered by `yard data add --name` (by content digest), and the
/// MLflow runs whose `log_input` used them. Owns the validation; knows nothing of HTTP or JSON.
public struct DatasetService: Sendable {
    public let store: any DatasetStore

    public init(store: any DatasetStore) {
        self.store = store
    }

    /// MLflow limits a dataset digest to 36 characters, so a version is also known by the first 36 hex
    /// characters of its SHA-256.
    public static let shortDigestLength = 36
    static let digestPrefix = "sha256:"

    /// Registers a version; the same (name, digest) again returns the first registration.
    public func register(_ request: DatasetRegistrationRequest, now: Int64 = Identifiers.nowMillis()) async throws -> DatasetVersionRecord {
        guard let name = request.name else { throw YardError.missingParameter("name") }
        try Self.validateName(name)
        guard let digestText = request.digest else { throw YardError.missingParameter("digest") }
        guard let digest = Self.fullDigest(digestText) else {
            throw YardError.invalid("Invalid digest '\(digestText)': expected sha256:<64 hex characters>.")
        }
        let kind: DatasetKind
        switch request.kind {
        case nil: kind = .file
        case let text?:
            guard let parsed = DatasetKind(rawValue: text) else { throw YardError.invalid("'kind' must be \"file\" or \"directory\".") }
            kind = parsed
        }
        let size = try Self.count(request.size, "size")
        let files = try Self.count(request.files, "files")
        guard let fileCount = Int(exactly: files) else { throw YardError.invalid("'files' must be a non-negative integer.") }
        let record = DatasetVersionRecord(
            name: name, digest: digest, shortDigest: String(digest.prefix(Self.shortDigestLength)), kind: kind,
            size: size, files: fileCount, source: request.source, profile: request.profile, createdAt: now)
        return try await store.registerDatasetVersion(record)
    }

    /// Every dataset with its latest version, by name.
    public func summaries() async throws -> [DatasetSummary] {
        try await store.datasetSummaries()
    }

    /// Versions of one dataset, newest first.
    public func versions(name: String) async throws -> [DatasetVersionRecord] {
        try Self.validateName(name)
        let versions = try await store.datasetVersions(name: name)
        if versions.isEmpty { throw YardError.notFound("Dataset '\(name)' is not registered.") }
        return versions
    }

    /// One version by its full digest (optionally `sha256:`-prefixed) or its 36-character short form.
    public func version(name: String, digest text: String) async throws -> DatasetVersionRecord {
        try Self.validateName(name)
        let lookup: String
        if let full = Self.fullDigest(text) {
            lookup = full
        } else if text.utf8.count == Self.shortDigestLength, text.utf8.allSatisfy(Self.isHex) {
            lookup = text.lowercased()
        } else {
            throw YardError.invalid("Invalid digest '\(text)': use the 64-hex SHA-256 (optionally sha256:-prefixed) or its first 36 hex characters.")
        }
        guard let version = try await store.datasetVersion(name: name, digest: lookup) else {
            throw YardError.notFound("Dataset '\(name)' has no version \(text).")
        }
        return version
    }

    /// Active runs whose MLflow dataset inputs used the version: by short digest (what `log_input` can
    /// carry), full digest, or `sha256:`-prefixed digest.
    public func runs(name: String, digest: String) async throws -> [DatasetRunLink] {
        let version = try await version(name: name, digest: digest)
        return try await store.runs(usingDatasetDigests: [version.shortDigest, version.digest, Self.digestPrefix + version.digest])
    }

    /// Names appear in URLs and in MLflow, so they keep to letters, digits, `.`, `_` and `-`.
    public static func validateName(_ name: String) throws(YardError) {
        guard !name.isEmpty, name.count <= 200,
              name.unicodeScalars.allSatisfy({ $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)) }),
              name.first != "." else {
            throw .invalid("Invalid dataset name '\(name)': use 1-200 letters, digits, '.', '_' or '-', not starting with '.'.")
        }
    }

    /// 64 lowercase hex characters from `sha256:<64 hex>` or bare 64 hex, in any case.
    static func fullDigest(_ text: String) -> String? {
        var body = Substring(text)
        if body.hasPrefix(digestPrefix) { body = body.dropFirst(digestPrefix.count) }
        guard body.utf8.count == 64, body.utf8.allSatisfy(isHex) else { return nil }
        return body.lowercased()
    }

    static func isHex(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46)
    }

    static func count(_ text: String?, _ field: String) throws(YardError) -> Int64 {
        guard let text, let number = Int64(text), number >= 0 else {
            throw .invalid("'\(field)' must be a non-negative integer.")
        }
        return number
    }
}
