/// Why a model package could not be loaded. Every message names the file or field at fault and what to do.
public struct ModelPackageError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// The path does not exist or holds neither an MLmodel file nor an .onnx file.
        case notFound
        /// The MLmodel file is unreadable or inconsistent (bad YAML, bad signature, data path outside the folder).
        case invalidPackage
        /// The package has flavors, but none this server can evaluate.
        case noONNXFlavor
        /// The ONNX file itself was refused by the evaluator (malformed, or uses what it does not implement).
        case invalidModel
        case unsupportedModel
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
