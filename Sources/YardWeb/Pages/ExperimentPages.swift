/// Placeholder until this area's pages land.
public enum ExperimentPages {
    public static func routes(_ services: WebServices) -> [WebRoute] { [] }
}
