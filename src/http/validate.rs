//! Checks shared by the request types: names from the path, a bounded non-empty text, ranges.

use cairn_ingest::domain::CollectionName;

use super::error::Code;
use super::ApiError;

/// The `{name}` of a collection or dataset route, as `/openapi.json` documents it (both kinds of
/// name follow the same rule).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct NamePath {
    /// 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'.
    #[param(pattern = r"^[A-Za-z0-9_-]{1,64}$")]
    #[allow(dead_code)] // read by the OpenAPI derive only
    name: String,
}

/// Parses a collection name from the path.
pub fn collection(name: &str) -> Result<CollectionName, ApiError> {
    CollectionName::parse(name)
        .map_err(|e| ApiError::new(Code::InvalidCollectionName).message(e.to_string()))
}

/// The trimmed `value` of a text field, refused when empty or longer than `max` characters.
/// `field` names it in messages ("query", "question").
pub fn text<'a>(
    value: &'a str,
    max: usize,
    field: &str,
    codes: (Code, Code),
) -> Result<&'a str, ApiError> {
    let trimmed = value.trim();
    let chars = trimmed.chars().count();
    if chars == 0 {
        return Err(ApiError::new(codes.0).message(format!("{field} is empty")));
    }
    if chars > max {
        return Err(ApiError::new(codes.1).message(format!(
            "{field} has {chars} characters; the limit is {max}"
        )));
    }
    Ok(trimmed)
}

/// `value` must lie in `1..=max`; `hint` says what omitting it gives.
pub fn range(
    value: usize,
    max: usize,
    field: &str,
    code: Code,
    hint: &str,
) -> Result<usize, ApiError> {
    if (1..=max).contains(&value) {
        return Ok(value);
    }
    Err(ApiError::new(code)
        .message(format!("{field} must be between 1 and {max}, got {value}"))
        .hint(hint))
}
