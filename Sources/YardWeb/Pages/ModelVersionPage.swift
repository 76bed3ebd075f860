import YardCore
import YardRegistry

/// `/ui/models/<name>/versions/<n>`: where the version came from (source run, logged model, lineage graph),
/// what the model's promotion policy requires, the last gate decision taken for it with each check's
/// numbers, and the model's history with this version's entries marked (`?history=version` keeps only those).
enum ModelVersionPage {
    /// History entries shown; older ones are counted, not drawn.
    static let historyLimit = 200
    /// Dataset inputs drawn in the lineage graph (each is looked up in the dataset registry for its link).
    static let lineageDatasetLimit = 12

    static func render(_ request: WebRequest, _ services: WebServices) async throws -> WebResponse {
        let name = try request.parameter("name")
        let versionText = try request.parameter("version")
        guard let number = Int64(versionText), number > 0 else {
            throw WebError.notFound("'\(versionText)' is not a version number; versions of model '\(name)' are numbered 1, 2, 3…")
        }
        let model = try await ModelPages.orNotFound(ModelPages.missingModel(name)) { try await services.registry.model(name: name) }
        let version = try await ModelPages.orNotFound(
            "Registered model '\(name)' has no version \(number); it may have been deleted. The model's page lists its versions."
        ) { try await services.registry.version(name: name, version: String(number)) }
        let policy = await PolicyState.load(name, services)
        let history = try await services.promotion.history(name: name).sorted { $0.sequence > $1.sequence }
        let origin = await Origin.load(version, services)
        let onlyThisVersion = request.query("history") == "version"
        let shownHistory = onlyThisVersion ? history.filter { ModelHistory.concerns($0, version: number) } : history

        let crumbs = [PageLayout.Crumb("Models", WebLinks.models()), PageLayout.Crumb(name, WebLinks.model(name)),
                      PageLayout.Crumb("Version \(number)")]
        return PageLayout.page(title: "\(name) · version \(number)", section: .models, crumbs: crumbs) { main in
            overview(version, origin, into: &main)
            main.element("section", [.id("lineage-section")]) { section in
                section.element("h2", text: "Lineage")
                if let problem = origin.problem { section.element("p", [.class("notice")], text: problem) }
                section.element("div", [.class("lineage-wrap")]) { wrap in
                    origin.graph(version).render(id: "lineage", into: &wrap)
                }
                if origin.omittedDatasets > 0 {
                    section.element("p", [.class("muted")], text: "\(origin.omittedDatasets) more dataset input(s) are listed on the run's page.")
                }
            }
            main.element("section", [.id("policy")]) { section in
                section.element("h2", text: "Promotion policy")
                policy.render(model: name, aliases: model.aliases, into: &section)
            }
            main.element("section", [.id("gate")]) { section in
                section.element("h2", text: "Last gate decision")
                gate(ModelHistory.lastDecision(history, version: number), model: name, version: number, into: &section)
            }
            main.element("section", [.id("history-section")]) { section in
                section.element("h2", text: "History")
                section.element("p", [.class("toolbar")]) { bar in
                    if onlyThisVersion {
                        bar.element("a", [.id("history-all"), Attribute("href", WebLinks.modelVersion(name, String(number)) + "#history-section")],
                                    text: "Show the whole model's history")
                    } else {
                        bar.element("a", [.id("history-this-version"),
                                          Attribute("href", WebLinks.with(WebLinks.modelVersion(name, String(number)), [("history", "version")])
                                                    + "#history-section")],
                                    text: "Only entries about version \(number)")
                    }
                }
                ModelHistory.timeline(Array(shownHistory.prefix(historyLimit)), model: name, highlighting: number, id: "history", into: &section)
                if shownHistory.count > historyLimit {
                    section.element("p", [.class("muted")],
                                    text: "Showing the latest \(historyLimit) of \(shownHistory.count) entries; `yard model history \(name)` prints them all.")
                }
            }
        }
    }

    // MARK: Overview

