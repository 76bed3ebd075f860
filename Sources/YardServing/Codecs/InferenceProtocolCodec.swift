import YardJSON

/// The Open Inference Protocol v2 (KServe, Triton, MLServer) over JSON, HTTP-free.
///
/// - `parseInfer(body:model:)`: `{"id"?, "parameters"?, "inputs": [{name, shape, datatype, data}], "outputs"?: [{name}]}`.
///   `data` may be flat or nested (row-major); `shape` is authoritative. Each input is checked against
///   the model input of that name: datatype family (FP16/32/64 and integer types for float inputs,
///   INT*/UINT* for int64, BYTES for strings, BOOL for booleans), element count, rank and fixed
///   dimensions; [N] fills an [N, 1] input. When the names are not the model's inputs but columns
///   (one 1-D input per feature, as MLServer's pandas codec sends), they are mapped like table columns.
///   Requested `outputs` must be model outputs.
/// - `renderInfer(...)`: `{"model_name", "model_version"?, "id"?, "outputs": [{name, shape, datatype, data}]}`
///   with flat row-major data. A map-sequence output (ZipMap) is rendered as datatype BYTES, shape [N],
///   one JSON object text per row, e.g. `"{\"0\":0.25,\"1\":0.75}"`. Non-finite floats are `null`.
/// - `metadata(...)`: `{"name", "versions", "platform": "onnx_onnxv1", "inputs": [...], "outputs": [...]}`,
///   free dimensions as -1.
/// Errors are `CodecError.invalidInput` (400, the server answers `{"error": message}`).
public enum InferenceProtocolCodec {
    public struct InferRequest: Sendable {
        public let id: String?
        public let parameters: JSONValue?
        /// Output names the client asked for, nil for all.
        public let requestedOutputs: [String]?
        public let feeds: ModelFeeds
    }

    public static func parseInfer(body: [UInt8], model: ServableModel) throws(CodecError) -> InferRequest {
        let document: JSONValue
        do {
            document = try JSONParser.parse(body)
        } catch {
            throw .invalid("The request body is not valid JSON (\(error)).")
        }
        guard case .object = document else { throw .invalid("The inference request must be a JSON object with an inputs list.") }
        var id: String?
        switch document["id"] {
        case .string(let text)?: id = text
        case .number(let text)?: id = text
        case nil, .null?: id = nil
        default: throw .invalid("id must be a string.")
        }
        if let parameters = document["parameters"], case .object = parameters {} else if document["parameters"] != nil, document["parameters"] != .null {
            throw .invalid("parameters must be an object.")
        }
        guard case .array(let inputs)? = document["inputs"], !inputs.isEmpty else {
            throw .invalid("inputs must be a non-empty list of {name, shape, datatype, data}.")
        }
        var named: [(name: String, shape: [Int], datatype: String, data: JSONValue)] = []
        for (index, input) in inputs.enumerated() {
            guard case .object = input, case .string(let name)? = input["name"] else {
                throw .invalid("inputs[\(index)] needs a name.")
            }
            guard case .array(let dimensions)? = input["shape"] else {
                throw .invalid("input '\(name)' needs a shape, e.g. [2, 4].")
            }
            var shape: [Int] = []
            for dimension in dimensions {
                guard case .number(let text) = dimension, let value = Int(text), value >= 0 else {
                    throw .invalid("input '\(name)': shape must be a list of non-negative integers, got \(String(decoding: JSONWriter.bytes(.array(dimensions)), as: UTF8.self)).")
                }
                shape.append(value)
            }
            guard case .string(let datatype)? = input["datatype"] else {
                throw .invalid("input '\(name)' needs a datatype (FP32, FP64, INT64, BYTES, BOOL, …).")
            }
            guard let data = input["data"] else { throw .invalid("input '\(name)' has no data.") }
            if named.contains(where: { $0.name == name }) { throw .invalid("input '\(name)' appears twice.") }
            named.append((name, shape, datatype, data))
        }
        var requested: [String]?
        if let outputs = document["outputs"], outputs != .null {
            guard case .array(let entries) = outputs else { throw .invalid("outputs must be a list of {name}.") }
            var names: [String] = []
            for (index, entry) in entries.enumerated() {
                guard case .string(let name)? = entry["name"] else { throw .invalid("outputs[\(index)] needs a name.") }
                guard model.model.outputs.contains(where: { $0.name == name }) else {
                    throw .invalid("output '\(name)' is not an output of this model; it has \(ServableModel.names(model.model.outputs)).")
                }
                names.append(name)
            }
            requested = names
        }

        let inputNames = Set(model.model.inputs.map(\.name))
        let feeds: ModelFeeds
        if named.allSatisfy({ inputNames.contains($0.name) }) {
            var tensors: [String: Tensor] = [:]
            var columns: [ModelFeeds.Column] = []
            for info in model.model.inputs {
                guard let given = named.first(where: { $0.name == info.name }) else {
                    throw .invalid("the request has no input '\(info.name)'; the model takes \(ServableModel.names(model.model.inputs)).")
                }
                let tensor = try tensor(given, for: info, model: model)
                tensors[info.name] = tensor
                columns += model.columnMap(for: info, tensor: tensor)
            }
            let rows = try ServableModel.commonRows(tensors, order: model.model.inputs.map(\.name))
            feeds = ModelFeeds(tensors: tensors, rows: rows, columns: columns)
        } else {
            // Per-column inputs: each one-dimensional (or [N, 1]), read as a table column.
            var columns: [[JSONValue]] = []
            for given in named {
                guard given.shape.count == 1 || (given.shape.count == 2 && given.shape[1] == 1) else {
                    let known = ServableModel.names(model.model.inputs)
                    throw .invalid("input '\(given.name)' is not an input of this model (it takes \(known)), and with shape \(given.shape) it cannot be a column either.")
                }
                try checkDatatype(given.datatype, name: given.name, against: nil)
                let (_, leaves) = try NestedList.flatten(given.data, label: "input '\(given.name)'")
                guard leaves.count == given.shape[0] else {
                    throw .invalid("input '\(given.name)': shape \(given.shape) needs \(given.shape[0]) values, data has \(leaves.count).")
                }
                columns.append(leaves)
            }
            feeds = try model.feeds(table: try DataTable(names: named.map(\.name), columns: columns), rowOffset: 0)
        }
        return InferRequest(id: id, parameters: document["parameters"], requestedOutputs: requested, feeds: feeds)
    }

