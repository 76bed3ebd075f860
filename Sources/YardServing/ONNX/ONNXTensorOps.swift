/// Type-generic building blocks for the shape operators: selecting elements by index and joining
/// tensors, whatever their element type.
extension Tensor.Elements {
    /// The elements at `indices` (all in range; callers check).
    func picking(_ indices: [Int]) -> Tensor.Elements {
        switch self {
        case .float(let v): return .float(indices.map { v[$0] })
        case .double(let v): return .double(indices.map { v[$0] })
        case .int64(let v): return .int64(indices.map { v[$0] })
        case .string(let v): return .string(indices.map { v[$0] })
        case .bool(let v): return .bool(indices.map { v[$0] })
        }
    }

    /// `outer` blocks; block `o` is `parts[0]`'s o-th slice of `inners[0]` elements, then `parts[1]`'s, ….
    static func interleaving(_ parts: [Tensor.Elements], inners: [Int], outer: Int) throws(InferenceError) -> Tensor.Elements {
        func join<T>(_ arrays: [[T]]) -> [T] {
            var result: [T] = []
            result.reserveCapacity(arrays.reduce(0) { $0 + $1.count })
            for o in 0..<outer {
                for (array, inner) in zip(arrays, inners) {
                    result.append(contentsOf: array[(o * inner)..<((o + 1) * inner)])
                }
            }
            return result
        }
        func all<T>(_ extract: (Tensor.Elements) -> [T]?) throws(InferenceError) -> [[T]] {
            var arrays: [[T]] = []
            for part in parts {
                guard let array = extract(part) else {
                    throw InferenceError(.invalidInput, "cannot join tensors of different element types (\(parts.map { $0.elementType.rawValue }))")
                }
                arrays.append(array)
            }
            return arrays
        }
        guard let first = parts.first else { return .float([]) }
        switch first {
        case .float: return .float(join(try all { if case .float(let v) = $0 { v } else { nil } }))
        case .double: return .double(join(try all { if case .double(let v) = $0 { v } else { nil } }))
        case .int64: return .int64(join(try all { if case .int64(let v) = $0 { v } else { nil } }))
        case .string: return .string(join(try all { if case .string(let v) = $0 { v } else { nil } }))
        case .bool: return .bool(join(try all { if case .bool(let v) = $0 { v } else { nil } }))
        }
    }

    /// Converts to `type` the way ONNX Cast does (float to integer truncates; non-numbers become
    /// Int64.min rather than trapping; unparsable strings become NaN).
    func cast(to type: ElementType) -> Tensor.Elements {
        if elementType == type { return self }
        switch type {
        case .float:
            switch self {
            case .double(let v): return .float(v.map { Float($0) })
            case .int64(let v): return .float(v.map { Float($0) })
            case .bool(let v): return .float(v.map { $0 ? 1 : 0 })
            case .string(let v): return .float(v.map { Float($0) ?? .nan })
            case .float: return self
            }
        case .double:
            switch self {
            case .float(let v): return .double(v.map { Double($0) })
            case .int64(let v): return .double(v.map { Double($0) })
            case .bool(let v): return .double(v.map { $0 ? 1 : 0 })
            case .string(let v): return .double(v.map { Double($0) ?? .nan })
            case .double: return self
            }
        case .int64:
            switch self {
            case .float(let v): return .int64(v.map { saturatingInt64($0) })
            case .double(let v): return .int64(v.map { saturatingInt64($0) })
            case .bool(let v): return .int64(v.map { $0 ? 1 : 0 })
            case .string(let v): return .int64(v.map { Int64($0) ?? 0 })
            case .int64: return self
            }
        case .bool:
            switch self {
            case .float(let v): return .bool(v.map { $0 != 0 })
            case .double(let v): return .bool(v.map { $0 != 0 })
            case .int64(let v): return .bool(v.map { $0 != 0 })
            case .string(let v): return .bool(v.map { !$0.isEmpty && $0 != "0" && $0.lowercased() != "false" })
            case .bool: return self
            }
        case .string:
            switch self {
            case .float(let v): return .string(v.map { "\($0)" })
            case .double(let v): return .string(v.map { "\($0)" })
            case .int64(let v): return .string(v.map { "\($0)" })
            case .bool(let v): return .string(v.map { $0 ? "1" : "0" })
            case .string: return self
            }
        }
    }
}
