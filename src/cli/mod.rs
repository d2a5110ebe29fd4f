//! The `cairn` command line: global options and one module per subcommand.

mod collections;
mod datasets;
mod eval;
mod ingest;
mod remote;
mod search;
mod serve;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{Overrides, Settings};
use crate::data_lock::DataDirLock;

/// cairn: chat with your documents, and know how well it answers.
#[derive(Debug, Parser)]
#[command(name = "cairn", version, about)]
pub struct Cli {
    /// Data directory for the embedded vector store [env: CAIRN_DATA_DIR] [default: ./data]
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Settings file [default: ./cairn.toml if present]
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Chunk, embed and store documents (.md .txt .rst .html .pdf, FAQ .jsonl/.csv)
    Ingest(ingest::Args),
    /// Search a collection by meaning, without an LLM
    Search(search::Args),
    /// List or delete collections
    Collections(collections::Args),
    /// Serve the HTTP API
    Serve(serve::Args),
    /// List, import or export evaluation datasets (golden sets)
    Datasets(datasets::Args),
    /// Evaluate a collection on a dataset, comparing variants with intervals and p-values
    Eval(eval::Args),
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = Settings::load(&Overrides {
        config_file: cli.config,
        data_dir: cli.data_dir,
    })?;
    tracing::debug!(settings = %settings.redacted(), "settings loaded");
    match cli.command {
        Command::Ingest(args) => ingest::run(&settings, args).await,
        Command::Search(args) => search::run(&settings, args).await,
        Command::Collections(args) => collections::run(&settings, args).await,
        Command::Serve(args) => serve::run(&settings, args).await,
        Command::Datasets(args) => datasets::run(&settings, args).await,
        Command::Eval(args) => eval::run(&settings, args).await,
    }
}

/// Takes the data directory for a command that writes the embedded store (or serves it), or
/// fails naming the process that holds it. A Qdrant server needs no lock.
fn own_data_dir(settings: &Settings) -> anyhow::Result<Option<DataDirLock>> {
    if settings.qdrant_url.is_some() {
        return Ok(None);
    }
    DataDirLock::acquire_or_fail(&settings.data_dir).map(Some)
}
