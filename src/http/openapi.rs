//! The OpenAPI document, generated from the handlers and types (utoipa), and a reference page
//! that renders it without any external script (the service may run offline).

use axum::response::Html;
use axum::Json;
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "cairn",
        description = "Grounded answers from your documents, with citations."
    ),
    paths(
        super::health::healthz,
        super::health::readyz,
        super::collections::list,
        super::collections::get,
        super::collections::create,
        super::collections::delete,
        super::search::search,
        super::query::query,
        super::documents::upload,
        super::grounding::check,
    ),
    components(schemas(cairn_ingest::store::CollectionInfo, cairn_ingest::store::SourceFilter))
)]
pub struct ApiDoc;

pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

pub async fn page() -> Html<&'static str> {
    Html(include_str!("reference.html"))
}
