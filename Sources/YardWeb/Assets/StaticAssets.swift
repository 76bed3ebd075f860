/// The UI's one stylesheet, one script and icon, compiled into the binary (no CDN, no web fonts, nothing
/// fetched from elsewhere). Their URLs carry a hash of the content, so browsers cache them for good and a
/// new binary is picked up at once.
public enum StaticAssets {
    public static let script = CoreScript.source + "\n" + ChartScript.source
    public static let stylesheet = Stylesheet.source
    public static let icon = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#1f6feb"/><path d="M4 12V4l4 5 4-5v8" fill="none" stroke="#fff" stroke-width="1.6"/></svg>
        """

    public static let scriptURL = WebLinks.asset("app.js") + "?v=" + fingerprint(script)
    public static let stylesheetURL = WebLinks.asset("app.css") + "?v=" + fingerprint(stylesheet)
    public static let iconURL = WebLinks.asset("icon.svg") + "?v=" + fingerprint(icon)

    static func routes() -> [WebRoute] {
        [
            asset("app.js", script, "text/javascript; charset=utf-8"),
            asset("app.css", stylesheet, "text/css; charset=utf-8"),
            asset("icon.svg", icon, "image/svg+xml"),
        ]
    }

    private static func asset(_ name: String, _ content: String, _ type: String) -> WebRoute {
        let bytes = Array(content.utf8)
        let tag = "\"" + fingerprint(content) + "\""
        return WebRoute(.get, WebLinks.asset(name)) { request in
            // Only a URL naming this very content may be cached for good.
            let cache = request.query("v") == fingerprint(content) ? "public, max-age=31536000, immutable" : "no-cache"
            return WebResponse(contentType: type, body: bytes, headers: [("Cache-Control", cache), ("ETag", tag)])
        }
    }

    /// FNV-1a, 64 bits, hex: enough to tell two versions of a file apart.
    static func fingerprint(_ content: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in content.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
