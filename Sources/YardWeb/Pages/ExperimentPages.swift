import YardCore
import YardStore
import YardTracking

/// The experiments list (`/ui/experiments`) and its forms: create, rename, delete, restore. The runs of one
/// experiment are `RunsTablePage`; the column picker's JSON is `ExperimentColumnsEndpoint`.
public enum ExperimentPages {
    /// Experiments per page of the list; more are reached through `a#next-page`.
    static let listPageSize: Int64 = 200

    public static func routes(_ services: WebServices) -> [WebRoute] {
        [
            WebRoute(.get, "/ui/experiments") { request in
                try await listPage(services, request)
            },
            WebRoute(.post, "/ui/experiments") { request in
                let name = request.formValue("name") ?? ""
                do {
                    let id = try await services.tracking.createExperiment(name: name, artifactLocation: nil, tags: [])
                    return .redirect(to: WebLinks.experiment(id))
                } catch {
                    return try await listPage(services, request, refusal: clientRefusal(error), typedName: name)
                }
            },
            WebRoute(.post, "/ui/experiments/:experiment/rename") { request in
                let id = try request.parameter("experiment")
                return try await change(services, request) {
                    try await services.tracking.renameExperiment(id: id, newName: request.formValue("name"))
                }
            },
            WebRoute(.post, "/ui/experiments/:experiment/delete") { request in
                let id = try request.parameter("experiment")
                return try await change(services, request) { try await services.tracking.deleteExperiment(id: id) }
            },
            WebRoute(.post, "/ui/experiments/:experiment/restore") { request in
                let id = try request.parameter("experiment")
                return try await change(services, request) { try await services.tracking.restoreExperiment(id: id) }
            },
            WebRoute(.get, "/ui/experiments/:experiment") { request in
                try await RunsTablePage.respond(services, request)
            },
            WebRoute(.get, "/ui/experiments/:experiment/columns") { request in
                try await ExperimentColumnsEndpoint.respond(services, request)
            },
        ]
    }

    // MARK: Changes

    /// Runs a rename/delete/restore and sends the browser back where the form came from (303, so reload and
    /// back never repeat it). A refusal the user can act on (a taken name, the default experiment) is shown on
    /// the list with the service's words; anything else is the error page.
    private static func change(_ services: WebServices, _ request: WebRequest,
                               _ body: () async throws -> Void) async throws -> WebResponse {
        do {
            try await body()
            return .redirect(to: returnAddress(request))
        } catch {
            return try await listPage(services, request, refusal: clientRefusal(error))
        }
    }

    /// A 4xx refusal to show next to the form; a server failure propagates to the error page.
    private static func clientRefusal(_ error: any Error) throws -> WebError {
        let refusal = WebError.from(error)
        guard (400..<500).contains(refusal.status), refusal.status != 404 else { throw refusal }
        return WebError(status: 400, refusal.message)
    }

    /// The form's `next` field when it is one of our own pages, else the list. Never another site: an open
    /// redirect would let a crafted form bounce a user anywhere.
    static func returnAddress(_ request: WebRequest) -> String {
        if let next = request.formValue("next"), next.hasPrefix(WebLinks.root + "/"), HTML.isSafeHref(next) {
            return next
        }
        return WebLinks.experiments()
    }

    // MARK: The list

    private enum ListView: String {
        case active, deleted

        var viewType: ViewType { self == .active ? .activeOnly : .deletedOnly }
    }

    private static func listPage(_ services: WebServices, _ request: WebRequest, refusal: WebError? = nil,
                                 typedName: String? = nil) async throws -> WebResponse {
        let view = ListView(rawValue: request.query("view") ?? "") ?? .active
        let search = request.query("q")?.trimmingCharacters(in: .whitespaces) ?? ""
        let page: Page<Experiment>
        do {
            page = try await services.tracking.searchExperiments(
                filter: nameFilter(search), orderBy: [], viewType: view.viewType, maxResults: listPageSize,
                pageToken: request.query("page"))
        } catch {
            throw WebError.from(error)
        }
        let activity = Dictionary(try await services.tracking.experimentActivity().map { ($0.experimentId, $0) },
                                  uniquingKeysWith: { first, _ in first })
        let here = WebLinks.with(WebLinks.experiments(), [("view", view == .active ? nil : view.rawValue), ("q", search)])
        let now = Format.nowMillis()
        return PageLayout.page(title: view == .active ? "Experiments" : "Deleted experiments", section: .experiments,
                               status: refusal?.status ?? 200) { main in
            if let refusal {
                main.element("p", [.class("error-message"), Attribute("role", "alert")], text: refusal.message)
            }
            main.element("div", [.class("toolbar")]) { bar in
                if view == .active { createForm(request, typedName: typedName, into: &bar) }
                bar.element("form", [.id("experiment-search"), Attribute("method", "get"), Attribute("action", WebLinks.experiments())]) { form in
                    if view == .deleted { form.void("input", [Attribute("type", "hidden"), Attribute("name", "view"), Attribute("value", "deleted")]) }
                    form.void("input", [Attribute("type", "search"), Attribute("name", "q"), Attribute("value", search),
                                        Attribute("placeholder", "Name contains…"), Attribute("aria-label", "Find experiments by name")])
                    form.element("button", [Attribute("type", "submit")], text: "Find")
                }
                bar.element("span", [.class("view-switch")]) { links in
                    links.link(WebLinks.experiments(), [.class(view == .active ? "current" : nil)], text: "Active")
                    links.link(WebLinks.experiments(view: "deleted"), [.class(view == .deleted ? "current" : nil)], text: "Deleted")
                }
            }
            if page.items.isEmpty {
                PageLayout.empty(emptyMessage(view, search: search), into: &main)
                return
            }
            main.element("div", [.class("table-wrap")]) { wrap in
                wrap.element("table", [.id("experiments"), .class("grid sortable")]) { table in
                    table.element("thead") { head in
                        head.element("tr") { row in
                            row.element("th", text: "Name")
                            row.element("th", [.class("num")], text: "Runs")
                            row.element("th", text: "Last activity")
                            row.element("th", text: "Created")
                            row.element("th", text: "")
                        }
                    }
                    table.element("tbody") { body in
                        for experiment in page.items {
                            experimentRow(experiment, activity: activity[experiment.experimentId], view: view, now: now,
                                          returnTo: here, request: request, into: &body)
                        }
                    }
                }
            }
            main.element("div", [.class("pager")]) { pager in
                pager.element("span", [.class("muted")], text: "\(page.items.count) experiments on this page")
                if request.query("page") != nil {
                    pager.link(here, text: "First page")
                }
                if let next = page.nextPageToken {
                    pager.link(WebLinks.with(here, [("page", next)]), [.id("next-page")], text: "Next page")
                }
            }
        }
    }

