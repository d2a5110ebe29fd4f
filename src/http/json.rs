//! JSON body and query-string extractors whose rejections use the API's own error body.

use axum::extract::{FromRequest, FromRequestParts};

use super::ApiError;

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);

#[derive(FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(ApiError))]
pub struct Query<T>(pub T);
