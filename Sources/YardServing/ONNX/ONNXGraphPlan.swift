/// The graph compiled for execution: nodes in dependency order, every value a slot index, constants
/// pre-filled, so `predict` only binds feeds and walks the steps.
struct ONNXGraphPlan: Sendable {
    struct Step: Sendable {
        let kernel: any ONNXKernel
        /// -1 for an input the node leaves empty.
        let inputs: [Int]
        let outputs: [Int]
        let description: String
    }

    let steps: [Step]
    let initialSlots: [Value?]
    let inputSlots: [Int]
    let outputSlots: [Int]

    init(graph: Onnx_GraphProto, opsets: [String: Int], inputNames: [String], byteBudget: Int) throws(InferenceError) {
        var slots: [String: Int] = [:]
        var initial: [Value?] = []
        func newSlot(_ name: String) -> Int {
            let slot = initial.count
            slots[name] = slot
            initial.append(nil)
            return slot
        }

        var constants: [String: Tensor] = [:]
        for proto in graph.initializer {
            guard !proto.name.isEmpty else { throw InferenceError(.invalidModel, "an initializer has no name") }
            guard constants[proto.name] == nil else { throw InferenceError(.invalidModel, "initializer '\(proto.name)' is defined twice") }
            constants[proto.name] = try ONNXTypes.tensor(proto, byteBudget: byteBudget)
        }
        if !graph.sparseInitializer.isEmpty {
            throw InferenceError(.unsupported, "sparse initializers are not supported")
        }
        var inputSlots: [Int] = []
        for name in inputNames {
            guard slots[name] == nil else { throw InferenceError(.invalidModel, "graph input '\(name)' is declared twice") }
            inputSlots.append(newSlot(name))
        }
        for (name, tensor) in constants where slots[name] == nil {
            initial[newSlot(name)] = .tensor(tensor)
        }

        // Which node produces each value; a second producer, or a node overwriting an input, is an error.
        let nodes = graph.node
        var producer: [String: Int] = [:]
        for (i, node) in nodes.enumerated() {
            for output in node.output where !output.isEmpty {
                if producer[output] != nil || slots[output] != nil {
                    throw InferenceError(.invalidModel, "value '\(output)' is produced twice (again by \(ONNXNodeContext.describe(node)))")
                }
                producer[output] = i
            }
        }
        for (i, node) in nodes.enumerated() {
            for input in node.input where !input.isEmpty && producer[input] == nil && slots[input] == nil {
                throw InferenceError(.invalidModel, "\(ONNXNodeContext.describe(nodes[i])) reads '\(input)', which no graph input, initializer or node produces")
            }
        }
        for output in graph.output where producer[output.name] == nil && slots[output.name] == nil {
            throw InferenceError(.invalidModel, "graph output '\(output.name)' is not produced by any node")
        }

        let order = try Self.topologicalOrder(nodes, producer: producer)
        var steps: [Step] = []
        for i in order {
            let node = nodes[i]
            let domain = ONNXOperators.normalizedDomain(node.domain)
            guard let version = opsets[domain] else {
                throw InferenceError(.invalidModel, "\(ONNXNodeContext.describe(node)) is in domain '\(node.domain)', which the model does not import")
            }
            let context = try ONNXNodeContext(node: node, domain: domain, version: version)
            let kernel = try ONNXOperators.build(context)
            let inputs = node.input.map { $0.isEmpty ? -1 : slots[$0] ?? -1 }
            let outputs = node.output.map { $0.isEmpty ? newSlot("") : newSlot($0) }
            steps.append(Step(kernel: kernel, inputs: inputs, outputs: outputs, description: context.description))
        }
        self.steps = steps
        self.initialSlots = initial
        self.inputSlots = inputSlots
        var outputSlots: [Int] = []
        for output in graph.output {
            guard let slot = slots[output.name] else { throw InferenceError(.invalidModel, "graph output '\(output.name)' is not produced") }
            outputSlots.append(slot)
        }
        self.outputSlots = outputSlots
    }

    /// Kahn's algorithm; nodes left over sit on or behind a cycle, and one cycle is named.
    private static func topologicalOrder(_ nodes: [Onnx_NodeProto], producer: [String: Int]) throws(InferenceError) -> [Int] {
        var dependents = [[Int]](repeating: [], count: nodes.count)
        var pending = [Int](repeating: 0, count: nodes.count)
        for (i, node) in nodes.enumerated() {
            for input in Set(node.input) where !input.isEmpty {
                if let p = producer[input] {
                    dependents[p].append(i)
                    pending[i] += 1
                }
            }
        }
        var ready = (0..<nodes.count).filter { pending[$0] == 0 }
        var order: [Int] = []
        order.reserveCapacity(nodes.count)
        while !ready.isEmpty {
            let next = ready.removeFirst()
            order.append(next)
            for d in dependents[next] {
                pending[d] -= 1
                if pending[d] == 0 { ready.append(d) }
            }
        }
        guard order.count < nodes.count else { return order }
        // Walk back through unfinished producers from an unfinished node until a node repeats.
        guard var current = (0..<nodes.count).first(where: { pending[$0] > 0 }) else { return order }
        var path: [Int] = []
        var seenAt: [Int: Int] = [:]
        while seenAt[current] == nil {
            seenAt[current] = path.count
            path.append(current)
            guard let previous = nodes[current].input.compactMap({ producer[$0] }).first(where: { pending[$0] > 0 }) else { break }
            current = previous
        }
        let cycle = seenAt[current].map { Array(path[$0...].reversed()) } ?? path
        let names = cycle.map { nodes[$0].name.isEmpty ? "\(nodes[$0].opType)#\($0)" : nodes[$0].name }
        throw InferenceError(.invalidModel, "the graph has a cycle through nodes \(names.joined(separator: " → "))")
    }

    func run(_ feeds: [Tensor]) throws(InferenceError) -> [Value] {
        var values = initialSlots
        for (slot, feed) in zip(inputSlots, feeds) { values[slot] = .tensor(feed) }
        for step in steps {
            let inputs = step.inputs.map { $0 < 0 ? nil : values[$0] }
            let results: [Value]
            do {
                results = try step.kernel.run(inputs)
            } catch {
                throw InferenceError(error.kind, "\(step.description): \(error.message)")
            }
            for (slot, result) in zip(step.outputs, results) { values[slot] = result }
        }
        var outputs: [Value] = []
        for slot in outputSlots {
            guard let value = values[slot] else { throw InferenceError(.invalidModel, "an output was not computed") }
            outputs.append(value)
        }
        return outputs
    }
}
