//! The embedded default: Qdrant's own engine in-process (qdrant-edge), one on-disk shard per
//! collection under `<data_dir>/collections/<name>`. Survives restarts; one process at a time.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use qdrant_edge::external::uuid::Uuid;
use qdrant_edge::{
    AnyVariants, Condition, CountRequest, CreateIndex, Distance, EdgeConfig, EdgeShard,
    EdgeSparseVectorParams, EdgeVectorParams, FieldCondition, FieldIndexOperations, Filter,
    JsonPath, Match, MatchAny, Modifier, PayloadFieldSchema, PayloadSchemaType, PointId,
    PointInsertOperations, PointOperations, PointStruct, QueryEnum, ScrollRequest, SearchParams,
    SearchRequest, UpdateOperation, Vector, VectorInternal, VectorStorageDatatype, Vectors,
    WalOptions, WithPayloadInterface, WithVector,
};

use super::{
    check_dimension, in_order, payload_from_json, payload_to_json, stored_chunk, CollectionInfo,
    SourceFilter, StoreError, VectorStore, DENSE_VECTOR, INVENTORY_FIELDS, SOURCE_FIELD,
    SPARSE_VECTOR,
};
use crate::domain::{CollectionName, EmbeddedChunk, QueryVector, ScoredChunk};
use crate::sync::StoredChunk;

/// The size of a new collection's WAL segments. The WAL's newest closed segment and its open
/// one are read into memory whenever the collection opens (older ones are truncated, see
/// `wal.rs`): 4 MiB rather than qdrant-edge's default of 32 keeps that near 8 MiB instead of
/// 64. A larger write gets a segment of its own size.
const WAL_SEGMENT_BYTES: usize = 4 * 1024 * 1024;

/// How a new collection stores its dense vectors: half precision, which halves the vectors'
/// share of memory and disk (they are held in RAM) while a cosine between unit vectors moves
/// by about 1e-3, far below the gaps between neighbours that decide a ranking.
const DENSE_DATATYPE: VectorStorageDatatype = VectorStorageDatatype::Float16;

/// An open shard. qdrant-edge's flush panics if it meets a concurrent write, so writes and
/// flushes take `writes`; searches need no lock.
struct Shard {
    /// Always `Some` until the shard is dropped.
    slot: Option<EdgeShard>,
    writes: Mutex<()>,
}

impl Drop for Shard {
    /// qdrant-edge flushes on drop and panics if that fails (say, the directory was deleted
    /// under it): log it instead of taking the process down.
    fn drop(&mut self) {
        if let Some(edge) = self.slot.take() {
            if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(edge))).is_err() {
                tracing::error!(
                    "closing an embedded collection failed; its last writes may be lost"
                );
            }
        }
    }
}

impl Shard {
    fn new(edge: EdgeShard) -> Self {
        Self {
            slot: Some(edge),
            writes: Mutex::new(()),
        }
    }

    fn edge(&self) -> &EdgeShard {
        self.slot
            .as_ref()
            .expect("a shard is only emptied by its Drop")
    }

    fn write<T>(&self, f: impl FnOnce(&EdgeShard) -> T) -> T {
        let _guard = self.writes.lock().unwrap_or_else(|p| p.into_inner());
        f(self.edge())
    }
}

/// The embedded store; cheap to clone, every clone shares the open shards.
#[derive(Clone)]
pub struct EdgeStore {
    inner: Arc<Inner>,
}

struct Inner {
    root: PathBuf,
    open: Mutex<HashMap<String, Arc<Shard>>>,
    /// Held while a shard is opened, created or closed, so that each collection is opened
    /// once per process: two concurrent first requests would otherwise both open it, and the
    /// second would find the WAL locked as if another process held it. Lookups of an open
    /// shard never take it.
    opening: Mutex<()>,
    /// The HNSW beam width of a search ([`DEFAULT_HNSW_EF`] unless set).
    hnsw_ef: AtomicUsize,
}

