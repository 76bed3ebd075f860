import Hummingbird
import Logging
import YardCore

/// Turns every failure into the MLflow error shape. Domain errors keep their code and status; anything
/// unexpected becomes INTERNAL_ERROR and is logged, so a client error is never hidden behind a 500.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as YardError {
            if error.code.httpStatus >= 500 {
                context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            }
            return .error(error)
        } catch let error as HTTPError {
            switch error.status {
            case .notFound:
                return .error(YardError(.endpointNotFound, "No endpoint \(request.method) \(request.uri.path)"))
            case .contentTooLarge:
                return .error(.invalid("The request body is too large."))
            default:
                let code: YardError.Code = error.status.code < 500 ? .badRequest : .internalError
                return .error(YardError(code, error.body ?? error.status.reasonPhrase))
            }
        } catch {
            context.logger.error("request failed", metadata: ["path": "\(request.uri.path)", "error": "\(String(reflecting: error))"])
            return .error(YardError(.internalError, "Internal error: \(error)"))
        }
    }
}
