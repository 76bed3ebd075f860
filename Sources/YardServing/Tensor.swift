/// The element types the evaluator computes with. Narrower integer and float types a request or a model
/// declares are widened to these at the edges (codecs, `Cast`), so kernels handle five cases, not fifteen.
public enum ElementType: String, Sendable, CaseIterable {
    case float, double, int64, string, bool

    /// The Open Inference Protocol datatype name.
    public var inferenceProtocolName: String {
        switch self {
        case .float: return "FP32"
        case .double: return "FP64"
        case .int64: return "INT64"
        case .string: return "BYTES"
        case .bool: return "BOOL"
        }
    }
}

/// A dense, row-major tensor. `shape.reduce(1, *) == elements.count` always holds (checked at creation).
public struct Tensor: Sendable {
    public enum Elements: Sendable {
        case float([Float])
        case double([Double])
        case int64([Int64])
        case string([String])
        case bool([Bool])

        public var count: Int {
            switch self {
            case .float(let v): return v.count
            case .double(let v): return v.count
            case .int64(let v): return v.count
            case .string(let v): return v.count
            case .bool(let v): return v.count
            }
        }

        public var elementType: ElementType {
            switch self {
            case .float: return .float
            case .double: return .double
            case .int64: return .int64
            case .string: return .string
            case .bool: return .bool
            }
        }
    }

    public let shape: [Int]
    public let elements: Elements

    public init(shape: [Int], elements: Elements) throws(InferenceError) {
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw InferenceError(.invalidInput, "a tensor shape may not have negative dimensions: \(shape)")
        }
        let (count, overflow) = shape.reduce((1, false)) { partial, dimension in
            let (product, over) = partial.0.multipliedReportingOverflow(by: dimension)
            return (product, partial.1 || over)
        }
        guard !overflow, count == elements.count else {
            throw InferenceError(.invalidInput, "shape \(shape) needs \(overflow ? "too many" : String(count)) elements, the data has \(elements.count)")
        }
        self.shape = shape
        self.elements = elements
    }

    /// For kernels whose arithmetic already guarantees the count matches.
    public init(unchecked shape: [Int], _ elements: Elements) {
        self.shape = shape
        self.elements = elements
    }

    public var elementType: ElementType { elements.elementType }
    public var count: Int { elements.count }
    public var rank: Int { shape.count }
}

/// What ZipMap produces: one map per row from class label to score. Stored as the labels once and the
/// scores row-major, which is also how the response codecs render it.
public struct MapSequence: Sendable {
    public enum Keys: Sendable {
        case int64([Int64])
        case string([String])

        public var count: Int {
            switch self {
            case .int64(let v): return v.count
            case .string(let v): return v.count
            }
        }
    }

    public let keys: Keys
    /// `rows × keys.count` scores, row-major.
    public let values: [Float]
    public let rows: Int

    public init(keys: Keys, values: [Float], rows: Int) {
        precondition(values.count == rows * keys.count, "map sequence values must be rows × keys")
        self.keys = keys
        self.values = values
        self.rows = rows
    }
}

/// A model input or output value.
public enum Value: Sendable {
    case tensor(Tensor)
    case mapSequence(MapSequence)

    public var tensor: Tensor? {
        if case .tensor(let tensor) = self { return tensor }
        return nil
    }

    /// The number of rows (the first dimension) this value holds.
    public var rows: Int {
        switch self {
        case .tensor(let tensor): return tensor.shape.first ?? 1
        case .mapSequence(let maps): return maps.rows
        }
    }
}
