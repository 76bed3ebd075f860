import YardCore
import YardRegistry

/// The model registry in the browser: every registered model with its aliases and latest version, one
/// model's versions, and a version's story (ModelVersionPage.swift): source run, promotion policy, last gate
/// decision, history, lineage. Read-only: aliases move through `yard model promote`/`rollback`, where the
/// gates run.
public enum ModelPages {
    public static func routes(_ services: WebServices) -> [WebRoute] {
        [
            WebRoute(.get, "/ui/models") { request in try await modelsPage(request, services) },
            WebRoute(.get, "/ui/models/:name") { request in try await modelPage(request, services) },
            WebRoute(.get, "/ui/models/:name/versions/:version") { request in try await ModelVersionPage.render(request, services) },
        ]
    }

    static let defaultPageSize = 100
    static let maxPageSize = 1000
    /// Characters of a description shown in a table cell; the model page shows all of it.
    static let snippetLength = 140
    /// History entries on the model page; the version pages show more.
    static let recentHistoryCount = 20

    // MARK: /ui/models

    static func modelsPage(_ request: WebRequest, _ services: WebServices) async throws -> WebResponse {
        let size = pageSize(request)
        let search = request.query("q")?.trimmingCharacters(in: .whitespaces) ?? ""
        let filter = try nameFilter(containing: search)
        let page = try await services.registry.searchModels(filter: filter, orderBy: ["name ASC"], maxResults: Int64(size),
                                                            pageToken: request.query("page"))
        let now = Format.nowMillis()
        return PageLayout.page(title: "Models", section: .models) { main in
            main.element("form", [.id("model-search"), .class("toolbar"), Attribute("method", "get"), Attribute("action", WebLinks.models())]) { form in
                form.void("input", [Attribute("type", "search"), Attribute("name", "q"), Attribute("value", search),
                                    Attribute("placeholder", "Name contains…"), Attribute("aria-label", "Search models by name")])
                form.element("button", [Attribute("type", "submit")], text: "Search")
                if !search.isEmpty { form.link(WebLinks.models(), text: "Clear") }
            }
            guard !page.items.isEmpty else {
                PageLayout.empty(search.isEmpty
                    ? "No registered models yet. Register one from a run with mlflow.register_model or registered_model_name=… in log_model."
                    : "No registered model's name contains '\(search)'.", into: &main)
                return
            }
            main.element("div", [.class("table-wrap")]) { wrap in
                wrap.element("table", [.id("models"), .class("grid sortable")]) { table in
                    table.element("thead") { head in
                        head.element("tr") { row in
                            for title in ["Name", "Description", "Aliases", "Latest version", "Last updated"] {
                                row.element("th", text: title)
                            }
                        }
                    }
                    table.element("tbody") { body in
                        for model in page.items { modelRow(model, now: now, into: &body) }
                    }
                }
            }
            pager(shown: page.items.count, next: page.nextPageToken.map { token in
                WebLinks.with(WebLinks.models(), [("q", search), ("size", request.query("size")), ("page", token)])
            }, into: &main)
        }
    }

    static func modelRow(_ model: RegisteredModel, now: Int64, into body: inout HTML) {
        body.element("tr", [Attribute("data-model", model.name)]) { row in
            row.element("td") { cell in
                cell.element("a", [.class("model-link"), Attribute("href", WebLinks.model(model.name))], text: model.name)
            }
            row.element("td", [.class("wrap muted")], text: snippet(model.description))
            row.element("td") { cell in aliasLinks(model.name, model.aliases, into: &cell) }
            let latest = model.latestVersions.map(\.version).max()
            row.element("td", [.class("num"), Attribute("data-sort", latest.map(String.init))]) { cell in
                if let latest {
                    cell.element("a", [.class("version-link"), Attribute("href", WebLinks.modelVersion(model.name, String(latest)))],
                                 text: "v\(latest)")
                } else {
                    cell.element("span", [.class("muted")], text: "none")
                }
            }
            row.element("td", [Attribute("data-sort", String(model.lastUpdatedTimestamp)), Attribute("title", Format.timestamp(model.lastUpdatedTimestamp))],
                        text: Format.ago(model.lastUpdatedTimestamp, now: now))
        }
    }

    // MARK: /ui/models/<name>

