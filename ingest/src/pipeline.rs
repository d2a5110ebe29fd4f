//! The ingest pipeline: discover → plan → load and chunk → embed → upsert. The three last
//! stages run concurrently, joined by bounded channels so memory stays flat on any corpus.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::mpsc;

use crate::chunk::Chunker;
use crate::domain::{Chunk, CollectionName, EmbeddedChunk};
use crate::embed::{Bm25, EmbedError, Embedder};
use crate::load::{self, Format, LoadError};
use crate::parts::{self, PartVectors};
use crate::progress::{Progress, Watch};
use crate::redact;
use crate::store::{StoreError, VectorStore};
use crate::sync::{self, Plan};

/// Bumped when a loader's output changes, so existing documents are re-ingested.
const LOADER_VERSION: u32 = 1;
/// Chunks per embedding call: large enough to keep the model busy, small enough for memory.
/// The model sees them sorted by length, so a larger call pads less. Measured on 66 files of
/// the Python docs (docs/benchmarks.md's machine): the same speed as unsorted, ~40 MB less peak.
const EMBED_BATCH: usize = 256;
/// Queue depths between stages (in files, then in batches).
const LOADED_QUEUE: usize = 16;
const EMBEDDED_QUEUE: usize = 2;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{0} does not exist: give a directory or file to ingest")]
    MissingPath(PathBuf),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error("ingest stage failed: {0}")]
    Stage(String),
}

/// What to ingest and how.
#[derive(Debug, Clone)]
pub struct IngestRequest {
    pub paths: Vec<PathBuf>,
    pub collection: CollectionName,
    /// Delete stored chunks of files that are no longer there.
    pub prune: bool,
    /// Only compute and report the plan.
    pub dry_run: bool,
    /// Show progress bars (when stderr is a terminal).
    pub progress: bool,
    /// Progress for a caller to read while the run goes on.
    pub watch: Option<Arc<Watch>>,
    /// Free the model's memory before building the index ([`Embedder::release`]): for a
    /// one-shot run, where nothing embeds after it, so the index build is not the peak.
    pub release_model: bool,
}

/// A file left out of the run, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub source: String,
    pub reason: String,
}

/// What a run did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Summary {
    pub collection: String,
    pub dry_run: bool,
    pub plan: Plan,
    /// Files seen that cairn can read.
    pub files: usize,
    /// Chunks embedded and stored by this run.
    pub chunks: usize,
    /// Sources whose chunks were deleted because their file is gone (`--prune`).
    pub pruned: usize,
    /// Stored sources this run did not include, kept because `prune` is off.
    pub not_in_run: usize,
    pub skipped: Vec<Skipped>,
    pub seconds: f64,
    /// Wall time spent inside the embedding model.
    pub embed_seconds: f64,
    /// Tokens the embedding model read (padding not counted).
    pub tokens: usize,
    /// Wall time spent bringing the search index up to date after the writes.
    pub index_seconds: f64,
    /// Personal data replaced in the documents of this run, by kind (when redaction is on).
    pub redacted: redact::Counts,
    pub chunks_per_second: f64,
}

/// A file to ingest: where it is and its source path.
#[derive(Debug, Clone)]
struct FileEntry {
    source: String,
    path: PathBuf,
}

/// Runs ingest runs against one embedder, chunker and store.
#[derive(Clone)]
pub struct Ingestor {
    pub embedder: Arc<dyn Embedder>,
    pub bm25: Arc<Bm25>,
    pub store: Arc<dyn VectorStore>,
    pub chunker: Arc<Chunker>,
    /// Personal data redacted from documents before chunking (none: redaction is off).
    pub redact: Vec<redact::Kind>,
}

