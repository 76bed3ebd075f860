import Hummingbird
import YardJSON

/// The deployments API's part of the native OpenAPI document, merged into `OpenAPIDocument` when the
/// document is served (so schemathesis covers these routes too).
enum ServingOpenAPI {
    static let paths = #"""
    {
      "/api/v1/deployments": {
        "get": {
          "summary": "List deployments with their status",
          "responses": {"200": {"description": "Deployments", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"deployments": {"type": "array", "items": {"$ref": "#/components/schemas/Deployment"}}}}}}},
            "4XX": {"$ref": "#/components/responses/Error"}}
        },
        "post": {
          "summary": "Create a deployment and load its models",
          "requestBody": {"required": true, "content": {"application/json": {"schema": {
            "type": "object", "required": ["name", "model_uri"], "additionalProperties": false,
            "properties": {
              "name": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"},
              "model_uri": {"type": "string", "examples": ["models:/churn@prod", "models:/churn/3"]},
              "canary_uri": {"type": ["string", "null"]},
              "canary_share": {"type": "number", "minimum": 0, "maximum": 1},
              "shadow_uri": {"type": ["string", "null"]},
              "log_sample_rate": {"type": "number", "minimum": 0, "maximum": 1}}}}}},
          "responses": {
            "200": {"description": "The deployment (ready false and last_load_error set when its model did not load)", "content": {"application/json": {"schema": {
              "type": "object", "properties": {"deployment": {"$ref": "#/components/schemas/Deployment"}}}}}},
            "4XX": {"$ref": "#/components/responses/Error"}}
        }
      },
      "/api/v1/deployments/{deployment}": {
        "parameters": [{"name": "deployment", "in": "path", "required": true, "schema": {"type": "string"}}],
        "get": {
          "summary": "A deployment's status: serving, canary and shadow versions, last load error",
          "responses": {"200": {"description": "The deployment", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"deployment": {"$ref": "#/components/schemas/Deployment"}}}}}},
            "4XX": {"$ref": "#/components/responses/Error"}}
        },
        "patch": {
          "summary": "Change a deployment (absent fields stay; null removes the canary or the shadow)",
          "requestBody": {"required": true, "content": {"application/json": {"schema": {
            "type": "object", "additionalProperties": false,
            "properties": {
              "model_uri": {"type": "string"}, "canary_uri": {"type": ["string", "null"]},
              "canary_share": {"type": "number", "minimum": 0, "maximum": 1}, "shadow_uri": {"type": ["string", "null"]},
              "log_sample_rate": {"type": "number", "minimum": 0, "maximum": 1}}}}}},
          "responses": {"200": {"description": "The deployment", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"deployment": {"$ref": "#/components/schemas/Deployment"}}}}}},
            "4XX": {"$ref": "#/components/responses/Error"}}
        },
        "delete": {
          "summary": "Delete a deployment (its prediction log is kept)",
          "responses": {"200": {"description": "Deleted", "content": {"application/json": {"schema": {"type": "object"}}}},
            "4XX": {"$ref": "#/components/responses/Error"}}
        }
      },
      "/api/v1/deployments/{deployment}/labels": {
        "parameters": [{"name": "deployment", "in": "path", "required": true, "schema": {"type": "string"}}],
        "post": {
          "summary": "Join ground-truth labels to logged predictions by prediction id",
          "requestBody": {"required": true, "content": {"application/json": {"schema": {
            "type": "object", "required": ["labels"],
            "properties": {"labels": {"type": "array", "items": {"type": "object", "required": ["prediction_id", "label"],
              "properties": {"prediction_id": {"type": "string"}, "label": {}}}}}}}}},
          "responses": {"200": {"description": "How many ids matched", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"received": {"type": "integer"}, "matched": {"type": "integer"}}}}}},
            "4XX": {"$ref": "#/components/responses/Error"}}
        }
      },
      "/api/v1/deployments/{deployment}/predictions": {
        "parameters": [{"name": "deployment", "in": "path", "required": true, "schema": {"type": "string"}}],
        "get": {
          "summary": "Read the prediction log, newest first",
          "parameters": [
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}},
            {"name": "page_token", "in": "query", "schema": {"type": "string"}},
            {"name": "role", "in": "query", "schema": {"type": "string", "enum": ["primary", "canary", "shadow"]}},
            {"name": "since", "in": "query", "schema": {"type": "integer"}},
            {"name": "until", "in": "query", "schema": {"type": "integer"}},
            {"name": "labeled_only", "in": "query", "schema": {"type": "boolean"}}],
          "responses": {"200": {"description": "A page of predictions", "content": {"application/json": {"schema": {
            "type": "object", "properties": {"predictions": {"type": "array", "items": {"type": "object"}}, "next_page_token": {"type": "string"}}}}}},
            "4XX": {"$ref": "#/components/responses/Error"}}
        }
      }
    }
    """#

    static let deploymentSchema = #"""
    {
      "type": "object",
      "properties": {
        "name": {"type": "string"}, "model_uri": {"type": "string"}, "canary_uri": {"type": ["string", "null"]},
        "canary_share": {"type": "number"}, "shadow_uri": {"type": ["string", "null"]}, "log_sample_rate": {"type": "number"},
        "created_at": {"type": "integer"}, "updated_at": {"type": "integer"}, "ready": {"type": "boolean"},
        "serving_version": {"type": ["string", "null"]}, "canary_version": {"type": ["string", "null"]},
        "shadow_version": {"type": ["string", "null"]}, "loaded_at": {"type": ["integer", "null"]},
        "last_load_error": {"type": ["string", "null"]}, "models": {"type": "object"}
      }
    }
    """#

    /// `document` with the deployments paths and the Deployment schema added.
    static func merged(into document: String) -> String {
        guard case .object(var members)? = try? JSONParser.parse(Array(document.utf8)),
              case .object(let added)? = try? JSONParser.parse(Array(paths.utf8)),
              let schema = try? JSONParser.parse(Array(deploymentSchema.utf8)) else { return document }
        for index in members.indices {
            switch (members[index].0, members[index].1) {
            case ("paths", .object(let existing)):
                members[index].1 = .object(existing + added)
            case ("components", .object(var components)):
                for inner in components.indices where components[inner].0 == "schemas" {
                    if case .object(let schemas) = components[inner].1 {
                        components[inner].1 = .object(schemas + [("Deployment", schema)])
                    }
                }
                members[index].1 = .object(components)
            default:
                continue
            }
        }
        return String(decoding: JSONWriter.bytes(.object(members)), as: UTF8.self)
    }

    /// Serves the native document with the deployments API merged in at `/openapi.json`; merged once, at start-up.
    static func addRoute(to native: NativeRoutes) {
        let text = merged(into: OpenAPIDocument.json)
        native.router.get(RouterPath("/openapi.json")) { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }
}
