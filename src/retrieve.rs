//! Retrieval: dense (semantic), keyword (BM25) or hybrid search, the two lists fused with
//! reciprocal rank fusion. Fusion happens here rather than in the store so that every hit keeps
//! its cosine similarity, which later steps use as a relevance signal.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cairn_ingest::domain::{CollectionName, QueryVector, ScoredChunk};
use cairn_ingest::embed::{Bm25, EmbedError, Embedder};
use cairn_ingest::store::{SourceFilter, StoreError, VectorStore};
use serde::{Deserialize, Serialize};

use crate::text::coverage::{self, Terms};

/// The constant of reciprocal rank fusion (Cormack et al. 2009; also Qdrant's default).
const RRF_K: f32 = 60.0;
/// Each list is searched this many times deeper than the results asked for, before fusion.
const CANDIDATE_FACTOR: usize = 4;
const MIN_CANDIDATES: usize = 20;

#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Serialize,
    Deserialize,
    clap::ValueEnum,
    utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Embedding similarity only (the default: best on the golden sets measured so far,
    /// see docs/benchmarks.md).
    #[default]
    Dense,
    /// BM25 keyword matching only.
    Keyword,
    /// Both, fused by rank.
    Hybrid,
}

/// Hits with the time spent embedding the query and searching the store.
#[derive(Debug, Clone)]
pub struct Retrieved {
    pub hits: Vec<Hit>,
    pub embed: Duration,
    pub search: Duration,
}

/// How to search.
#[derive(Debug, Clone)]
pub struct SearchOptions {
    pub top_k: usize,
    pub filter: SourceFilter,
    pub mode: Mode,
    /// At most this many hits from one source (0: no limit).
    pub per_source: usize,
    /// Rerank the candidates by similarity plus coverage of the question's terms (dense mode).
    pub rerank: bool,
}

/// A retrieved chunk: `score` orders the results (cosine for dense, plus the coverage boost when
/// reranked; BM25 for keyword; fused rank score for hybrid); `similarity` is the cosine similarity when the dense list found it.
#[derive(Debug, Clone)]
pub struct Hit {
    pub chunk: ScoredChunk,
    pub score: f32,
    pub similarity: Option<f32>,
}

#[derive(Debug, thiserror::Error)]
pub enum RetrieveError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Task(#[from] crate::blocking::Panicked),
}

#[derive(Clone)]
pub struct Retriever {
    pub embedder: Arc<dyn Embedder>,
    pub bm25: Arc<Bm25>,
    pub store: Arc<dyn VectorStore>,
}

impl Retriever {
    #[tracing::instrument(skip_all, fields(collection = %name, top_k = options.top_k, mode = ?options.mode))]
    pub async fn search(
        &self,
        name: &CollectionName,
        query: &str,
        options: &SearchOptions,
    ) -> Result<Vec<Hit>, RetrieveError> {
        Ok(self.retrieve(name, query, options).await?.hits)
    }

    /// Like [`Self::search`], with the time spent embedding and searching.
    pub async fn retrieve(
        &self,
        name: &CollectionName,
        query: &str,
        options: &SearchOptions,
    ) -> Result<Retrieved, RetrieveError> {
        let depth = (options.top_k * CANDIDATE_FACTOR).max(MIN_CANDIDATES);
        let filter = &options.filter;
        let started = Instant::now();
        let vector = match options.mode {
            Mode::Keyword => None,
            _ => Some(QueryVector::Dense(self.embed(query).await?)),
        };
        let embed = started.elapsed();
        let dense = match vector {
            None => Vec::new(),
            Some(vector) => self.store.search(name, &vector, depth, filter).await?,
        };
        let keyword = match options.mode {
            Mode::Dense => Vec::new(),
            _ => {
                let terms = QueryVector::Sparse(self.bm25.query(query));
                self.store.search(name, &terms, depth, filter).await?
            }
        };
        let search = started.elapsed().saturating_sub(embed);
        let ranked = match options.mode {
            Mode::Dense => dense.into_iter().map(|c| hit(c, true)).collect(),
            Mode::Keyword => keyword.into_iter().map(|c| hit(c, false)).collect(),
            Mode::Hybrid => fuse(dense, keyword),
        };
        // Dense only: the boost is on the cosine scale, which BM25 and fused scores are not.
        let ranked = if options.rerank && options.mode == Mode::Dense {
            rerank(query, ranked)
        } else {
            ranked
        };
        let hits = diversify(ranked, options.top_k, options.per_source);
        Ok(Retrieved {
            hits,
            embed,
            search,
        })
    }

    /// Each hit followed by the rest of its document's next chunk, so that a sentence cut off
    /// by the chunk boundary, or the answer that follows a question heading at a chunk's end,
    /// is there to quote. The overlap the chunker repeats is dropped.
    pub async fn expand(
        &self,
        name: &CollectionName,
        hits: &mut [Hit],
    ) -> Result<(), RetrieveError> {
        let have: HashSet<uuid::Uuid> = hits.iter().map(|h| h.chunk.id).collect();
        let wanted: Vec<(usize, uuid::Uuid)> = hits
            .iter()
            .enumerate()
            .filter_map(|(i, h)| {
                let p = &h.chunk.payload;
                let next = p
                    .chunk_index
                    .checked_add(1)
                    .filter(|n| *n < p.chunk_count)?;
                let id = cairn_ingest::sync::chunk_id(&p.source, &p.doc_hash, next);
                (!have.contains(&id)).then_some((i, id))
            })
            .collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let ids: Vec<uuid::Uuid> = wanted.iter().map(|(_, id)| *id).collect();
        let found = self.store.get(name, &ids).await?;
        for (i, id) in wanted {
            if let Some(next) = found.iter().find(|c| c.id == id) {
                let text = &mut hits[i].chunk.payload.text;
                let rest = without_overlap(text, &next.payload.text);
                if !rest.trim().is_empty() {
                    text.push_str("\n\n");
                    text.push_str(rest.trim_start());
                }
            }
        }
        Ok(())
    }

