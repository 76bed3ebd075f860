import Foundation
import Yams
import YardCore
import YardData
import YardJSON

/// Reads `yard.yaml`: expands `foreach`/`matrix`, fills in `${…}` from `vars` and `params.yaml`, resolves
/// every path against the stage's folder, and refuses anything that cannot run — naming the line.
public enum PipelineSpecLoader {
    public static let fileName = "yard.yaml"
    public static let defaultParamsFile = "params.yaml"

    static let stageKeys: Set<String> = ["cmd", "wdir", "deps", "outs", "params", "metrics", "env", "retries", "timeout",
                                         "always_changed", "frozen", "desc", "meta", "plots"]

    /// Loads `file` (relative to the root) and validates it against the work tree.
    public static func load(repositoryRoot: String, file: String = fileName) throws(YardError) -> PipelineSpec {
        guard let bytes = try? FileSystem.readFile(repositoryRoot + "/" + file) else {
            throw .notFound("There is no \(file) in \(repositoryRoot). Describe your stages in it (see `yard run --help`), or import a DVC pipeline with `yard import dvc`.")
        }
        return try parse(String(decoding: bytes, as: UTF8.self), file: file, repositoryRoot: repositoryRoot)
    }

    public static func parse(_ text: String, file: String = fileName, repositoryRoot: String) throws(YardError) -> PipelineSpec {
        var reader = SpecReader(file: file, root: repositoryRoot)
        let spec = try reader.read(text)
        try validate(spec, repositoryRoot: repositoryRoot)
        return spec
    }

    /// The checks that need every stage: unique names and outputs, no nesting of outputs, dependencies
    /// that exist or are produced, no cycles.
    static func validate(_ spec: PipelineSpec, repositoryRoot: String) throws(YardError) {
        let file = spec.file
        var names: [String: Int] = [:]
        for stage in spec.stages {
            if let first = names[stage.name] {
                throw .invalid("\(file):\(stage.line): stage '\(stage.name)' is defined twice (first at line \(first)); give each stage its own name.")
            }
            names[stage.name] = stage.line
        }
        var owners: [String: (stage: StageSpec, output: OutputSpec)] = [:]
        for stage in spec.stages {
            for output in stage.outs {
                if let other = owners[output.path] {
                    if other.stage.name == stage.name {
                        throw .invalid("\(file):\(output.line): stage '\(stage.name)' lists the output '\(output.path)' twice.")
                    }
                    throw .invalid("\(file):\(output.line): the output '\(output.path)' of stage '\(stage.name)' is also an output of stage '\(other.stage.name)' (line \(other.output.line)); one path can have only one producer.")
                }
                owners[output.path] = (stage, output)
            }
        }
        let sortedOutputs = owners.keys.sorted()
        for path in sortedOutputs {
            var ancestor = PathText.parent(path)
            while !ancestor.isEmpty {
                if let outer = owners[ancestor] {
                    let inner = owners[path]!
                    throw .invalid("\(file):\(inner.output.line): the output '\(path)' of stage '\(inner.stage.name)' is inside '\(ancestor)', an output of stage '\(outer.stage.name)' (line \(outer.output.line)); outputs cannot nest. Declare a sibling path instead.")
                }
                ancestor = PathText.parent(ancestor)
            }
        }
        let graph = PipelineGraph(spec)
        for stage in spec.stages {
            for dep in stage.deps where graph.producers(of: dep).isEmpty {
                if FileSystem.info(repositoryRoot + "/" + dep) == nil {
                    throw .notFound("\(file):\(stage.line): the dependency '\(dep)' of stage '\(stage.name)' does not exist and no stage produces it. Create it, fix the path, or add the stage that writes it.")
                }
            }
        }
        if let cycle = graph.cycle() {
            let lines = cycle.map { name in "\(name) (line \(spec.stage(named: name)?.line ?? 0))" }
            throw .invalid("\(file): the stages form a cycle: \((lines + [lines[0]]).joined(separator: " → ")). A stage cannot depend, directly or through others, on its own output.")
        }
    }
}

