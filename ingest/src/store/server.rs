//! A Qdrant server or cluster over gRPC (qdrant-client): the scale-out path, chosen when
//! `QDRANT_URL` is set. Writes wait for the server's acknowledgement.
//!
//! qdrant-client's own version check prints to stdout (which breaks `cairn search --json`)
//! and blocks while it connects; it is turned off and cairn checks the version itself, once,
//! on the first call, warning in the log. Calls that meet a server that is down or restarting
//! are retried for [`RETRY_FOR`]: every call cairn makes is idempotent (upserts by id, deletes
//! by filter), so a retry cannot apply a write twice.

use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use qdrant_client::qdrant::{
    point_id::PointIdOptions, vectors_config::Config, Condition, CountPointsBuilder,
    CreateCollectionBuilder, CreateFieldIndexCollectionBuilder, DeletePointsBuilder, Distance,
    FieldType, Filter, GetPointsBuilder, Modifier, PayloadIncludeSelector, PointId, PointStruct,
    Query, QueryPointsBuilder, ScrollPointsBuilder, SparseVectorParamsBuilder,
    SparseVectorsConfigBuilder, UpsertPointsBuilder, Vector, VectorInput, VectorParamsBuilder,
    VectorsConfigBuilder,
};
use qdrant_client::{Payload, Qdrant, QdrantError};

use super::{
    check_dimension, in_order, payload_from_json, payload_to_json, stored_chunk, CollectionInfo,
    SourceFilter, StoreError, VectorStore, DENSE_VECTOR, INVENTORY_FIELDS, SOURCE_FIELD,
    SPARSE_VECTOR,
};
use crate::domain::{CollectionName, EmbeddedChunk, QueryVector, ScoredChunk};
use crate::sync::StoredChunk;

/// Server versions the test suite has run against (`tests/qdrant_server.rs`, with
/// `CAIRN_QDRANT_BIN`); others get a warning, not a refusal.
pub const TESTED_SERVER_VERSIONS: &[&str] = &["1.18"];

/// How long a call keeps retrying a server that is unreachable or restarting.
pub const RETRY_FOR: Duration = Duration::from_secs(30);

pub struct ServerStore {
    client: Qdrant,
    /// Set once the server's version has been read (and warned about, if untested).
    version_checked: tokio::sync::OnceCell<String>,
}

impl ServerStore {
    /// Connects lazily: the first call reaches the server.
    pub fn new(url: &str, api_key: Option<String>) -> Result<Self, StoreError> {
        let client = Qdrant::from_url(url)
            .api_key(api_key)
            .skip_compatibility_check()
            .build()
            .map_err(|e| StoreError::Backend(format!("bad QDRANT_URL {url:?}: {e}")))?;
        Ok(Self {
            client,
            version_checked: tokio::sync::OnceCell::new(),
        })
    }

    /// The server's version (`"1.18.3"`), read once; a server that cannot be reached now is
    /// asked again on the next call.
    pub async fn server_version(&self) -> Result<String, StoreError> {
        let version = self
            .version_checked
            .get_or_try_init(|| async {
                let reply = self.client.health_check().await.map_err(backend)?;
                if !is_tested_version(&reply.version) {
                    tracing::warn!(
                        server = %reply.version,
                        tested = ?TESTED_SERVER_VERSIONS,
                        "this Qdrant server version has not been tested with cairn"
                    );
                }
                Ok::<_, StoreError>(reply.version)
            })
            .await?;
        Ok(version.clone())
    }

    /// Runs one client call, retrying transient failures (server down, restarting, or
    /// overloaded) with backoff until [`RETRY_FOR`] has passed.
    async fn call<T, F, Fut>(&self, what: &str, f: F) -> Result<T, QdrantError>
    where
        F: Fn(Qdrant) -> Fut,
        Fut: Future<Output = Result<T, QdrantError>>,
    {
        // Reads the version on the first call; its failure surfaces from the call itself.
        let _ = self.server_version().await;
        let started = Instant::now();
        let mut pause = Duration::from_millis(100);
        loop {
            match f(self.client.clone()).await {
                Err(e) if is_transient(&e) && started.elapsed() < RETRY_FOR => {
                    tracing::warn!(call = what, error = %e, "Qdrant server unavailable; retrying");
                    tokio::time::sleep(pause).await;
                    pause = (pause * 2).min(Duration::from_secs(2));
                }
                other => return other,
            }
        }
    }

    async fn dimension(&self, name: &CollectionName) -> Result<Option<usize>, StoreError> {
        let n = name.as_str();
        if !self
            .call("collection_exists", |c| async move {
                c.collection_exists(n).await
            })
            .await
            .map_err(backend)?
        {
            return Ok(None);
        }
        let info = self
            .call(
                "collection_info",
                |c| async move { c.collection_info(n).await },
            )
            .await
            .map_err(backend)?;
        let size = info
            .result
            .and_then(|i| i.config)
            .and_then(|c| c.params)
            .and_then(|p| p.vectors_config)
            .and_then(|v| v.config)
            .and_then(|c| match c {
                Config::ParamsMap(m) => m.map.get(DENSE_VECTOR).map(|p| p.size),
                // A single unnamed vector is not cairn's layout; report it as dimension 0.
                Config::Params(_) => None,
            })
            .unwrap_or(0);
        Ok(Some(usize::try_from(size).unwrap_or(0)))
    }
}

