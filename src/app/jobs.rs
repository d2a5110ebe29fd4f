//! Upload jobs. An upload's files are written under `<data_dir>/uploads/<job id>/files`, and
//! only once every part has arrived is `job.json` written: that is the commit point. The ingest
//! then runs as a task of its own, which outlives the HTTP request (so a request timeout never
//! cuts an ingest short) and reports progress.
//!
//! After a crash, the next start ([`Cairn::resume_uploads`]) re-runs every committed job (the
//! ingest is a sync, so a document half-written by the interrupted run is redone) and deletes
//! uncommitted directories: a collection ends as before the upload or as after it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cairn_ingest::domain::CollectionName;
use cairn_ingest::pipeline::Summary;
use cairn_ingest::progress::Watch;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::{AppError, Cairn};

/// Finished jobs kept for `GET …/jobs/{id}`; older ones are forgotten.
const KEEP_FINISHED: usize = 200;

/// Where an upload job stands.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum JobState {
    Running,
    Succeeded { summary: Box<Summary> },
    Failed { error: JobFailure },
}

/// Why a job failed, in words fit for the client (details are in the server log).
#[derive(Debug, Clone, Serialize)]
pub struct JobFailure {
    /// True when the vector store was unavailable: retrying the upload later may work.
    pub store_unavailable: bool,
    pub message: String,
}

/// A job as `GET …/jobs/{id}` reports it.
#[derive(Debug, Clone, Serialize)]
pub struct JobStatus {
    pub job_id: String,
    pub collection: String,
    pub created_at: DateTime<Utc>,
    pub files_done: u64,
    pub files_total: u64,
    pub chunks: u64,
    #[serde(flatten)]
    pub state: JobState,
}

/// What `job.json` records: enough to resume the job after a restart.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    collection: String,
    created_at: DateTime<Utc>,
}

pub struct Job {
    id: String,
    collection: CollectionName,
    created_at: DateTime<Utc>,
    watch: Arc<Watch>,
    state: watch::Receiver<JobState>,
}

impl Job {
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn status(&self) -> JobStatus {
        let (files_done, files_total, chunks) = self.watch.read();
        JobStatus {
            job_id: self.id.clone(),
            collection: self.collection.to_string(),
            created_at: self.created_at,
            files_done,
            files_total,
            chunks,
            state: self.state.borrow().clone(),
        }
    }

    /// The final state, or `None` while still running after `wait`.
    pub async fn finished_within(&self, wait: Duration) -> Option<JobState> {
        let mut state = self.state.clone();
        let done =
            tokio::time::timeout(wait, state.wait_for(|s| !matches!(s, JobState::Running))).await;
        match done {
            Ok(Ok(s)) => Some(s.clone()),
            _ => None,
        }
    }
}

/// An upload being received: its files go into [`Self::files`].
pub struct UploadDir {
    id: String,
    root: PathBuf,
}

impl UploadDir {
    pub fn files(&self) -> PathBuf {
        self.root.join("files")
    }
}

impl Drop for UploadDir {
    /// An upload that never became a job (a bad part, a client gone) leaves nothing behind.
    fn drop(&mut self) {
        if !self.root.join("job.json").exists() {
            let _ = std::fs::remove_dir_all(&self.root);
        }
    }
}

/// Every job of this process.
pub struct Jobs {
    root: PathBuf,
    jobs: Mutex<HashMap<String, Arc<Job>>>,
}

impl Jobs {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            root: data_dir.join("uploads"),
            jobs: Mutex::new(HashMap::new()),
        }
    }

    fn remember(&self, job: Arc<Job>) {
        let mut jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        if jobs.len() >= KEEP_FINISHED {
            let mut finished: Vec<(DateTime<Utc>, String)> = jobs
                .values()
                .filter(|j| !matches!(*j.state.borrow(), JobState::Running))
                .map(|j| (j.created_at, j.id.clone()))
                .collect();
            finished.sort();
            for (_, id) in finished.iter().take(jobs.len() + 1 - KEEP_FINISHED) {
                jobs.remove(id);
            }
        }
        jobs.insert(job.id.clone(), job);
    }

    fn get(&self, id: &str) -> Option<Arc<Job>> {
        let jobs = self.jobs.lock().unwrap_or_else(|p| p.into_inner());
        jobs.get(id).cloned()
    }
}

