/// A loaded, validated ONNX model, compiled for the native evaluator. (Interface stub: the evaluator
/// helper replaces this body.)
public final class ONNXModel: InferenceModel {
    public let inputs: [ValueInfo]
    public let outputs: [ValueInfo]
    /// Operator-set versions by domain ("" is ai.onnx, "ai.onnx.ml").
    public let opsets: [String: Int]
    /// Producer name and version, e.g. "skl2onnx 1.20.0".
    public let producer: String

    public init(bytes: [UInt8]) throws(InferenceError) {
        throw InferenceError(.unsupported, "the ONNX evaluator is not built yet")
    }

    public func predict(_ feeds: [String: Tensor]) throws(InferenceError) -> [(name: String, value: Value)] {
        throw InferenceError(.unsupported, "the ONNX evaluator is not built yet")
    }
}
