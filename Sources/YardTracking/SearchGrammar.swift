import Foundation
import YardCore

/// MLflow's search mini-language (`metrics.loss < 0.5 AND params.alpha = '0.1'`) and its `order_by`
/// items, turned into YardCore's store-neutral `SearchClause` / `SearchOrder`.
///
/// MLflow tokenises these strings with sqlparse and then validates the tokens. We use a small
/// hand-written scanner instead, but keep MLflow's acceptance rules and, where clients or MLflow's own
/// tests look at them, its error texts. A filter is parsed in two passes — the syntax of the whole
/// string first, then each comparison against the search's vocabulary — so that a structural problem
/// such as `OR` is reported ahead of, say, an unknown attribute further left, as MLflow does.
public enum SearchGrammar {
    public static func parseRunFilter(_ filter: String?) throws -> [SearchClause] {
        try parseFilter(filter, vocabulary: .runs)
    }

    public static func parseRunOrderBy(_ items: [String]) throws -> [SearchOrder] {
        try checkOrderByCount(items)
        return try items.map { try parseOrderBy($0, vocabulary: .runs) }
    }

    public static func parseExperimentFilter(_ filter: String?) throws -> [SearchClause] {
        try parseFilter(filter, vocabulary: .experiments)
    }

    public static func parseExperimentOrderBy(_ items: [String]) throws -> [SearchOrder] {
        try checkOrderByCount(items)
        return try items.map { try parseOrderBy($0, vocabulary: .experiments) }
    }

    public static func parseRegisteredModelFilter(_ filter: String?) throws -> [SearchClause] {
        try parseFilter(filter, vocabulary: .registeredModels)
    }

    public static func parseRegisteredModelOrderBy(_ items: [String]) throws -> [SearchOrder] {
        try checkOrderByCount(items)
        return try items.map { try parseOrderBy($0, vocabulary: .registeredModels) }
    }

    public static func parseModelVersionFilter(_ filter: String?) throws -> [SearchClause] {
        try parseFilter(filter, vocabulary: .modelVersions)
    }

    public static func parseModelVersionOrderBy(_ items: [String]) throws -> [SearchOrder] {
        try checkOrderByCount(items)
        return try items.map { try parseOrderBy($0, vocabulary: .modelVersions) }
    }

    public static func parseLoggedModelFilter(_ filter: String?) throws -> [SearchClause] {
        try parseFilter(filter, vocabulary: .loggedModels)
    }

    /// Logged-model ordering arrives as structured `{field_name, ascending}` objects, not strings.
    public static func parseLoggedModelOrder(fieldName: String, ascending: Bool) throws -> SearchOrder {
        var order = try parseOrderBy(fieldName, vocabulary: .loggedModels)
        order.ascending = ascending
        return order
    }

    /// Each order_by item becomes a sort term with bound arguments; bounded like filter clauses.
    private static func checkOrderByCount(_ items: [String]) throws(YardError) {
        if items.count > Validation.maxFilterClauses {
            throw .invalid("Invalid order_by: at most \(Validation.maxFilterClauses) order_by items are allowed, got \(items.count).")
        }
    }

    private static func parseFilter(_ filter: String?, vocabulary: Vocabulary) throws -> [SearchClause] {
        guard let filter, !filter.allSatisfy(\.isWhitespace) else { return [] }
        var scanner = SearchScanner(filter)
        var comparisons = [try scanner.comparison(afterAnd: false)]
        // Bounded here, at parse time, so a huge filter is a client error and never reaches a store's
        // limits (SQLite's expression depth and bound-variable count).
        let maxClauses = Validation.maxFilterClauses
        let maxValues = Validation.maxFilterListValues
        var listValues = 0
        while try scanner.conjunction() {
            guard comparisons.count < maxClauses else {
                throw YardError.invalid(
                    "Invalid filter string: it has more than \(maxClauses) clauses. A filter may join at most "
                        + "\(maxClauses) comparisons with AND.")
            }
            comparisons.append(try scanner.comparison(afterAnd: true))
            if case .list(let items) = comparisons.last?.operand.value { listValues += items.count }
        }
        if case .list(let items) = comparisons.first?.operand.value { listValues += items.count }
        guard listValues <= maxValues else {
            throw YardError.invalid(
                "Invalid filter string: its IN lists hold \(listValues) values. A filter may hold at most "
                    + "\(maxValues) values in IN / NOT IN lists altogether.")
        }
        return try comparisons.map(vocabulary.clause(from:))
    }

