//! End to end with a real local LLM: llama.cpp's llama-server with SmolLM2-135M-Instruct, both
//! prepared by scripts/fetch-llm.sh (scripts/test.sh runs it). The model is tiny: these tests
//! check the protocol, citations of golden answers and cancellation, never its prose.

// Panicking on a broken fixture is what a test should do.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

/// A llama-server child process on a free port, killed on drop.
struct LlamaServer {
    child: Child,
    url: String,
    _port: common::port::Port,
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn llama_server() -> LlamaServer {
    let binary = std::env::var("CAIRN_LLAMA_SERVER")
        .expect("CAIRN_LLAMA_SERVER is not set: run scripts/fetch-llm.sh (scripts/test.sh does)");
    let model = std::env::var("CAIRN_LLM_GGUF")
        .expect("CAIRN_LLM_GGUF is not set: run scripts/fetch-llm.sh");
    let claim = common::port::Port::reserve();
    let port = claim.number;
    let child = Command::new(binary)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "-m",
            &model,
        ])
        .args([
            "-c", "4096", "-np", "1", "-t", "2", "-a", "smollm2", "--slots",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start llama-server");
    let server = LlamaServer {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _port: claim,
    };
    let client = reqwest::Client::new();
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if let Ok(r) = client.get(format!("{}/health", server.url)).send().await {
            if r.status().is_success() {
                return server;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("llama-server did not become healthy within 60 s");
}

async fn app_with(server: &LlamaServer) -> common::TestApp {
    let url = format!("{}/v1", server.url);
    common::spawn_app(|s| {
        s.llm.base_url = url;
        s.llm.model = "smollm2".into();
        s.answer.max_tokens = 120;
        // Greedy decoding: the same prompt gives the same answer on every run.
        s.answer.temperature = 0.0;
        // Generous, but under the service's own 120 s request timeout.
        s.llm.timeout_ms = 100_000;
    })
    .await
}

/// The first `n` answerable questions of docs-sample/golden.jsonl, with their expected source.
fn golden_questions(n: usize) -> Vec<(String, String)> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs-sample/golden.jsonl");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter_map(|r| {
            Some((
                r["question"].as_str()?.into(),
                r["expected_sources"][0].as_str()?.into(),
            ))
        })
        .take(n)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_real_model_answers_golden_questions_with_valid_citations() {
    let server = llama_server().await;
    let app = app_with(&server).await;
    let mut cited_expected = 0;
    let mut answered = 0;
    for (question, expected) in golden_questions(3) {
        let (status, answer) = app.query(json!({ "question": question })).await;
        assert_eq!(status, 200, "{answer}");
        assert_eq!(answer["model"], "smollm2");
        answered += usize::from(answer["abstained"] == false);
        assert!(answer["usage"]["prompt_tokens"].as_u64().unwrap() > 100);
        assert!(answer["usage"]["completion_tokens"].as_u64().unwrap() > 0);
        assert!(answer["latency_ms"]["generate"].as_f64().unwrap() > 0.0);
        let sources = common::cited_sources(&answer);
        // Whatever the model wrote, every citation points at one of the 5 passages it was given.
        for c in answer["citations"].as_array().unwrap() {
            assert!((1..=5).contains(&c["n"].as_u64().unwrap()), "{answer}");
        }
        println!("{question} -> {} citing {sources:?}", answer["answer"]);
        cited_expected += usize::from(sources.contains(&expected.as_str()));
    }
    // Retrieval finds every expected source (bench/retrieval.py), so none abstains.
    assert_eq!(answered, 3);
    // SmolLM2-135M mostly echoes the context format or rambles (in a quick check it wrote a
    // usable cited answer for well under half of 20 golden questions), so whether it cites the
    // expected source is printed, not asserted: ../shared/OFFLINE.md calls it a wiring test.
    println!("{cited_expected} of 3 answers cite their expected source");

    // The LLM-judge mode reaches the real model and reports its method (verdicts that the
    // model leaves unreadable keep the lexical ones).
    let check = json!({
        "context": ["Team costs $10 per user per month when billed monthly."],
        "answer": "Team costs $10 per user per month. It includes 99 GB.",
        "method": "llm_judge"
    });
    let response = app.post("/v1/grounding/check", check).await;
    assert_eq!(response.status(), 200);
    let judged: serde_json::Value = response.json().await.unwrap();
    assert_eq!(judged["method"], "llm_judge", "{judged}");
    assert_eq!(judged["sentences"].as_array().unwrap().len(), 2);
    println!("smollm2 as judge: {judged}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_real_model_streams_and_stops_when_the_client_leaves() {
    let server = llama_server().await;
    let app = app_with(&server).await;
    let body = json!({"question": "How do I restore a backup?", "stream": true});
    let response = app.post("/v1/collections/docs/query", body.clone()).await;
    let events = common::sse_events(&response.text().await.unwrap());
    let names: Vec<&str> = events.iter().map(|(e, _)| e.as_str()).collect();
    assert_eq!(names.first(), Some(&"retrieval"));
    assert_eq!(names.last(), Some(&"done"), "{names:?}");
    let streamed: String = events
        .iter()
        .filter(|(e, _)| e == "token")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        streamed.trim(),
        events.last().unwrap().1["answer"].as_str().unwrap()
    );

    // Leave after the first token: the generation must stop (the server's only slot goes idle).
    let mut response = app.post("/v1/collections/docs/query", body).await;
    let mut seen = String::new();
    while !seen.contains("event: token") {
        let chunk = response
            .chunk()
            .await
            .unwrap()
            .expect("stream ended before a token");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
    drop(response);
    let client = reqwest::Client::new();
    let started = Instant::now();
    loop {
        let (_, slots) = common::get_json(&client, &format!("{}/slots", server.url)).await;
        if slots[0]["is_processing"] == false {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "generation went on after the client left"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
