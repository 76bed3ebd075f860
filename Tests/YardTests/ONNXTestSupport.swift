import Foundation
@testable import YardServing

/// Builds small ONNX models in code for the evaluator tests.
struct ONNXGraphBuilder {
    var nodes: [Onnx_NodeProto] = []
    var initializers: [Onnx_TensorProto] = []
    var inputs: [Onnx_ValueInfoProto] = []
    var outputs: [Onnx_ValueInfoProto] = []
    var opsets: [String: Int64] = ["": 17, "ai.onnx.ml": 3]
    var producer = "test"

    mutating func input(_ name: String, _ type: Onnx_TensorProto.DataType = .float, _ dims: [Int?]) {
        inputs.append(Self.tensorInfo(name, type, dims))
    }

    mutating func output(_ name: String, _ type: Onnx_TensorProto.DataType = .float, _ dims: [Int?]? = nil) {
        outputs.append(Self.tensorInfo(name, type, dims))
    }

    mutating func mapOutput(_ name: String, keys: Onnx_TensorProto.DataType = .int64) {
        var info = Onnx_ValueInfoProto()
        info.name = name
        var map = Onnx_TypeProto.Map()
        map.keyType = Int32(keys.rawValue)
        var value = Onnx_TypeProto()
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = 1
        value.tensorType = tensor
        map.valueType = value
        var mapType = Onnx_TypeProto()
        mapType.mapType = map
        var sequence = Onnx_TypeProto.Sequence()
        sequence.elemType = mapType
        info.type.sequenceType = sequence
        outputs.append(info)
    }

    mutating func node(_ op: String, _ inputs: [String], _ outputs: [String], domain: String = "", name: String? = nil, _ attributes: [Onnx_AttributeProto] = []) {
        var node = Onnx_NodeProto()
        node.opType = op
        node.input = inputs
        node.output = outputs
        node.domain = domain
        node.name = name ?? "\(op)_\(nodes.count)"
        node.attribute = attributes
        nodes.append(node)
    }

    mutating func initializer(_ name: String, floats: [Float], dims: [Int64]) {
        var t = Onnx_TensorProto()
        t.name = name
        t.dataType = 1
        t.dims = dims
        t.floatData = floats
        initializers.append(t)
    }

    mutating func initializer(_ name: String, ints: [Int64], dims: [Int64]) {
        var t = Onnx_TensorProto()
        t.name = name
        t.dataType = 7
        t.dims = dims
        t.int64Data = ints
        initializers.append(t)
    }

    static func tensorInfo(_ name: String, _ type: Onnx_TensorProto.DataType, _ dims: [Int?]?) -> Onnx_ValueInfoProto {
        var info = Onnx_ValueInfoProto()
        info.name = name
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = Int32(type.rawValue)
        if let dims {
            var shape = Onnx_TensorShapeProto()
            shape.dim = dims.map { size in
                var dim = Onnx_TensorShapeProto.Dimension()
                if let size { dim.dimValue = Int64(size) } else { dim.dimParam = "N" }
                return dim
            }
            tensor.shape = shape
        }
        info.type.tensorType = tensor
        return info
    }

    func model() -> Onnx_ModelProto {
        var graph = Onnx_GraphProto()
        graph.name = "test"
        graph.node = nodes
        graph.initializer = initializers
        graph.input = inputs
        graph.output = outputs
        var model = Onnx_ModelProto()
        model.irVersion = 8
        model.producerName = producer
        model.producerVersion = "1.0"
        model.opsetImport = opsets.map { domain, version in
            var entry = Onnx_OperatorSetIdProto()
            entry.domain = domain
            entry.version = version
            return entry
        }
        model.graph = graph
        return model
    }

    func bytes() throws -> [UInt8] { try model().serializedBytes() }
}

enum Attr {
    static func int(_ name: String, _ v: Int64) -> Onnx_AttributeProto { make(name, .int) { $0.i = v } }
    static func float(_ name: String, _ v: Float) -> Onnx_AttributeProto { make(name, .float) { $0.f = v } }
    static func string(_ name: String, _ v: String) -> Onnx_AttributeProto { make(name, .string) { $0.s = Data(v.utf8) } }
    static func ints(_ name: String, _ v: [Int64]) -> Onnx_AttributeProto { make(name, .ints) { $0.ints = v } }
    static func floats(_ name: String, _ v: [Float]) -> Onnx_AttributeProto { make(name, .floats) { $0.floats = v } }
    static func strings(_ name: String, _ v: [String]) -> Onnx_AttributeProto { make(name, .strings) { $0.strings = v.map { Data($0.utf8) } } }
    static func tensor(_ name: String, _ t: Onnx_TensorProto) -> Onnx_AttributeProto { make(name, .tensor) { $0.t = t } }

    private static func make(_ name: String, _ type: Onnx_AttributeProto.AttributeType, _ fill: (inout Onnx_AttributeProto) -> Void) -> Onnx_AttributeProto {
        var a = Onnx_AttributeProto()
        a.name = name
        a.type = type
        fill(&a)
        return a
    }
}

/// One depth-2 tree on features 0 and 1 in the v1 attribute layout:
/// node 0: x0 <= 0.5 ? node 1 : node 2; node 1: x1 <= 2 ? leaf 3 : leaf 4; node 2: leaf.
struct SmallTree {
    var treeIDs: [Int64] = [0, 0, 0, 0, 0]
    var nodeIDs: [Int64] = [0, 1, 2, 3, 4]
    var features: [Int64] = [0, 1, 0, 0, 0]
    var modes = ["BRANCH_LEQ", "BRANCH_LEQ", "LEAF", "LEAF", "LEAF"]
    var values: [Float] = [0.5, 2, 0, 0, 0]
    var trueIDs: [Int64] = [1, 3, 0, 0, 0]
    var falseIDs: [Int64] = [2, 4, 0, 0, 0]
    var missingTrue: [Int64] = [0, 1, 0, 0, 0]

    var nodeAttributes: [Onnx_AttributeProto] {
        [Attr.ints("nodes_treeids", treeIDs), Attr.ints("nodes_nodeids", nodeIDs), Attr.ints("nodes_featureids", features),
         Attr.strings("nodes_modes", modes), Attr.floats("nodes_values", values), Attr.ints("nodes_truenodeids", trueIDs),
         Attr.ints("nodes_falsenodeids", falseIDs), Attr.ints("nodes_missing_value_tracks_true", missingTrue)]
    }
}
