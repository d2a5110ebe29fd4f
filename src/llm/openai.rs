//! Any OpenAI-compatible chat server (llama.cpp's llama-server, Ollama, vLLM, LM Studio,
//! OpenAI) through reqwest: connect and overall timeouts, retries with backoff on 429, 5xx and
//! connection errors, streaming, and clear errors for replies it cannot read.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::StreamExt;
use reqwest::{RequestBuilder, Response, StatusCode};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{sse, ChatModel, ChatRequest, Completion, EventStream, LlmError, StreamEvent, Usage};

/// Settings of an OpenAI-compatible backend.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default)]
pub struct OpenAiSettings {
    /// Base URL up to and including `/v1`, e.g. `http://127.0.0.1:8081/v1`.
    pub base_url: String,
    pub model: String,
    /// Sent as a bearer token when set (`CAIRN_LLM__API_KEY`, or `OPENAI_API_KEY`).
    pub api_key: Option<String>,
    pub connect_timeout_ms: u64,
    /// Limit for a whole non-streamed reply, and for the first byte of a streamed one.
    pub timeout_ms: u64,
    /// Longest pause between two pieces of a streamed reply.
    pub stream_idle_timeout_ms: u64,
    /// Retries after the first attempt, on 429, 5xx and connection errors.
    pub max_retries: u32,
    pub retry_base_delay_ms: u64,
    /// The whole time a call may take, every attempt and wait included. Below the HTTP
    /// request timeout (120 s), so a slow model ends in a 502/504 with the citations, not a 408.
    pub budget_ms: u64,
    /// Largest reply body read from the model; a longer one is a bad reply.
    pub max_reply_bytes: usize,
}

impl Default for OpenAiSettings {
    fn default() -> Self {
        Self {
            base_url: String::new(),
            model: "local".into(),
            api_key: None,
            connect_timeout_ms: 2_000,
            timeout_ms: 60_000,
            stream_idle_timeout_ms: 30_000,
            max_retries: 2,
            retry_base_delay_ms: 250,
            budget_ms: 90_000,
            max_reply_bytes: 4 * 1024 * 1024,
        }
    }
}

pub struct OpenAiChat {
    http: reqwest::Client,
    settings: OpenAiSettings,
}

impl OpenAiChat {
    pub fn new(settings: OpenAiSettings) -> Result<Self, LlmError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_millis(settings.connect_timeout_ms))
            .build()
            .map_err(|e| LlmError::Unavailable(format!("HTTP client: {e}")))?;
        Ok(Self { http, settings })
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.settings.base_url.trim_end_matches('/'))
    }

    fn post(&self, body: &Value) -> RequestBuilder {
        let request = self.http.post(self.url("chat/completions")).json(body);
        match &self.settings.api_key {
            Some(key) => request.bearer_auth(key),
            None => request,
        }
    }

    fn body(&self, request: &ChatRequest, stream: bool) -> Value {
        let mut body = serde_json::json!({
            "model": request.model.as_deref().unwrap_or(&self.settings.model),
            "messages": request.messages,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "stream": stream,
        });
        if stream {
            body["stream_options"] = serde_json::json!({ "include_usage": true });
        }
        body
    }

    /// Sends until a success or a final failure; retries 429, 5xx and connection errors
    /// with exponential backoff and jitter (honouring a short Retry-After), all within
    /// `budget_ms`: an attempt gets what is left of the budget, and no wait outlasts it.
    async fn send(&self, body: &Value, timeout: Duration) -> Result<Response, LlmError> {
        let deadline = Instant::now() + Duration::from_millis(self.settings.budget_ms);
        let mut attempt = 0;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(LlmError::Timeout);
            }
            let failure = match self.post(body).timeout(timeout.min(left)).send().await {
                Ok(response) if response.status().is_success() => return Ok(response),
                Ok(response) => classify_status(response).await,
                Err(e) => classify_transport(&e),
            };
            let (error, retry_after) = match failure {
                Failure::Final(e) => return Err(e),
                Failure::Retry(e, after) => (e, after),
            };
            if attempt >= self.settings.max_retries {
                return Err(error);
            }
            attempt += 1;
            let backoff = Duration::from_millis(self.settings.retry_base_delay_ms << (attempt - 1));
            // Full jitter on our own backoff, so that clients failing together do not retry
            // together; a server's Retry-After is taken as given.
            let delay = retry_after.map_or(jitter(backoff), |a| a.min(Duration::from_secs(10)));
            if Instant::now() + delay >= deadline {
                tracing::warn!(attempt, error = %error, "language model call failed; no budget left to retry");
                return Err(error);
            }
            tracing::warn!(attempt, ?delay, error = %error, "language model call failed; retrying");
            tokio::time::sleep(delay).await;
        }
    }
}

/// Why one attempt failed: retry it (after an optional server-given delay) or give up.
enum Failure {
    Retry(LlmError, Option<Duration>),
    Final(LlmError),
}

async fn classify_status(response: Response) -> Failure {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let message = error_message(&response.text().await.unwrap_or_default());
    let error = LlmError::Unavailable(format!("HTTP {}: {message}", status.as_u16()));
    if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        Failure::Retry(error, retry_after)
    } else {
        Failure::Final(LlmError::Rejected {
            status: status.as_u16(),
            message,
        })
    }
}

fn classify_transport(e: &reqwest::Error) -> Failure {
    if e.is_timeout() {
        // The budget is spent; another attempt would exceed it.
        Failure::Final(LlmError::Timeout)
    } else {
        Failure::Retry(LlmError::Unavailable(e.to_string()), None)
    }
}