/// The HNSW beam width searches use: the smallest of those `bench/scale.py` tried (100, 128,
/// 200) that keeps recall@10 against an exact 32-bit search at 0.98 or more at one million
/// half-precision points: 0.995, where 128 gave 0.979 and Qdrant's own default (ef_construct,
/// 100) 0.973. It costs 0.2 ms a search there.
pub const DEFAULT_HNSW_EF: usize = 200;

impl EdgeStore {
    /// A store rooted at `<data_dir>/collections`.
    pub fn new(data_dir: &Path) -> Result<Self, StoreError> {
        let root = data_dir.join("collections");
        std::fs::create_dir_all(&root)
            .map_err(|e| StoreError::Backend(format!("cannot create {}: {e}", root.display())))?;
        let inner = Inner {
            root,
            open: Mutex::new(HashMap::new()),
            opening: Mutex::new(()),
            hnsw_ef: AtomicUsize::new(DEFAULT_HNSW_EF),
        };
        Ok(Self {
            inner: Arc::new(inner),
        })
    }

    /// Sets the HNSW beam width of later searches (wider: better recall, slower).
    pub fn set_hnsw_ef(&self, ef: usize) {
        self.inner.hnsw_ef.store(ef.max(1), Ordering::Relaxed);
    }
}

impl Inner {
    fn dir(&self, name: &CollectionName) -> PathBuf {
        self.root.join(name.as_str())
    }

    fn cached(&self, name: &CollectionName) -> Option<Arc<Shard>> {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.get(name.as_str()).cloned()
    }

    /// The open shard, opening it from disk the first time; `None` when it does not exist.
    fn shard(&self, name: &CollectionName) -> Result<Option<Arc<Shard>>, StoreError> {
        if let Some(shard) = self.cached(name) {
            return Ok(Some(shard));
        }
        let _opening = self.opening.lock().unwrap_or_else(|p| p.into_inner());
        self.open_locked(name)
    }

    /// [`Self::shard`] for a caller that holds `opening`.
    fn open_locked(&self, name: &CollectionName) -> Result<Option<Arc<Shard>>, StoreError> {
        if let Some(shard) = self.cached(name) {
            return Ok(Some(shard));
        }
        let dir = self.dir(name);
        if !dir.join("edge_config.json").is_file() {
            return Ok(None);
        }
        let freed = super::wal::truncate(&dir);
        if freed > 0 {
            tracing::debug!(collection = %name, bytes = freed, "truncated the WAL");
        }
        let edge = EdgeShard::load(&dir, None).map_err(|e| open_error(name, &e.to_string()))?;
        Ok(Some(self.remember(name, edge)))
    }

    fn existing(&self, name: &CollectionName) -> Result<Arc<Shard>, StoreError> {
        self.shard(name)?
            .ok_or_else(|| StoreError::NotFound(name.to_string()))
    }

    fn remember(&self, name: &CollectionName, edge: EdgeShard) -> Arc<Shard> {
        let shard = Arc::new(Shard::new(edge));
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.entry(name.to_string()).or_insert(shard).clone()
    }

    fn create_blocking(&self, name: &CollectionName, dimension: usize) -> Result<(), StoreError> {
        let _opening = self.opening.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(shard) = self.open_locked(name)? {
            return check_dimension(name, dimension_of(shard.edge()), dimension);
        }
        let dir = self.dir(name);
        std::fs::create_dir_all(&dir).map_err(|e| StoreError::Backend(e.to_string()))?;
        let config = EdgeConfig::builder()
            .vector(
                DENSE_VECTOR,
                EdgeVectorParams::builder(dimension, Distance::Cosine)
                    .datatype(DENSE_DATATYPE)
                    .build(),
            )
            .sparse_vector(
                SPARSE_VECTOR,
                EdgeSparseVectorParams::builder()
                    .modifier(Modifier::Idf)
                    .build(),
            )
            .wal_options(WalOptions {
                segment_capacity: WAL_SEGMENT_BYTES,
                ..WalOptions::default()
            })
            .build();
        let edge = EdgeShard::new(&dir, config).map_err(|e| open_error(name, &e.to_string()))?;
        let shard = self.remember(name, edge);
        let index =
            UpdateOperation::FieldIndexOperation(FieldIndexOperations::CreateIndex(CreateIndex {
                field_name: key(SOURCE_FIELD)?,
                field_schema: Some(PayloadFieldSchema::FieldType(PayloadSchemaType::Keyword)),
            }));
        shard.write(|e| e.update(index)).map_err(backend)?;
        shard.write(|e| e.flush());
        Ok(())
    }

