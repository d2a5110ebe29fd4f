//! Checks shared by the request types: names from the path, a bounded non-empty text, ranges.

use cairn_ingest::domain::CollectionName;
use serde::Deserialize;

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
    if crate::text::is_blank(trimmed) {
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

/// A non-negative integer that JSON may also write as `3.0` (JSON Schema's `integer` allows it;
/// serde's `usize` does not).
pub fn integer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
    let number = serde_json::Number::deserialize(d)?;
    if let Some(n) = number.as_u64() {
        return usize::try_from(n).map_err(serde::de::Error::custom);
    }
    match number.as_f64() {
        Some(f) if f >= 0.0 && f.fract() == 0.0 && f <= f64::from(u32::MAX) => Ok(f as usize),
        _ => Err(serde::de::Error::custom(format!(
            "expected a non-negative integer, got {number}"
        ))),
    }
}

/// [`integer`], for an optional field.
pub fn optional_integer<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<usize>, D::Error> {
    #[derive(Deserialize)]
    struct Wrapped(#[serde(deserialize_with = "integer")] usize);
    Ok(Option::<Wrapped>::deserialize(d)?.map(|Wrapped(n)| n))
}
