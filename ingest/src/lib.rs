//! cairn-ingest: everything the ingest and query flows share, plus the ingest pipeline.
//!
//! - [`domain`]: the types both flows agree on (collection names, documents, chunks, payloads).
//! - [`embed`]: the [`embed::Embedder`] trait and its fastembed implementation.
//! - [`store`]: the [`store::VectorStore`] trait, the embedded Qdrant (qdrant-edge) default and
//!   a Qdrant server/cluster backend (qdrant-client).
//! - [`load`]: one loader per file format, turning a file into a [`domain::Document`].
//! - [`chunk`]: token-sized, heading-aware chunking.
//! - [`sync`]: deterministic chunk ids and the added/changed/unchanged/removed plan.
//! - [`sentences`]: sentences and the quotable parts of a passage; [`parts`]: their stored
//!   vectors.
//! - [`redact`]: optional PII redaction (e-mail, phone, card, IBAN, IP) of documents and questions.
//! - [`pipeline`]: load → chunk → embed → upsert, concurrent and bounded, with progress.

pub mod chunk;
pub mod domain;
pub mod embed;
pub mod load;
pub mod parts;
pub mod pipeline;
pub mod progress;
pub mod redact;
pub mod sentences;
pub mod store;
pub mod sync;
