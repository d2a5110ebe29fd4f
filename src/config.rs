//! Settings, loaded once: built-in defaults < `cairn.toml` < `CAIRN_*` environment variables
//! (nested keys with `__`, e.g. `CAIRN_CHUNK__MAX_TOKENS`) < command-line flags. `QDRANT_URL`
//! and `QDRANT_API_KEY` are read as well, as every Qdrant tool does.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use cairn_ingest::chunk::ChunkSettings;
use cairn_ingest::embed::ModelFiles;
use cairn_ingest::redact::{Kind, RedactSettings};
use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};

use crate::answer_log::stats::Pricing;
use crate::experiments::ExperimentSpec;
use crate::ground::GroundingSettings;
use crate::llm::openai::OpenAiSettings;
use crate::rag::answer::{AnswerSettings, Variant};

/// The embedding model the set-up script prepares.
pub const DEFAULT_MODEL: &str = "all-MiniLM-L6-v2";
/// The ONNX Runtime version the set-up script prepares.
pub const DEFAULT_ORT_VERSION: &str = "1.31.1";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Where the embedded store (and later the answer log) keep their files.
    pub data_dir: PathBuf,
    /// Where scripts/fetch-models.sh puts models and libraries.
    pub cache_dir: PathBuf,
    /// The embedding model's directory (default: `<cache_dir>/models/all-MiniLM-L6-v2`).
    pub model_dir: Option<PathBuf>,
    /// The ONNX Runtime shared library (default: the one fetch-models.sh prepares).
    pub ort_lib: Option<PathBuf>,
    /// A Qdrant server or cluster; when set it replaces the embedded store.
    pub qdrant_url: Option<String>,
    pub qdrant_api_key: Option<String>,
    /// A PostgreSQL answer log (`postgres://user:password@host:port/db`, or
    /// `CAIRN_DATABASE_URL`), shared by replicas; SQLite in the data directory when unset.
    pub database_url: Option<String>,
    pub chunk: ChunkSettings,
    /// Where `cairn serve` listens.
    pub bind: SocketAddr,
    /// An OpenAI-compatible chat server; without `llm.base_url`, answers are extractive.
    pub llm: OpenAiSettings,
    pub answer: AnswerSettings,
    /// The groundedness (hallucination) check.
    pub grounding: GroundingSettings,
    /// Prices per 1000 tokens, for the cost estimates of /v1/stats.
    pub pricing: Pricing,
    /// Named overrides of `answer`, chosen per query with `"variant"`.
    pub variants: BTreeMap<String, Variant>,
    /// Extra prompt templates (`NAME.toml`), next to the built-in ones.
    pub prompts_dir: Option<PathBuf>,
    /// Origins allowed by CORS (`["*"]` for any); none by default.
    pub cors_origins: Vec<String>,
    /// Online A/B experiments (`[experiments.NAME]`), next to those created over the API.
    pub experiments: BTreeMap<String, ExperimentSpec>,
    /// API keys; `CAIRN_ADMIN_KEY` and `CAIRN_QUERY_KEYS` (comma-separated) add to them.
    pub auth: AuthSettings,
    /// Bounds on concurrent work and request rates.
    pub limits: crate::http::limits::LimitSettings,
    /// Personal data redacted from documents (off) and from logged questions (on).
    pub redact: RedactSettings,
}

/// Who may call the API. With no key at all, cairn serves only on a loopback address.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthSettings {
    /// The key with every scope. A value `sha256:HEX` gives the key's SHA-256 instead of the
    /// key, so the file need not hold it.
    pub admin_key: Option<String>,
    /// Keys that may ask, search, check grounding, rate and read their own answers.
    pub query_keys: Vec<String>,
    /// Serve `/metrics` without a key (for a Prometheus on a trusted network).
    pub metrics_public: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            cache_dir: default_cache_dir(),
            model_dir: None,
            ort_lib: None,
            qdrant_url: None,
            qdrant_api_key: None,
            database_url: None,
            chunk: ChunkSettings::default(),
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            llm: OpenAiSettings::default(),
            answer: AnswerSettings::default(),
            grounding: GroundingSettings::default(),
            pricing: Pricing::default(),
            variants: BTreeMap::new(),
            prompts_dir: None,
            cors_origins: Vec::new(),
            experiments: BTreeMap::new(),
            auth: AuthSettings::default(),
            limits: crate::http::limits::LimitSettings::default(),
            redact: RedactSettings::default(),
        }
    }
}

/// Values given on the command line, which override every other source.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub config_file: Option<PathBuf>,
    pub data_dir: Option<PathBuf>,
}

impl Settings {
    /// Loads and validates the settings; a bad value names its key.
    pub fn load(overrides: &Overrides) -> anyhow::Result<Self> {
        let file = overrides
            .config_file
            .clone()
            .unwrap_or_else(|| PathBuf::from("cairn.toml"));
        if overrides.config_file.is_some() && !file.is_file() {
            anyhow::bail!("config file {} not found", file.display());
        }
        let mut figment = Figment::from(Serialized::defaults(Settings::default()))
            .merge(Toml::file(&file))
            .merge(
                Env::raw()
                    .only(&["QDRANT_URL", "QDRANT_API_KEY"])
                    .map(|k| k.as_str().to_ascii_lowercase().into()),
            )
            .merge(Env::prefixed("CAIRN_").split("__"));
        if let Some(dir) = &overrides.data_dir {
            figment = figment.merge(Serialized::default("data_dir", dir));
        }
        let settings: Settings = figment.extract().with_context(|| {
            format!(
                "invalid settings (from {}, CAIRN_* or flags)",
                file.display()
            )
        })?;
        let mut settings = settings;
        settings
            .chunk
            .validate()
            .context("invalid settings: chunk")?;
        settings.auth.add_from_env(
            std::env::var("CAIRN_ADMIN_KEY").ok(),
            std::env::var("CAIRN_QUERY_KEYS").ok(),
        );
        Ok(settings.without_blank_values())
    }