    fn info_blocking(&self, name: &CollectionName) -> Result<Option<CollectionInfo>, StoreError> {
        let Some(shard) = self.shard(name)? else {
            return Ok(None);
        };
        Ok(Some(CollectionInfo {
            name: name.to_string(),
            dimension: dimension_of(shard.edge()),
            points: count_blocking(shard.edge(), None)?,
        }))
    }

    fn list_blocking(&self) -> Result<Vec<CollectionInfo>, StoreError> {
        let entries =
            std::fs::read_dir(&self.root).map_err(|e| StoreError::Backend(e.to_string()))?;
        let mut names: Vec<CollectionName> = entries
            .filter_map(Result::ok)
            .filter_map(|e| CollectionName::parse(&e.file_name().to_string_lossy()).ok())
            .collect();
        names.sort();
        let mut infos = Vec::new();
        for name in names {
            infos.extend(self.info_blocking(&name)?);
        }
        Ok(infos)
    }

    fn delete_blocking(&self, name: &CollectionName) -> Result<bool, StoreError> {
        let _opening = self.opening.lock().unwrap_or_else(|p| p.into_inner());
        let removed = {
            let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
            open.remove(name.as_str())
        };
        // Dropping the last handle flushes and releases the WAL lock before the files go.
        drop(removed);
        let dir = self.dir(name);
        if !dir.exists() {
            return Ok(false);
        }
        std::fs::remove_dir_all(&dir).map_err(|e| StoreError::Backend(e.to_string()))?;
        Ok(true)
    }

    fn upsert_blocking(
        &self,
        name: &CollectionName,
        chunks: Vec<EmbeddedChunk>,
    ) -> Result<(), StoreError> {
        let shard = self.existing(name)?;
        let points = chunks
            .into_iter()
            .map(|c| {
                let sparse =
                    Vector::new_sparse(c.sparse.indices, c.sparse.values).map_err(backend)?;
                let vectors = Vectors::new_named([
                    (DENSE_VECTOR, Vector::new_dense(c.vector)),
                    (SPARSE_VECTOR, sparse),
                ]);
                Ok(
                    PointStruct::new(PointId::Uuid(c.id), vectors, payload_to_json(&c.payload))
                        .into(),
                )
            })
            .collect::<Result<_, StoreError>>()?;
        let op = UpdateOperation::PointOperation(PointOperations::UpsertPoints(
            PointInsertOperations::PointsList(points),
        ));
        shard.write(|e| e.update(op)).map_err(backend)
    }

    fn delete_sources_blocking(
        &self,
        name: &CollectionName,
        sources: &[String],
    ) -> Result<(), StoreError> {
        if sources.is_empty() {
            return Ok(());
        }
        let shard = self.existing(name)?;
        let filter = source_filter(sources)?;
        let op = UpdateOperation::PointOperation(PointOperations::DeletePointsByFilter(filter));
        shard.write(|e| e.update(op)).map_err(backend)
    }

    fn search_blocking(
        &self,
        name: &CollectionName,
        query: &QueryVector,
        limit: usize,
        filter: &SourceFilter,
    ) -> Result<Vec<ScoredChunk>, StoreError> {
        let shard = self.existing(name)?;
        let (query, using) = match query {
            QueryVector::Dense(v) => (VectorInternal::Dense(v.clone()), DENSE_VECTOR),
            QueryVector::Sparse(v) => {
                let sparse = qdrant_edge::SparseVector::new(v.indices.clone(), v.values.clone())
                    .map_err(|e| StoreError::Backend(e.to_string()))?;
                (VectorInternal::Sparse(sparse), SPARSE_VECTOR)
            }
        };
        let request = SearchRequest {
            query: QueryEnum::Nearest(qdrant_edge::NamedQuery {
                query,
                using: Some(using.into()),
            }),
            filter: optional_filter(filter)?,
            params: Some(SearchParams {
                hnsw_ef: Some(self.hnsw_ef.load(Ordering::Relaxed)),
                ..SearchParams::default()
            }),
            limit,
            offset: 0,
            with_payload: Some(WithPayloadInterface::Bool(true)),
            with_vector: Some(WithVector::Bool(false)),
            score_threshold: None,
        };
        let points = shard.edge().search(request).map_err(backend)?;
        points
            .into_iter()
            .map(|p| {
                let payload = p.payload.map(|p| p.0).unwrap_or_default();
                Ok(ScoredChunk {
                    id: uuid_of(p.id)?,
                    score: p.score,
                    payload: payload_from_json(serde_json::Value::Object(payload))?,
                })
            })
            .collect()
    }

