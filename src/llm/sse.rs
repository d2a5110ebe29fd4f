//! Reads an OpenAI-style Server-Sent Events body: `data: {json}` lines, `data: [DONE]` at the end.

use futures::{Stream, StreamExt};

use super::LlmError;

/// The `data` payloads of an SSE byte stream, without the final `[DONE]`. A stream that ends
/// without `[DONE]` was cut short: its last item is an error.
pub fn data_lines<S, B, E>(body: S) -> impl Stream<Item = Result<String, LlmError>>
where
    S: Stream<Item = Result<B, E>> + Send + 'static,
    B: AsRef<[u8]>,
    E: std::fmt::Display + Send,
{
    use eventsource_stream::Eventsource;
    let events = Box::pin(body.eventsource());
    futures::stream::unfold(Some(events), |state| async move {
        let mut events = state?;
        match events.next().await {
            Some(Ok(e)) if e.data.trim() == "[DONE]" => None,
            Some(Ok(e)) => Some((Ok(e.data), Some(events))),
            Some(Err(e)) => Some((Err(LlmError::Malformed(format!("stream: {e}"))), None)),
            None => Some((
                Err(LlmError::Malformed("the stream ended before [DONE]".into())),
                None,
            )),
        }
    })
}
