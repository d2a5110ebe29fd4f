//! `POST /v1/collections/{name}/query`: a grounded answer with citations, as JSON or as
//! Server-Sent Events (`retrieval`, `token`…, `done`).

use std::convert::Infallible;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use cairn_ingest::store::SourceFilter;
use futures::Stream;
use serde::Deserialize;

use super::auth::Caller;
use super::error::{Code, ErrorBody};
use super::json::{Client, Json, Path};
use super::{validate, ApiError, AppState};
use crate::app::AskEvent;
use crate::rag::answer::{Answer, Question};

pub const MAX_QUESTION_CHARS: usize = 2000;
pub const MAX_TOP_K: usize = 20;

/// A question: only `question` is required.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QueryRequest {
    /// Not blank.
    #[schema(min_length = 1, max_length = 2000, pattern = r"\S")]
    pub question: String,
    /// Passages to retrieve; the configured default (5) when omitted.
    #[serde(default, deserialize_with = "validate::optional_integer")]
    #[schema(minimum = 1, maximum = 20)]
    pub top_k: Option<usize>,
    #[serde(default)]
    pub filter: SourceFilter,
    #[serde(default)]
    pub stream: bool,
    /// A configured `[variants.NAME]`, or `default`. When omitted, a running experiment on the
    /// collection assigns one by the `X-Client-Id` header (or the caller's address).
    #[serde(default)]
    pub variant: Option<String>,
}

/// With `"stream": true` the reply is `text/event-stream`: one `retrieval` event
/// (`{"citations": [...]}`), `token` events (`{"text": "..."}`), then `done` (the Answer) or
/// `error` (an ErrorBody).
#[utoipa::path(post, operation_id = "query", path = "/v1/collections/{name}/query", tag = "answers",
    params(validate::NamePath,
           ("X-Client-Id" = Option<String>, Header, description = "who is asking: keeps an experiment's arm")),
    request_body = QueryRequest,
    responses((status = 200, body = Answer, description = "the answer, or an event stream"),
              (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
              (status = 502, body = ErrorBody, description = "the language model failed; citations included"),
              (status = 504, body = ErrorBody, description = "the language model timed out; citations included")))]
pub async fn query(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Client(client): Client,
    caller: Option<Extension<Caller>>,
    Json(request): Json<QueryRequest>,
) -> Result<Response, ApiError> {
    let name = validate::collection(&name)?;
    let mut question = validate(&request)?;
    question.client = Some(client);
    question.key_id = caller.and_then(|Extension(c)| c.query_key().map(str::to_owned));
    if request.stream {
        let events = app.ask_streaming(&name, question).await?;
        return Ok(Sse::new(sse_events(events))
            .keep_alive(KeepAlive::default())
            .into_response());
    }
    Ok(axum::Json(app.ask(&name, question).await?).into_response())
}

fn validate(request: &QueryRequest) -> Result<Question, ApiError> {
    let codes = (Code::EmptyQuestion, Code::QuestionTooLong);
    let text = validate::text(&request.question, MAX_QUESTION_CHARS, "question", codes)?;
    if let Some(k) = request.top_k {
        let hint = "omit top_k for the configured default";
        validate::range(k, MAX_TOP_K, "top_k", Code::TopKOutOfRange, hint)?;
    }
    Ok(Question {
        text: text.to_owned(),
        top_k: request.top_k,
        filter: request.filter.clone(),
        variant: request.variant.clone(),
        client: None,
        experiment: None,
        key_id: None,
    })
}

/// Answer events as SSE. When the client disconnects, axum drops this stream, which drops the
/// receiver, which stops the generation.
fn sse_events(
    events: tokio::sync::mpsc::Receiver<AskEvent>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::unfold(events, |mut events| async move {
        let event = to_sse(events.recv().await?);
        Some((Ok(event), events))
    })
}

fn to_sse(event: AskEvent) -> Event {
    let json =
        |name: &str, value: serde_json::Value| Event::default().event(name).data(value.to_string());
    match event {
        AskEvent::Retrieval(citations) => {
            json("retrieval", serde_json::json!({ "citations": citations }))
        }
        AskEvent::Token(text) => json("token", serde_json::json!({ "text": text })),
        AskEvent::Done(answer) => json("done", serde_json::to_value(&*answer).unwrap_or_default()),
        AskEvent::Failed(e) => {
            let body = ApiError::from(e).body();
            json("error", serde_json::to_value(body).unwrap_or_default())
        }
    }
}
