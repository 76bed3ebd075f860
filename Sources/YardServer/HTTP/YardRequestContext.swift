import Foundation
import Hummingbird
import YardCore

/// Who is calling, as the server knows it. Until authentication exists every name is only claimed by
/// the client (a basic-auth user name or the CLI's `X-Yard-Actor` header), so the history says so.
public struct CallerIdentity: Sendable, Equatable {
    /// The caller's name after `CallerIdentity.sanitized`; nil when the request claimed none.
    public var name: String?
    /// True only once an authenticator has checked a credential. Nothing sets it yet.
    public var isVerified: Bool

    public static let anonymous = CallerIdentity(name: nil, isVerified: false)

    public init(name: String?, isVerified: Bool) {
        self.name = name
        self.isVerified = isVerified
    }

    /// What the append-only history records as the actor of a change.
    public var actor: String {
        guard let name else { return "anonymous" }
        return isVerified ? name : "\(name) (unverified)"
    }

    /// Longest name kept; longer claims are cut, so a client cannot bloat the append-only history.
    public static let maximumNameLength = 128

    /// A claimed name made safe to store and show: control and format characters removed (no terminal
    /// escapes or line breaks in `yard model history`), surrounding spaces trimmed, length capped.
    /// Returns nil when nothing printable is left.
    public static func sanitized(_ claimed: String) -> String? {
        var kept = String.UnicodeScalarView()
        for scalar in claimed.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned:
                continue
            default:
                kept.append(scalar)
            }
        }
        let trimmed = String(kept).trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { return nil }
        return String(trimmed.prefix(maximumNameLength))
    }

    /// The identity a request claims. Only the user-name half of a Basic credential is ever read: the
    /// password (or a token sent as `:token`, as some clients do) is never recorded anywhere.
    static func claimed(by request: Request) -> CallerIdentity {
        if let header = request.headers[.init("X-Yard-Actor")!], let name = sanitized(header) {
            return CallerIdentity(name: name, isVerified: false)
        }
        if let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("basic "),
           let data = Data(base64Encoded: String(authorization.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
           let credential = String(data: data, encoding: .utf8),
           let colon = credential.firstIndex(of: ":") {
            let user = String(credential[..<colon])
            if let name = sanitized(user) { return CallerIdentity(name: name, isVerified: false) }
        }
        return .anonymous
    }
}

/// The one request context every Modelyard route runs on. Middleware fills in what it learns (today the
/// caller's claimed identity); authentication will set a verified identity here, in one place.
public struct YardRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    public var identity: CallerIdentity

    public init(source: Source) {
        coreContext = .init(source: source)
        identity = .anonymous
    }

    /// Hummingbird's cap for bodies it decodes itself; every Modelyard surface passes its own limit
    /// (`BodyLimits`) when it collects a body, so this only guards code paths that forget to.
    public var maxUploadSize: Int { BodyLimits.defaultJSONBytes }
}

/// Reads the caller's identity once per request, before any route runs.
struct IdentityMiddleware: RouterMiddleware {
    typealias Context = YardRequestContext

    func handle(_ request: Request, context: YardRequestContext,
                next: (Request, YardRequestContext) async throws -> Response) async throws -> Response {
        var context = context
        context.identity = CallerIdentity.claimed(by: request)
        return try await next(request, context)
    }
}
