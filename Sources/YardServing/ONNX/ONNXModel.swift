import SwiftProtobuf

/// A loaded, validated ONNX model, compiled for the native evaluator: every operator, attribute,
/// index and size is checked in `init`, so `predict` fails only on bad requests.
public final class ONNXModel: InferenceModel {
    public let inputs: [ValueInfo]
    public let outputs: [ValueInfo]
    /// Operator-set versions by domain ("" is ai.onnx, "ai.onnx.ml").
    public let opsets: [String: Int]
    /// Producer name and version, e.g. "skl2onnx 1.20.0".
    public let producer: String
    private let plan: ONNXGraphPlan

    public init(bytes: [UInt8]) throws(InferenceError) {
        let model: Onnx_ModelProto
        do {
            model = try Onnx_ModelProto(serializedBytes: bytes)
        } catch {
            throw InferenceError(.invalidModel, "the file is not a valid ONNX model (protobuf decoding failed: \(error)); it may be truncated or not ONNX at all")
        }
        guard model.hasGraph else { throw InferenceError(.invalidModel, "the ONNX model has no graph") }
        var opsets: [String: Int] = [:]
        for entry in model.opsetImport {
            let domain = ONNXOperators.normalizedDomain(entry.domain)
            guard let newest = ONNXOperators.newestOpset[domain] else {
                throw InferenceError(.unsupported, "the model imports operator domain '\(entry.domain)', which is not supported; supported: ai.onnx, ai.onnx.ml")
            }
            guard entry.version >= 1, entry.version <= Int64(newest) else {
                throw InferenceError(.unsupported, "the model needs opset \(entry.version) of domain \(domain.isEmpty ? "ai.onnx" : domain); this evaluator implements up to \(newest) — re-export with target_opset ≤ \(newest)")
            }
            opsets[domain] = Int(entry.version)
        }
        let graph = model.graph
        let initializerNames = Set(graph.initializer.map(\.name))
        let inputProtos = graph.input.filter { !initializerNames.contains($0.name) }
        var inputs: [ValueInfo] = []
        for proto in inputProtos {
            let info = try ONNXTypes.valueInfo(proto)
            guard case .tensor = info.kind else { throw InferenceError(.unsupported, "graph input '\(proto.name)' is not a tensor") }
            inputs.append(info)
        }
        var outputs: [ValueInfo] = []
        for proto in graph.output { outputs.append(try ONNXTypes.valueInfo(proto)) }
        guard !outputs.isEmpty else { throw InferenceError(.invalidModel, "the graph declares no outputs") }
        plan = try ONNXGraphPlan(graph: graph, opsets: opsets, inputNames: inputs.map(\.name), byteBudget: bytes.count)
        self.inputs = inputs
        self.outputs = outputs
        self.opsets = opsets
        self.producer = [model.producerName, model.producerVersion].filter { !$0.isEmpty }.joined(separator: " ")
    }

    public func predict(_ feeds: [String: Tensor]) throws(InferenceError) -> [(name: String, value: Value)] {
        var ordered: [Tensor] = []
        ordered.reserveCapacity(inputs.count)
        for input in inputs {
            guard let feed = feeds[input.name] else {
                throw InferenceError(.invalidInput, "input '\(input.name)' is missing")
            }
            try Self.check(feed, against: input)
            ordered.append(feed)
        }
        let values = try plan.run(ordered)
        var results: [(name: String, value: Value)] = []
        for (info, value) in zip(outputs, values) {
            results.append((info.name, try Self.conform(value, to: info)))
        }
        return results
    }

    private static func check(_ feed: Tensor, against input: ValueInfo) throws(InferenceError) {
        guard case .tensor(let type, let shape) = input.kind else { return }
        guard feed.elementType == type else {
            throw InferenceError(.invalidInput, "input '\(input.name)' must be \(type), got \(feed.elementType)")
        }
        guard let shape else { return }
        guard feed.rank == shape.count else {
            throw InferenceError(.invalidInput, "input '\(input.name)' must have rank \(shape.count) (shape \(ServableModel.shapeText(shape))), got shape \(feed.shape)")
        }
        for (axis, (expected, actual)) in zip(shape, feed.shape).enumerated() {
            if let expected, expected != actual {
                throw InferenceError(.invalidInput, "input '\(input.name)' must have \(expected) entries on axis \(axis) (shape \(ServableModel.shapeText(shape))), got shape \(feed.shape)")
            }
        }
    }

    /// Outputs come back with the element type the model declares (e.g. a float ZipMap input declared
    /// as a map sequence stays a map sequence; a declared tensor is never a map).
    private static func conform(_ value: Value, to info: ValueInfo) throws(InferenceError) -> Value {
        switch (info.kind, value) {
        case (.tensor(let type, _), .tensor(let tensor)) where tensor.elementType != type:
            return .tensor(Tensor(unchecked: tensor.shape, tensor.elements.cast(to: type)))
        case (.tensor, .mapSequence):
            throw InferenceError(.invalidModel, "output '\(info.name)' is declared a tensor but the graph produces a sequence of maps")
        case (.mapSequence, .tensor):
            throw InferenceError(.invalidModel, "output '\(info.name)' is declared a sequence of maps but the graph produces a tensor")
        default:
            return value
        }
    }
}
