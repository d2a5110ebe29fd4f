//! Part vectors: ingest stores a vector for each quotable part of a chunk, pooled from the
//! chunk's own token states, with the real model. Each must stand for its own part: closer to
//! that part embedded alone than to the chunk's other parts (a span off by the title prefix
//! or a line break would point it at a neighbour).
// Panicking on a broken fixture is what a test should do.
#![allow(clippy::unwrap_used)]

mod common;

use cairn_ingest::embed::cosine;
use cairn_ingest::parts;

#[tokio::test]
async fn every_part_vector_stands_for_its_own_part() {
    let data = tempfile::tempdir().unwrap();
    let ingestor = common::ingestor(data.path());
    common::ingest(&ingestor, &[&common::corpus()], "parts", false).await;
    let name = common::collection("parts");
    let ids: Vec<_> = ingestor
        .store
        .inventory(&name)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.id)
        .collect();
    let chunks = ingestor.store.get(&name, &ids).await.unwrap();
    let dimension = ingestor.embedder.dimension();

    let (mut with_parts, mut compared, mut own_best) = (0, 0, 0);
    for chunk in &chunks {
        let texts = parts::texts(&chunk.payload.text);
        let Some(stored) = &chunk.payload.parts else {
            assert!(texts.is_empty(), "{} has parts but no vectors", chunk.id);
            continue;
        };
        let pooled = stored
            .decode(&texts, dimension)
            .expect("vectors for these parts");
        with_parts += 1;
        if texts.len() < 3 {
            continue;
        }
        let alone = ingestor.embedder.embed(&texts).unwrap();
        for (i, own) in alone.iter().enumerate() {
            let Some(best) = (0..texts.len())
                .filter(|&j| pooled[j].is_some())
                .max_by(|&a, &b| {
                    let sim = |j: usize| cosine(own, pooled[j].as_ref().unwrap());
                    sim(a).total_cmp(&sim(b))
                })
            else {
                continue;
            };
            compared += 1;
            own_best += usize::from(best == i);
        }
    }
    assert!(
        with_parts * 10 >= chunks.len() * 9,
        "only {with_parts} of {} chunks have part vectors",
        chunks.len()
    );
    assert!(compared >= 200, "only {compared} parts compared");
    let share = own_best as f64 / compared as f64;
    assert!(
        share >= 0.85,
        "a part's vector was its own part's best match {share:.3} of the time"
    );
    eprintln!("{own_best}/{compared} part vectors closest to their own part ({share:.3})");
}