    static func modelPage(_ request: WebRequest, _ services: WebServices) async throws -> WebResponse {
        let name = try request.parameter("name")
        let model = try await orNotFound(missingModel(name)) { try await services.registry.model(name: name) }
        let page = try await versions(of: name, request: request, services)
        let policy = await PolicyState.load(name, services)
        let history = try await services.promotion.history(name: name)
        let now = Format.nowMillis()
        let crumbs = [PageLayout.Crumb("Models", WebLinks.models()), PageLayout.Crumb(name)]
        return PageLayout.page(title: name, section: .models, crumbs: crumbs) { main in
            main.element("section", [.id("model-overview")]) { section in
                if model.description.isEmpty {
                    section.element("p", [.class("muted")], text: "No description.")
                } else {
                    section.element("p", [.class("description")], text: model.description)
                }
                section.element("table", [.class("kv")]) { table in
                    keyValue("Created", Format.timestamp(model.creationTimestamp), into: &table)
                    keyValue("Last updated", Format.timestamp(model.lastUpdatedTimestamp), into: &table)
                    if let user = model.userId { keyValue("Created by", user, into: &table) }
                }
            }
            main.element("section", [.id("aliases-section")]) { section in
                section.element("h2", text: "Aliases")
                if model.aliases.isEmpty {
                    PageLayout.empty("No aliases. Promote a version with `yard model promote \(name) <version> --alias <alias>`.", into: &section)
                } else {
                    section.element("ul", [.id("aliases"), .class("aliases")]) { list in
                        for alias in model.aliases.sorted(by: { $0.alias < $1.alias }) {
                            list.element("li", [Attribute("data-alias", alias.alias)]) { item in
                                item.element("span", [.class("badge")], text: alias.alias)
                                item.text(" → ")
                                item.element("a", [.class("version-link"), Attribute("href", WebLinks.modelVersion(name, String(alias.version)))],
                                             text: "version \(alias.version)")
                            }
                        }
                    }
                }
            }
            main.element("section", [.id("versions-section")]) { section in
                section.element("h2", text: "Versions")
                versionsTable(name, page.items, now: now, into: &section)
                pager(shown: page.items.count, next: page.nextPageToken.map { token in
                    WebLinks.with(WebLinks.model(name), [("size", request.query("size")), ("page", token)])
                }, into: &section)
            }
            main.element("section", [.id("policy-summary")]) { section in
                section.element("h2", text: "Promotion policy")
                policy.summary(name, versionHref: page.items.first.map { WebLinks.modelVersion(name, String($0.version)) + "#policy" },
                               into: &section)
            }
            main.element("section", [.id("model-tags")]) { section in
                section.element("h2", text: "Tags")
                tagsTable(model.tags, id: "model-tags-table", into: &section)
            }
            main.element("section", [.id("recent-history")]) { section in
                section.element("h2", text: "Recent history")
                let recent = Array(history.sorted { $0.sequence > $1.sequence }.prefix(recentHistoryCount))
                ModelHistory.timeline(recent, model: name, highlighting: nil, id: "model-history", into: &section)
                if history.count > recent.count {
                    section.element("p", [.class("muted")],
                                    text: "Showing the latest \(recent.count) of \(history.count) entries; each version's page shows the whole history.")
                }
            }
        }
    }

    /// One page of the model's versions, newest first, through the same search the MLflow API uses.
    static func versions(of name: String, request: WebRequest, _ services: WebServices) async throws -> Page<ModelVersion> {
        // MLflow's filter strings have no escapes: a name holding both quote characters cannot be written as a
        // literal, so such a model's versions are found by walking its latest versions' numbers downward instead.
        guard let literal = quoted(name) else { return try await versionsByNumber(of: name, services) }
        return try await services.registry.searchVersions(filter: "name = \(literal)", orderBy: ["version_number DESC"],
                                                          maxResults: Int64(pageSize(request)), pageToken: request.query("page"))
    }

    static func versionsByNumber(of name: String, _ services: WebServices) async throws -> Page<ModelVersion> {
        let model = try await services.registry.model(name: name)
        guard let newest = model.latestVersions.map(\.version).max() else { return Page(items: [], nextPageToken: nil) }
        var found: [ModelVersion] = []
        var number = newest
        var lookups = 0
        // Bounded: deleted versions leave gaps, and each lookup is a store call.
        while number > 0, found.count < maxPageSize, lookups < 2 * maxPageSize {
            lookups += 1
            if let version = try? await services.registry.version(name: name, version: String(number)) { found.append(version) }
            number -= 1
        }
        return Page(items: found, nextPageToken: nil)
    }