/// Walks the YAML tree of one spec file.
struct SpecReader {
    let file: String
    let root: String
    /// Top-level `vars` merged, for `${…}`.
    var variables: [(String, JSONValue)] = []
    /// `params.yaml`, read when a `${…}` needs it or a stage names its keys.
    var paramsFiles: [String: ParamsFile] = [:]

    init(file: String, root: String) {
        self.file = file
        self.root = root
    }

    func fail(_ node: Node?, _ message: String) -> YardError {
        .invalid("\(file):\(node?.mark?.line ?? 0): \(message)")
    }

    mutating func read(_ text: String) throws(YardError) -> PipelineSpec {
        let document: Node?
        do {
            document = try Yams.compose(yaml: text)
        } catch {
            throw .invalid("\(file) is not valid YAML: \(YAMLText.describe(error)).")
        }
        guard let document, let top = document.mapping else {
            throw fail(document, "the file must be a mapping with a `stages:` section.")
        }
        var name = PathText.name(root)
        var stagesNode: Node?
        for (keyNode, value) in top {
            let key = keyNode.string ?? ""
            switch key {
            case "name":
                guard let text = value.string, !text.isEmpty else { throw fail(value, "`name` must be a non-empty string.") }
                name = text
            case "vars": try readVariables(value)
            case "stages": stagesNode = value
            default:
                throw fail(keyNode, "unknown top-level key '\(key)'; yard.yaml has `name`, `vars` and `stages`.")
            }
        }
        guard let stagesNode, let stageMap = stagesNode.mapping, !stageMap.isEmpty else {
            throw fail(stagesNode ?? document, "`stages:` must map stage names to their definitions, and list at least one.")
        }
        var stages: [StageSpec] = []
        for (keyNode, definition) in stageMap {
            guard let stageName = keyNode.string, !stageName.isEmpty else { throw fail(keyNode, "a stage name must be a string.") }
            if let problem = Self.nameProblem(stageName) { throw fail(keyNode, "stage name '\(stageName)' \(problem).") }
            guard let body = definition.mapping else {
                throw fail(definition, "stage '\(stageName)' must be a mapping with at least `cmd:`.")
            }
            if let foreach = body["foreach"] {
                stages += try expandForeach(stageName, foreach: foreach, body: body, definition: definition)
            } else if let matrix = body["matrix"] {
                stages += try expandMatrix(stageName, matrix: matrix, body: body, definition: definition)
            } else {
                stages.append(try readStage(stageName, body: body, at: definition, locals: []))
            }
        }
        return PipelineSpec(name: name, stages: stages, file: file)
    }

    static func nameProblem(_ name: String) -> String? {
        if name.contains("/") || name.contains("\\") { return "cannot contain slashes" }
        if name.contains(where: { $0.isWhitespace || $0.isNewline }) { return "cannot contain spaces" }
        if name.hasPrefix("-") { return "cannot start with '-'" }
        return nil
    }

    mutating func readVariables(_ node: Node) throws(YardError) {
        let entries: [Node] = node.sequence.map { Array($0) } ?? [node]
        for entry in entries {
            if let fileName = entry.string {
                let params = try ParamsFile.load(fileName, repositoryRoot: root)
                guard case .object(let members) = params.root else { throw fail(entry, "'\(fileName)' must hold a mapping to be used as vars.") }
                variables += members
            } else if entry.mapping != nil {
                guard case .object(let members) = YAMLText.value(of: entry) else { continue }
                variables += members
            } else {
                throw fail(entry, "`vars` entries must be mappings or names of YAML/JSON files.")
            }
        }
    }

    // MARK: expansion

