import Foundation
import Testing
import YardCore
import YardData
import YardJSON
import YardPipelines

/// yard.yaml as the loader reads it (errors that name the line and the thing, expansion, interpolation,
/// paths), the graph built from it, and yard.lock's encoding and execution keys.
@Suite("Pipeline spec, graph and lock")
struct PipelineSpecTests {
    let workspace: PipelineWorkspace

    init() throws {
        workspace = try PipelineWorkspace(git: false)
    }

    /// The error loading `yaml` as yard.yaml gives (params.yaml and other files written first).
    private func loadError(_ yaml: String, files: [String: String] = [:]) -> YardError? {
        for (path, text) in files { workspace.write(path, text) }
        workspace.write("yard.yaml", yaml)
        return #expect(throws: YardError.self) { _ = try workspace.spec() }
    }

    private func load(_ yaml: String, files: [String: String] = [:]) throws -> PipelineSpec {
        for (path, text) in files { workspace.write(path, text) }
        workspace.write("yard.yaml", yaml)
        return try workspace.spec()
    }

    // MARK: errors

    @Test func invalidYAMLNamesTheFileAndLine() {
        let error = loadError("""
            stages:
              train:
                cmd: [python train.py
                deps: data.csv
            """)
        let message = error?.message ?? ""
        #expect(message.contains("yard.yaml is not valid YAML"), "\(message)")
        #expect(message.contains("line 4") || message.contains("line 3"), "\(message)")
    }

    @Test func missingCommandNamesTheStageAndItsLine() {
        let error = loadError("""
            stages:
              prepare:
                cmd: echo prepare
              train:
                deps: [prepared.csv]
            """)
        let message = error?.message ?? ""
        #expect(message.contains("stage 'train' has no `cmd:`"), "\(message)")
        #expect(message.hasPrefix("yard.yaml:4:") || message.hasPrefix("yard.yaml:5:"), "\(message)")
        #expect(error?.code == .invalidParameterValue)
    }

    @Test func unknownStageKeyNamesTheKeyAndItsLine() {
        let error = loadError("""
            stages:
              train:
                cmd: echo hi
                outz: [model.bin]
            """)
        let message = error?.message ?? ""
        #expect(message.hasPrefix("yard.yaml:4:"), "\(message)")
        #expect(message.contains("unknown key 'outz'"), "\(message)")
        #expect(message.contains("stage 'train'"), "\(message)")
    }

    @Test func cycleNamesEveryStageInIt() {
        let error = loadError("""
            stages:
              start:
                cmd: echo > seed.txt
                outs: [seed.txt]
              alpha:
                cmd: cat beta.txt > alpha.txt
                deps: [seed.txt, beta.txt]
                outs: [alpha.txt]
              beta:
                cmd: cat alpha.txt > beta.txt
                deps: [alpha.txt]
                outs: [beta.txt]
            """)
        let message = error?.message ?? ""
        #expect(message.contains("cycle"), "\(message)")
        #expect(message.contains("alpha (line 6)") && message.contains("beta (line 10)"), "\(message)")
        #expect(!message.contains("start"), "the stage outside the cycle is not part of it: \(message)")
    }

    @Test func outputClaimedByTwoStagesNamesBothAndTheLines() {
        let error = loadError("""
            stages:
              first:
                cmd: echo 1 > out.txt
                outs: [out.txt]
              second:
                cmd: echo 2 > out.txt
                outs:
                  - out.txt
            """)
        let message = error?.message ?? ""
        #expect(message.hasPrefix("yard.yaml:8:"), "\(message)")
        #expect(message.contains("'out.txt'") && message.contains("'second'") && message.contains("'first' (line 4)"), "\(message)")
    }

    @Test func dependencyNothingProducesAndThatIsMissingIsNamed() {
        let error = loadError("""
            stages:
              train:
                cmd: cat data/raw.csv
                deps: [data/raw.csv]
            """)
        let message = error?.message ?? ""
        #expect(message.hasPrefix("yard.yaml:3:"), "\(message)")
        #expect(message.contains("'data/raw.csv'") && message.contains("'train'") && message.contains("does not exist"), "\(message)")
        // The same dependency is fine once the file exists.
        workspace.write("data/raw.csv", "a,b\n")
        #expect(throws: Never.self) { _ = try workspace.spec() }
    }

