/// Placeholder until this area's pages land.
public enum ModelPages {
    public static func routes(_ services: WebServices) -> [WebRoute] { [] }
}
