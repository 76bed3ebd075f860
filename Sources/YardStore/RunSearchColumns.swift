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