#[async_trait]
impl VectorStore for ServerStore {
    fn backend(&self) -> &'static str {
        "qdrant-server"
    }

    async fn create_collection(
        &self,
        name: &CollectionName,
        dimension: usize,
    ) -> Result<(), StoreError> {
        if let Some(existing) = self.dimension(name).await? {
            return check_dimension(name, existing, dimension);
        }
        let mut dense = VectorsConfigBuilder::default();
        dense.add_named_vector_params(
            DENSE_VECTOR,
            VectorParamsBuilder::new(dimension as u64, Distance::Cosine),
        );
        let mut sparse = SparseVectorsConfigBuilder::default();
        sparse.add_named_vector_params(
            SPARSE_VECTOR,
            SparseVectorParamsBuilder::default().modifier(Modifier::Idf),
        );
        let create = CreateCollectionBuilder::new(name.as_str())
            .vectors_config(dense)
            .sparse_vectors_config(sparse)
            .build();
        self.call("create_collection", |c| {
            let create = create.clone();
            async move { c.create_collection(create).await }
        })
        .await
        .map_err(backend)?;
        let index =
            CreateFieldIndexCollectionBuilder::new(name.as_str(), SOURCE_FIELD, FieldType::Keyword)
                .wait(true)
                .build();
        self.call("create_field_index", |c| {
            let index = index.clone();
            async move { c.create_field_index(index).await }
        })
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn collection(
        &self,
        name: &CollectionName,
    ) -> Result<Option<CollectionInfo>, StoreError> {
        let Some(dimension) = self.dimension(name).await? else {
            return Ok(None);
        };
        let points = self.count(name, &SourceFilter::default()).await?;
        Ok(Some(CollectionInfo {
            name: name.to_string(),
            dimension,
            points,
        }))
    }

    async fn list_collections(&self) -> Result<Vec<CollectionInfo>, StoreError> {
        let listed = self
            .call(
                "list_collections",
                |c| async move { c.list_collections().await },
            )
            .await
            .map_err(backend)?;
        let mut names: Vec<CollectionName> = listed
            .collections
            .iter()
            .filter_map(|c| CollectionName::parse(&c.name).ok())
            .collect();
        names.sort();
        let mut infos = Vec::new();
        for name in names {
            infos.extend(self.collection(&name).await?);
        }
        Ok(infos)
    }

    async fn delete_collection(&self, name: &CollectionName) -> Result<bool, StoreError> {
        let n = name.as_str();
        if !self
            .call("collection_exists", |c| async move {
                c.collection_exists(n).await
            })
            .await
            .map_err(backend)?
        {
            return Ok(false);
        }
        self.call("delete_collection", |c| async move {
            c.delete_collection(n).await
        })
        .await
        .map_err(backend)?;
        Ok(true)
    }

    async fn upsert(
        &self,
        name: &CollectionName,
        chunks: Vec<EmbeddedChunk>,
    ) -> Result<(), StoreError> {
        let points = chunks
            .into_iter()
            .map(|c| {
                let payload = Payload::try_from(payload_to_json(&c.payload)).map_err(backend)?;
                let vectors = HashMap::from([
                    (DENSE_VECTOR.to_string(), Vector::new_dense(c.vector)),
                    (
                        SPARSE_VECTOR.to_string(),
                        Vector::new_sparse(c.sparse.indices, c.sparse.values),
                    ),
                ]);
                Ok(PointStruct::new(c.id.to_string(), vectors, payload))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let upsert = UpsertPointsBuilder::new(name.as_str(), points)
            .wait(true)
            .build();
        self.call("upsert_points", |c| {
            let upsert = upsert.clone();
            async move { c.upsert_points(upsert).await }
        })
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn delete_sources(
        &self,
        name: &CollectionName,
        sources: &[String],
    ) -> Result<(), StoreError> {
        if sources.is_empty() {
            return Ok(());
        }
        let delete = DeletePointsBuilder::new(name.as_str())
            .points(source_filter(sources))
            .wait(true)
            .build();
        self.call("delete_points", |c| {
            let delete = delete.clone();
            async move { c.delete_points(delete).await }
        })
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn search(
        &self,
        name: &CollectionName,
        query: &QueryVector,
        limit: usize,
        filter: &SourceFilter,
    ) -> Result<Vec<ScoredChunk>, StoreError> {
        let (input, using) = match query {
            QueryVector::Dense(v) => (VectorInput::new_dense(v.clone()), DENSE_VECTOR),
            QueryVector::Sparse(v) => (
                VectorInput::new_sparse(v.indices.clone(), v.values.clone()),
                SPARSE_VECTOR,
            ),
        };
        let mut request = QueryPointsBuilder::new(name.as_str())
            .query(Query::new_nearest(input))
            .using(using)
            .limit(limit as u64)
            .with_payload(true);
        if !filter.sources.is_empty() {
            request = request.filter(source_filter(&filter.sources));
        }
        let request = request.build();
        let response = self
            .call("query", |c| {
                let request = request.clone();
                async move { c.query(request).await }
            })
            .await
            .map_err(not_found(name))?;
        response
            .result
            .into_iter()
            .map(|p| {
                let payload = Payload::from(p.payload);
                Ok(ScoredChunk {
                    id: uuid_of(p.id)?,
                    score: p.score,
                    payload: payload_from_json(payload.into())?,
                })
            })
            .collect()
    }

    async fn get(
        &self,
        name: &CollectionName,
        ids: &[uuid::Uuid],
    ) -> Result<Vec<ScoredChunk>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let points: Vec<PointId> = ids.iter().map(|u| u.to_string().into()).collect();
        let request = GetPointsBuilder::new(name.as_str(), points)
            .with_payload(true)
            .build();
        let response = self
            .call("get_points", |c| {
                let request = request.clone();
                async move { c.get_points(request).await }
            })
            .await
            .map_err(not_found(name))?;
        let found = response
            .result
            .into_iter()
            .map(|p| Ok((uuid_of(p.id)?, Payload::from(p.payload).into())))
            .collect::<Result<Vec<_>, StoreError>>()?;
        in_order(ids, found)
    }

    async fn count(
        &self,
        name: &CollectionName,
        filter: &SourceFilter,
    ) -> Result<usize, StoreError> {
        let mut request = CountPointsBuilder::new(name.as_str()).exact(true);
        if !filter.sources.is_empty() {
            request = request.filter(source_filter(&filter.sources));
        }
        let request = request.build();
        let response = self
            .call("count", |c| {
                let request = request.clone();
                async move { c.count(request).await }
            })
            .await
            .map_err(not_found(name))?;
        Ok(response.result.map_or(0, |r| r.count as usize))
    }

    async fn inventory(&self, name: &CollectionName) -> Result<Vec<StoredChunk>, StoreError> {
        if self.dimension(name).await?.is_none() {
            return Ok(Vec::new());
        }
        let fields: Vec<String> = INVENTORY_FIELDS.iter().map(|f| f.to_string()).collect();
        let mut out = Vec::new();
        let mut offset: Option<PointId> = None;
        loop {
            let mut request = ScrollPointsBuilder::new(name.as_str())
                .limit(1000)
                .with_payload(PayloadIncludeSelector::from(fields.clone()));
            if let Some(o) = offset.take() {
                request = request.offset(o);
            }
            let request = request.build();
            let response = self
                .call("scroll", |c| {
                    let request = request.clone();
                    async move { c.scroll(request).await }
                })
                .await
                .map_err(backend)?;
            for p in response.result {
                let payload: serde_json::Map<String, serde_json::Value> =
                    Payload::from(p.payload).into();
                out.push(stored_chunk(uuid_of(p.id)?, &payload)?);
            }
            match response.next_page_offset {
                Some(next) => offset = Some(next),
                None => return Ok(out),
            }
        }
    }

    async fn flush(&self, _name: &CollectionName) -> Result<(), StoreError> {
        // Every write already waited for the server (`wait: true`).
        Ok(())
    }
}

fn source_filter(sources: &[String]) -> Filter {
    Filter::must([Condition::matches(SOURCE_FIELD, sources.to_vec())])
}

fn uuid_of(id: Option<PointId>) -> Result<uuid::Uuid, StoreError> {
    match id.and_then(|i| i.point_id_options) {
        Some(PointIdOptions::Uuid(u)) => {
            uuid::Uuid::parse_str(&u).map_err(|e| StoreError::Payload(e.to_string()))
        }
        other => Err(StoreError::Payload(format!(
            "point id {other:?} is not a cairn chunk id"
        ))),
    }
}

/// A failure worth retrying: the server is unreachable, restarting, or shedding load.
fn is_transient(e: &QdrantError) -> bool {
    use tonic::Code;
    match e {
        QdrantError::ResponseError { status } => match status.code() {
            Code::Unavailable | Code::Cancelled | Code::Unknown | Code::DeadlineExceeded => true,
            // qdrant-client reports a refused connection as Internal "Failed to connect …";
            // other internal errors come from the server itself and are not retried.
            Code::Internal => {
                let m = status.message();
                m.contains("Failed to connect") || m.contains("transport error")
            }
            _ => false,
        },
        QdrantError::ResourceExhaustedError { .. } => true,
        _ => false,
    }
}

/// Whether cairn's tests have run against this server version (major.minor).
fn is_tested_version(version: &str) -> bool {
    let minor: String = version.split('.').take(2).collect::<Vec<_>>().join(".");
    TESTED_SERVER_VERSIONS.contains(&minor.as_str())
}

fn backend(e: QdrantError) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// A missing collection is the caller's mistake, not a server fault.
fn not_found(name: &CollectionName) -> impl Fn(QdrantError) -> StoreError + '_ {
    move |e| {
        if e.to_string().contains("doesn't exist") || e.to_string().contains("Not found") {
            StoreError::NotFound(name.to_string())
        } else {
            backend(e)
        }
    }
}
