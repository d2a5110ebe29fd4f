//! The HTTP API end to end: the real app on port 0 with the real embedder and embedded Qdrant.

// Panicking on a broken fixture is what a test should do.
#![allow(clippy::unwrap_used)]

mod common;

use serde_json::json;

#[tokio::test]
async fn health_collections_and_search() {
    let app = common::spawn_app(|_| {}).await;
    let health: serde_json::Value = app.get("/healthz").await.1;
    assert_eq!(health["status"], "ok");
    let (status, ready) = app.get("/readyz").await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["store"]["ready"], true);
    assert_eq!(ready["llm"]["model"], "extractive");

    let list: serde_json::Value = app.get("/v1/collections").await.1;
    assert_eq!(list["collections"][0]["name"], "docs");
    let created = app
        .http
        .put(format!("{}/v1/collections/extra", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let again = app
        .http
        .put(format!("{}/v1/collections/extra", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    let info: serde_json::Value = app.get("/v1/collections/extra").await.1;
    assert_eq!(
        (info["dimension"].as_u64(), info["points"].as_u64()),
        (Some(384), Some(0))
    );
    let deleted = app
        .http
        .delete(format!("{}/v1/collections/extra", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let gone = app
        .http
        .get(format!("{}/v1/collections/extra", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), 404);

    let found: serde_json::Value = app
        .post(
            "/v1/collections/docs/search",
            json!({"query": "restore a deleted notebook from a backup", "top_k": 3}),
        )
        .await
        .json()
        .await
        .unwrap();
    let results = found["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    for key in [
        "chunk_id", "source", "title", "heading", "snippet", "score", "text",
    ] {
        assert!(results[0].get(key).is_some(), "search result lacks {key}");
    }
}

#[tokio::test]
async fn an_extractive_answer_cites_its_golden_source() {
    let app = common::spawn_app(|_| {}).await;
    let (status, answer) = app.query(json!({"question": "How much is the Team plan if I pay every month instead of yearly?"})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["model"], "extractive");
    assert_eq!(answer["abstained"], false);
    assert_eq!(answer["prompt_version"], "support-v2");
    assert!(answer["disclaimer"]
        .as_str()
        .unwrap()
        .contains("no language model"));
    assert!(
        answer["answer"].as_str().unwrap().contains("$10"),
        "{answer}"
    );
    let sources = common::cited_sources(&answer);
    assert!(sources.contains(&"faq.jsonl"), "{sources:?}");
    for n in answer["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["n"].as_u64().unwrap())
    {
        assert!(
            answer["answer"]
                .as_str()
                .unwrap()
                .contains(&format!("[{n}]")),
            "citation {n} not used"
        );
    }
    for key in ["embed", "retrieve", "generate", "total"] {
        assert!(answer["latency_ms"][key].as_f64().unwrap() >= 0.0);
    }
    for key in ["answer_id", "embedder", "config_hash", "usage"] {
        assert!(answer.get(key).is_some(), "answer lacks {key}");
    }
}

#[tokio::test]
async fn bad_input_gets_a_4xx_with_a_code() {
    let app = common::spawn_app(|_| {}).await;
    let cases = [
        (json!({"question": "  "}), 400, "empty_question"),
        (
            json!({"question": "x".repeat(2001)}),
            400,
            "question_too_long",
        ),
        (
            json!({"question": "hi", "top_k": 0}),
            400,
            "top_k_out_of_range",
        ),
        (
            json!({"question": "hi", "top_k": 21}),
            400,
            "top_k_out_of_range",
        ),
        (
            json!({"question": "hi", "variant": "nope"}),
            400,
            "unknown_variant",
        ),
        (json!({"question": 3}), 400, "invalid_json"),
        (json!({"questionn": "typo"}), 400, "invalid_json"),
    ];
    for (body, status, code) in cases {
        let (got, error) = app.query(body.clone()).await;
        assert_eq!(
            (got, error["error"]["code"].as_str().unwrap()),
            (status, code),
            "{body}"
        );
        assert!(!error["error"]["hint"].as_str().unwrap().is_empty());
    }
    let unknown = app
        .post("/v1/collections/missing/query", json!({"question": "hi"}))
        .await;
    assert_eq!(unknown.status(), 404);
    let body: serde_json::Value = unknown.json().await.unwrap();
    assert_eq!(body["error"]["code"], "collection_not_found");
    let bad_name = app
        .post("/v1/collections/a.b/query", json!({"question": "hi"}))
        .await;
    assert_eq!(bad_name.status(), 400);
    let malformed = app
        .http
        .post(format!("{}/v1/collections/docs/query", app.url))
        .header("content-type", "application/json")
        .body("{\"question\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), 400);
    let text = app
        .http
        .post(format!("{}/v1/collections/docs/query", app.url))
        .header("content-type", "text/plain")
        .body("question")
        .send()
        .await
        .unwrap();
    assert_eq!(text.status(), 415);
    let body: serde_json::Value = text.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unsupported_media_type");
}

#[tokio::test]
async fn streaming_delivers_retrieval_tokens_and_done_in_order() {
    let app = common::spawn_app(|_| {}).await;
    let response = app
        .post(
            "/v1/collections/docs/query",
            json!({"question": "How do I restore a backup?", "stream": true}),
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let events = common::sse_events(&response.text().await.unwrap());
    let names: Vec<&str> = events.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(names.first(), Some(&"retrieval"));
    assert_eq!(names.last(), Some(&"done"));
    assert!(
        names[1..names.len() - 1].iter().all(|n| *n == "token") && names.len() >= 3,
        "{names:?}"
    );
    let streamed: String = events
        .iter()
        .filter(|(e, _)| e == "token")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        streamed,
        events.last().unwrap().1["answer"].as_str().unwrap()
    );
}

#[tokio::test]
async fn the_openapi_document_describes_the_routes() {
    let app = common::spawn_app_with_faq(|_| {}).await;
    let doc: serde_json::Value = app.get("/openapi.json").await.1;
    for path in [
        "/v1/collections/{name}/query",
        "/v1/collections/{name}/search",
        "/v1/collections",
        "/readyz",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from /openapi.json"
        );
    }
    for schema in ["Answer", "Citation", "QueryRequest", "ErrorBody"] {
        assert!(
            doc["components"]["schemas"].get(schema).is_some(),
            "{schema} missing"
        );
    }
    let page = app
        .http
        .get(format!("{}/docs", app.url))
        .send()
        .await
        .unwrap();
    assert!(page.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    assert!(page.text().await.unwrap().contains("/openapi.json"));
}

#[tokio::test]
async fn uploaded_documents_go_through_the_ingest_pipeline() {
    let app = common::spawn_app_with_faq(|_| {}).await;
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(
                b"# Otters\n\nOtters hold hands while they sleep.\n".to_vec(),
            )
            .file_name("otters.md"),
        )
        .part(
            "file",
            reqwest::multipart::Part::bytes(vec![0xff, 0xfe]).file_name("bad.txt"),
        );
    let response = app
        .http
        .post(format!("{}/v1/collections/docs/documents", app.url))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let summary: serde_json::Value = response.json().await.unwrap();
    assert_eq!(summary["chunks"], 1, "{summary}");
    assert_eq!(summary["skipped"][0]["source"], "bad.txt");
    let found: serde_json::Value = app
        .post(
            "/v1/collections/docs/search",
            json!({"query": "do otters sleep holding hands", "top_k": 1}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(found["results"][0]["source"], "otters.md");
    let empty = app
        .http
        .post(format!("{}/v1/collections/docs/documents", app.url))
        .multipart(reqwest::multipart::Form::new().text("note", "no file"))
        .send()
        .await
        .unwrap();
    assert_eq!(empty.status(), 400);
}

#[tokio::test]
async fn every_route_and_error_code_is_documented_and_every_error_is_json() {
    let app = common::spawn_app_with_faq(|_| {}).await;
    let (_, doc) = app.get("/openapi.json").await;
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/v1/collections",
        "/v1/collections/{name}",
        "/v1/collections/{name}/documents",
        "/v1/collections/{name}/search",
        "/v1/collections/{name}/query",
        "/v1/grounding/check",
        "/v1/answers",
        "/v1/answers/{id}",
        "/v1/answers/{id}/feedback",
        "/v1/feedback/export",
        "/v1/stats",
        "/v1/insights",
        "/v1/datasets",
        "/v1/datasets/{name}",
        "/v1/datasets/{name}/export",
        "/v1/datasets/{name}/items",
        "/v1/evals",
        "/v1/evals/{id}",
    ] {
        assert!(
            paths.iter().any(|p| *p == path),
            "{path} missing from /openapi.json"
        );
    }
    // Operation ids are unique (client generators need that).
    let mut ids: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .flat_map(|item| item.as_object().unwrap().values())
        .map(|op| op["operationId"].as_str().unwrap())
        .collect();
    let count = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), count, "duplicate operationId");
    // Constraints are in the schemas.
    let query = &doc["components"]["schemas"]["QueryRequest"]["properties"];
    assert_eq!(query["question"]["maxLength"], 2000);
    assert_eq!(query["top_k"]["maximum"], 20);
    // The error table: in the document and in docs/api.md, each code once.
    let codes = doc["x-error-codes"].as_array().unwrap();
    let api_md = std::fs::read_to_string(common::repo().join("docs/api.md")).unwrap();
    for c in codes {
        let code = c["code"].as_str().unwrap();
        assert!(
            api_md.contains(&format!("| `{code}` | {} |", c["status"])),
            "{code} missing from docs/api.md"
        );
    }
    let enum_codes = &doc["components"]["schemas"]["ErrorDetail"]["properties"]["code"]["enum"];
    assert_eq!(enum_codes.as_array().unwrap().len(), codes.len());

    // Extractor rejections use the error shape too: a bad multipart boundary, a wrong method.
    let upload = app
        .http
        .post(format!("{}/v1/collections/docs/documents", app.url))
        .header("content-type", "multipart/form-data")
        .body("no boundary")
        .send()
        .await
        .unwrap();
    assert_eq!(upload.status(), 400);
    let body: serde_json::Value = upload.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_upload");
    let wrong = app
        .http
        .patch(format!("{}/v1/stats", app.url))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 405);
    let body: serde_json::Value = wrong.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
}
