//! `cairn datasets [list|import NAME FILE|export NAME] [--json]`

use std::path::PathBuf;

use crate::app::Cairn;
use crate::config::Settings;
use crate::eval::dataset::Format;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    action: Option<Action>,
    /// Print JSON on stdout
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, clap::Subcommand)]
enum Action {
    /// List datasets with their newest version and size (the default)
    List,
    /// Import a .jsonl or .csv file as the newest version of NAME (a bad row stores nothing)
    Import { name: String, file: PathBuf },
    /// Print a dataset's items as JSON Lines
    Export {
        name: String,
        /// A stored version (default: the newest)
        #[arg(long)]
        version: Option<String>,
    },
}

pub async fn run(settings: &Settings, args: Args) -> anyhow::Result<()> {
    let app = Cairn::build(settings)?;
    match args.action.unwrap_or(Action::List) {
        Action::List => {
            let datasets = app.datasets().await?;
            if args.json {
                println!("{}", serde_json::json!({ "datasets": datasets }));
            } else if datasets.is_empty() {
                println!("no datasets (import one with `cairn datasets import NAME FILE`)");
            } else {
                for d in datasets {
                    println!(
                        "{}\tversion {}\t{} items\t{} versions",
                        d.name, d.version, d.items, d.versions
                    );
                }
            }
        }
        Action::Import { name, file } => {
            let format = Format::of(&file)?;
            let text = std::fs::read_to_string(&file)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", file.display()))?;
            let dataset = app
                .import_dataset(&name, text, format)
                .await
                .map_err(|e| anyhow::anyhow!("{}: {e}; nothing was stored", file.display()))?;
            if args.json {
                let summary = serde_json::json!({ "name": dataset.name,
                    "version": dataset.version, "items": dataset.items.len() });
                println!("{summary}");
            } else {
                println!(
                    "imported {} items into {} (version {})",
                    dataset.items.len(),
                    dataset.name,
                    dataset.version
                );
            }
        }
        Action::Export { name, version } => {
            let dataset = app.dataset(&name, version.as_deref()).await?;
            for item in &dataset.items {
                println!("{}", serde_json::to_string(item)?);
            }
        }
    }
    Ok(())
}
