/// Where a model version came from, drawn as a left-to-right layered graph in server-side SVG: one column
/// per kind of object (dataset versions → run → logged model → model version → aliases), each node a link
/// to that object's page. The graph is small (one run's inputs and one version's aliases), so a layered
/// layout by kind reads at a glance and needs no layout library.
public struct LineageGraph: Sendable {
    /// The columns, left to right, in the order data flows.
    public enum Kind: String, Sendable, CaseIterable {
        case dataset, run, loggedModel = "logged-model", version, alias

        var caption: String {
            switch self {
            case .dataset: "dataset version"
            case .run: "run"
            case .loggedModel: "logged model"
            case .version: "model version"
            case .alias: "alias"
            }
        }
    }

    public struct Node: Sendable {
        public var id: String
        public var kind: Kind
        /// Shown on the node, truncated to fit; the whole of it is in the tooltip.
        public var label: String
        /// Extra tooltip lines (digest, status, context).
        public var detail: String
        /// The node's page; nil draws a plain node (an unregistered dataset has no page).
        public var href: String?
        /// The object the page is about, outlined.
        public var isCurrent: Bool

        public init(id: String, kind: Kind, label: String, detail: String = "", href: String?, isCurrent: Bool = false) {
            self.id = id
            self.kind = kind
            self.label = label
            self.detail = detail
            self.href = href
            self.isCurrent = isCurrent
        }
    }

    public struct Edge: Sendable {
        public var from: String
        public var to: String
        public init(from: String, to: String) {
            self.from = from
            self.to = to
        }
    }

    public var nodes: [Node]
    public var edges: [Edge]

    public init(nodes: [Node] = [], edges: [Edge] = []) {
        self.nodes = nodes
        self.edges = edges
    }

    // MARK: Layout

    static let nodeWidth = 190.0
    static let nodeHeight = 46.0
    static let columnGap = 70.0
    static let rowGap = 16.0
    static let padding = 12.0
    /// Characters of a label that fit in a node at the label's font size.
    static let labelLimit = 24

    struct Placed {
        var node: Node
        var x: Double
        var y: Double
    }

    /// Each present kind gets a column; nodes stack in it, every column centred on the tallest one.
    func layout() -> (placed: [Placed], width: Double, height: Double) {
        let columns = Kind.allCases.map { kind in nodes.filter { $0.kind == kind } }.filter { !$0.isEmpty }
        let tallest = columns.map(\.count).max() ?? 0
        let height = Self.padding * 2 + Double(tallest) * Self.nodeHeight + Double(max(0, tallest - 1)) * Self.rowGap
        let width = Self.padding * 2 + Double(columns.count) * Self.nodeWidth + Double(max(0, columns.count - 1)) * Self.columnGap
        var placed: [Placed] = []
        for (column, members) in columns.enumerated() {
            let x = Self.padding + Double(column) * (Self.nodeWidth + Self.columnGap)
            let stack = Double(members.count) * Self.nodeHeight + Double(members.count - 1) * Self.rowGap
            var y = (height - stack) / 2
            for node in members {
                placed.append(Placed(node: node, x: x, y: y))
                y += Self.nodeHeight + Self.rowGap
            }
        }
        return (placed, width, height)
    }

    // MARK: Drawing

    /// `<svg id=… class="lineage">`: edges first so the nodes sit on top of them.
    public func render(id: String, into html: inout HTML) {
        let (placed, width, height) = layout()
        let byId = Dictionary(placed.map { ($0.node.id, $0) }, uniquingKeysWith: { first, _ in first })
        let size = "0 0 \(Self.coordinate(width)) \(Self.coordinate(height))"
        html.open("svg", [.id(id), .class("lineage"), Attribute("viewBox", size), Attribute("width", Self.coordinate(width)),
                          Attribute("height", Self.coordinate(height)), Attribute("role", "img"),
                          Attribute("aria-label", "Lineage: dataset versions, run, logged model, model version and aliases")])
        html.element("defs") { defs in
            // The core stylesheet's `.edge` rule points its marker at #arrow.
            defs.element("marker", [.id("arrow"), Attribute("viewBox", "0 0 10 10"), Attribute("refX", "9"), Attribute("refY", "5"),
                                    Attribute("markerWidth", "7"), Attribute("markerHeight", "7"), Attribute("orient", "auto-start-reverse")]) { marker in
                marker.void("path", [Attribute("d", "M0,0 L10,5 L0,10 z"), Attribute("fill", "#8c959f")], selfClosing: true)
            }
        }
        for edge in edges {
            guard let from = byId[edge.from], let to = byId[edge.to] else { continue }
            let startX = from.x + Self.nodeWidth, startY = from.y + Self.nodeHeight / 2
            let endX = to.x - 2, endY = to.y + Self.nodeHeight / 2
            let bend = (endX - startX) / 2
            let path = "M\(Self.coordinate(startX)),\(Self.coordinate(startY)) C\(Self.coordinate(startX + bend)),\(Self.coordinate(startY)) "
                + "\(Self.coordinate(endX - bend)),\(Self.coordinate(endY)) \(Self.coordinate(endX)),\(Self.coordinate(endY))"
            html.void("path", [.class("edge"), Attribute("d", path), Attribute("marker-end", "url(#arrow)"),
                               Attribute("data-from", edge.from), Attribute("data-to", edge.to)], selfClosing: true)
        }
        for item in placed { Self.draw(item, into: &html) }
        html.close("svg")
    }

    static func draw(_ item: Placed, into html: inout HTML) {
        let node = item.node
        let classes = "node kind-\(node.kind.rawValue)" + (node.isCurrent ? " current" : "") + (node.href == nil ? " unlinked" : "")
        let body: (inout HTML) -> Void = { group in
            group.element("title", text: node.detail.isEmpty ? "\(node.kind.caption): \(node.label)" : "\(node.kind.caption): \(node.label)\n\(node.detail)")
            group.void("rect", [Attribute("x", coordinate(item.x)), Attribute("y", coordinate(item.y)), Attribute("width", coordinate(nodeWidth)),
                                Attribute("height", coordinate(nodeHeight)), Attribute("rx", "6")], selfClosing: true)
            group.element("text", [.class("caption"), Attribute("x", coordinate(item.x + 10)), Attribute("y", coordinate(item.y + 17))],
                          text: node.kind.caption)
            group.element("text", [.class("label"), Attribute("x", coordinate(item.x + 10)), Attribute("y", coordinate(item.y + 35))],
                          text: truncated(node.label))
        }
        let attributes: [Attribute] = [.class(classes), Attribute("data-kind", node.kind.rawValue), Attribute("data-node", node.id)]
        if let href = node.href, HTML.isSafeHref(href) {
            html.element("a", [Attribute("href", href)] + attributes, body)
        } else {
            html.element("g", attributes, body)
        }
    }

    static func truncated(_ label: String) -> String {
        label.count <= labelLimit ? label : String(label.prefix(labelLimit - 1)) + "…"
    }

    /// Coordinates with at most one decimal: short markup, no visible rounding.
    static func coordinate(_ value: Double) -> String {
        let tenths = (value * 10).rounded()
        return tenths.truncatingRemainder(dividingBy: 10) == 0 ? String(Int(tenths / 10)) : String(tenths / 10)
    }
}
