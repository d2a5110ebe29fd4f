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

fn load_bytes(name: &str, bytes: &[u8]) -> Result<Document, LoadError> {
    load(name, Path::new(name), bytes)
}

#[test]
fn hostile_files_are_refused_or_read_without_taking_the_process_down() {
    // 30,000 nested elements (650 KB) used to overflow the stack and abort the process (and
    // cost the parser a minute of CPU); now they are refused before parsing.
    let html = format!(
        "<html><body>{}deep text{}</body></html>",
        "<div><ul><li>".repeat(30_000),
        "</li></ul></div>".repeat(30_000)
    );
    let err = load_bytes("deep.html", html.as_bytes()).unwrap_err();
    assert!(matches!(err, LoadError::TooDeep(_, 512)), "{err}");
    // 400 levels are read, the deepest part as plain text.
    let html = format!(
        "<html><body>{}deep text{}</body></html>",
        "<div>".repeat(400),
        "</div>".repeat(400)
    );
    let doc = load_bytes("deeper.html", html.as_bytes()).expect("400 levels load");
    assert!(all_text(&doc).contains("deep text"));

    let pdf = common::deep_pdf(50_000);
    assert!(pdf.len() > 100_000);
    let err = load_bytes("deep.pdf", &pdf).unwrap_err();
    assert!(matches!(err, LoadError::TooDeep(_, 64)), "{err}");
    assert!(err.to_string().contains("nested"), "{err}");

    let markdown = format!("{}deep quote\n", "> ".repeat(20_000));
    load_bytes("deep.md", markdown.as_bytes()).expect("deep Markdown loads");
    let list: String = (0..1_000)
        .map(|i| format!("{}- item\n", "  ".repeat(i)))
        .collect();
    load_bytes("list.md", list.as_bytes()).expect("deep Markdown list loads");

    let err = load_bytes("nul.txt", b"hello\0world").unwrap_err();
    assert!(matches!(err, LoadError::Binary(5)), "{err}");

    // UTF-16 with a byte-order mark is read; a lone surrogate is refused with its position.
    let utf16: Vec<u8> = std::iter::once(0xFEFF_u16)
        .chain("Grüße aus UTF-16".encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect();
    let doc = load_bytes("utf16.txt", &utf16).expect("UTF-16 loads");
    assert!(all_text(&doc).contains("Grüße aus UTF-16"));
    let bad: Vec<u8> = [0xFEFF_u16, 0x0041, 0xD800, 0x0042]
        .into_iter()
        .flat_map(u16::to_le_bytes)
        .collect();
    let err = load_bytes("bad16.txt", &bad).unwrap_err();
    assert!(matches!(err, LoadError::InvalidUtf16(1)), "{err}");

    let huge = vec![b'a'; cairn_ingest::load::MAX_FILE_BYTES as usize + 1];
    assert!(matches!(
        load_bytes("line.txt", &huge),
        Err(LoadError::TooLarge)
    ));
}
