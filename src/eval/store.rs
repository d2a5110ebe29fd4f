//! Datasets, evaluation runs and the experiments created over the API, in SQLite (`evals.sqlite3`, beside the answer log): every
//! dataset version and every run, with what is needed to reproduce it.

use std::path::Path;
use std::sync::MutexGuard;

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::dataset::{self, Dataset, DatasetError, Item};
use super::result::EvalResult;
use crate::answer_log::LogError;
use crate::db::{from_json, from_text, json, parse_time, storage, time_text, Db};
use crate::experiments::Experiment;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS dataset_versions (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    version    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    items_json TEXT NOT NULL,
    UNIQUE (name, version)
);
CREATE TABLE IF NOT EXISTS eval_runs (
    id          TEXT PRIMARY KEY,
    created_at  TEXT NOT NULL,
    status      TEXT NOT NULL,
    dataset     TEXT NOT NULL,
    collection  TEXT NOT NULL,
    error       TEXT,
    result_json TEXT
);
CREATE TABLE IF NOT EXISTS experiments (
    name            TEXT PRIMARY KEY,
    experiment_json TEXT NOT NULL
);";

/// A dataset's name, newest version and size, for listings.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DatasetSummary {
    pub name: String,
    pub version: String,
    pub items: usize,
    pub created_at: DateTime<Utc>,
    /// How many versions are stored.
    pub versions: usize,
}

/// Where a run is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RunStatus {
    Running,
    Done,
    Failed,
}

/// A stored run: its status and, when done, its result.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunRecord {
    pub id: String,
    pub status: RunStatus,
    pub created_at: DateTime<Utc>,
    pub dataset: String,
    pub collection: String,
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<EvalResult>,
}

pub struct EvalStore {
    db: Db,
}

