import YardCore

/// Where a model version came from, read once for its page: the lineage service's answer (logged model,
/// source run, dataset inputs), the experiment's name, and which dataset inputs are registered versions
/// (those get a link). A lineage that cannot be read whole still leaves the version's own node and a note.
struct Origin {
    var lineage: Lineage
    var experimentName: String?
    /// The dataset version page of each drawn input, by its index in `lineage.datasets`; absent when the
    /// digest the run logged is not a registered version.
    var datasetLinks: [Int: String]
    var omittedDatasets: Int
    var problem: String?

    static func load(_ version: ModelVersion, _ services: WebServices) async -> Origin {
        var origin = Origin(lineage: Lineage(version: nil, loggedModel: nil, run: nil, datasets: []), experimentName: nil,
                            datasetLinks: [:], omittedDatasets: 0, problem: nil)
        do {
            origin.lineage = try await services.lineage.lineage(of: "models:/\(version.name)/\(version.version)")
        } catch {
            origin.problem = "The lineage could not be read completely: \(WebError.from(error).message)"
        }
        if let run = origin.lineage.run {
            origin.experimentName = try? await services.tracking.experiment(id: run.experimentId).name
        }
        let drawn = origin.lineage.datasets.prefix(ModelVersionPage.lineageDatasetLimit)
        origin.omittedDatasets = origin.lineage.datasets.count - drawn.count
        for (index, input) in drawn.enumerated() {
            if let registered = try? await services.datasets.version(name: input.name, digest: input.digest) {
                origin.datasetLinks[index] = WebLinks.datasetVersion(registered.name, registered.shortDigest)
            }
        }
        return origin
    }

    /// dataset versions → run → logged model → this version → its aliases.
    func graph(_ version: ModelVersion) -> LineageGraph {
        var graph = LineageGraph()
        let versionNode = "version"
        var feedsVersion: String?
        if let run = lineage.run {
            graph.nodes.append(.init(id: "run", kind: .run, label: run.runName.isEmpty ? run.runId : run.runName,
                                     detail: "run \(run.runId)\nstatus \(run.status)" + (run.codeCommit.map { "\ncommit \($0)" } ?? ""),
                                     href: WebLinks.run(run.runId)))
            for (index, input) in lineage.datasets.prefix(ModelVersionPage.lineageDatasetLimit).enumerated() {
                let id = "dataset-\(index)"
                var detail = "digest \(input.digest)"
                if let context = input.context { detail += "\ncontext \(context)" }
                if !input.source.isEmpty { detail += "\nsource \(input.source)" }
                if datasetLinks[index] == nil { detail += "\n(not a registered dataset version)" }
                graph.nodes.append(.init(id: id, kind: .dataset, label: input.name, detail: detail, href: datasetLinks[index]))
                graph.edges.append(.init(from: id, to: "run"))
            }
            feedsVersion = "run"
        }
        if let logged = lineage.loggedModel {
            graph.nodes.append(.init(id: "logged-model", kind: .loggedModel, label: logged.name.isEmpty ? logged.modelId : logged.name,
                                     detail: "\(logged.modelId)\nstatus \(logged.status.rawValue)",
                                     href: lineage.run.map { WebLinks.run($0.runId) + "#outputs" }))
            if let feeder = feedsVersion { graph.edges.append(.init(from: feeder, to: "logged-model")) }
            feedsVersion = "logged-model"
        }
        graph.nodes.append(.init(id: versionNode, kind: .version, label: "\(version.name) v\(version.version)",
                                 detail: "stage \(version.currentStage.rawValue)\nsource \(version.source)",
                                 href: WebLinks.modelVersion(version.name, String(version.version)), isCurrent: true))
        if let feeder = feedsVersion { graph.edges.append(.init(from: feeder, to: versionNode)) }
        for alias in version.aliases.sorted() {
            let id = "alias-\(alias)"
            graph.nodes.append(.init(id: id, kind: .alias, label: "@" + alias, detail: "models:/\(version.name)@\(alias)",
                                     href: WebLinks.model(version.name) + "#aliases"))
            graph.edges.append(.init(from: versionNode, to: id))
        }
        return graph
    }
}
