//! Every loader on real files: the docs-sample corpus and the fixtures (no model needed).
// Panicking on a broken fixture is what a test should do.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use cairn_ingest::domain::{DocKind, Document};
use cairn_ingest::load::{load, LoadError};

fn load_file(path: &Path) -> Result<Document, LoadError> {
    let bytes = std::fs::read(path).expect("read");
    let source = path.file_name().unwrap().to_string_lossy().into_owned();
    load(&source, path, &bytes)
}

fn all_text(doc: &Document) -> String {
    doc.sections
        .iter()
        .map(|s| s.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn headings(doc: &Document) -> Vec<String> {
    doc.sections.iter().map(|s| s.heading.join(" > ")).collect()
}

#[test]
fn markdown_keeps_heading_paths() {
    let doc = load_file(&common::corpus().join("guides/sync.md")).expect("load");
    assert_eq!(doc.kind, DocKind::Markdown);
    assert!(!doc.title.is_empty());
    let hs = headings(&doc);
    // Nested sections carry their parent's heading first.
    assert!(
        hs.iter()
            .any(|h| h.starts_with(&doc.title) && h.contains(" > ")),
        "{hs:?}"
    );
    assert!(
        !all_text(&doc).contains("\n#"),
        "heading markup left in the text"
    );
}

#[test]
fn html_keeps_main_content_and_drops_scripts_styles_and_navigation() {
    let path = common::corpus().join("reference/configuration.html");
    let raw = std::fs::read_to_string(&path).unwrap();
    let doc = load_file(&path).expect("load");
    let text = all_text(&doc);
    assert!(doc.sections.len() > 3, "headings should split the page");
    assert!(headings(&doc).iter().any(|h| h.contains(" > ")));
    for tag in ["<script", "<style", "<nav"] {
        let start = raw
            .find(tag)
            .unwrap_or_else(|| panic!("fixture lacks {tag}"));
        let end = raw[start..].find("</").unwrap() + start;
        let inner = raw[start..end].split('>').nth(1).unwrap_or("").trim();
        let probe: String = inner
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ");
        if !probe.is_empty() {
            assert!(
                !text.contains(&probe),
                "{tag} content {probe:?} leaked into the text"
            );
        }
    }
    for tag in ["<td", "<p>", "<h2", "</"] {
        assert!(!text.contains(tag), "markup {tag} left in the text");
    }
}

#[test]
fn rst_titles_become_headings() {
    let doc = load_file(&common::corpus().join("admin/sso.rst")).expect("load");
    assert_eq!(doc.title, "Single sign-on and user provisioning");
    let hs = headings(&doc);
    assert!(
        hs.iter()
            .any(|h| h == "Single sign-on and user provisioning > Availability"),
        "{hs:?}"
    );
    let adornment = |l: &str| l.len() >= 3 && l.chars().all(|c| c == '=' || c == '-');
    assert!(
        !all_text(&doc).lines().any(adornment),
        "a title underline left in the text"
    );
}

#[test]
fn text_is_one_section() {
    let doc = load_file(&common::corpus().join("notes/known-issues.txt")).expect("load");
    assert_eq!(doc.sections.len(), 1);
    assert!(all_text(&doc).len() > 1000);
}

#[test]
fn pdf_text_is_extracted() {
    let doc = load_file(&common::fixtures().join("sample.pdf")).expect("load");
    let text = all_text(&doc)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("The quarterly uptime target is 99.95 percent."),
        "{text}"
    );
}

#[test]
fn faq_files_give_one_section_per_pair() {
    let jsonl = load_file(&common::corpus().join("faq.jsonl")).expect("load");
    let lines = std::fs::read_to_string(common::corpus().join("faq.jsonl")).unwrap();
    assert_eq!(jsonl.kind, DocKind::Faq);
    assert_eq!(
        jsonl.sections.len(),
        lines.lines().filter(|l| !l.trim().is_empty()).count()
    );
    let csv = load_file(&common::corpus().join("faq-troubleshooting.csv")).expect("load");
    let rows = csv::Reader::from_path(common::corpus().join("faq-troubleshooting.csv"))
        .unwrap()
        .records()
        .count();
    assert_eq!(csv.sections.len(), rows);
    for s in jsonl.sections.iter().chain(&csv.sections) {
        assert!(
            s.text.starts_with("Q: ") && s.text.contains("\nA: "),
            "{}",
            s.text
        );
    }
}

#[test]
fn bad_files_get_a_reason() {
    let f = common::fixtures();
    assert!(matches!(
        load_file(&f.join("latin1.txt")),
        Err(LoadError::InvalidUtf8(_))
    ));
    assert!(matches!(
        load_file(&f.join("broken.pdf")),
        Err(LoadError::Pdf(_))
    ));
    assert!(matches!(
        load_file(&f.join("faq-bad.csv")),
        Err(LoadError::Faq(_))
    ));
    assert!(matches!(
        load_file(&f.join("image.png")),
        Err(LoadError::Unsupported)
    ));
    assert!(matches!(
        load_file(&f.join("empty.md")),
        Err(LoadError::Empty)
    ));
    let message = load_file(&f.join("faq-bad.csv")).unwrap_err().to_string();
    assert!(
        message.contains("question") && message.contains("answer"),
        "{message}"
    );
}
