//! The groundedness check with the real embedder, over HTTP: a grounded answer passes, an
//! invented number is flagged on its own sentence, and answers carry their grounding.

// Panicking on a broken fixture is what a test should do.
#![allow(clippy::unwrap_used)]

mod common;

use serde_json::json;

const CONTEXT: &str = "Team costs $8 per user per month when billed annually, or $10 per user \
    per month when billed monthly. Business costs $16 per user per month billed annually.";

#[tokio::test(flavor = "multi_thread")]
async fn a_grounded_answer_passes_and_an_invented_number_is_flagged() {
    let app = common::spawn_app_with_faq(|_| {}).await;
    let check = |answer: &str| {
        app.post(
            "/v1/grounding/check",
            json!({"context": [CONTEXT], "answer": answer, "question": "What does Team cost?"}),
        )
    };

    let grounded: serde_json::Value =
        check("Team costs $10 per user per month when billed monthly [1].")
            .await
            .json()
            .await
            .unwrap();
    assert_eq!(grounded["hallucinated"], false, "{grounded}");
    // No profile was given: the short answer got the strict one, and says it was picked.
    assert_eq!(grounded["profile"], "strict", "{grounded}");
    assert_eq!(grounded["profile_auto"], true, "{grounded}");
    let sentence = &grounded["sentences"][0];
    assert_eq!(sentence["supported"], true);
    assert_eq!(sentence["source_chunk"], 1);
    // The span is the supporting sentence of the passage, in characters.
    let span = sentence["span"].as_array().unwrap();
    let (start, end) = (
        span[0].as_u64().unwrap() as usize,
        span[1].as_u64().unwrap() as usize,
    );
    let supported: String = CONTEXT.chars().skip(start).take(end - start).collect();
    assert!(supported.starts_with("Team costs $8"), "{supported}");

    let invented: serde_json::Value = check(
        "Team costs $10 per user per month when billed monthly. Business costs $25 per user per month.",
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(invented["hallucinated"], true, "{invented}");
    let sentences = invented["sentences"].as_array().unwrap();
    assert_eq!(sentences[0]["supported"], true, "{invented}");
    assert_eq!(sentences[1]["supported"], false);
    assert!(sentences[1]["text"].as_str().unwrap().contains("$25"));
    assert_eq!(sentences[1]["missing"], json!(["25"]));
    assert!(invented["score"].as_f64().unwrap() < 0.5);
}

#[tokio::test(flavor = "multi_thread")]
async fn answers_carry_their_grounding_and_bad_checks_are_refused() {
    let app = common::spawn_app_with_faq(|_| {}).await;
    let (status, answer) = app
        .query(json!({"question": "How much is the Team plan if I pay every month instead of yearly?"}))
        .await;
    assert_eq!(status, 200, "{answer}");
    // The extractive answer quotes its passages: every sentence is supported.
    assert_eq!(answer["grounding"]["hallucinated"], false, "{answer}");
    assert!(!answer["grounding"]["sentences"]
        .as_array()
        .unwrap()
        .is_empty());
    assert!(answer["latency_ms"]["ground"].as_f64().unwrap() > 0.0);

    for (body, code) in [
        (
            json!({"context": [CONTEXT], "answer": "  "}),
            "empty_answer",
        ),
        (
            json!({"context": [], "answer": "Team costs $8."}),
            "empty_context",
        ),
        (
            json!({"context": [CONTEXT], "answer": "x", "profile": "loose"}),
            "invalid_json",
        ),
    ] {
        let response = app.post("/v1/grounding/check", body).await;
        assert_eq!(response.status(), 400);
        let error: serde_json::Value = response.json().await.unwrap();
        assert_eq!(error["error"]["code"], code, "{error}");
    }
}