    private static func parseOrderBy(_ item: String, vocabulary: Vocabulary) throws -> SearchOrder {
        do {
            var scanner = SearchScanner(item)
            let identifier = try scanner.identifier()
            var ascending = true
            scanner.skipWhitespace()
            if !scanner.atEnd {
                let rest = scanner.rest
                switch scanner.word().lowercased() {
                case "asc": ascending = true
                case "desc": ascending = false
                default: throw YardError.invalid("Expected ASC or DESC after the column, got \(rest).")
                }
                scanner.skipWhitespace()
                guard scanner.atEnd else {
                    throw YardError.invalid("Unexpected \(scanner.rest) after the sort direction.")
                }
            }
            var (entity, key) = try vocabulary.resolve(
                identifier, attributes: vocabulary.orderableAttributes.union(vocabulary.orderAliases.keys))
            if entity == .attribute, let canonical = vocabulary.orderAliases[key] { key = canonical }
            guard vocabulary.orderableEntities.contains(entity) else {
                throw YardError.invalid("Ordering by \(entity.noun) '\(key)' is not supported.")
            }
            return SearchOrder(entity: entity, key: key, ascending: ascending)
        } catch let error as YardError {
            // The inner messages describe the problem; the clause itself is what the caller needs to find it.
            throw YardError.invalid("Invalid order_by clause '\(item)'. \(error.message)")
        }
    }
}

// MARK: - Vocabulary: which identifiers a search knows and what they may be compared with

/// What a column may be compared with. IN / NOT IN always take a list of strings and IS [NOT] NULL
/// takes nothing, so `operand` only governs the scalar comparators.
private struct Field: Sendable {
    enum Operand: Sendable { case number, string }

    let operand: Operand
    let comparators: [SearchComparator]

    static let numeric = Field(operand: .number, comparators: [.equal, .notEqual, .less, .lessOrEqual, .greater, .greaterOrEqual])
    static let text = Field(operand: .string, comparators: [.equal, .notEqual, .like, .ilike])
    static let textOrNull = Field(operand: .string, comparators: text.comparators + [.isNull, .isNotNull])
    static let textOrList = Field(operand: .string, comparators: text.comparators + [.isIn, .notIn])
    static let identity = Field(operand: .string, comparators: [.equal, .notEqual, .isIn, .notIn])
}

/// The identifiers one kind of search accepts. Runs and experiments share the syntax but not the
/// columns, so everything search-specific lives here and the scanner stays generic.
private struct Vocabulary: Sendable {
    /// The word before the first dot. MLflow accepts several spellings per entity.
    let prefixes: [String: SearchEntity]
    /// Canonical spellings, listed in "Invalid entity type" errors.
    let prefixNames: [String]
    let attributes: [String: Field]
    /// Alternative attribute spellings MLflow accepts (`created`, `Run name`…) → canonical key.
    let attributeAliases: [String: String]
    /// Rules for the non-attribute entities, which accept any key.
    let entities: [SearchEntity: Field]
    let datasetKeys: Set<String>
    let orderableAttributes: Set<String>
    let orderableEntities: Set<SearchEntity>
    /// Extra spellings accepted only in order_by (`timestamp` for the registry's last_updated_timestamp).
    var orderAliases: [String: String] = [:]

    static let runs = Vocabulary(
        prefixes: [
            "metric": .metric, "metrics": .metric,
            "param": .param, "params": .param, "parameter": .param, "parameters": .param,
            "tag": .tag, "tags": .tag,
            "attribute": .attribute, "attributes": .attribute, "attr": .attribute, "run": .attribute,
            "dataset": .dataset, "datasets": .dataset,
        ],
        prefixNames: ["metric", "parameter", "tag", "attribute", "dataset"],
        attributes: [
            "run_id": .textOrList,
            "run_name": .text, "status": .text, "user_id": .text, "artifact_uri": .text, "lifecycle_stage": .text,
            "start_time": .numeric, "end_time": .numeric,
        ],
        attributeAliases: [
            "run name": "run_name", "Run name": "run_name", "Run Name": "run_name",
            "created": "start_time", "Created": "start_time",
        ],
        entities: [.metric: .numeric, .param: .textOrNull, .tag: .textOrNull, .dataset: .textOrList],
        datasetKeys: ["name", "digest", "context"],
        orderableAttributes: ["start_time", "end_time", "run_name", "status", "user_id", "artifact_uri", "run_id"],
        orderableEntities: [.metric, .param, .tag, .attribute]
    )