    static func tensor(_ given: (name: String, shape: [Int], datatype: String, data: JSONValue), for info: ValueInfo,
                       model: ServableModel) throws(CodecError) -> Tensor {
        guard let type = info.elementType else { throw .invalid("model input '\(info.name)' is not a tensor.") }
        try checkDatatype(given.datatype, name: given.name, against: type)
        let (_, leaves) = try NestedList.flatten(given.data, label: "input '\(given.name)' data")
        let (expected, overflow) = given.shape.reduce((1, false)) { partial, dimension in
            let (product, over) = partial.0.multipliedReportingOverflow(by: dimension)
            return (product, partial.1 || over)
        }
        guard !overflow, expected == leaves.count else {
            throw .invalid("input '\(given.name)': shape \(given.shape) needs \(overflow ? "too many" : String(expected)) values, data has \(leaves.count).")
        }
        let shape = try ServableModel.conform(given.shape, to: info, label: "input '\(given.name)'")
        var buffer = TypedBuffer(type, count: leaves.count)
        let rowWidth = max(1, shape.dropFirst().reduce(1, *))
        try CellConversion.fill(&buffer, cells: leaves, stride: 1, offset: 0, where: { position in
            "input '\(given.name)', row \(position / rowWidth), value \(position % rowWidth)"
        })
        return Tensor(unchecked: shape, buffer.elements)
    }

    static let floatTypes: Set<String> = ["FP16", "FP32", "FP64", "BF16"]
    static let integerTypes: Set<String> = ["INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64"]
    static let allTypes = ["BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64", "BYTES"]

    /// Whether a request datatype can fill an input of `type` (nil: any known datatype).
    static func checkDatatype(_ datatype: String, name: String, against type: ElementType?) throws(CodecError) {
        guard floatTypes.contains(datatype) || integerTypes.contains(datatype) || datatype == "BOOL" || datatype == "BYTES" else {
            throw .invalid("input '\(name)': datatype '\(datatype)' is not one of \(allTypes.joined(separator: ", ")).")
        }
        guard let type else { return }
        let fits: Bool
        switch type {
        case .float, .double: fits = floatTypes.contains(datatype) || integerTypes.contains(datatype)
        case .int64: fits = integerTypes.contains(datatype)
        case .string: fits = datatype == "BYTES"
        case .bool: fits = datatype == "BOOL"
        }
        guard fits else {
            throw .invalid("input '\(name)' is \(type.inferenceProtocolName); the request sent \(datatype).")
        }
    }

    /// The inference response for `outputs` (all of them, or those the request named, in its order).
    public static func renderInfer(outputs: [(name: String, value: Value)], modelName: String, modelVersion: String?,
                                   id: String?, requestedOutputs: [String]? = nil) -> [UInt8] {
        var chosen = outputs
        if let requestedOutputs {
            chosen = requestedOutputs.compactMap { name in outputs.first(where: { $0.name == name }) }
        }
        var members: [(String, JSONValue)] = [("model_name", .string(modelName))]
        if let modelVersion { members.append(("model_version", .string(modelVersion))) }
        if let id { members.append(("id", .string(id))) }
        members.append(("outputs", .array(chosen.map { output in
            switch output.value {
            case .tensor(let tensor):
                return .object([
                    ("name", .string(output.name)),
                    ("shape", .array(tensor.shape.map { .int($0) })),
                    ("datatype", .string(tensor.elementType.inferenceProtocolName)),
                    ("data", .array((0..<tensor.count).map { ResponseValues.element(tensor.elements, at: $0) })),
                ])
            case .mapSequence(let maps):
                return .object([
                    ("name", .string(output.name)),
                    ("shape", .array([.int(maps.rows)])),
                    ("datatype", .string("BYTES")),
                    ("data", .array((0..<maps.rows).map { row in
                        .string(String(decoding: JSONWriter.bytes(ResponseValues.mapRow(maps, row: row)), as: UTF8.self))
                    })),
                ])
            }
        })))
        return JSONWriter.bytes(.object(members))
    }

    /// Model metadata: inputs and outputs with their datatypes and shapes (-1 for free dimensions).
    public static func metadata(model: ServableModel, name: String, versions: [String]) -> [UInt8] {
        func describe(_ info: ValueInfo) -> JSONValue {
            switch info.kind {
            case .tensor(let type, let shape):
                let dimensions: [JSONValue] = (shape ?? [nil]).map { .int($0 ?? -1) }
                return .object([("name", .string(info.name)), ("datatype", .string(type.inferenceProtocolName)), ("shape", .array(dimensions))])
            case .mapSequence:
                return .object([("name", .string(info.name)), ("datatype", .string("BYTES")), ("shape", .array([.int(-1)]))])
            }
        }
        return JSONWriter.bytes(.object([
            ("name", .string(name)),
            ("versions", .array(versions.map { .string($0) })),
            ("platform", .string("onnx_onnxv1")),
            ("inputs", .array(model.model.inputs.map(describe))),
            ("outputs", .array(model.model.outputs.map(describe))),
        ]))
    }
}
