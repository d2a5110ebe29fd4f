//! `POST /v1/collections/{name}/query`: a grounded answer with citations, as JSON or as
//! Server-Sent Events (`retrieval`, `token`…, `done`).

use std::convert::Infallible;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use cairn_ingest::store::SourceFilter;
use futures::Stream;
use serde::Deserialize;

use super::answers;
use super::collections::collection_name;
use super::error::ErrorBody;
use super::json::Json;
use super::{validate, ApiError, AppState};
use crate::monitor;
use crate::rag::answer::{Answer, AnswerEvent, Question};

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
    let text = question.text.clone();
    let prepared = state.answerer.prepare(&name, question).await?;
    let record = Record {
        state: state.clone(),
        collection: name.to_string(),
        question: text,
    };
    if request.stream {
        let events = state.answerer.stream(prepared);
        return Ok(Sse::new(sse_events(events, record))
            .keep_alive(KeepAlive::default())
            .into_response());
    }
    match state.answerer.answer(prepared).await {
        Ok(answer) => {
            record.answer(&answer).await?;
            Ok(axum::Json(answer).into_response())
        }
        Err(e) => {
            monitor::answer_failed(&record.collection);
            Err(e.into())
        }
    }
}

/// Where an answer is recorded: the answer log (on disk before the reply) and the metrics.
#[derive(Clone)]
struct Record {
    state: AppState,
    collection: String,
    question: String,
}

impl Record {
    async fn answer(&self, answer: &Answer) -> Result<(), ApiError> {
        let (log, collection, question, logged) = (
            self.state.log.clone(),
            self.collection.clone(),
            self.question.clone(),
            answer.clone(),
        );
        answers::blocking(move || log.append(&collection, &question, &logged)).await?;
        monitor::answer(&self.collection, answer);
        Ok(())
    }
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
/// The `done` answer is logged before it is sent; a failed log write is sent as an error.
fn sse_events(
    events: tokio::sync::mpsc::Receiver<AnswerEvent>,
    record: Record,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::unfold((events, record), |(mut events, record)| async move {
        let event = match events.recv().await? {
            AnswerEvent::Done(answer) => match record.answer(&answer).await {
                Ok(()) => to_sse(AnswerEvent::Done(answer)),
                Err(e) => error_event(&e),
            },
            AnswerEvent::Error(e) => {
                monitor::answer_failed(&record.collection);
                to_sse(AnswerEvent::Error(e))
            }
            other => to_sse(other),
        };
        Some((Ok(event), (events, record)))
    })
}

fn error_event(error: &ApiError) -> Event {
    let body = serde_json::to_value(error.body()).unwrap_or_default();
    Event::default().event("error").data(body.to_string())
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
        AnswerEvent::Error(error) => error_event(&ApiError::from_answer_error(&error)),
    }
}
