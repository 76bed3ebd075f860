import Foundation

/// Turns ONNX type codes, `TensorProto`s and `ValueInfoProto`s into the evaluator's types, refusing
/// anything malformed (sizes that disagree, negative or overflowing dimensions) before it can be used.
enum ONNXTypes {
    /// The element type an ONNX data type code is computed as: narrower integers widen to int64.
    static func elementType(code: Int, context: String) throws(InferenceError) -> ElementType {
        switch code {
        case 1: return .float
        case 11: return .double
        case 2, 3, 4, 5, 6, 7, 12, 13: return .int64
        case 8: return .string
        case 9: return .bool
        case 0: throw InferenceError(.invalidModel, "\(context) has no element type")
        default:
            throw InferenceError(.unsupported, "\(context) has element type \(typeName(code: code)), which the evaluator does not support; supported: float, double, integers, string, bool")
        }
    }

    static func typeName(code: Int) -> String {
        if let type = Onnx_TensorProto.DataType(rawValue: code) { return "\(type)" }
        return "code \(code)"
    }

    static func valueInfo(_ proto: Onnx_ValueInfoProto) throws(InferenceError) -> ValueInfo {
        let context = "value '\(proto.name)'"
        guard proto.hasType, let value = proto.type.value else {
            throw InferenceError(.invalidModel, "\(context) declares no type")
        }
        switch value {
        case .tensorType(let tensor):
            let type = try elementType(code: Int(tensor.elemType), context: context)
            guard tensor.hasShape else { return ValueInfo(name: proto.name, kind: .tensor(type, shape: nil)) }
            var dims: [Int?] = []
            for dim in tensor.shape.dim {
                if case .dimValue(let size)? = dim.value, size >= 0, size <= Int64(Int32.max) {
                    dims.append(Int(size))
                } else {
                    dims.append(nil)
                }
            }
            return ValueInfo(name: proto.name, kind: .tensor(type, shape: dims))
        case .sequenceType(let sequence):
            if case .mapType(let map)? = sequence.elemType.value {
                let keys = try elementType(code: Int(map.keyType), context: "\(context) (map keys)")
                if keys == .int64 || keys == .string {
                    return ValueInfo(name: proto.name, kind: .mapSequence(keys: keys))
                }
            }
            throw InferenceError(.unsupported, "\(context) is a sequence of something other than maps from int64/string keys; only ZipMap outputs are supported")
        default:
            throw InferenceError(.unsupported, "\(context) is not a tensor or a sequence of maps; the evaluator supports only those")
        }
    }

    /// Decodes an initializer or constant. `byteBudget` bounds the element count (every element of a
    /// real tensor costs at least one byte in the file), so a hostile dims list cannot make us allocate.
    static func tensor(_ proto: Onnx_TensorProto, byteBudget: Int) throws(InferenceError) -> Tensor {
        let context = "tensor '\(proto.name)'"
        if proto.hasDataLocation, proto.dataLocation == .external || !proto.externalData.isEmpty {
            throw InferenceError(.unsupported, "\(context) keeps its data in an external file; save the model with all tensors embedded")
        }
        var count = 1
        for dim in proto.dims {
            guard dim >= 0 else { throw InferenceError(.invalidModel, "\(context) has a negative dimension \(dim)") }
            let (product, overflow) = count.multipliedReportingOverflow(by: Int(dim))
            guard !overflow else { throw InferenceError(.invalidModel, "\(context) has dimensions \(proto.dims) whose product overflows") }
            count = product
        }
        guard count <= max(byteBudget, 16) else {
            throw InferenceError(.invalidModel, "\(context) claims \(count) elements, more than the file's \(byteBudget) bytes could hold")
        }
        let shape = proto.dims.map { Int($0) }
        let code = Int(proto.dataType)
        let type = try elementType(code: code, context: context)
        let raw = proto.hasRawData ? proto.rawData : nil

        func checkCount(_ actual: Int) throws(InferenceError) {
            guard actual == count else {
                throw InferenceError(.invalidModel, "\(context) has dimensions \(proto.dims) (\(count) elements) but holds \(actual) values")
            }
        }
        func rawValues<T>(_ data: Data, as: T.Type) throws(InferenceError) -> [T] {
            let width = MemoryLayout<T>.size
            let (bytes, overflow) = count.multipliedReportingOverflow(by: width)
            guard !overflow, data.count == bytes else {
                throw InferenceError(.invalidModel, "\(context) has dimensions \(proto.dims) (\(count) elements of \(width) bytes) but raw_data holds \(data.count) bytes")
            }
            return data.withUnsafeBytes { bytes in
                (0..<count).map { bytes.loadUnaligned(fromByteOffset: $0 * width, as: T.self) }
            }
        }

        let elements: Tensor.Elements
        switch type {
        case .float:
            if let raw { elements = .float(try rawValues(raw, as: Float.self)) } else {
                try checkCount(proto.floatData.count); elements = .float(proto.floatData)
            }
        case .double:
            if let raw { elements = .double(try rawValues(raw, as: Double.self)) } else {
                try checkCount(proto.doubleData.count); elements = .double(proto.doubleData)
            }
        case .bool:
            if let raw { elements = .bool(try rawValues(raw, as: UInt8.self).map { $0 != 0 }) } else {
                try checkCount(proto.int32Data.count); elements = .bool(proto.int32Data.map { $0 != 0 })
            }
        case .string:
            guard raw == nil else { throw InferenceError(.invalidModel, "\(context) is a string tensor with raw_data; strings must use string_data") }
            try checkCount(proto.stringData.count)
            elements = .string(proto.stringData.map { String(decoding: $0, as: UTF8.self) })
        case .int64:
            elements = .int64(try integers(proto, code: code, raw: raw, count: count, context: context))
        }
        return Tensor(unchecked: shape, elements)
    }

    private static func integers(
        _ proto: Onnx_TensorProto, code: Int, raw: Data?, count: Int, context: String
    ) throws(InferenceError) -> [Int64] {
        func fromRaw<T: BinaryInteger>(_ type: T.Type) throws(InferenceError) -> [Int64] {
            guard let raw else { return [] }
            let width = MemoryLayout<T>.size
            let (bytes, overflow) = count.multipliedReportingOverflow(by: width)
            guard !overflow, raw.count == bytes else {
                throw InferenceError(.invalidModel, "\(context) has dimensions \(proto.dims) (\(count) elements of \(width) bytes) but raw_data holds \(raw.count) bytes")
            }
            return raw.withUnsafeBytes { bytes in
                (0..<count).map { Int64(truncatingIfNeeded: bytes.loadUnaligned(fromByteOffset: $0 * width, as: T.self)) }
            }
        }
        if raw != nil {
            switch code {
            case 2: return try fromRaw(UInt8.self)
            case 3: return try fromRaw(Int8.self)
            case 4: return try fromRaw(UInt16.self)
            case 5: return try fromRaw(Int16.self)
            case 6: return try fromRaw(Int32.self)
            case 12: return try fromRaw(UInt32.self)
            case 13: return try fromRaw(UInt64.self)
            default: return try fromRaw(Int64.self)
            }
        }
        let values: [Int64]
        switch code {
        case 7: values = proto.int64Data
        case 12, 13: values = proto.uint64Data.map { Int64(truncatingIfNeeded: $0) }
        default: values = proto.int32Data.map { Int64($0) }
        }
        guard values.count == count else {
            throw InferenceError(.invalidModel, "\(context) has dimensions \(proto.dims) (\(count) elements) but holds \(values.count) values")
        }
        return values
    }
}