    mutating func expandForeach(_ name: String, foreach: Node, body: Node.Mapping, definition: Node) throws(YardError) -> [StageSpec] {
        guard let template = body["do"]?.mapping else {
            throw fail(definition, "stage '\(name)' has `foreach` but no `do:` mapping with the stage to repeat.")
        }
        for (key, _) in body where !["foreach", "do"].contains(key.string ?? "") {
            throw fail(key, "stage '\(name)' uses `foreach`, so '\(key.string ?? "")' belongs inside `do:`.")
        }
        var items: [(suffix: String, locals: [(String, JSONValue)])] = []
        usedParamKeys = []
        let source = try expansionValue(foreach, locals: [])
        expansionParamKeys = usedParamKeys
        defer { expansionParamKeys = []; usedParamKeys = [] }
        switch source {
        case .array(let values):
            for (index, value) in values.enumerated() {
                let suffix: String
                switch value {
                case .object, .array: suffix = String(index)
                default: suffix = YAMLText.display(value)
                }
                items.append((suffix, [("item", value)]))
            }
        case .object(let members):
            for (key, value) in members { items.append((key, [("key", .string(key)), ("item", value)])) }
        default:
            throw fail(foreach, "`foreach` of stage '\(name)' must be a list, a mapping, or a ${…} reference to one.")
        }
        if items.isEmpty { throw fail(foreach, "`foreach` of stage '\(name)' is empty; there is nothing to run.") }
        var stages: [StageSpec] = []
        for item in items {
            stages.append(try readStage(name + "@" + item.suffix, body: template, at: definition, locals: item.locals))
        }
        return stages
    }

    mutating func expandMatrix(_ name: String, matrix: Node, body: Node.Mapping, definition: Node) throws(YardError) -> [StageSpec] {
        guard let axes = matrix.mapping, !axes.isEmpty else {
            throw fail(matrix, "`matrix` of stage '\(name)' must map axis names to lists of values.")
        }
        var combinations: [[(String, JSONValue)]] = [[]]
        usedParamKeys = []
        defer { expansionParamKeys = []; usedParamKeys = [] }
        for (axisNode, valuesNode) in axes {
            let axis = axisNode.string ?? ""
            guard case .array(let values) = try expansionValue(valuesNode, locals: []), !values.isEmpty else {
                throw fail(valuesNode, "matrix axis '\(axis)' of stage '\(name)' must be a non-empty list.")
            }
            combinations = combinations.flatMap { prefix in values.map { prefix + [(axis, $0)] } }
        }
        expansionParamKeys = usedParamKeys
        var template: [(Node, Node)] = []
        for (key, value) in body where key.string != "matrix" { template.append((key, value)) }
        let stageBody = Node.Mapping(template)
        var stages: [StageSpec] = []
        for combination in combinations {
            let suffix = combination.map { value in
                switch value.1 {
                case .object, .array: return value.0
                default: return YAMLText.display(value.1)
                }
            }.joined(separator: "-")
            stages.append(try readStage(name + "@" + suffix, body: stageBody, at: definition,
                                        locals: [("item", .object(combination))]))
        }
        return stages
    }

    /// A `foreach`/`matrix` source: inline YAML, or `${name}` naming a list or mapping in vars/params.
    mutating func expansionValue(_ node: Node, locals: [(String, JSONValue)]) throws(YardError) -> JSONValue {
        if let text = node.string, node.scalar != nil, let reference = Interpolation.wholeReference(text) {
            return try resolve(reference, locals: locals, at: node)
        }
        return YAMLText.value(of: node)
    }

    // MARK: one stage