    @Test func unknownParameterKeyNamesTheKeyAndTheFile() {
        let error = loadError("""
            stages:
              train:
                cmd: echo
                params:
                  - train.lr
                  - train.epochz
            """, files: ["params.yaml": "train:\n  lr: 0.1\n  epochs: 3\n"])
        let message = error?.message ?? ""
        #expect(message.contains("'train.epochz'") && message.contains("'params.yaml'"), "\(message)")
        #expect(message.hasPrefix("yard.yaml:5:") || message.hasPrefix("yard.yaml:6:"), "\(message)")

        let otherFile = loadError("""
            stages:
              train:
                cmd: echo
                params:
                  - config/model.json: [depth, width]
            """, files: ["config/model.json": #"{"depth": 4}"#])
        let otherMessage = otherFile?.message ?? ""
        #expect(otherMessage.contains("'width'") && otherMessage.contains("'config/model.json'"), "\(otherMessage)")
        #expect(otherMessage.hasPrefix("yard.yaml:5:"), "\(otherMessage)")
    }

    @Test func outputInsideAnotherStagesOutputIsRefused() {
        let error = loadError("""
            stages:
              fetch:
                cmd: mkdir -p data && echo > data/raw.csv
                outs: [data]
              clean:
                cmd: echo > data/clean.csv
                outs: [data/clean.csv]
            """)
        let message = error?.message ?? ""
        #expect(message.hasPrefix("yard.yaml:7:"), "\(message)")
        #expect(message.contains("'data/clean.csv'") && message.contains("'clean'") && message.contains("'data'")
                    && message.contains("'fetch' (line 4)") && message.contains("cannot nest"), "\(message)")
    }

    @Test(arguments: ["../x", "/etc/passwd", "sub/../../x", "./../x"])
    func pathOutsideTheRepositoryIsRefused(path: String) {
        let error = loadError("""
            stages:
              leak:
                cmd: echo
                outs:
                  - \(path)
            """)
        let message = error?.message ?? ""
        #expect(message.hasPrefix("yard.yaml:5:"), "\(message)")
        #expect(message.contains("'\(path)'") && message.contains("outside the repository") && message.contains("'leak'"), "\(message)")
    }

    @Test(arguments: [".git/hooks/pre-commit", ".yard/cache/x", "./.git", "sub/../.yard/config"])
    func pathIntoGitOrYardIsRefused(path: String) {
        let error = loadError("""
            stages:
              sneak:
                cmd: echo
                deps:
                  - \(path)
            """)
        let message = error?.message ?? ""
        #expect(message.hasPrefix("yard.yaml:5:"), "\(message)")
        #expect(message.contains("'\(path)'") && message.contains("'sneak'"), "\(message)")
        #expect(message.contains(".git/") || message.contains(".yard/"), "\(message)")
    }

    @Test(arguments: [
        ("retries: -1", "`retries`"), ("timeout: 0", "`timeout`"), ("always_changed: maybe", "`always_changed`"),
        ("env: [A]", "`env`"), ("outs: [{model.bin: {cach: false}}]", "'cach'"), ("plots: [p.json]", "`plots`"),
        ("cmd: ['  ']", "empty command"),
    ])
    func badStageOptionsNameTheLine(option: String, named: String) {
        let error = loadError("""
            stages:
              train:
                desc: a stage
                \(option.hasPrefix("cmd:") ? option : "cmd: echo\n    " + option)
            """)
        let message = error?.message ?? ""
        #expect(message.hasPrefix("yard.yaml:4:") || message.hasPrefix("yard.yaml:5:"), "\(message)")
        #expect(message.contains(named) && message.contains("'train'"), "\(message)")
    }

    @Test func expandedNameCollidingWithAStageIsRefused() {
        let error = loadError("""
            stages:
              train@a:
                cmd: echo plain
              train:
                foreach: [a, b]
                do:
                  cmd: echo ${item}
            """)
        let message = error?.message ?? ""
        #expect(message.contains("'train@a'") && message.contains("twice") && message.contains("line 3"), "\(message)")
    }

    @Test(arguments: ["a/b", "has space", "-dash"])
    func badStageNamesAreRefused(name: String) {
        let error = loadError("""
            stages:
              "\(name)":
                cmd: echo
            """)
        #expect(error?.message.hasPrefix("yard.yaml:2:") == true && error?.message.contains(name) == true, "\(error?.message ?? "")")
    }

    @Test func stageReadingItsOwnOutputIsACycle() {
        let error = loadError("""
            stages:
              loop:
                cmd: cat state.txt > state.txt
                deps: [state.txt]
                outs: [state.txt]
            """)
        #expect(error?.message.contains("cycle") == true && error?.message.contains("loop (line 3)") == true, "\(error?.message ?? "")")
    }

    @Test func absolutePathInsideTheRepositoryBecomesRelative() throws {
        let spec = try load("""
            stages:
              write:
                cmd: echo
                outs: [\(workspace.root)/out/file.txt]
            """)
        #expect(spec.stages.first?.outs.map(\.path) == ["out/file.txt"])
    }

    // MARK: expansion and interpolation

    @Test func foreachOverAListNamesStagesByItem() throws {
        let spec = try load("""
            stages:
              train:
                foreach: [small, large]
                do:
                  cmd: echo ${item} > model-${item}.bin
                  outs:
                    - model-${item}.bin
            """)
        #expect(spec.stages.map(\.name) == ["train@small", "train@large"])
        #expect(spec.stages[0].commands == ["echo small > model-small.bin"])
        #expect(spec.stages[1].outs.map(\.path) == ["model-large.bin"])
        #expect(spec.stages.allSatisfy { $0.line == 3 })
    }

    @Test func foreachOverAMappingGivesKeyAndItem() throws {
        let spec = try load("""
            stages:
              fit:
                foreach:
                  eu: {rows: 100, region: europe}
                  us: {rows: 250, region: america}
                do:
                  cmd: fit --rows ${item.rows} --name ${key} --region ${item.region}
                  outs:
                    - fit/${key}.json
            """)
        #expect(spec.stages.map(\.name) == ["fit@eu", "fit@us"])
        #expect(spec.stages[0].commands == ["fit --rows 100 --name eu --region europe"])
        #expect(spec.stages[1].commands == ["fit --rows 250 --name us --region america"])
        #expect(spec.stages[1].outs.map(\.path) == ["fit/us.json"])
    }

    @Test func foreachOverAListOfMappingsUsesIndexes() throws {
        let spec = try load("""
            stages:
              job:
                foreach:
                  - {n: 1}
                  - {n: 2}
                do:
                  cmd: echo ${item.n}
            """)
        #expect(spec.stages.map(\.name) == ["job@0", "job@1"])
        #expect(spec.stages.map(\.commandText) == ["echo 1", "echo 2"])
    }

    @Test func foreachOverAParamsReference() throws {
        let spec = try load("""
            stages:
              evaluate:
                foreach: ${datasets}
                do:
                  cmd: evaluate ${item}
            """, files: ["params.yaml": "datasets: [train, test]\nseed: 7\n"])
        #expect(spec.stages.map(\.name) == ["evaluate@train", "evaluate@test"])
        #expect(spec.stages.map(\.commandText) == ["evaluate train", "evaluate test"])
    }

    /// Every expansion comes from the same params.yaml list, so they must agree on whether that list is a
    /// parameter they depend on (otherwise editing it re-runs only the first expansion).
    @Test
    func foreachOverAParamsReferenceTracksTheKeyConsistently() throws {
        let spec = try load("""
            stages:
              evaluate:
                foreach: ${datasets}
                do:
                  cmd: evaluate ${item}
            """, files: ["params.yaml": "datasets: [train, test]\nseed: 7\n"])
        let tracked = spec.stages.map { stage in stage.params.contains { $0.keys?.contains("datasets") ?? true } }
        #expect(tracked.count == 2)
        #expect(Set(tracked).count == 1, "tracked per expansion: \(zip(spec.stages.map(\.name), tracked).map { "\($0)=\($1)" })")
    }

    @Test func matrixExpansionNamesAndItemSubstitution() throws {
        let spec = try load("""
            stages:
              sweep:
                matrix:
                  lr: [0.1, 0.01]
                  depth: [4, 8]
                cmd: train --lr ${item.lr} --depth ${item.depth}
                outs:
                  - models/${item.lr}-${item.depth}.bin
            """)
        #expect(spec.stages.map(\.name) == ["sweep@0.1-4", "sweep@0.1-8", "sweep@0.01-4", "sweep@0.01-8"])
        #expect(spec.stages[0].commandText == "train --lr 0.1 --depth 4")
        #expect(spec.stages[3].outs.map(\.path) == ["models/0.01-8.bin"])
    }

    @Test func paramsReferenceMakesTheKeyATrackedParam() throws {
        let spec = try load("""
            stages:
              train:
                cmd: train --lr ${train.lr} --seed ${seed}
            """, files: ["params.yaml": "train:\n  lr: 0.05\n  epochs: 9\nseed: 3\nunused: 1\n"])
        let stage = try #require(spec.stages.first)
        #expect(stage.commandText == "train --lr 0.05 --seed 3")
        #expect(stage.params == [ParamDependency(file: "params.yaml", keys: ["train.lr", "seed"], line: stage.params.first?.line ?? 0)])
    }

    @Test func paramsReferenceJoinsDeclaredParamsWithoutDuplicates() throws {
        let spec = try load("""
            stages:
              train:
                cmd: train --lr ${train.lr}
                params: [train.lr, train.epochs]
            """, files: ["params.yaml": "train:\n  lr: 0.05\n  epochs: 9\n"])
        let keys = spec.stages.first?.params.flatMap { $0.keys ?? ["<whole file>"] }
        #expect(keys == ["train.lr", "train.epochs"])
    }

    @Test func varsInlineAndFromAFile() throws {
        let spec = try load("""
            vars:
              - data_dir: data
                size: 10
              - shared.yaml
            stages:
              prepare:
                cmd: prepare --size ${size} --bucket ${bucket.name}
                deps:
                  - ${data_dir}/raw.csv
                outs:
                  - ${data_dir}/prepared.csv
            """, files: ["shared.yaml": "bucket:\n  name: datasets-eu\n", "data/raw.csv": "x\n"])
        let stage = try #require(spec.stages.first)
        #expect(stage.commandText == "prepare --size 10 --bucket datasets-eu")
        #expect(stage.deps == ["data/raw.csv"])
        #expect(stage.outs.map(\.path) == ["data/prepared.csv"])
        #expect(stage.params.isEmpty, "vars are not parameters: \(stage.params)")
    }

    @Test func undefinedReferenceNamesItAndTheLine() {
        let error = loadError("""
            stages:
              train:
                cmd: train --lr ${train.lr}
            """, files: ["params.yaml": "train:\n  epochs: 3\n"])
        let message = error?.message ?? ""
        #expect(message.hasPrefix("yard.yaml:3:") && message.contains("${train.lr}"), "\(message)")
    }

    @Test func pathsAreRelativeToTheStagesWorkingFolder() throws {
        let spec = try load("""
            stages:
              train:
                wdir: models
                cmd: python ../train.py
                deps: [../data/train.csv, ../train.py]
                outs: [model.bin, {../reports/train.json: {cache: false}}]
                metrics: [scores.json]
                params: [lr]
            """, files: ["data/train.csv": "x\n", "train.py": "print(1)\n", "models/params.yaml": "lr: 0.1\n"])
        let stage = try #require(spec.stages.first)
        #expect(stage.workingDirectory == "models")
        #expect(stage.deps == ["data/train.csv", "train.py"])
        #expect(stage.outs == [
            OutputSpec(path: "models/model.bin", line: 6),
            OutputSpec(path: "reports/train.json", cache: false, line: 6),
            OutputSpec(path: "models/scores.json", isMetric: true, line: 7),
        ])
        #expect(stage.params.map(\.file) == ["models/params.yaml"])
        #expect(stage.metricsFiles == ["models/scores.json"])
    }

    @Test func missingWorkingFolderIsNamed() {
        let error = loadError("""
            stages:
              train:
                wdir: nowhere
                cmd: echo
            """)
        #expect(error?.message.hasPrefix("yard.yaml:3:") == true && error?.message.contains("'nowhere'") == true, "\(error?.message ?? "")")
    }

    @Test func stageOptionsAreRead() throws {
        let spec = try load("""
            name: churn
            stages:
              poll:
                cmd:
                  - echo one
                  - echo two
                env: {MODE: fast, LEVEL: "3"}
                retries: 2
                timeout: 1.5
                always_changed: true
                frozen: false
                desc: polls the source
                outs: [{state.bin: {persist: true}}]
            """)
        #expect(spec.name == "churn")
        let stage = try #require(spec.stages.first)
        #expect(stage.commands == ["echo one", "echo two"])
        #expect(stage.commandText == "echo one\necho two")
        #expect(stage.environment.map { "\($0.0)=\($0.1)" } == ["MODE=fast", "LEVEL=3"])
        #expect(stage.retries == 2 && stage.timeoutSeconds == 1.5 && stage.alwaysChanged && !stage.frozen)
        #expect(stage.description == "polls the source")
        #expect(stage.outs.first?.persist == true && stage.outs.first?.cache == true)
    }

    // MARK: graph

    private func graphSpec() throws -> PipelineSpec {
        try load("""
            stages:
              unrelated:
                cmd: echo > notes.txt
                outs: [notes.txt]
              featurize:
                cmd: mkdir -p features && cat data/part-1.csv > features/f.csv
                deps: [data/part-1.csv]
                outs: [features/f.csv]
              fetch:
                cmd: mkdir -p data && echo > data/part-1.csv
                outs: [data]
              train:
                cmd: cat features > model.bin
                deps: [features]
                outs: [model.bin]
              evaluate:
                cmd: cat model.bin > scores.json
                deps: [model.bin]
                metrics: [scores.json]
            """)
    }

    @Test func producersCoverFilesInsideOutputFoldersAndFoldersAroundOutputs() throws {
        let graph = PipelineGraph(try graphSpec())
        let names = graph.stages.map(\.name)
        func producerNames(_ path: String) -> [String] { graph.producers(of: path).map { names[$0] } }
        #expect(producerNames("data/part-1.csv") == ["fetch"])
        #expect(producerNames("data") == ["fetch"])
        #expect(producerNames("features") == ["featurize"])
        #expect(producerNames("model.bin") == ["train"])
        #expect(producerNames("elsewhere.csv").isEmpty)
        #expect(producerNames("dat").isEmpty, "a name that only shares a prefix is not inside the folder")
        let index = { (name: String) in try #require(graph.index(of: name)) }
        #expect(graph.upstream[try index("featurize")] == [try index("fetch")])
        #expect(graph.upstream[try index("train")] == [try index("featurize")])
        #expect(graph.downstream[try index("fetch")] == [try index("featurize")])
    }

    @Test func topologicalOrderPutsProducersFirstAndKeepsFileOrderForTies() throws {
        let graph = PipelineGraph(try graphSpec())
        let order = graph.topologicalOrder().map { graph.stages[$0].name }
        #expect(order == ["unrelated", "fetch", "featurize", "train", "evaluate"])

        let independent = try load("""
            stages:
              zeta: {cmd: echo z}
              alpha: {cmd: echo a}
              mid: {cmd: echo m}
            """)
        let flat = PipelineGraph(independent)
        #expect(flat.topologicalOrder().map { flat.stages[$0].name } == ["zeta", "alpha", "mid"])
    }

    @Test func closureOfTargetsHoldsWhatTheyNeed() throws {
        let graph = PipelineGraph(try graphSpec())
        func names(_ set: Set<Int>) -> Set<String> { Set(set.map { graph.stages[$0].name }) }
        #expect(names(graph.closure(of: try graph.resolve(["train"]))) == ["fetch", "featurize", "train"])
        #expect(names(graph.closure(of: try graph.resolve(["featurize"]), downstreamToo: true)) == ["fetch", "featurize", "train", "evaluate"])
        #expect(names(graph.closure(of: try graph.resolve(["unrelated"]))) == ["unrelated"])
        let unknown = #expect(throws: YardError.self) { _ = try graph.resolve(["trian"]) }
        #expect(unknown?.message.contains("'trian'") == true && unknown?.message.contains("train") == true)
    }

    @Test func resolvingABaseNameSelectsEveryExpansion() throws {
        let spec = try load("""
            stages:
              train:
                foreach: [a, b]
                do:
                  cmd: echo ${item}
              trainer: {cmd: echo}
            """)
        let graph = PipelineGraph(spec)
        #expect(try graph.resolve(["train"]).map { graph.stages[$0].name } == ["train@a", "train@b"])
        #expect(try graph.resolve(["train@b"]).map { graph.stages[$0].name } == ["train@b"])
    }

    @Test func dagRenderingsContainTheEdges() throws {
        let graph = PipelineGraph(try graphSpec())
        let text = graph.renderText()
        #expect(text.contains("featurize  ← fetch"), "\(text)")
        #expect(text.contains("evaluate  ← train"), "\(text)")
        #expect(text.split(separator: "\n").first == "unrelated")

        let dot = graph.renderDot()
        #expect(dot.hasPrefix("digraph"))
        for (from, to) in [("fetch", "featurize"), ("featurize", "train"), ("train", "evaluate")] {
            #expect(dot.contains("\"\(from)\" -> \"\(to)\";"), "\(dot)")
        }
        #expect(!dot.contains("\"unrelated\" ->"))

        let json = try JSONParser.parse(Array(graph.renderJSON().utf8))
        guard case .array(let edges)? = json["edges"], case .array(let stages)? = json["stages"] else {
            Issue.record("no edges/stages in \(graph.renderJSON())")
            return
        }
        let pairs = Set(edges.compactMap { edge -> String? in
            guard case .string(let from)? = edge["from"], case .string(let to)? = edge["to"] else { return nil }
            return from + "->" + to
        })
        #expect(pairs == ["fetch->featurize", "featurize->train", "train->evaluate"])
        #expect(stages.count == 5)
    }

    // MARK: lock

    private static func snapshot(_ text: String, kind: PointerFile.Kind = .file, files: Int = 1) -> PathSnapshot {
        PathSnapshot(kind: kind, digest: ContentDigest.of(Array(text.utf8)), size: Int64(text.utf8.count), files: files)
    }

    private static let oddEntry = LockEntry(
        command: "python \"train.py\" --name 'a b' \\\n  --note \"naïve — 日本語 🚀\"\tend\\",
        environment: ["QUOTE": "say \"hi\"", "MULTI": "line1\nline2", "EMPTY": "", "UNICODE": "Zürich"],
        deps: [LockedPath(path: "data/with space/\"quoted\".csv", snapshot: snapshot("a")),
               LockedPath(path: "données/日本.csv", snapshot: snapshot("b", kind: .directory, files: 3)),
               LockedPath(path: "colon: hash #.txt", snapshot: snapshot("c"))],
        params: [LockedParam(file: "params.yaml", key: "model", value: .object([("depth", .number("4")), ("name", .string("tree \"x\"\nnext"))])),
                 LockedParam(file: "params.yaml", key: "train.lr", value: .number("1e-05")),
                 LockedParam(file: "params.yaml", key: "yes", value: .string("no")),
                 LockedParam(file: "sub/p.json", key: "list", value: .array([.bool(true), .null, .number("0.5")]))],
        outs: [LockedPath(path: "models/model v2.bin", snapshot: snapshot("d")),
               LockedPath(path: "- dash.txt", snapshot: snapshot("e"))])

    @Test func lockRoundTripsOddCharacters() throws {
        let lock = PipelineLock(stages: ["train": Self.oddEntry, "eval@lr=0.1": Self.oddEntry, "ünïcode \"stage\"": Self.oddEntry])
        let text = lock.encoded()
        let decoded = try PipelineLock.decode(text)
        #expect(decoded == lock, "encoded:\n\(text)")
        #expect(decoded.stages["train"]?.executionKey == Self.oddEntry.executionKey)

        try lock.save(repositoryRoot: workspace.root)
        #expect(try workspace.lock() == lock)
        #expect(try PipelineLock.decode(decoded.encoded()).encoded() == text, "encoding is stable")
    }

    /// YAML counts NEL, LINE SEPARATOR and PARAGRAPH SEPARATOR as line breaks, so they must survive the
    /// trip through a quoted scalar.
    @Test(arguments: ["\u{2028}", "\u{2029}"])
    func lockRoundTripsUnicodeLineSeparators(separator: String) throws {
        try expectRoundTrip(separator)
    }

    @Test
    func lockRoundTripsNextLine() throws {
        try expectRoundTrip("\u{85}")
    }

    private func expectRoundTrip(_ separator: String) throws {
        var entry = Self.oddEntry
        entry.command = "echo \"a\(separator)b\""
        entry.deps = [LockedPath(path: "odd\(separator)name.csv", snapshot: Self.snapshot("x"))]
        entry.environment = ["NOTE": "x\(separator)y"]
        let lock = PipelineLock(stages: ["train": entry])
        let decoded = try PipelineLock.decode(lock.encoded()).stages["train"]
        #expect(decoded?.command.unicodeScalars.map(\.value) == entry.command.unicodeScalars.map(\.value))
        #expect(decoded?.deps.first?.path.unicodeScalars.map(\.value) == entry.deps.first?.path.unicodeScalars.map(\.value))
        #expect(decoded?.environment["NOTE"]?.unicodeScalars.map(\.value) == entry.environment["NOTE"]?.unicodeScalars.map(\.value))
        #expect(decoded?.executionKey == entry.executionKey)
    }

    @Test func lockRefusesUnsafePathsAndNamesTheStage() {
        let text = """
            schema: 1
            stages:
              "train":
                cmd: "echo"
                outs:
                - path: "../escape.txt"
                  kind: file
                  digest: "\(ContentDigest.of([1]).description)"
                  size: 1
                  files: 1
            """
        let error = #expect(throws: YardError.self) { _ = try PipelineLock.decode(text) }
        #expect(error?.message.contains("'train'") == true && error?.message.contains("../escape.txt") == true, "\(error?.message ?? "")")
    }

    @Test func executionKeyFollowsEveryInput() {
        let base = LockEntry(command: "train --fast", environment: ["MODE": "a"],
                             deps: [LockedPath(path: "data.csv", snapshot: Self.snapshot("v1"))],
                             params: [LockedParam(file: "params.yaml", key: "model",
                                                  value: .object([("depth", .number("4")), ("kind", .string("tree"))]))],
                             outs: [LockedPath(path: "model.bin", snapshot: Self.snapshot("out1"))])
        var keys: [String: String] = ["base": base.executionKey]
        var changed = base
        changed.command = "train --slow"
        keys["cmd"] = changed.executionKey
        changed = base
        changed.deps[0].snapshot = Self.snapshot("v2")
        keys["dep digest"] = changed.executionKey
        changed = base
        changed.params[0].value = .object([("depth", .number("5")), ("kind", .string("tree"))])
        keys["param value"] = changed.executionKey
        changed = base
        changed.environment["MODE"] = "b"
        keys["env value"] = changed.executionKey
        changed = base
        changed.environment["EXTRA"] = "1"
        keys["env added"] = changed.executionKey
        changed = base
        changed.outs[0].path = "model2.bin"
        keys["output path"] = changed.executionKey
        #expect(Set(keys.values).count == keys.count, "\(keys)")

        // Not inputs: the key order inside a param value, and the outputs' content.
        var same = base
        same.params[0].value = .object([("kind", .string("tree")), ("depth", .number("4"))])
        #expect(same.executionKey == base.executionKey)
        same = base
        same.outs[0].snapshot = Self.snapshot("out2")
        #expect(same.executionKey == base.executionKey)
        #expect(base.executionKey.count == 64)
    }
}
