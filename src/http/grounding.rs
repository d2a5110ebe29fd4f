//! `POST /v1/grounding/check`: the groundedness check for an answer from any chatbot, against
//! the passages it was given.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::State;
use axum::response::IntoResponse;
use serde::Deserialize;

use super::error::ErrorBody;
use super::json::Json;
use super::{validate, ApiError, AppState};
use crate::ground::judge::judge;
use crate::ground::{Grounding, Method, Profile};

pub const MAX_PASSAGES: usize = 100;
/// All passages together, in characters (a long article fits).
pub const MAX_CONTEXT_CHARS: usize = 200_000;
pub const MAX_ANSWER_CHARS: usize = 20_000;

/// An answer and the passages it should keep to; only `context` and `answer` are required.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckRequest {
    /// The passages the answer was written from; its `[n]` markers count from 1 here.
    pub context: Vec<String>,
    pub answer: String,
    /// The question, which gives a short answer ("Delhi") its meaning.
    #[serde(default)]
    pub question: Option<String>,
    /// `strict` (default: no missing term tolerated) or `lenient` (summaries, paraphrase).
    #[serde(default)]
    pub profile: Profile,
    /// `lexical` or `llm_judge` (needs a configured LLM); the configured method when omitted.
    #[serde(default)]
    pub method: Option<Method>,
}

#[utoipa::path(post, path = "/v1/grounding/check", tag = "grounding",
    request_body = CheckRequest,
    responses((status = 200, body = Grounding), (status = 400, body = ErrorBody),
              (status = 502, body = ErrorBody, description = "the LLM judge failed"),
              (status = 504, body = ErrorBody, description = "the LLM judge timed out")))]
pub async fn check(
    State(state): State<AppState>,
    Json(request): Json<CheckRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let started = Instant::now();
    validate(&request)?;
    let grounder = state.answerer.grounder.clone();
    let method = request.method.unwrap_or(grounder.method());
    let llm = match (method, &state.answerer.llm) {
        (Method::LlmJudge, None) => {
            return Err(ApiError::bad_request(
                "no_llm_configured",
                "the llm_judge method needs a language model, and none is configured",
                "set llm.base_url (CAIRN_LLM__BASE_URL), or use \"method\": \"lexical\"",
            ))
        }
        (Method::LlmJudge, Some(llm)) => Some(llm.clone()),
        (Method::Lexical, _) => None,
    };
    let context: Arc<[String]> = request.context.into();
    let mut grounding = grounder
        .check_blocking(
            context.clone(),
            request.answer,
            request.question,
            request.profile,
        )
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Some(llm) = llm {
        judge(llm.as_ref(), &context, &mut grounding)
            .await
            .map_err(|error| ApiError::Llm {
                error,
                citations: Vec::new(),
            })?;
    }
    // Server-Timing (W3C): the check's own time, without the network, for benchmarks.
    let timing = format!("ground;dur={:.2}", started.elapsed().as_secs_f64() * 1000.0);
    Ok(([("server-timing", timing)], axum::Json(grounding)))
}

fn validate(request: &CheckRequest) -> Result<(), ApiError> {
    validate::text(
        &request.answer,
        MAX_ANSWER_CHARS,
        "answer",
        ("empty_answer", "answer_too_long"),
    )?;
    let chars: usize = request.context.iter().map(|p| p.chars().count()).sum();
    if request.context.iter().all(|p| p.trim().is_empty()) {
        return Err(ApiError::bad_request(
            "empty_context",
            "context has no text",
            "send the passages the answer was written from, as \"context\": [\"...\"]",
        ));
    }
    if request.context.len() > MAX_PASSAGES || chars > MAX_CONTEXT_CHARS {
        return Err(ApiError::bad_request(
            "context_too_long",
            format!(
                "context has {} passages and {chars} characters; the limits are {MAX_PASSAGES} and {MAX_CONTEXT_CHARS}",
                request.context.len()
            ),
            "send only the passages the answer was written from",
        ));
    }
    Ok(())
}