    mutating func readStage(_ name: String, body: Node.Mapping, at definition: Node, locals: [(String, JSONValue)]) throws(YardError) -> StageSpec {
        for (key, _) in body where !PipelineSpecLoader.stageKeys.contains(key.string ?? "") {
            throw fail(key, "stage '\(name)' has an unknown key '\(key.string ?? "")'; a stage has \(PipelineSpecLoader.stageKeys.sorted().joined(separator: ", ")).")
        }
        if let plots = body["plots"] {
            throw fail(plots, "stage '\(name)': `plots` are not supported by yard; log the values as metrics files (`metrics:`) or with mlflow from the command.")
        }
        let line = definition.mark?.line ?? 0
        guard let cmdNode = body["cmd"] else { throw fail(definition, "stage '\(name)' has no `cmd:`; say which command produces its outputs.") }
        var commands: [String] = []
        for node in Self.list(cmdNode) {
            guard node.scalar != nil else { throw fail(node, "`cmd` of stage '\(name)' must be a string or a list of strings.") }
            let command = try interpolate(node, locals: locals)
            if command.trimmingCharacters(in: .whitespaces).isEmpty { throw fail(node, "stage '\(name)' has an empty command.") }
            commands.append(command)
        }
        if commands.isEmpty { throw fail(cmdNode, "stage '\(name)' has an empty `cmd`.") }
        var workingDirectory = ""
        if let wdirNode = body["wdir"] {
            workingDirectory = try repositoryPath(try interpolate(wdirNode, locals: locals), relativeTo: "", at: wdirNode, stage: name)
            guard FileSystem.info(root + "/" + workingDirectory)?.kind == .directory || workingDirectory.isEmpty else {
                throw fail(wdirNode, "stage '\(name)': the working folder '\(workingDirectory)' does not exist.")
            }
        }
        var deps: [String] = []
        if let depsNode = body["deps"] {
            for node in Self.list(depsNode) {
                let path = try repositoryPath(try interpolate(node, locals: locals), relativeTo: workingDirectory, at: node, stage: name)
                if !deps.contains(path) { deps.append(path) }
            }
        }
        var outs: [OutputSpec] = []
        for (field, isMetric) in [("outs", false), ("metrics", true)] {
            guard let outsNode = body[field] else { continue }
            for node in Self.list(outsNode) {
                outs.append(try readOutput(node, isMetric: isMetric, stage: name, workingDirectory: workingDirectory, locals: locals))
            }
        }
        var params: [ParamDependency] = []
        if let paramsNode = body["params"] {
            params = try readParams(paramsNode, stage: name, workingDirectory: workingDirectory, locals: locals)
        }
        // Values interpolated from params.yaml are parameters of the stage too.
        for key in usedParamKeys where !params.contains(where: { $0.file == PipelineSpecLoader.defaultParamsFile && ($0.keys == nil || $0.keys!.contains(key)) }) {
            if let index = params.firstIndex(where: { $0.file == PipelineSpecLoader.defaultParamsFile && $0.keys != nil }) {
                params[index].keys!.append(key)
            } else {
                params.append(ParamDependency(file: PipelineSpecLoader.defaultParamsFile, keys: [key], line: line))
            }
        }
        usedParamKeys = expansionParamKeys
        var environment: [(String, String)] = []
        if let envNode = body["env"] {
            guard let mapping = envNode.mapping else { throw fail(envNode, "`env` of stage '\(name)' must map variable names to values.") }
            for (key, value) in mapping {
                guard let variable = key.string, !variable.isEmpty, !variable.contains("=") else {
                    throw fail(key, "stage '\(name)': '\(key.string ?? "")' is not a valid environment variable name.")
                }
                guard value.scalar != nil else { throw fail(value, "stage '\(name)': the value of \(variable) must be a string.") }
                environment.append((variable, try interpolate(value, locals: locals)))
            }
        }
        var retries = 0
        if let node = body["retries"] {
            guard let value = node.int, (0...100).contains(value) else { throw fail(node, "`retries` of stage '\(name)' must be a whole number from 0 to 100.") }
            retries = value
        }
        var timeout: Double?
        if let node = body["timeout"] {
            guard let value = node.float, value > 0, value.isFinite else { throw fail(node, "`timeout` of stage '\(name)' must be a positive number of seconds.") }
            timeout = value
        }
        return StageSpec(name: name, line: line, commands: commands, workingDirectory: workingDirectory, deps: deps,
                         outs: outs, params: params, environment: environment, retries: retries, timeoutSeconds: timeout,
                         alwaysChanged: try flag(body["always_changed"], "always_changed", stage: name),
                         frozen: try flag(body["frozen"], "frozen", stage: name),
                         description: body["desc"]?.string)
    }

    func flag(_ node: Node?, _ field: String, stage: String) throws(YardError) -> Bool {
        guard let node else { return false }
        guard let value = node.bool else { throw fail(node, "`\(field)` of stage '\(stage)' must be true or false.") }
        return value
    }

    static func list(_ node: Node) -> [Node] {
        if let sequence = node.sequence { return Array(sequence) }
        return [node]
    }