    fn get_blocking(
        &self,
        name: &CollectionName,
        ids: &[Uuid],
    ) -> Result<Vec<ScoredChunk>, StoreError> {
        let shard = self.existing(name)?;
        let points: Vec<PointId> = ids.iter().map(|u| PointId::Uuid(*u)).collect();
        let records = shard
            .edge()
            .retrieve(&points, Some(WithPayloadInterface::Bool(true)), None)
            .map_err(backend)?;
        let found = records
            .into_iter()
            .map(|r| {
                let payload = r.payload.map(|p| p.0).unwrap_or_default();
                Ok((uuid_of(r.id)?, serde_json::Value::Object(payload)))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        in_order(ids, found)
    }

    fn inventory_blocking(&self, name: &CollectionName) -> Result<Vec<StoredChunk>, StoreError> {
        let Some(shard) = self.shard(name)? else {
            return Ok(Vec::new());
        };
        let fields = INVENTORY_FIELDS
            .iter()
            .map(|f| key(f))
            .collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::new();
        let mut offset = None;
        loop {
            let request = ScrollRequest {
                offset,
                limit: Some(1000),
                filter: None,
                with_payload: Some(WithPayloadInterface::Fields(fields.clone())),
                with_vector: WithVector::Bool(false),
                order_by: None,
            };
            let (records, next) = shard.edge().scroll(request).map_err(backend)?;
            for r in records {
                let payload = r.payload.map(|p| p.0).unwrap_or_default();
                out.push(stored_chunk(uuid_of(r.id)?, &payload)?);
            }
            match next {
                Some(n) => offset = Some(n),
                None => return Ok(out),
            }
        }
    }
}

#[async_trait]
impl VectorStore for EdgeStore {
    fn backend(&self) -> &'static str {
        "embedded"
    }

    async fn create_collection(
        &self,
        name: &CollectionName,
        dimension: usize,
    ) -> Result<(), StoreError> {
        let (this, name) = (self.inner.clone(), name.clone());
        blocking(move || this.create_blocking(&name, dimension)).await
    }

    async fn collection(
        &self,
        name: &CollectionName,
    ) -> Result<Option<CollectionInfo>, StoreError> {
        let (this, name) = (self.inner.clone(), name.clone());
        blocking(move || this.info_blocking(&name)).await
    }

    async fn list_collections(&self) -> Result<Vec<CollectionInfo>, StoreError> {
        let this = self.inner.clone();
        blocking(move || this.list_blocking()).await
    }

    async fn delete_collection(&self, name: &CollectionName) -> Result<bool, StoreError> {
        let (this, name) = (self.inner.clone(), name.clone());
        blocking(move || this.delete_blocking(&name)).await
    }

    async fn upsert(
        &self,
        name: &CollectionName,
        chunks: Vec<EmbeddedChunk>,
    ) -> Result<(), StoreError> {
        let (this, name) = (self.inner.clone(), name.clone());
        blocking(move || this.upsert_blocking(&name, chunks)).await
    }

    async fn delete_sources(
        &self,
        name: &CollectionName,
        sources: &[String],
    ) -> Result<(), StoreError> {
        let (this, name, sources) = (self.inner.clone(), name.clone(), sources.to_vec());
        blocking(move || this.delete_sources_blocking(&name, &sources)).await
    }

    async fn search(
        &self,
        name: &CollectionName,
        query: &QueryVector,
        limit: usize,
        filter: &SourceFilter,
    ) -> Result<Vec<ScoredChunk>, StoreError> {
        let (this, name, filter, query) = (
            self.inner.clone(),
            name.clone(),
            filter.clone(),
            query.clone(),
        );
        blocking(move || this.search_blocking(&name, &query, limit, &filter)).await
    }

    async fn get(
        &self,
        name: &CollectionName,
        ids: &[Uuid],
    ) -> Result<Vec<ScoredChunk>, StoreError> {
        let (this, name, ids) = (self.inner.clone(), name.clone(), ids.to_vec());
        blocking(move || this.get_blocking(&name, &ids)).await
    }

    async fn count(
        &self,
        name: &CollectionName,
        filter: &SourceFilter,
    ) -> Result<usize, StoreError> {
        let (this, name, filter) = (self.inner.clone(), name.clone(), filter.clone());
        blocking(move || {
            let shard = this.existing(&name)?;
            count_blocking(shard.edge(), optional_filter(&filter)?)
        })
        .await
    }

    async fn inventory(&self, name: &CollectionName) -> Result<Vec<StoredChunk>, StoreError> {
        let (this, name) = (self.inner.clone(), name.clone());
        blocking(move || this.inventory_blocking(&name)).await
    }

    async fn flush(&self, name: &CollectionName) -> Result<(), StoreError> {
        let (this, name) = (self.inner.clone(), name.clone());
        blocking(move || {
            this.existing(&name)?.write(|e| e.flush());
            Ok(())
        })
        .await
    }

    /// Runs qdrant-edge's optimizers until they have nothing left to do. Writes wait for it;
    /// searches go on meanwhile (qdrant swaps the rebuilt segments in when they are ready).
    async fn optimize(&self, name: &CollectionName) -> Result<bool, StoreError> {
        let (this, name) = (self.inner.clone(), name.clone());
        blocking(move || {
            let shard = this.existing(&name)?;
            shard.write(|e| {
                let changed = e.optimize().map_err(backend)?;
                e.flush();
                Ok(changed)
            })
        })
        .await
    }
}

/// qdrant-edge is synchronous: run it off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Backend(format!("store task failed: {e}")))?
}