    static func overview(_ version: ModelVersion, _ origin: Origin, into html: inout HTML) {
        html.element("section", [.id("version-overview")]) { section in
            section.element("table", [.class("kv")]) { table in
                table.element("tr") { row in
                    row.element("th", text: "Stage")
                    row.element("td") { cell in
                        cell.element("span", [.class("status stage-\(version.currentStage.rawValue.lowercased())")], text: version.currentStage.rawValue)
                    }
                }
                table.element("tr") { row in
                    row.element("th", text: "Aliases")
                    row.element("td") { cell in
                        if version.aliases.isEmpty { cell.element("span", [.class("muted")], text: "none") }
                        for alias in version.aliases.sorted() { cell.element("span", [.class("badge")], text: alias) }
                    }
                }
                table.element("tr") { row in
                    row.element("th", text: "Source run")
                    row.element("td") { cell in
                        if let run = origin.lineage.run {
                            cell.element("a", [.id("source-run"), .class("run-link"), Attribute("href", WebLinks.run(run.runId))],
                                         text: run.runName.isEmpty ? run.runId : run.runName)
                            cell.element("span", [.class("muted mono")], text: " " + run.runId)
                            if let experiment = origin.experimentName {
                                cell.text(" in ")
                                cell.element("a", [.class("experiment-link"), Attribute("href", WebLinks.experiment(run.experimentId))], text: experiment)
                            }
                        } else if let runId = version.runId {
                            cell.element("span", [.class("muted")], text: "Run \(runId) no longer exists.")
                        } else {
                            cell.element("span", [.class("muted")], text: "Registered without a run.")
                        }
                    }
                }
                table.element("tr") { row in
                    row.element("th", text: "Logged model")
                    row.element("td") { cell in
                        if let logged = origin.lineage.loggedModel {
                            cell.element("span", [.id("logged-model"), .class("mono")], text: logged.modelId)
                            cell.text(" \(logged.name) · \(logged.status.rawValue)")
                        } else {
                            cell.element("span", [.class("muted")], text: version.modelId ?? "none")
                        }
                    }
                }
                ModelPages.keyValue("Source", version.source, into: &table)
                ModelPages.keyValue("Created", Format.timestamp(version.creationTimestamp), into: &table)
                ModelPages.keyValue("Last updated", Format.timestamp(version.lastUpdatedTimestamp), into: &table)
                if let user = version.userId { ModelPages.keyValue("Registered by", user, into: &table) }
            }
            section.element("h2", text: "Description")
            if version.description.isEmpty {
                section.element("p", [.id("version-description"), .class("muted")], text: "No description.")
            } else {
                section.element("p", [.id("version-description"), .class("description")], text: version.description)
            }
            section.element("h2", text: "Tags")
            ModelPages.tagsTable(version.tags, id: "version-tags", into: &section)
        }
    }

    // MARK: Gate decision

    static func gate(_ decision: (entry: ModelHistoryEntry, detail: ModelHistory.Detail)?, model: String, version: Int64, into html: inout HTML) {
        guard let (entry, detail) = decision else {
            PageLayout.empty("No gate decision for version \(version) yet. `yard model promote \(model) \(version) --alias <alias> --dry-run` "
                             + "shows what the gates would say.", into: &html)
            return
        }
        let passed = entry.action == .promoted
        let alias = detail.alias ?? "?"
        let champion = detail.from.map { "v\($0)" }
        html.element("p", [.class("gate-summary"), Attribute("data-passed", passed ? "true" : "false")]) { p in
            p.element("span", [.class("status " + (passed ? "status-passed" : "status-refused"))], text: passed ? "passed" : "refused")
            p.text(passed
                ? " Promoted to '\(alias)'" + (champion.map { ", replacing \($0)" } ?? "") + "."
                : " Not promoted to '\(alias)'; it stayed on " + (champion ?? "no version") + ".")
            p.text(" Decided by ")
            p.element("span", [.class("actor")], text: entry.actor)
            p.text(" at " + Format.timestamp(entry.timestamp) + " UTC.")
        }
        let checks = (detail.gates ?? []).map(ModelHistory.check)
        guard !checks.isEmpty else {
            PageLayout.empty("The policy had no gates at the time, so the promotion needed none.", into: &html)
            return
        }
        html.element("div", [.class("table-wrap")]) { wrap in
            wrap.element("table", [.id("gate-checks"), .class("grid")]) { table in
                table.element("thead") { head in
                    head.element("tr") { row in
                        for title in ["Gate", "Metric", "Comparison", "Threshold", "Observed", "Result", "Detail"] { row.element("th", text: title) }
                    }
                }
                table.element("tbody") { body in
                    for check in checks {
                        body.element("tr", [.class(check.passed ? "gate-pass" : "gate-fail"), Attribute("data-passed", check.passed ? "true" : "false")]) { row in
                            row.element("td", [.class("mono")], text: check.gate)
                            row.element("td", [.class("mono")], text: check.metric ?? "–")
                            row.element("td", [.class("mono")], text: check.comparison ?? "–")
                            row.element("td", [.class("num")]) { cell in
                                cell.text(check.threshold.map(Format.number) ?? "–")
                                if let expression = check.thresholdExpression, expression != check.threshold.map(Format.number) {
                                    cell.element("span", [.class("muted threshold-expression")], text: " (\(expression))")
                                }
                            }
                            row.element("td", [.class("num observed")], text: check.observed.map(Format.number) ?? "–")
                            row.element("td") { cell in
                                cell.element("span", [.class("status " + (check.passed ? "status-passed" : "status-failed"))], text: check.passed ? "pass" : "fail")
                            }
                            row.element("td", [.class("wrap")], text: check.detail)
                        }
                    }
                }
            }
        }
    }

