//! Sentence splitting (Unicode sentence boundaries, UAX #29) and answer-sized units of a passage.
//! Here rather than in the answering code because ingest also needs a passage's parts: it
//! stores a vector for each (see [`crate::parts`]).

use std::ops::Range;

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

/// What a quotable part of a passage is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartKind {
    Sentence,
    ListItem,
    TableRow,
}

/// A quotable part of a passage: a sentence, a list item without its marker, or a table row
/// rendered as a sentence ("Team: Price $10; Storage 100 GB.") instead of pipes.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub text: String,
    pub kind: PartKind,
    /// What the part needs to stand alone: the sentence before it, or a list's lead-in line.
    pub lead: Option<String>,
    /// The nearest line before it that titles it: a heading-like line or a question (an FAQ's).
    pub section: Option<String>,
    /// Its place after that line (0: the first part after it).
    pub offset: usize,
    /// The bytes of the passage it was read from (a wrapped sentence spans its line breaks).
    pub span: Range<usize>,
}

/// The quotable parts of a passage, in order. Lines of one paragraph (hard-wrapped text) are
/// read as one; a line that continues a list item belongs to it. A table's first row is its
/// header: every other row is read with it, and a separator row (`|---|`) is dropped. Lines
/// that title what follows (a short line alone without a full stop, or a question) are not
/// parts but the `section` of the parts after them.
pub fn parts(text: &str) -> Vec<Part> {
    let mut out: Vec<Part> = Vec::new();
    let mut header: Option<Vec<String>> = None;
    let mut lead_in: Option<String> = None;
    let mut section: Option<String> = None;
    let mut offset = 0;
    let mut after_title = false;
    for block in paragraphs(text) {
        // A part under a new title does not lean on the section before it.
        let previous = match after_title {
            true => None,
            false => out.last().map(|p| p.text.clone()),
        };
        after_title = false;
        let mut push = |out: &mut Vec<Part>, text: String, kind, lead, span| {
            out.push(Part {
                text,
                kind,
                lead,
                section: section.clone(),
                offset,
                span,
            });
            offset += 1;
        };
        let whole = block.source(0..block.text.len());
        match block.kind {
            BlockKind::Row => {
                let cells = cells(&block.text);
                if cells.iter().all(|c| is_rule(c)) {
                    continue;
                }
                match &header {
                    None => header = Some(cells),
                    Some(h) => {
                        let text = row_sentence(h, &cells);
                        push(&mut out, text, PartKind::TableRow, lead_in.clone(), whole);
                    }
                }
            }
            BlockKind::Item => {
                header = None;
                let lead = lead_in.clone().or(previous);
                push(
                    &mut out,
                    block.text.clone(),
                    PartKind::ListItem,
                    lead,
                    whole,
                );
            }
            BlockKind::Text => {
                header = None;
                lead_in = None;
                let line = &block.text;
                if is_title(line) {
                    section = Some(line.clone());
                    offset = 0;
                    after_title = true;
                    continue;
                }
                let mut previous = previous;
                let mut last = None;
                for (at, raw) in line.split_sentence_bound_indices() {
                    let sentence = raw.trim();
                    if sentence.is_empty() {
                        continue;
                    }
                    let start = at + (raw.len() - raw.trim_start().len());
                    let span = block.source(start..start + sentence.len());
                    let lead = previous.replace(sentence.to_owned());
                    push(
                        &mut out,
                        sentence.to_owned(),
                        PartKind::Sentence,
                        lead,
                        span,
                    );
                    last = Some(sentence.to_owned());
                }
                if line.ends_with(':') {
                    lead_in = last;
                }
            }
        }
    }
    out
}

/// An FAQ chunk ("Q: …\nA: …") answers with its answer; its question is context.
pub fn faq_parts(text: &str) -> (Option<&str>, &str) {
    match (text.strip_prefix("Q: "), text.find("\nA: ")) {
        (Some(rest), Some(i)) => (rest.get(..i.saturating_sub(3)), &text[i + 4..]),
        _ => (None, text),
    }
}

/// A passage's blocks: paragraphs (wrapped lines joined), list items and table rows.
#[derive(Clone, Copy, PartialEq)]
enum BlockKind {
    Text,
    Item,
    Row,
}

/// A block's text and where each of its lines came from.
struct Block {
    kind: BlockKind,
    text: String,
    /// (byte in `text`, byte in the passage) where each joined line starts.
    lines: Vec<(usize, usize)>,
}

impl Block {
    fn new(kind: BlockKind, line: &str, at: usize) -> Self {
        Self {
            kind,
            text: line.to_owned(),
            lines: vec![(0, at)],
        }
    }

    fn join(&mut self, line: &str, at: usize) {
        self.text.push(' ');
        self.lines.push((self.text.len(), at));
        self.text.push_str(line);
    }

    /// The passage bytes that `range` of the block's text was read from.
    fn source(&self, range: Range<usize>) -> Range<usize> {
        let map = |i: usize| {
            let &(here, there) = self.lines.iter().rev().find(|(here, _)| *here <= i)?;
            Some(there + (i - here))
        };
        let start = map(range.start).unwrap_or_default();
        let end = range
            .end
            .checked_sub(1)
            .and_then(map)
            .map_or(start, |last| last + 1);
        start..end
    }
}

