import Foundation

/// What a kernel builder sees of its node: typed attribute accessors that refuse wrong types, and the
/// opset version in force.
struct ONNXNodeContext {
    let node: Onnx_NodeProto
    let domain: String
    let version: Int
    private let attributes: [String: Onnx_AttributeProto]

    init(node: Onnx_NodeProto, domain: String, version: Int) throws(InferenceError) {
        self.node = node
        self.domain = domain
        self.version = version
        var attributes: [String: Onnx_AttributeProto] = [:]
        for attribute in node.attribute {
            if !attribute.refAttrName.isEmpty {
                throw InferenceError(.unsupported, "\(Self.describe(node)) uses an attribute reference, which only functions may do")
            }
            attributes[attribute.name] = attribute
        }
        self.attributes = attributes
    }

    static func describe(_ node: Onnx_NodeProto) -> String {
        let domain = node.domain.isEmpty ? "" : " (domain \(node.domain))"
        return node.name.isEmpty ? "operator '\(node.opType)'\(domain)" : "node '\(node.name)' (\(node.opType)\(domain))"
    }

    var description: String { Self.describe(node) }

    func invalid(_ message: String) -> InferenceError {
        InferenceError(.invalidModel, "\(description): \(message)")
    }

    func unsupported(_ message: String) -> InferenceError {
        InferenceError(.unsupported, "\(description): \(message)")
    }

    func has(_ name: String) -> Bool { attributes[name] != nil }

    private func attribute(_ name: String, _ type: Onnx_AttributeProto.AttributeType) throws(InferenceError) -> Onnx_AttributeProto? {
        guard let attribute = attributes[name] else { return nil }
        if attribute.hasType, attribute.type != type, attribute.type != .undefined {
            throw invalid("attribute '\(name)' should be \(type), it is \(attribute.type)")
        }
        return attribute
    }

    func int(_ name: String) throws(InferenceError) -> Int64? { try attribute(name, .int)?.i }
    func int(_ name: String, default value: Int64) throws(InferenceError) -> Int64 { try int(name) ?? value }
    func float(_ name: String) throws(InferenceError) -> Float? { try attribute(name, .float)?.f }
    func float(_ name: String, default value: Float) throws(InferenceError) -> Float { try float(name) ?? value }
    func string(_ name: String) throws(InferenceError) -> String? {
        guard let attribute = try attribute(name, .string) else { return nil }
        return String(decoding: attribute.s, as: UTF8.self)
    }
    func string(_ name: String, default value: String) throws(InferenceError) -> String { try string(name) ?? value }
    func ints(_ name: String) throws(InferenceError) -> [Int64] { try attribute(name, .ints)?.ints ?? [] }
    func floats(_ name: String) throws(InferenceError) -> [Float] { try attribute(name, .floats)?.floats ?? [] }
    func strings(_ name: String) throws(InferenceError) -> [String] {
        (try attribute(name, .strings)?.strings ?? []).map { String(decoding: $0, as: UTF8.self) }
    }
    func tensor(_ name: String, byteBudget: Int) throws(InferenceError) -> Tensor? {
        guard let attribute = try attribute(name, .tensor) else { return nil }
        return try ONNXTypes.tensor(attribute.t, byteBudget: byteBudget)
    }

    /// `name` as floats or its `name_as_tensor` double variant (ai.onnx.ml 3); nil when neither is set.
    func floatsOrDoubleTensor(_ name: String) throws(InferenceError) -> [Double]? {
        if let tensor = try tensor(name + "_as_tensor", byteBudget: Int.max) {
            return try tensor.doubleValues("attribute '\(name)_as_tensor'")
        }
        guard has(name) else { return nil }
        return try floats(name).map { Double($0) }
    }

    /// Whether `name`'s double variant is the one in use (then arithmetic should be in double).
    func usesDoubleTensor(_ name: String) -> Bool { attributes[name + "_as_tensor"] != nil }

    var inputCount: Int { node.input.count }

    func requireInputs(_ range: ClosedRange<Int>) throws(InferenceError) {
        guard range.contains(node.input.count) else {
            throw invalid("takes \(range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)") inputs, it has \(node.input.count)")
        }
    }

    func requireOutputs(_ range: ClosedRange<Int>) throws(InferenceError) {
        guard range.contains(node.output.count) else {
            throw invalid("produces \(range.lowerBound == range.upperBound ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)") outputs, it has \(node.output.count)")
        }
    }
}
