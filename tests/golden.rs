//! The docs-sample golden set: every answerable question finds its expected source in the top 5.
// Panicking on a broken fixture is what a test should do.
#![allow(clippy::unwrap_used)]

mod common;

use cairn::retrieve::{Mode, SearchOptions};
use cairn_ingest::store::SourceFilter;
use serde::Deserialize;

#[derive(Deserialize)]
struct Golden {
    id: String,
    question: String,
    expected_sources: Vec<String>,
}

#[tokio::test]
async fn every_golden_question_finds_its_source_in_the_top_5() {
    let data = tempfile::tempdir().unwrap();
    let ingestor = common::ingestor(data.path());
    common::ingest(&ingestor, &[&common::corpus()], "golden", false).await;
    let text = std::fs::read_to_string(common::repo().join("docs-sample/golden.jsonl")).unwrap();
    let golden: Vec<Golden> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let retriever = common::retriever(&ingestor);
    // What `cairn search` does by default.
    let options = SearchOptions {
        top_k: 5,
        filter: SourceFilter::default(),
        mode: Mode::Dense,
        per_source: 3,
        rerank: true,
    };
    let (mut hit1, mut total, mut misses) = (0, 0, Vec::new());
    for g in golden.iter().filter(|g| !g.expected_sources.is_empty()) {
        let expected = g.expected_sources[0].as_str();
        let hits = retriever
            .search(&common::collection("golden"), &g.question, &options)
            .await
            .unwrap();
        let sources: Vec<&str> = hits
            .iter()
            .map(|h| h.chunk.payload.source.as_str())
            .collect();
        total += 1;
        hit1 += usize::from(sources.first() == Some(&expected));
        if !sources.contains(&expected) {
            misses.push(format!(
                "{} {:?}: expected {expected}, got {sources:?}",
                g.id, g.question
            ));
        }
    }
    println!(
        "hit@1 {hit1}/{total}, hit@5 {}/{total}",
        total - misses.len()
    );
    assert!(
        misses.is_empty(),
        "{} misses:\n{}",
        misses.len(),
        misses.join("\n")
    );
}
