//! What can go wrong in a use case. The HTTP layer maps each variant to an API error code; the
//! CLI prints it.

use cairn_ingest::embed::EmbedError;
use cairn_ingest::pipeline::IngestError;
use cairn_ingest::store::StoreError;

use crate::answer_log::LogError;
use crate::blocking::Panicked;
use crate::eval::dataset::DatasetError;
use crate::ground::GroundError;
use crate::llm::LlmError;
use crate::rag::answer::AnswerError;
use crate::retrieve::RetrieveError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Answer(#[from] AnswerError),
    #[error(transparent)]
    Retrieve(#[from] RetrieveError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Log(#[from] LogError),
    #[error(transparent)]
    Ground(#[from] GroundError),
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Panicked(#[from] Panicked),
    #[error(transparent)]
    Dataset(#[from] DatasetError),
    #[error("answer {0:?} is not in the answer log")]
    AnswerNotFound(String),
    #[error("collection {0:?} does not exist")]
    CollectionNotFound(String),
    #[error("dataset {0:?} does not exist")]
    DatasetNotFound(String),
    #[error("evaluation run {0:?} does not exist")]
    EvalNotFound(String),
    #[error("unknown variant {name:?}; configured: {known}")]
    UnknownVariant { name: String, known: String },
    #[error("the llm_judge method needs a language model, and none is configured")]
    NoLlm,
    #[error("the LLM judge failed: {0}")]
    Judge(LlmError),
    #[error("{0}")]
    Internal(String),
}
