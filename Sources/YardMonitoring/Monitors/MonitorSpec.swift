import YardCore
import YardJSON

/// A validated monitor definition (the issue-15 monitor spec); `json` is its canonical document, the
/// one stored and returned by the API.
public struct MonitorSpec: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        case deployment(String)
        case stream(String)

        /// The deployment name the prediction log keeps the records under.
        public var logName: String {
            switch self {
            case .deployment(let name): return name
            case .stream(let name): return "stream:" + name
            }
        }

        /// For reports and gauges: `deployment:churn`, `stream:clicks`.
        public var label: String {
            switch self {
            case .deployment(let name): return "deployment:" + name
            case .stream(let name): return "stream:" + name
            }
        }
    }

    public enum Window: Sendable, Equatable {
        case lastRecords(Int)
        case lastSeconds(Int)
    }

    public struct Reference: Sendable, Equatable {
        public var dataset: String
        public var digest: String
    }

    public struct QualitySettings: Sendable, Equatable {
        /// nil: inferred from the values, as `yard quality` does.
        public var task: QualityTask?
        public var positiveLabel: String?
        public var sensitive: String?
        public var privileged: String?
    }

    public enum Action: Sendable, Equatable {
        case webhook(url: String, retries: Int, timeoutSeconds: Int)
        case pipeline(workspace: String, stage: String, timeoutSeconds: Int)
    }

    public static let maxWindowRecords = 100_000
    public static let maxWindowSeconds = 366 * 86_400
    public static let maxWebhookRetries = 10

    public var name: String
    public var json: JSONValue
    public var source: Source
    public var reference: Reference
    public var window: Window
    /// 0: evaluated only on demand.
    public var scheduleSeconds: Int
    public var columns: ColumnMapping
    public var quality: QualitySettings?
    public var rules: [AlertRule]
    public var actions: [String: Action]

    /// A spec already validated (e.g. read back from the store). A document that no longer parses keeps
    /// its name and JSON with an empty definition, so it can still be listed and deleted.
    public init(name: String, json: JSONValue) {
        if let parsed = try? MonitorSpec(parsing: json), parsed.name == name {
            self = parsed
        } else {
            self.name = name
            self.json = json
            self.source = .deployment(name)
            self.reference = Reference(dataset: "", digest: "")
            self.window = .lastRecords(1)
            self.scheduleSeconds = 0
            self.columns = ColumnMapping()
            self.quality = nil
            self.rules = []
            self.actions = [:]
        }
    }

    public static func == (lhs: MonitorSpec, rhs: MonitorSpec) -> Bool {
        lhs.name == rhs.name && lhs.json == rhs.json
    }

    /// Validates the whole document; the error names the field, e.g.
    /// "window.last_records must be a positive integer (at most 100000), got -3."
    public init(parsing document: JSONValue) throws {
        let root = try SpecObject(document, path: "", allowed: ["name", "source", "reference", "window", "schedule_seconds",
                                                                 "columns", "quality", "rules", "actions"])
        name = try root.requiredString("name")
        try Self.validateName(name, field: "name")

        let sourceObject = try SpecObject(try root.required("source"), path: "source", allowed: ["deployment", "stream"])
        switch (sourceObject["deployment"], sourceObject["stream"]) {
        case (.some, nil):
            let deployment = try sourceObject.requiredString("deployment")
            try Self.validateName(deployment, field: "source.deployment")
            source = .deployment(deployment)
        case (nil, .some):
            let stream = try sourceObject.requiredString("stream")
            try Self.validateName(stream, field: "source.stream")
            source = .stream(stream)
        default:
            throw YardError.invalid("source must name exactly one of 'deployment' (a deployment's prediction log) or 'stream' (a record stream), e.g. {\"deployment\": \"churn\"}.")
        }

        let referenceObject = try SpecObject(try root.required("reference"), path: "reference", allowed: ["dataset", "digest"])
        reference = Reference(dataset: try referenceObject.requiredString("dataset"), digest: try referenceObject.requiredString("digest"))
        guard reference.digest.allSatisfy(\.isHexDigit) else {
            throw YardError.invalid("reference.digest must be the dataset version's hex digest (or a prefix of it), got '\(reference.digest.prefix(80))'.")
        }

        let windowObject = try SpecObject(try root.required("window"), path: "window", allowed: ["last_records", "last_seconds"])
        switch (windowObject["last_records"], windowObject["last_seconds"]) {
        case (.some, nil):
            window = .lastRecords(try windowObject.integer("last_records", range: 1...Self.maxWindowRecords, meaning: "a positive integer"))
        case (nil, .some):
            window = .lastSeconds(try windowObject.integer("last_seconds", range: 1...Self.maxWindowSeconds, meaning: "a positive integer"))
        default:
            throw YardError.invalid("window must have exactly one of 'last_records' (the newest N records) or 'last_seconds' (records of the last N seconds).")
        }

        scheduleSeconds = root["schedule_seconds"] == nil
            ? 0 : try root.integer("schedule_seconds", range: 0...(7 * 86_400), meaning: "a whole number of seconds (0: only on demand)")

        if let columnsJSON = root["columns"] {
            do {
                columns = try ColumnMapping(json: columnsJSON)
                try DriftOptions(mapping: columns).validate()
            } catch let error as DriftError {
                let message = error.message.hasPrefix("columns") ? error.message : "columns: " + error.message
                throw YardError.invalid(message)
            }
        } else {
            columns = ColumnMapping()
        }

        if let qualityJSON = root["quality"] {
            let object = try SpecObject(qualityJSON, path: "quality", allowed: ["task", "positive_label", "sensitive", "privileged"])
            var task: QualityTask?
            if let taskText = try object.optionalString("task") {
                guard let known = QualityTask(rawValue: taskText) else {
                    throw YardError.invalid("quality.task must be 'classification' or 'regression', got '\(taskText.prefix(80))'.")
                }
                task = known
            }
            let settings = QualitySettings(task: task, positiveLabel: try object.scalarText("positive_label"),
                                           sensitive: try object.optionalString("sensitive"), privileged: try object.scalarText("privileged"))
            if settings.task == .regression, settings.sensitive != nil {
                throw YardError.invalid("quality.sensitive needs a classification task: fairness compares the groups' positive decisions.")
            }
            if settings.privileged != nil, settings.sensitive == nil {
                throw YardError.invalid("quality.privileged needs quality.sensitive, the column whose groups it compares.")
            }
            quality = settings
        } else {
            quality = nil
        }

        var actions: [String: Action] = [:]
        var actionOrder: [String] = []
        if let actionsJSON = root["actions"] {
            guard case .object(let members) = actionsJSON else {
                throw YardError.invalid("actions must be an object of named actions, e.g. {\"notify\": {\"webhook\": {\"url\": \"https://…\"}}}.")
            }
            for (actionName, body) in members {
                guard !actionName.isEmpty, actionName.count <= 64 else {
                    throw YardError.invalid("actions: action names must be 1 to 64 characters.")
                }
                guard actions[actionName] == nil else { throw YardError.invalid("actions.\(actionName) is given twice.") }
                actions[actionName] = try Self.action(body, path: "actions.\(actionName)")
                actionOrder.append(actionName)
            }
        }
        self.actions = actions

        var rules: [AlertRule] = []
        if let rulesJSON = root["rules"] {
            guard case .array(let items) = rulesJSON else {
                throw YardError.invalid("rules must be a list of {\"name\": …, \"condition\": \"share_drifted > 0.3\"} objects.")
            }
            for (index, item) in items.enumerated() {
                let path = "rules[\(index)]"
                let object = try SpecObject(item, path: path, allowed: ["name", "condition", "actions"])
                let ruleName = try object.requiredString("name")
                guard ruleName.count <= 64 else { throw YardError.invalid("\(path).name must be at most 64 characters.") }
                guard !rules.contains(where: { $0.name == ruleName }) else {
                    throw YardError.invalid("\(path).name: another rule is already named '\(ruleName)'; rule names must be unique.")
                }
                let conditionText = try object.requiredString("condition")
                let condition: AlertCondition
                do {
                    condition = try AlertCondition(parsing: conditionText)
                } catch {
                    throw YardError.invalid("\(path).condition: \(error.description) in '\(conditionText.prefix(200))'.")
                }
                var ruleActions: [String] = []
                if let listed = object["actions"] {
                    guard case .array(let names) = listed else {
                        throw YardError.invalid("\(path).actions must be a list of action names defined under 'actions'.")
                    }
                    for (position, entry) in names.enumerated() {
                        guard case .string(let actionName) = entry, actions[actionName] != nil else {
                            let known = actionOrder.isEmpty ? "none is defined" : "defined: " + actionOrder.joined(separator: ", ")
                            throw YardError.invalid("\(path).actions[\(position)] must name an action defined under 'actions' (\(known)).")
                        }
                        if !ruleActions.contains(actionName) { ruleActions.append(actionName) }
                    }
                }
                rules.append(AlertRule(name: ruleName, condition: condition, actions: ruleActions))
            }
        }
        self.rules = rules

        json = .null
        json = canonicalJSON(actionOrder: actionOrder)
    }

    static func validateName(_ name: String, field: String) throws {
        func plain(_ byte: UInt8) -> Bool {
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
        }
        let bytes = Array(name.utf8)
        guard bytes.count <= 64, let first = bytes.first, plain(first),
              bytes.allSatisfy({ plain($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }) else {
            throw YardError.invalid("\(field) '\(name.prefix(200))' is not a valid name: use 1 to 64 letters, digits, '-', '_' or '.', starting with a letter or digit.")
        }
    }

    static func action(_ body: JSONValue, path: String) throws -> Action {
        let object = try SpecObject(body, path: path, allowed: ["webhook", "pipeline"])
        switch (object["webhook"], object["pipeline"]) {
        case (.some(let webhookJSON), nil):
            let webhook = try SpecObject(webhookJSON, path: "\(path).webhook", allowed: ["url", "retries", "timeout_seconds"])
            let url = try webhook.requiredString("url")
            let lowered = url.lowercased()
            guard lowered.hasPrefix("http://") || lowered.hasPrefix("https://"), url.count > 8, url.count <= 2048,
                  !url.contains(where: { $0.isWhitespace }) else {
                throw YardError.invalid("\(path).webhook.url must be an http:// or https:// URL, got '\(url.prefix(200))'.")
            }
            let retries = webhook["retries"] == nil ? 3 : try webhook.integer("retries", range: 0...maxWebhookRetries, meaning: "a whole number of retries")
            let timeout = webhook["timeout_seconds"] == nil ? 10 : try webhook.integer("timeout_seconds", range: 1...300, meaning: "a whole number of seconds")
            return .webhook(url: url, retries: retries, timeoutSeconds: timeout)
        case (nil, .some(let pipelineJSON)):
            let pipeline = try SpecObject(pipelineJSON, path: "\(path).pipeline", allowed: ["workspace", "stage", "timeout_seconds"])
            let workspace = try pipeline.requiredString("workspace")
            guard workspace.hasPrefix("/") else {
                throw YardError.invalid("\(path).pipeline.workspace must be an absolute path of a folder with a yard.yaml, got '\(workspace.prefix(200))'.")
            }
            let stage = try pipeline.requiredString("stage")
            guard !stage.hasPrefix("-"), !stage.contains(where: { $0.isWhitespace }) else {
                throw YardError.invalid("\(path).pipeline.stage must be a stage name from yard.yaml, got '\(stage.prefix(200))'.")
            }
            let timeout = pipeline["timeout_seconds"] == nil ? 3_600 : try pipeline.integer("timeout_seconds", range: 1...86_400, meaning: "a whole number of seconds")
            return .pipeline(workspace: workspace, stage: stage, timeoutSeconds: timeout)
        default:
            throw YardError.invalid("\(path) must have exactly one of 'webhook' ({\"url\": …}) or 'pipeline' ({\"workspace\": …, \"stage\": …}).")
        }
    }

    private func canonicalJSON(actionOrder: [String]) -> JSONValue {
        var members: [(String, JSONValue)] = [("name", .string(name))]
        switch source {
        case .deployment(let deployment): members.append(("source", .object([("deployment", .string(deployment))])))
        case .stream(let stream): members.append(("source", .object([("stream", .string(stream))])))
        }
        members.append(("reference", .object([("dataset", .string(reference.dataset)), ("digest", .string(reference.digest))])))
        switch window {
        case .lastRecords(let count): members.append(("window", .object([("last_records", .int(count))])))
        case .lastSeconds(let seconds): members.append(("window", .object([("last_seconds", .int(seconds))])))
        }
        members.append(("schedule_seconds", .int(scheduleSeconds)))
        members.append(("columns", columns.json))
        if let quality {
            var settings: [(String, JSONValue)] = []
            if let task = quality.task { settings.append(("task", .string(task.rawValue))) }
            if let positive = quality.positiveLabel { settings.append(("positive_label", .string(positive))) }
            if let sensitive = quality.sensitive { settings.append(("sensitive", .string(sensitive))) }
            if let privileged = quality.privileged { settings.append(("privileged", .string(privileged))) }
            members.append(("quality", .object(settings)))
        }
        members.append(("rules", .array(rules.map { rule in
            var fields: [(String, JSONValue)] = [("name", .string(rule.name)), ("condition", .string(rule.condition.description))]
            if !rule.actions.isEmpty { fields.append(("actions", .array(rule.actions.map { .string($0) }))) }
            return .object(fields)
        })))
        members.append(("actions", .object(actionOrder.compactMap { actionName in
            guard let action = actions[actionName] else { return nil }
            switch action {
            case .webhook(let url, let retries, let timeout):
                return (actionName, .object([("webhook", .object([("url", .string(url)), ("retries", .int(retries)),
                                                                   ("timeout_seconds", .int(timeout))]))]))
            case .pipeline(let workspace, let stage, let timeout):
                return (actionName, .object([("pipeline", .object([("workspace", .string(workspace)), ("stage", .string(stage)),
                                                                    ("timeout_seconds", .int(timeout))]))]))
            }
        })))
        return .object(members)
    }

    /// The canonical document as compact JSON text (what the store keeps).
    public var text: String {
        String(decoding: JSONWriter.bytes(json), as: UTF8.self)
    }
}

