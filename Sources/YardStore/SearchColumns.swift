import YardCore

/// The schema both SQL stores share, as run search sees it: which column of `runs r` an MLflow attribute
/// name means. Kept in one place so a new attribute cannot reach one store and not the other.
public enum RunSearchColumns {
    public static func attribute(_ key: String) throws -> String {
        switch key {
        case "run_id": return "r.run_uuid"
        case "run_name": return "r.name"
        case "status": return "r.status"
        case "user_id": return "r.user_id"
        case "artifact_uri": return "r.artifact_uri"
        case "lifecycle_stage": return "r.lifecycle_stage"
        case "start_time", "created": return "r.start_time"
        case "end_time": return "r.end_time"
        default: throw YardError.invalid("Invalid attribute key '\(key)' specified.")
        }
    }
}

/// The same for experiment search over `experiments e`.
public enum ExperimentSearchColumns {
    public static func attribute(_ key: String) throws -> String {
        switch key {
        case "name": return "e.name"
        case "experiment_id": return "e.experiment_id"
        case "creation_time": return "e.creation_time"
        case "last_update_time": return "e.last_update_time"
        default: throw YardError.invalid("Invalid attribute key '\(key)' specified.")
        }
    }

    /// Experiment ids are compared as numbers, as MLflow's are; an id that is not one matches nothing (-1).
    public static func numericId(_ value: SearchValue) -> SearchValue {
        switch value {
        case .string(let text): return .number(Double(text) ?? -1)
        case .list(let items): return .list(items.map { String(Int64($0) ?? -1) })
        default: return value
        }
    }

    public static func orderTerm(_ order: SearchOrder) throws -> String {
        let direction = order.ascending ? "ASC" : "DESC"
        guard order.entity == .attribute, ["name", "experiment_id", "creation_time", "last_update_time"].contains(order.key) else {
            throw YardError.invalid("Invalid order_by entity: \(order.key)")
        }
        return "e.\(order.key) \(direction)"
    }
}