impl Ingestor {
    #[tracing::instrument(skip_all, fields(collection = %request.collection))]
    pub async fn run(&self, request: &IngestRequest) -> Result<Summary, IngestError> {
        let started = Instant::now();
        let (files, mut skipped) = discover(&request.paths)?;
        let fingerprint = self.fingerprint();
        let hashes = hash_files(files.clone(), fingerprint.clone()).await?;
        let mut on_disk = BTreeMap::new();
        let mut entries = Vec::new();
        for (entry, hash) in files.into_iter().zip(hashes) {
            match hash {
                Ok(h) => {
                    on_disk.insert(entry.source.clone(), h);
                    entries.push(entry);
                }
                Err(reason) => skipped.push(Skipped {
                    source: entry.source,
                    reason,
                }),
            }
        }
        let name = &request.collection;
        if !request.dry_run {
            self.store
                .create_collection(name, self.embedder.dimension())
                .await?;
        }
        let mut plan = sync::plan(&on_disk, &self.store.inventory(name).await?);
        // The plan says what this run does: without prune, nothing is removed.
        let not_in_run = if request.prune {
            0
        } else {
            std::mem::take(&mut plan.removed).len()
        };
        let mut summary = Summary {
            collection: name.to_string(),
            dry_run: request.dry_run,
            files: on_disk.len(),
            not_in_run,
            ..Summary::default()
        };
        if !request.dry_run {
            if request.prune {
                self.store.delete_sources(name, &plan.removed).await?;
                summary.pruned = plan.removed.len();
            }
            let todo: BTreeSet<&String> = plan.added.iter().chain(&plan.changed).collect();
            let work: Vec<FileEntry> = entries
                .into_iter()
                .filter(|e| todo.contains(&e.source))
                .collect();
            let stored = self
                .ingest_files(name, work, &plan.changed, fingerprint, request)
                .await?;
            summary.chunks = stored.chunks;
            summary.embed_seconds = stored.model.time.as_secs_f64();
            summary.tokens = stored.model.tokens;
            summary.redacted = stored.redacted;
            skipped.extend(stored.skipped);
            self.store.flush(name).await?;
            if request.release_model {
                self.embedder.release();
            }
            if summary.chunks > 0 || summary.pruned > 0 || !plan.changed.is_empty() {
                let indexing = Instant::now();
                self.store.optimize(name).await?;
                summary.index_seconds = indexing.elapsed().as_secs_f64();
            }
        }
        summary.plan = plan;
        summary.skipped = skipped;
        summary.seconds = started.elapsed().as_secs_f64();
        summary.chunks_per_second = summary.chunks as f64 / summary.seconds.max(1e-9);
        Ok(summary)
    }

    /// Everything besides the file's bytes that decides its chunks and vectors.
    fn fingerprint(&self) -> String {
        let s = self.chunker.settings();
        // Turning redaction on (or changing its kinds) re-ingests every document.
        let redact = if self.redact.is_empty() {
            String::new()
        } else {
            format!(";redact={:?}", self.redact)
        };
        format!(
            "loader={LOADER_VERSION};model={};dim={};max_tokens={};overlap={};parts={}{redact}",
            self.embedder.model_id(),
            self.embedder.dimension(),
            s.max_tokens,
            s.overlap_tokens,
            parts::VERSION
        )
    }

    /// Load+chunk, embed and upsert run as three concurrent stages.
    async fn ingest_files(
        &self,
        name: &CollectionName,
        files: Vec<FileEntry>,
        changed: &[String],
        fingerprint: String,
        request: &IngestRequest,
    ) -> Result<Stored, IngestError> {
        let progress = Progress::new(files.len() as u64, request.progress, request.watch.clone());
        let (loaded_tx, loaded_rx) = mpsc::channel(LOADED_QUEUE);
        let (embedded_tx, embedded_rx) = mpsc::channel(EMBEDDED_QUEUE);
        let chunker = self.chunker.clone();
        let kinds = self.redact.clone();
        let loader = tokio::task::spawn_blocking(move || {
            load_stage(files, &chunker, &kinds, &fingerprint, &loaded_tx)
        });
        let models = Models {
            dense: self.embedder.clone(),
            bm25: self.bm25.clone(),
        };
        let embed = tokio::spawn(embed_stage(models, loaded_rx, embedded_tx));
        let changed: HashSet<String> = changed.iter().cloned().collect();
        let stored = store_stage(self.store.as_ref(), name, changed, embedded_rx, &progress).await;
        progress.finish();
        // A store failure drops the receiver, which stops the other stages; report it first.
        let mut stored = stored?;
        let model = embed
            .await
            .map_err(|e| IngestError::Stage(e.to_string()))??;
        let (skipped, redacted) = loader
            .await
            .map_err(|e| IngestError::Stage(e.to_string()))?;
        stored.model = model;
        stored.skipped = skipped;
        stored.redacted = redacted;
        Ok(stored)
    }
}

/// Messages from the load stage: a file's chunks, in order (none when it was skipped).
type Loaded = Vec<Chunk>;

/// Messages to the store stage.
enum ToStore {
    Upsert(Vec<EmbeddedChunk>),
    /// One more file is fully handed over.
    FileDone,
}

#[derive(Default)]
struct Stored {
    chunks: usize,
    model: ModelWork,
    skipped: Vec<Skipped>,
    redacted: redact::Counts,
}

/// What the dense model did: wall time inside it and tokens it read.
#[derive(Debug, Default, Clone, Copy)]
struct ModelWork {
    time: Duration,
    tokens: usize,
}

impl std::ops::AddAssign for ModelWork {
    fn add_assign(&mut self, other: Self) {
        self.time += other.time;
        self.tokens += other.tokens;
    }
}