    mutating func readOutput(_ node: Node, isMetric: Bool, stage: String, workingDirectory: String,
                             locals: [(String, JSONValue)]) throws(YardError) -> OutputSpec {
        let line = node.mark?.line ?? 0
        if node.scalar != nil {
            let path = try repositoryPath(try interpolate(node, locals: locals), relativeTo: workingDirectory, at: node, stage: stage)
            return OutputSpec(path: path, cache: true, persist: false, isMetric: isMetric, line: line)
        }
        guard let mapping = node.mapping, mapping.count == 1, let (keyNode, options) = mapping.first else {
            throw fail(node, "an output of stage '\(stage)' must be a path, or `path: {cache: false, persist: true}`.")
        }
        let path = try repositoryPath(try interpolate(keyNode, locals: locals), relativeTo: workingDirectory, at: keyNode, stage: stage)
        var output = OutputSpec(path: path, cache: true, persist: false, isMetric: isMetric, line: line)
        if let fields = options.mapping {
            for (key, value) in fields {
                switch key.string ?? "" {
                case "cache": output.cache = try flag(value, "cache", stage: stage)
                case "persist": output.persist = try flag(value, "persist", stage: stage)
                case "desc", "type", "labels", "meta", "remote", "push": continue
                default: throw fail(key, "output '\(path)' of stage '\(stage)' has an unknown option '\(key.string ?? "")'; outputs take `cache` and `persist`.")
                }
            }
        } else if !(options.scalar != nil && options.tagName == .null) {
            throw fail(options, "the options of output '\(path)' must be a mapping like {cache: false}.")
        }
        return output
    }

    mutating func readParams(_ node: Node, stage: String, workingDirectory: String, locals: [(String, JSONValue)]) throws(YardError) -> [ParamDependency] {
        var byFile: [(file: String, keys: [String]?, line: Int, node: Node)] = []
        func add(_ file: String, _ keys: [String]?, _ at: Node) {
            if let index = byFile.firstIndex(where: { $0.file == file }) {
                if let keys, byFile[index].keys != nil { byFile[index].keys! += keys.filter { !byFile[index].keys!.contains($0) } } else { byFile[index].keys = nil }
            } else {
                byFile.append((file, keys, at.mark?.line ?? 0, at))
            }
        }
        let defaultFile = try repositoryPath(PipelineSpecLoader.defaultParamsFile, relativeTo: workingDirectory, at: node, stage: stage)
        for entry in Self.list(node) {
            if entry.scalar != nil {
                add(defaultFile, [try interpolate(entry, locals: locals)], entry)
            } else if let mapping = entry.mapping {
                for (fileNode, keysNode) in mapping {
                    let file = try repositoryPath(try interpolate(fileNode, locals: locals), relativeTo: workingDirectory, at: fileNode, stage: stage)
                    if keysNode.scalar != nil && keysNode.tagName == .null {
                        add(file, nil, fileNode)
                    } else if let keys = keysNode.sequence {
                        var names: [String] = []
                        for key in keys { names.append(try interpolate(key, locals: locals)) }
                        add(file, names, fileNode)
                    } else {
                        throw fail(keysNode, "params of stage '\(stage)' from '\(file)' must be a list of keys (or empty for the whole file).")
                    }
                }
            } else {
                throw fail(entry, "params of stage '\(stage)' must be keys of params.yaml or `file.yaml: [keys]`.")
            }
        }
        var result: [ParamDependency] = []
        for entry in byFile {
            let params = try paramsFile(entry.file, at: entry.node, stage: stage)
            for key in entry.keys ?? [] where params.value(at: key) == nil {
                let known = params.leaves.map(\.0).prefix(12).joined(separator: ", ")
                throw fail(entry.node, "stage '\(stage)' uses the parameter '\(key)', which '\(entry.file)' does not define (its top-level keys: \(known.isEmpty ? "none" : known)). Add it to '\(entry.file)' or fix the name.")
            }
            result.append(ParamDependency(file: entry.file, keys: entry.keys, line: entry.line))
        }
        return result
    }

    mutating func paramsFile(_ file: String, at node: Node?, stage: String) throws(YardError) -> ParamsFile {
        if let loaded = paramsFiles[file] { return loaded }
        guard FileSystem.exists(root + "/" + file) else {
            throw fail(node, "stage '\(stage)' reads parameters from '\(file)', which does not exist. Create it (YAML or JSON).")
        }
        let loaded = try ParamsFile.load(file, repositoryRoot: root)
        paramsFiles[file] = loaded
        return loaded
    }

