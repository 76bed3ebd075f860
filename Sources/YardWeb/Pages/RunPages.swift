/// Placeholder until this area's pages land.
public enum RunPages {
    public static func routes(_ services: WebServices) -> [WebRoute] { [] }
}
