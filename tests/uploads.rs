//! Uploads with the real app: hostile files are skipped with reasons while the server keeps
//! answering, bad names are refused, a long upload is a job to follow, and `kill -9` during a
//! job leaves the collection as before or, once resumed, as after: never in between.

// Panicking on a broken fixture is what a test should do.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

fn form(files: Vec<(String, Vec<u8>)>) -> reqwest::multipart::Form {
    files
        .into_iter()
        .fold(reqwest::multipart::Form::new(), |f, (name, bytes)| {
            f.part(
                "file",
                reqwest::multipart::Part::bytes(bytes).file_name(name),
            )
        })
}

fn hostile_set() -> Vec<(String, Vec<u8>)> {
    let html = format!(
        "<html><body>{}deep{}</body></html>",
        "<div><ul><li>".repeat(20_000),
        "</li></ul></div>".repeat(20_000)
    );
    let bad_utf16: Vec<u8> = [0xFEFF_u16, 0x0041, 0xDC00]
        .into_iter()
        .flat_map(u16::to_le_bytes)
        .collect();
    vec![
        ("deep.html".into(), html.into_bytes()),
        ("deep.pdf".into(), common::deep_pdf(50_000)),
        ("nul.txt".into(), b"text\0with a NUL".to_vec()),
        ("bad16.txt".into(), bad_utf16),
        ("empty.md".into(), Vec::new()),
        (
            "good.md".into(),
            b"# Otters\n\nOtters hold hands while they sleep.\n".to_vec(),
        ),
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_files_are_skipped_with_reasons_while_healthz_keeps_answering() {
    let app = Arc::new(common::spawn_app_with_faq(|_| {}).await);
    let done = Arc::new(AtomicBool::new(false));
    let prober = {
        let (app, done) = (app.clone(), done.clone());
        tokio::spawn(async move {
            let mut answered = 0;
            while !done.load(Ordering::SeqCst) {
                assert_eq!(
                    app.get("/healthz").await.0,
                    200,
                    "healthz failed mid-upload"
                );
                answered += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            answered
        })
    };
    let response = app
        .http
        .post(format!("{}/v1/collections/docs/documents", app.url))
        .multipart(form(hostile_set()))
        .send()
        .await
        .unwrap();
    done.store(true, Ordering::SeqCst);
    assert!(prober.await.unwrap() > 0);
    assert_eq!(response.status(), 200);
    let summary: Value = response.json().await.unwrap();
    let reason = |source: &str| {
        summary["skipped"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["source"] == source)
            .map(|s| s["reason"].as_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert!(reason("deep.pdf").contains("nested"), "{summary}");
    assert!(reason("nul.txt").contains("NUL"), "{summary}");
    assert!(reason("bad16.txt").contains("UTF-16"), "{summary}");
    assert!(reason("empty.md").contains("no text"), "{summary}");
    assert!(reason("deep.html").contains("nested"), "{summary}");
    assert_eq!(
        summary["plan"]["removed"],
        serde_json::json!([]),
        "{summary}"
    );
    assert_eq!(summary["not_in_run"], 1, "faq.jsonl is kept: {summary}");
    let (status, found) = {
        let r = app
            .post(
                "/v1/collections/docs/search",
                serde_json::json!({"query": "otters sleeping"}),
            )
            .await;
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    };
    assert_eq!(status, 200);
    assert_eq!(found["results"][0]["source"], "good.md", "{found}");
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicate_and_overlong_names_are_refused() {
    let app = common::spawn_app_with_faq(|_| {}).await;
    let send = |files: Vec<(String, Vec<u8>)>| {
        app.http
            .post(format!("{}/v1/collections/docs/documents", app.url))
            .multipart(form(files))
            .send()
    };
    let twice = send(vec![
        ("a.md".into(), b"# A\n\none".to_vec()),
        ("a.md".into(), b"# A\n\ntwo".to_vec()),
    ])
    .await
    .unwrap();
    assert_eq!(twice.status(), 400);
    let body: Value = twice.json().await.unwrap();
    assert!(
        body["error"]["message"].as_str().unwrap().contains("twice"),
        "{body}"
    );
    let long = send(vec![(
        format!("{}.md", "n".repeat(300)),
        b"# A\n\none".to_vec(),
    )])
    .await
    .unwrap();
    assert_eq!(long.status(), 400);
    let body: Value = long.json().await.unwrap();
    assert_eq!(body["error"]["code"], "bad_file_name");
    assert!(body["error"]["message"].as_str().unwrap().contains("255"));
}

/// Polls a job until it is no longer running.
async fn finished(http: &reqwest::Client, url: &str) -> Value {
    let started = Instant::now();
    loop {
        let (status, job) = common::get_json(http, url).await;
        assert_eq!(status, 200, "{job}");
        if job["status"] != "running" {
            return job;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "job stuck: {job}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_upload_answers_202_and_its_job_reports_progress_then_the_summary() {
    let app = common::spawn_app_with_faq(|s| s.limits.upload_wait_ms = 0).await;
    let files: Vec<(String, Vec<u8>)> = ["faq-troubleshooting.csv", "guides/sync.md"]
        .iter()
        .map(|f| {
            let name = f.rsplit('/').next().unwrap().to_owned();
            (name, std::fs::read(common::corpus().join(f)).unwrap())
        })
        .collect();
    let response = app
        .http
        .post(format!("{}/v1/collections/docs/documents", app.url))
        .multipart(form(files))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let job: Value = response.json().await.unwrap();
    assert!(location.ends_with(job["job_id"].as_str().unwrap()));
    let done = finished(&app.http, &format!("{}{location}", app.url)).await;
    assert_eq!(done["status"], "succeeded", "{done}");
    assert_eq!(done["files_total"], 2, "{done}");
    assert_eq!(
        done["summary"]["plan"]["added"].as_array().unwrap().len(),
        2
    );
    assert!(done["chunks"].as_u64().unwrap() > 0);
    let (status, _) = app.get("/v1/collections/docs/jobs/not-a-job").await;
    assert_eq!(status, 404);
}

/// The number of chunks stored in a collection (0 when it does not exist).
async fn points(http: &reqwest::Client, url: &str, name: &str) -> u64 {
    let (status, info) = common::get_json(http, &format!("{url}/v1/collections/{name}")).await;
    if status == 404 {
        return 0;
    }
    assert_eq!(status, 200, "{info}");
    info["points"].as_u64().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn kill_9_during_an_upload_job_leaves_the_collection_before_or_after_never_between() {
    let files: Vec<(String, Vec<u8>)> = walk(&common::corpus())
        .into_iter()
        .filter(|p| {
            p.extension()
                .is_some_and(|e| e == "md" || e == "html" || e == "rst")
        })
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    assert!(files.len() >= 5);
    let data = tempfile::tempdir().unwrap();
    let http = reqwest::Client::new();

    // What "after" is: the same upload, uninterrupted, into a reference collection.
    let mut server =
        common::serve_process(data.path(), &[("CAIRN_LIMITS__UPLOAD_WAIT_MS", "0")]).await;
    let r = http
        .post(format!("{}/v1/collections/reference/documents", server.url))
        .multipart(form(files.clone()))
        .send()
        .await
        .unwrap();
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    finished(&http, &format!("{}{location}", server.url)).await;
    let after = points(&http, &server.url, "reference").await;
    assert!(after > 0);

    let r = http
        .post(format!("{}/v1/collections/docs/documents", server.url))
        .multipart(form(files))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 202);
    // Mid-job, as soon as some chunks are stored (or at once if it is that fast).
    let started = Instant::now();
    while points(&http, &server.url, "docs").await == 0
        && started.elapsed() < Duration::from_secs(30)
    {
        // Gently: the server rate-limits each address (50 a second by default).
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    let server = common::serve_process(data.path(), &[]).await;
    let started = Instant::now();
    loop {
        let now = points(&http, &server.url, "docs").await;
        if now == after {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "the interrupted upload was not completed: {now} of {after} chunks"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Nothing left to resume, and the files of the job are gone.
    let uploads = data.path().join("uploads");
    let started = Instant::now();
    while std::fs::read_dir(&uploads).map(|d| d.count()).unwrap_or(0) > 0 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "upload files left behind"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}
