//! Reading through the running server: when `cairn serve` holds the data directory, the CLI's
//! read commands ask it over HTTP (with the configured key) rather than fail half-way.

use anyhow::Context;
use serde::de::DeserializeOwned;

use crate::config::Settings;
use crate::data_lock::{Busy, DataDirLock};

/// How a read command reaches the store.
pub enum ReadAccess {
    /// This process owns the data directory (or the store is a Qdrant server).
    Local(Option<DataDirLock>),
    /// A `cairn serve` owns it: ask that server.
    Remote(Server),
}

/// Takes the data directory, or finds the server that holds it.
pub fn read_access(settings: &Settings) -> anyhow::Result<ReadAccess> {
    if settings.qdrant_url.is_some() {
        return Ok(ReadAccess::Local(None));
    }
    match DataDirLock::acquire(&settings.data_dir)? {
        Ok(lock) => Ok(ReadAccess::Local(Some(lock))),
        Err(busy) => Server::of(&busy, settings)
            .map(ReadAccess::Remote)
            .ok_or_else(|| busy.into()),
    }
}

pub struct Server {
    url: String,
    key: Option<String>,
    http: reqwest::Client,
}

impl Server {
    fn of(busy: &Busy, settings: &Settings) -> Option<Self> {
        let url = busy.holder.as_ref()?.url.clone()?;
        tracing::info!("the data directory is served by {url}: asking it");
        Some(Self {
            url,
            key: settings.auth.any_key().map(str::to_owned),
            http: reqwest::Client::new(),
        })
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> anyhow::Result<T> {
        self.send(self.http.get(format!("{}{path}", self.url)))
            .await
    }

    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &serde_json::Value,
    ) -> anyhow::Result<T> {
        self.send(self.http.post(format!("{}{path}", self.url)).json(body))
            .await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> anyhow::Result<T> {
        let request = match &self.key {
            Some(key) => request.bearer_auth(key),
            None => request,
        };
        let response = request
            .send()
            .await
            .with_context(|| format!("the server at {} did not answer", self.url))?;
        let status = response.status();
        let body: serde_json::Value = response
            .json()
            .await
            .with_context(|| format!("the server at {} sent a body that is not JSON", self.url))?;
        if !status.is_success() {
            let error = &body["error"];
            anyhow::bail!(
                "the server at {} answered {status}: {} ({})",
                self.url,
                error["message"].as_str().unwrap_or("no message"),
                error["hint"].as_str().unwrap_or("no hint")
            );
        }
        Ok(serde_json::from_value(body)?)
    }
}
