//! `cairn collections [list|delete NAME] [--json]`

use cairn_ingest::domain::CollectionName;

use cairn_ingest::store::CollectionInfo;

use super::remote::{read_access, ReadAccess};
use crate::config::Settings;
use crate::services;

/// `GET /v1/collections`, when a running server is asked.
#[derive(serde::Deserialize)]
struct Listed {
    collections: Vec<CollectionInfo>,
}

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
    match args.action.unwrap_or(Action::List) {
        Action::List => {
            let collections: Vec<CollectionInfo> = match read_access(settings)? {
                ReadAccess::Local(_lock) => {
                    services::vector_store(settings)?.list_collections().await?
                }
                ReadAccess::Remote(server) => {
                    let list: Listed = server.get("/v1/collections").await?;
                    list.collections
                }
            };
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
            // Deleting under a running server would pull the files from under it.
            let _data_lock = super::own_data_dir(settings)?;
            let store = services::vector_store(settings)?;
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
