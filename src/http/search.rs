//! `POST /v1/collections/{name}/search`: scored chunks for a query, no LLM.

use std::time::Instant;

use axum::extract::State;
use cairn_ingest::store::SourceFilter;
use serde::{Deserialize, Serialize};

use super::error::{Code, ErrorBody};
use super::json::{Json, Path};
use super::{validate, ApiError, AppState};
use crate::rag::citations::snippet;
use crate::retrieve::{Hit, Mode, SearchOptions};

/// Longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 2000;
pub const MAX_TOP_K: usize = 50;

/// A search: only `query` is required.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    /// Not blank.
    #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
    pub query: String,
    #[serde(default = "default_top_k", deserialize_with = "validate::integer")]
    #[schema(minimum = 1, maximum = 50, default = 5)]
    pub top_k: usize,
    #[serde(default)]
    pub filter: SourceFilter,
    #[serde(default)]
    pub mode: Mode,
    /// At most this many hits from one source (0: no limit).
    #[serde(default = "default_per_source", deserialize_with = "validate::integer")]
    #[schema(minimum = 0, maximum = 50, default = 3)]
    pub per_source: usize,
    /// Rerank the candidates by similarity plus coverage of the query's terms, as answers do
    /// (dense mode only).
    #[serde(default = "default_rerank")]
    #[schema(default = true)]
    pub rerank: bool,
}

fn default_rerank() -> bool {
    true
}

fn default_top_k() -> usize {
    5
}

fn default_per_source() -> usize {
    3
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ResultChunk {
    pub chunk_id: String,
    pub source: String,
    pub title: String,
    pub heading: String,
    pub snippet: String,
    pub score: f32,
    pub text: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchResponse {
    pub results: Vec<ResultChunk>,
    pub latency_ms: Latency,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = SearchLatency)]
pub struct Latency {
    pub total: f64,
}

#[utoipa::path(post, operation_id = "search", path = "/v1/collections/{name}/search", tag = "search",
    params(validate::NamePath),
    request_body = SearchRequest,
    responses((status = 200, body = SearchResponse), (status = 400, body = ErrorBody),
              (status = 404, body = ErrorBody)))]
pub async fn search(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Json(request): Json<SearchRequest>,
) -> Result<axum::Json<SearchResponse>, ApiError> {
    let started = Instant::now();
    let name = validate::collection(&name)?;
    let options = validate(&request)?;
    let hits = app.search(&name, request.query.trim(), &options).await?;
    Ok(axum::Json(SearchResponse {
        results: hits.into_iter().map(result_chunk).collect(),
        latency_ms: Latency {
            total: started.elapsed().as_secs_f64() * 1000.0,
        },
    }))
}

fn validate(request: &SearchRequest) -> Result<SearchOptions, ApiError> {
    validate::text(
        &request.query,
        MAX_QUERY_CHARS,
        "query",
        (Code::EmptyQuery, Code::QueryTooLong),
    )?;
    let hint = "omit top_k for the default of 5";
    validate::range(
        request.top_k,
        MAX_TOP_K,
        "top_k",
        Code::TopKOutOfRange,
        hint,
    )?;
    if request.per_source > MAX_TOP_K {
        return Err(ApiError::new(Code::PerSourceOutOfRange).message(format!(
            "per_source must be between 0 and {MAX_TOP_K}, got {}",
            request.per_source
        )));
    }
    Ok(SearchOptions {
        top_k: request.top_k,
        filter: request.filter.clone(),
        mode: request.mode,
        per_source: request.per_source,
        rerank: request.rerank,
    })
}

fn result_chunk(hit: Hit) -> ResultChunk {
    let p = hit.chunk.payload;
    ResultChunk {
        chunk_id: hit.chunk.id.to_string(),
        heading: p.heading.join(" > "),
        snippet: snippet(&p.text),
        source: p.source,
        title: p.title,
        score: hit.score,
        text: p.text,
    }
}