fn paragraphs(text: &str) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    let mut open = false;
    let mut at = 0;
    for raw in text.split_inclusive('\n') {
        let line_start = at;
        at += raw.len();
        let line = raw.trim();
        if line.is_empty() {
            open = false;
            continue;
        }
        let start = line_start + (raw.len() - raw.trim_start().len());
        if is_table_row(line) {
            out.push(Block::new(BlockKind::Row, line, start));
            open = false;
        } else if let Some(item) = list_item(line) {
            let item_start = start + (item.as_ptr() as usize - line.as_ptr() as usize);
            out.push(Block::new(BlockKind::Item, item, item_start));
            open = true;
        } else {
            match out.last_mut() {
                Some(b) if open && b.kind != BlockKind::Row && !ends_line(&b.text) => {
                    b.join(line, start)
                }
                _ => out.push(Block::new(BlockKind::Text, line, start)),
            }
            open = true;
        }
    }
    out
}

/// A line after which the next one starts afresh even without a blank line between them.
fn ends_line(line: &str) -> bool {
    line.ends_with([':', '?'])
}

/// A line that titles what follows: a question, or a short line with no closing punctuation
/// and nothing to type or count in it ("Default: 30 days" and `nano --nowrap` are content).
fn is_title(line: &str) -> bool {
    let words = line.split_whitespace().count();
    let numbered = line.split_whitespace().next().is_some_and(|w| {
        w.trim_end_matches('.')
            .split('.')
            .all(|n| n.parse::<u32>().is_ok())
    });
    let body = if numbered {
        line.split_once(' ').map_or("", |(_, rest)| rest)
    } else {
        line
    };
    let literal = body
        .chars()
        .any(|c| c.is_ascii_digit() || "`=/_~$".contains(c))
        || body.contains("--");
    line.ends_with('?')
        || (words <= 12 && !literal && !line.ends_with(['.', '!', ':', ';', ',', ')']))
}

fn cells(line: &str) -> Vec<String> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(|c| c.trim().to_owned()).collect()
}

fn is_rule(cell: &str) -> bool {
    !cell.is_empty() && cell.chars().all(|c| matches!(c, '-' | ':' | ' '))
}

/// A table row as a sentence: the first cell, then each other cell with its column's header.
fn row_sentence(header: &[String], cells: &[String]) -> String {
    let mut rest = Vec::new();
    for (i, cell) in cells.iter().enumerate().skip(1) {
        if cell.is_empty() {
            continue;
        }
        match header.get(i).filter(|h| !h.is_empty()) {
            Some(h) => rest.push(format!("{h} {cell}")),
            None => rest.push(cell.clone()),
        }
    }
    let first = cells.first().map(String::as_str).unwrap_or_default();
    let sentence = match (first.is_empty(), rest.is_empty()) {
        (_, true) => first.to_owned(),
        (true, false) => rest.join("; "),
        (false, false) => format!("{first}: {}", rest.join("; ")),
    };
    if sentence.ends_with(['.', '!', '?']) {
        sentence
    } else {
        format!("{sentence}.")
    }
}

/// A list item's text without its marker ("- ", "* ", "3. ").
fn list_item(line: &str) -> Option<&str> {
    if let Some(rest) = line.strip_prefix("- ").or_else(|| line.strip_prefix("* ")) {
        return Some(rest.trim());
    }
    let (n, rest) = line.split_once(". ")?;
    (n.len() <= 3 && n.parse::<u32>().is_ok()).then(|| rest.trim())
}

fn is_table_row(line: &str) -> bool {
    line.starts_with('|') || line.matches(" | ").count() >= 2
}

fn is_list_item(line: &str) -> bool {
    list_item(line).is_some()
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
    fn parts_read_table_rows_as_sentences_and_keep_list_lead_ins() {
        let text = "Plans differ a lot:\n| Plan | Price | Storage |\n|---|---|---|\n| Team | $10 | 100 GB |\n\nHow long is trash kept?\nTrash keeps notes for\n30 days. It is then emptied.\nKeys:\n- Ctrl+K cuts a line\n  and keeps it\n2. Second item";
        let got: Vec<(String, PartKind, Option<String>, Option<String>)> = parts(text)
            .into_iter()
            .map(|p| (p.text, p.kind, p.lead, p.section))
            .collect();
        let some = |s: &str| Some(s.to_owned());
        let trash = some("How long is trash kept?");
        assert_eq!(
            got,
            [
                ("Plans differ a lot:".into(), PartKind::Sentence, None, None),
                (
                    "Team: Price $10; Storage 100 GB.".into(),
                    PartKind::TableRow,
                    some("Plans differ a lot:"),
                    None
                ),
                (
                    "Trash keeps notes for 30 days.".into(),
                    PartKind::Sentence,
                    None,
                    trash.clone()
                ),
                (
                    "It is then emptied.".into(),
                    PartKind::Sentence,
                    some("Trash keeps notes for 30 days."),
                    trash.clone()
                ),
                (
                    "Keys:".into(),
                    PartKind::Sentence,
                    some("It is then emptied."),
                    trash.clone()
                ),
                (
                    "Ctrl+K cuts a line and keeps it".into(),
                    PartKind::ListItem,
                    some("Keys:"),
                    trash.clone()
                ),
                (
                    "Second item".into(),
                    PartKind::ListItem,
                    some("Keys:"),
                    trash
                ),
            ]
        );
    }

    #[test]
    fn titles_are_short_lines_without_anything_to_type_or_count() {
        assert!(is_title("How do I configure a different editor?"));
        assert!(is_title("3.1. Determination Of Column Affinity"));
        assert!(!is_title("Default: 30 days"));
        assert!(!is_title("nano --nowrap"));
        assert!(!is_title("Deleted notes stay in the trash."));
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
