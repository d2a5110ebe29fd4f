//! Trust and safety with the real app over real HTTP: API keys and scopes on every route,
//! browser rules, limits, a user's data deleted on request, the audit log, redaction, and the
//! embedded store under concurrency (32 first requests after a restart).

// Panicking on a broken fixture is what a test should do.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::Arc;

use serde_json::{json, Value};

const ADMIN: &str = "admin-key-for-the-tests-0123456789";
const QUERY: &str = "query-key-for-the-tests-0123456789";

fn with_keys(s: &mut common::AppSettings) {
    s.auth.admin_key = Some(ADMIN.into());
    s.auth.query_keys = vec![QUERY.into()];
}

/// A concrete path for a route template of the OpenAPI document.
fn concrete(template: &str, answer_id: &str) -> String {
    template
        .replace("{name}", "docs")
        .replace("{id}", answer_id)
        .replace("{chunk_id}", "00000000-0000-0000-0000-000000000000")
        .replace("{job_id}", "00000000-0000-0000-0000-000000000000")
}

async fn call(http: &reqwest::Client, method: &str, url: &str) -> reqwest::Response {
    let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
    let request = http.request(method.clone(), url);
    let request = if method == reqwest::Method::GET || method == reqwest::Method::DELETE {
        request
    } else {
        request.json(&json!({}))
    };
    request.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_route_answers_no_key_a_query_key_and_the_admin_key_as_documented() {
    let app = common::spawn_app_with_faq(with_keys).await;
    let anonymous = reqwest::Client::new();
    let query = common::client_with_key(Some(QUERY));
    let admin = common::client_with_key(Some(ADMIN));

    // The query key asks and reads back its own answer; the admin's answer is not its to read.
    let asked: Value = query
        .post(format!("{}/v1/collections/docs/query", app.url))
        .json(&json!({"question": "Is there a free trial?"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let own = asked["answer_id"].as_str().unwrap().to_owned();
    let (status, _) = common::get_json(&query, &format!("{}/v1/answers/{own}", app.url)).await;
    assert_eq!(status, 200);
    let rated = query
        .post(format!("{}/v1/answers/{own}/feedback", app.url))
        .json(&json!({"rating": "up"}))
        .send()
        .await
        .unwrap();
    assert_eq!(rated.status(), 201);
    let (_, theirs) = app
        .query(json!({"question": "How do I export my notes?"}))
        .await;
    let theirs = theirs["answer_id"].as_str().unwrap();
    let (status, body) =
        common::get_json(&query, &format!("{}/v1/answers/{theirs}", app.url)).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("answer_not_found"))
    );

    let (status, doc) = common::get_json(&anonymous, &format!("{}/openapi.json", app.url)).await;
    assert_eq!(status, 200, "the API document is public");
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let mut checked = 0;
    for (template, item) in doc["paths"].as_object().unwrap() {
        // Deleting the collection would take the data the other routes read.
        let path = if template == "/v1/collections/{name}" {
            "/v1/collections/gone".to_owned()
        } else {
            concrete(template, &own)
        };
        for (method, operation) in item.as_object().unwrap() {
            let scope = operation["x-cairn-scope"].as_str().unwrap();
            let url = format!("{}{path}", app.url);
            let what = format!("{method} {template} ({scope})");
            let none = call(&anonymous, method, &url).await;
            let status = none.status().as_u16();
            if scope == "public" {
                assert!(status < 400, "{what} without a key: {status}");
            } else {
                assert_eq!(status, 401, "{what} without a key");
                assert_eq!(none.headers()["www-authenticate"], "Bearer");
                let body: Value = none.json().await.unwrap();
                assert_eq!(body["error"]["code"], "unauthorized", "{what}");
                let responses = &operation["responses"];
                assert!(
                    responses.get("401").is_some() && responses.get("403").is_some(),
                    "{what}"
                );
            }
            let status = call(&query, method, &url).await.status().as_u16();
            match scope {
                "admin" => assert_eq!(status, 403, "{what} with a query key"),
                _ => assert!(
                    status != 401 && status != 403,
                    "{what} with a query key: {status}"
                ),
            }
            let status = call(&admin, method, &url).await.status().as_u16();
            assert!(
                status != 401 && status != 403,
                "{what} with the admin key: {status}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 35, "only {checked} operations in the document");

    // A wrong key is refused as such, and the web app's files stay public.
    let wrong = common::client_with_key(Some("not-a-key-of-this-server-000"));
    let (status, body) = common::get_json(&wrong, &format!("{}/v1/collections", app.url)).await;
    assert_eq!(status, 401);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not valid"));
    assert_eq!(anonymous.get(&app.url).send().await.unwrap().status(), 200);

    // Admin actions are in the audit log, with who did them.
    let (status, audit) = common::get_json(&admin, &format!("{}/v1/audit", app.url)).await;
    assert_eq!(status, 200);
    let entries = audit["entries"].as_array().unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e["action"] == "DELETE /v1/collections/{name}" && e["actor"] == "admin"),
        "{audit}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_from_another_origin_is_refused_and_an_open_server_answers_only_loopback_names() {
    let app = common::spawn_app_with_faq(with_keys).await;
    let upload = |origin: &'static str| {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::text("# Hi\n\nA page.\n").file_name("hi.md"),
        );
        app.http
            .post(format!("{}/v1/collections/docs/documents", app.url))
            .header("origin", origin)
            .multipart(form)
            .send()
    };
    let refused = upload("https://evil.example").await.unwrap();
    assert_eq!(refused.status(), 403);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "cross_origin_write");
    let host = app.url.trim_start_matches("http://").to_owned();
    let same: &'static str = Box::leak(format!("http://{host}").into_boxed_str());
    assert_eq!(upload(same).await.unwrap().status(), 200);

    // Without keys, a name that is not loopback (DNS rebinding) is refused.
    let open = common::spawn_app_with_faq(|_| {}).await;
    let rebound = open
        .http
        .get(format!("{}/v1/collections", open.url))
        .header("host", "attacker.example:8080")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status(), 403);
    let body: Value = rebound.json().await.unwrap();
    assert_eq!(body["error"]["code"], "host_not_allowed");
    assert_eq!(open.get("/v1/collections").await.0, 200);
}

