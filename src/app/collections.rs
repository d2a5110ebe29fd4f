//! Collections, search and document upload.

use std::path::PathBuf;
use std::sync::Arc;

use cairn_ingest::domain::CollectionName;
use cairn_ingest::pipeline::{IngestRequest, Summary};
use cairn_ingest::progress::Watch;
use cairn_ingest::store::CollectionInfo;

use super::{AppError, Cairn};
use crate::retrieve::{Hit, SearchOptions};

/// A stored passage in full, for showing a citation's source.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Passage {
    pub chunk_id: String,
    pub source: String,
    pub title: String,
    /// The headings above the passage, outermost first.
    pub heading: Vec<String>,
    pub text: String,
}

impl Cairn {
    /// One passage of a collection by its chunk id (as in citations and search hits).
    pub async fn passage(
        &self,
        collection: &CollectionName,
        chunk_id: &str,
    ) -> Result<Passage, AppError> {
        let not_found = || AppError::ChunkNotFound {
            collection: collection.to_string(),
            chunk: chunk_id.to_owned(),
        };
        let id = uuid::Uuid::parse_str(chunk_id).map_err(|_| not_found())?;
        self.collection(collection).await?;
        let chunk = self
            .store
            .get(collection, &[id])
            .await?
            .into_iter()
            .next()
            .ok_or_else(not_found)?;
        let p = chunk.payload;
        Ok(Passage {
            chunk_id: chunk.id.to_string(),
            source: p.source,
            title: p.title,
            heading: p.heading,
            text: p.text,
        })
    }

    pub async fn collections(&self) -> Result<Vec<CollectionInfo>, AppError> {
        Ok(self.store.list_collections().await?)
    }

    pub async fn collection(&self, name: &CollectionName) -> Result<CollectionInfo, AppError> {
        self.store
            .collection(name)
            .await?
            .ok_or_else(|| AppError::CollectionNotFound(name.to_string()))
    }

    /// Creates the collection with the embedder's dimension; false when it already existed.
    pub async fn create_collection(
        &self,
        name: &CollectionName,
    ) -> Result<(bool, CollectionInfo), AppError> {
        let _writer = self.writers.write(name).await;
        let existed = self.store.collection(name).await?.is_some();
        let dimension = self.retriever.embedder.dimension();
        self.store.create_collection(name, dimension).await?;
        let info =
            self.store.collection(name).await?.ok_or_else(|| {
                AppError::Internal("the collection vanished after creation".into())
            })?;
        Ok((!existed, info))
    }

    pub async fn delete_collection(&self, name: &CollectionName) -> Result<(), AppError> {
        let _writer = self.writers.write(name).await;
        if self.store.delete_collection(name).await? {
            Ok(())
        } else {
            Err(AppError::CollectionNotFound(name.to_string()))
        }
    }

    pub async fn search(
        &self,
        name: &CollectionName,
        query: &str,
        options: &SearchOptions,
    ) -> Result<Vec<Hit>, AppError> {
        Ok(self.retriever.search(name, query, options).await?)
    }

    /// Ingests the files of `dir` (an upload's temporary directory) into `collection`.
    pub async fn ingest_dir(
        &self,
        collection: CollectionName,
        dir: PathBuf,
        watch: Option<Arc<Watch>>,
    ) -> Result<Summary, AppError> {
        let _writer = self.writers.write(&collection).await;
        let request = IngestRequest {
            paths: vec![dir],
            collection,
            prune: false,
            dry_run: false,
            progress: false,
            watch,
            // The server keeps answering with the model.
            release_model: false,
        };
        Ok(self.ingestor.run(&request).await?)
    }
}
