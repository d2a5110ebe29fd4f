//! Prometheus metrics (the `metrics` crate, rendered by metrics-exporter-prometheus at
//! `/metrics`). Labels stay bounded: stage names, route templates, status codes, collection
//! names, outcomes, ratings; never question text or raw paths.

use std::sync::OnceLock;
use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::answer_log::Rating;
use crate::rag::answer::Answer;

/// Latency buckets in seconds: from a cached search (ms) to a slow local LLM (a minute).
const BUCKETS: &[f64] = &[
    0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// The process-wide recorder, installed on first use (a process has one global recorder; every
/// app in it shares the counters).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(BUCKETS)
            .map(PrometheusBuilder::build_recorder)
            .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder());
        let handle = recorder.handle();
        // Fails only if another recorder was installed first; then ours just stays empty.
        let _ = metrics::set_global_recorder(recorder);
        describe();
        handle
    })
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_histogram!(
        "cairn_stage_duration_seconds",
        Unit::Seconds,
        "time per answer stage"
    );
    describe_histogram!(
        "cairn_http_request_duration_seconds",
        Unit::Seconds,
        "HTTP requests by route template and status"
    );
    describe_counter!(
        "cairn_answers_total",
        "answers by collection and outcome (answered, abstained, error)"
    );
    describe_counter!(
        "cairn_hallucinated_answers_total",
        "answers the groundedness check flagged"
    );
    describe_counter!("cairn_feedback_total", "ratings received");
    describe_counter!(
        "cairn_llm_tokens_total",
        "LLM tokens by kind (prompt, completion)"
    );
    describe_gauge!("cairn_collection_points", "chunks stored per collection");
    describe_counter!(
        "cairn_redacted_total",
        "personal data redacted from logged questions, by kind"
    );
    describe_counter!(
        "cairn_requests_rejected_total",
        "requests refused by the limits (overloaded, rate_limited)"
    );
}

/// Counts what was redacted from a logged question.
pub fn redacted(counts: &cairn_ingest::redact::Counts) {
    for (kind, n) in counts {
        counter!("cairn_redacted_total", "kind" => kind.as_str()).increment(*n as u64);
    }
}

/// Counts a request refused by load shedding or a rate limit.
pub fn rejected(reason: &'static str) {
    counter!("cairn_requests_rejected_total", "reason" => reason).increment(1);
}

/// Records one answer: its stage times, outcome, grounding and tokens.
pub fn answer(collection: &str, answer: &Answer) {
    let l = &answer.latency_ms;
    for (stage, ms) in l.stages() {
        histogram!("cairn_stage_duration_seconds", "stage" => stage).record(ms / 1000.0);
    }
    let outcome = if answer.abstained {
        "abstained"
    } else {
        "answered"
    };
    counter!("cairn_answers_total", "collection" => collection.to_owned(), "outcome" => outcome)
        .increment(1);
    if answer.grounding.hallucinated {
        counter!("cairn_hallucinated_answers_total", "collection" => collection.to_owned())
            .increment(1);
    }
    let usage = &answer.usage;
    counter!("cairn_llm_tokens_total", "kind" => "prompt").increment(usage.prompt_tokens.into());
    counter!("cairn_llm_tokens_total", "kind" => "completion")
        .increment(usage.completion_tokens.into());
}

pub fn answer_failed(collection: &str) {
    counter!("cairn_answers_total", "collection" => collection.to_owned(), "outcome" => "error")
        .increment(1);
}

pub fn feedback(rating: Rating) {
    counter!("cairn_feedback_total", "rating" => rating.as_str()).increment(1);
}

pub fn collection_points(collection: &str, points: u64) {
    gauge!("cairn_collection_points", "collection" => collection.to_owned()).set(points as f64);
}

/// Middleware: the duration of every request, by route template (`/v1/collections/:name/query`,
/// never the raw path) and status. Template parameters are written `:name` rather than axum's
/// `{name}`: braces inside label values trip up regex-based exposition parsers.
pub async fn track_http(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or_else(
        || "unmatched".to_owned(),
        |p| p.as_str().replace('{', ":").replace('}', ""),
    );
    let started = Instant::now();
    let response = next.run(request).await;
    histogram!(
        "cairn_http_request_duration_seconds",
        "route" => route,
        "status" => response.status().as_u16().to_string()
    )
    .record(started.elapsed().as_secs_f64());
    response
}
