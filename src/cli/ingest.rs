//! `cairn ingest PATH... --collection NAME [--prune] [--dry-run] [--json]`

use std::path::PathBuf;

use cairn_ingest::domain::CollectionName;
use cairn_ingest::pipeline::{IngestRequest, Summary};

use crate::config::Settings;
use crate::services;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directories or files to ingest; sources are paths relative to each
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Collection to write to (created if missing)
    #[arg(long, short)]
    collection: CollectionName,
    /// Delete stored chunks of files that are no longer there
    #[arg(long)]
    prune: bool,
    /// Print the plan (added / changed / unchanged / removed) and change nothing
    #[arg(long)]
    dry_run: bool,
    /// Print the summary as one JSON document on stdout
    #[arg(long)]
    json: bool,
}

pub async fn run(settings: &Settings, args: Args) -> anyhow::Result<()> {
    let _data_lock = super::own_data_dir(settings)?;
    let ingestor = services::ingestor(settings)?;
    let request = IngestRequest {
        paths: args.paths,
        collection: args.collection,
        prune: args.prune,
        dry_run: args.dry_run,
        progress: !args.json,
        watch: None,
        release_model: true,
    };
    let summary = ingestor.run(&request).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        print!("{}", render(&summary));
    }
    Ok(())
}

fn render(s: &Summary) -> String {
    let p = &s.plan;
    let mut out = String::new();
    let verb = if s.dry_run {
        "would ingest"
    } else {
        "ingested"
    };
    out += &format!(
        "{verb} into {}: {} added, {} changed, {} unchanged, {} removed{}\n",
        s.collection,
        p.added.len(),
        p.changed.len(),
        p.unchanged.len(),
        p.removed.len(),
        if s.not_in_run == 0 {
            String::new()
        } else {
            format!(
                "; {} stored files not in this run kept (--prune deletes them)",
                s.not_in_run
            )
        },
    );
    if s.dry_run {
        for (label, list) in [
            ("add", &p.added),
            ("change", &p.changed),
            ("remove", &p.removed),
        ] {
            for source in list {
                out += &format!("  {label:<7}{source}\n");
            }
        }
    } else {
        out += &format!(
            "{} files, {} chunks embedded in {:.1}s ({:.1} chunks/s, {:.0}% of the time in the model)\n",
            s.files,
            s.chunks,
            s.seconds,
            s.chunks_per_second,
            100.0 * s.embed_seconds / s.seconds.max(1e-9)
        );
        if s.tokens > 0 && s.embed_seconds > 0.0 {
            out += &format!(
                "  {} tokens into the model, {:.0} tokens/s inside it\n",
                s.tokens,
                s.tokens as f64 / s.embed_seconds
            );
        }
        if s.index_seconds >= 0.05 {
            out += &format!("  search index updated in {:.1}s\n", s.index_seconds);
        }
    }
    for skipped in &s.skipped {
        out += &format!("  skipped {}: {}\n", skipped.source, skipped.reason);
    }
    out
}
