//! Checks shared by the request types: a bounded, non-empty text and a `top_k` range.

use super::ApiError;

/// The trimmed `value` of a text field, refused when empty or longer than `max` characters.
/// `field` names it in messages ("query", "question"); the codes are `empty_<field>` and
/// `<field>_too_long`.
pub fn text<'a>(
    value: &'a str,
    max: usize,
    field: &str,
    codes: (&'static str, &'static str),
) -> Result<&'a str, ApiError> {
    let trimmed = value.trim();
    let chars = trimmed.chars().count();
    if chars == 0 {
        return Err(ApiError::bad_request(
            codes.0,
            format!("{field} is empty"),
            format!("send a non-empty \"{field}\""),
        ));
    }
    if chars > max {
        return Err(ApiError::bad_request(
            codes.1,
            format!("{field} has {chars} characters; the limit is {max}"),
            format!("shorten the {field}"),
        ));
    }
    Ok(trimmed)
}

/// `top_k` must lie in `1..=max`; `hint` says what omitting it gives.
pub fn top_k(k: usize, max: usize, hint: &str) -> Result<usize, ApiError> {
    if (1..=max).contains(&k) {
        return Ok(k);
    }
    Err(ApiError::bad_request(
        "top_k_out_of_range",
        format!("top_k must be between 1 and {max}, got {k}"),
        hint,
    ))
}
