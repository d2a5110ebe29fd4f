//! Citation markers in an answer: `[2]`, `[1, 3]`, `[1][3]`. One grammar, used to find the
//! passages an answer cites and to strip the markers before its sentences are checked.

/// Each marker of `text`: its byte range and the numbers inside. A marker is `[`, one or more
/// numbers separated by commas and spaces, `]`; anything else in brackets is text.
pub fn find(text: &str) -> Vec<(std::ops::Range<usize>, Vec<usize>)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find('[').map(|i| from + i) {
        let after = open + 1;
        let Some(close) = text[after..].find(']').map(|i| after + i) else {
            break;
        };
        let inside = &text[after..close];
        let is_marker = !inside.trim().is_empty()
            && inside
                .chars()
                .all(|c| c.is_ascii_digit() || c == ',' || c == ' ');
        if is_marker {
            let numbers = inside
                .split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect();
            out.push((open..close + 1, numbers));
            from = close + 1;
        } else {
            from = after;
        }
    }
    out
}

/// The passage numbers the markers use, in order of first use, ignoring numbers outside
/// `1..=passages`.
pub fn cited(text: &str, passages: usize) -> Vec<usize> {
    let mut used = Vec::new();
    for n in find(text).into_iter().flat_map(|(_, numbers)| numbers) {
        if (1..=passages).contains(&n) && !used.contains(&n) {
            used.push(n);
        }
    }
    used
}

/// `text` without its markers: their numbers are not claims. "costs $8 [1]." reads "costs $8.".
pub fn strip(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (range, _) in find(text) {
        out.push_str(&text[last..range.start]);
        out.truncate(out.trim_end().len());
        last = range.end;
    }
    out.push_str(&text[last..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cited_in_order_of_first_use_within_range() {
        assert_eq!(cited("A [2]. B [1][2]. C [1, 3]. D [9] [x]", 3), [2, 1, 3]);
        assert!(cited("no markers", 3).is_empty());
        assert!(cited("unclosed [1", 3).is_empty());
    }

    #[test]
    fn markers_are_not_claims() {
        assert_eq!(
            strip("Costs $8 [1]. Kept [2, 3] for [a] while [4"),
            "Costs $8. Kept for [a] while [4"
        );
    }
}