    static let experiments = Vocabulary(
        prefixes: ["attribute": .attribute, "attributes": .attribute, "attr": .attribute, "tag": .tag, "tags": .tag],
        prefixNames: ["attribute", "tag"],
        attributes: [
            "name": .text, "experiment_id": .identity,
            "creation_time": .numeric, "last_update_time": .numeric,
        ],
        attributeAliases: [:],
        entities: [.tag: .textOrNull],
        datasetKeys: [],
        orderableAttributes: ["name", "experiment_id", "creation_time", "last_update_time"],
        orderableEntities: [.attribute]
    )

    static let registeredModels = Vocabulary(
        prefixes: ["attribute": .attribute, "attributes": .attribute, "tag": .tag, "tags": .tag],
        prefixNames: ["attribute", "tag"],
        attributes: ["name": .textOrList],
        attributeAliases: [:],
        entities: [.tag: .text],
        datasetKeys: [],
        orderableAttributes: ["name", "creation_timestamp", "last_updated_timestamp"],
        orderableEntities: [.attribute],
        orderAliases: ["timestamp": "last_updated_timestamp"]
    )

    static let modelVersions = Vocabulary(
        prefixes: ["attribute": .attribute, "attributes": .attribute, "tag": .tag, "tags": .tag],
        prefixNames: ["attribute", "tag"],
        attributes: ["name": .textOrList, "run_id": .textOrList, "source_path": .text, "version_number": .numeric],
        attributeAliases: [:],
        entities: [.tag: .text],
        datasetKeys: [],
        orderableAttributes: ["name", "version_number", "creation_timestamp", "last_updated_timestamp"],
        orderableEntities: [.attribute],
        orderAliases: ["timestamp": "last_updated_timestamp"]
    )

    static let loggedModels = Vocabulary(
        prefixes: [
            "metric": .metric, "metrics": .metric,
            "param": .param, "params": .param,
            "tag": .tag, "tags": .tag,
            "attribute": .attribute, "attributes": .attribute,
        ],
        prefixNames: ["attribute", "metric", "param", "tag"],
        attributes: [
            "name": .textOrList, "model_id": .textOrList, "model_type": .text, "status": .text, "source_run_id": .textOrList,
            "creation_timestamp": .numeric, "last_updated_timestamp": .numeric,
        ],
        attributeAliases: ["creation_time": "creation_timestamp", "last_updated_time": "last_updated_timestamp"],
        entities: [.metric: .numeric, .param: .text, .tag: .text],
        datasetKeys: [],
        orderableAttributes: ["name", "model_id", "creation_timestamp", "last_updated_timestamp", "model_type", "status", "source_run_id"],
        orderableEntities: [.attribute, .metric, .param, .tag]
    )

    /// The entity and canonical key an identifier names. `attributes` differs between filtering and
    /// ordering (e.g. `lifecycle_stage` can be filtered on but not sorted by).
    func resolve(_ identifier: RawIdentifier, attributes allowed: Set<String>) throws -> (SearchEntity, String) {
        let (prefix, key) = try identifier.split()
        var entity = SearchEntity.attribute
        if let prefix {
            guard let named = prefixes[prefix] else {
                throw YardError.invalid("Invalid entity type '\(prefix)'. Valid values are \(listing(prefixNames))")
            }
            entity = named
        }
        switch entity {
        case .attribute:
            let canonical = attributeAliases[key] ?? key
            guard allowed.contains(canonical) else {
                let spellings = allowed.union(attributeAliases.filter { allowed.contains($0.value) }.keys)
                throw YardError.invalid("Invalid attribute key '\(key)' specified. Valid keys are \(listing(spellings.sorted()))")
            }
            return (.attribute, canonical)
        case .dataset:
            guard datasetKeys.contains(key) else {
                throw YardError.invalid("Invalid dataset key '\(key)' specified. Valid keys are \(listing(datasetKeys.sorted()))")
            }
            return (.dataset, key)
        case .metric, .param, .tag:
            return (entity, key)
        }
    }