/// One object of the spec, with field paths for errors and a check for unknown keys.
struct SpecObject {
    let members: [(String, JSONValue)]
    let path: String

    init(_ value: JSONValue, path: String, allowed: [String]) throws {
        guard case .object(let members) = value else {
            throw YardError.invalid(path.isEmpty ? "A monitor spec must be a JSON object." : "\(path) must be an object.")
        }
        var seen = Set<String>()
        for (key, _) in members {
            guard allowed.contains(key) else {
                throw YardError.invalid("\(Self.join(path, key)) is not a field of \(path.isEmpty ? "a monitor spec" : path); expected \(allowed.joined(separator: ", ")).")
            }
            guard seen.insert(key).inserted else { throw YardError.invalid("\(Self.join(path, key)) is given twice.") }
        }
        self.members = members
        self.path = path
    }

    static func join(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : path + "." + key
    }

    subscript(key: String) -> JSONValue? {
        guard let value = members.first(where: { $0.0 == key })?.1, value != .null else { return nil }
        return value
    }

    func required(_ key: String) throws -> JSONValue {
        guard let value = self[key] else { throw YardError.invalid("\(Self.join(path, key)) is required.") }
        return value
    }

    func requiredString(_ key: String) throws -> String {
        guard case .string(let text) = try required(key), !text.isEmpty else {
            throw YardError.invalid("\(Self.join(path, key)) must be a non-empty string.")
        }
        return text
    }

    func optionalString(_ key: String) throws -> String? {
        guard self[key] != nil else { return nil }
        return try requiredString(key)
    }

    /// A string, number or boolean given as text (labels may be any of them).
    func scalarText(_ key: String) throws -> String? {
        switch self[key] {
        case nil: return nil
        case .string(let text)?: return text
        case .number(let text)?: return text
        case .bool(let flag)?: return flag ? "true" : "false"
        default: throw YardError.invalid("\(Self.join(path, key)) must be a string, number or boolean.")
        }
    }

    func integer(_ key: String, range: ClosedRange<Int>, meaning: String) throws -> Int {
        let field = Self.join(path, key)
        let shown: String
        switch self[key] {
        case .number(let text)?:
            if let value = Double(text), value == value.rounded(), value >= Double(range.lowerBound), value <= Double(range.upperBound) {
                return Int(value)
            }
            shown = text
        case let other?: shown = String(decoding: JSONWriter.bytes(other), as: UTF8.self)
        case nil: shown = "nothing"
        }
        throw YardError.invalid("\(field) must be \(meaning) from \(range.lowerBound) to \(range.upperBound), got \(shown.prefix(80)).")
    }
}
