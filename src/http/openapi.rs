//! The OpenAPI document, generated from the same route list as the router (utoipa-axum), with
//! the error-code table and the error responses every route can give; and a reference page that
//! renders it without any external script (the service may run offline).

use axum::response::Html;
use serde_json::{json, Value};
use utoipa::OpenApi;

use super::error::Code;
use super::policy::{self, Scope};
use axum::http::Method;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "cairn",
        description = "Grounded answers from your documents, with citations. Every error is `{\"error\": {\"code\", \"message\", \"hint\"}}`; `x-error-codes` lists the codes."
    ),
    components(schemas(cairn_ingest::store::CollectionInfo, cairn_ingest::store::SourceFilter))
)]
pub struct ApiDoc;

/// Statuses any route can answer with, whatever it does.
const ANY_ROUTE: &[(u16, &str)] = &[
    (408, "the request took longer than 120 s"),
    (500, "internal error (details in the server log)"),
    (503, "the vector store or the answer log is unavailable"),
];
/// Statuses any route with a request body can answer with.
const WITH_BODY: &[(u16, &str)] = &[
    (400, "the body is not valid for this route"),
    (413, "the body is too large"),
    (415, "the body has the wrong content type"),
];
/// Statuses any route that needs a key can answer with.
const WITH_KEY: &[(u16, &str)] = &[(401, "no API key, or not a valid one (`unauthorized`)")];
/// Statuses any route but the public ones can answer with, keys or not.
const GUARDED: &[(u16, &str)] = &[
    (
        403,
        "the key lacks the scope (`forbidden`), a write from another origin (`cross_origin_write`), or a host name an open server does not answer to (`host_not_allowed`)",
    ),
    (429, "too many requests from this key or address; see Retry-After (`rate_limited`)"),
];
/// Statuses any route with parameters can answer with.
const WITH_PARAMS: &[(u16, &str)] = &[(400, "a parameter is not valid")];

/// What this server accepts that depends on its configuration.
pub struct Configured {
    /// `default` and the configured variants: the only values `variant` accepts.
    pub variants: Vec<String>,
    /// Whether a language model is configured (`llm_judge` needs one).
    pub llm: bool,
    /// Whether API keys are required: without keys no route declares security (an open
    /// server on loopback answers without one, as its document then says).
    pub keys: bool,
}

/// The final document: the generated one, plus the error table, the common error responses and
/// what this server's configuration accepts.
pub fn finish(doc: utoipa::openapi::OpenApi, configured: &Configured) -> Value {
    let mut doc = serde_json::to_value(doc).unwrap_or_default();
    // A streamed answer (`"stream": true`) is an event stream.
    doc["paths"]["/v1/collections/{name}/query"]["post"]["responses"]["200"]["content"]
        ["text/event-stream"] = json!({ "schema": {
            "type": "object", "required": ["event", "data"],
            "properties": {
                "event": { "enum": ["retrieval", "token", "done", "error"] },
                "data": { "type": "string", "description": "JSON: {citations} | {text} | Answer | ErrorBody" }
            } } });
    // A started run is read back by its id (also what schemathesis' stateful phase follows).
    doc["paths"]["/v1/evals"]["post"]["responses"]["202"]["links"] = json!({
        "get_eval": { "operationId": "get_eval", "parameters": { "id": "$response.body#/id" } }
    });
    let schemas = &mut doc["components"]["schemas"];
    if !configured.llm {
        schemas["CheckRequest"]["properties"]["method"] = json!({
            "type": ["string", "null"], "enum": ["lexical", null],
            "description": "`lexical`; `llm_judge` needs a configured language model, and this server has none"
        });
    }
    let variants = &configured.variants;
    let mut nullable: Vec<Value> = variants.iter().map(|v| json!(v)).collect();
    nullable.push(Value::Null);
    schemas["QueryRequest"]["properties"]["variant"]["enum"] = Value::Array(nullable);
    schemas["StartEval"]["properties"]["variants"]["items"]["enum"] = json!(variants);
    schemas["Arm"]["properties"]["variant"]["enum"] = json!(variants);
    let codes: Vec<Value> = Code::ALL
        .iter()
        .map(|c| {
            json!({ "code": c.as_str(), "status": c.status().as_u16(),
                    "message": c.message(), "hint": c.hint() })
        })
        .collect();
    doc["x-error-codes"] = Value::Array(codes);
    doc["components"]["securitySchemes"] = json!({ "bearer": {
        "type": "http", "scheme": "bearer",
        "description": "An API key: the admin key (every route) or a query key (routes whose x-cairn-scope is query). A server without keys runs open on loopback only."
    } });
    let names: Vec<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
    doc["components"]["schemas"]["ErrorDetail"]["properties"]["code"]["enum"] = json!(names);
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            let Some(operations) = item.as_object_mut() else {
                continue;
            };
            for (method, operation) in operations.iter_mut() {
                let Ok(method) = Method::from_bytes(method.to_ascii_uppercase().as_bytes()) else {
                    continue;
                };
                let scope = policy::of(&method, Some(path.as_str())).scope;
                add_error_responses(operation, scope, configured.keys);
            }
        }
    }
    doc
}

fn add_error_responses(operation: &mut Value, scope: Scope, keys: bool) {
    let needs_key = keys && scope != Scope::Public;
    if needs_key {
        operation["security"] = json!([{ "bearer": [] }]);
    }
    operation["x-cairn-scope"] = json!(match scope {
        Scope::Public => "public",
        Scope::Query => "query",
        Scope::Admin => "admin",
    });
    let has_body = operation.get("requestBody").is_some();
    let has_params = operation
        .get("parameters")
        .and_then(Value::as_array)
        .is_some_and(|p| !p.is_empty());
    let mut add = ANY_ROUTE.to_vec();
    if needs_key {
        add.extend_from_slice(WITH_KEY);
    }
    if scope != Scope::Public {
        add.extend_from_slice(GUARDED);
    }
    if has_body {
        add.extend_from_slice(WITH_BODY);
    }
    if has_params {
        add.extend_from_slice(WITH_PARAMS);
    }
    let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for (status, description) in add {
        responses.entry(status.to_string()).or_insert_with(|| {
            json!({ "description": description, "content": { "application/json": {
                "schema": { "$ref": "#/components/schemas/ErrorBody" } } } })
        });
    }
}

pub async fn page() -> Html<&'static str> {
    Html(include_str!("reference.html"))
}
