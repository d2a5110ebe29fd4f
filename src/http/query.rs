//! `POST /v1/collections/{name}/query`: a grounded answer with citations, as JSON or as
//! Server-Sent Events (`retrieval`, `token`…, `done`).

use std::convert::Infallible;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use cairn_ingest::store::SourceFilter;
use futures::Stream;
use serde::Deserialize;

use super::collections::collection_name;
use super::error::ErrorBody;
use super::json::Json;
use super::{validate, ApiError, AppState};
#[allow(unused_imports)]
use crate::rag::answer::Answer;
use crate::rag::answer::{AnswerEvent, Question};

pub const MAX_QUESTION_CHARS: usize = 2000;
pub const MAX_TOP_K: usize = 20;

/// A question: only `question` is required.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryRequest {
    pub question: String,
    #[serde(default)]
    pub top_k: Option<usize>,
    #[serde(default)]
    pub filter: SourceFilter,
    #[serde(default)]
    pub stream: bool,
    #[serde(default)]
    pub variant: Option<String>,
}

/// With `"stream": true` the reply is `text/event-stream`: one `retrieval` event
/// (`{"citations": [...]}`), `token` events (`{"text": "..."}`), then `done` (the Answer) or
/// `error` (an ErrorBody).
#[utoipa::path(post, path = "/v1/collections/{name}/query", tag = "answers",
    params(("name" = String, Path, description = "collection name")),
    request_body = QueryRequest,
    responses((status = 200, body = Answer, description = "the answer, or an event stream"),
              (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 502, body = ErrorBody, description = "the language model failed; citations included"),
              (status = 504, body = ErrorBody, description = "the language model timed out; citations included")))]
pub async fn query(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Json(request): Json<QueryRequest>,
) -> Result<Response, ApiError> {
    let name = collection_name(&name)?;
    let question = validate(&request)?;
    // An unknown collection surfaces from retrieval as `collection_not_found`.
    let prepared = state.answerer.prepare(&name, question).await?;
    if request.stream {
        let events = state.answerer.stream(prepared);
        return Ok(Sse::new(sse_events(events))
            .keep_alive(KeepAlive::default())
            .into_response());
    }
    let answer = state.answerer.answer(prepared).await?;
    Ok(axum::Json(answer).into_response())
}

fn validate(request: &QueryRequest) -> Result<Question, ApiError> {
    let codes = ("empty_question", "question_too_long");
    let text = validate::text(&request.question, MAX_QUESTION_CHARS, "question", codes)?;
    if let Some(k) = request.top_k {
        validate::top_k(k, MAX_TOP_K, "omit top_k for the configured default")?;
    }
    Ok(Question {
        text: text.to_owned(),
        top_k: request.top_k,
        filter: request.filter.clone(),
        variant: request.variant.clone(),
    })
}

/// Answer events as SSE. When the client disconnects, axum drops this stream, which drops the
/// receiver, which stops the generation task.
fn sse_events(
    events: tokio::sync::mpsc::Receiver<AnswerEvent>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::unfold(events, |mut events| async move {
        let event = events.recv().await?;
        Some((Ok(to_sse(event)), events))
    })
}

fn to_sse(event: AnswerEvent) -> Event {
    let json =
        |name: &str, value: serde_json::Value| Event::default().event(name).data(value.to_string());
    match event {
        AnswerEvent::Retrieval(citations) => {
            json("retrieval", serde_json::json!({ "citations": citations }))
        }
        AnswerEvent::Token(text) => json("token", serde_json::json!({ "text": text })),
        AnswerEvent::Done(answer) => {
            json("done", serde_json::to_value(&*answer).unwrap_or_default())
        }
        AnswerEvent::Error(error) => {
            let body = ApiError::from_answer_error(&error).body();
            json("error", serde_json::to_value(body).unwrap_or_default())
        }
    }
}
