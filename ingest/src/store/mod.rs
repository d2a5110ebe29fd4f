//! Where vectors live: the [`VectorStore`] seam, the embedded Qdrant default ([`EdgeStore`])
//! and a Qdrant server or cluster ([`ServerStore`]).

mod edge;
mod server;
mod wal;

pub use edge::{EdgeStore, DEFAULT_HNSW_EF};
pub use server::ServerStore;

use async_trait::async_trait;
use serde::Serialize;

use crate::domain::{ChunkPayload, CollectionName, EmbeddedChunk, QueryVector, ScoredChunk};
use crate::sync::StoredChunk;

/// Payload field holding a chunk's source path; indexed for filtering.
pub const SOURCE_FIELD: &str = "source";
/// Named vectors of every collection: the embedding and the BM25 terms.
pub const DENSE_VECTOR: &str = "dense";
pub const SPARSE_VECTOR: &str = "bm25";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("collection {0:?} does not exist")]
    NotFound(String),
    #[error(
        "collection {name:?} holds {existing}-dimensional vectors but the embedding model makes \
         {expected}: use another collection name, or delete it with `cairn collections delete {name}`"
    )]
    DimensionMismatch {
        name: String,
        existing: usize,
        expected: usize,
    },
    #[error("collection {0:?} is open in another cairn process (the embedded store allows one process at a time): stop it, or set QDRANT_URL to use a Qdrant server ({1})")]
    Locked(String, String),
    #[error("vector store: {0}")]
    Backend(String),
    #[error("stored payload is not a cairn chunk: {0}")]
    Payload(String),
}

/// A collection's name, vector size and number of stored chunks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct CollectionInfo {
    pub name: String,
    pub dimension: usize,
    pub points: usize,
}

/// Restricts a search to chunks whose source is one of `sources` (all chunks when empty).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct SourceFilter {
    #[serde(default)]
    pub sources: Vec<String>,
}

/// A vector store holding cairn chunks. Batch-shaped; every method is one round trip.
#[async_trait]
pub trait VectorStore: Send + Sync {
    /// `"embedded"` or `"qdrant-server"`, for logs and readiness reports.
    fn backend(&self) -> &'static str;

    /// Creates the collection if it is missing; an existing one must have `dimension`.
    async fn create_collection(
        &self,
        name: &CollectionName,
        dimension: usize,
    ) -> Result<(), StoreError>;

    async fn collection(&self, name: &CollectionName)
        -> Result<Option<CollectionInfo>, StoreError>;

    async fn list_collections(&self) -> Result<Vec<CollectionInfo>, StoreError>;

    /// Deletes the collection; `false` when it did not exist.
    async fn delete_collection(&self, name: &CollectionName) -> Result<bool, StoreError>;

    async fn upsert(
        &self,
        name: &CollectionName,
        chunks: Vec<EmbeddedChunk>,
    ) -> Result<(), StoreError>;

    /// Deletes every chunk whose source is in `sources`.
    async fn delete_sources(
        &self,
        name: &CollectionName,
        sources: &[String],
    ) -> Result<(), StoreError>;

    /// The `limit` best chunks for `query`, best first (cosine similarity for a dense query,
    /// BM25 with IDF for a sparse one).
    async fn search(
        &self,
        name: &CollectionName,
        query: &QueryVector,
        limit: usize,
        filter: &SourceFilter,
    ) -> Result<Vec<ScoredChunk>, StoreError>;

    /// The chunks with these ids, in the order asked (missing ids are left out); score 0.
    async fn get(
        &self,
        name: &CollectionName,
        ids: &[uuid::Uuid],
    ) -> Result<Vec<ScoredChunk>, StoreError>;

    /// Counts the chunks matching `filter`.
    async fn count(
        &self,
        name: &CollectionName,
        filter: &SourceFilter,
    ) -> Result<usize, StoreError>;

    /// Every stored chunk's id, source, document hash and chunk count (for sync planning).
    async fn inventory(&self, name: &CollectionName) -> Result<Vec<StoredChunk>, StoreError>;

    /// Makes every acknowledged write durable.
    async fn flush(&self, name: &CollectionName) -> Result<(), StoreError>;

    /// Brings the collection's search index up to date after writes (HNSW over the dense
    /// vectors, merged segments, deleted points vacuumed); `true` when anything changed.
    /// A Qdrant server does this itself, in the background.
    async fn optimize(&self, _name: &CollectionName) -> Result<bool, StoreError> {
        Ok(false)
    }
}

/// Payload fields the inventory reads.
pub(crate) const INVENTORY_FIELDS: [&str; 4] =
    ["source", "doc_hash", "chunk_count", "content_hash"];

pub(crate) fn payload_to_json(payload: &ChunkPayload) -> serde_json::Value {
    serde_json::to_value(payload).unwrap_or_default()
}

pub(crate) fn payload_from_json(value: serde_json::Value) -> Result<ChunkPayload, StoreError> {
    serde_json::from_value(value).map_err(|e| StoreError::Payload(e.to_string()))
}

/// Reads an inventory entry from a point's id and (partial) payload.
pub(crate) fn stored_chunk(
    id: uuid::Uuid,
    payload: &serde_json::Map<String, serde_json::Value>,
) -> Result<StoredChunk, StoreError> {
    let text = |k: &str| payload.get(k).and_then(|v| v.as_str()).map(str::to_owned);
    let missing = || StoreError::Payload(format!("point {id} lacks source/doc_hash/chunk_count"));
    Ok(StoredChunk {
        id,
        source: text("source").ok_or_else(missing)?,
        doc_hash: text("doc_hash").ok_or_else(missing)?,
        chunk_count: payload
            .get("chunk_count")
            .and_then(|v| v.as_u64())
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(missing)?,
        content_hash: text("content_hash").unwrap_or_default(),
    })
}

/// An existing collection must match the embedder's vector size.
pub(crate) fn check_dimension(
    name: &CollectionName,
    existing: usize,
    expected: usize,
) -> Result<(), StoreError> {
    if existing == expected {
        return Ok(());
    }
    Err(StoreError::DimensionMismatch {
        name: name.to_string(),
        existing,
        expected,
    })
}

/// The chunks of `found` (ids with their JSON payloads, in any order) in the order of `ids`,
/// as [`VectorStore::get`] promises; ids not found are left out.
pub(crate) fn in_order(
    ids: &[uuid::Uuid],
    found: Vec<(uuid::Uuid, serde_json::Value)>,
) -> Result<Vec<ScoredChunk>, StoreError> {
    let mut by_id: std::collections::HashMap<uuid::Uuid, serde_json::Value> =
        found.into_iter().collect();
    ids.iter()
        .filter_map(|id| by_id.remove(id).map(|payload| (*id, payload)))
        .map(|(id, payload)| {
            Ok(ScoredChunk {
                id,
                score: 0.0,
                payload: payload_from_json(payload)?,
            })
        })
        .collect()
}
