/// The one error type every layer throws. Its `code` is an MLflow `ErrorCode` name, because the
/// MLflow client decides what to do (retry, create-if-missing) from the code and the HTTP status.
public struct YardError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case invalidParameterValue = "INVALID_PARAMETER_VALUE"
        case badRequest = "BAD_REQUEST"
        case resourceAlreadyExists = "RESOURCE_ALREADY_EXISTS"
        case resourceDoesNotExist = "RESOURCE_DOES_NOT_EXIST"
        case endpointNotFound = "ENDPOINT_NOT_FOUND"
        case permissionDenied = "PERMISSION_DENIED"
        case unauthenticated = "UNAUTHENTICATED"
        case invalidState = "INVALID_STATE"
        case notImplemented = "NOT_IMPLEMENTED"
        case internalError = "INTERNAL_ERROR"
        case temporarilyUnavailable = "TEMPORARILY_UNAVAILABLE"
        /// The state changed under the request (an alias moved between a decision and its write).
        case resourceConflict = "RESOURCE_CONFLICT"
        /// A body larger than the configured cap for its surface.
        case contentTooLarge = "CONTENT_TOO_LARGE"
        /// Accepting the upload would leave less free disk than the configured reserve.
        case insufficientStorage = "INSUFFICIENT_STORAGE"
        /// A body in a format the endpoint does not read (and that a browser could send cross-site).
        case unsupportedMediaType = "UNSUPPORTED_MEDIA_TYPE"

        /// HTTP status as MLflow maps it. RESOURCE_ALREADY_EXISTS is 400, not 409: the client relies on it.
        public var httpStatus: Int {
            switch self {
            case .invalidParameterValue, .badRequest, .resourceAlreadyExists: return 400
            case .unauthenticated: return 401
            case .permissionDenied: return 403
            case .resourceDoesNotExist, .endpointNotFound: return 404
            case .resourceConflict: return 409
            case .contentTooLarge: return 413
            case .unsupportedMediaType: return 415
            case .insufficientStorage: return 507
            case .notImplemented: return 501
            case .temporarilyUnavailable: return 503
            case .invalidState, .internalError: return 500
            }
        }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    public static func invalid(_ message: String) -> YardError { YardError(.invalidParameterValue, message) }
    public static func notFound(_ message: String) -> YardError { YardError(.resourceDoesNotExist, message) }

    public static func missingParameter(_ name: String) -> YardError {
        .invalid("Missing value for required parameter '\(name)'. See the API docs for more information about request parameters.")
    }
}
