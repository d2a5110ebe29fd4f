//! reStructuredText: section titles are lines underlined (and optionally overlined) with a
//! repeated punctuation character; levels follow the order in which styles first appear, as
//! docutils does. No maintained Rust reST parser exists, and titles are all cairn needs.

use super::sections::SectionBuilder;
use crate::domain::{DocKind, Document};

pub fn load(text: &str, fallback_title: String) -> Document {
    let lines: Vec<&str> = text.lines().collect();
    let mut styles: Vec<(char, bool)> = Vec::new();
    let mut builder = SectionBuilder::default();
    let mut i = 0;
    while i < lines.len() {
        if let Some((title, style, used)) = title_at(&lines, i) {
            let level = match styles.iter().position(|s| *s == style) {
                Some(p) => p + 1,
                None => {
                    styles.push(style);
                    styles.len()
                }
            };
            builder.heading(level, title);
            i += used;
            continue;
        }
        builder.push_text(lines[i]);
        builder.push_text("\n");
        i += 1;
    }
    builder.finish(DocKind::Plain, fallback_title)
}

/// A title starting at line `i`: (title, (adornment char, overlined), lines consumed).
fn title_at<'a>(lines: &[&'a str], i: usize) -> Option<(&'a str, (char, bool), usize)> {
    // Overline, title, underline.
    if let (Some(over), Some(title), Some(under)) =
        (adornment(lines[i]), lines.get(i + 1), lines.get(i + 2))
    {
        if adornment(under) == Some(over) && !title.trim().is_empty() {
            return Some((title.trim(), (over, true), 3));
        }
    }
    // Title, underline at least as long as the title.
    let title = lines[i];
    let under = lines.get(i + 1)?;
    let c = adornment(under)?;
    let is_text = !title.trim().is_empty() && !title.starts_with(' ') && adornment(title).is_none();
    (is_text && under.trim_end().chars().count() >= title.trim_end().chars().count())
        .then(|| (title.trim(), (c, false), 2))
}

/// The repeated character of an adornment line (at least 3 of one punctuation character).
fn adornment(line: &str) -> Option<char> {
    let line = line.trim_end();
    let c = line.chars().next()?;
    let ok = c.is_ascii_punctuation() && line.chars().count() >= 3 && line.chars().all(|x| x == c);
    ok.then_some(c)
}
