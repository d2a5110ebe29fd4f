//! `cairn search --collection NAME [--top-k K] [--json] QUERY`

use cairn_ingest::domain::{CollectionName, ScoredChunk};
use cairn_ingest::store::{SourceFilter, StoreError};
use serde::Serialize;

use crate::config::Settings;
use crate::services;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Collection to search
    #[arg(long, short)]
    collection: CollectionName,
    /// Number of results (1 to 100)
    #[arg(long, short = 'k', default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=100))]
    top_k: u16,
    /// Only search these sources (repeatable)
    #[arg(long = "source", value_name = "SOURCE")]
    sources: Vec<String>,
    /// Print `{"results":[{source, heading, score, text, chunk_id}]}` on stdout
    #[arg(long)]
    json: bool,
    /// What to look for
    #[arg(required = true, value_name = "QUERY")]
    query: Vec<String>,
}

/// One result of `--json` output; the field names are a stable contract.
#[derive(Serialize)]
struct Hit {
    source: String,
    heading: String,
    score: f32,
    text: String,
    chunk_id: String,
}

pub async fn run(settings: &Settings, args: Args) -> anyhow::Result<()> {
    let store = services::vector_store(settings)?;
    if store.collection(&args.collection).await?.is_none() {
        return Err(StoreError::NotFound(args.collection.to_string()).into());
    }
    let embedder = services::embedder(settings)?;
    let query = args.query.join(" ");
    let vector = tokio::task::spawn_blocking(move || embedder.embed(&[query]))
        .await??
        .pop()
        .unwrap_or_default();
    let filter = SourceFilter { sources: args.sources };
    let hits = store
        .search(&args.collection, vector, args.top_k.into(), &filter)
        .await?;
    if args.json {
        let results: Vec<Hit> = hits.into_iter().map(hit).collect();
        println!("{}", serde_json::json!({ "results": results }));
    } else {
        print!("{}", render(&hits));
    }
    Ok(())
}

fn hit(c: ScoredChunk) -> Hit {
    Hit {
        heading: c.payload.heading_text(),
        source: c.payload.source,
        score: c.score,
        text: c.payload.text,
        chunk_id: c.id.to_string(),
    }
}

fn render(hits: &[ScoredChunk]) -> String {
    if hits.is_empty() {
        return "no results\n".into();
    }
    let mut out = String::new();
    for (i, h) in hits.iter().enumerate() {
        let heading = h.payload.heading_text();
        let place = if heading.is_empty() { String::new() } else { format!(" > {heading}") };
        let snippet: String = h.payload.text.split_whitespace().collect::<Vec<_>>().join(" ");
        let snippet: String = snippet.chars().take(200).collect();
        out += &format!("{}. [{:.3}] {}{place}\n   {snippet}\n", i + 1, h.score, h.payload.source);
    }
    out
}