/// Reads, loads and chunks each file; returns the files it had to skip and what it redacted.
fn load_stage(
    files: Vec<FileEntry>,
    chunker: &Chunker,
    kinds: &[redact::Kind],
    fingerprint: &str,
    out: &mpsc::Sender<Loaded>,
) -> (Vec<Skipped>, redact::Counts) {
    let ingested_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut skipped = Vec::new();
    let mut redacted = redact::Counts::new();
    for file in files {
        let loaded = load_file(&file, chunker, kinds, fingerprint, &ingested_at);
        let message = match loaded.map(|(chunks, counts)| {
            for (kind, n) in counts {
                *redacted.entry(kind).or_default() += n;
            }
            chunks
        }) {
            Ok(chunks) => chunks,
            Err(reason) => {
                // Its chunks from an earlier run stay: a bad edit (or an emptied file, which
                // is more often a failed save than a wish to delete) must not lose stored data.
                skipped.push(skip(&file.source, &reason));
                Vec::new()
            }
        };
        if out.blocking_send(message).is_err() {
            break; // a later stage failed; it reports the error
        }
    }
    (skipped, redacted)
}

fn load_file(
    file: &FileEntry,
    chunker: &Chunker,
    kinds: &[redact::Kind],
    fingerprint: &str,
    ingested_at: &str,
) -> Result<(Vec<Chunk>, redact::Counts), String> {
    let bytes = std::fs::read(&file.path).map_err(|e| format!("cannot read: {e}"))?;
    let mut doc = load::load(&file.source, &file.path, &bytes).map_err(|e| e.to_string())?;
    let mut counts = redact::Counts::new();
    if !kinds.is_empty() {
        for section in &mut doc.sections {
            section.text = redact::redact(&section.text, kinds, &mut counts);
        }
    }
    let hash = sync::doc_hash(&bytes, fingerprint);
    let pieces = chunker.split(&doc);
    if pieces.is_empty() {
        return Err(LoadError::Empty.to_string());
    }
    Ok((sync::chunks(&doc, &hash, pieces, ingested_at), counts))
}

/// The two encoders every chunk goes through.
#[derive(Clone)]
struct Models {
    dense: Arc<dyn Embedder>,
    bm25: Arc<Bm25>,
}

/// Batches chunks across files, embeds each batch, and passes the vectors on.
async fn embed_stage(
    models: Models,
    mut input: mpsc::Receiver<Loaded>,
    out: mpsc::Sender<ToStore>,
) -> Result<ModelWork, IngestError> {
    let mut batch: Vec<Chunk> = Vec::new();
    let mut done_files = 0;
    let mut spent = ModelWork::default();
    while let Some(loaded) = input.recv().await {
        batch.extend(loaded);
        done_files += 1;
        if batch.len() >= EMBED_BATCH {
            spent += embed_and_send(&models, std::mem::take(&mut batch), &out).await?;
            for _ in 0..std::mem::take(&mut done_files) {
                send(&out, ToStore::FileDone).await?;
            }
        }
    }
    spent += embed_and_send(&models, batch, &out).await?;
    for _ in 0..done_files {
        send(&out, ToStore::FileDone).await?;
    }
    Ok(spent)
}

/// Embeds a batch on a blocking thread; returns what the dense model did.
async fn embed_and_send(
    models: &Models,
    batch: Vec<Chunk>,
    out: &mpsc::Sender<ToStore>,
) -> Result<ModelWork, IngestError> {
    if batch.is_empty() {
        return Ok(ModelWork::default());
    }
    let models = models.clone();
    let (embedded, spent) = tokio::task::spawn_blocking(move || {
        let texts: Vec<String> = batch.iter().map(|c| c.embed_text.clone()).collect();
        let (part_texts, spans): (Vec<Vec<String>>, Vec<Vec<Range<usize>>>) = batch
            .iter()
            .map(|c| parts::spans(&c.payload.text, &c.embed_text))
            .unzip();
        let started = Instant::now();
        let dense = models.dense.embed_parts(&texts, &spans)?;
        let spent = ModelWork {
            time: started.elapsed(),
            tokens: dense.tokens.unwrap_or(0),
        };
        let dimension = models.dense.dimension();
        let mut part_vectors = dense.parts.into_iter();
        let embedded: Vec<EmbeddedChunk> = batch
            .into_iter()
            .zip(dense.vectors)
            .zip(part_texts)
            .map(|((mut c, vector), texts)| {
                let vectors = part_vectors.next().unwrap_or_default();
                if !texts.is_empty() && vectors.len() == texts.len() {
                    c.payload.parts = Some(PartVectors::encode(&texts, &vectors, dimension));
                }
                EmbeddedChunk {
                    id: c.id,
                    sparse: models.bm25.document(&c.embed_text),
                    vector,
                    payload: c.payload,
                }
            })
            .collect();
        Ok::<_, EmbedError>((embedded, spent))
    })
    .await
    .map_err(|e| IngestError::Stage(e.to_string()))??;
    send(out, ToStore::Upsert(embedded)).await?;
    Ok(spent)
}