    func clause(from comparison: RawComparison) throws -> SearchClause {
        let (entity, key) = try resolve(comparison.identifier, attributes: Set(attributes.keys))
        guard let field = entity == .attribute ? attributes[key] : entities[entity] else {
            throw YardError.invalid("\(entity.noun.capitalized) '\(key)' cannot be used in this search.")
        }
        let comparator = comparison.comparator
        guard field.comparators.contains(comparator) else {
            throw YardError.invalid(
                "Invalid comparator '\(comparator.rawValue)' for \(entity.noun) '\(key)'. "
                    + "Valid comparators are \(listing(field.comparators.map(\.rawValue)))")
        }
        let operand = comparison.operand
        switch (comparator, operand.value, field.operand) {
        case (.isNull, _, _), (.isNotNull, _, _):
            return SearchClause(entity: entity, key: key, comparator: comparator, value: .none)
        case (.isIn, .list(let items), _), (.notIn, .list(let items), _):
            return SearchClause(entity: entity, key: key, comparator: comparator, value: .list(items))
        case (.isIn, _, _), (.notIn, _, _):
            throw YardError.invalid(
                "Expected a parenthesised list of quoted strings after \(comparator.rawValue), e.g. ('a', 'b'). "
                    + "Got value \(operand.text)")
        case (_, .number(let number), .number):
            return SearchClause(entity: entity, key: key, comparator: comparator, value: .number(number))
        case (_, .string(let string), .string):
            return SearchClause(entity: entity, key: key, comparator: comparator, value: .string(string))
        case (_, _, .number):
            // MLflow's wording, matched by its tests.
            let subject = entity == .metric ? "metric" : "numeric \(entity.noun): \(key)"
            throw YardError.invalid("Expected numeric value type for \(subject). Found \(operand.text)")
        case (_, _, .string):
            let subject = entity == .param || entity == .tag ? entity.noun : "\(entity.noun) '\(key)'"
            throw YardError.invalid(
                "Expected a quoted string value for \(subject) (e.g. 'my-value'). Got value \(operand.text)")
        }
    }
}

private extension SearchEntity {
    var noun: String {
        switch self {
        case .metric: "metric"
        case .param: "parameter"
        case .tag: "tag"
        case .attribute: "attribute"
        case .dataset: "dataset"
        }
    }
}

/// Python-style `['a', 'b']`, the shape MLflow's messages use.
private func listing(_ items: [String]) -> String {
    "[" + items.map { "'\($0)'" }.joined(separator: ", ") + "]"
}

// MARK: - Syntax

/// An identifier as written: bare runs and quoted (backtick or double-quote) runs, in order. The
/// quoting has to be kept until the split, because a dot inside quotes belongs to the key.
private struct RawIdentifier {
    struct Piece {
        var text: String
        var isQuoted: Bool
    }

    let pieces: [Piece]
    let text: String

    /// `<prefix>.<key>`, split at the first unquoted dot like MLflow's `split(".", 1)`, so `params.a.b`
    /// is key `a.b`. No unquoted dot means an attribute. Each side must be a single bare or quoted run.
    func split() throws -> (prefix: String?, key: String) {
        guard let index = pieces.firstIndex(where: { !$0.isQuoted && $0.text.contains(".") }),
              let dot = pieces[index].text.firstIndex(of: ".")
        else {
            return (nil, try single(pieces))
        }
        let piece = pieces[index].text
        let before = Piece(text: String(piece[..<dot]), isQuoted: false)
        let after = Piece(text: String(piece[piece.index(after: dot)...]), isQuoted: false)
        return (try single(pieces[..<index] + [before]), try single([after] + pieces[(index + 1)...]))
    }

    private func single(_ parts: [Piece]) throws -> String {
        let written = parts.filter { $0.isQuoted || !$0.text.isEmpty }
        guard written.count == 1, let only = written.first, !only.text.isEmpty else {
            throw YardError.invalid(
                "Invalid identifier '\(text)'. Columns should be specified as 'attribute.<key>', "
                    + "'metric.<key>', 'tag.<key>', 'dataset.<key>', or 'param.<key>'.")
        }
        return only.text
    }
}

