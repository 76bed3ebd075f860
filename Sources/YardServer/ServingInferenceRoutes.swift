import Foundation
import Hummingbird
import YardCore
import YardJSON
import YardServing

/// The Open Inference Protocol v2 (KServe, Triton, MLServer) over REST; a model name is a deployment
/// name. Errors are `{"error": message}` as the protocol asks.
/// - `GET /v2/health/live`, `GET /v2/health/ready` (503 until every deployment has a model loaded), `GET /v2`
/// - `GET /v2/models/{name}[/versions/{v}]`, `…/ready`, `POST …/infer`. Without a version, infer follows
///   the deployment's canary split; with one, it is answered by whichever role serves that version.
struct ServingInferenceRoutes {
    let serving: ServingComponents
    let scoring: ServingScoringRoutes

    static let extensions: [String] = []

    func register(on router: Router<YardRequestContext>) {
        router.get("/v2/health/live") { _, _ in Response.json(.object([("live", .bool(true))])) }
        router.get("/v2/health/ready") { _, _ in
            let ready = serving.deployments.all().allSatisfy { $0.route() != nil }
            return Response.json(.object([("ready", .bool(ready))]), status: ready ? .ok : .serviceUnavailable)
        }
        router.get("/v2") { _, _ in
            Response.json(.object([("name", .string("modelyard")), ("version", .string(mlflowCompatibleVersion)),
                                   ("extensions", .array(Self.extensions.map { .string($0) }))]))
        }
        router.get("/v2/models/:deployment") { _, context in
            try await v2 { try metadata(try ServingScoringRoutes.deploymentName(context), version: nil) }
        }
        router.get("/v2/models/:deployment/versions/:version") { _, context in
            try await v2 { try metadata(try ServingScoringRoutes.deploymentName(context), version: Self.version(context)) }
        }
        router.get("/v2/models/:deployment/ready") { _, context in
            try await v2 { try ready(try ServingScoringRoutes.deploymentName(context), version: nil) }
        }
        router.get("/v2/models/:deployment/versions/:version/ready") { _, context in
            try await v2 { try ready(try ServingScoringRoutes.deploymentName(context), version: Self.version(context)) }
        }
        router.post("/v2/models/:deployment/infer") { request, context in
            try await v2 { try await infer(request, try ServingScoringRoutes.deploymentName(context), version: nil) }
        }
        router.post("/v2/models/:deployment/versions/:version/infer") { request, context in
            try await v2 { try await infer(request, try ServingScoringRoutes.deploymentName(context), version: Self.version(context)) }
        }
    }

    static func version(_ context: YardRequestContext) -> String {
        context.parameters.get("version").map { $0.removingPercentEncoding ?? $0 } ?? ""
    }

    /// Runs a handler, answering its failures in the protocol's error shape.
    func v2(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as YardError {
            return Response.json(.object([("error", .string(error.message))]), status: HTTPResponse.Status(code: error.code.httpStatus))
        }
    }

    func deployment(_ name: String) throws -> ServingDeployment {
        guard let deployment = serving.deployments.deployment(named: name) else {
            throw YardError.notFound("Model '\(name)' is not served here; the v2 model name is a deployment name (GET /api/v1/deployments lists them).")
        }
        return deployment
    }

    /// The role serving `version`, or the routed one when no version is asked for.
    func model(_ deployment: ServingDeployment, version: String?) throws -> (role: DeploymentRole, model: LoadedModel<ServableModel>) {
        guard let version else { return try serving.predictorRoute(deployment) }
        for role in [DeploymentRole.primary, .canary, .shadow] {
            if let model = deployment.model(for: role), model.version == version { return (role, model) }
        }
        let serving = DeploymentRole.allCases.compactMap { deployment.model(for: $0)?.version }
        throw YardError.notFound("Deployment '\(deployment.name)' does not serve version '\(version.prefix(50))'; it serves \(serving.isEmpty ? "nothing yet" : serving.joined(separator: ", ")).")
    }

    func metadata(_ name: String, version: String?) throws -> Response {
        let deployment = try deployment(name)
        let chosen = try model(deployment, version: version)
        let versions = Array(Set(DeploymentRole.allCases.compactMap { deployment.model(for: $0)?.version })).sorted()
        let bytes = InferenceProtocolCodec.metadata(model: chosen.model.package, name: name, versions: versions)
        return Self.raw(bytes)
    }

    func ready(_ name: String, version: String?) throws -> Response {
        let deployment = try deployment(name)
        let ready = (try? model(deployment, version: version)) != nil
        return Response.json(.object([("name", .string(name)), ("ready", .bool(ready))]), status: ready ? .ok : .serviceUnavailable)
    }

    func infer(_ request: Request, _ name: String, version: String?) async throws -> Response {
        let start = ContinuousClock.now
        let deployment = try deployment(name)
        var labels = ServingMetrics.RequestLabels(deployment: name, model: "", version: "", endpoint: "v2_infer")
        do {
            let routed = try model(deployment, version: version)
            labels.model = routed.model.name
            labels.version = routed.model.version
            if let type = request.headers[.contentType], !type.lowercased().hasPrefix("application/json") {
                throw YardError(.unsupportedMediaType, "Content-Type '\(type.prefix(100))' is not supported; send the inference request as application/json.")
            }
            let body = try await ServingScoringRoutes.collect(request, limit: serving.settings.maxRequestBytes)
            let parsed: InferenceProtocolCodec.InferRequest
            do {
                parsed = try InferenceProtocolCodec.parseInfer(body: body, model: routed.model.package)
            } catch {
                throw DeploymentPredictor.yardError(error)
            }
            let outcome = try await scoring.predict(deployment, routed, feeds: parsed.feeds) { model throws(CodecError) in
                try InferenceProtocolCodec.parseInfer(body: body, model: model).feeds
            }
            let bytes = InferenceProtocolCodec.renderInfer(outputs: outcome.outputs, modelName: name, modelVersion: outcome.model.version,
                                                           id: parsed.id, requestedOutputs: parsed.requestedOutputs)
            serving.metrics.request(labels, outcome: .ok, elapsed: ContinuousClock.now - start)
            return ServingScoringRoutes.answer(bytes, outcome)
        } catch let error as YardError {
            serving.metrics.request(labels, outcome: ServingScoringRoutes.outcome(error), elapsed: ContinuousClock.now - start)
            throw error
        }
    }

    static func raw(_ bytes: [UInt8]) -> Response {
        var buffer = ByteBuffer()
        buffer.writeBytes(bytes)
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
    }
}

extension ServingComponents {
    func predictorRoute(_ deployment: ServingDeployment) throws -> (role: DeploymentRole, model: LoadedModel<ServableModel>) {
        try predictor.route(deployment)
    }
}
