//! Collections, search and document upload.

use std::path::PathBuf;

use cairn_ingest::domain::CollectionName;
use cairn_ingest::pipeline::{IngestRequest, Summary};
use cairn_ingest::store::CollectionInfo;

use super::{AppError, Cairn};
use crate::retrieve::{Hit, SearchOptions};

impl Cairn {
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
    ) -> Result<Summary, AppError> {
        let request = IngestRequest {
            paths: vec![dir],
            collection,
            prune: false,
            dry_run: false,
            progress: false,
        };
        Ok(self.ingestor.run(&request).await?)
    }
}