impl EvalStore {
    /// Opens (or creates) `evals.sqlite3` in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Self, LogError> {
        Ok(Self {
            db: Db::open(data_dir, "evals.sqlite3", SCHEMA)?,
        })
    }

    /// Marks runs left `running` as failed: called when a server starts, since nothing will
    /// finish the runs of a server that stopped. (Not on every open: a CLI command must not
    /// fail the runs of a server that is still running them.)
    pub fn fail_interrupted(&self) -> Result<usize, LogError> {
        Ok(self
            .connection()
            .execute(
                "UPDATE eval_runs SET status = 'failed',
                 error = 'interrupted: the server stopped before the run finished'
                 WHERE status = 'running'",
                [],
            )
            .map_err(storage)?)
    }

    fn connection(&self) -> MutexGuard<'_, Connection> {
        self.db.lock()
    }

    /// Creates or replaces an experiment defined over the API.
    pub fn save_experiment(&self, experiment: &Experiment) -> Result<(), LogError> {
        self.connection()
            .execute(
                "INSERT INTO experiments (name, experiment_json) VALUES (?1, ?2)
                 ON CONFLICT (name) DO UPDATE SET experiment_json = excluded.experiment_json",
                params![experiment.name, json(experiment)?],
            )
            .map_err(storage)?;
        Ok(())
    }

    /// Every experiment defined over the API.
    pub fn experiments(&self) -> Result<Vec<Experiment>, LogError> {
        let c = self.connection();
        let mut statement = c
            .prepare("SELECT experiment_json FROM experiments ORDER BY name")
            .map_err(storage)?;
        let rows: Vec<String> = statement
            .query_map([], |r| r.get(0))
            .map_err(storage)?
            .collect::<Result<_, _>>()
            .map_err(storage)?;
        Ok(rows
            .iter()
            .map(|j| from_json(j))
            .collect::<Result<_, _>>()?)
    }

    /// Stores `items` as the newest version of `name` (the same items keep their version).
    pub fn save_dataset(&self, name: &str, items: &[Item]) -> Result<Dataset, LogError> {
        let mut c = self.connection();
        let tx = c.transaction().map_err(storage)?;
        let dataset = insert_version(&tx, name, items)?;
        tx.commit().map_err(storage)?;
        Ok(dataset)
    }

    /// Reads the newest version of `name` (empty when there is none), lets `change` edit its
    /// items and stores the result as the newest version, in one transaction: two concurrent
    /// edits cannot lose each other's items. The inner error is `change` refusing.
    pub fn update_dataset(
        &self,
        name: &str,
        change: impl FnOnce(Vec<Item>) -> Result<Vec<Item>, DatasetError>,
    ) -> Result<Result<Dataset, DatasetError>, LogError> {
        let mut c = self.connection();
        let tx = c
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(storage)?;
        let current: Option<String> = tx
            .query_row(
                "SELECT items_json FROM dataset_versions WHERE name = ?1 ORDER BY seq DESC LIMIT 1",
                [name],
                |r| r.get(0),
            )
            .optional()
            .map_err(storage)?;
        let items = match current {
            Some(json) => from_json(&json)?,
            None => Vec::new(),
        };
        let items = match change(items) {
            Ok(items) => items,
            Err(refused) => return Ok(Err(refused)),
        };
        let dataset = insert_version(&tx, name, &items)?;
        tx.commit().map_err(storage)?;
        Ok(Ok(dataset))
    }

    /// The newest version of `name`, or the given one.
    pub fn dataset(&self, name: &str, version: Option<&str>) -> Result<Option<Dataset>, LogError> {
        let c = self.connection();
        let row: Option<(String, String, String)> = c
            .query_row(
                "SELECT version, created_at, items_json FROM dataset_versions
                 WHERE name = ?1 AND (?2 IS NULL OR version = ?2) ORDER BY seq DESC LIMIT 1",
                params![name, version],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .map_err(storage)?;
        row.map(|(version, created_at, json)| {
            Ok(Dataset {
                name: name.to_owned(),
                version,
                created_at: parse_time(&created_at)?,
                items: from_json(&json)?,
            })
        })
        .transpose()
    }

    pub fn datasets(&self) -> Result<Vec<DatasetSummary>, LogError> {
        let c = self.connection();
        let mut statement = c
            .prepare(
                "SELECT d.name, d.version, d.created_at, d.items_json,
                        (SELECT COUNT(*) FROM dataset_versions v WHERE v.name = d.name)
                 FROM dataset_versions d
                 WHERE d.seq = (SELECT MAX(seq) FROM dataset_versions m WHERE m.name = d.name)
                 ORDER BY d.name",
            )
            .map_err(storage)?;
        let rows = statement
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })
            .map_err(storage)?;
        let mut out = Vec::new();
        for row in rows {
            let (name, version, created_at, json, versions) = row.map_err(storage)?;
            let items: Vec<Item> = from_json(&json)?;
            out.push(DatasetSummary {
                name,
                version,
                items: items.len(),
                created_at: parse_time(&created_at)?,
                versions: usize::try_from(versions).unwrap_or_default(),
            });
        }
        Ok(out)
    }

    pub fn start_run(&self, id: &str, dataset: &str, collection: &str) -> Result<(), LogError> {
        self.connection()
            .execute(
                "INSERT INTO eval_runs (id, created_at, status, dataset, collection)
                 VALUES (?1, ?2, 'running', ?3, ?4)",
                params![id, time_text(Utc::now()), dataset, collection],
            )
            .map_err(storage)?;
        Ok(())
    }

    pub fn finish_run(&self, id: &str, outcome: Result<&EvalResult, &str>) -> Result<(), LogError> {
        let (status, error, json) = match outcome {
            Ok(result) => ("done", None, Some(json(result)?)),
            Err(message) => ("failed", Some(message), None),
        };
        self.connection()
            .execute(
                "UPDATE eval_runs SET status = ?2, error = ?3, result_json = ?4 WHERE id = ?1",
                params![id, status, error, json],
            )
            .map_err(storage)?;
        Ok(())
    }

    pub fn run(&self, id: &str) -> Result<Option<RunRecord>, LogError> {
        self.runs_where("WHERE id = ?1", id, true)
            .map(|mut runs| runs.pop())
    }

    /// Newest first, without their results (fetch one run for that).
    pub fn runs(&self) -> Result<Vec<RunRecord>, LogError> {
        self.runs_where("WHERE ?1 = ?1", "", false)
    }

    fn runs_where(
        &self,
        clause: &str,
        value: &str,
        with_result: bool,
    ) -> Result<Vec<RunRecord>, LogError> {
        let c = self.connection();
        let sql = format!(
            "SELECT id, created_at, status, dataset, collection, error, result_json FROM eval_runs
             {clause} ORDER BY created_at DESC LIMIT 1000"
        );
        let mut statement = c.prepare(&sql).map_err(storage)?;
        let rows = statement
            .query_map([value], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, Option<String>>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            })
            .map_err(storage)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, created_at, status, dataset, collection, error, json) =
                row.map_err(storage)?;
            let result = match json.filter(|_| with_result) {
                Some(j) => Some(from_json(&j)?),
                None => None,
            };
            out.push(RunRecord {
                id,
                status: from_text(&status)?,
                created_at: parse_time(&created_at)?,
                dataset,
                collection,
                error,
                result,
            });
        }
        Ok(out)
    }
}

/// Stores `items` as the newest version of `name`; re-storing an older version makes it the
/// newest again. Part of the caller's transaction.
fn insert_version(
    tx: &rusqlite::Transaction<'_>,
    name: &str,
    items: &[Item],
) -> Result<Dataset, LogError> {
    let version = dataset::version(items);
    let now = Utc::now();
    tx.execute(
        "DELETE FROM dataset_versions WHERE name = ?1 AND version = ?2",
        params![name, version],
    )
    .map_err(storage)?;
    tx.execute(
        "INSERT INTO dataset_versions (name, version, created_at, items_json)
         VALUES (?1, ?2, ?3, ?4)",
        params![name, version, time_text(now), json(&items)?],
    )
    .map_err(storage)?;
    Ok(Dataset {
        name: name.to_owned(),
        version,
        created_at: now,
        items: items.to_vec(),
    })
}