    // MARK: Policy

    /// What a policy requires of every version promoted under it.
    static func requirementsList(_ policy: PromotionPolicy, into html: inout HTML) {
        html.element("ul", [.class("requirements")]) { list in
            list.element("li") { item in
                if let aliases = policy.protectedAliases {
                    item.text("Protects ")
                    for alias in aliases { item.element("span", [.class("badge")], text: alias) }
                    item.text(": only promotion through the gates (or a rollback) moves them.")
                } else {
                    item.text("Protects every alias of the model: only promotion through the gates (or a rollback) moves them.")
                }
            }
            for gate in policy.metricGates {
                list.element("li") { item in
                    item.text("Metric gate ")
                    item.element("code", text: gate.expression)
                }
            }
            if !policy.requiredTags.isEmpty {
                list.element("li", text: "Tags on the version or its run: " + policy.requiredTags.joined(separator: ", "))
            }
            if policy.requireDescription { list.element("li", text: "A non-empty version description") }
            if !policy.requiredDatasets.isEmpty {
                list.element("li", text: "Dataset inputs of the source run: " + policy.requiredDatasets.joined(separator: ", "))
            }
            if policy.metricGates.isEmpty && policy.requiredTags.isEmpty && !policy.requireDescription && policy.requiredDatasets.isEmpty {
                list.element("li", text: "No gates: any version may be promoted.")
            }
        }
    }
}

/// The model's promotion policy as the pages show it: none, a document that no longer parses, or a policy.
enum PolicyState {
    case none
    case unreadable(String)
    case policy(document: String, PromotionPolicy)

    static func load(_ name: String, _ services: WebServices) async -> PolicyState {
        do {
            guard let found = try await services.promotion.policy(name: name) else { return .none }
            return .policy(document: found.document, found.policy)
        } catch {
            return .unreadable(WebError.from(error).message)
        }
    }

    /// The requirements in a few lines, for the model page, with a link to the whole policy on a version's page.
    func summary(_ model: String, versionHref: String?, into html: inout HTML) {
        guard case .policy(_, let policy) = self else {
            render(model: model, aliases: [], into: &html)
            return
        }
        ModelVersionPage.requirementsList(policy, into: &html)
        if let versionHref {
            html.element("p") { p in p.link(versionHref, text: "The policy document and the latest gate decision") }
        }
    }

    /// The requirements, which of the model's current aliases they protect, and the document itself.
    func render(model: String, aliases: [ModelAlias], into html: inout HTML) {
        switch self {
        case .none:
            PageLayout.empty("No promotion policy: aliases move freely. Set one with `yard model policy set \(model) policy.yaml`.", into: &html)
        case .unreadable(let message):
            html.element("p", [.class("error-message")], text: "The stored policy cannot be read: \(message)")
        case .policy(let document, let policy):
            ModelVersionPage.requirementsList(policy, into: &html)
            if !aliases.isEmpty {
                html.element("table", [.id("policy-aliases"), .class("grid")]) { table in
                    table.element("thead") { head in
                        head.element("tr") { row in
                            for title in ["Alias", "Holder", "Moves through the gates"] { row.element("th", text: title) }
                        }
                    }
                    table.element("tbody") { body in
                        for alias in aliases.sorted(by: { $0.alias < $1.alias }) {
                            body.element("tr", [Attribute("data-alias", alias.alias)]) { row in
                                row.element("td") { cell in cell.element("span", [.class("badge")], text: alias.alias) }
                                row.element("td", text: "v\(alias.version)")
                                row.element("td", text: policy.protects(alias.alias) ? "yes: every gate above must pass" : "no: a plain MLflow alias")
                            }
                        }
                    }
                }
            }
            html.element("details", [.class("policy-document")]) { details in
                details.element("summary", text: "Policy document (YAML)")
                details.element("pre", [.id("policy-document"), .class("preview")], text: document)
            }
        }
    }
}
