/// The declared type of a model input or output.
public struct ValueInfo: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// `shape` entries are nil for a free dimension (the batch dimension, usually).
        case tensor(ElementType, shape: [Int?]?)
        /// A sequence of maps from class label to score (ONNX `seq(map(int64|string, float))`).
        case mapSequence(keys: ElementType)
    }

    public let name: String
    public let kind: Kind

    public init(name: String, kind: Kind) {
        self.name = name
        self.kind = kind
    }

    public var elementType: ElementType? {
        if case .tensor(let type, _) = kind { return type }
        return nil
    }

    public var shape: [Int?]? {
        if case .tensor(_, let shape) = kind { return shape }
        return nil
    }
}

/// Something that turns named input tensors into named outputs. Implementations are immutable after
/// loading and safe to call from many requests at once.
public protocol InferenceModel: Sendable {
    var inputs: [ValueInfo] { get }
    var outputs: [ValueInfo] { get }
    /// Evaluates every output, in the order of `outputs`. `feeds` holds one tensor per input, already
    /// of the declared element type; a missing input or a shape the model cannot take throws
    /// `InferenceError(.invalidInput, …)` naming it.
    func predict(_ feeds: [String: Tensor]) throws(InferenceError) -> [(name: String, value: Value)]
}

/// Why a model could not be loaded or a prediction could not be made. `invalidInput` is the caller's
/// fault (a 400); the others describe the model.
public struct InferenceError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable {
        /// The request: a missing or unknown column, a wrong type or shape, NaN where not allowed.
        case invalidInput
        /// The model uses an operator, opset, attribute or type the evaluator does not implement.
        case unsupported
        /// The model file is malformed: truncated, inconsistent sizes, bad indices, a cycle.
        case invalidModel
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
