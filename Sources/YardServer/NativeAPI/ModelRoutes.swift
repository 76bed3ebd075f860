import Foundation
import Hummingbird
import YardCore
import YardRegistry

/// Promotion gates, rollback, history and lineage: the registry features MLflow does not have.
extension NativeRoutes {
    struct PromoteRequest: Decodable {
        var version: Int64
        var alias: String
        var dryRun: Bool?
    }

    struct RollbackRequest: Decodable {
        var alias: String
    }

    struct PolicyRequest: Decodable {
        var document: String
    }

    struct PolicyResponse: Encodable {
        var model: String
        var document: String
        var metricGates: [String]
        var requiredTags: [String]
        var requireDescription: Bool
        var requiredDatasets: [String]
        /// The aliases only promotion may move; nil (omitted) means every alias of the model.
        var protectedAliases: [String]?

        init(model: String, document: String, policy: PromotionPolicy) {
            self.model = model
            self.document = document
            metricGates = policy.metricGates.map(\.expression)
            requiredTags = policy.requiredTags
            requireDescription = policy.requireDescription
            requiredDatasets = policy.requiredDatasets
            protectedAliases = policy.protectedAliases
        }
    }

    struct RefusedPromotion: Encodable {
        var errorCode = "PROMOTION_REFUSED"
        var message: String
        var decision: PromotionDecision
    }

    struct RollbackResponse: Encodable {
        var model: String
        var alias: String
        var from: Int64
        var to: Int64
    }

    struct HistoryResponse: Encodable {
        struct Entry: Encodable {
            var sequence: Int64
            var version: Int64?
            var action: String
            var detail: String
            var actor: String
            var timestamp: Int64
        }
        var model: String
        var entries: [Entry]
    }

    func addModelRoutes(promotion: PromotionService, lineage: LineageService) {
        let limit = maxJSONBodyBytes
        router.put(RouterPath("/models/{name}/policy")) { request, context in
            let name = try Self.pathParameter(context, "name")
            // The policy is YAML; it may come raw or wrapped as {"document": "..."}.
            let document: String
            if request.headers[.contentType]?.hasPrefix("application/json") == true {
                document = try await Self.decode(PolicyRequest.self, from: request, limit: limit).document
            } else {
                var request = request
                document = String(buffer: try await request.collectBody(upTo: limit))
            }
            let policy = try await promotion.setPolicy(name: name, document: document, actor: context.identity.actor)
            return try Self.encode(PolicyResponse(model: name, document: document, policy: policy))
        }
        router.get(RouterPath("/models/{name}/policy")) { _, context in
            let name = try Self.pathParameter(context, "name")
            guard let (document, policy) = try await promotion.policy(name: name) else {
                throw YardError.notFound("Registered model '\(name)' has no promotion policy")
            }
            return try Self.encode(PolicyResponse(model: name, document: document, policy: policy))
        }
        router.post(RouterPath("/models/{name}/promote")) { request, context in
            let name = try Self.pathParameter(context, "name")
            let body = try await Self.decode(PromoteRequest.self, from: request, limit: limit)
            let decision = try await promotion.promote(name: name, version: body.version, alias: body.alias,
                                                       dryRun: body.dryRun ?? false, actor: context.identity.actor)
            if decision.passed || decision.dryRun { return try Self.encode(decision) }
            let failed = decision.gates.filter { !$0.passed }.map(\.gate).joined(separator: "; ")
            return try Self.encode(RefusedPromotion(
                message: "Promotion of \(name) version \(body.version) to '\(body.alias)' refused: failed gates: \(failed)",
                decision: decision), status: .unprocessableContent)
        }
        router.post(RouterPath("/models/{name}/rollback")) { request, context in
            let name = try Self.pathParameter(context, "name")
            let body = try await Self.decode(RollbackRequest.self, from: request, limit: limit)
            let moved = try await promotion.rollback(name: name, alias: body.alias, actor: context.identity.actor)
            return try Self.encode(RollbackResponse(model: name, alias: body.alias, from: moved.from, to: moved.to))
        }
        router.get(RouterPath("/models/{name}/history")) { _, context in
            let name = try Self.pathParameter(context, "name")
            let entries = try await promotion.history(name: name)
            return try Self.encode(HistoryResponse(model: name, entries: entries.map {
                .init(sequence: $0.sequence, version: $0.version, action: $0.action.rawValue, detail: $0.detail, actor: $0.actor, timestamp: $0.timestamp)
            }))
        }
        router.get(RouterPath("/lineage")) { request, _ in
            guard let uri = QueryString.pairs(request.uri.query).last(where: { $0.0 == "uri" })?.1, !uri.isEmpty else {
                throw YardError.missingParameter("uri")
            }
            return try Self.encode(try await lineage.lineage(of: uri))
        }
    }
}
