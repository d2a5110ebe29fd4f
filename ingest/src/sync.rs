//! Deciding what an ingest run must do. The store itself is the record of what was ingested:
//! every chunk carries its document's hash and chunk count, so a document is "unchanged" only
//! when all of its chunks, and nothing else, are stored under the current hash. A run killed
//! half-way leaves a document incomplete, and the next run redoes it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::chunk::{embed_text, Piece};
use crate::domain::{Chunk, ChunkPayload, Document};

/// Namespace for cairn's v5 UUIDs (a fixed random UUID: changing it changes every id).
const NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2a8e_93d4_4b7a_a51e_0c3f_58d2_9e41);

/// sha256 of the file's bytes together with everything that shapes its chunks (chunk sizes,
/// model, loader version), so changing a setting re-ingests the document.
pub fn doc_hash(bytes: &[u8], fingerprint: &str) -> String {
    let mut h = Sha256::new();
    h.update(fingerprint.as_bytes());
    h.update([0]);
    h.update(bytes);
    hex(&h.finalize())
}

pub fn text_hash(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

pub fn document_id(source: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, format!("doc\n{source}").as_bytes())
}

/// Same source, content and position: same id, on every machine and every run.
pub fn chunk_id(source: &str, doc_hash: &str, index: u32) -> Uuid {
    Uuid::new_v5(
        &NAMESPACE,
        format!("chunk\n{source}\n{doc_hash}\n{index}").as_bytes(),
    )
}

/// Turns a document's pieces into chunks with ids and payloads.
pub fn chunks(doc: &Document, doc_hash: &str, pieces: Vec<Piece>, ingested_at: &str) -> Vec<Chunk> {
    let count = u32::try_from(pieces.len()).unwrap_or(u32::MAX);
    let document_id = document_id(&doc.source).to_string();
    (0..count)
        .zip(pieces)
        .map(|(index, piece)| Chunk {
            id: chunk_id(&doc.source, doc_hash, index),
            embed_text: embed_text(&doc.title, &piece.heading, &piece.text),
            payload: ChunkPayload {
                content_hash: text_hash(&piece.text),
                text: piece.text,
                document_id: document_id.clone(),
                source: doc.source.clone(),
                title: doc.title.clone(),
                heading: piece.heading,
                chunk_index: index,
                chunk_count: count,
                doc_hash: doc_hash.to_owned(),
                ingested_at: ingested_at.to_owned(),
                parts: None,
            },
        })
        .collect()
}

/// One stored chunk, as much of it as planning needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredChunk {
    pub id: Uuid,
    pub source: String,
    pub doc_hash: String,
    pub chunk_count: u32,
    /// sha256 of the chunk's text.
    pub content_hash: String,
}

/// What a run will do, by source path.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub added: Vec<String>,
    pub changed: Vec<String>,
    pub unchanged: Vec<String>,
    /// Stored sources whose file is gone (deleted only with `--prune`).
    pub removed: Vec<String>,
}

/// Compares the files on disk (source → current hash) with what the store holds.
pub fn plan(files: &BTreeMap<String, String>, stored: &[StoredChunk]) -> Plan {
    let mut by_source: HashMap<&str, Vec<&StoredChunk>> = HashMap::new();
    for chunk in stored {
        by_source.entry(&chunk.source).or_default().push(chunk);
    }
    let mut plan = Plan::default();
    for (source, hash) in files {
        match by_source.get(source.as_str()) {
            None => plan.added.push(source.clone()),
            Some(chunks) if is_complete(chunks, hash) => plan.unchanged.push(source.clone()),
            Some(_) => plan.changed.push(source.clone()),
        }
    }
    let gone: BTreeSet<&str> = by_source
        .keys()
        .copied()
        .filter(|s| !files.contains_key(*s))
        .collect();
    plan.removed = gone.into_iter().map(str::to_owned).collect();
    plan
}

/// All chunks carry the current hash and every one of the document's chunks is present.
fn is_complete(chunks: &[&StoredChunk], hash: &str) -> bool {
    let ids: BTreeSet<Uuid> = chunks.iter().map(|c| c.id).collect();
    chunks
        .iter()
        .all(|c| c.doc_hash == hash && c.chunk_count as usize == ids.len())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(source: &str, hash: &str, count: u32, index: u32) -> StoredChunk {
        StoredChunk {
            id: chunk_id(source, hash, index),
            source: source.into(),
            doc_hash: hash.into(),
            chunk_count: count,
            content_hash: String::new(),
        }
    }

    #[test]
    fn plan_sorts_files_into_the_four_outcomes() {
        let files = BTreeMap::from([
            ("new.md".to_string(), "h1".to_string()),
            ("same.md".to_string(), "h2".to_string()),
            ("edited.md".to_string(), "h3-new".to_string()),
            ("half.md".to_string(), "h4".to_string()),
        ]);
        let store = vec![
            stored("same.md", "h2", 2, 0),
            stored("same.md", "h2", 2, 1),
            stored("edited.md", "h3-old", 1, 0),
            // An interrupted run wrote one of two chunks.
            stored("half.md", "h4", 2, 0),
            stored("gone.md", "h5", 1, 0),
        ];
        let plan = plan(&files, &store);
        assert_eq!(plan.added, ["new.md"]);
        assert_eq!(plan.unchanged, ["same.md"]);
        assert_eq!(plan.changed, ["edited.md", "half.md"]);
        assert_eq!(plan.removed, ["gone.md"]);
    }

    #[test]
    fn ids_are_deterministic_and_content_dependent() {
        assert_eq!(chunk_id("a.md", "h", 0), chunk_id("a.md", "h", 0));
        assert_ne!(chunk_id("a.md", "h", 0), chunk_id("a.md", "h", 1));
        assert_ne!(chunk_id("a.md", "h", 0), chunk_id("a.md", "g", 0));
        assert_ne!(chunk_id("a.md", "h", 0), chunk_id("b.md", "h", 0));
    }
}