fn count_blocking(edge: &EdgeShard, filter: Option<Filter>) -> Result<usize, StoreError> {
    edge.count(CountRequest {
        filter,
        exact: true,
    })
    .map_err(backend)
}

fn dimension_of(edge: &EdgeShard) -> usize {
    edge.config()
        .vectors
        .get(DENSE_VECTOR)
        .map_or(0, |v| v.size)
}

fn optional_filter(filter: &SourceFilter) -> Result<Option<Filter>, StoreError> {
    if filter.sources.is_empty() {
        Ok(None)
    } else {
        source_filter(&filter.sources).map(Some)
    }
}

fn source_filter(sources: &[String]) -> Result<Filter, StoreError> {
    let any = AnyVariants::Strings(sources.iter().cloned().collect());
    Ok(Filter::new_must(Condition::Field(
        FieldCondition::new_match(key(SOURCE_FIELD)?, Match::Any(MatchAny { any })),
    )))
}

fn key(field: &str) -> Result<JsonPath, StoreError> {
    JsonPath::try_from(field).map_err(|_| StoreError::Backend(format!("bad payload key {field}")))
}

fn uuid_of(id: PointId) -> Result<Uuid, StoreError> {
    match id {
        PointId::Uuid(u) => Ok(u),
        PointId::NumId(n) => Err(StoreError::Payload(format!(
            "point id {n} is not a cairn chunk id"
        ))),
    }
}

fn backend(e: qdrant_edge::OperationError) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// A failure to open a shard: a held WAL lock means another process has it open.
fn open_error(name: &CollectionName, message: &str) -> StoreError {
    let m = message.to_ascii_lowercase();
    if m.contains("lock") || m.contains("would block") || m.contains("temporarily unavailable") {
        StoreError::Locked(name.to_string(), message.to_owned())
    } else {
        StoreError::Backend(format!("cannot open collection {name}: {message}"))
    }
}
