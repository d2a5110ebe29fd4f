//! What can go wrong in a use case. The HTTP layer maps each variant to an API error code; the
//! CLI prints it.

use cairn_ingest::embed::EmbedError;
use cairn_ingest::pipeline::IngestError;
use cairn_ingest::store::StoreError;

use crate::answer_log::LogError;
use crate::blocking::Panicked;
use crate::eval::dataset::DatasetError;
use crate::experiments::ExperimentError;
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
    #[error("the llm_judge method needs a language model, and none is configured")]
    NoLlm,
    #[error("the LLM judge failed: {0}")]
    Judge(LlmError),
    #[error("{0}")]
    Internal(String),
    #[error("invalid variants: {0}")]
    InvalidVariants(String),
    #[error(transparent)]
    Experiment(#[from] ExperimentError),
    #[error("experiment {0:?} does not exist")]
    ExperimentNotFound(String),
    #[error("upload job {0} not found")]
    JobNotFound(String),
    #[error("passage {chunk:?} is not in collection {collection:?}")]
    ChunkNotFound { collection: String, chunk: String },
    #[error("{0}")]
    InvalidPreference(String),
}

impl AppError {
    /// What a client may be told, for errors that are not sent as an HTTP error (a failed
    /// evaluation run): the caller's mistakes in full, cairn's own failures as a category,
    /// with the cause in the server log.
    pub fn public_message(&self) -> String {
        match self {
            AppError::AnswerNotFound(_)
            | AppError::CollectionNotFound(_)
            | AppError::DatasetNotFound(_)
            | AppError::EvalNotFound(_)
            | AppError::InvalidVariants(_)
            | AppError::Experiment(_)
            | AppError::ExperimentNotFound(_)
            | AppError::ChunkNotFound { .. }
            | AppError::InvalidPreference(_)
            | AppError::NoLlm
            | AppError::Dataset(_)
            | AppError::Answer(AnswerError::UnknownVariant { .. })
            | AppError::Store(StoreError::NotFound(_) | StoreError::DimensionMismatch { .. }) => {
                self.to_string()
            }
            AppError::Judge(e) | AppError::Answer(AnswerError::Llm { error: e, .. }) => {
                e.public_message().to_owned()
            }
            _ => "internal error; the server log has the cause".to_owned(),
        }
    }
}