impl Cairn {
    /// A fresh directory for an upload's files.
    pub fn new_upload(&self) -> Result<UploadDir, AppError> {
        let id = uuid::Uuid::new_v4().to_string();
        let root = self.jobs.root.join(&id);
        std::fs::create_dir_all(root.join("files"))
            .map_err(|e| AppError::Internal(format!("cannot create {}: {e}", root.display())))?;
        Ok(UploadDir { id, root })
    }

    /// Commits the upload (every file is on disk) and starts ingesting it.
    pub fn start_upload(
        self: &Arc<Self>,
        collection: CollectionName,
        upload: UploadDir,
    ) -> Result<Arc<Job>, AppError> {
        let manifest = Manifest {
            collection: collection.to_string(),
            created_at: Utc::now(),
        };
        let text =
            serde_json::to_string(&manifest).map_err(|e| AppError::Internal(e.to_string()))?;
        write_durably(&upload.root.join("job.json"), text.as_bytes())
            .map_err(|e| AppError::Internal(format!("cannot commit the upload: {e}")))?;
        Ok(self.run_job(upload.id.clone(), collection, manifest.created_at))
    }

    fn run_job(
        self: &Arc<Self>,
        id: String,
        collection: CollectionName,
        created_at: DateTime<Utc>,
    ) -> Arc<Job> {
        let (tx, rx) = watch::channel(JobState::Running);
        let job = Arc::new(Job {
            id: id.clone(),
            collection: collection.clone(),
            created_at,
            watch: Arc::new(Watch::default()),
            state: rx,
        });
        self.jobs.remember(job.clone());
        let (app, progress) = (self.clone(), job.watch.clone());
        let root = self.jobs.root.join(&id);
        tokio::spawn(async move {
            let result = app
                .ingest_dir(collection, root.join("files"), Some(progress))
                .await;
            let state = match result {
                Ok(summary) => JobState::Succeeded {
                    summary: Box::new(summary),
                },
                Err(e) => {
                    tracing::error!(job = %id, error = %e, "upload job failed");
                    JobState::Failed {
                        error: JobFailure {
                            store_unavailable: matches!(e, AppError::Store(_))
                                || matches!(
                                    e,
                                    AppError::Ingest(cairn_ingest::pipeline::IngestError::Store(_))
                                ),
                            message: "the upload could not be ingested (the server log has the \
                                      cause): upload it again"
                                .into(),
                        },
                    }
                }
            };
            // Done either way: the files are no longer needed (a failed job is not retried at
            // the next start, the client is told to upload again).
            if let Err(e) = std::fs::remove_dir_all(&root) {
                tracing::warn!(job = %id, error = %e, "cannot remove the upload's files");
            }
            let _ = tx.send(state);
        });
        job
    }

    /// The job, if this process knows it.
    pub fn job(&self, collection: &CollectionName, id: &str) -> Result<JobStatus, AppError> {
        self.jobs
            .get(id)
            .filter(|j| &j.collection == collection)
            .map(|j| j.status())
            .ok_or_else(|| AppError::JobNotFound(id.to_owned()))
    }

    /// At start: resumes committed uploads a stop interrupted, and removes uncommitted ones.
    pub fn resume_uploads(self: &Arc<Self>) -> usize {
        let Ok(entries) = std::fs::read_dir(&self.jobs.root) else {
            return 0;
        };
        let mut resumed = 0;
        for dir in entries.filter_map(Result::ok).map(|e| e.path()) {
            let id = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let manifest = std::fs::read_to_string(dir.join("job.json"))
                .ok()
                .and_then(|t| serde_json::from_str::<Manifest>(&t).ok());
            let collection = manifest
                .as_ref()
                .and_then(|m| CollectionName::parse(&m.collection).ok());
            match (manifest, collection) {
                (Some(m), Some(collection)) if uuid::Uuid::parse_str(&id).is_ok() => {
                    tracing::info!(job = %id, collection = %collection, "resuming an interrupted upload");
                    self.run_job(id, collection, m.created_at);
                    resumed += 1;
                }
                _ => {
                    tracing::info!(dir = %dir.display(), "removing an upload that was never committed");
                    let _ = std::fs::remove_dir_all(&dir);
                }
            }
        }
        resumed
    }
}

/// Writes a file and syncs it, so that a crash right after leaves it whole or absent.
fn write_durably(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let temporary = path.with_extension("tmp");
    let mut file = std::fs::File::create(&temporary)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)?;
    if let Some(parent) = path.parent() {
        std::fs::File::open(parent)?.sync_all()?;
    }
    Ok(())
}
