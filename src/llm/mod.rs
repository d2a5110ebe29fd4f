//! Language models behind the [`ChatModel`] seam: any OpenAI-compatible server ([`openai`]).
//! The extractive answerer, which needs no model, lives in `rag::extractive`.

pub mod openai;
mod sse;

use std::pin::Pin;

use async_trait::async_trait;
use futures::Stream;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    System,
    User,
    Assistant,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub role: Role,
    pub content: String,
}

#[derive(Debug, Clone)]
pub struct ChatRequest {
    pub messages: Vec<Message>,
    pub max_tokens: u32,
    pub temperature: f32,
    /// Overrides the configured model name (a variant may pick another model of the server).
    pub model: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Usage {
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
}

#[derive(Debug, Clone)]
pub struct Completion {
    pub text: String,
    pub usage: Usage,
}

/// One piece of a streamed reply.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    Delta(String),
    Usage(Usage),
}

pub type EventStream = Pin<Box<dyn Stream<Item = Result<StreamEvent, LlmError>> + Send>>;

/// How a call to the model failed, classified so callers know what to tell the user.
#[derive(Debug, Clone, thiserror::Error)]
pub enum LlmError {
    /// No answer within the configured time.
    #[error("the language model did not answer in time")]
    Timeout,
    /// Could not connect, or the server kept failing (5xx, 429) after every retry.
    #[error("the language model is unavailable: {0}")]
    Unavailable(String),
    /// The server refused the request (4xx other than 429), e.g. a prompt over its context.
    #[error("the language model rejected the request ({status}): {message}")]
    Rejected { status: u16, message: String },
    /// The reply could not be understood.
    #[error("the language model sent a malformed reply: {0}")]
    Malformed(String),
}

impl LlmError {
    /// What a client may be told: the kind of failure, without the server's own words (which
    /// go to the log).
    pub fn public_message(&self) -> &'static str {
        match self {
            LlmError::Timeout => "the language model did not answer in time",
            LlmError::Unavailable(_) => "the language model is unavailable",
            LlmError::Rejected { .. } => "the language model rejected the request",
            LlmError::Malformed(_) => "the language model sent a reply cairn cannot read",
        }
    }
}

#[async_trait]
pub trait ChatModel: Send + Sync {
    /// The model name recorded with every answer.
    fn name(&self) -> &str;
    async fn complete(&self, request: &ChatRequest) -> Result<Completion, LlmError>;
    /// The reply as it is generated. Dropping the stream cancels the generation.
    async fn stream(&self, request: &ChatRequest) -> Result<EventStream, LlmError>;
    /// Whether the server answers at all (for readiness checks).
    async fn ready(&self) -> Result<(), LlmError>;
}
