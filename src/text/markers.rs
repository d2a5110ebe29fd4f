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
    strip_mapped(text).0
}

/// [`strip`], with where each byte of the result came from: `map[i]` is the byte offset in
/// `text` of byte `i` of the stripped text.
pub fn strip_mapped(text: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len());
    let mut last = 0;
    let keep = |out: &mut String, map: &mut Vec<usize>, from: usize, to: usize| {
        out.push_str(&text[from..to]);
        map.extend(from..to);
    };
    for (range, _) in find(text) {
        keep(&mut out, &mut map, last, range.start);
        let kept = out.trim_end().len();
        out.truncate(kept);
        map.truncate(kept);
        last = range.end;
    }
    keep(&mut out, &mut map, last, text.len());
    (out, map)
}

/// The character range in `text` of the stripped text's bytes `start..end` (a sentence),
/// extended over the markers that directly follow it: "Costs $8. [1]" is one sentence.
pub fn original_span(text: &str, map: &[usize], start: usize, end: usize) -> Option<[usize; 2]> {
    let first = *map.get(start)?;
    // A character's bytes are copied together, so the byte after its last one ends it.
    let mut until = *map.get(end.checked_sub(1)?)? + 1;
    loop {
        let rest = &text[until..];
        let gap = rest.len() - rest.trim_start().len();
        match find(&rest[gap..]).first() {
            Some((range, _)) if range.start == 0 => until += gap + range.end,
            _ => break,
        }
    }
    let chars = |b: usize| text[..b].chars().count();
    Some([chars(first), chars(until)])
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
    fn spans_map_back_to_the_text_with_its_markers() {
        let text = "Ça coûte 8 € [1]. Gardé [2, 3] ici. Fin. [4]";
        let (stripped, map) = strip_mapped(text);
        assert_eq!(stripped, "Ça coûte 8 €. Gardé ici. Fin.");
        let chars: Vec<char> = text.chars().collect();
        let piece = |[a, b]: [usize; 2]| chars[a..b].iter().collect::<String>();
        let sentences = crate::text::sentences::spans(&stripped);
        let got: Vec<String> = sentences
            .iter()
            .map(|&(s, e)| piece(original_span(text, &map, s, e).unwrap_or_default()))
            .collect();
        assert_eq!(got, ["Ça coûte 8 € [1].", "Gardé [2, 3] ici.", "Fin. [4]"]);
        // A sentence that ends in a multi-byte character (schemathesis found this one).
        let text = "\u{5}\u{b27}\u{eb}";
        let (stripped, map) = strip_mapped(text);
        assert_eq!(original_span(text, &map, 0, stripped.len()), Some([0, 3]));
    }

    #[test]
    fn markers_are_not_claims() {
        assert_eq!(
            strip("Costs $8 [1]. Kept [2, 3] for [a] while [4"),
            "Costs $8. Kept for [a] while [4"
        );
    }
}
