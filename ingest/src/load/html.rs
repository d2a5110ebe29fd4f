//! HTML: visible text and headings of the page's main content. Scripts, styles, navigation,
//! headers, footers and asides are dropped; `<main>` or `<article>` is preferred when present.

use scraper::{ElementRef, Html, Node, Selector};

use super::sections::SectionBuilder;
use super::{find, LoadError};
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
/// page must not exhaust the stack. Real pages stay far below it.
const MAX_DEPTH: usize = 256;

/// Pages whose elements nest deeper than this are refused before parsing: the HTML parser's
/// scope checks make a page of 30,000 nested elements cost about a minute of CPU.
pub const MAX_NESTING: usize = 512;

/// Elements that never nest (void), or whose end tag may be left out (the parser closes them),
/// so that counting their start tags would overstate the depth of ordinary pages.
const NOT_COUNTED: [&str; 31] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead",
    "tbody", "tfoot", "colgroup", "caption", "html", "head", "body",
];

/// Elements whose content is raw text, skipped by the depth scan.
const RAW_TEXT: [&str; 4] = ["script", "style", "textarea", "title"];

pub fn load(text: &str, fallback_title: String) -> Result<Document, LoadError> {
    let depth = nesting_depth(text, MAX_NESTING);
    if depth > MAX_NESTING {
        return Err(LoadError::TooDeep(depth, MAX_NESTING));
    }
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
    Ok(doc)
}

/// How deep the page's elements nest, by a scan of its tags (stopping past `limit`): start tags
/// open, end tags close, self-closing, void and optional-end elements do not count, and
/// comments and raw-text elements (scripts, styles) are skipped.
fn nesting_depth(text: &str, limit: usize) -> usize {
    let bytes = text.as_bytes();
    let (mut depth, mut deepest, mut i) = (0usize, 0usize, 0usize);
    while let Some(at) = memchr(bytes, i, b'<') {
        i = at + 1;
        if bytes[i..].starts_with(b"!--") {
            i = find(bytes, i, b"-->").map_or(bytes.len(), |e| e + 3);
            continue;
        }
        let closing = bytes.get(i) == Some(&b'/');
        let start = if closing { i + 1 } else { i };
        let name_len = bytes[start..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if name_len == 0 || !bytes[start].is_ascii_alphabetic() {
            continue;
        }
        let name = text[start..start + name_len].to_ascii_lowercase();
        let end = memchr(bytes, start, b'>').unwrap_or(bytes.len());
        let self_closing = end > 0 && bytes.get(end - 1) == Some(&b'/');
        i = end;
        if NOT_COUNTED.contains(&name.as_str()) || self_closing {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else if RAW_TEXT.contains(&name.as_str()) {
            let close = format!("</{name}");
            i = find_ignore_case(bytes, i, close.as_bytes()).unwrap_or(bytes.len());
        } else {
            depth += 1;
            deepest = deepest.max(depth);
            if deepest > limit {
                break;
            }
        }
    }
    deepest
}

fn memchr(bytes: &[u8], from: usize, needle: u8) -> Option<usize> {
    bytes
        .get(from..)?
        .iter()
        .position(|&b| b == needle)
        .map(|at| from + at)
}

fn find_ignore_case(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
        .map(|at| from + at)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_counts_nesting_not_unclosed_paragraphs_scripts_or_comments() {
        assert_eq!(
            nesting_depth("<div><section><b>x</b></section></div>", 99),
            3
        );
        let flat = "<ul>".to_owned() + &"<li>item <p>text <br> more".repeat(5000) + "</ul>";
        assert_eq!(nesting_depth(&flat, 99), 1);
        let script = "<script>if (a<b && c<d) { x = '<div><div>'; }</script><div></div>";
        assert_eq!(nesting_depth(script, 99), 1);
        assert_eq!(
            nesting_depth("<!-- <div><div> --><img src=x/><span/>", 99),
            0
        );
        let hostile = "<div><ul><li>".repeat(1000);
        assert!(nesting_depth(&hostile, MAX_NESTING) > MAX_NESTING);
    }
}