    static func versionsTable(_ name: String, _ versions: [ModelVersion], now: Int64, into html: inout HTML) {
        guard !versions.isEmpty else {
            PageLayout.empty("No versions. Register one from a run: mlflow.register_model(\"runs:/<run id>/model\", \"\(name)\").", into: &html)
            return
        }
        html.element("div", [.class("table-wrap")]) { wrap in
            wrap.element("table", [.id("versions"), .class("grid sortable")]) { table in
                table.element("thead") { head in
                    head.element("tr") { row in
                        for title in ["Version", "Stage", "Aliases", "Source run", "Created", "Description"] { row.element("th", text: title) }
                    }
                }
                table.element("tbody") { body in
                    for version in versions {
                        body.element("tr", [Attribute("data-version", String(version.version))]) { row in
                            row.element("td", [Attribute("data-sort", String(version.version))]) { cell in
                                cell.element("a", [.class("version-link"), Attribute("href", WebLinks.modelVersion(name, String(version.version)))],
                                             text: "Version \(version.version)")
                            }
                            row.element("td") { cell in
                                cell.element("span", [.class("status stage-\(version.currentStage.rawValue.lowercased())")],
                                             text: version.currentStage.rawValue)
                            }
                            row.element("td") { cell in
                                for alias in version.aliases.sorted() { cell.element("span", [.class("badge")], text: alias) }
                            }
                            row.element("td", [.class("mono")]) { cell in
                                if let runId = version.runId {
                                    cell.element("a", [.class("run-link"), Attribute("href", WebLinks.run(runId)), Attribute("title", runId)],
                                                 text: String(runId.prefix(12)))
                                } else {
                                    cell.element("span", [.class("muted")], text: version.modelId ?? "–")
                                }
                            }
                            row.element("td", [Attribute("data-sort", String(version.creationTimestamp)),
                                               Attribute("title", Format.timestamp(version.creationTimestamp))],
                                        text: Format.ago(version.creationTimestamp, now: now))
                            row.element("td", [.class("wrap")], text: snippet(version.description))
                        }
                    }
                }
            }
        }
    }

    // MARK: Shared pieces

    static func aliasLinks(_ model: String, _ aliases: [ModelAlias], into html: inout HTML) {
        for alias in aliases.sorted(by: { $0.alias < $1.alias }) {
            html.element("a", [.class("alias-link badge"), Attribute("href", WebLinks.modelVersion(model, String(alias.version))),
                               Attribute("data-alias", alias.alias)], text: "\(alias.alias) → v\(alias.version)")
        }
    }

    static func tagsTable(_ tags: [Tag], id: String, into html: inout HTML) {
        guard !tags.isEmpty else {
            PageLayout.empty("No tags.", into: &html)
            return
        }
        html.element("table", [.id(id), .class("grid kv")]) { table in
            for tag in tags.sorted(by: { $0.key < $1.key }) {
                table.element("tr") { row in
                    row.element("th", text: tag.key)
                    row.element("td", [.class("wrap")], text: tag.value)
                }
            }
        }
    }

    static func keyValue(_ key: String, _ value: String, into table: inout HTML) {
        table.element("tr") { row in
            row.element("th", text: key)
            row.element("td", [.class("wrap")], text: value)
        }
    }

    static func pager(shown: Int, next: String?, into html: inout HTML) {
        html.element("div", [.class("pager")]) { pager in
            pager.element("span", [.class("muted")], text: "Showing \(shown)" + (next == nil ? "" : " (more on the next page)"))
            if let next { pager.element("a", [.id("next-page"), .class("next-page"), Attribute("href", next)], text: "Next page →") }
        }
    }

    static func pageSize(_ request: WebRequest) -> Int {
        guard let text = request.query("size"), let size = Int(text), size > 0 else { return defaultPageSize }
        return min(size, maxPageSize)
    }

    static func snippet(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.count <= snippetLength && line.count == text.count ? line : String(line.prefix(snippetLength)) + "…"
    }

    /// An MLflow filter for names containing `search` (nil for no search).
    static func nameFilter(containing search: String) throws(WebError) -> String? {
        guard !search.isEmpty else { return nil }
        guard let literal = quoted("%" + search + "%") else {
            throw .badRequest("A name search cannot hold both a single and a double quote; search for a part without one of them.")
        }
        return "name ILIKE \(literal)"
    }

    /// `text` as a filter-string literal. MLflow's grammar only trims the quotes, so the quote character must
    /// not occur inside; nil when both do.
    static func quoted(_ text: String) -> String? {
        if !text.contains("'") { return "'" + text + "'" }
        if !text.contains("\"") { return "\"" + text + "\"" }
        return nil
    }

    static func missingModel(_ name: String) -> String {
        "There is no registered model named '\(name)'. It may have been renamed or deleted; the Models page lists the current ones."
    }

    /// Turns the domain's "does not exist" into a 404 page saying what is missing and what to do.
    static func orNotFound<T>(_ message: @autoclosure () -> String, _ read: () async throws -> T) async throws -> T {
        do {
            return try await read()
        } catch let error as YardError where error.code == .resourceDoesNotExist {
            throw WebError.notFound(message())
        }
    }
}
