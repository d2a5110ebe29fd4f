//! `cairn collections [list|delete NAME] [--json]`

use cairn_ingest::domain::CollectionName;

use crate::config::Settings;
use crate::services;

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
    /// List collections with their vector size and chunk count (the default)
    List,
    /// Delete a collection and everything in it
    Delete { name: CollectionName },
}

pub async fn run(settings: &Settings, args: Args) -> anyhow::Result<()> {
    let store = services::vector_store(settings)?;
    match args.action.unwrap_or(Action::List) {
        Action::List => {
            let collections = store.list_collections().await?;
            if args.json {
                println!("{}", serde_json::json!({ "collections": collections }));
            } else if collections.is_empty() {
                println!("no collections");
            } else {
                for c in collections {
                    println!(
                        "{}\t{} chunks\t{} dimensions",
                        c.name, c.points, c.dimension
                    );
                }
            }
        }
        Action::Delete { name } => {
            if !store.delete_collection(&name).await? {
                anyhow::bail!("collection {name:?} does not exist (see `cairn collections list`)");
            }
            if args.json {
                println!("{}", serde_json::json!({ "deleted": name.as_str() }));
            } else {
                println!("deleted {name}");
            }
        }
    }
    Ok(())
}
