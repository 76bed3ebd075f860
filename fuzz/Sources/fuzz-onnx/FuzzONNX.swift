import YardServing

/// The ONNX model loader on arbitrary bytes: `ONNXModel(bytes:)` must return or throw `InferenceError`,
/// never trap, whatever the protobuf says (truncated messages, sizes that disagree with the data, node
/// and tree indices out of range, cycles). A model it accepts must then evaluate a small batch of zeros
/// (or refuse it with an error) without trapping, and answer every declared output.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzONNX(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let model = try? ONNXModel(bytes: bytes) else { return 0 }
    for rows in [1, 3] {
        guard let feeds = zeroFeeds(for: model, rows: rows) else { return 0 }
        guard let outputs = try? model.predict(feeds) else { continue }
        guard outputs.count == model.outputs.count else {
            fatalError("the model declares \(model.outputs.count) outputs and answered \(outputs.count)")
        }
    }
    return 0
}

/// One zero-filled tensor per input, free dimensions set to `rows` (the first) or 1; nil when an input's
/// shape would need more than a few thousand elements (the loader's job is not to be a memory test).
private func zeroFeeds(for model: ONNXModel, rows: Int) -> [String: Tensor]? {
    var feeds: [String: Tensor] = [:]
    for input in model.inputs {
        guard case .tensor(let type, let declared) = input.kind else { return nil }
        let shape = (declared ?? [nil, nil]).enumerated().map { index, dimension in dimension ?? (index == 0 ? rows : 1) }
        var count = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow, product <= 4096 else { return nil }
            count = product
        }
        let elements: Tensor.Elements
        switch type {
        case .float: elements = .float(Array(repeating: 0, count: count))
        case .double: elements = .double(Array(repeating: 0, count: count))
        case .int64: elements = .int64(Array(repeating: 0, count: count))
        case .string: elements = .string(Array(repeating: "", count: count))
        case .bool: elements = .bool(Array(repeating: false, count: count))
        }
        guard let tensor = try? Tensor(shape: shape, elements: elements) else { return nil }
        feeds[input.name] = tensor
    }
    return feeds
}
