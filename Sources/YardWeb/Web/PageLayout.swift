/// The frame every page shares: the top bar with the areas of the product, breadcrumbs, the title, and
/// one stylesheet and one script from the binary (no inline script or style anywhere: the
/// Content-Security-Policy forbids both, so an injected `<script>` could not run even if one got through).
public enum PageLayout {
    /// The top-level areas, in the order of the bar. A new area (pipelines, deployments, monitors) adds a
    /// case here and its pages under Pages/.
    public enum Section: String, CaseIterable, Sendable {
        case experiments, models, datasets

        var title: String {
            switch self {
            case .experiments: "Experiments"
            case .models: "Models"
            case .datasets: "Datasets"
            }
        }

        var href: String {
            switch self {
            case .experiments: WebLinks.experiments()
            case .models: WebLinks.models()
            case .datasets: WebLinks.datasets()
            }
        }
    }

    public struct Crumb: Sendable {
        public var title: String
        public var href: String?
        public init(_ title: String, _ href: String? = nil) {
            self.title = title
            self.href = href
        }
    }

    /// A whole page. `content` writes what goes inside `<main>`, after the breadcrumbs and the `<h1>`.
    public static func page(title: String, section: Section?, crumbs: [Crumb] = [], status: Int = 200,
                            content: (inout HTML) -> Void) -> WebResponse {
        var html = HTML(reservingCapacity: 16_384)
        html.literal("<!DOCTYPE html>")
        html.open("html", [Attribute("lang", "en")])
        html.element("head") { head in
            head.void("meta", [Attribute("charset", "utf-8")])
            head.void("meta", [Attribute("name", "viewport"), Attribute("content", "width=device-width, initial-scale=1")])
            head.element("title", text: title + " · Modelyard")
            head.void("link", [Attribute("rel", "stylesheet"), Attribute("href", StaticAssets.stylesheetURL)])
            head.void("link", [Attribute("rel", "icon"), Attribute("href", StaticAssets.iconURL)])
            head.element("script", [Attribute("src", StaticAssets.scriptURL), Attribute.flag("defer")]) { _ in }
        }
        html.element("body") { body in
            body.element("header", [.class("topbar")]) { bar in
                bar.element("a", [.class("brand"), Attribute("href", WebLinks.experiments())], text: "Modelyard")
                bar.element("nav") { nav in
                    for item in Section.allCases {
                        nav.element("a", [Attribute("href", item.href), .class(item == section ? "active" : nil),
                                          Attribute("aria-current", item == section ? "page" : nil)], text: item.title)
                    }
                }
            }
            body.element("main") { main in
                if !crumbs.isEmpty {
                    main.element("nav", [.class("crumbs"), Attribute("aria-label", "breadcrumbs")]) { nav in
                        for (index, crumb) in crumbs.enumerated() {
                            if index > 0 { nav.element("span", [.class("sep")], text: "/") }
                            if let href = crumb.href { nav.link(href, text: crumb.title) } else { nav.element("span", text: crumb.title) }
                        }
                    }
                }
                main.element("h1", text: title)
                content(&main)
            }
        }
        html.close("html")
        return .html(html, status: status)
    }

    /// The page for a refusal: a missing or deleted object, a bad filter. Says what happened and where to go.
    public static func errorPage(_ error: WebError) -> WebResponse {
        let title = switch error.status {
        case 404: "Not found"
        case 400..<500: "Cannot show this page"
        default: "Server error"
        }
        return page(title: title, section: nil, status: error.status) { main in
            main.element("p", [.class("error-message"), Attribute("role", "alert")], text: error.message)
            main.element("p") { p in
                p.link(WebLinks.experiments(), text: "Back to experiments")
            }
        }
    }

    /// The hidden field every state-changing form carries; the server refuses a POST without it.
    public static func csrfField(_ request: WebRequest, into html: inout HTML) {
        html.void("input", [Attribute("type", "hidden"), Attribute("name", "_csrf"), Attribute("value", request.csrfToken)])
    }

    /// A short message where a list would be, saying why it is empty and what to do.
    public static func empty(_ message: String, into html: inout HTML) {
        html.element("p", [.class("empty")], text: message)
    }
}
