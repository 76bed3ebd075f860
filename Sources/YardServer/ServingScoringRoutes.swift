import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix
import YardCore
import YardServing

/// The MLflow scoring protocol per deployment: `POST /serving/{name}/invocations` (JSON in any of
/// MLflow's four shapes, or CSV) and `GET /serving/{name}/ping`. `yard serve` mounts the same handlers
/// at `/invocations` and `/ping` for its one deployment. Errors are MLflow's `{"error_code", "message"}`.
struct ServingScoringRoutes {
    let serving: ServingComponents
    let predictor: DeploymentPredictor

    static let predictionIdHeader = HTTPField.Name("x-prediction-id")!
    static let modelVersionHeader = HTTPField.Name("x-model-version")!
    static let modelNameHeader = HTTPField.Name("x-model-name")!
    static let roleHeader = HTTPField.Name("x-deployment-role")!
    /// Requests with more rows than this are evaluated on NIO's thread pool rather than the cooperative
    /// pool, so one large batch cannot stall every other request.
    static let inlineRowLimit = 512

    func register(on router: Router<YardRequestContext>) {
        router.post("/serving/:deployment/invocations") { request, context in
            try await invocations(request, deployment: try Self.deploymentName(context))
        }
        router.get("/serving/:deployment/ping") { _, context in
            try ping(deployment: try Self.deploymentName(context))
        }
    }

    /// The routes of a standalone model server, answering for `deployment` only.
    func registerStandalone(on router: Router<YardRequestContext>, deployment: String) {
        router.post("/invocations") { request, _ in try await invocations(request, deployment: deployment) }
        router.get("/ping") { _, _ in try ping(deployment: deployment) }
        router.get("/health") { _, _ in try ping(deployment: deployment) }
    }

    static func deploymentName(_ context: YardRequestContext) throws -> String {
        try NativeRoutes.pathParameter(context, "deployment")
    }

    func ping(deployment name: String) throws -> Response {
        guard let deployment = serving.deployments.deployment(named: name) else { throw DeploymentErrors.notFound(name) }
        guard deployment.route() != nil else { throw DeploymentErrors.notReady(name, reason: deployment.notReadyReason) }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "\n")))
    }

    func invocations(_ request: Request, deployment name: String) async throws -> Response {
        let start = ContinuousClock.now
        guard let deployment = serving.deployments.deployment(named: name) else { throw DeploymentErrors.notFound(name) }
        var labels = ServingMetrics.RequestLabels(deployment: name, model: "", version: "", endpoint: "invocations")
        do {
            let routed = try predictor.route(deployment)
            labels.model = routed.model.name
            labels.version = routed.model.version
            let body = try await Self.collect(request, limit: serving.settings.maxRequestBytes)
            let input: ScoringInput
            do {
                input = try ScoringCodec.parse(body: body, contentType: request.headers[.contentType])
            } catch {
                throw DeploymentPredictor.yardError(error)
            }
            let feeds: ModelFeeds
            do {
                feeds = try routed.model.package.feeds(for: input)
            } catch {
                throw DeploymentPredictor.yardError(error)
            }
            let outcome = try await predict(deployment, routed, feeds: feeds) { model throws(CodecError) in try model.feeds(for: input) }
            let bytes = ScoringCodec.render(outputs: outcome.outputs, for: input)
            serving.metrics.request(labels, outcome: .ok, elapsed: ContinuousClock.now - start)
            return Self.answer(bytes, outcome)
        } catch let error as YardError {
            serving.metrics.request(labels, outcome: Self.outcome(error), elapsed: ContinuousClock.now - start)
            throw error
        }
    }

    /// Runs the prediction inline for small requests, on the thread pool for large ones.
    func predict(_ deployment: ServingDeployment, _ routed: (role: DeploymentRole, model: LoadedModel<ServableModel>), feeds: ModelFeeds,
                 shadowFeeds: @escaping @Sendable (ServableModel) throws(CodecError) -> ModelFeeds) async throws -> PredictionOutcome {
        let predictor = self.predictor
        if feeds.rows <= Self.inlineRowLimit {
            return try predictor.predict(on: deployment, routed: routed, feeds: feeds, shadowFeeds: shadowFeeds)
        }
        return try await NIOThreadPool.singleton.runIfActive {
            try predictor.predict(on: deployment, routed: routed, feeds: feeds, shadowFeeds: shadowFeeds)
        }
    }

    static func answer(_ bytes: [UInt8], _ outcome: PredictionOutcome) -> Response {
        var buffer = ByteBuffer()
        buffer.writeBytes(bytes)
        return Response(status: .ok, headers: headers(outcome), body: .init(byteBuffer: buffer))
    }

    static func headers(_ outcome: PredictionOutcome) -> HTTPFields {
        [.contentType: "application/json", predictionIdHeader: outcome.id, modelVersionHeader: outcome.model.version,
         modelNameHeader: outcome.model.name, roleHeader: outcome.role.rawValue]
    }

    static func outcome(_ error: YardError) -> ServingMetrics.Outcome {
        if error.code == .temporarilyUnavailable { return .notReady }
        return error.code.httpStatus >= 500 ? .serverError : .clientError
    }

    /// The whole body, or 413 naming the limit.
    static func collect(_ request: Request, limit: Int) async throws -> [UInt8] {
        var request = request
        do {
            let buffer = try await request.collectBody(upTo: limit)
            return Array(buffer.readableBytesView)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw tooLarge(limit)
        } catch is NIOTooManyBytesError {
            throw tooLarge(limit)
        }
    }

    static func tooLarge(_ limit: Int) -> YardError {
        YardError(.contentTooLarge, "The request body is larger than the serving limit of \(limit) bytes; send fewer rows per request (the limit is ServingSettings.maxRequestBytes; `yard serve --max-request-size` sets it).")
    }
}
