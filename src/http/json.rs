//! A JSON extractor whose rejections use the API's own error body.

use axum::extract::FromRequest;

use super::ApiError;

#[derive(FromRequest)]
#[from_request(via(axum::Json), rejection(ApiError))]
pub struct Json<T>(pub T);
