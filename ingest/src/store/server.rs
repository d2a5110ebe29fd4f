//! A Qdrant server or cluster over gRPC (qdrant-client): the scale-out path, chosen when
//! `QDRANT_URL` is set. Writes wait for the server's acknowledgement.

use std::collections::HashMap;

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

pub struct ServerStore {
    client: Qdrant,
}

impl ServerStore {
    /// Connects lazily: the first call reaches the server.
    pub fn new(url: &str, api_key: Option<String>) -> Result<Self, StoreError> {
        let client = Qdrant::from_url(url)
            .api_key(api_key)
            .build()
            .map_err(|e| StoreError::Backend(format!("bad QDRANT_URL {url:?}: {e}")))?;
        Ok(Self { client })
    }

    async fn dimension(&self, name: &CollectionName) -> Result<Option<usize>, StoreError> {
        if !self
            .client
            .collection_exists(name.as_str())
            .await
            .map_err(backend)?
        {
            return Ok(None);
        }
        let info = self
            .client
            .collection_info(name.as_str())
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
            .sparse_vectors_config(sparse);
        self.client
            .create_collection(create)
            .await
            .map_err(backend)?;
        self.client
            .create_field_index(
                CreateFieldIndexCollectionBuilder::new(
                    name.as_str(),
                    SOURCE_FIELD,
                    FieldType::Keyword,
                )
                .wait(true),
            )
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
        let listed = self.client.list_collections().await.map_err(backend)?;
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
        if !self
            .client
            .collection_exists(name.as_str())
            .await
            .map_err(backend)?
        {
            return Ok(false);
        }
        self.client
            .delete_collection(name.as_str())
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
        self.client
            .upsert_points(UpsertPointsBuilder::new(name.as_str(), points).wait(true))
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
        self.client
            .delete_points(
                DeletePointsBuilder::new(name.as_str())
                    .points(source_filter(sources))
                    .wait(true),
            )
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
        let response = self.client.query(request).await.map_err(not_found(name))?;
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
        let request = GetPointsBuilder::new(name.as_str(), points).with_payload(true);
        let response = self
            .client
            .get_points(request)
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
        let response = self.client.count(request).await.map_err(not_found(name))?;
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
            let response = self.client.scroll(request).await.map_err(backend)?;
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
