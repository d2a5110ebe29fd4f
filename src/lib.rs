//! cairn: a RAG prototyping service. This crate holds the service and the `cairn` CLI; the
//! shared domain, embedder, vector store and ingest pipeline live in `cairn-ingest`.
//!
//! - [`config`]: one typed [`config::Settings`]: defaults < `cairn.toml` < `CAIRN_*` env < flags.
//! - [`app`]: the application core, [`app::Cairn`]: every use case, called by HTTP, CLI and eval.
//! - [`services`]: builds the embedder, chunker, vector store, answerer and answer log.
//! - [`blocking`]: the one way blocking work (model, SQLite) leaves the async workers.
//! - [`text`]: sentences, citation markers, stopwords, names (shared by `rag` and `ground`).
//! - [`retrieve`]: dense, keyword and hybrid (rank-fused) search.
//! - [`llm`]: the ChatModel seam and the OpenAI-compatible client.
//! - [`rag`]: prompts, the extractive answerer, citations and the answer flow.
//! - [`ground`]: the groundedness (hallucination) check, lexical or LLM-judged.
//! - [`answer_log`]: the typed answer + feedback log (SQLite) and its statistics.
//! - [`db`]: how cairn opens and uses its SQLite files.
//! - [`data_lock`]: one process owns a data directory; others learn which one.
//! - [`insights`]: recurring topics among answers that went wrong.
//! - [`eval`]: datasets, evaluation metrics, statistics, stored runs and reports.
//! - [`experiments`]: online A/B experiments: sticky arm assignment and their results.
//! - [`proportions`]: Wilson and Newcombe intervals, the z and Fisher tests, sample sizes.
//! - [`fingerprint`]: short content hashes that name versions (config, variants, datasets).
//! - [`monitor`]: Prometheus metrics.
//! - [`telemetry`]: the tracing subscriber.
//! - [`http`]: the JSON API (axum): thin handlers over the core.
//! - [`ui`]: the web app (playground, compare, dashboard), embedded in the binary.
//! - [`cli`]: one module per subcommand.

pub mod answer_log;
pub mod app;
pub mod blocking;
pub mod cli;
pub mod config;
pub mod data_lock;
pub mod db;
pub mod eval;
pub mod experiments;
pub mod fingerprint;
pub mod ground;
pub mod http;
pub mod insights;
pub mod llm;
pub mod monitor;
pub mod proportions;
pub mod rag;
pub mod retrieve;
pub mod services;
pub mod telemetry;
pub mod text;
pub mod ui;