/// The message of an error body in any of the shapes servers send: OpenAI
/// `{"error":{"message":..}}` (code string, integer or null) or vLLM `{"object":"error","message":..}`.
fn error_message(body: &str) -> String {
    let value: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let message = value
        .pointer("/error/message")
        .or_else(|| value.get("message"))
        .or_else(|| value.get("error").filter(|e| e.is_string()))
        .and_then(Value::as_str);
    match message {
        Some(m) => m.to_owned(),
        None => body.chars().take(200).collect(),
    }
}

#[derive(Deserialize)]
struct Reply {
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Choice {
    message: ReplyMessage,
}

#[derive(Deserialize)]
struct ReplyMessage {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    delta: Option<ReplyMessage>,
}

#[async_trait]
impl ChatModel for OpenAiChat {
    fn name(&self) -> &str {
        &self.settings.model
    }

    #[tracing::instrument(skip_all, fields(model = %self.settings.model))]
    async fn complete(&self, request: &ChatRequest) -> Result<Completion, LlmError> {
        let timeout = Duration::from_millis(self.settings.timeout_ms);
        let response = self.send(&self.body(request, false), timeout).await?;
        let bytes = read_capped(response, self.settings.max_reply_bytes).await?;
        let reply: Reply = serde_json::from_slice(&bytes)
            .map_err(|e| LlmError::Malformed(format!("{e} in {:?}", preview(&bytes))))?;
        let text = reply
            .choices
            .into_iter()
            .next()
            .and_then(|c| c.message.content)
            .ok_or_else(|| LlmError::Malformed("no choices[0].message.content".into()))?;
        Ok(Completion {
            text,
            usage: reply.usage.unwrap_or_default(),
        })
    }

    #[tracing::instrument(skip_all, fields(model = %self.settings.model))]
    async fn stream(&self, request: &ChatRequest) -> Result<EventStream, LlmError> {
        let timeout = Duration::from_millis(self.settings.timeout_ms);
        let idle = Duration::from_millis(self.settings.stream_idle_timeout_ms);
        // The per-request timeout would cut a long generation; only the first byte is bounded
        // by `timeout`, each later piece by `idle`.
        let response = tokio::time::timeout(
            timeout,
            self.send(&self.body(request, true), Duration::MAX / 4),
        )
        .await
        .map_err(|_| LlmError::Timeout)??;
        let events = sse::data_lines(response.bytes_stream()).filter_map(|data| async move {
            match data {
                Ok(data) => parse_chunk(&data).transpose(),
                Err(e) => Some(Err(e)),
            }
        });
        Ok(Box::pin(with_idle_timeout(events, idle)))
    }

    async fn ready(&self) -> Result<(), LlmError> {
        let response = self
            .http
            .get(self.url("models"))
            .timeout(Duration::from_millis(self.settings.connect_timeout_ms * 2))
            .send()
            .await
            .map_err(|e| LlmError::Unavailable(e.to_string()))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(LlmError::Unavailable(format!(
                "GET /models: HTTP {}",
                response.status()
            )))
        }
    }
}

/// One streamed chunk: a text delta, the final usage, or nothing worth passing on.
fn parse_chunk(data: &str) -> Result<Option<StreamEvent>, LlmError> {
    let chunk: Chunk = serde_json::from_str(data).map_err(|e| {
        // Some servers report a mid-stream failure as an error object.
        let message = error_message(data);
        LlmError::Malformed(format!("{e}: {message}"))
    })?;
    if let Some(delta) = chunk
        .choices
        .into_iter()
        .next()
        .and_then(|c| c.delta)
        .and_then(|d| d.content)
    {
        if !delta.is_empty() {
            return Ok(Some(StreamEvent::Delta(delta)));
        }
    }
    Ok(chunk.usage.map(StreamEvent::Usage))
}

/// Fails the stream when no item arrives for `idle`.
fn with_idle_timeout<S>(
    stream: S,
    idle: Duration,
) -> impl futures::Stream<Item = Result<StreamEvent, LlmError>>
where
    S: futures::Stream<Item = Result<StreamEvent, LlmError>> + Send + 'static,
{
    let stream = Box::pin(stream);
    futures::stream::unfold(Some(stream), move |state| async move {
        let mut stream = state?;
        match tokio::time::timeout(idle, stream.next()).await {
            Ok(Some(item)) => Some((item, Some(stream))),
            Ok(None) => None,
            Err(_) => Some((Err(LlmError::Timeout), None)),
        }
    })
}

/// A random share (half to all) of `delay`.
fn jitter(delay: Duration) -> Duration {
    use std::hash::{BuildHasher, Hasher};
    // std's RandomState is seeded at random: enough randomness to spread retries.
    let random = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let share = 0.5 + 0.5 * (random % 1000) as f64 / 1000.0;
    delay.mul_f64(share)
}

/// The body, refused past `cap` bytes (a model, or a proxy, sending without end).
async fn read_capped(mut response: Response, cap: usize) -> Result<Vec<u8>, LlmError> {
    let too_big = || LlmError::Malformed(format!("the reply is larger than {cap} bytes"));
    if response.content_length().is_some_and(|n| n > cap as u64) {
        return Err(too_big());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| classify_body(&e))? {
        if body.len() + chunk.len() > cap {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn classify_body(e: &reqwest::Error) -> LlmError {
    if e.is_timeout() {
        LlmError::Timeout
    } else {
        LlmError::Unavailable(format!("reading the reply: {e}"))
    }
}

fn preview(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned()
}