#[test]
fn an_open_server_refuses_a_public_address_and_says_how_to_set_a_key() {
    let data = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cairn"))
        .arg("--data-dir")
        .arg(data.path())
        .args(["serve", "--bind", "0.0.0.0:0"])
        .env_remove("CAIRN_ADMIN_KEY")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            panic!("cairn serve started on 0.0.0.0 without a key");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut stderr).unwrap();
    assert!(!status.success());
    assert!(stderr.contains("CAIRN_ADMIN_KEY"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn limits_answer_429_and_503_with_retry_after() {
    let app = common::spawn_app_with_faq(|s| {
        s.limits.requests_per_second = 1;
        s.limits.burst = 3;
    })
    .await;
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for _ in 0..5 {
        let r = app
            .http
            .get(format!("{}/v1/collections", app.url))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
        if r.status() == 429 {
            retry_after = r.headers().get("retry-after").cloned();
            let body: Value = r.json().await.unwrap();
            assert_eq!(body["error"]["code"], "rate_limited");
        }
    }
    assert_eq!(&statuses[..3], [200, 200, 200], "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(retry_after.is_some());
    assert_eq!(app.get("/healthz").await.0, 200, "health is never limited");

    // One slot, no queue: of two questions at once, one is shed at once with a 503.
    let app = Arc::new(
        common::spawn_app_with_faq(|s| {
            s.limits.max_concurrent = 1;
            s.limits.queue = 0;
        })
        .await,
    );
    let ask = |app: Arc<common::TestApp>| async move {
        let r = app
            .post(
                "/v1/collections/docs/query",
                json!({"question": "Is there a free trial?", "stream": true}),
            )
            .await;
        let status = r.status().as_u16();
        let retry = r.headers().get("retry-after").is_some();
        // Hold the slot until the stream ends.
        let _ = r.text().await;
        (status, retry)
    };
    let results = futures::future::join_all((0..6).map(|_| ask(app.clone()))).await;
    assert!(results.iter().any(|r| r.0 == 200), "{results:?}");
    assert!(
        results.contains(&(503, true)),
        "no request was shed: {results:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_users_answers_and_ratings_are_deleted_on_request_and_questions_are_redacted() {
    let app = common::spawn_app_with_faq(|_| {}).await;
    let ask = |client: &'static str, question: &'static str| {
        app.http
            .post(format!("{}/v1/collections/docs/query", app.url))
            .header("x-client-id", client)
            .json(&json!({ "question": question }))
            .send()
    };
    let alice: Value = ask(
        "alice",
        "I am jane.doe@example.com, card 4111 1111 1111 1111: is there a free trial?",
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let alice_id = alice["answer_id"].as_str().unwrap();
    let bob: Value = ask("bob", "How do I export my notes?")
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let bob_id = bob["answer_id"].as_str().unwrap();
    let (_, logged) = app.get(&format!("/v1/answers/{alice_id}")).await;
    let question = logged["question"].as_str().unwrap();
    assert!(
        question.contains("[email]") && question.contains("[card]"),
        "{question}"
    );
    assert!(!question.contains("jane.doe") && !question.contains("4111"));
    // Alice rates Bob's answer; Bob rates Alice's.
    for (id, client) in [(bob_id, "alice"), (alice_id, "bob")] {
        let r = app
            .http
            .post(format!("{}/v1/answers/{id}/feedback", app.url))
            .header("x-client-id", client)
            .json(&json!({"rating": "up"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201);
    }

    let forgotten: Value = app
        .http
        .delete(format!("{}/v1/answers?client_id=alice", app.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&forgotten["answers"], &forgotten["ratings"]),
        (&json!(1), &json!(1)),
        "{forgotten}"
    );
    assert_eq!(app.get(&format!("/v1/answers/{alice_id}")).await.0, 404);
    let (status, bobs) = app.get(&format!("/v1/answers/{bob_id}")).await;
    assert_eq!(status, 200);
    assert!(bobs["feedback"].as_array().unwrap().is_empty(), "{bobs}");
}

#[tokio::test(flavor = "multi_thread")]
async fn thirty_two_concurrent_first_requests_after_a_restart_all_succeed() {
    let data = tempfile::tempdir().unwrap();
    let settings = common::settings(data.path());
    // The first process's store is closed (and flushed) when its core is dropped.
    drop(common::core_with_faq(&settings).await);
    let core = cairn::app::Cairn::build(&settings).unwrap();
    let (url, _server) = common::serve_core(core, &settings, std::future::pending()).await;
    let http = reqwest::Client::new();
    let requests = (0..32).map(|i| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let r = match i % 4 {
                0 => http.get(format!("{url}/v1/collections/docs")).send(),
                1 => http.put(format!("{url}/v1/collections/docs")).send(),
                2 => http
                    .post(format!("{url}/v1/collections/docs/search"))
                    .json(&json!({"query": "free trial"}))
                    .send(),
                _ => http.get(format!("{url}/v1/collections")).send(),
            };
            r.await.unwrap().status().as_u16()
        }
    });
    let statuses = futures::future::join_all(requests).await;
    assert!(
        statuses.iter().all(|s| (200..300).contains(s)),
        "{statuses:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cli_reads_ask_the_running_server_and_a_delete_names_the_holder() {
    let data = tempfile::tempdir().unwrap();
    let faq = common::corpus().join("faq.jsonl");
    let ingested = common::cairn(
        data.path(),
        &["ingest", faq.to_str().unwrap(), "--collection", "docs"],
    );
    assert!(ingested.status.success());
    let server = common::serve_process(data.path(), &[("CAIRN_ADMIN_KEY", ADMIN)]).await;
    let cli = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_cairn"))
            .arg("--data-dir")
            .arg(data.path())
            .args(args)
            .env("CAIRN_ADMIN_KEY", ADMIN)
            .output()
            .unwrap()
    };
    let listed = cli(&["collections", "list", "--json"]);
    let stderr = String::from_utf8_lossy(&listed.stderr);
    assert!(listed.status.success(), "{stderr}");
    let listed: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed["collections"][0]["name"], "docs", "{listed}");
    let found = cli(&["search", "--collection", "docs", "--json", "free", "trial"]);
    assert!(
        found.status.success(),
        "{}",
        String::from_utf8_lossy(&found.stderr)
    );
    let found: Value = serde_json::from_slice(&found.stdout).unwrap();
    assert!(!found["results"].as_array().unwrap().is_empty(), "{found}");

    let deleted = cli(&["collections", "delete", "docs"]);
    let stderr = String::from_utf8_lossy(&deleted.stderr);
    assert!(!deleted.status.success());
    let pid = server.child.id().to_string();
    assert!(
        stderr.contains("in use by process") && stderr.contains(&pid),
        "{stderr}"
    );
    let (status, info) = common::get_json(
        &common::client_with_key(Some(ADMIN)),
        &format!("{}/v1/collections/docs", server.url),
    )
    .await;
    assert_eq!((status, info["name"].as_str()), (200, Some("docs")));
}
