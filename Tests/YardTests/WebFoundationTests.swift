import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import YardServer
@testable import YardWeb

@Suite("Web UI foundation")
struct WebFoundationTests {
    @Test func textAndAttributesAreEscaped() {
        var html = HTML()
        html.element("p", [Attribute("title", #""><img src=x onerror=alert(1)>"#)], text: "<script>alert('x')</script> & more")
        #expect(html.rendered == #"<p title="&quot;&gt;&lt;img src=x onerror=alert(1)&gt;">&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; more</p>"#)
    }

    @Test func onlyOwnAndHTTPLinksAreClickable() {
        var html = HTML()
        html.link("javascript:alert(1)", text: "bad")
        html.link("//evil.example/x", text: "protocol-relative")
        html.link("/ui/runs/abc", text: "good")
        html.link("https://example.com/data.csv", text: "external")
        #expect(!html.rendered.contains("href=\"javascript"))
        #expect(!html.rendered.contains("href=\"//evil"))
        #expect(html.rendered.contains(#"<a href="/ui/runs/abc">good</a>"#))
        #expect(html.rendered.contains(#"<a href="https://example.com/data.csv">external</a>"#))
    }

    @Test func linksEncodeSegmentsAndQueries() {
        #expect(WebLinks.model("a/b c") == "/ui/models/a%2Fb%20c")
        #expect(WebLinks.experiment("3", query: [("q", "metrics.acc > 0.9"), ("order", nil)]) == "/ui/experiments/3?q=metrics.acc%20%3E%200.9")
        #expect(WebLinks.compare(runs: ["a", "b"]) == "/ui/compare?runs=a%2Cb")
    }

    @Test func formatsValues() {
        #expect(Format.timestamp(0) == "1970-01-01 00:00:00")
        #expect(Format.timestamp(nil) == "–")
        #expect(Format.duration(start: 1000, end: 3500) == "2.5 s")
        #expect(Format.duration(start: 0, end: 3_725_000) == "1 h 2 min")
        #expect(Format.number(3) == "3")
        #expect(Format.number(0.123456789) == "0.123457")
        #expect(Format.number(.nan) == "NaN")
        #expect(Format.bytes(1536) == "1.5 KiB")
    }

    @Test func rootRedirectsAndUnknownPagesAreHTML404s() async throws {
        try await WebTestServer().run { _, client in
            let root = try await client.page("/")
            #expect(root.status == 302)
            #expect(root.header("Location") == "/ui/experiments")

            let missing = try await client.page("/ui/no-such-page")
            #expect(missing.status == 404)
            #expect(missing.header("Content-Type")?.hasPrefix("text/html") == true)
            #expect(missing.body.contains("There is no page at /ui/no-such-page"))
            #expect(missing.header("Content-Security-Policy")?.contains("script-src 'self'") == true)
        }
    }

    @Test func staticAssetsAreServedWithTheirFingerprint() async throws {
        try await WebTestServer().run { _, client in
            let script = try await client.page(StaticAssets.scriptURL)
            #expect(script.status == 200)
            #expect(script.header("Content-Type")?.hasPrefix("text/javascript") == true)
            #expect(script.header("Cache-Control")?.contains("immutable") == true)
            let stale = try await client.page(WebLinks.asset("app.css") + "?v=old")
            #expect(stale.status == 200)
            #expect(stale.header("Cache-Control") == "no-cache")
        }
    }

    @Test func pagesIssueATokenCookieOnce() async throws {
        try await WebTestServer().run { _, client in
            // A real page (the experiments list) hands out the token its forms need.
            let first = try await client.page("/ui/experiments")
            let cookie = try #require(first.header("Set-Cookie"))
            #expect(cookie.hasPrefix("yard_csrf="))
            #expect(cookie.contains("SameSite=Strict"))
            #expect(cookie.contains("HttpOnly"))
            let again = try await client.page("/ui/experiments", cookie: "yard_csrf=\(webTestToken)")
            #expect(again.header("Set-Cookie") == nil)
        }
    }

    @Test func tokenComparisonAndCookieParsing() {
        #expect(WebUIRoutes.cookie("yard_csrf", in: "a=b; yard_csrf=\(webTestToken)") == webTestToken)
        #expect(WebUIRoutes.cookie("yard_csrf", in: "yard_csrf=short") == nil)
        #expect(WebUIRoutes.constantTimeEqual("abc", "abc"))
        #expect(!WebUIRoutes.constantTimeEqual("abc", "abd"))
        #expect(WebUIRoutes.newToken().count == 64)
    }
}