    /// The terms that occur nowhere in the collection (by BM25 keyword search).
    pub async fn unknown_terms(
        &self,
        name: &CollectionName,
        terms: &[String],
    ) -> Result<Vec<String>, RetrieveError> {
        let mut unknown = Vec::new();
        for term in terms {
            let query = QueryVector::Sparse(self.bm25.query(term));
            if self
                .store
                .search(name, &query, 1, &SourceFilter::default())
                .await?
                .is_empty()
            {
                unknown.push(term.clone());
            }
        }
        Ok(unknown)
    }

    async fn embed(&self, text: &str) -> Result<Vec<f32>, RetrieveError> {
        let embedder = self.embedder.clone();
        let text = text.to_owned();
        let mut vectors = crate::blocking::run(move || embedder.embed(&[text])).await??;
        Ok(vectors.pop().unwrap_or_default())
    }
}

/// Shorter shared runs than this are not the chunker's overlap.
const MIN_OVERLAP: usize = 20;

/// `next` without the start it shares with the end of `text` (the chunker's overlap).
fn without_overlap<'a>(text: &str, next: &'a str) -> &'a str {
    let mut best = 0;
    for (i, _) in next.char_indices().skip(1) {
        if i > text.len() {
            break;
        }
        if text.ends_with(&next[..i]) {
            best = i;
        }
    }
    if text.ends_with(next) {
        return "";
    }
    // The chunker's overlap is 16 tokens or so; a few shared letters are chance.
    if best < MIN_OVERLAP {
        return next;
    }
    &next[best..]
}

fn hit(chunk: ScoredChunk, dense: bool) -> Hit {
    Hit {
        score: chunk.score,
        similarity: dense.then_some(chunk.score),
        chunk,
    }
}

/// The stemmed content words of a hit's title, headings and text: what coverage of a question
/// is measured on.
pub fn passage_stems(hit: &Hit) -> HashSet<String> {
    let p = &hit.chunk.payload;
    coverage::stems(&format!("{} {} {}", p.title, p.heading.join(" "), p.text))
}

/// Weight of the coverage of the question's terms next to the cosine similarity when
/// reranking (chosen on the handbooks tuning half, see docs/benchmarks.md).
const RERANK_COVERAGE: f32 = 0.15;

/// Orders the candidates by their similarity plus how much of the question (rare terms
/// weighing more) their text, title and headings cover: a passage that holds the question's
/// specific words moves up past one that is merely about the same topic.
fn rerank(query: &str, ranked: Vec<Hit>) -> Vec<Hit> {
    let stems: Vec<HashSet<String>> = ranked.iter().map(passage_stems).collect();
    let terms = Terms::new(query, &stems);
    if terms.is_empty() {
        return ranked;
    }
    let mut scored: Vec<(f32, Hit)> = ranked
        .into_iter()
        .zip(&stems)
        .map(|(h, s)| {
            (
                h.similarity.unwrap_or(0.0) + RERANK_COVERAGE * terms.coverage(s),
                h,
            )
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored
        .into_iter()
        .map(|(score, h)| Hit { score, ..h })
        .collect()
}

/// Keeps the best `top_k` hits with at most `per_source` from any one source (0: no limit), so
/// one long document cannot crowd every other source out of the results.
fn diversify(ranked: Vec<Hit>, top_k: usize, per_source: usize) -> Vec<Hit> {
    let mut taken: HashMap<String, usize> = HashMap::new();
    ranked
        .into_iter()
        .filter(|h| {
            let n = taken.entry(h.chunk.payload.source.clone()).or_default();
            *n += 1;
            per_source == 0 || *n <= per_source
        })
        .take(top_k)
        .collect()
}

/// Reciprocal rank fusion: each list adds 1 / (k + rank) for every chunk it holds.
fn fuse(dense: Vec<ScoredChunk>, keyword: Vec<ScoredChunk>) -> Vec<Hit> {
    let mut fused: HashMap<uuid::Uuid, Hit> = HashMap::new();
    for (list, is_dense) in [(dense, true), (keyword, false)] {
        for (rank, chunk) in list.into_iter().enumerate() {
            let add = 1.0 / (RRF_K + rank as f32 + 1.0);
            let similarity = is_dense.then_some(chunk.score);
            fused
                .entry(chunk.id)
                .and_modify(|h| {
                    h.score += add;
                    h.similarity = h.similarity.or(similarity);
                })
                .or_insert(Hit {
                    chunk,
                    score: add,
                    similarity,
                });
        }
    }
    let mut hits: Vec<Hit> = fused.into_values().collect();
    hits.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(a.chunk.id.cmp(&b.chunk.id))
    });
    hits
}

#[cfg(test)]
mod tests {
    use super::without_overlap;

    #[test]
    fn overlap_with_the_next_chunk_is_dropped() {
        let end = "so you should set the editor with core";
        let next = "set the editor with core.editor to it.";
        assert_eq!(without_overlap(end, next), ".editor to it.");
        assert_eq!(without_overlap("ends in s", "starts here."), "starts here.");
        assert_eq!(
            without_overlap("first part.", "Unrelated start."),
            "Unrelated start."
        );
        assert_eq!(without_overlap("same", "same"), "");
    }
}
