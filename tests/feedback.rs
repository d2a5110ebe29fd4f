//! The answer log over HTTP with the real app: feedback round-trips and is replaced per client,
//! answers page and filter, rated answers export, /v1/stats matches figures computed by hand,
//! /metrics parses as Prometheus text and moves, and /v1/insights groups alike questions. The
//! answer-log tests run on SQLite and again (`postgres_…`) on a PostgreSQL log.

// Panicking on a broken fixture is what a test should do.
#![allow(clippy::unwrap_used)]

mod common;

use serde_json::{json, Value};

const PRICE: &str = "How much is the Team plan if I pay every month instead of yearly?";

async fn ask(app: &common::TestApp, question: &str) -> Value {
    let (status, answer) = app.query(json!({ "question": question })).await;
    assert_eq!(status, 200, "{answer}");
    answer
}

async fn rate(app: &common::TestApp, id: &str, client: &str, body: Value) -> (u16, Value) {
    let response = app
        .http
        .post(format!("{}/v1/answers/{id}/feedback", app.url))
        .header("x-client-id", client)
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
async fn feedback_round_trips_is_replaced_per_client_and_exports() {
    feedback_round_trips_is_replaced_per_client_and_exports_on(None).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "skipped: no PostgreSQL server (scripts/test.sh starts one)"]
async fn postgres_feedback_round_trips_is_replaced_per_client_and_exports() {
    feedback_round_trips_is_replaced_per_client_and_exports_on(Some(
        common::postgres::fresh_database(),
    ))
    .await;
}

async fn feedback_round_trips_is_replaced_per_client_and_exports_on(database_url: Option<String>) {
    let app = common::spawn_app_with_faq(|s| s.database_url = database_url).await;
    let answer = ask(&app, PRICE).await;
    let id = answer["answer_id"].as_str().unwrap();

    let (status, first) = rate(&app, id, "ana", json!({"rating": "up"})).await;
    assert_eq!(status, 201, "{first}");
    assert_eq!(first["replaced"], false);
    let body =
        json!({"rating": "down", "reason": "incomplete", "comment": "misses the annual price"});
    let (status, second) = rate(&app, id, "ana", body).await;
    assert_eq!((status, &second["replaced"]), (201, &json!(true)));
    let (status, _) = rate(&app, id, "ben", json!({"rating": "up"})).await;
    assert_eq!(status, 201);

    let (status, logged) = app.get(&format!("/v1/answers/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(logged["question"], PRICE);
    assert_eq!(logged["collection"], "docs");
    assert_eq!(logged["answer"]["answer"], answer["answer"]);
    assert_eq!(logged["answer"]["grounding"], answer["grounding"]);
    let feedback = logged["feedback"].as_array().unwrap();
    assert_eq!(feedback.len(), 2, "{logged}");
    let ana = feedback.iter().find(|f| f["client"] == "ana").unwrap();
    assert_eq!(
        (&ana["rating"], &ana["reason"]),
        (&json!("down"), &json!("incomplete"))
    );

    // Filters: one answer rated down; none rated down in another collection.
    let (_, page) = app.get("/v1/answers?rating=down").await;
    assert_eq!(page["answers"].as_array().unwrap().len(), 1);
    let (_, page) = app.get("/v1/answers?rating=down&collection=other").await;
    assert!(page["answers"].as_array().unwrap().is_empty());

    let export = app
        .http
        .get(format!("{}/v1/feedback/export?rating=down", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let rows: Vec<Value> = export
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 1, "{export}");
    assert_eq!(rows[0]["question"], PRICE);
    assert_eq!(rows[0]["reason"], "incomplete");
    assert_eq!(rows[0]["comment"], "misses the annual price");
    assert_eq!(rows[0]["sources"], json!(["faq.jsonl"]));

    // Errors: unknown answer, bad rating, bad filter.
    let (status, error) = rate(&app, "no-such-answer", "ana", json!({"rating": "up"})).await;
    assert_eq!(
        (status, &error["error"]["code"]),
        (404, &json!("answer_not_found"))
    );
    let (status, error) = rate(&app, id, "ana", json!({"rating": "meh"})).await;
    assert_eq!(
        (status, &error["error"]["code"]),
        (400, &json!("invalid_json"))
    );
    let (status, error) = app.get("/v1/answers?hallucinated=maybe").await;
    assert_eq!(
        (status, &error["error"]["code"]),
        (400, &json!("invalid_query_parameters"))
    );
    let (status, _) = app.get("/v1/answers/no-such-answer").await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn stats_match_figures_computed_by_hand() {
    stats_match_figures_computed_by_hand_on(None).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "skipped: no PostgreSQL server (scripts/test.sh starts one)"]
async fn postgres_stats_match_figures_computed_by_hand() {
    stats_match_figures_computed_by_hand_on(Some(common::postgres::fresh_database())).await;
}

async fn stats_match_figures_computed_by_hand_on(database_url: Option<String>) {
    let app = common::spawn_app_with_faq(|s| s.database_url = database_url).await;
    let questions = [
        PRICE,
        "Can I test the paid features before buying, and do I have to enter a credit card?",
        "How long do I have to undo closing my account by accident?",
        "Does Tidepool integrate with Salesforce?", // not in the FAQ: abstains
    ];
    let mut answers = Vec::new();
    for q in questions {
        answers.push(ask(&app, q).await);
    }
    assert_eq!(answers[3]["abstained"], true, "{}", answers[3]);
    let id = |i: usize| answers[i]["answer_id"].as_str().unwrap().to_owned();
    rate(&app, &id(0), "ana", json!({"rating": "up"})).await;
    rate(&app, &id(1), "ana", json!({"rating": "up"})).await;
    rate(&app, &id(2), "ana", json!({"rating": "down"})).await;

    let (status, stats) = app.get("/v1/stats?collection=docs").await;
    assert_eq!(status, 200, "{stats}");
    assert_eq!(stats["answers"], 4);
    assert_eq!(stats["abstained"], 1);
    assert_eq!(stats["abstention_rate"], 0.25);
    let flagged = answers[..3]
        .iter()
        .filter(|a| a["grounding"]["hallucinated"] == true)
        .count();
    assert_eq!(stats["hallucinated"], flagged);
    assert_eq!(stats["hallucination_rate"], flagged as f64 / 3.0);
    assert_eq!(
        (&stats["feedback"]["up"], &stats["feedback"]["down"]),
        (&json!(2), &json!(1))
    );
    assert_eq!(stats["feedback"]["thumbs_up_rate"], 2.0 / 3.0);
    // Wilson 95% interval for 2 of 3, computed by hand: [0.2077, 0.9385].
    let interval = stats["feedback"]["thumbs_up_interval_95"]
        .as_array()
        .unwrap();
    assert!(
        (interval[0].as_f64().unwrap() - 0.2077).abs() < 1e-4,
        "{interval:?}"
    );
    assert!(
        (interval[1].as_f64().unwrap() - 0.9385).abs() < 1e-4,
        "{interval:?}"
    );
    // Nearest-rank p50 of four total latencies is the second smallest; p95 and p99 the largest.
    let mut totals: Vec<f64> = answers
        .iter()
        .map(|a| a["latency_ms"]["total"].as_f64().unwrap())
        .collect();
    totals.sort_by(f64::total_cmp);
    assert_eq!(stats["latency_ms"]["total"]["p50"], totals[1]);
    assert_eq!(stats["latency_ms"]["total"]["p99"], totals[3]);
    // Extractive answers use no tokens, so cost nothing.
    assert_eq!(stats["tokens"]["prompt"], 0);
    assert_eq!(stats["cost"]["total"], 0.0);
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert_eq!(stats["answers_per_day"][&today], 4);

    let (_, none) = app.get("/v1/stats?collection=other").await;
    assert_eq!(none["answers"], 0);
    assert_eq!(none["abstention_rate"], Value::Null);
}

async fn scrape(app: &common::TestApp) -> prometheus_parse::Scrape {
    let response = app
        .http
        .get(format!("{}/metrics", app.url))
        .send()
        .await
        .unwrap();
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = response.text().await.unwrap();
    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let scrape = prometheus_parse::Scrape::parse(lines).unwrap();
    // The parser skips lines it cannot read: every metric written must have been read.
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let name = line.split(['{', ' ']).next().unwrap();
        let base = ["_bucket", "_sum", "_count"]
            .iter()
            .fold(name, |n, suffix| n.trim_end_matches(suffix));
        assert!(
            scrape
                .samples
                .iter()
                .any(|s| s.metric == name || s.metric == base),
            "unparsed line: {line}"
        );
    }
    scrape
}

/// The value of a counter (or a histogram's count) with the given labels; 0 when absent.
fn value(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name && labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => *v,
            prometheus_parse::Value::Histogram(buckets) => buckets.last().map_or(0.0, |b| b.count),
            prometheus_parse::Value::Summary(_) => 0.0,
        })
        .sum()
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_parse_as_prometheus_text_and_move_with_requests() {
    let app = common::spawn_app_with_faq(|_| {}).await;
    let before = scrape(&app).await;
    let answered = ask(&app, PRICE).await;
    ask(&app, "Does Tidepool integrate with Salesforce?").await;
    let id = answered["answer_id"].as_str().unwrap();
    rate(&app, id, "ana", json!({"rating": "down"})).await;
    let after = scrape(&app).await;

    let moved = |name: &str, labels: &[(&str, &str)]| {
        value(&after, name, labels) - value(&before, name, labels)
    };
    let docs = ("collection", "docs");
    assert_eq!(
        moved("cairn_answers_total", &[docs, ("outcome", "answered")]),
        1.0
    );
    assert_eq!(
        moved("cairn_answers_total", &[docs, ("outcome", "abstained")]),
        1.0
    );
    assert_eq!(moved("cairn_feedback_total", &[("rating", "down")]), 1.0);
    assert_eq!(
        moved("cairn_stage_duration_seconds_count", &[("stage", "total")]),
        2.0
    );
    let query_route = ("route", "/v1/collections/:name/query");
    assert_eq!(
        moved(
            "cairn_http_request_duration_seconds_count",
            &[query_route, ("status", "200")]
        ),
        2.0
    );
    assert!(value(&after, "cairn_collection_points", &[docs]) > 0.0);
    // Labels stay bounded: no raw path or question text anywhere.
    for sample in &after.samples {
        for (_, v) in sample.labels.iter() {
            assert!(!v.contains("Team plan") && !v.contains("/docs/"), "{v}");
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn insights_group_alike_questions_that_went_wrong() {
    insights_group_alike_questions_that_went_wrong_on(None).await;
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "skipped: no PostgreSQL server (scripts/test.sh starts one)"]
async fn postgres_insights_group_alike_questions_that_went_wrong() {
    insights_group_alike_questions_that_went_wrong_on(Some(common::postgres::fresh_database()))
        .await;
}

async fn insights_group_alike_questions_that_went_wrong_on(database_url: Option<String>) {
    let app = common::spawn_app_with_faq(|s| s.database_url = database_url).await;
    let questions = [
        "How much does the Team plan cost?",
        "What is the monthly price of the Team plan?",
        "How much do I pay per user on Team?",
        "How do I export my notes to PDF?",
    ];
    let mut ids = Vec::new();
    for q in questions {
        let answer = ask(&app, q).await;
        let id = answer["answer_id"].as_str().unwrap().to_owned();
        rate(
            &app,
            &id,
            "ana",
            json!({"rating": "down", "reason": "wrong"}),
        )
        .await;
        ids.push(json!(id));
    }
    // Rated up: not an insight.
    let fine = ask(&app, PRICE).await;
    rate(
        &app,
        fine["answer_id"].as_str().unwrap(),
        "ana",
        json!({"rating": "up"}),
    )
    .await;

    let (status, insights) = app.get("/v1/insights?collection=docs").await;
    assert_eq!(status, 200, "{insights}");
    let topics = insights["topics"].as_array().unwrap();
    let topic_of = |id: &Value| {
        topics
            .iter()
            .position(|t| t["answer_ids"].as_array().unwrap().contains(id))
            .unwrap()
    };
    // The three pricing questions share the largest topic; the export question is apart.
    let pricing = topic_of(&ids[0]);
    assert_eq!(pricing, 0, "{insights}");
    assert_eq!((topic_of(&ids[1]), topic_of(&ids[2])), (0, 0), "{insights}");
    assert_ne!(topic_of(&ids[3]), 0, "{insights}");
    let representative = topics[0]["representative_question"].as_str().unwrap();
    assert!(representative.contains("Team"), "{representative}");
    let sizes: u64 = topics.iter().map(|t| t["size"].as_u64().unwrap()).sum();
    assert_eq!(
        sizes as usize,
        insights["answers"].as_u64().unwrap() as usize
    );
}