async fn send(out: &mpsc::Sender<ToStore>, message: ToStore) -> Result<(), IngestError> {
    out.send(message)
        .await
        .map_err(|_| IngestError::Stage("the store stage stopped".into()))
}

/// Writes batches. A changed document's old chunks are deleted just before its first new
/// chunks are written, so a document whose new version fails to load keeps its old chunks.
async fn store_stage(
    store: &dyn VectorStore,
    name: &CollectionName,
    mut changed: HashSet<String>,
    mut input: mpsc::Receiver<ToStore>,
    progress: &Progress,
) -> Result<Stored, IngestError> {
    let mut stored = Stored::default();
    let mut files = 0;
    while let Some(message) = input.recv().await {
        match message {
            ToStore::Upsert(chunks) => {
                let stale: Vec<String> = chunks
                    .iter()
                    .map(|c| &c.payload.source)
                    .filter(|s| changed.contains(*s))
                    .cloned()
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect();
                store.delete_sources(name, &stale).await?;
                stale.iter().for_each(|s| {
                    changed.remove(s);
                });
                stored.chunks += chunks.len();
                store.upsert(name, chunks).await?;
            }
            ToStore::FileDone => files += 1,
        }
        progress.update(files, stored.chunks as u64);
    }
    Ok(stored)
}

fn skip(source: &str, reason: &str) -> Skipped {
    Skipped {
        source: source.to_owned(),
        reason: reason.to_owned(),
    }
}

/// Finds the files under each path. Sources are relative to the path given (a file given
/// directly is its own name); hidden files and directories are ignored.
fn discover(paths: &[PathBuf]) -> Result<(Vec<FileEntry>, Vec<Skipped>), IngestError> {
    let mut files: BTreeMap<String, FileEntry> = BTreeMap::new();
    let mut skipped = Vec::new();
    for root in paths {
        if !root.exists() {
            return Err(IngestError::MissingPath(root.clone()));
        }
        let walker = walkdir::WalkDir::new(root)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
        for entry in walker {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    skipped.push(skip(
                        &e.path()
                            .map(|p| p.display().to_string())
                            .unwrap_or_default(),
                        &e.to_string(),
                    ));
                    continue;
                }
            };
            if !entry.file_type().is_file() {
                continue;
            }
            let source = source_of(root, entry.path());
            if Format::of(entry.path()).is_none() {
                skipped.push(skip(&source, &LoadError::Unsupported.to_string()));
                continue;
            }
            if entry
                .metadata()
                .is_ok_and(|m| m.len() > load::MAX_FILE_BYTES)
            {
                skipped.push(skip(&source, &LoadError::TooLarge.to_string()));
                continue;
            }
            if files.contains_key(&source) {
                skipped.push(skip(
                    &source,
                    "the same source path appears under two ingested paths",
                ));
                continue;
            }
            files.insert(
                source.clone(),
                FileEntry {
                    source,
                    path: entry.into_path(),
                },
            );
        }
    }
    Ok((files.into_values().collect(), skipped))
}

/// `docs/faq/a.md` under `docs` → `faq/a.md`, always with `/` separators.
fn source_of(root: &Path, path: &Path) -> String {
    let relative = match path.strip_prefix(root) {
        Ok(r) if !r.as_os_str().is_empty() => r,
        _ => Path::new(path.file_name().unwrap_or(path.as_os_str())),
    };
    relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Hashes every file (reading them on a blocking thread); an unreadable file gives its error.
async fn hash_files(
    files: Vec<FileEntry>,
    fingerprint: String,
) -> Result<Vec<Result<String, String>>, IngestError> {
    tokio::task::spawn_blocking(move || {
        files
            .iter()
            .map(|f| {
                std::fs::read(&f.path)
                    .map(|bytes| sync::doc_hash(&bytes, &fingerprint))
                    .map_err(|e| format!("cannot read: {e}"))
            })
            .collect()
    })
    .await
    .map_err(|e| IngestError::Stage(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_are_relative_to_the_given_directory() {
        let root = Path::new("docs");
        assert_eq!(source_of(root, Path::new("docs/faq/a.md")), "faq/a.md");
        assert_eq!(
            source_of(Path::new("docs/a.md"), Path::new("docs/a.md")),
            "a.md"
        );
    }
}
