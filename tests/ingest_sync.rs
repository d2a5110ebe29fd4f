//! Ingest sync semantics with the real model and the real embedded Qdrant.
// Panicking on a broken fixture is what a test should do.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use cairn_ingest::pipeline::IngestRequest;
use cairn_ingest::store::SourceFilter;

#[tokio::test]
async fn unchanged_reingest_embeds_nothing_and_a_changed_file_replaces_its_chunks() {
    let common::Scratch {
        data: _data,
        docs,
        ingestor,
    } = common::scratch_copy_of(&common::corpus());

    let first = common::ingest(&ingestor, &[docs.path()], "c", false).await;
    assert_eq!(first.plan.added.len(), 14);
    assert!(first.chunks > 50);
    assert!(first.skipped.is_empty(), "{:?}", first.skipped);
    let before = common::snapshot(ingestor.store.as_ref(), "c").await;
    assert_eq!(before.len(), first.chunks);

    let again = common::ingest(&ingestor, &[docs.path()], "c", false).await;
    assert_eq!(again.chunks, 0, "an unchanged corpus must embed nothing");
    assert_eq!(again.plan.unchanged.len(), 14);
    assert_eq!(common::snapshot(ingestor.store.as_ref(), "c").await, before);

    // Rewrite one file: its chunks are replaced, everything else is untouched.
    let edited = docs.path().join("guides/keyboard-shortcuts.md");
    std::fs::write(
        &edited,
        "# Shortcuts\n\nPress Ctrl+Shift+Q to summon the quokka.\n",
    )
    .unwrap();
    let third = common::ingest(&ingestor, &[docs.path()], "c", false).await;
    assert_eq!(third.plan.changed, ["guides/keyboard-shortcuts.md"]);
    assert_eq!(third.chunks, 1);
    let after = common::snapshot(ingestor.store.as_ref(), "c").await;
    let source =
        |s: &Vec<(String, String, String)>, name: &str| s.iter().filter(|c| c.1 == name).count();
    assert_eq!(source(&after, "guides/keyboard-shortcuts.md"), 1);
    let untouched = |s: &Vec<(String, String, String)>| {
        s.iter()
            .filter(|c| c.1 != "guides/keyboard-shortcuts.md")
            .cloned()
            .collect::<Vec<_>>()
    };
    assert_eq!(untouched(&after), untouched(&before));
    let filter = SourceFilter {
        sources: vec!["guides/keyboard-shortcuts.md".into()],
    };
    let hits = search(&ingestor, "c", "quokka", &filter).await;
    assert!(hits[0].contains("quokka"));
}

#[tokio::test]
async fn prune_removes_chunks_of_deleted_files_and_dry_run_changes_nothing() {
    let common::Scratch {
        data: _data,
        docs,
        ingestor,
    } = common::scratch_copy_of(&common::corpus());
    common::ingest(&ingestor, &[docs.path()], "p", false).await;
    std::fs::remove_file(docs.path().join("notes/known-issues.txt")).unwrap();
    std::fs::write(
        docs.path().join("new.md"),
        "# New\n\nA brand new page about otters.\n",
    )
    .unwrap();

    let dry = ingestor
        .run(&IngestRequest {
            paths: vec![docs.path().to_path_buf()],
            collection: common::collection("p"),
            prune: true,
            dry_run: true,
            progress: false,
            watch: None,
            release_model: false,
        })
        .await
        .unwrap();
    assert_eq!(dry.plan.added, ["new.md"]);
    assert_eq!(dry.plan.removed, ["notes/known-issues.txt"]);
    assert_eq!(dry.chunks, 0);
    let has = |snap: &[(String, String, String)], s: &str| snap.iter().any(|c| c.1 == s);
    let snap = common::snapshot(ingestor.store.as_ref(), "p").await;
    assert!(
        has(&snap, "notes/known-issues.txt") && !has(&snap, "new.md"),
        "dry run changed the store"
    );

    let kept = common::ingest(&ingestor, &[docs.path()], "p", false).await;
    assert_eq!(kept.pruned, 0);
    // The summary says what was done: nothing removed, one stored file kept.
    assert!(kept.plan.removed.is_empty(), "{:?}", kept.plan);
    assert_eq!(kept.not_in_run, 1);
    assert!(has(
        &common::snapshot(ingestor.store.as_ref(), "p").await,
        "notes/known-issues.txt"
    ));

    let pruned = common::ingest(&ingestor, &[docs.path()], "p", true).await;
    assert_eq!(pruned.pruned, 1);
    let snap = common::snapshot(ingestor.store.as_ref(), "p").await;
    assert!(!has(&snap, "notes/known-issues.txt"));
    assert!(has(&snap, "new.md"));
}

