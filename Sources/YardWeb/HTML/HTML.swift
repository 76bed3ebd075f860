import YardCore

/// A piece of HTML that is safe to send by construction. Tag and attribute names are `StaticString`s, so
/// only code can choose markup; every `String` that goes in (run names, tags, params, artifact names,
/// descriptions — anything a user or client wrote) is escaped on the way in. There is no way to append an
/// unescaped runtime `String`, which is what keeps the pages free of injected markup.
public struct HTML: Sendable {
    public private(set) var rendered: String

    public init() {
        rendered = ""
    }

    public init(reservingCapacity capacity: Int) {
        rendered = ""
        rendered.reserveCapacity(capacity)
    }

    /// Escaped text content (or a text attribute value).
    public mutating func text(_ value: String) {
        HTML.escape(value, into: &rendered)
    }

    public mutating func text<Value: CustomStringConvertible>(_ value: Value) {
        HTML.escape(value.description, into: &rendered)
    }

    /// Markup written in the source code itself.
    public mutating func literal(_ markup: StaticString) {
        rendered += markup.description
    }

    public mutating func append(_ other: HTML) {
        rendered += other.rendered
    }

    /// `<tag attr="value" …>` with each value escaped. A nil value leaves the attribute out; `Attribute.flag`
    /// writes a bare boolean attribute.
    public mutating func open(_ tag: StaticString, _ attributes: [Attribute] = []) {
        rendered += "<"
        rendered += tag.description
        for attribute in attributes { attribute.write(into: &rendered) }
        rendered += ">"
    }

    public mutating func close(_ tag: StaticString) {
        rendered += "</"
        rendered += tag.description
        rendered += ">"
    }

    /// An element with children written by `content`.
    public mutating func element(_ tag: StaticString, _ attributes: [Attribute] = [], _ content: (inout HTML) -> Void) {
        open(tag, attributes)
        content(&self)
        close(tag)
    }

    /// An element whose only child is escaped text.
    public mutating func element(_ tag: StaticString, _ attributes: [Attribute] = [], text value: String) {
        open(tag, attributes)
        text(value)
        close(tag)
    }

    /// A void element (`<input …>`, `<br>`), or a self-closed SVG element (`<circle …/>`).
    public mutating func void(_ tag: StaticString, _ attributes: [Attribute] = [], selfClosing: Bool = false) {
        rendered += "<"
        rendered += tag.description
        for attribute in attributes { attribute.write(into: &rendered) }
        rendered += selfClosing ? "/>" : ">"
    }

    /// A link to one of our own pages (`WebLinks`) or an external http(s) address; anything else (a
    /// `javascript:` source URI logged by a client, say) is shown as text, never made clickable.
    public mutating func link(_ href: String, _ attributes: [Attribute] = [], text value: String) {
        if HTML.isSafeHref(href) {
            element("a", [Attribute("href", href)] + attributes, text: value)
        } else {
            element("span", attributes, text: value)
        }
    }

    public static func isSafeHref(_ href: String) -> Bool {
        if href.hasPrefix("/") { return !href.hasPrefix("//") && !href.hasPrefix("/\\") }
        if href.hasPrefix("?") || href.hasPrefix("#") { return true }
        let lower = href.lowercased()
        return lower.hasPrefix("https://") || lower.hasPrefix("http://")
    }

    public static func escape(_ value: String, into output: inout String) {
        HTMLEscaping.escape(value, into: &output)
    }

    public static func escaped(_ value: String) -> String {
        HTMLEscaping.escaped(value)
    }
}

/// One attribute of an element. The name is code; the value is always escaped.
public struct Attribute: Sendable {
    let name: StaticString
    let value: String?
    let isFlag: Bool

    public init(_ name: StaticString, _ value: String?) {
        self.name = name
        self.value = value
        isFlag = false
    }

    /// A boolean attribute (`checked`, `selected`, `disabled`), present only when `on`.
    public static func flag(_ name: StaticString, _ on: Bool = true) -> Attribute {
        Attribute(name: name, value: on ? "" : nil, isFlag: true)
    }

    public static func `class`(_ value: String?) -> Attribute { Attribute("class", value) }
    public static func id(_ value: String?) -> Attribute { Attribute("id", value) }

    /// `data-…` attributes are spelled out in full by the caller: `Attribute("data-key", key)`.
    private init(name: StaticString, value: String?, isFlag: Bool) {
        self.name = name
        self.value = value
        self.isFlag = isFlag
    }

    func write(into output: inout String) {
        guard let value else { return }
        output += " "
        output += name.description
        if isFlag { return }
        output += "=\""
        HTML.escape(value, into: &output)
        output += "\""
    }
}