    /// Empty environment variables mean "unset", as in most tools.
    fn without_blank_values(mut self) -> Self {
        self.qdrant_url = self.qdrant_url.filter(|u| !u.trim().is_empty());
        self.qdrant_api_key = self.qdrant_api_key.filter(|k| !k.is_empty());
        self.database_url = self.database_url.filter(|u| !u.trim().is_empty());
        self.llm.api_key = self.llm.api_key.filter(|k| !k.is_empty());
        self
    }

    /// The kinds of personal data redacted from documents at ingest (none when off).
    pub fn ingest_redaction(&self) -> Vec<Kind> {
        if self.redact.ingest {
            self.redact.kinds.clone()
        } else {
            Vec::new()
        }
    }

    pub fn model_files(&self) -> ModelFiles {
        ModelFiles {
            model_dir: self
                .model_dir
                .clone()
                .unwrap_or_else(|| self.cache_dir.join("models").join(DEFAULT_MODEL)),
            ort_lib: self.ort_lib.clone().unwrap_or_else(|| {
                self.cache_dir
                    .join(format!("onnxruntime-{DEFAULT_ORT_VERSION}"))
                    .join(format!("libonnxruntime.so.{DEFAULT_ORT_VERSION}"))
            }),
        }
    }

    /// A short hash of every setting that shapes answers (never secrets), recorded with each.
    pub fn answer_hash(&self) -> String {
        let shaping = serde_json::json!({
            "chunk": self.chunk,
            "answer": self.answer,
            "variants": self.variants,
            "llm": { "base_url": self.llm.base_url, "model": self.llm.model },
            "model_dir": self.model_files().model_dir,
        });
        crate::fingerprint::short_hash(&shaping.to_string())
    }

    /// The settings as JSON with secrets replaced, for start-up logs.
    pub fn redacted(&self) -> serde_json::Value {
        let mut copy = self.clone();
        if copy.qdrant_api_key.is_some() {
            copy.qdrant_api_key = Some("<redacted>".into());
        }
        if copy.llm.api_key.is_some() {
            copy.llm.api_key = Some("<redacted>".into());
        }
        if copy.auth.admin_key.is_some() {
            copy.auth.admin_key = Some("<redacted>".into());
        }
        copy.auth.query_keys = vec!["<redacted>".into(); copy.auth.query_keys.len()];
        copy.database_url = copy
            .database_url
            .map(|u| crate::answer_log::redact_password(&u));
        serde_json::to_value(copy).unwrap_or_default()
    }
}

impl AuthSettings {
    /// The environment's keys, read as plain strings (figment would read a key of digits
    /// as a number): `CAIRN_ADMIN_KEY` replaces the file's admin key, `CAIRN_QUERY_KEYS`
    /// (comma-separated) adds query keys.
    fn add_from_env(&mut self, admin: Option<String>, query: Option<String>) {
        if let Some(admin) = admin.filter(|k| !k.trim().is_empty()) {
            self.admin_key = Some(admin.trim().to_owned());
        }
        if let Some(query) = query {
            self.query_keys.extend(
                query
                    .split(',')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(str::to_owned),
            );
        }
        self.admin_key = self.admin_key.take().filter(|k| !k.trim().is_empty());
        self.query_keys.retain(|k| !k.trim().is_empty());
    }

    /// A key to call this data directory's running server with (CLI commands that read).
    pub fn any_key(&self) -> Option<&str> {
        self.admin_key
            .as_deref()
            .filter(|k| !k.starts_with("sha256:"))
            .or_else(|| {
                self.query_keys
                    .iter()
                    .map(String::as_str)
                    .find(|k| !k.starts_with("sha256:"))
            })
    }
}

/// `~/.cache/cairn`, as in scripts/fetch-models.sh (`CAIRN_CACHE_DIR` overrides it through
/// the environment layer, as it does for the script).
fn default_cache_dir() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default()
        .join(".cache")
        .join("cairn")
}

#[cfg(test)]
// figment's Jail fixes the closures' error type; its size is not ours to choose.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "cairn.toml",
                "data_dir = \"from-file\"\n[chunk]\nmax_tokens = 120\n",
            )?;
            jail.set_env("CAIRN_CHUNK__OVERLAP_TOKENS", "10");
            jail.set_env("QDRANT_URL", "http://q:6334");
            let s = Settings::load(&Overrides::default()).map_err(|e| e.to_string())?;
            assert_eq!(s.data_dir, PathBuf::from("from-file"));
            assert_eq!(s.chunk.max_tokens, 120);
            assert_eq!(s.chunk.overlap_tokens, 10);
            assert_eq!(s.qdrant_url.as_deref(), Some("http://q:6334"));
            let flags = Overrides {
                data_dir: Some("from-flag".into()),
                ..Overrides::default()
            };
            let s = Settings::load(&flags).map_err(|e| e.to_string())?;
            assert_eq!(s.data_dir, PathBuf::from("from-flag"));
            Ok(())
        });
    }

    #[test]
    fn a_bad_value_names_its_key() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("CAIRN_CHUNK__MAX_TOKENS", "lots");
            let err = Settings::load(&Overrides::default()).expect_err("accepted");
            assert!(
                format!("{err:#}").to_lowercase().contains("max_tokens"),
                "{err:#}"
            );
            Ok(())
        });
    }
}
