//! `/v1/experiments`: online A/B experiments (define, list, results) and `/v1/variants`, the
//! variants an arm (or a query) may name.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json as JsonBody;
use serde::Serialize;

use super::error::ErrorBody;
use super::json::{Json, Path};
use super::{validate, ApiError, AppState};
use crate::app::ExperimentReport;
use crate::experiments::{Experiment, ExperimentSpec};

#[derive(Serialize, utoipa::ToSchema)]
pub struct ExperimentList {
    pub experiments: Vec<Experiment>,
}

#[utoipa::path(get, operation_id = "list_experiments", path = "/v1/experiments", tag = "experiments",
    responses((status = 200, body = ExperimentList)))]
pub async fn list(State(app): State<AppState>) -> JsonBody<ExperimentList> {
    JsonBody(ExperimentList {
        experiments: app.experiments().await,
    })
}

/// An experiment and its results: per arm answers, ratings, thumbs-up rate (Wilson interval),
/// hallucination and abstention rates, latency p50/p95 and cost; each arm against the first
/// (difference, 95% interval, p-value); guardrails; and a verdict in words.
#[utoipa::path(get, operation_id = "get_experiment", path = "/v1/experiments/{name}", tag = "experiments",
    params(validate::NamePath),
    responses((status = 200, body = ExperimentReport), (status = 404, body = ErrorBody)))]
pub async fn get(
    State(app): State<AppState>,
    Path(name): Path<String>,
) -> Result<JsonBody<ExperimentReport>, ApiError> {
    Ok(JsonBody(app.experiment_report(&name).await?))
}

/// Creates or replaces an experiment (201 when created). Stop one with `"state": "stopped"`:
/// its answers and results stay. At most one running experiment may split a collection.
#[utoipa::path(put, operation_id = "put_experiment", path = "/v1/experiments/{name}", tag = "experiments",
    params(validate::NamePath),
    request_body = ExperimentSpec,
    responses((status = 201, body = Experiment), (status = 200, body = Experiment),
              (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn put(
    State(app): State<AppState>,
    Path(name): Path<String>,
    Json(spec): Json<ExperimentSpec>,
) -> Result<(StatusCode, JsonBody<Experiment>), ApiError> {
    if let Some(c) = &spec.collection {
        validate::collection(c)?;
    }
    let (experiment, created) = app.put_experiment(&name, spec).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, JsonBody(experiment)))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct VariantList {
    /// `default` first, then each `[variants.NAME]` of the configuration.
    pub variants: Vec<String>,
}

/// The variants a query's `variant` or an experiment's arm may name.
#[utoipa::path(get, operation_id = "list_variants", path = "/v1/variants", tag = "answers",
    responses((status = 200, body = VariantList)))]
pub async fn variants(State(app): State<AppState>) -> JsonBody<VariantList> {
    JsonBody(VariantList {
        variants: app.variant_names(),
    })
}
