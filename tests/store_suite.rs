//! One suite for every VectorStore: the embedded store always, and a real Qdrant server
//! (`CAIRN_QDRANT_BIN`) when one is there, with its restart and API-key cases.
// Panicking on a broken fixture is what a test should do.
#![allow(clippy::unwrap_used)]

mod common;

use common::qdrant::QdrantServer;

use std::sync::Arc;

use cairn_ingest::domain::{
    ChunkPayload, CollectionName, EmbeddedChunk, QueryVector, SparseVector,
};
use cairn_ingest::store::{EdgeStore, ServerStore, SourceFilter, StoreError, VectorStore};

fn chunk(source: &str, index: u32, vector: Vec<f32>, terms: &[u32]) -> EmbeddedChunk {
    let id = cairn_ingest::sync::chunk_id(source, "h", index);
    EmbeddedChunk {
        id,
        vector,
        sparse: SparseVector {
            indices: terms.to_vec(),
            values: vec![1.0; terms.len()],
        },
        payload: ChunkPayload {
            text: format!("{source} #{index}"),
            document_id: cairn_ingest::sync::document_id(source).to_string(),
            source: source.into(),
            title: "T".into(),
            heading: vec!["A".into(), "B".into()],
            chunk_index: index,
            chunk_count: 2,
            content_hash: format!("c{index}"),
            doc_hash: "h".into(),
            ingested_at: "2026-11-29T00:00:00Z".into(),
            parts: None,
        },
    }
}

async fn suite(store: &dyn VectorStore, prefix: &str) {
    let name = common::collection(&format!("{prefix}suite"));
    store.delete_collection(&name).await.unwrap();
    assert!(store.collection(&name).await.unwrap().is_none());
    store.create_collection(&name, 4).await.unwrap();
    store.create_collection(&name, 4).await.unwrap(); // idempotent
    let err = store.create_collection(&name, 8).await.unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::DimensionMismatch {
                existing: 4,
                expected: 8,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("collections delete"), "{err}");

    store
        .upsert(
            &name,
            vec![
                chunk("a.md", 0, vec![1.0, 0.0, 0.0, 0.0], &[1, 2]),
                chunk("a.md", 1, vec![0.9, 0.1, 0.0, 0.0], &[2]),
                chunk("b.md", 0, vec![0.0, 1.0, 0.0, 0.0], &[3]),
            ],
        )
        .await
        .unwrap();
    let all = SourceFilter::default();
    assert_eq!(store.count(&name, &all).await.unwrap(), 3);
    let only_b = SourceFilter {
        sources: vec!["b.md".into()],
    };
    assert_eq!(store.count(&name, &only_b).await.unwrap(), 1);

    let dense = QueryVector::Dense(vec![1.0, 0.0, 0.0, 0.0]);
    let hits = store.search(&name, &dense, 3, &all).await.unwrap();
    assert_eq!(hits.len(), 3);
    assert_eq!(
        hits[0].payload,
        chunk("a.md", 0, vec![], &[]).payload,
        "payload round-trips"
    );
    assert!(
        hits[0].score > 0.99 && hits[0].score >= hits[1].score && hits[1].score >= hits[2].score
    );
    let filtered = store.search(&name, &dense, 3, &only_b).await.unwrap();
    assert_eq!(filtered.len(), 1);
    assert_eq!(filtered[0].payload.source, "b.md");
    let keyword = QueryVector::Sparse(SparseVector {
        indices: vec![3],
        values: vec![1.0],
    });
    let hits = store.search(&name, &keyword, 3, &all).await.unwrap();
    assert_eq!(hits.len(), 1, "only b.md has term 3");
    assert_eq!(hits[0].payload.source, "b.md");

    // By id, in the order asked; an id that is not stored is left out.
    let id = |source: &str, index| cairn_ingest::sync::chunk_id(source, "h", index);
    let asked = [id("b.md", 0), id("a.md", 9), id("a.md", 1)];
    let got = store.get(&name, &asked).await.unwrap();
    let got: Vec<(&str, &str)> = got
        .iter()
        .map(|c| (c.payload.source.as_str(), c.payload.text.as_str()))
        .collect();
    assert_eq!(got, [("b.md", "b.md #0"), ("a.md", "a.md #1")]);
    assert!(store.get(&name, &[]).await.unwrap().is_empty());

    let mut inventory = store.inventory(&name).await.unwrap();
    inventory.sort_by_key(|c| (c.source.clone(), c.content_hash.clone()));
    assert_eq!(inventory.len(), 3);
    assert_eq!(
        (inventory[0].source.as_str(), inventory[0].chunk_count),
        ("a.md", 2)
    );
    assert_eq!(inventory[1].content_hash, "c1");

    store
        .delete_sources(&name, &["a.md".to_string()])
        .await
        .unwrap();
    assert_eq!(store.count(&name, &all).await.unwrap(), 1);
    store.flush(&name).await.unwrap();

    let listed = store.list_collections().await.unwrap();
    let info = listed
        .iter()
        .find(|c| c.name == name.as_str())
        .expect("listed");
    assert_eq!((info.dimension, info.points), (4, 1));
    assert!(store.delete_collection(&name).await.unwrap());
    assert!(!store.delete_collection(&name).await.unwrap());
    let missing = store.search(&name, &dense, 3, &all).await.unwrap_err();
    assert!(matches!(missing, StoreError::NotFound(_)), "{missing}");
}

