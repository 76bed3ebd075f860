/// Operators that move or relabel elements without arithmetic.
struct IdentityKernel: ONNXKernel {
    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        guard let value = inputs.first ?? nil else { throw InferenceError(.invalidInput, "input 0 is missing") }
        return [value]
    }
}

struct ConstantKernel: ONNXKernel {
    let value: Tensor
    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] { [.tensor(value)] }
}

struct CastKernel: ONNXKernel {
    /// nil for CastLike: the target type is input 1's.
    let target: ElementType?

    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        let x = try tensor(inputs, 0)
        var type = target ?? .float
        if target == nil { type = try tensor(inputs, 1).elementType }
        return [.tensor(Tensor(unchecked: x.shape, x.elements.cast(to: type)))]
    }
}

struct ReshapeKernel: ONNXKernel {
    let allowZero: Bool

    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        let x = try tensor(inputs, 0)
        let requested = try tensor(inputs, 1).int64Values("Reshape's shape")
        var shape: [Int] = []
        var inferred: Int?
        for (i, dim) in requested.enumerated() {
            if dim == -1 {
                guard inferred == nil else { throw InferenceError(.invalidInput, "Reshape shape \(requested) has more than one -1") }
                inferred = i
                shape.append(1)
            } else if dim == 0 && !allowZero {
                guard i < x.rank else { throw InferenceError(.invalidInput, "Reshape shape \(requested) copies dimension \(i) of a rank-\(x.rank) tensor") }
                shape.append(x.shape[i])
            } else {
                guard dim >= 0, dim <= Int64(Int32.max) else { throw InferenceError(.invalidInput, "Reshape shape \(requested) has an invalid dimension") }
                shape.append(Int(dim))
            }
        }
        let known = try elementCount(shape)
        if let inferred {
            guard known > 0, x.count % known == 0 else {
                throw InferenceError(.invalidInput, "cannot reshape \(x.shape) to \(requested)")
            }
            shape[inferred] = x.count / known
        }
        guard try elementCount(shape) == x.count else {
            throw InferenceError(.invalidInput, "cannot reshape \(x.shape) (\(x.count) elements) to \(requested)")
        }
        return [.tensor(Tensor(unchecked: shape, x.elements))]
    }
}

struct FlattenKernel: ONNXKernel {
    let axis: Int

    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        let x = try tensor(inputs, 0)
        let resolved = axis < 0 ? axis + x.rank : axis
        guard resolved >= 0, resolved <= x.rank else {
            throw InferenceError(.invalidInput, "Flatten axis \(axis) is out of range for rank \(x.rank)")
        }
        let outer = x.shape[..<resolved].reduce(1, *)
        let inner = x.shape[resolved...].reduce(1, *)
        return [.tensor(Tensor(unchecked: [outer, inner], x.elements))]
    }
}

struct ConcatKernel: ONNXKernel {
    let axis: Int

    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        var tensors: [Tensor] = []
        for index in inputs.indices { tensors.append(try tensor(inputs, index)) }
        guard let first = tensors.first else { throw InferenceError(.invalidInput, "Concat has no inputs") }
        let rank = first.rank
        guard rank >= 1 else { throw InferenceError(.invalidInput, "Concat cannot join scalars") }
        let resolved = try normalizedAxis(axis, rank: rank, "Concat")
        var shape = first.shape
        shape[resolved] = 0
        for t in tensors {
            guard t.rank == rank else { throw InferenceError(.invalidInput, "Concat inputs have ranks \(tensors.map(\.rank))") }
            for d in 0..<rank where d != resolved && t.shape[d] != first.shape[d] {
                throw InferenceError(.invalidInput, "Concat inputs have shapes \(tensors.map(\.shape)), which differ outside axis \(axis)")
            }
            shape[resolved] += t.shape[resolved]
        }
        let outer = first.shape[..<resolved].reduce(1, *)
        let inners = tensors.map { $0.shape[resolved...].reduce(1, *) }
        let elements = try Tensor.Elements.interleaving(tensors.map(\.elements), inners: inners, outer: outer)
        return [.tensor(Tensor(unchecked: shape, elements))]
    }
}

