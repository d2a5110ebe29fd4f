//! The application core: every use case (ask, ask streaming, rate, review, prefer, read the
//! answer log, stats, insights, check grounding, datasets, evaluate, experiments) is one method of [`Cairn`]. It is the one
//! place that answers, logs and counts; the HTTP handlers, the CLI and evaluation runs call it
//! and only convert its errors.

mod answers;
mod collections;
mod datasets;
mod error;
mod evals;
mod experiments;
mod jobs;
mod locks;

use std::sync::Arc;

use tokio::sync::RwLock;

use cairn_ingest::embed::{Bm25, Embedder};
use cairn_ingest::pipeline::Ingestor;
use cairn_ingest::redact;
use cairn_ingest::store::VectorStore;

pub use answers::{AskEvent, ExportRow, GroundingRequest, Traced};
pub use collections::Passage;
pub use error::AppError;
pub use evals::{EvalDataset, EvalRequest};
pub use experiments::ExperimentReport;
pub use jobs::{Job, JobFailure, JobState, JobStatus, UploadDir};

use crate::answer_log::stats::Pricing;
use crate::answer_log::{AnswerLog, LogError};
use crate::config::Settings;
use crate::eval::store::EvalStore;
use crate::experiments::Registry;
use crate::rag::answer::{Answerer, DEFAULT_VARIANT};
use crate::retrieve::Retriever;
use crate::services;

/// The running application: one embedder, one store, one answer log, shared by every caller.
pub struct Cairn {
    store: Arc<dyn VectorStore>,
    retriever: Retriever,
    answerer: Answerer,
    ingestor: Ingestor,
    log: Arc<dyn AnswerLog>,
    evals: Arc<EvalStore>,
    /// Read on every question, written only when an experiment is put.
    experiments: RwLock<Registry>,
    pricing: Pricing,
    writers: locks::CollectionLocks,
    /// What is redacted from questions before they are logged.
    redactor: QuestionRedactor,
    jobs: jobs::Jobs,
    upload_wait: std::time::Duration,
}

/// Redacts questions for the answer log, when `redact.questions` is on.
struct QuestionRedactor(Vec<redact::Kind>);

impl QuestionRedactor {
    fn questions(&self, question: &str) -> String {
        if self.0.is_empty() {
            return question.to_owned();
        }
        let mut counts = redact::Counts::new();
        let out = redact::redact(question, &self.0, &mut counts);
        crate::monitor::redacted(&counts);
        out
    }
}

fn variant_names(answerer: &Answerer) -> Vec<String> {
    let configured = answerer.variants.keys().filter(|k| *k != DEFAULT_VARIANT);
    std::iter::once(DEFAULT_VARIANT.to_owned())
        .chain(configured.cloned())
        .collect()
}

impl Cairn {
    /// Builds everything from the settings (loads the model, opens the store and the logs).
    pub fn build(settings: &Settings) -> anyhow::Result<Arc<Self>> {
        let store = services::vector_store(settings)?;
        let model = services::embedder(settings)?;
        let retriever = Retriever {
            embedder: services::serving_embedder(model.clone()),
            bm25: Arc::new(Bm25::new()?),
            store: store.clone(),
        };
        let answerer = services::answerer(settings, retriever.clone())?;
        let ingestor = Ingestor {
            embedder: model,
            bm25: retriever.bm25.clone(),
            store: store.clone(),
            chunker: services::chunker(settings)?,
            redact: settings.ingest_redaction(),
        };
        let evals = Arc::new(EvalStore::open(&settings.data_dir)?);
        let experiments = experiments::registry(
            &settings.experiments,
            evals.experiments()?,
            &variant_names(&answerer),
        )?;
        Ok(Arc::new(Self {
            store,
            retriever,
            answerer,
            ingestor,
            log: services::answer_log(settings)?,
            evals,
            experiments: RwLock::new(experiments),
            pricing: settings.pricing.clone(),
            writers: locks::CollectionLocks::default(),
            jobs: jobs::Jobs::new(&settings.data_dir),
            upload_wait: std::time::Duration::from_millis(settings.limits.upload_wait_ms),
            redactor: QuestionRedactor(if settings.redact.questions {
                settings.redact.kinds.clone()
            } else {
                Vec::new()
            }),
        }))
    }

    /// How long an upload request waits for its job before answering 202.
    pub fn upload_wait(&self) -> std::time::Duration {
        self.upload_wait
    }

    /// The ingest pipeline over the app's own store and embedder (the embedded store allows one
    /// handle per collection and process).
    pub fn ingestor(&self) -> &Ingestor {
        &self.ingestor
    }

    /// The embedding model itself, without the serving cache (the readiness probe must
    /// reach the model).
    pub fn embedder(&self) -> &Arc<dyn Embedder> {
        &self.ingestor.embedder
    }

    pub fn store(&self) -> &Arc<dyn VectorStore> {
        &self.store
    }

    /// `default` and every configured variant, the values a question's `variant` may take.
    pub fn variant_names(&self) -> Vec<String> {
        variant_names(&self.answerer)
    }

    /// Whether a language model is configured.
    pub fn llm_name(&self) -> Option<&str> {
        self.answerer.llm.as_ref().map(|l| l.name())
    }

    /// Readiness of the language model (`Ok` when none is configured).
    pub async fn llm_ready(&self) -> Result<(), crate::llm::LlmError> {
        match &self.answerer.llm {
            None => Ok(()),
            Some(llm) => llm.ready().await,
        }
    }

    /// Runs a call of the dataset and evaluation store off the async workers.
    async fn stored<T: Send + 'static>(
        &self,
        f: impl FnOnce(&EvalStore) -> Result<T, LogError> + Send + 'static,
    ) -> Result<T, AppError> {
        let evals = self.evals.clone();
        Ok(crate::blocking::run(move || f(evals.as_ref())).await??)
    }

    /// Marks evaluation runs a stopped server left `running` as failed (at server start).
    pub async fn fail_interrupted_runs(&self) -> Result<usize, AppError> {
        self.stored(|evals| evals.fail_interrupted()).await
    }

    /// Runs an answer-log call off the async workers (SQLite waits for the disk).
    async fn logged<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn AnswerLog) -> Result<T, LogError> + Send + 'static,
    ) -> Result<T, AppError> {
        let log = self.log.clone();
        Ok(crate::blocking::run(move || f(log.as_ref())).await??)
    }
}
