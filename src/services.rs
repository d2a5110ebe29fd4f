//! Builds the long-lived parts (embedder, chunker, vector store) from the settings.

use std::sync::Arc;

use anyhow::Context;
use cairn_ingest::chunk::Chunker;
use cairn_ingest::embed::{Bm25, CachedEmbedder, Embedder, FastEmbedder};
use cairn_ingest::pipeline::Ingestor;
use cairn_ingest::store::{EdgeStore, ServerStore, VectorStore};

use crate::answer_log::{AnswerLog, PostgresLog, SqliteLog};
use crate::config::Settings;
use crate::ground::Grounder;
use crate::llm::openai::OpenAiChat;
use crate::llm::ChatModel;
use crate::rag::answer::Answerer;
use crate::rag::extractive::Extractive;
use crate::rag::prompt::Prompts;
use crate::retrieve::Retriever;

/// The embedded store under `data_dir`, or a Qdrant server when `qdrant_url` is set.
pub fn vector_store(settings: &Settings) -> anyhow::Result<Arc<dyn VectorStore>> {
    Ok(match &settings.qdrant_url {
        Some(url) => Arc::new(ServerStore::new(url, settings.qdrant_api_key.clone())?),
        None => Arc::new(
            EdgeStore::new(&settings.data_dir)
                .with_context(|| format!("data directory {}", settings.data_dir.display()))?,
        ),
    })
}

/// Loads the embedding model; a missing file is a set-up error that says how to fix it.
pub fn embedder(settings: &Settings) -> anyhow::Result<Arc<dyn Embedder>> {
    Ok(Arc::new(FastEmbedder::load(&settings.model_files())?))
}

/// How many texts (questions, passage sentences) the serving embedder remembers: about 1.6 KB
/// each with all-MiniLM-L6-v2, so some 16 MB.
pub const EMBEDDING_CACHE_TEXTS: usize = 10_000;

/// The model behind a cache, for searching and answering (ingest embeds each chunk once and
/// goes to the model directly).
pub fn serving_embedder(model: Arc<dyn Embedder>) -> Arc<dyn Embedder> {
    Arc::new(CachedEmbedder::new(model, EMBEDDING_CACHE_TEXTS))
}

pub fn chunker(settings: &Settings) -> anyhow::Result<Arc<Chunker>> {
    let tokenizer = settings.model_files().tokenizer()?;
    Ok(Arc::new(Chunker::new(tokenizer, settings.chunk)?))
}

/// Everything an ingest run needs.
pub fn ingestor(settings: &Settings) -> anyhow::Result<Ingestor> {
    Ok(Ingestor {
        embedder: embedder(settings)?,
        bm25: Arc::new(Bm25::new()?),
        store: vector_store(settings)?,
        chunker: chunker(settings)?,
        redact: settings.ingest_redaction(),
    })
}

/// Everything a search needs, over an already open store (the embedded store allows one
/// handle per collection and process).
pub fn retriever(settings: &Settings, store: Arc<dyn VectorStore>) -> anyhow::Result<Retriever> {
    Ok(Retriever {
        embedder: serving_embedder(embedder(settings)?),
        bm25: Arc::new(Bm25::new()?),
        store,
    })
}

/// The answerer: the extractive one always, and the language model when `llm.base_url` is set.
pub fn answerer(settings: &Settings, retriever: Retriever) -> anyhow::Result<Answerer> {
    let llm: Option<Arc<dyn ChatModel>> = if settings.llm.base_url.trim().is_empty() {
        None
    } else {
        Some(Arc::new(OpenAiChat::new(settings.llm.clone())?))
    };
    let prompts = Prompts::load(settings.prompts_dir.as_deref())?;
    let mut names: Vec<&String> = settings
        .variants
        .values()
        .filter_map(|v| v.prompt.as_ref())
        .collect();
    names.push(&settings.answer.prompt);
    for name in names {
        if prompts.get(name).is_none() {
            anyhow::bail!(
                "invalid settings: prompt template {name:?} not found (available: {})",
                prompts.names().join(", ")
            );
        }
    }
    Ok(Answerer {
        extractive: Arc::new(Extractive::new(retriever.embedder.clone())),
        grounder: grounder(settings, retriever.embedder.clone()),
        retriever,
        llm,
        prompts: Arc::new(prompts),
        settings: settings.answer.clone(),
        variants: Arc::new(settings.variants.clone()),
        config_hash: settings.answer_hash(),
    })
}

/// The groundedness check, sharing the retrieval embedder.
pub fn grounder(settings: &Settings, embedder: Arc<dyn Embedder>) -> Grounder {
    Grounder::new(embedder, settings.grounding.clone())
}

/// The answer log: PostgreSQL when `database_url` is set, else SQLite in the data directory.
pub fn answer_log(settings: &Settings) -> anyhow::Result<Arc<dyn AnswerLog>> {
    Ok(match &settings.database_url {
        Some(url) => Arc::new(PostgresLog::open(url)?),
        None => Arc::new(SqliteLog::open(&settings.data_dir)?),
    })
}
