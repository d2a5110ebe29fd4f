//! One application core, datasets and evaluation runs, with the real model and store.
// Panicking on a broken fixture is what a test should do.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;

use cairn::app::{EvalDataset, EvalRequest};
use cairn::rag::answer::{Question, Variant};
use cairn_ingest::store::SourceFilter;
use serde_json::{json, Value};

use common::cairn;

/// POSTs a dataset file to `/v1/datasets/{name}`.
async fn import(
    app: &common::TestApp,
    name: &str,
    content_type: &str,
    body: &str,
) -> reqwest::Response {
    app.http
        .post(format!("{}/v1/datasets/{name}", app.url))
        .header("content-type", content_type)
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

fn golden_jsonl() -> String {
    std::fs::read_to_string(common::repo().join("docs-sample/golden.jsonl")).unwrap()
}

fn variants() -> BTreeMap<String, Variant> {
    let top1 = Variant {
        top_k: Some(1),
        ..Variant::default()
    };
    // Refuses to answer almost anything: worse on purpose.
    let timid = Variant {
        min_similarity: Some(0.95),
        ..Variant::default()
    };
    BTreeMap::from([
        ("top1".to_owned(), top1),
        ("timid".to_owned(), timid),
        ("same".to_owned(), Variant::default()),
    ])
}

#[tokio::test]
async fn http_and_the_core_give_the_same_answer_and_log_record() {
    let app = common::spawn_app(|_| {}).await;
    let question = "How long are deleted notes kept?";
    let (status, via_http) = app.query(json!({ "question": question })).await;
    assert_eq!(status, 200, "{via_http}");
    let via_core = app
        .core()
        .ask(
            &common::collection("docs"),
            Question {
                text: question.into(),
                top_k: None,
                filter: SourceFilter::default(),
                variant: None,
                client: None,
                experiment: None,
                key_id: None,
            },
        )
        .await
        .unwrap();
    // Through JSON text, as HTTP sends it (f32 scores print the same way).
    let via_core: Value = serde_json::from_str(&serde_json::to_string(&via_core).unwrap()).unwrap();
    for field in [
        "answer",
        "abstained",
        "citations",
        "grounding",
        "model",
        "config_hash",
    ] {
        assert_eq!(via_http[field], via_core[field], "{field} differs");
    }
    // Both are in the log, typed, with the same content.
    let ids = [&via_http["answer_id"], &via_core["answer_id"]];
    let mut records = Vec::new();
    for id in ids {
        let (status, body) = app
            .get(&format!("/v1/answers/{}", id.as_str().unwrap()))
            .await;
        assert_eq!(status, 200, "{body}");
        records.push(body);
    }
    assert_eq!(records[0]["question"], records[1]["question"]);
    assert_eq!(
        records[0]["answer"]["answer"],
        records[1]["answer"]["answer"]
    );
    assert_eq!(
        records[0]["answer"]["citations"],
        records[1]["answer"]["citations"]
    );
    let (_, stats) = app.get("/v1/stats").await;
    assert_eq!(stats["answers"], 2, "{stats}");
}

#[tokio::test]
async fn a_worse_variant_is_a_significant_regression_and_an_identical_one_is_noise() {
    let app = common::spawn_app(|s| s.variants = variants()).await;
    let items =
        cairn::eval::dataset::parse(&golden_jsonl(), cairn::eval::dataset::Format::Jsonl).unwrap();
    let result = app
        .core()
        .evaluate(EvalRequest {
            collection: common::collection("docs"),
            dataset: EvalDataset::Items {
                name: "golden".into(),
                items: items.clone(),
            },
            variants: vec![
                "default".into(),
                "top1".into(),
                "timid".into(),
                "same".into(),
            ],
        })
        .await
        .unwrap();
    let n = items.len();
    assert_eq!(result.items.len(), 4 * n);

    // The aggregates are what the items say, recomputed here by hand.
    let default: Vec<_> = result
        .items
        .iter()
        .filter(|i| i.variant == "default")
        .collect();
    let answerable: Vec<_> = default.iter().filter(|i| i.answerable).collect();
    let hits = answerable
        .iter()
        .filter(|i| i.hit_at_5 == Some(true))
        .count();
    let m = &result.metrics["default"];
    assert_eq!(m["hit_at_5"].n, answerable.len());
    assert!((m["hit_at_5"].value.unwrap() - hits as f64 / answerable.len() as f64).abs() < 1e-12);
    let unanswerable: Vec<_> = default.iter().filter(|i| !i.answerable).collect();
    let abstained = unanswerable.iter().filter(|i| i.abstained).count();
    assert_eq!(m["abstain_rate_unanswerable"].n, unanswerable.len());
    assert!(
        (m["abstain_rate_unanswerable"].value.unwrap()
            - abstained as f64 / unanswerable.len() as f64)
            .abs()
            < 1e-12
    );
    // No reference answers in this set: no data, never 0.
    assert_eq!(m["reference_similarity"].value, None);
    let [lo, hi] = m["hit_at_5"].ci95.unwrap();
    assert!(lo <= m["hit_at_5"].value.unwrap() && m["hit_at_5"].value.unwrap() <= hi);

    // top_k 1 loses the expected source of every item whose source was not ranked first.
    let worse = &result.comparisons[0];
    assert_eq!(
        (worse.baseline.as_str(), worse.candidate.as_str()),
        ("default", "top1")
    );
    let hit5 = &worse.metrics["hit_at_5"];
    assert!(hit5.delta.unwrap() < 0.0, "{hit5:?}");
    let [_, hi] = hit5.ci95.unwrap();
    assert!(hi <= 0.0, "{hit5:?}");
    // The regressed items are exactly those whose expected source left the top 5.
    let lost: Vec<&str> = default
        .iter()
        .filter(|d| {
            let t = result
                .items
                .iter()
                .find(|i| i.variant == "top1" && i.id == d.id)
                .unwrap();
            d.hit_at_5 == Some(true) && t.hit_at_5 == Some(false)
        })
        .map(|d| d.id.as_str())
        .collect();
    assert!(!lost.is_empty());
    for id in &lost {
        assert!(
            worse.regressed.iter().any(|r| r == id),
            "{id} not listed as regressed"
        );
    }
    // McNemar's p is exactly that of the discordant pairs: all `lost.len()` went one way.
    let expected_p = (2.0 * 0.5f64.powi(lost.len() as i32)).min(1.0);
    assert!(
        (hit5.p_value.unwrap() - expected_p).abs() < 1e-9,
        "{hit5:?}"
    );

    // Abstaining on nearly everything is a significant regression, item by item.
    let timid = &result.comparisons[1];
    let answer_rate = &timid.metrics["answer_rate"];
    assert!(answer_rate.delta.unwrap() < -0.5, "{answer_rate:?}");
    assert!(answer_rate.p_value.unwrap() < 0.05, "{answer_rate:?}");
    assert!(
        timid
            .summary
            .iter()
            .any(|s| s.starts_with("answer_rate: worse")),
        "{:?}",
        timid.summary
    );
    for d in answerable.iter().filter(|d| !d.abstained) {
        let t = result
            .items
            .iter()
            .find(|i| i.variant == "timid" && i.id == d.id)
            .unwrap();
        if t.abstained {
            assert!(
                timid.regressed.contains(&d.id),
                "{} not listed as regressed",
                d.id
            );
        }
    }

    let same = &result.comparisons[2];
    for (name, delta) in &same.metrics {
        if name.starts_with("latency") {
            continue; // timing differs run to run
        }
        assert!(delta.p_value.is_none_or(|p| p >= 0.05), "{name}: {delta:?}");
    }
    assert!(same.regressed.is_empty() && same.improved.is_empty());
    // Only timing may differ between identical configurations.
    assert!(
        same.summary
            .iter()
            .all(|s| !s.contains("a real difference") || s.starts_with("latency")),
        "{:?}",
        same.summary
    );

    // Stored with what reproduces it.
    let (status, stored) = app.get(&format!("/v1/evals/{}", result.run.id)).await;
    assert_eq!(status, 200);
    assert_eq!(stored["status"], "done");
    assert_eq!(
        stored["result"]["run"]["dataset_version"],
        result.run.dataset_version
    );
    assert_eq!(stored["result"]["run"]["points"], result.run.points);
    let info = &stored["result"]["run"]["variants"]["top1"];
    for key in ["config_hash", "prompt_version", "model", "embedder"] {
        assert!(info[key].is_string(), "{key} missing: {info}");
    }
    assert_ne!(
        stored["result"]["run"]["variants"]["top1"]["config_hash"],
        stored["result"]["run"]["variants"]["default"]["config_hash"]
    );
}

#[tokio::test]
async fn evaluation_runs_as_a_job_over_http() {
    let app = common::spawn_app_with_faq(|_| {}).await;
    let items = "{\"id\": \"a\", \"question\": \"How much is the Team plan per month?\", \"expected_sources\": [\"faq.jsonl\"], \"keywords\": [\"$10\"], \"reference_answer\": \"The Team plan costs $10 per user per month.\"}\n{\"id\": \"b\", \"question\": \"Does Tidepool integrate with Salesforce?\", \"answerable\": false}\n";
    let imported = import(&app, "small", "application/x-ndjson", items).await;
    assert_eq!(imported.status(), 201);
    let started = app
        .post(
            "/v1/evals",
            json!({"collection": "docs", "dataset": "small"}),
        )
        .await;
    assert_eq!(started.status(), 202);
    let id = started.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut run = Value::Null;
    for _ in 0..600 {
        run = app.get(&format!("/v1/evals/{id}")).await.1;
        if run["status"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(run["status"], "done", "{run}");
    let metrics = &run["result"]["metrics"]["default"];
    for name in [
        "hit_at_1",
        "hit_at_5",
        "mrr",
        "answer_rate",
        "abstain_rate_unanswerable",
        "keyword_recall",
        "reference_similarity",
        "hallucination_rate",
        "latency_p50_ms",
        "latency_p95_ms",
        "cost_per_answer",
    ] {
        assert!(metrics[name].is_object(), "{name} missing");
    }
    assert_eq!(metrics["hit_at_5"]["n"], 1);
    assert!(
        metrics["reference_similarity"]["value"].as_f64().unwrap() > 0.5,
        "{metrics}"
    );
    assert_eq!(metrics["abstain_rate_unanswerable"]["value"], 1.0);
    let (_, list) = app.get("/v1/evals").await;
    assert_eq!(list["runs"][0]["id"], id.as_str());
    let unknown = app
        .post(
            "/v1/evals",
            json!({"collection": "docs", "dataset": "small", "variants": ["nope"]}),
        )
        .await;
    assert_eq!(unknown.status(), 400);
    assert_eq!(
        unknown.json::<Value>().await.unwrap()["error"]["code"],
        "unknown_variant"
    );
}

#[tokio::test]
async fn a_bad_row_rejects_the_whole_file_naming_its_line() {
    let app = common::spawn_app_with_faq(|_| {}).await;
    let body = "{\"question\": \"fine\"}\n{\"question\": \"also fine\"}\n{\"question\": \"bad\", \"answerable\": \"perhaps\"}\n";
    let response = import(&app, "broken", "application/x-ndjson", body).await;
    assert_eq!(response.status(), 400);
    let error = response.json::<Value>().await.unwrap();
    assert_eq!(error["error"]["code"], "invalid_dataset");
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("line 3:"),
        "{error}"
    );
    let (status, _) = app.get("/v1/datasets/broken").await;
    assert_eq!(status, 404, "nothing of the file is stored");
    let csv = import(
        &app,
        "broken",
        "text/csv",
        "question,keywords\nok,a;b\n,c\n",
    )
    .await;
    let error = csv.json::<Value>().await.unwrap();
    assert!(
        error["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("line 3: question is empty"),
        "{error}"
    );
}

#[tokio::test]
async fn a_thumbs_down_answer_becomes_a_dataset_item_and_round_trips() {
    let app = common::spawn_app_with_faq(|_| {}).await;
    let question = "How much is the Team plan per month?";
    let (_, answer) = app.query(json!({ "question": question })).await;
    let id = answer["answer_id"].as_str().unwrap();
    let rated = app
        .post(
            &format!("/v1/answers/{id}/feedback"),
            json!({"rating": "down", "reason": "wrong"}),
        )
        .await;
    assert_eq!(rated.status(), 201);
    let (_, down) = app.get("/v1/answers?rating=down").await;
    let down_id = down["answers"][0]["answer"]["answer_id"].as_str().unwrap();
    assert_eq!(down_id, id);
    let added = app
        .post(
            "/v1/datasets/regressions/items",
            json!({"answer_id": down_id, "corrected_answer": "It is $10 per user per month."}),
        )
        .await;
    assert_eq!(added.status(), 201);
    let dataset: Value = added.json().await.unwrap();
    let item = &dataset["items"][0];
    assert_eq!(item["question"], question);
    assert_eq!(item["id"], id);
    assert_eq!(item["reference_answer"], "It is $10 per user per month.");
    assert_eq!(
        item["expected_sources"],
        json!(common::cited_sources(&answer))
    );
    let exported = app
        .http
        .get(format!("{}/v1/datasets/regressions/export", app.url))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let again = import(&app, "copy", "application/x-ndjson", &exported).await;
    assert_eq!(again.status(), 201);
    let copy: Value = again.json().await.unwrap();
    assert_eq!(
        copy["version"], dataset["version"],
        "same items, same version"
    );
    assert_eq!(copy["items"], dataset["items"]);
}

#[test]
fn the_eval_cli_prints_json_writes_a_report_and_fails_under_a_threshold() {
    let data = tempfile::tempdir().unwrap();
    let faq = common::corpus().join("faq.jsonl");
    let ingested = cairn(
        data.path(),
        &["ingest", faq.to_str().unwrap(), "--collection", "docs"],
    );
    assert!(
        ingested.status.success(),
        "{}",
        String::from_utf8_lossy(&ingested.stderr)
    );
    let golden = common::repo().join("docs-sample/golden.jsonl");
    let imported = cairn(
        data.path(),
        &["datasets", "import", "golden", golden.to_str().unwrap()],
    );
    assert!(
        imported.status.success(),
        "{}",
        String::from_utf8_lossy(&imported.stderr)
    );
    let report = data.path().join("report.html");
    let out = cairn(
        data.path(),
        &[
            "eval",
            "--collection",
            "docs",
            "--dataset",
            "golden",
            "--json",
            "--report",
            report.to_str().unwrap(),
            "--fail-under",
            "answer_rate=0.01",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let result: Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "id",
        "dataset",
        "dataset_version",
        "collection",
        "points",
        "started",
        "cairn_version",
        "variants",
    ] {
        assert!(!result["run"][key].is_null(), "run.{key} missing");
    }
    assert_eq!(result["run"]["dataset"], "golden");
    assert!(result["metrics"]["default"]["hit_at_5"]["ci95"].is_array());
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("<table") && html.contains("hit_at_5") && !html.contains("<script"));

    let fail = cairn(
        data.path(),
        &[
            "eval",
            "--collection",
            "docs",
            "--dataset",
            "golden",
            "--fail-under",
            "hit_at_5=1.01",
        ],
    );
    assert!(!fail.status.success());
    let stderr = String::from_utf8_lossy(&fail.stderr);
    assert!(
        stderr.contains("--fail-under: default: hit_at_5 ="),
        "{stderr}"
    );

    let bad = data.path().join("bad.csv");
    std::fs::write(&bad, "question,answerable\nfine,true\nbad,perhaps\n").unwrap();
    let rejected = cairn(
        data.path(),
        &["datasets", "import", "bad", bad.to_str().unwrap()],
    );
    assert!(!rejected.status.success());
    let stderr = String::from_utf8_lossy(&rejected.stderr);
    assert!(
        stderr.contains("line 3") && stderr.contains("nothing was stored"),
        "{stderr}"
    );
    let listed = cairn(data.path(), &["datasets", "list", "--json"]);
    let listed: Value = serde_json::from_slice(&listed.stdout).unwrap();
    let names: Vec<&str> = listed["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["golden"]);
}
