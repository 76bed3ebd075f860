import Crypto
import YardCore

/// A SHA-256 content address. Everything in the cache, the remotes and the pointer files is named by one.
///
/// MLflow limits a dataset digest to 36 characters, so the dataset registry and `log_input` use
/// `shortForm`: the first 36 hex characters (144 bits) of the same SHA-256, still far beyond any
/// accidental collision for the number of dataset versions a server will ever hold.
public struct ContentDigest: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// 64 lowercase hex characters.
    public let hex: String

    public static let shortFormLength = 36
    public static let prefix = "sha256:"

    /// Accepts `sha256:<64 hex>` or the bare 64 hex characters, in any case.
    public init?(_ text: some StringProtocol) {
        var body = Substring(text)
        if body.hasPrefix(Self.prefix) { body = body.dropFirst(Self.prefix.count) }
        guard body.utf8.count == 64, body.utf8.allSatisfy({ Self.isHex($0) }) else { return nil }
        hex = body.lowercased()
    }

    init(bytes: some Sequence<UInt8>) {
        var text = [UInt8]()
        text.reserveCapacity(64)
        for byte in bytes {
            text.append(Self.hexDigits[Int(byte >> 4)])
            text.append(Self.hexDigits[Int(byte & 0x0F)])
        }
        hex = String(decoding: text, as: UTF8.self)
    }

    init(_ digest: SHA256.Digest) {
        self.init(bytes: digest)
    }

    /// SHA-256 of bytes held in memory (tree nodes, small payloads).
    public static func of(_ bytes: some Sequence<UInt8>) -> ContentDigest {
        ContentDigest(SHA256.hash(data: Array(bytes)))
    }

    /// The form MLflow can store (`log_input`'s digest is limited to 36 characters).
    public var shortForm: String { String(hex.prefix(Self.shortFormLength)) }

    public var description: String { Self.prefix + hex }

    public static func < (lhs: ContentDigest, rhs: ContentDigest) -> Bool { lhs.hex < rhs.hex }

    /// Parses user or wire input, failing with a message that shows the expected form.
    public static func parse(_ text: String, field: String = "digest") throws(YardError) -> ContentDigest {
        guard let digest = ContentDigest(text) else {
            throw .invalid("Invalid \(field) '\(text)': expected sha256:<64 hex characters>.")
        }
        return digest
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private static func isHex(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) || (byte >= 0x41 && byte <= 0x46)
    }
}
