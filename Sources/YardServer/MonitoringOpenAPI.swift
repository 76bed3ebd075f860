import Hummingbird
import YardJSON

/// The monitoring API's part of the native OpenAPI document (monitors, evaluations, alerts, record
/// streams), merged with the deployments part into `OpenAPIDocument` when the document is served.
enum MonitoringOpenAPI {
    static let paths = #"""
    {
      "/api/v1/monitors": {
        "get": {
          "summary": "List monitors",
          "responses": {"200": {"description": "Monitors", "content": {"application/json": {"schema": {
            "type": "object", "required": ["monitors"], "properties": {"monitors": {"type": "array", "items": {"$ref": "#/components/schemas/Monitor"}}}}}}},
            "4XX": {"$ref": "#/components/responses/Error"}}
        },
        "post": {
          "summary": "Create a monitor over a deployment or a record stream",
          "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MonitorSpec"}}}},
          "responses": {"200": {"description": "The monitor", "content": {"application/json": {"schema": {
            "type": "object", "required": ["monitor"], "properties": {"monitor": {"$ref": "#/components/schemas/Monitor"}}}}}},
            "4XX": {"$ref": "#/components/responses/Error"}}
        }
      },
      "/api/v1/monitors/{monitor}": {
        "parameters": [{"name": "monitor", "in": "path", "required": true, "schema": {"type": "string"}}],
        "get": {
          "summary": "A monitor's definition",
          "responses": {"200": {"description": "The monitor", "content": {"application/json": {"schema": {
            "type": "object", "required": ["monitor"], "properties": {"monitor": {"$ref": "#/components/schemas/Monitor"}}}}}},
            "4XX": {"$ref": "#/components/responses/Error"}}
        },
        "put": {
          "summary": "Replace a monitor's definition (its history and alert states stay)",
          "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/MonitorSpec"}}}},
          "responses": {"200": {"description": "The monitor", "content": {"application/json": {"schema": {
            "type": "object", "required": ["monitor"], "properties": {"monitor": {"$ref": "#/components/schemas/Monitor"}}}}}},
            "4XX": {"$ref": "#/components/responses/Error"}}
        },
        "delete": {
          "summary": "Delete a monitor (its evaluations, alert events and action outcomes are kept)",
          "responses": {"200": {"description": "Deleted", "content": {"application/json": {"schema": {"type": "object"}}}},
            "4XX": {"$ref": "#/components/responses/Error"}}
        }
      },
      "/api/v1/monitors/{monitor}/evaluate": {
        "parameters": [{"name": "monitor", "in": "path", "required": true, "schema": {"type": "string"}}],
        "post": {
          "summary": "Evaluate the monitor now: drift and quality of its window, alert rules, actions",
          "responses": {"200": {"description": "The evaluation", "content": {"application/json": {"schema": {
            "type": "object", "required": ["evaluation"], "properties": {"evaluation": {"$ref": "#/components/schemas/MonitorEvaluation"}}}}}},
            "4XX": {"$ref": "#/components/responses/Error"}}
        }
      },
      "/api/v1/monitors/{monitor}/evaluations": {
        "parameters": [{"name": "monitor", "in": "path", "required": true, "schema": {"type": "string"}}],
        "get": {
          "summary": "Evaluation history, newest first",
          "parameters": [
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}},
            {"name": "before", "in": "query", "description": "Only evaluations with a smaller id (paging)", "schema": {"type": "integer", "minimum": 1}}],
          "responses": {"200": {"description": "Evaluations", "content": {"application/json": {"schema": {
            "type": "object", "required": ["evaluations"], "properties": {"evaluations": {"type": "array", "items": {"$ref": "#/components/schemas/MonitorEvaluation"}}}}}}},
            "4XX": {"$ref": "#/components/responses/Error"}}
        }
      },
      "/api/v1/monitors/{monitor}/alerts": {
        "parameters": [{"name": "monitor", "in": "path", "required": true, "schema": {"type": "string"}}],
        "get": {
          "summary": "Where each alert rule stands, and the monitor's alert events, newest first",
          "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}}],
          "responses": {"200": {"description": "States and events", "content": {"application/json": {"schema": {
            "type": "object", "required": ["states", "events"], "properties": {
              "states": {"type": "array", "items": {"$ref": "#/components/schemas/AlertState"}},
              "events": {"type": "array", "items": {"$ref": "#/components/schemas/AlertEvent"}}}}}}},
            "4XX": {"$ref": "#/components/responses/Error"}}
        }
      },
      "/api/v1/alerts/events": {
        "get": {
          "summary": "Alert events (a rule firing or resolving), newest first",
          "parameters": [
            {"name": "monitor", "in": "query", "schema": {"type": "string"}},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}}],
          "responses": {"200": {"description": "Events", "content": {"application/json": {"schema": {
            "type": "object", "required": ["events"], "properties": {"events": {"type": "array", "items": {"$ref": "#/components/schemas/AlertEvent"}}}}}}},
            "4XX": {"$ref": "#/components/responses/Error"}}
        }
      },
      "/api/v1/alerts/actions": {
        "get": {
          "summary": "Outcomes of alert actions (webhook posts, pipeline runs), newest first",
          "parameters": [
            {"name": "monitor", "in": "query", "schema": {"type": "string"}},
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}}],
          "responses": {"200": {"description": "Action outcomes", "content": {"application/json": {"schema": {
            "type": "object", "required": ["actions"], "properties": {"actions": {"type": "array", "items": {"$ref": "#/components/schemas/ActionOutcome"}}}}}}},
            "4XX": {"$ref": "#/components/responses/Error"}}
        }
      },
      "/api/v1/streams/{stream}/records": {
        "parameters": [{"name": "stream", "in": "path", "required": true, "schema": {"type": "string"}}],
        "post": {
          "summary": "Append records (features, optionally the prediction) to a stream a monitor can watch",
          "requestBody": {"required": true, "content": {"application/json": {"schema": {
            "type": "object", "required": ["records"], "properties": {"records": {"type": "array", "minItems": 1, "items": {
              "type": "object", "required": ["features"], "additionalProperties": false, "properties": {
                "id": {"type": "string", "minLength": 1, "maxLength": 128},
                "timestamp": {"type": "integer", "description": "Milliseconds since the epoch (default: now)"},
                "features": {"type": "object", "minProperties": 1},
                "prediction": {"type": ["number", "string", "boolean", "null"]},
                "model_version": {"type": ["string", "null"], "maxLength": 64}}}}}}}}},
          "responses": {"200": {"description": "The ids the records got", "content": {"application/json": {"schema": {
            "type": "object", "required": ["received", "ids"], "properties": {"received": {"type": "integer"}, "ids": {"type": "array", "items": {"type": "string"}}}}}}},
            "4XX": {"$ref": "#/components/responses/Error"}}
        },
        "get": {
          "summary": "A stream's records, newest first",
          "parameters": [{"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}}],
          "responses": {"200": {"description": "Records", "content": {"application/json": {"schema": {
            "type": "object", "required": ["records"], "properties": {"records": {"type": "array", "items": {"$ref": "#/components/schemas/StreamRecord"}}}}}}},
            "4XX": {"$ref": "#/components/responses/Error"}}
        }
      },
      "/api/v1/streams/{stream}/labels": {
        "parameters": [{"name": "stream", "in": "path", "required": true, "schema": {"type": "string"}}],
        "post": {
          "summary": "Join ground-truth labels to stream records by record id",
          "requestBody": {"required": true, "content": {"application/json": {"schema": {
            "type": "object", "required": ["labels"], "properties": {"labels": {"type": "array", "items": {
              "type": "object", "required": ["id", "label"], "properties": {"id": {"type": "string", "minLength": 1}, "label": {}}}}}}}}},
          "responses": {"200": {"description": "How many ids matched", "content": {"application/json": {"schema": {
            "type": "object", "required": ["received", "matched"], "properties": {"received": {"type": "integer"}, "matched": {"type": "integer"}}}}}},
            "4XX": {"$ref": "#/components/responses/Error"}}
        }
      }
    }
    """#

    static let schemas = #"""
    {
      "MonitorSpec": {
        "type": "object", "required": ["name", "source", "reference", "window"],
        "properties": {
          "name": {"type": "string", "pattern": "^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"},
          "source": {"type": "object", "description": "{\"deployment\": name} or {\"stream\": name}"},
          "reference": {"type": "object", "required": ["dataset", "digest"], "properties": {"dataset": {"type": "string"}, "digest": {"type": "string"}}},
          "window": {"type": "object", "description": "{\"last_records\": N} or {\"last_seconds\": S}"},
          "schedule_seconds": {"type": "integer", "minimum": 0, "description": "0: evaluated only on demand"},
          "columns": {"type": "object", "description": "Column mapping: numerical, categorical, target, prediction, ignored, stattest(s), threshold(s), drift_share"},
          "quality": {"type": "object"},
          "rules": {"type": "array", "items": {"type": "object", "required": ["name", "condition"], "properties": {
            "name": {"type": "string"}, "condition": {"type": "string", "examples": ["share_drifted > 0.3 for 2 evaluations"]},
            "actions": {"type": "array", "items": {"type": "string"}}}}},
          "actions": {"type": "object", "additionalProperties": {"type": "object"}}
        }
      },
      "Monitor": {
        "type": "object", "required": ["name", "created_at", "updated_at"],
        "properties": {"name": {"type": "string"}, "created_at": {"type": "integer"}, "updated_at": {"type": "integer"}}
      },
      "MonitorEvaluation": {
        "type": "object",
        "required": ["id", "monitor", "evaluated_at", "window_start", "window_end", "rows", "labeled_rows", "model_name", "model_version", "status", "dataset_drift", "result"],
        "properties": {
          "id": {"type": "integer"}, "monitor": {"type": "string"}, "evaluated_at": {"type": "integer"},
          "window_start": {"type": "integer"}, "window_end": {"type": "integer"}, "rows": {"type": "integer"},
          "labeled_rows": {"type": "integer"}, "model_name": {"type": "string"}, "model_version": {"type": "string"},
          "status": {"type": "string", "enum": ["ok", "error"]}, "error": {"type": ["string", "null"]},
          "dataset_drift": {"type": "boolean"}, "share_drifted": {"type": ["number", "null"]}, "result": {}
        }
      },
      "AlertState": {
        "type": "object", "required": ["monitor", "rule", "state", "consecutive", "since"],
        "properties": {"monitor": {"type": "string"}, "rule": {"type": "string"}, "state": {"type": "string", "enum": ["ok", "pending", "firing", "resolved"]},
          "consecutive": {"type": "integer"}, "since": {"type": "integer"}, "last_value": {"type": ["number", "null"]}}
      },
      "AlertEvent": {
        "type": "object", "required": ["id", "monitor", "rule", "state", "evaluation_id", "timestamp", "message"],
        "properties": {"id": {"type": "integer"}, "monitor": {"type": "string"}, "rule": {"type": "string"}, "state": {"type": "string"},
          "evaluation_id": {"type": "integer"}, "timestamp": {"type": "integer"}, "value": {"type": ["number", "null"]}, "message": {"type": "string"}}
      },
      "ActionOutcome": {
        "type": "object", "required": ["id", "event_id", "monitor", "action", "target", "attempt", "outcome", "detail", "timestamp"],
        "properties": {"id": {"type": "integer"}, "event_id": {"type": "integer"}, "monitor": {"type": "string"},
          "action": {"type": "string", "enum": ["webhook", "pipeline"]}, "target": {"type": "string"}, "attempt": {"type": "integer"},
          "outcome": {"type": "string", "enum": ["succeeded", "failed"]}, "detail": {"type": "string"}, "timestamp": {"type": "integer"}}
      },
      "StreamRecord": {
        "type": "object", "required": ["id", "timestamp", "features", "prediction", "model_version", "label", "labeled_at"],
        "properties": {"id": {"type": "string"}, "timestamp": {"type": "integer"}, "features": {}, "prediction": {},
          "model_version": {"type": "string"}, "label": {}, "labeled_at": {"type": ["integer", "null"]}}
      }
    }
    """#

    /// `document` with the monitoring paths and schemas added.
    static func merged(into document: String) -> String {
        guard case .object(var members)? = try? JSONParser.parse(Array(document.utf8)),
              case .object(let added)? = try? JSONParser.parse(Array(paths.utf8)),
              case .object(let addedSchemas)? = try? JSONParser.parse(Array(schemas.utf8)) else { return document }
        for index in members.indices {
            switch (members[index].0, members[index].1) {
            case ("paths", .object(let existing)):
                members[index].1 = .object(existing + added)
            case ("components", .object(var components)):
                for inner in components.indices where components[inner].0 == "schemas" {
                    if case .object(let existing) = components[inner].1 {
                        components[inner].1 = .object(existing + addedSchemas)
                    }
                }
                members[index].1 = .object(components)
            default:
                continue
            }
        }
        return String(decoding: JSONWriter.bytes(.object(members)), as: UTF8.self)
    }

    /// Serves the native document with the deployments and monitoring APIs merged in at `/openapi.json`;
    /// merged once, at start-up.
    static func addRoute(to native: NativeRoutes) {
        let text = merged(into: ServingOpenAPI.merged(into: OpenAPIDocument.json))
        native.router.get(RouterPath("/openapi.json")) { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }
}
