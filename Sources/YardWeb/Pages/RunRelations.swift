import YardCore
import YardStore

/// What a run used and what it produced: its dataset inputs (linked to the registered dataset version
/// when there is one), the logged models it created and the registered model versions made from it.
/// A failing lookup here never hides the rest of the run page: the section says what could not be read.
enum RunRelations {
    /// Inputs looked up in the dataset registry at most (one lookup each).
    static let inputLimit = 100
    /// Logged models and registered versions listed at most.
    static let outputLimit = 100

    struct Input: Sendable {
        var input: DatasetInput
        /// The registry's version, when this name and digest are registered.
        var registered: DatasetVersionRecord?
    }

    struct Loaded: Sendable {
        var inputs: [Input]
        var totalInputs: Int
        var modelInputs: [String]
        var loggedModels: [LoggedModel]
        var versions: [ModelVersion]
        var problems: [String]
    }

    static func load(_ run: Run, _ services: WebServices) async -> Loaded {
        var problems: [String] = []
        var inputs: [Input] = []
        for input in run.datasetInputs.prefix(inputLimit) {
            let registered = try? await services.datasets.version(name: input.dataset.name, digest: input.dataset.digest)
            inputs.append(Input(input: input, registered: registered))
        }

        // Logged models: those naming this run as their source, and any it logged as outputs.
        var models: [LoggedModel] = []
        do {
            models = try await services.loggedModels.search(
                experimentIds: [run.info.experimentId], filter: "source_run_id = '\(quoted(run.info.runId))'", orderBy: [],
                maxResults: Int64(outputLimit), pageToken: nil).items
        } catch {
            problems.append("Logged models could not be read: \(WebError.from(error).message)")
        }
        let known = Set(models.map(\.modelId))
        for output in run.modelOutputs.prefix(outputLimit) where !known.contains(output.modelId) {
            if let model = try? await services.loggedModels.get(id: output.modelId, allowDeleted: true) { models.append(model) }
        }

        var versions: [ModelVersion] = []
        do {
            versions = try await services.registry.searchVersions(
                filter: "run_id = '\(quoted(run.info.runId))'", orderBy: [], maxResults: Int64(outputLimit), pageToken: nil).items
        } catch {
            problems.append("Registered model versions could not be read: \(WebError.from(error).message)")
        }
        return Loaded(inputs: inputs, totalInputs: run.datasetInputs.count, modelInputs: run.modelInputs, loggedModels: models,
                      versions: versions, problems: problems)
    }

    /// A value inside a single-quoted filter string.
    static func quoted(_ value: String) -> String { value.replacingOccurrences(of: "'", with: "\\'") }

    static func inputs(_ data: Loaded, into html: inout HTML) {
        html.element("section", [.id("inputs")]) { section in
            section.element("h2", text: "Inputs")
            if data.inputs.isEmpty && data.modelInputs.isEmpty {
                PageLayout.empty("No dataset or model inputs logged (mlflow.log_input records them).", into: &section)
                return
            }
            if !data.inputs.isEmpty {
                section.element("div", [.class("table-wrap")]) { wrap in
                    wrap.element("table", [.id("inputs-table"), .class("grid")]) { table in
                        table.element("thead") { head in
                            head.element("tr") { tr in
                                for title in ["Dataset", "Digest", "Context", "Source type", "Source"] { tr.element("th", text: title) }
                            }
                        }
                        table.element("tbody") { body in
                            for item in data.inputs { inputRow(item, into: &body) }
                        }
                    }
                }
                if data.totalInputs > data.inputs.count {
                    section.element("p", [.class("muted limit-note")], text: "Showing the first \(data.inputs.count) of \(data.totalInputs) inputs.")
                }
            }
            if !data.modelInputs.isEmpty {
                section.element("h3", text: "Model inputs")
                section.element("ul", [.class("model-inputs")]) { list in
                    for id in data.modelInputs.prefix(outputLimit) { list.element("li") { $0.element("code", text: id) } }
                }
            }
        }
    }

    static func inputRow(_ item: Input, into html: inout HTML) {
        let dataset = item.input.dataset
        let context = item.input.tags.first(where: { $0.key == ReservedTags.datasetContext })?.value
        html.element("tr", [Attribute("data-dataset", dataset.name)]) { tr in
            tr.element("td", [.class("wrap")]) { td in
                if let version = item.registered {
                    td.link(WebLinks.datasetVersion(version.name, version.shortDigest), [.class("dataset-version-link")], text: dataset.name)
                } else {
                    td.text(dataset.name)
                    td.element("span", [.class("muted")], text: " (not in the dataset registry)")
                }
            }
            tr.element("td") { $0.element("code", text: dataset.digest) }
            tr.element("td", text: context ?? "–")
            tr.element("td", text: dataset.sourceType)
            tr.element("td", [.class("wrap")], text: dataset.source)
        }
    }

    static func outputs(_ data: Loaded, into html: inout HTML) {
        html.element("section", [.id("outputs")]) { section in
            section.element("h2", text: "Outputs")
            for problem in data.problems { section.element("p", [.class("error-message")], text: problem) }
            section.element("h3", text: "Logged models (\(data.loggedModels.count))")
            if data.loggedModels.isEmpty {
                PageLayout.empty("This run logged no models.", into: &section)
            } else {
                section.element("div", [.class("table-wrap")]) { wrap in
                    wrap.element("table", [.id("logged-models"), .class("grid")]) { table in
                        table.element("thead") { head in
                            head.element("tr") { tr in
                                for title in ["Name", "Model ID", "Status", "Type", "Created"] { tr.element("th", text: title) }
                            }
                        }
                        table.element("tbody") { body in
                            for model in data.loggedModels {
                                body.element("tr", [Attribute("data-model-id", model.modelId)]) { tr in
                                    tr.element("td", [.class("wrap")], text: model.name)
                                    tr.element("td") { $0.element("code", text: model.modelId) }
                                    tr.element("td") { td in
                                        td.element("span", [.class("status status-\(model.status == .ready ? "READY" : model.status.rawValue)")],
                                                   text: model.status.rawValue.replacingOccurrences(of: "LOGGED_MODEL_", with: "").lowercased())
                                    }
                                    tr.element("td", text: model.modelType ?? "–")
                                    tr.element("td", text: Format.timestamp(model.creationTimestamp))
                                }
                            }
                        }
                    }
                }
            }
            section.element("h3", text: "Registered model versions (\(data.versions.count))")
            if data.versions.isEmpty {
                PageLayout.empty("No registered model version comes from this run.", into: &section)
            } else {
                section.element("ul", [.id("registered-versions"), .class("registered-versions")]) { list in
                    for version in data.versions {
                        list.element("li") { li in
                            li.link(WebLinks.modelVersion(version.name, String(version.version)), [.class("version-link")],
                                    text: "\(version.name) version \(version.version)")
                            for alias in version.aliases { li.element("span", [.class("badge")], text: "@" + alias) }
                        }
                    }
                }
            }
        }
    }
}