private struct RawOperand {
    enum Value {
        case string(String), number(Double), list([String])
        /// Unquoted text that is not a number (`abc`, `true`); only ever an error, but the text is kept for it.
        case word
        case none
    }

    let value: Value
    /// As written, quotes included: error messages show what the user typed.
    let text: String
}

private struct RawComparison {
    let identifier: RawIdentifier
    let comparator: SearchComparator
    let operand: RawOperand
}

/// A cursor over the filter text. What a token means depends on where it stands (`"x"` is a key on the
/// left of a comparator and a string on the right), so the grammar is scanned on demand rather than
/// tokenised up front.
private struct SearchScanner {
    private let characters: [Character]
    private var position = 0

    init(_ text: String) {
        characters = Array(text)
    }

    var atEnd: Bool { position >= characters.count }
    private var next: Character? { atEnd ? nil : characters[position] }

    /// The unread text, quoted, for "got …" in error messages.
    var rest: String {
        let text = String(characters[position...]).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "end of input" : "'\(text)'"
    }

    private func text(from start: Int) -> String {
        String(characters[start..<position])
    }

    mutating func skipWhitespace() {
        while let character = next, character.isWhitespace { position += 1 }
    }

    private static func endsWord(_ character: Character) -> Bool {
        character.isWhitespace || "=!<>(),'\"`".contains(character)
    }

    /// Unquoted text up to the next delimiter: a bare key, a keyword or a number. Dashes, colons and
    /// slashes stay in, since MLflow names may contain them.
    mutating func word() -> String {
        let start = position
        while let character = next, !Self.endsWord(character) { position += 1 }
        return text(from: start)
    }

    /// The body of a string or quoted identifier starting at the current quote character. MLflow only
    /// trims the quotes, so there is no escape syntax to undo.
    private mutating func quoted(_ what: String) throws -> String {
        let start = position
        let quote = characters[position]
        position += 1
        while let character = next, character != quote { position += 1 }
        guard !atEnd else {
            throw YardError.invalid("Unterminated quoted \(what) \(text(from: start)) (missing closing \(quote)).")
        }
        position += 1
        return String(characters[(start + 1)..<(position - 1)])
    }

    private static let orError = YardError.invalid("Invalid clause(s) in filter string: 'OR'")

    mutating func comparison(afterAnd: Bool) throws -> RawComparison {
        skipWhitespace()
        let start = position
        if atEnd || word().uppercased() == "AND" {
            position = start
            let place = afterAnd ? " after AND" : ""
            throw YardError.invalid("Expected a comparison such as metrics.loss < 0.5\(place), got \(rest).")
        }
        position = start
        if next == "(" {
            throw YardError.invalid(
                "Invalid clause(s) in filter string: \(rest). Parentheses for grouping are not supported; "
                    + "join comparisons with AND.")
        }
        let identifier = try self.identifier()
        if identifier.text.uppercased() == "OR" { throw Self.orError }
        let comparator = try self.comparator(after: identifier.text)
        if comparator == .isNull || comparator == .isNotNull {
            return RawComparison(identifier: identifier, comparator: comparator, operand: RawOperand(value: .none, text: ""))
        }
        return RawComparison(identifier: identifier, comparator: comparator, operand: try operand(after: comparator))
    }

    /// Whether another comparison follows, i.e. the next word is AND. Anything else but the end is an error.
    mutating func conjunction() throws -> Bool {
        skipWhitespace()
        if atEnd { return false }
        let start = position
        switch word().uppercased() {
        case "AND": return true
        case "OR": throw Self.orError
        default:
            position = start
            throw YardError.invalid("Invalid clause(s) in filter string: \(rest). Comparisons must be joined with AND.")
        }
    }

    mutating func identifier() throws -> RawIdentifier {
        skipWhitespace()
        let start = position
        var pieces: [RawIdentifier.Piece] = []
        while let character = next {
            if character == "`" || character == "\"" {
                pieces.append(.init(text: try quoted("identifier"), isQuoted: true))
            } else if !Self.endsWord(character) {
                pieces.append(.init(text: word(), isQuoted: false))
            } else {
                break
            }
        }
        guard !pieces.isEmpty else {
            throw YardError.invalid("Expected an identifier such as metrics.loss or params.alpha, got \(rest).")
        }
        return RawIdentifier(pieces: pieces, text: text(from: start))
    }

