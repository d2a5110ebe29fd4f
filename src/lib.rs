//! cairn: a RAG prototyping service. This crate holds the service and the `cairn` CLI; the
//! shared domain, embedder, vector store and ingest pipeline live in `cairn-ingest`.
//!
//! - [`config`]: one typed [`config::Settings`]: defaults < `cairn.toml` < `CAIRN_*` env < flags.
//! - [`services`]: builds the embedder, chunker and vector store from the settings.
//! - [`retrieve`]: dense, keyword and hybrid (rank-fused) search.
//! - [`telemetry`]: the tracing subscriber.
//! - [`llm`]: the ChatModel seam and the OpenAI-compatible client.
//! - [`rag`]: prompts, the extractive answerer, citations and the answer flow.
//! - [`http`]: the JSON API (axum).
//! - [`cli`]: one module per subcommand.

pub mod answer_log;
pub mod cli;
pub mod config;
pub mod ground;
pub mod http;
pub mod insights;
pub mod llm;
pub mod monitor;
pub mod rag;
pub mod retrieve;
pub mod services;
pub mod telemetry;
