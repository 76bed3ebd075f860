import Hummingbird

/// The OpenAPI 3.1 description of the native API, served at `/api/v1/openapi.json`. Kept by hand beside
/// the routes it documents; the HTTP tests call every documented path and method to check it exists.
enum OpenAPIDocument {
    static let json = #"""
    {
      "openapi": "3.1.0",
      "info": {
        "title": "Modelyard native API",
        "version": "1.0.0",
        "description": "Modelyard's own features beside the MLflow REST API: promotion gates, rollback, model history, lineage, the content-addressed object store and the dataset registry. Errors are {\"error_code\", \"message\"}. Every operation may answer 4XX in that shape: 400 invalid input, 403 a Host header the server does not answer to, 404 unknown resource, 409 the state moved meanwhile, 413 a body over this surface's cap (native JSON 16 MiB by default), 415 a POST whose Content-Type is not application/json."
      },
      "paths": {
        "/api/v1/models/{name}/policy": {
          "parameters": [
            {
              "$ref": "#/components/parameters/ModelName"
            }
          ],
          "put": {
            "summary": "Set the model's promotion policy",
            "requestBody": {
              "required": true,
              "content": {
                "application/yaml": {
                  "schema": {
                    "type": "string"
                  }
                },
                "application/json": {
                  "schema": {
                    "type": "object",
                    "required": [
                      "document"
                    ],
                    "properties": {
                      "document": {
                        "type": "string"
                      }
                    }
                  }
                }
              }
            },
            "responses": {
              "200": {
                "description": "The stored policy",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Policy"
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/Error"
              },
              "404": {
                "$ref": "#/components/responses/Error"
              },
              "4XX": {
                "$ref": "#/components/responses/Error"
              }
            }
          },
          "get": {
            "summary": "Read the model's promotion policy",
            "responses": {
              "200": {
                "description": "The policy",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Policy"
                    }
                  }
                }
              },
              "404": {
                "$ref": "#/components/responses/Error"
              },
              "4XX": {
                "$ref": "#/components/responses/Error"
              }
            }
          }
        },
        "/api/v1/models/{name}/promote": {
          "parameters": [
            {
              "$ref": "#/components/parameters/ModelName"
            }
          ],
          "post": {
            "summary": "Evaluate every gate and move the alias only if all pass",
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "type": "object",
                    "required": [
                      "version",
                      "alias"
                    ],
                    "properties": {
                      "version": {
                        "type": "integer"
                      },
                      "alias": {
                        "type": "string"
                      },
                      "dry_run": {
                        "type": "boolean"
                      }
                    }
                  }
                }
              }
            },
            "responses": {
              "200": {
                "description": "Promoted (or dry run)",
                "content": {
                  "application/json": {
                    "schema": {
                      "$ref": "#/components/schemas/Decision"
                    }
                  }
                }
              },
              "422": {
                "description": "Refused: a gate failed; the alias is unchanged",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object",
                      "properties": {
                        "error_code": {
                          "type": "string"
                        },
                        "message": {
                          "type": "string"
                        },
                        "decision": {
                          "$ref": "#/components/schemas/Decision"
                        }
                      }
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/Error"
              },
              "404": {
                "$ref": "#/components/responses/Error"
              },
              "4XX": {
                "$ref": "#/components/responses/Error"
              }
            }
          }
        },
        "/api/v1/models/{name}/rollback": {
          "parameters": [
            {
              "$ref": "#/components/parameters/ModelName"
            }
          ],
          "post": {
            "summary": "Give the alias back to the version that held it before",
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "type": "object",
                    "required": [
                      "alias"
                    ],
                    "properties": {
                      "alias": {
                        "type": "string"
                      }
                    }
                  }
                }
              }
            },
            "responses": {
              "200": {
                "description": "Rolled back",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object",
                      "properties": {
                        "model": {
                          "type": "string"
                        },
                        "alias": {
                          "type": "string"
                        },
                        "from": {
                          "type": "integer"
                        },
                        "to": {
                          "type": "integer"
                        }
                      }
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/Error"
              },
              "404": {
                "$ref": "#/components/responses/Error"
              },
              "4XX": {
                "$ref": "#/components/responses/Error"
              }
            }
          }
        },
        "/api/v1/models/{name}/history": {
          "parameters": [
            {
              "$ref": "#/components/parameters/ModelName"
            }
          ],
          "get": {
            "summary": "The model's append-only history: alias moves, stage changes, promotion decisions, deletions",
            "responses": {
              "200": {
                "description": "Entries, oldest first",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object",
                      "properties": {
                        "model": {
                          "type": "string"
                        },
                        "entries": {
                          "type": "array",
                          "items": {
                            "type": "object",
                            "properties": {
                              "sequence": {
                                "type": "integer"
                              },
                              "version": {
                                "type": "integer"
                              },
                              "action": {
                                "type": "string"
                              },
                              "detail": {
                                "type": "string",
                                "description": "JSON text"
                              },
                              "actor": {
                                "type": "string"
                              },
                              "timestamp": {
                                "type": "integer"
                              }
                            }
                          }
                        }
                      }
                    }
                  }
                }
              },
              "4XX": {
                "$ref": "#/components/responses/Error"
              }
            }
          }
        },
        "/api/v1/lineage": {
          "get": {
            "summary": "Where a model came from: version, logged model, source run, params, metrics, code commit and dataset digests",
            "parameters": [
              {
                "name": "uri",
                "in": "query",
                "required": true,
                "schema": {
                  "type": "string"
                },
                "description": "models:/<name>/<version>, models:/<name>@<alias>, models:/<model_id> or runs:/<run_id>"
              }
            ],
            "responses": {
              "200": {
                "description": "Lineage",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object"
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/Error"
              },
              "404": {
                "$ref": "#/components/responses/Error"
              },
              "4XX": {
                "$ref": "#/components/responses/Error"
              }
            }
          }
        },
        "/api/v1/objects/missing": {
          "post": {
            "summary": "Which of these content digests the server lacks (one round trip per batch)",
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "type": "object",
                    "required": [
                      "digests"
                    ],
                    "properties": {
                      "digests": {
                        "type": "array",
                        "items": {
                          "$ref": "#/components/schemas/Digest"
                        }
                      }
                    }
                  }
                }
              }
            },
            "responses": {
              "200": {
                "description": "The missing ones",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object",
                      "properties": {
                        "missing": {
                          "type": "array",
                          "items": {
                            "$ref": "#/components/schemas/Digest"
                          }
                        }
                      }
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/Error"
              },
              "4XX": {
                "$ref": "#/components/responses/Error"
              }
            }
          }
        },
        "/api/v1/objects/{digest}": {
          "parameters": [
            {
              "name": "digest",
              "in": "path",
              "required": true,
              "schema": {
                "$ref": "#/components/schemas/Digest"
              }
            }
          ],
          "put": {
            "summary": "Upload an object; it is hashed on arrival and stored only if it matches its name",
            "requestBody": {
              "required": true,
              "content": {
                "application/octet-stream": {
                  "schema": {
                    "type": "string",
                    "format": "binary"
                  }
                }
              }
            },
            "responses": {
              "200": {
                "description": "Stored (or already present)"
              },
              "400": {
                "$ref": "#/components/responses/Error"
              },
              "4XX": {
                "$ref": "#/components/responses/Error"
              },
              "507": {
                "$ref": "#/components/responses/Error"
              }
            }
          },
          "get": {
            "summary": "Download an object",
            "responses": {
              "200": {
                "description": "The bytes",
                "content": {
                  "application/octet-stream": {
                    "schema": {
                      "type": "string",
                      "format": "binary"
                    }
                  }
                }
              },
              "404": {
                "$ref": "#/components/responses/Error"
              },
              "4XX": {
                "$ref": "#/components/responses/Error"
              }
            }
          }
        },
        "/api/v1/datasets": {
          "post": {
            "summary": "Register a dataset version (idempotent per name and digest); CSV versions carry a profile",
            "requestBody": {
              "required": true,
              "content": {
                "application/json": {
                  "schema": {
                    "type": "object"
                  }
                }
              }
            },
            "responses": {
              "200": {
                "description": "The stored version",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object"
                    }
                  }
                }
              },
              "400": {
                "$ref": "#/components/responses/Error"
              },
              "4XX": {
                "$ref": "#/components/responses/Error"
              }
            }
          },
          "get": {
            "summary": "Registered datasets with their latest version",
            "responses": {
              "200": {
                "description": "Datasets",
                "content": {
                  "application/json": {
                    "schema": {
                      "type": "object"
                    }
                  }
                }
              },
              "4XX": {
                "$ref": "#/components/responses/Error"
              }
            }
          }
        },
        "/api/v1/datasets/{name}": {
          "parameters": [
            {
              "name": "name",
              "in": "path",
              "required": true,
              "schema": {
                "type": "string"
              }
            }
          ],
          "get": {
            "summary": "A dataset's versions",
            "responses": {
              "200": {
                "description": "Versions"
              },
              "404": {
                "$ref": "#/components/responses/Error"
              },
              "4XX": {
                "$ref": "#/components/responses/Error"
              }
            }
          }
        },
        "/api/v1/datasets/{name}/versions/{digest}": {
          "parameters": [
            {
              "name": "name",
              "in": "path",
              "required": true,
              "schema": {
                "type": "string"
              }
            },
            {
              "name": "digest",
              "in": "path",
              "required": true,
              "schema": {
                "type": "string"
              },
              "description": "64-hex SHA-256 (optionally sha256:-prefixed) or its first 36 hex characters"
            }
          ],
          "get": {
            "summary": "One dataset version",
            "responses": {
              "200": {
                "description": "The version"
              },
              "404": {
                "$ref": "#/components/responses/Error"
              },
              "4XX": {
                "$ref": "#/components/responses/Error"
              }
            }
          }
        },
        "/api/v1/datasets/{name}/versions/{digest}/runs": {
          "parameters": [
            {
              "name": "name",
              "in": "path",
              "required": true,
              "schema": {
                "type": "string"
              }
            },
            {
              "name": "digest",
              "in": "path",
              "required": true,
              "schema": {
                "type": "string"
              }
            }
          ],
          "get": {
            "summary": "Runs whose MLflow dataset inputs used this version",
            "responses": {
              "200": {
                "description": "Runs"
              },
              "404": {
                "$ref": "#/components/responses/Error"
              },
              "4XX": {
                "$ref": "#/components/responses/Error"
              }
            }
          }
        },
        "/api/v1/openapi.json": {
          "get": {
            "summary": "This document",
            "responses": {
              "200": {
                "description": "OpenAPI 3.1 document"
              }
            }
          }
        }
      },
      "components": {
        "parameters": {
          "ModelName": {
            "name": "name",
            "in": "path",
            "required": true,
            "schema": {
              "type": "string"
            }
          }
        },
        "responses": {
          "Error": {
            "description": "Error",
            "content": {
              "application/json": {
                "schema": {
                  "type": "object",
                  "required": [
                    "error_code",
                    "message"
                  ],
                  "properties": {
                    "error_code": {
                      "type": "string"
                    },
                    "message": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        },
        "schemas": {
          "Digest": {
            "type": "string",
            "pattern": "^(sha256:)?[0-9a-f]{64}$"
          },
          "Policy": {
            "type": "object",
            "properties": {
              "model": {
                "type": "string"
              },
              "document": {
                "type": "string"
              },
              "metric_gates": {
                "type": "array",
                "items": {
                  "type": "string"
                }
              },
              "required_tags": {
                "type": "array",
                "items": {
                  "type": "string"
                }
              },
              "require_description": {
                "type": "boolean"
              },
              "required_datasets": {
                "type": "array",
                "items": {
                  "type": "string"
                }
              },
              "protected_aliases": {
                "type": "array",
                "items": {
                  "type": "string"
                },
                "description": "Aliases that only promotion (and rollback) may move; absent = every alias of the model. MLflow's alias routes answer 403 for them."
              }
            }
          },
          "Decision": {
            "type": "object",
            "properties": {
              "model": {
                "type": "string"
              },
              "version": {
                "type": "integer"
              },
              "alias": {
                "type": "string"
              },
              "champion_version": {
                "type": "integer"
              },
              "dry_run": {
                "type": "boolean"
              },
              "applied": {
                "type": "boolean"
              },
              "gates": {
                "type": "array",
                "items": {
                  "type": "object",
                  "properties": {
                    "gate": {
                      "type": "string"
                    },
                    "passed": {
                      "type": "boolean"
                    },
                    "detail": {
                      "type": "string"
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
    """#
}
