//! Markdown: sections cut at ATX and setext headings, found with pulldown-cmark so that a
//! `#` inside a code block is not taken for a heading.

use pulldown_cmark::{Event, HeadingLevel, Parser, Tag, TagEnd};

use super::sections::SectionBuilder;
use crate::domain::{DocKind, Document};

pub fn load(text: &str, fallback_title: String) -> Document {
    let mut builder = SectionBuilder::default();
    let mut heading: Option<(usize, String)> = None;
    let mut body_start = 0;
    for (event, range) in Parser::new(text).into_offset_iter() {
        match event {
            Event::Start(Tag::Heading { level, .. }) => {
                builder.push_text(&text[body_start..range.start]);
                heading = Some((level_number(level), String::new()));
            }
            Event::Text(t) | Event::Code(t) => {
                if let Some((_, h)) = heading.as_mut() {
                    h.push_str(&t);
                }
            }
            Event::End(TagEnd::Heading(_)) => {
                if let Some((level, h)) = heading.take() {
                    builder.heading(level, h.trim());
                }
                body_start = range.end;
            }
            _ => {}
        }
    }
    builder.push_text(&text[body_start..]);
    builder.finish(DocKind::Markdown, fallback_title)
}

fn level_number(level: HeadingLevel) -> usize {
    match level {
        HeadingLevel::H1 => 1,
        HeadingLevel::H2 => 2,
        HeadingLevel::H3 => 3,
        HeadingLevel::H4 => 4,
        HeadingLevel::H5 => 5,
        HeadingLevel::H6 => 6,
    }
}
