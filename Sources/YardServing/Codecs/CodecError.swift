/// A request the codecs refuse. `invalidInput` is a 400 (the message names the field, column, row or
/// input at fault); `unsupportedMediaType` is a 415.
public struct CodecError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case invalidInput
        case unsupportedMediaType
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    static func invalid(_ message: String) -> CodecError { CodecError(.invalidInput, message) }

    /// The HTTP status a server answers with.
    public var httpStatus: Int { kind == .unsupportedMediaType ? 415 : 400 }

    public var description: String { message }
}