    private static func emptyMessage(_ view: ListView, search: String) -> String {
        if !search.isEmpty { return "No experiment name contains '\(search)'." }
        return view == .active ? "No experiments yet: create one above, or log a run from a client." : "No deleted experiments."
    }

    /// `name ILIKE '%…%'`, quoted with whichever quote the text does not hold; nil for an empty search.
    static func nameFilter(_ search: String) -> String? {
        guard !search.isEmpty else { return nil }
        let quote: Character = search.contains("'") ? "\"" : "'"
        let text = search.filter { $0 != quote }
        return "attributes.name ILIKE \(quote)%\(text)%\(quote)"
    }

    private static func createForm(_ request: WebRequest, typedName: String?, into html: inout HTML) {
        html.element("form", [.id("create-experiment"), Attribute("method", "post"), Attribute("action", WebLinks.experiments())]) { form in
            PageLayout.csrfField(request, into: &form)
            form.void("input", [Attribute("type", "text"), Attribute("name", "name"), Attribute("value", typedName),
                                Attribute("placeholder", "New experiment name"), Attribute("aria-label", "New experiment name"),
                                Attribute("maxlength", String(Validation.maxExperimentNameLength)), Attribute.flag("required")])
            form.element("button", [Attribute("type", "submit"), .class("primary")], text: "Create experiment")
        }
    }

    private static func experimentRow(_ experiment: Experiment, activity: ExperimentActivity?, view: ListView, now: Int64,
                                      returnTo: String, request: WebRequest, into html: inout HTML) {
        let id = experiment.experimentId
        html.element("tr", [Attribute("data-experiment-id", id)]) { row in
            row.element("td", [.class("wrap")]) { cell in
                cell.link(WebLinks.experiment(id), [.class("experiment-link")], text: experiment.name)
                cell.element("span", [.class("muted experiment-id")], text: " #" + id)
            }
            let runs = activity?.activeRuns ?? 0
            row.element("td", [.class("num"), Attribute("data-sort", String(runs))], text: Format.number(Double(runs)))
            let last = activity?.lastActivity
            row.element("td", [Attribute("data-sort", String(last ?? 0)), Attribute("title", last.map { Format.timestamp($0) })],
                        text: Format.ago(last, now: now))
            row.element("td", [Attribute("data-sort", String(experiment.creationTime))], text: Format.timestamp(experiment.creationTime))
            row.element("td", [.class("actions")]) { cell in
                if view == .deleted {
                    actionForm(id, "restore", label: "Restore", confirm: nil, returnTo: returnTo, request: request, into: &cell)
                    return
                }
                cell.element("details", [.class("rename")]) { details in
                    details.element("summary", text: "Rename")
                    details.element("form", [.class("inline rename-form"), Attribute("method", "post"),
                                             Attribute("action", WebLinks.experimentAction(id, "rename"))]) { form in
                        PageLayout.csrfField(request, into: &form)
                        form.void("input", [Attribute("type", "hidden"), Attribute("name", "next"), Attribute("value", returnTo)])
                        form.void("input", [Attribute("type", "text"), Attribute("name", "name"), Attribute("value", experiment.name),
                                            Attribute("aria-label", "New name"), Attribute.flag("required")])
                        form.element("button", [Attribute("type", "submit")], text: "Save")
                    }
                }
                // The default experiment is reserved: the service refuses to delete it, so no button is offered.
                if id != "0" {
                    actionForm(id, "delete", label: "Delete", confirm: "Delete experiment '\(experiment.name)' and its runs? It can be restored later.",
                               returnTo: returnTo, request: request, into: &cell)
                }
            }
        }
    }

    /// A one-button POST form for an experiment action, carrying the token and where to come back to.
    static func actionForm(_ id: String, _ action: String, label: String, confirm: String?, returnTo: String,
                           request: WebRequest, into html: inout HTML) {
        html.element("form", [.class("inline \(action)-form"), Attribute("method", "post"),
                              Attribute("action", WebLinks.experimentAction(id, action)), Attribute("data-confirm", confirm)]) { form in
            PageLayout.csrfField(request, into: &form)
            form.void("input", [Attribute("type", "hidden"), Attribute("name", "next"), Attribute("value", returnTo)])
            form.element("button", [Attribute("type", "submit"), .class(action == "delete" ? "danger" : nil)], text: label)
        }
    }
}
