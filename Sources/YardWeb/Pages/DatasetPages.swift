/// Placeholder until this area's pages land.
public enum DatasetPages {
    public static func routes(_ services: WebServices) -> [WebRoute] { [] }
}
