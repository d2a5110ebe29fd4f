//! What the dashboard reads and writes, over real HTTP: the review queue and reviews, blind
//! pairwise preferences, a citation's full passage, and the per-day rates of /v1/stats.

// Panicking on a broken fixture is what a test should do.
#![allow(clippy::unwrap_used)]

mod common;

use serde_json::{json, Value};

async fn ask(app: &common::TestApp, question: &str) -> Value {
    let (status, answer) = app.query(json!({ "question": question })).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

#[tokio::test(flavor = "multi_thread")]
async fn rated_down_answers_wait_in_the_review_queue_until_reviewed() {
    let app = common::spawn_app_with_faq(|_| {}).await;
    let good = ask(&app, "How much does the Team plan cost?").await;
    let bad = ask(&app, "Can I export my data?").await;
    let bad_id = bad["answer_id"].as_str().unwrap();
    for (answer, rating) in [(&good, "up"), (&bad, "down")] {
        let id = answer["answer_id"].as_str().unwrap();
        let body = json!({"rating": rating, "reason": "incomplete"});
        let response = app.post(&format!("/v1/answers/{id}/feedback"), body).await;
        assert_eq!(response.status(), 201);
    }
    let queue = |app: &common::TestApp| {
        let url = "/v1/answers?needs_review=true&collection=docs".to_owned();
        let http = app.http.clone();
        let base = app.url.clone();
        async move { common::get_json(&http, &format!("{base}{url}")).await.1 }
    };
    let ids = |page: &Value| -> Vec<String> {
        page["answers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["answer"]["answer_id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(ids(&queue(&app).await), [bad_id]);

    let review = json!({"verdict": "incorrect", "corrected_answer": "Yes: Settings > Export.", "note": "  "});
    let response = app
        .post(&format!("/v1/answers/{bad_id}/review"), review)
        .await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["review"]["verdict"], "incorrect");
    assert!(body["review"]["note"].is_null(), "a blank note is no note");
    assert!(ids(&queue(&app).await).is_empty());
    let (_, logged) = app.get(&format!("/v1/answers/{bad_id}")).await;
    assert_eq!(
        logged["review"]["corrected_answer"],
        "Yes: Settings > Export."
    );

    // Unknown answers and bad verdicts are refused with the API's error shape.
    let response = app
        .post("/v1/answers/nope/review", json!({"verdict": "correct"}))
        .await;
    assert_eq!(response.status(), 404);
    let response = app
        .post(
            &format!("/v1/answers/{bad_id}/review"),
            json!({"verdict": "meh"}),
        )
        .await;
    assert_eq!(response.status(), 400);

    // /v1/stats has each day's rates with intervals.
    let (_, stats) = app.get("/v1/stats?collection=docs").await;
    let day = &stats["daily"][0];
    assert_eq!(
        (
            day["answers"].as_u64(),
            day["up"].as_u64(),
            day["down"].as_u64()
        ),
        (Some(2), Some(1), Some(1))
    );
    assert_eq!(day["thumbs_up_rate"], 0.5);
    let [lo, hi] = [0, 1].map(|i| day["thumbs_up_interval_95"][i].as_f64().unwrap());
    assert!(lo < 0.5 && hi > 0.5, "{day}");
    assert!(day["latency_p95_ms"].as_f64().unwrap() > 0.0);
}

#[tokio::test(flavor = "multi_thread")]
async fn preferences_between_two_variants_are_tallied() {
    let app = common::spawn_app_with_faq(|s| {
        s.variants.insert(
            "short".into(),
            cairn::rag::answer::Variant {
                top_k: Some(1),
                ..Default::default()
            },
        );
    })
    .await;
    let question = "How much does the Team plan cost?";
    let mut choose = Vec::new();
    for preferred in ["left", "right", "tie", "left"] {
        let (_, a) = app
            .query(json!({"question": question, "variant": "default"}))
            .await;
        let (_, b) = app
            .query(json!({"question": question, "variant": "short"}))
            .await;
        // The app shows them in either order; the tally is by variant, not by side.
        let (left, right) = if preferred == "right" {
            (&b, &a)
        } else {
            (&a, &b)
        };
        let side = |x: &Value| json!({"answer_id": x["answer_id"], "variant": x["variant"]});
        choose.push(json!({
            "collection": "docs", "question": question, "blind": true,
            "left": side(left), "right": side(right), "preferred": preferred
        }));
    }
    for body in &choose {
        let response = app.post("/v1/preferences", body.clone()).await;
        assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
    }
    let (_, tally) = app.get("/v1/preferences?collection=docs").await;
    // left(default) wins twice; right(default, swapped) wins once; one tie.
    assert_eq!(
        tally["pairs"],
        json!([{"a": "default", "b": "short", "a_wins": 3, "b_wins": 0, "ties": 1, "n": 4}])
    );
    assert_eq!(
        (tally["total"].as_u64(), tally["blind"].as_u64()),
        (Some(4), Some(4))
    );

    // The same answer on both sides, or an answer to another question, is refused.
    let mut same = choose[0].clone();
    same["right"] = same["left"].clone();
    let response = app.post("/v1/preferences", same).await;
    assert_eq!(response.status(), 400);
    let mut other = choose[0].clone();
    other["question"] = json!("Something else?");
    let response = app.post("/v1/preferences", other).await;
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "invalid_preference", "{body}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_citation_opens_its_whole_passage_and_sentences_map_into_the_answer() {
    let app = common::spawn_app_with_faq(|_| {}).await;
    let answer = ask(&app, "How much does the Team plan cost?").await;
    let citation = &answer["citations"][0];
    let chunk = citation["chunk_id"].as_str().unwrap();
    let (status, passage) = app
        .get(&format!("/v1/collections/docs/chunks/{chunk}"))
        .await;
    assert_eq!(status, 200, "{passage}");
    assert_eq!(passage["source"], citation["source"]);
    let text = passage["text"].as_str().unwrap();
    assert!(text.len() >= citation["snippet"].as_str().unwrap().len() - 3);

    // Each supported sentence points into this passage and into the answer text.
    let answer_chars: Vec<char> = answer["answer"].as_str().unwrap().chars().collect();
    let passage_chars: Vec<char> = text.chars().collect();
    for s in answer["grounding"]["sentences"].as_array().unwrap() {
        let [a, b] = [0, 1].map(|i| s["answer_span"][i].as_u64().unwrap() as usize);
        let piece: String = answer_chars[a..b].iter().collect();
        let words: Vec<&str> = s["text"].as_str().unwrap().split_whitespace().collect();
        assert!(piece.starts_with(words[0]), "{piece:?} vs {s}");
        if s["source_chunk"] == citation["n"] {
            let [x, y] = [0, 1].map(|i| s["span"][i].as_u64().unwrap() as usize);
            assert!(y <= passage_chars.len() && x < y, "{s}");
        }
    }

    let (status, body) = app.get("/v1/collections/docs/chunks/not-a-uuid").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("chunk_not_found"))
    );
    let missing = uuid::Uuid::new_v4();
    let (status, _) = app
        .get(&format!("/v1/collections/docs/chunks/{missing}"))
        .await;
    assert_eq!(status, 404);
    let (status, body) = app
        .get(&format!("/v1/collections/nope/chunks/{missing}"))
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("collection_not_found"))
    );
}
