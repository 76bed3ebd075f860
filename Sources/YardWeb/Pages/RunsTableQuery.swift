import YardCore
import YardTracking

/// A params/metrics/tags column of the runs table, named as in `cols` and `th[data-column]`: `metrics.rmse`,
/// `params.alpha`, `tags.team`. The key may hold dots (`metrics.val.loss` is key `val.loss`).
struct RunColumn: Hashable, Sendable {
    enum Kind: String, Sendable, CaseIterable {
        case metric = "metrics", param = "params", tag = "tags"

        var entity: SearchEntity {
            switch self {
            case .metric: .metric
            case .param: .param
            case .tag: .tag
            }
        }
    }

    let kind: Kind
    let key: String

    init(_ kind: Kind, _ key: String) {
        self.kind = kind
        self.key = key
    }

    /// `metrics.x` / `metric.x` (and the same for params and tags); nil for anything else.
    init?(parsing text: String) {
        guard let dot = text.firstIndex(of: ".") else { return nil }
        let prefix = text[..<dot]
        let key = String(text[text.index(after: dot)...])
        guard !key.isEmpty else { return nil }
        switch prefix {
        case "metrics", "metric": self.init(.metric, key)
        case "params", "param": self.init(.param, key)
        case "tags", "tag": self.init(.tag, key)
        default: return nil
        }
    }

    var name: String { kind.rawValue + "." + key }

    /// The column as an `order_by` identifier, the key quoted when it holds characters that end a bare word
    /// of the search grammar; nil when no quoting can carry it (it holds both quote characters).
    var orderIdentifier: String? {
        RunsTableQuery.identifier(prefix: kind.rawValue, key: key)
    }
}

/// Which runs the table lists, by lifecycle: `view=active|deleted|all`.
enum RunsView: String, CaseIterable, Sendable {
    case active, deleted, all

    var viewType: ViewType {
        switch self {
        case .active: .activeOnly
        case .deleted: .deletedOnly
        case .all: .all
        }
    }

    var title: String {
        switch self {
        case .active: "Active"
        case .deleted: "Deleted"
        case .all: "All"
        }
    }
}

/// The runs table's whole state, read from the page's query (so every view has a stable, shareable URL),
/// and the links that change one part of it.
struct RunsTableQuery: Sendable {
    static let defaultSize = 100
    static let maxSize = 1000
    /// Chosen columns beyond this are dropped: a table that wide is unreadable and slow to render.
    static let maxColumns = 100

    let experimentId: String
    var filter: String
    /// MLflow `order_by` items, first one wins; empty = newest first.
    var order: [String]
    /// The `cols` the user chose; nil shows a few columns picked from the page's runs.
    var columns: [RunColumn]?
    /// `cols` entries that name no params/metrics/tags column, to say so on the page.
    var ignoredColumns: [String]
    var view: RunsView
    var size: Int
    var page: String?

    init(experimentId: String, request: WebRequest) {
        self.experimentId = experimentId
        filter = request.query("filter") ?? ""
        order = request.queryList("order")
        view = RunsView(rawValue: request.query("view") ?? "") ?? .active
        size = Int(request.query("size") ?? "").map { min(max($0, 1), Self.maxSize) } ?? Self.defaultSize
        page = request.query("page").flatMap { $0.isEmpty ? nil : $0 }
        let written = request.queryList("cols")
        var chosen: [RunColumn] = []
        var ignored: [String] = []
        for text in written {
            if let column = RunColumn(parsing: text) {
                if !chosen.contains(column) { chosen.append(column) }
            } else {
                ignored.append(text)
            }
        }
        columns = written.isEmpty ? nil : Array(chosen.prefix(Self.maxColumns))
        ignoredColumns = ignored
    }

    /// The address of this state with some parts changed. Defaults are left out so URLs stay short.
    func link(order: [String]? = nil, view: RunsView? = nil, page: String?? = .none, fragment: Bool = false) -> String {
        let order = order ?? self.order
        let view = view ?? self.view
        let page: String? = switch page {
        case .none: self.page
        case .some(let value): value
        }
        return WebLinks.experiment(experimentId, query: [
            ("filter", filter.isEmpty ? nil : filter),
            ("order", order.isEmpty ? nil : order.joined(separator: ",")),
            ("cols", columns.map { $0.map(\.name).joined(separator: ",") }),
            ("view", view == .active ? nil : view.rawValue),
            ("size", size == Self.defaultSize ? nil : String(size)),
            ("page", page),
            ("fragment", fragment ? "1" : nil),
        ])
    }

    /// The first `order` item as the search grammar reads it; nil when none or unreadable (the search
    /// reports the problem).
    var primaryOrder: SearchOrder? {
        guard let first = order.first else { return nil }
        return try? SearchGrammar.parseRunOrderBy([first]).first
    }

    /// Where a header's sort link goes: the same column the other way round when it is the current sort,
    /// else this column first (metrics and times largest first, text A to Z). The page starts over.
    func sortLink(entity: SearchEntity, key: String, identifier: String) -> String {
        let current = currentDirection(entity: entity, key: key)
        let ascending: Bool = switch current {
        case .some(let isAscending): !isAscending
        case .none: !(entity == .metric || (entity == .attribute && key == "start_time"))
        }
        return link(order: [identifier + (ascending ? " ASC" : " DESC")], page: .some(nil))
    }

    /// true/false when the table is sorted by this column ascending/descending, nil when not. Without an
    /// `order`, the table is newest first.
    func currentDirection(entity: SearchEntity, key: String) -> Bool? {
        if order.isEmpty { return entity == .attribute && key == "start_time" ? false : nil }
        guard let primary = primaryOrder, primary.entity == entity else { return nil }
        let canonical = primary.entity == .attribute && primary.key == "created" ? "start_time" : primary.key
        return canonical == key ? primary.ascending : nil
    }

    /// `prefix.key`, the key bare when the grammar reads it as one word, else backtick- or double-quoted.
    static func identifier(prefix: String, key: String) -> String? {
        let endsWord: (Character) -> Bool = { $0.isWhitespace || "=!<>(),'\"`".contains($0) }
        if !key.contains(where: endsWord) { return prefix + "." + key }
        if !key.contains("`") { return prefix + ".`" + key + "`" }
        if !key.contains("\"") { return prefix + ".\"" + key + "\"" }
        return nil
    }
}
