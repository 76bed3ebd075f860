import YardCore
import YardData
import YardJSON

/// Stages joined by paths: B depends on A when B reads a path A writes (the same path, a file inside A's
/// output folder, or a folder holding A's output).
public struct PipelineGraph: Sendable {
    public let stages: [StageSpec]
    /// upstream[i]: indices of the stages stage i reads from.
    public let upstream: [[Int]]
    public let downstream: [[Int]]
    private let producerByOutput: [String: Int]
    private let sortedOutputs: [String]
    private let indexByName: [String: Int]

    public init(_ spec: PipelineSpec) {
        stages = spec.stages
        var producers: [String: Int] = [:]
        for (index, stage) in spec.stages.enumerated() {
            for output in stage.outs where producers[output.path] == nil { producers[output.path] = index }
        }
        producerByOutput = producers
        sortedOutputs = producers.keys.sorted()
        var names: [String: Int] = [:]
        for (index, stage) in spec.stages.enumerated() where names[stage.name] == nil { names[stage.name] = index }
        indexByName = names
        var up = Array(repeating: [Int](), count: spec.stages.count)
        var down = Array(repeating: [Int](), count: spec.stages.count)
        for (index, stage) in spec.stages.enumerated() {
            var seen = Set<Int>()
            for dep in stage.deps {
                for producer in Self.producers(of: dep, byOutput: producers, sorted: sortedOutputs) where seen.insert(producer).inserted {
                    up[index].append(producer)
                    down[producer].append(index)
                }
            }
        }
        upstream = up
        downstream = down
    }

    public func index(of name: String) -> Int? { indexByName[name] }

    /// Stages writing `path` or something inside or around it.
    public func producers(of path: String) -> [Int] {
        Self.producers(of: path, byOutput: producerByOutput, sorted: sortedOutputs)
    }

    static func producers(of path: String, byOutput: [String: Int], sorted: [String]) -> [Int] {
        var found: [Int] = []
        var candidate = path
        while !candidate.isEmpty {
            if let producer = byOutput[candidate] { found.append(producer) }
            candidate = PathText.parent(candidate)
        }
        // Outputs inside the folder `path` (binary search for the first path after "path/").
        let prefix = path + "/"
        var low = 0, high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < prefix { low = middle + 1 } else { high = middle }
        }
        while low < sorted.count, sorted[low].hasPrefix(prefix) {
            if let producer = byOutput[sorted[low]], !found.contains(producer) { found.append(producer) }
            low += 1
        }
        return found
    }

    /// Stage names forming a cycle, if there is one.
    public func cycle() -> [String]? {
        var state = Array(repeating: 0, count: stages.count)  // 0 new, 1 on the path, 2 done
        var path: [Int] = []
        func visit(_ node: Int) -> [Int]? {
            state[node] = 1
            path.append(node)
            for next in upstream[node] {
                if state[next] == 1 {
                    let start = path.firstIndex(of: next)!
                    return Array(path[start...]).reversed()
                }
                if state[next] == 0, let found = visit(next) { return found }
            }
            path.removeLast()
            state[node] = 2
            return nil
        }
        for node in stages.indices where state[node] == 0 {
            if let found = visit(node) { return found.map { stages[$0].name } }
        }
        return nil
    }

    /// Every stage after all the stages it reads from; ties keep the file's order.
    public func topologicalOrder(of subset: Set<Int>? = nil) -> [Int] {
        let members = subset ?? Set(stages.indices)
        var pending = [Int](repeating: 0, count: stages.count)
        for node in members { pending[node] = upstream[node].filter { members.contains($0) }.count }
        var ready = members.filter { pending[$0] == 0 }.sorted()
        var order: [Int] = []
        while !ready.isEmpty {
            let node = ready.removeFirst()
            order.append(node)
            for next in downstream[node] where members.contains(next) {
                pending[next] -= 1
                if pending[next] == 0 {
                    let position = ready.firstIndex { $0 > next } ?? ready.count
                    ready.insert(next, at: position)
                }
            }
        }
        return order
    }

    /// The named stages and everything they depend on (what `yard run STAGE` must bring up to date).
    public func closure(of targets: [Int], downstreamToo: Bool = false) -> Set<Int> {
        var result = Set<Int>()
        var pending = targets
        while let node = pending.popLast() {
            guard result.insert(node).inserted else { continue }
            pending += upstream[node]
        }
        if downstreamToo {
            pending = targets
            while let node = pending.popLast() {
                result.insert(node)
                for next in downstream[node] where !result.contains(next) { pending.append(next) }
            }
        }
        return result
    }

    /// Stage indices for user-given names; `train` also selects every expansion `train@…`.
    public func resolve(_ names: [String]) throws(YardError) -> [Int] {
        var found: [Int] = []
        for name in names {
            if let index = indexByName[name] {
                found.append(index)
                continue
            }
            let expanded = stages.indices.filter { stages[$0].name.hasPrefix(name + "@") }
            guard !expanded.isEmpty else {
                let known = stages.map(\.name).prefix(20).joined(separator: ", ")
                throw .notFound("There is no stage '\(name)' in the pipeline; its stages are: \(known).")
            }
            found += expanded
        }
        return found
    }

    // MARK: rendering

    /// One line per stage in run order, with what it waits for.
    public func renderText() -> String {
        var lines: [String] = []
        for node in topologicalOrder() {
            let stage = stages[node]
            let after = upstream[node].map { stages[$0].name }
            lines.append(after.isEmpty ? stage.name : "\(stage.name)  ← \(after.joined(separator: ", "))")
        }
        return lines.joined(separator: "\n")
    }

    public func renderDot() -> String {
        var lines = ["digraph pipeline {", "  rankdir=LR;", "  node [shape=box];"]
        for stage in stages { lines.append("  \(Self.dotQuote(stage.name));") }
        for (node, parents) in upstream.enumerated() {
            for parent in parents { lines.append("  \(Self.dotQuote(stages[parent].name)) -> \(Self.dotQuote(stages[node].name));") }
        }
        lines.append("}")
        return lines.joined(separator: "\n")
    }

    public func renderJSON() -> String {
        let nodes: [JSONValue] = stages.map { stage in
            .object([
                ("name", .string(stage.name)),
                ("cmd", .array(stage.commands.map(JSONValue.string))),
                ("deps", .array(stage.deps.map(JSONValue.string))),
                ("outs", .array(stage.outs.map { .string($0.path) })),
                ("line", .int(stage.line)),
            ])
        }
        var edges: [JSONValue] = []
        for (node, parents) in upstream.enumerated() {
            for parent in parents { edges.append(.object([("from", .string(stages[parent].name)), ("to", .string(stages[node].name))])) }
        }
        return String(decoding: JSONWriter.bytes(.object([("stages", .array(nodes)), ("edges", .array(edges))])), as: UTF8.self)
    }

    static func dotQuote(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
