//! HTML: visible text and headings of the page's main content. Scripts, styles, navigation,
//! headers, footers and asides are dropped; `<main>` or `<article>` is preferred when present.

use scraper::{ElementRef, Html, Node, Selector};

use super::sections::SectionBuilder;
use crate::domain::{DocKind, Document};

/// Elements whose text is never content.
const SKIPPED: [&str; 11] = [
    "script", "style", "noscript", "template", "nav", "header", "footer", "aside", "svg", "form",
    "button",
];

/// Elements that end a line of text.
const BLOCKS: [&str; 20] = [
    "p",
    "div",
    "li",
    "ul",
    "ol",
    "tr",
    "table",
    "br",
    "pre",
    "blockquote",
    "section",
    "article",
    "main",
    "dd",
    "dt",
    "dl",
    "hr",
    "figcaption",
    "details",
    "summary",
];

/// Elements nested deeper than this are read as plain text: the walk recurses, and a hostile
/// page of 30,000 nested elements must not exhaust the stack. Real pages stay far below it.
const MAX_DEPTH: usize = 256;

pub fn load(text: &str, fallback_title: String) -> Document {
    let html = Html::parse_document(text);
    let mut builder = SectionBuilder::default();
    let root = content_root(&html);
    walk(root, &mut builder, 0);
    let mut doc = builder.finish(DocKind::Plain, fallback_title.clone());
    if doc.title == fallback_title {
        if let Some(title) = page_title(&html) {
            doc.title = title;
        }
    }
    doc
}

fn content_root(html: &Html) -> ElementRef<'_> {
    ["main", "article", "[role=main]", "body"]
        .iter()
        .filter_map(|s| Selector::parse(s).ok())
        .find_map(|sel| html.select(&sel).next())
        .unwrap_or_else(|| html.root_element())
}

fn page_title(html: &Html) -> Option<String> {
    let sel = Selector::parse("title").ok()?;
    let title = html.select(&sel).next()?.text().collect::<String>();
    let title = title.split_whitespace().collect::<Vec<_>>().join(" ");
    (!title.is_empty()).then_some(title)
}

fn walk(element: ElementRef<'_>, out: &mut SectionBuilder, depth: usize) {
    if depth >= MAX_DEPTH {
        // `text()` walks the subtree without recursion.
        out.push_text(&collapse(&element.text().collect::<String>()));
        return;
    }
    for child in element.children() {
        match child.value() {
            Node::Text(t) => out.push_text(&collapse(t)),
            Node::Element(e) => {
                let Some(child) = ElementRef::wrap(child) else {
                    continue;
                };
                let name = e.name();
                if SKIPPED.contains(&name) {
                    continue;
                }
                if let Some(level) = heading_level(name) {
                    let title = child.text().collect::<String>();
                    out.heading(level, collapse(&title).trim());
                    continue;
                }
                let block = BLOCKS.contains(&name);
                if block {
                    out.push_text("\n");
                }
                walk(child, out, depth + 1);
                if block {
                    out.push_text("\n");
                } else if matches!(name, "td" | "th") {
                    out.push_text(" | ");
                }
            }
            _ => {}
        }
    }
}

fn heading_level(name: &str) -> Option<usize> {
    match name {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}

/// HTML whitespace collapses to single spaces; an edge space is kept so words stay apart.
fn collapse(text: &str) -> String {
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let lead = if text.starts_with(char::is_whitespace) {
        " "
    } else {
        ""
    };
    let trail = if text.ends_with(char::is_whitespace) && !words.is_empty() {
        " "
    } else {
        ""
    };
    format!("{lead}{words}{trail}")
}
