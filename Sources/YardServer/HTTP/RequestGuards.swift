import Foundation
import HTTPTypes
import Hummingbird
import YardCore

/// Refuses requests whose `Host` header names a host this server was not started for. A web page on
/// another origin can make a browser resolve its own name to 127.0.0.1 (DNS rebinding) and then read the
/// answers as same-origin; such requests still carry the page's host name, so checking it closes the hole.
/// IP literals are always accepted: a rebinding attack needs a name, and a request to an address is the
/// ordinary way non-browser clients on other machines reach a server bound to 0.0.0.0.
struct HostAllowListMiddleware: RouterMiddleware {
    typealias Context = YardRequestContext
    let allowed: HostAllowList
    static let hostField = HTTPField.Name("Host")!

    func handle(_ request: Request, context: YardRequestContext,
                next: (Request, YardRequestContext) async throws -> Response) async throws -> Response {
        // HTTP/1 servers turn the Host header into the request's authority; a header left as a field (from
        // in-process test clients) is checked the same way.
        for host in [request.head.authority, request.headers[Self.hostField]].compactMap({ $0 }) where !allowed.accepts(host) {
            throw YardError(.permissionDenied,
                            "Host '\(host.prefix(200))' is not allowed. If this server should answer to that name, restart it with --allowed-hosts \(HostAllowList.hostName(of: host).prefix(200)).")
        }
        return try await next(request, context)
    }
}

public struct HostAllowList: Sendable {
    let names: Set<String>
    let acceptsAny: Bool

    /// The bound address, the loopback names and whatever `--allowed-hosts` adds.
    public init(boundHost: String, configured: [String]?) {
        var names: Set<String> = ["localhost"]  // loopback addresses pass as IP literals
        if !boundHost.isEmpty { names.insert(boundHost.lowercased()) }
        var acceptsAny = false
        for entry in configured ?? [] {
            let name = entry.trimmingCharacters(in: .whitespaces).lowercased()
            if name == "*" { acceptsAny = true } else if !name.isEmpty { names.insert(Self.hostName(of: name)) }
        }
        self.names = names
        self.acceptsAny = acceptsAny
    }

    func accepts(_ hostHeader: String) -> Bool {
        if acceptsAny { return true }
        let name = Self.hostName(of: hostHeader.lowercased())
        if names.contains(name) || Self.isIPLiteral(name) { return true }
        // `*.localhost` always resolves to loopback (RFC 6761), so it cannot be rebound.
        return name.hasSuffix(".localhost")
    }

    /// `example.com:5000` → `example.com`; `[::1]:5000` → `::1`.
    static func hostName(of header: String) -> String {
        if header.hasPrefix("["), let close = header.firstIndex(of: "]") {
            return String(header[header.index(after: header.startIndex)..<close])
        }
        if let colon = header.lastIndex(of: ":"), header.firstIndex(of: ":") == colon {
            return String(header[..<colon])
        }
        return header
    }

    static func isIPLiteral(_ name: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, name, &v4) == 1 || inet_pton(AF_INET6, name, &v6) == 1
    }
}

/// A page on another site can send a "simple" cross-site POST (form or text/plain body) without any
/// preflight, so a state-changing native endpoint reachable that way could be triggered by any web page
/// the user visits (a rollback, a promotion). Browsers preflight every POST with `application/json`, and
/// every PUT and DELETE, so requiring JSON on POST is enough to make those requests impossible.
struct JSONPostMiddleware: RouterMiddleware {
    typealias Context = YardRequestContext

    func handle(_ request: Request, context: YardRequestContext,
                next: (Request, YardRequestContext) async throws -> Response) async throws -> Response {
        if request.method == .post, !Self.isJSON(request.headers[.contentType]) {
            throw YardError(.unsupportedMediaType,
                            "Content-Type must be application/json for POST \(request.uri.path); got '\(request.headers[.contentType] ?? "none")'.")
        }
        return try await next(request, context)
    }

    static func isJSON(_ contentType: String?) -> Bool {
        guard let contentType else { return false }
        let mediaType = contentType.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        return mediaType == "application/json"
    }
}