    /// A path from the file, resolved against `folder` (relative to the root) and checked to stay inside
    /// the repository and out of `.yard`/`.git`.
    func repositoryPath(_ raw: String, relativeTo folder: String, at node: Node, stage: String) throws(YardError) -> String {
        guard !raw.isEmpty, !raw.contains("\0") else { throw fail(node, "stage '\(stage)' has an empty path.") }
        var parts: [Substring] = []
        var source = raw
        if raw.hasPrefix("/") {
            guard raw == root || raw.hasPrefix(root + "/") else {
                throw fail(node, "the path '\(raw)' of stage '\(stage)' is outside the repository (\(root)); stages read and write only inside it.")
            }
            source = String(raw.dropFirst(root.count))
        } else if !folder.isEmpty {
            source = folder + "/" + raw
        }
        for part in source.split(separator: "/") {
            if part == "." { continue }
            if part == ".." {
                guard !parts.isEmpty else {
                    throw fail(node, "the path '\(raw)' of stage '\(stage)' is outside the repository; stages read and write only inside it.")
                }
                parts.removeLast()
                continue
            }
            parts.append(part)
        }
        let path = parts.joined(separator: "/")
        if let first = parts.first, first == ".git" || first == Substring(DataRepository.directoryName) {
            throw fail(node, "the path '\(raw)' of stage '\(stage)' is inside \(first)/, which is not yours to write; choose a path in the work tree.")
        }
        return path
    }

    // MARK: interpolation

    /// Keys of params.yaml that `${…}` read while the current stage was being built.
    var usedParamKeys: [String] = []
    /// Keys of params.yaml a `foreach`/`matrix` source read: every expanded stage depends on them.
    var expansionParamKeys: [String] = []

    mutating func interpolate(_ node: Node, locals: [(String, JSONValue)]) throws(YardError) -> String {
        guard let text = node.string else { throw fail(node, "expected a string here.") }
        var output = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            output += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw fail(node, "'\(text)' has an unclosed ${.")
            }
            let reference = String(rest[start.upperBound..<end]).trimmingCharacters(in: .whitespaces)
            let value = try resolve(reference, locals: locals, at: node)
            switch value {
            case .object, .array:
                throw fail(node, "${\(reference)} is a \(value.pythonTypeName == "dict" ? "mapping" : "list"); only single values can be put into a string.")
            default:
                output += YAMLText.display(value)
            }
            rest = rest[rest.index(after: end)...]
        }
        output += rest
        return output
    }

    mutating func resolve(_ reference: String, locals: [(String, JSONValue)], at node: Node) throws(YardError) -> JSONValue {
        guard !reference.isEmpty else { throw fail(node, "empty ${} reference.") }
        let head = String(reference.prefix { $0 != "." && $0 != "[" })
        if let local = locals.last(where: { $0.0 == head }) {
            let rest = String(reference.dropFirst(head.count))
            guard let value = rest.isEmpty ? local.1 : ParamsFile.lookup(String(rest.drop { $0 == "." }), in: local.1) else {
                throw fail(node, "${\(reference)}: '\(head)' has no '\(rest.drop { $0 == "." })'.")
            }
            return value
        }
        if let value = ParamsFile.lookup(reference, in: .object(variables)) { return value }
        if FileSystem.exists(root + "/" + PipelineSpecLoader.defaultParamsFile) {
            let params = try paramsFile(PipelineSpecLoader.defaultParamsFile, at: node, stage: "")
            if let value = params.value(at: reference) {
                if !usedParamKeys.contains(reference) { usedParamKeys.append(reference) }
                return value
            }
        }
        throw fail(node, "${\(reference)} is not defined: it is neither a `vars` entry nor a key of params.yaml\(locals.isEmpty ? "" : " nor \(locals.map { $0.0 }.joined(separator: "/"))").")
    }
}

enum Interpolation {
    /// `x.y` when the whole text is `${x.y}`.
    static func wholeReference(_ text: String) -> String? {
        guard text.hasPrefix("${"), text.hasSuffix("}"), text.dropFirst(2).firstIndex(of: "}") == text.index(before: text.endIndex) else { return nil }
        return String(text.dropFirst(2).dropLast()).trimmingCharacters(in: .whitespaces)
    }
}