#[tokio::test]
async fn bad_files_are_reported_and_skipped_and_a_bad_edit_keeps_old_chunks() {
    let common::Scratch {
        data: _data,
        docs,
        ingestor,
    } = common::scratch_copy_of(&common::fixtures());
    std::fs::write(
        docs.path().join("good.md"),
        "# Good\n\nThis page is fine.\n",
    )
    .unwrap();
    let summary = common::ingest(&ingestor, &[docs.path()], "b", false).await;
    let reason = |s: &str| {
        summary
            .skipped
            .iter()
            .find(|k| k.source == s)
            .map(|k| k.reason.clone())
            .unwrap_or_default()
    };
    assert!(
        reason("latin1.txt").contains("UTF-8"),
        "{:?}",
        summary.skipped
    );
    assert!(reason("broken.pdf").contains("PDF"));
    assert!(reason("faq-bad.csv").contains("question"));
    assert!(reason("image.png").contains("unsupported"));
    assert!(reason("make_pdf.py").contains("unsupported"));
    assert!(reason("empty.md").contains("no text"));
    let sources: Vec<String> = common::snapshot(ingestor.store.as_ref(), "b")
        .await
        .into_iter()
        .map(|c| c.1)
        .collect();
    assert!(
        sources.contains(&"good.md".to_string()) && sources.contains(&"sample.pdf".to_string())
    );

    // The good page turns into invalid UTF-8: reported, and its stored chunks stay.
    std::fs::write(docs.path().join("good.md"), b"# Good\n\ncaf\xe9\n").unwrap();
    let summary = common::ingest(&ingestor, &[docs.path()], "b", false).await;
    assert!(summary.skipped.iter().any(|k| k.source == "good.md"));
    let sources: Vec<String> = common::snapshot(ingestor.store.as_ref(), "b")
        .await
        .into_iter()
        .map(|c| c.1)
        .collect();
    assert!(
        sources.contains(&"good.md".to_string()),
        "a bad edit lost stored chunks"
    );

    // Emptied (a failed save, say): reported, and the stored document is not replaced.
    std::fs::write(docs.path().join("good.md"), b"").unwrap();
    let summary = common::ingest(&ingestor, &[docs.path()], "b", false).await;
    assert!(summary
        .skipped
        .iter()
        .any(|k| k.source == "good.md" && k.reason.contains("not stored")));
    let snap = common::snapshot(ingestor.store.as_ref(), "b").await;
    assert!(
        snap.iter().any(|c| c.1 == "good.md"),
        "an empty file replaced the stored document"
    );
}

#[tokio::test]
async fn a_missing_path_is_a_clear_error() {
    let data = tempfile::tempdir().unwrap();
    let ingestor = common::ingestor(data.path());
    let err = ingestor
        .run(&IngestRequest {
            paths: vec![Path::new("/no/such/dir").to_path_buf()],
            collection: common::collection("m"),
            prune: false,
            dry_run: false,
            progress: false,
            watch: None,
            release_model: false,
        })
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("/no/such/dir does not exist"),
        "{err}"
    );
}

async fn search(
    ingestor: &cairn_ingest::pipeline::Ingestor,
    name: &str,
    query: &str,
    filter: &SourceFilter,
) -> Vec<String> {
    let options = cairn::retrieve::SearchOptions {
        top_k: 5,
        filter: filter.clone(),
        mode: cairn::retrieve::Mode::Hybrid,
        per_source: 0,
        rerank: false,
    };
    common::retriever(ingestor)
        .search(&common::collection(name), query, &options)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.chunk.payload.text)
        .collect()
}

#[tokio::test]
async fn a_200_mb_single_line_is_skipped_by_its_size_and_the_run_goes_on() {
    use std::io::Write;
    let data = tempfile::tempdir().unwrap();
    let docs = tempfile::tempdir().unwrap();
    let mut big = std::fs::File::create(docs.path().join("line.txt")).unwrap();
    let block = vec![b'a'; 1024 * 1024];
    for _ in 0..200 {
        big.write_all(&block).unwrap();
    }
    drop(big);
    std::fs::write(docs.path().join("ok.md"), "# Ok\n\nA small page.\n").unwrap();
    let ingestor = common::ingestor(data.path());
    let summary = common::ingest(&ingestor, &[docs.path()], "big", false).await;
    let skipped: Vec<_> = summary
        .skipped
        .iter()
        .map(|s| (&s.source[..], &s.reason[..]))
        .collect();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0].0, "line.txt");
    assert!(skipped[0].1.contains("larger than 64 MiB"), "{skipped:?}");
    assert!(summary.chunks > 0, "the small page was ingested");
}
