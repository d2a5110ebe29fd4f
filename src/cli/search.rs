//! `cairn search --collection NAME [--top-k K] [--json] QUERY`

use cairn_ingest::domain::CollectionName;
use cairn_ingest::store::{SourceFilter, StoreError};
use serde::{Deserialize, Serialize};

use super::remote::{read_access, ReadAccess};
use crate::config::Settings;
use crate::retrieve::{Hit as Retrieved, Mode, SearchOptions};
use crate::services;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Collection to search
    #[arg(long, short)]
    collection: CollectionName,
    /// Number of results (1 to 100)
    #[arg(long, short = 'k', default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=100))]
    top_k: u16,
    /// dense (meaning), keyword (BM25) or hybrid (both, rank-fused)
    #[arg(long, value_enum, default_value_t = Mode::Dense)]
    mode: Mode,
    /// At most this many results from one source (0: no limit)
    #[arg(long, default_value_t = 3)]
    per_source: usize,
    /// Rank by similarity only, without reranking by coverage of the query's terms
    #[arg(long)]
    no_rerank: bool,
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

/// One result of `--json` output; the field names are a stable contract (and a subset of
/// `/search`'s, so a running server's results read into it).
#[derive(Serialize, Deserialize)]
struct Hit {
    source: String,
    heading: String,
    score: f32,
    text: String,
    chunk_id: String,
}

#[derive(Deserialize)]
struct Results {
    results: Vec<Hit>,
}

pub async fn run(settings: &Settings, args: Args) -> anyhow::Result<()> {
    let hits = match read_access(settings)? {
        ReadAccess::Local(_lock) => search_here(settings, &args).await?,
        ReadAccess::Remote(server) => {
            let body = serde_json::json!({
                "query": args.query.join(" "),
                "top_k": args.top_k,
                "mode": args.mode,
                "per_source": args.per_source,
                "rerank": !args.no_rerank,
                "filter": { "sources": args.sources },
            });
            let path = format!("/v1/collections/{}/search", args.collection);
            server.post::<Results>(&path, &body).await?.results
        }
    };
    if args.json {
        println!("{}", serde_json::json!({ "results": hits }));
    } else {
        print!("{}", render(&hits));
    }
    Ok(())
}

async fn search_here(settings: &Settings, args: &Args) -> anyhow::Result<Vec<Hit>> {
    let store = services::vector_store(settings)?;
    if store.collection(&args.collection).await?.is_none() {
        return Err(StoreError::NotFound(args.collection.to_string()).into());
    }
    let retriever = services::retriever(settings, store)?;
    let options = SearchOptions {
        top_k: args.top_k.into(),
        filter: SourceFilter {
            sources: args.sources.clone(),
        },
        mode: args.mode,
        per_source: args.per_source,
        rerank: !args.no_rerank,
    };
    let hits = retriever
        .search(&args.collection, &args.query.join(" "), &options)
        .await?;
    Ok(hits.into_iter().map(hit).collect())
}

fn hit(h: Retrieved) -> Hit {
    Hit {
        heading: h.chunk.payload.heading_text(),
        source: h.chunk.payload.source,
        score: h.score,
        text: h.chunk.payload.text,
        chunk_id: h.chunk.id.to_string(),
    }
}

fn render(hits: &[Hit]) -> String {
    if hits.is_empty() {
        return "no results\n".into();
    }
    let mut out = String::new();
    for (i, hit) in hits.iter().enumerate() {
        let place = if hit.heading.is_empty() {
            String::new()
        } else {
            format!(" > {}", hit.heading)
        };
        let snippet: String = hit.text.split_whitespace().collect::<Vec<_>>().join(" ");
        let snippet: String = snippet.chars().take(200).collect();
        out += &format!(
            "{}. [{:.3}] {}{place}\n   {snippet}\n",
            i + 1,
            hit.score,
            hit.source
        );
    }
    out
}