struct GatherKernel: ONNXKernel {
    let axis: Int

    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        let data = try tensor(inputs, 0)
        let indicesTensor = try tensor(inputs, 1)
        let indices = try indicesTensor.int64Values("Gather indices")
        let resolved = try normalizedAxis(axis, rank: data.rank, "Gather")
        guard data.rank > 0 else { throw InferenceError(.invalidInput, "Gather needs a tensor of rank 1 or more") }
        let size = data.shape[resolved]
        var positions: [Int] = []
        positions.reserveCapacity(indices.count)
        for index in indices {
            let position = index < 0 ? index + Int64(size) : index
            guard position >= 0, position < Int64(size) else {
                throw InferenceError(.invalidInput, "Gather index \(index) is out of range for axis size \(size)")
            }
            positions.append(Int(position))
        }
        let outer = data.shape[..<resolved].reduce(1, *)
        let inner = data.shape[(resolved + 1)...].reduce(1, *)
        var picks: [Int] = []
        picks.reserveCapacity(outer * positions.count * inner)
        for o in 0..<outer {
            for position in positions {
                let base = (o * size + position) * inner
                for i in 0..<inner { picks.append(base + i) }
            }
        }
        let shape = Array(data.shape[..<resolved]) + indicesTensor.shape + Array(data.shape[(resolved + 1)...])
        return [.tensor(Tensor(unchecked: shape, data.elements.picking(picks)))]
    }
}

/// Squeeze and Unsqueeze: axes from the attribute (before opset 13) or input 1 (since).
struct SqueezeKernel: ONNXKernel {
    let unsqueeze: Bool
    let attributeAxes: [Int64]?

    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        let x = try tensor(inputs, 0)
        var axes = attributeAxes ?? []
        if attributeAxes == nil, let given = try optionalTensor(inputs, 1) { axes = try given.int64Values("axes") }
        if unsqueeze {
            let rank = x.rank + axes.count
            var resolved = Set<Int>()
            for axis in axes { resolved.insert(try normalizedAxis(Int(axis), rank: rank, "Unsqueeze")) }
            guard resolved.count == axes.count else { throw InferenceError(.invalidInput, "Unsqueeze axes \(axes) repeat") }
            var shape: [Int] = []
            var source = x.shape.makeIterator()
            for d in 0..<rank { shape.append(resolved.contains(d) ? 1 : source.next() ?? 1) }
            return [.tensor(Tensor(unchecked: shape, x.elements))]
        }
        var drop = Set<Int>()
        if axes.isEmpty {
            for (d, size) in x.shape.enumerated() where size == 1 { drop.insert(d) }
        } else {
            for axis in axes {
                let d = try normalizedAxis(Int(axis), rank: x.rank, "Squeeze")
                guard x.shape[d] == 1 else { throw InferenceError(.invalidInput, "Squeeze axis \(axis) has size \(x.shape[d]), not 1") }
                drop.insert(d)
            }
        }
        let shape = x.shape.enumerated().filter { !drop.contains($0.offset) }.map(\.element)
        return [.tensor(Tensor(unchecked: shape, x.elements))]
    }
}

struct ShapeKernel: ONNXKernel {
    let start: Int
    let end: Int?

    func run(_ inputs: [Value?]) throws(InferenceError) -> [Value] {
        let x = try tensor(inputs, 0)
        func clamp(_ v: Int) -> Int { Swift.min(Swift.max(v < 0 ? v + x.rank : v, 0), x.rank) }
        let from = clamp(start)
        let to = Swift.max(clamp(end ?? x.rank), from)
        let dims = x.shape[from..<to].map { Int64($0) }
        return [.tensor(Tensor(unchecked: [dims.count], .int64(dims)))]
    }
}