/// A new collection holding one point (a.md, chunk 0), for the restart tests.
async fn seed(store: &dyn VectorStore, name: &str) -> CollectionName {
    let name = common::collection(name);
    store.create_collection(&name, 4).await.unwrap();
    let point = chunk("a.md", 0, vec![1.0, 0.0, 0.0, 0.0], &[1]);
    store.upsert(&name, vec![point]).await.unwrap();
    name
}

#[tokio::test]
async fn embedded_store_passes_the_suite_and_survives_a_restart() {
    let data = tempfile::tempdir().unwrap();
    let store = EdgeStore::new(data.path()).unwrap();
    suite(&store, "").await;

    let name = seed(&store, "kept").await;
    drop(store);
    let reopened = EdgeStore::new(data.path()).unwrap();
    assert_eq!(
        reopened
            .count(&name, &SourceFilter::default())
            .await
            .unwrap(),
        1
    );
    let info = reopened.collection(&name).await.unwrap().unwrap();
    assert_eq!(info.dimension, 4);
}

#[tokio::test]
#[ignore = "skipped: no Qdrant server (set CAIRN_QDRANT_BIN)"]
async fn qdrant_server_passes_the_suite() {
    let server = QdrantServer::start(None).await;
    let store = ServerStore::new(&server.url(), None).unwrap();
    suite(&store, "").await;
    assert!(store.server_version().await.unwrap().starts_with("1."));
}

#[tokio::test]
#[ignore = "skipped: no Qdrant server (set CAIRN_QDRANT_BIN)"]
async fn qdrant_server_upsert_during_a_restart_completes_without_restarting_cairn() {
    let mut server = QdrantServer::start(None).await;
    let store = Arc::new(ServerStore::new(&server.url(), None).unwrap());
    let name = seed(store.as_ref(), "restart").await;

    server.kill();
    let writer = store.clone();
    let n = name.clone();
    let pending = tokio::spawn(async move {
        let late = chunk("b.md", 0, vec![0.0, 1.0, 0.0, 0.0], &[2]);
        writer.upsert(&n, vec![late]).await
    });
    // The upsert meets a dead server and keeps retrying while it is down.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    if pending.is_finished() {
        panic!(
            "the upsert gave up while the server was down: {:?}",
            pending.await
        );
    }
    server.spawn().await;
    pending.await.unwrap().unwrap();

    let all = SourceFilter::default();
    assert_eq!(store.count(&name, &all).await.unwrap(), 2);
    let dense = QueryVector::Dense(vec![0.0, 1.0, 0.0, 0.0]);
    let hits = store.search(&name, &dense, 1, &all).await.unwrap();
    assert_eq!(hits[0].payload.source, "b.md");
}

#[tokio::test]
#[ignore = "skipped: no Qdrant server (set CAIRN_QDRANT_BIN)"]
async fn qdrant_server_with_an_api_key_takes_only_that_key() {
    let key = "test-qdrant-key-0123456789";
    let server = QdrantServer::start(Some(key)).await;
    let store = ServerStore::new(&server.url(), Some(key.into())).unwrap();
    suite(&store, "keyed_").await;

    for wrong in [None, Some("not-the-key-0123456789".to_string())] {
        let store = ServerStore::new(&server.url(), wrong.clone()).unwrap();
        let started = std::time::Instant::now();
        let err = store.list_collections().await.unwrap_err();
        assert!(
            err.to_string().to_lowercase().contains("api key")
                || err.to_string().contains("Unauthenticated")
                || err.to_string().contains("PermissionDenied"),
            "{wrong:?}: {err}"
        );
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "a refused key is not retried"
        );
    }
}
