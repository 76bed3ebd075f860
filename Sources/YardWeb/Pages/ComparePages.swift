/// Placeholder until this area's pages land.
public enum ComparePages {
    public static func routes(_ services: WebServices) -> [WebRoute] { [] }
}
