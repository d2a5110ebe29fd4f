//! Sentence splitting (Unicode sentence boundaries, UAX #29) and answer-sized units of a passage.

use unicode_segmentation::UnicodeSegmentation;

/// The sentences of `text`, trimmed, without empty ones. Line breaks also end a sentence, so
/// list items and table rows stay apart.
pub fn split(text: &str) -> Vec<String> {
    text.lines()
        .flat_map(|line| line.split_sentence_bounds())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The byte ranges of the sentences of `text`, split as [`split`] does (trimmed, none empty).
pub fn spans(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        for (offset, sentence) in line.split_sentence_bound_indices() {
            let trimmed = sentence.trim();
            if !trimmed.is_empty() {
                let lead = sentence.len() - sentence.trim_start().len();
                let start = line_start + offset + lead;
                out.push((start, start + trimmed.len()));
            }
        }
        line_start += line.len();
    }
    out
}

/// Answer-sized units of a passage: sentences, except that a table stays whole and a line
/// ending with ':' keeps the list or table that follows it (the answer is usually there).
pub fn units(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut group: Option<String> = None;
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let continues = is_table_row(line) || is_list_item(line);
        match group.as_mut() {
            Some(g) if continues => {
                g.push('\n');
                g.push_str(line);
                continue;
            }
            Some(_) => out.extend(group.take()),
            None => {}
        }
        if line.ends_with(':') || is_table_row(line) {
            group = Some(line.to_owned());
        } else {
            let sentences = line.split_sentence_bounds().map(str::trim);
            out.extend(sentences.filter(|s| !s.is_empty()).map(str::to_owned));
        }
    }
    out.extend(group);
    out
}

fn is_table_row(line: &str) -> bool {
    line.starts_with('|') || line.matches(" | ").count() >= 2
}

fn is_list_item(line: &str) -> bool {
    let numbered = line
        .split_once(". ")
        .is_some_and(|(n, _)| n.parse::<u32>().is_ok());
    line.starts_with("- ") || line.starts_with("* ") || numbered
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_sentences_and_lines() {
        let s = split("Plans cost $10. Billing is monthly!\n- item one\n\nLast line");
        assert_eq!(
            s,
            [
                "Plans cost $10.",
                "Billing is monthly!",
                "- item one",
                "Last line"
            ]
        );
    }

    #[test]
    fn units_keep_tables_and_introduced_lists_whole() {
        let text = "Limits depend on your plan:\n- Team: 2 guests\n- Business: 10 guests\nOther text. More.\n| Plan | Days |\n| Team | 30 |";
        assert_eq!(
            units(text),
            [
                "Limits depend on your plan:\n- Team: 2 guests\n- Business: 10 guests",
                "Other text.",
                "More.",
                "| Plan | Days |\n| Team | 30 |",
            ]
        );
    }
}
