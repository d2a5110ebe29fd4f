//! LLM faults, served by a scripted OpenAI-compatible server on port 0: each gives the
//! documented result, keeps the retrieved citations, and never hangs.

// Panicking on a broken fixture is what a test should do.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

/// What the scripted server does for one chat request.
#[derive(Clone)]
enum Step {
    Reply(&'static str),
    Status(u16),
    Sleep(Duration),
    /// A failure (without Retry-After) after a pause.
    SlowStatus(u16, Duration),
    Raw(&'static str),
    /// SSE deltas, then `[DONE]` only if `finish`.
    Stream {
        deltas: Vec<&'static str>,
        finish: bool,
    },
}

#[derive(Clone, Default)]
struct Script {
    steps: Arc<Mutex<VecDeque<Step>>>,
    calls: Arc<AtomicUsize>,
}

async fn chat(State(script): State<Script>) -> Response {
    script.calls.fetch_add(1, Ordering::SeqCst);
    let step = script
        .steps
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(Step::Status(500));
    match step {
        Step::Reply(text) => axum::Json(json!({
            "choices": [{"message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 321, "completion_tokens": 12},
            "model": "scripted"
        }))
        .into_response(),
        Step::Status(code) => {
            let status = StatusCode::from_u16(code).unwrap();
            let body = json!({"error": {"code": code, "message": "scripted failure", "type": "server_error"}});
            (status, [("retry-after", "0")], axum::Json(body)).into_response()
        }
        Step::Sleep(d) => {
            tokio::time::sleep(d).await;
            axum::Json(json!({"choices": [{"message": {"content": "late"}}]})).into_response()
        }
        Step::SlowStatus(code, d) => {
            tokio::time::sleep(d).await;
            StatusCode::from_u16(code).unwrap().into_response()
        }
        Step::Raw(body) => ([("content-type", "application/json")], body).into_response(),
        Step::Stream { deltas, finish } => {
            let mut body = String::new();
            for d in deltas {
                body += &format!(
                    "data: {}\n\n",
                    json!({"choices": [{"delta": {"content": d}}]})
                );
            }
            if finish {
                body += &format!(
                    "data: {}\n\n",
                    json!({"choices": [], "usage": {"prompt_tokens": 100, "completion_tokens": 3}})
                );
                body += "data: [DONE]\n\n";
            }
            ([("content-type", "text/event-stream")], body).into_response()
        }
    }
}

/// Starts the scripted server; returns its base URL (with /v1) and the script.
async fn scripted(steps: Vec<Step>) -> (String, Script) {
    let script = Script {
        steps: Arc::new(Mutex::new(steps.into())),
        ..Script::default()
    };
    let app = axum::Router::new()
        .route("/v1/chat/completions", post(chat))
        .route(
            "/v1/models",
            get(|| async { axum::Json(json!({"data": []})) }),
        )
        .with_state(script.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, script)
}

async fn app_with_llm(steps: Vec<Step>) -> (common::TestApp, Script) {
    app_with_llm_and(steps, |_| {}).await
}

async fn app_with_llm_and(
    steps: Vec<Step>,
    configure: impl FnOnce(&mut cairn::llm::openai::OpenAiSettings),
) -> (common::TestApp, Script) {
    let (url, script) = scripted(steps).await;
    let app = common::spawn_app_with_faq(|s| {
        s.llm.base_url = url;
        s.llm.model = "scripted-model".into();
        s.llm.timeout_ms = 700;
        s.llm.stream_idle_timeout_ms = 700;
        s.llm.retry_base_delay_ms = 10;
        configure(&mut s.llm);
    })
    .await;
    (app, script)
}

#[tokio::test]
async fn retries_stop_when_the_time_budget_is_spent_and_the_citations_are_kept() {
    let steps = vec![Step::SlowStatus(503, Duration::from_millis(300)); 100];
    let (app, script) = app_with_llm_and(steps, |llm| {
        llm.max_retries = 100;
        llm.budget_ms = 1_200;
    })
    .await;
    let started = std::time::Instant::now();
    let (status, body) = query(&app, json!({"question": QUESTION})).await;
    let elapsed = started.elapsed();
    assert!(status == 502 || status == 504, "{status} {body}");
    assert!(!body["citations"].as_array().unwrap().is_empty(), "{body}");
    // Far fewer than the 101 attempts allowed, and done soon after the budget.
    let calls = script.calls.load(Ordering::SeqCst);
    assert!((2..=6).contains(&calls), "{calls} calls");
    assert!(elapsed < Duration::from_millis(2_500), "took {elapsed:?}");
}

#[tokio::test]
async fn a_reply_over_the_size_cap_is_a_bad_reply() {
    let huge: &'static str = Box::leak(
        format!(
            "{{\"choices\": [{{\"message\": {{\"content\": \"{}\"}}}}]}}",
            "x".repeat(10_000)
        )
        .into_boxed_str(),
    );
    let (app, _) = app_with_llm_and(vec![Step::Raw(huge)], |llm| llm.max_reply_bytes = 4_096).await;
    let (status, body) = query(&app, json!({"question": QUESTION})).await;
    assert_eq!(status, 502, "{body}");
    assert_eq!(body["error"]["code"], "llm_bad_reply");
}

const QUESTION: &str = "How much is the Team plan if I pay every month instead of yearly?";

/// Every fault must be answered quickly: nothing may hang.
async fn query(app: &common::TestApp, body: serde_json::Value) -> (u16, serde_json::Value) {
    tokio::time::timeout(Duration::from_secs(20), app.query(body))
        .await
        .expect("the request hung")
}

#[tokio::test]
async fn an_answer_from_the_model_is_cited_and_versioned() {
    let (app, script) =
        app_with_llm(vec![Step::Reply("Monthly billing costs $10 per user [1].")]).await;
    let (status, answer) = query(&app, json!({"question": QUESTION})).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["model"], "scripted-model");
    assert_eq!(answer["usage"]["prompt_tokens"], 321);
    assert_eq!(answer["citations"][0]["n"], 1);
    assert_eq!(answer["citations_inferred"], false);
    assert!(answer["disclaimer"].is_null());
    assert_eq!(script.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_unanswerable_question_abstains_without_calling_the_model() {
    let (app, script) = app_with_llm(vec![Step::Reply("should not be used")]).await;
    let (status, answer) = query(
        &app,
        json!({"question": "Does Tidepool integrate with Salesforce?"}),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(answer["abstained"], true, "{answer}");
    assert!(answer["answer"].as_str().unwrap().contains("couldn't find"));
    assert!(
        !answer["nearest"].as_array().unwrap().is_empty(),
        "abstention must show nearest sources"
    );
    assert_eq!(script.calls.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_timeout_is_a_504_with_citations() {
    let (app, _) = app_with_llm(vec![Step::Sleep(Duration::from_secs(5))]).await;
    let started = std::time::Instant::now();
    let (status, body) = query(&app, json!({"question": QUESTION})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (504, Some("llm_timeout")),
        "{body}"
    );
    assert!(!body["citations"].as_array().unwrap().is_empty());
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "the timeout did not cut the call"
    );
}

#[tokio::test]
async fn a_failing_model_is_a_502_after_retries() {
    let (app, script) = app_with_llm(vec![
        Step::Status(500),
        Step::Status(503),
        Step::Status(500),
    ])
    .await;
    let (status, body) = query(&app, json!({"question": QUESTION})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (502, Some("llm_unavailable")),
        "{body}"
    );
    assert!(!body["citations"].as_array().unwrap().is_empty());
    assert_eq!(
        script.calls.load(Ordering::SeqCst),
        3,
        "1 attempt + 2 retries"
    );
}

#[tokio::test]
async fn a_429_then_success_is_retried() {
    let (app, script) = app_with_llm(vec![
        Step::Status(429),
        Step::Reply("It is $10 per user per month [1]."),
    ])
    .await;
    let (status, answer) = query(&app, json!({"question": QUESTION})).await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer["answer"].as_str().unwrap().contains("$10"));
    assert_eq!(script.calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_client_error_is_not_retried() {
    let (app, script) = app_with_llm(vec![Step::Status(400), Step::Reply("unused")]).await;
    let (status, body) = query(&app, json!({"question": QUESTION})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (502, Some("llm_rejected")),
        "{body}"
    );
    assert_eq!(script.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn malformed_json_is_a_502_bad_reply() {
    let (app, _) = app_with_llm(vec![Step::Raw("{\"choices\": [{\"mess")]).await;
    let (status, body) = query(&app, json!({"question": QUESTION})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (502, Some("llm_bad_reply")),
        "{body}"
    );
    assert!(!body["citations"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_streamed_answer_passes_tokens_through() {
    let steps = vec![Step::Stream {
        deltas: vec!["It costs ", "$10 ", "[1]."],
        finish: true,
    }];
    let (app, _) = app_with_llm(steps).await;
    let response = app
        .post(
            "/v1/collections/docs/query",
            json!({"question": QUESTION, "stream": true}),
        )
        .await;
    let events = common::sse_events(&response.text().await.unwrap());
    let names: Vec<&str> = events.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(names, ["retrieval", "token", "token", "token", "done"]);
    let done = &events[4].1;
    assert_eq!(done["answer"], "It costs $10 [1].");
    assert_eq!(done["usage"]["completion_tokens"], 3);
    assert_eq!(done["citations"][0]["n"], 1);
}

#[tokio::test]
async fn a_stream_cut_short_ends_with_an_error_event() {
    let steps = vec![Step::Stream {
        deltas: vec!["It costs "],
        finish: false,
    }];
    let (app, _) = app_with_llm(steps).await;
    let response = tokio::time::timeout(
        Duration::from_secs(20),
        app.post(
            "/v1/collections/docs/query",
            json!({"question": QUESTION, "stream": true}),
        ),
    )
    .await
    .unwrap();
    let events = common::sse_events(&response.text().await.unwrap());
    let names: Vec<&str> = events.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(names, ["retrieval", "token", "error"]);
    assert_eq!(events[2].1["error"]["code"], "llm_bad_reply");
    assert!(!events[2].1["citations"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn an_unreachable_model_is_a_502_and_not_ready() {
    let app = common::spawn_app_with_faq(|s| {
        // Nothing listens on port 9 (discard) on these machines.
        s.llm.base_url = "http://127.0.0.1:9/v1".into();
        s.llm.retry_base_delay_ms = 10;
    })
    .await;
    let (status, body) = query(&app, json!({"question": QUESTION})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (502, Some("llm_unavailable")),
        "{body}"
    );
    assert_eq!(app.get("/readyz").await.0, 503);
}

#[tokio::test]
async fn the_llm_judge_overrules_the_lexical_check_and_its_failure_is_a_502() {
    let (app, script) = app_with_llm(vec![
        Step::Reply("1: yes\n2: no"),
        Step::Status(400), // not retried: the judge's failure is reported at once
    ])
    .await;
    let body = json!({
        "context": ["Team costs $10 per user per month when billed monthly."],
        // Sentence 1 paraphrases ("charged", "monthly plan"): the lexical check rejects it.
        "answer": "You are charged $10 per user on the monthly plan. Team includes 99 GB.",
        "method": "llm_judge"
    });
    let lexical = app
        .post(
            "/v1/grounding/check",
            json!({"method": "lexical", "context": body["context"], "answer": body["answer"]}),
        )
        .await;
    let lexical: serde_json::Value = lexical.json().await.unwrap();
    assert_eq!(lexical["sentences"][0]["supported"], false, "{lexical}");

    let judged: serde_json::Value = app
        .post("/v1/grounding/check", body.clone())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(judged["method"], "llm_judge", "{judged}");
    assert_eq!(judged["sentences"][0]["judged"], true);
    assert_eq!(judged["sentences"][0]["supported"], true);
    assert_eq!(judged["sentences"][1]["supported"], false);
    assert_eq!(judged["hallucinated"], true);
    assert_eq!(script.calls.load(Ordering::SeqCst), 1);

    let failed = app.post("/v1/grounding/check", body).await;
    assert_eq!(failed.status(), 502);
}
