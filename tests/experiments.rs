//! Online experiments over real HTTP, with the real embedder and store: defined in the
//! configuration or over the API, sticky arms recorded on answers, results with statistics,
//! and the errors that say what to fix.

// Panicking on a broken fixture is what a test should do.
#![allow(clippy::unwrap_used)]

mod common;

use cairn::experiments::{Arm, ExperimentSpec, State};
use serde_json::{json, Value};

/// The FAQ app with a second variant and an experiment `checkout` splitting `docs` 1:1.
async fn app_with_experiment() -> common::TestApp {
    common::spawn_app_with_faq(|s| {
        s.variants.insert(
            "short".into(),
            cairn::rag::answer::Variant {
                top_k: Some(2),
                ..Default::default()
            },
        );
        s.experiments.insert(
            "checkout".into(),
            ExperimentSpec {
                collection: Some("docs".into()),
                state: State::Running,
                arms: vec![
                    Arm {
                        variant: "default".into(),
                        weight: 1,
                    },
                    Arm {
                        variant: "short".into(),
                        weight: 1,
                    },
                ],
            },
        );
    })
    .await
}

async fn ask_as(app: &common::TestApp, client: &str, body: Value) -> Value {
    let response = app
        .http
        .post(format!("{}/v1/collections/docs/query", app.url))
        .header("x-client-id", client)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn rate(app: &common::TestApp, answer_id: &str, rating: &str) {
    let response = app
        .post(
            &format!("/v1/answers/{answer_id}/feedback"),
            json!({"rating": rating}),
        )
        .await;
    assert_eq!(response.status(), 201);
}

#[tokio::test(flavor = "multi_thread")]
async fn arms_are_sticky_recorded_and_reported() {
    let app = app_with_experiment().await;
    let question = json!({"question": "How much does the Team plan cost?"});
    let mut arms = std::collections::BTreeMap::new();
    for client in ["ana", "ben", "chloe", "dev", "eli", "fay"] {
        let first = ask_as(&app, client, question.clone()).await;
        let again = ask_as(&app, client, question.clone()).await;
        let arm = first["experiment"]["arm"].as_str().unwrap().to_owned();
        assert_eq!(first["experiment"]["name"], "checkout");
        assert_eq!(
            again["experiment"]["arm"],
            arm.as_str(),
            "{client} changed arm"
        );
        assert_eq!(first["variant"], arm.as_str(), "the arm's variant answered");
        rate(&app, first["answer_id"].as_str().unwrap(), "up").await;
        rate(&app, again["answer_id"].as_str().unwrap(), "down").await;
        arms.insert(client, arm);
    }
    // An explicit variant is never overridden, and is not part of the experiment.
    let chosen = ask_as(
        &app,
        "ana",
        json!({"question": "How much does the Team plan cost?", "variant": "short"}),
    )
    .await;
    assert!(chosen["experiment"].is_null(), "{chosen}");

    let (status, report) = app.get("/v1/experiments/checkout").await;
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["source"], "config");
    let per_arm: Vec<(String, u64, u64)> = report["results"]["arms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["variant"].as_str().unwrap().to_owned(),
                a["answers"].as_u64().unwrap(),
                a["up"].as_u64().unwrap(),
            )
        })
        .collect();
    for (variant, answers, up) in &per_arm {
        let clients = arms.values().filter(|a| *a == variant).count() as u64;
        assert_eq!((*answers, *up), (2 * clients, clients), "{report}");
    }
    let comparison = &report["results"]["comparisons"][0];
    assert_eq!(comparison["control"], "default");
    assert_eq!(comparison["arm"], "short");
    assert!(report["results"]["verdict"]
        .as_str()
        .unwrap()
        .starts_with("not enough data yet"));
    // The answer log filters by experiment too.
    let (_, page) = app.get("/v1/answers?experiment=checkout&limit=200").await;
    assert_eq!(page["answers"].as_array().unwrap().len(), 12);
}

#[tokio::test(flavor = "multi_thread")]
async fn experiments_are_defined_over_the_api_with_clear_errors() {
    let app = app_with_experiment().await;
    let put = |name: &str, body: Value| {
        let request = app
            .http
            .put(format!("{}/v1/experiments/{name}", app.url))
            .json(&body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.unwrap())
        }
    };
    let arms = json!([{"variant": "default", "weight": 3}, {"variant": "short", "weight": 1}]);

    // The configured experiment is read-only, and another running one on `docs` conflicts.
    let (status, body) = put("checkout", json!({"arms": arms})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("experiment_read_only"))
    );
    let (status, body) = put("other", json!({"collection": "docs", "arms": arms})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("experiment_conflict"))
    );
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("checkout"));

    // Unknown variants and single arms say what is wrong.
    let (status, body) = put(
        "typo",
        json!({"collection": "x", "arms": [{"variant": "default"}, {"variant": "shrot"}]}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_experiment");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("\"shrot\""),
        "{body}"
    );

    // On another collection it is created (201), replaced (200), stopped, and listed.
    let (status, created) = put("faq-split", json!({"collection": "faq", "arms": arms})).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["state"], "running");
    let (status, stopped) = put(
        "faq-split",
        json!({"collection": "faq", "state": "stopped", "arms": arms}),
    )
    .await;
    assert_eq!((status, stopped["state"].as_str()), (200, Some("stopped")));
    let (_, list) = app.get("/v1/experiments").await;
    let names: Vec<&str> = list["experiments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["checkout", "faq-split"]);
    let (status, body) = app.get("/v1/experiments/nope").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("experiment_not_found"))
    );
    let (_, variants) = app.get("/v1/variants").await;
    assert_eq!(variants["variants"], json!(["default", "short"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stored_experiment_survives_a_restart_and_is_stopped_when_its_variant_is_gone() {
    let data = tempfile::tempdir().unwrap();
    let mut settings = common::settings(data.path());
    settings.variants.insert(
        "short".into(),
        cairn::rag::answer::Variant {
            top_k: Some(1),
            ..Default::default()
        },
    );
    let spec = ExperimentSpec {
        collection: Some("docs".into()),
        state: State::Running,
        arms: ["default", "short"]
            .map(|variant| Arm {
                variant: variant.into(),
                weight: 1,
            })
            .to_vec(),
    };
    {
        let core = cairn::app::Cairn::build(&settings).unwrap();
        core.put_experiment("pilot", spec).await.unwrap();
    }
    // Restarted with the same configuration: the experiment is still there, still running.
    {
        let core = cairn::app::Cairn::build(&settings).unwrap();
        let all = core.experiments().await;
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].spec.state, State::Running);
    }
    // Restarted without the variant: the start does not fail, the experiment is stopped.
    settings.variants.clear();
    let core = cairn::app::Cairn::build(&settings).unwrap();
    let all = core.experiments().await;
    assert_eq!(all[0].name, "pilot");
    assert_eq!(all[0].spec.state, State::Stopped, "{all:?}");
}
