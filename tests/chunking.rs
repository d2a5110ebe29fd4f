//! The chunker with the model's real tokenizer: headings kept, token limits respected.
// Panicking on a broken fixture is what a test should do.
#![allow(clippy::unwrap_used)]

mod common;

use cairn_ingest::chunk::{ChunkSettings, Chunker};
use cairn_ingest::load::load;

fn chunker(max_tokens: usize, overlap_tokens: usize) -> Chunker {
    let settings = common::settings(&std::env::temp_dir());
    let tokenizer = settings
        .model_files()
        .tokenizer()
        .expect("tokenizer: run scripts/fetch-models.sh");
    Chunker::new(
        tokenizer,
        ChunkSettings {
            max_tokens,
            overlap_tokens,
        },
    )
    .expect("chunker")
}

#[test]
fn every_chunk_fits_the_token_limit_and_keeps_its_headings() {
    for max in [64, 200] {
        let chunker = chunker(max, max / 8);
        for file in [
            "guides/sync.md",
            "reference/rest-api.html",
            "admin/sso.rst",
            "notes/known-issues.txt",
        ] {
            let path = common::corpus().join(file);
            let doc = load(file, &path, &std::fs::read(&path).unwrap()).expect("load");
            let pieces = chunker.split(&doc);
            assert!(
                pieces.len() >= doc.sections.len(),
                "{file}: fewer pieces than sections"
            );
            for p in &pieces {
                let tokens = chunker.count_tokens(&p.text);
                assert!(
                    tokens <= max,
                    "{file}: a chunk of {tokens} tokens exceeds {max}"
                );
                assert!(!p.text.trim().is_empty());
            }
            if file != "notes/known-issues.txt" {
                assert!(
                    pieces.iter().any(|p| p.heading.len() >= 2),
                    "{file}: no nested heading kept"
                );
            }
        }
    }
}

#[test]
fn smaller_limits_give_more_chunks_and_overlap_repeats_text() {
    let path = common::corpus().join("guides/sync.md");
    let doc = load("guides/sync.md", &path, &std::fs::read(&path).unwrap()).unwrap();
    let small = chunker(48, 0).split(&doc);
    let large = chunker(200, 0).split(&doc);
    assert!(small.len() > large.len());
    let overlapping = chunker(48, 16).split(&doc);
    let words = |ps: &[cairn_ingest::chunk::Piece]| {
        ps.iter()
            .map(|p| p.text.split_whitespace().count())
            .sum::<usize>()
    };
    assert!(
        words(&overlapping) > words(&small),
        "overlap should repeat some text"
    );
}

#[test]
fn bad_chunk_settings_are_refused() {
    let settings = common::settings(&std::env::temp_dir());
    let tokenizer = settings.model_files().tokenizer().unwrap();
    let err = Chunker::new(
        tokenizer,
        ChunkSettings {
            max_tokens: 100,
            overlap_tokens: 100,
        },
    );
    assert!(err.is_err());
}