    private static let symbols: [(String, SearchComparator)] = [
        ("<=", .lessOrEqual), (">=", .greaterOrEqual), ("!=", .notEqual),
        ("<", .less), (">", .greater), ("=", .equal),
    ]

    private mutating func comparator(after identifier: String) throws -> SearchComparator {
        skipWhitespace()
        let start = position
        for (symbol, comparator) in Self.symbols where characters[position...].starts(with: symbol) {
            position += symbol.count
            return comparator
        }
        let missing = YardError.invalid(
            "Expected a comparator (=, !=, <, <=, >, >=, LIKE, ILIKE, IN, NOT IN, IS NULL, IS NOT NULL) "
                + "after '\(identifier)', got \(rest).")
        switch word().uppercased() {
        case "LIKE": return .like
        case "ILIKE": return .ilike
        case "IN": return .isIn
        case "NOT":
            try keyword("IN", after: "NOT")
            return .notIn
        case "IS":
            skipWhitespace()
            let afterIs = rest
            switch word().uppercased() {
            case "NULL": return .isNull
            case "NOT":
                try keyword("NULL", after: "IS NOT")
                return .isNotNull
            default: throw YardError.invalid("Expected NULL or NOT NULL after IS, got \(afterIs).")
            }
        default:
            position = start
            throw missing
        }
    }

    private mutating func keyword(_ expected: String, after previous: String) throws {
        skipWhitespace()
        let found = rest
        guard word().uppercased() == expected else {
            throw YardError.invalid("Expected \(expected) after \(previous), got \(found).")
        }
    }

    private mutating func operand(after comparator: SearchComparator) throws -> RawOperand {
        skipWhitespace()
        let start = position
        let value: RawOperand.Value
        switch next {
        case "'", "\"":
            value = .string(try quoted("string"))
        case "(":
            value = .list(try stringList())
        default:
            let word = word()
            guard !word.isEmpty else {
                throw YardError.invalid("Expected a value after '\(comparator.rawValue)', got \(rest).")
            }
            value = Self.number(word).map(RawOperand.Value.number) ?? .word
        }
        return RawOperand(value: value, text: text(from: start))
    }

    /// `('a', "b")`: the only place parentheses are allowed.
    private mutating func stringList() throws -> [String] {
        let start = position
        position += 1
        skipWhitespace()
        if next == ")" {
            throw YardError.invalid(
                "While parsing a list in the query, expected a non-empty list of string values, but got empty list")
        }
        var items: [String] = []
        while true {
            skipWhitespace()
            guard next == "'" || next == "\"" else { throw illFormedList(from: start) }
            items.append(try quoted("string"))
            if items.count > Validation.maxFilterListValues {
                throw YardError.invalid(
                    "Invalid filter string: an IN list holds more than \(Validation.maxFilterListValues) values. "
                        + "A filter may hold at most \(Validation.maxFilterListValues) values in IN / NOT IN lists altogether.")
            }
            skipWhitespace()
            switch next {
            case ",": position += 1
            case ")":
                position += 1
                return items
            default: throw illFormedList(from: start)
            }
        }
    }

    private func illFormedList(from start: Int) -> YardError {
        let tail = characters[start...]
        let shown = tail.firstIndex(of: ")").map { String(tail[...$0]) } ?? String(tail)
        return YardError.invalid(
            "While parsing a list in the query, expected a non-empty list of quoted string values, "
                + "but got ill-formed list: \(shown)")
    }

    /// SQL-style numeric literals only: `Double(_:)` alone would also take `nan`, `inf` and hex floats.
    private static func number(_ word: String) -> Double? {
        let digits = word.drop(while: { $0 == "-" || $0 == "+" })
        guard word.count - digits.count <= 1, let first = digits.first, first.isASCII,
              first.isNumber || (first == "." && digits.dropFirst().first?.isNumber == true),
              digits.allSatisfy({ $0.isASCII && ($0.isNumber || ".eE+-".contains($0)) })
        else { return nil }
        return Double(word)
    }
}
