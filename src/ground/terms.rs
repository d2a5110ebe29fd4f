//! The words of a claim that its support must contain: numbers, names and content words.
//! Matching is exact on lowercase words and normalised numbers: on HaluEval, every kind of
//! stemming let rephrased inventions through (bench/halueval.py, docs/grounding.md).

use std::collections::HashSet;

use crate::text::words;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Number,
    Name,
    Content,
}

/// A key term of a claim, in the form it is matched in: a normalised number or a lowercase word.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Term {
    pub kind: Kind,
    pub key: String,
}

/// Runs of digits (keeping `.` or `,` between digits: "2,466", "6.5") and runs of letters, with
/// their byte offsets. Apostrophes and hyphens split words.
pub fn tokens(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        let mut end = start + c.len_utf8();
        if c.is_ascii_digit() {
            while let Some(&(i, d)) = chars.peek() {
                let joins = (d == '.' || d == ',')
                    && text[i + 1..]
                        .chars()
                        .next()
                        .is_some_and(|n| n.is_ascii_digit());
                if !(d.is_ascii_digit() || joins) {
                    break;
                }
                end = i + d.len_utf8();
                chars.next();
            }
        } else if c.is_alphabetic() {
            while let Some(&(i, d)) = chars.peek() {
                if !d.is_alphabetic() {
                    break;
                }
                end = i + d.len_utf8();
                chars.next();
            }
        } else {
            continue;
        }
        out.push((start, &text[start..end]));
    }
    out
}

/// "1,200" → "1200", "2.50" → "2.5", "3.0" → "3".
fn normalise_number(token: &str) -> String {
    let plain = token.replace(',', "");
    if plain.contains('.') {
        let trimmed = plain.trim_end_matches('0').trim_end_matches('.');
        if trimmed.is_empty() {
            "0".into()
        } else {
            trimmed.into()
        }
    } else {
        plain
    }
}

/// The matchable form of a token.
fn key(token: &str) -> String {
    if token.starts_with(|c: char| c.is_ascii_digit()) {
        normalise_number(token)
    } else {
        token.to_lowercase()
    }
}

/// Every matchable form in `text`: its words, its numbers, and number words as digits.
pub fn vocabulary(text: &str) -> HashSet<String> {
    let mut out = HashSet::new();
    for (_, token) in tokens(text) {
        let k = key(token);
        if let Some(digits) = number_word(&k) {
            out.insert(digits.to_owned());
        }
        out.insert(k);
    }
    out
}

/// The matchable forms of `text` in order, to find multi-word names.
pub fn sequence(text: &str) -> Vec<String> {
    tokens(text).into_iter().map(|(_, t)| key(t)).collect()
}

/// The key terms of a claim (without repeats) and its multi-word names (runs of two or more
/// capitalised words, as sequences of matchable forms).
pub fn key_terms(claim: &str) -> (Vec<Term>, Vec<Vec<String>>) {
    let mut terms: Vec<Term> = Vec::new();
    let mut phrases = Vec::new();
    let mut run: Vec<String> = Vec::new();
    let mut previous_end = 0;
    for (i, (start, token)) in tokens(claim).into_iter().enumerate() {
        let lower = token.to_lowercase();
        let stop = words::is_stopword(&lower);
        let capital = token.starts_with(char::is_uppercase) && !stop;
        let adjacent = claim[previous_end..start].trim().is_empty();
        if !(capital && adjacent) {
            if run.len() >= 2 {
                phrases.push(std::mem::take(&mut run));
            }
            run.clear();
        }
        if capital {
            run.push(lower.clone());
        }
        previous_end = start + token.len();
        let term = if token.starts_with(|c: char| c.is_ascii_digit()) {
            Some((Kind::Number, normalise_number(token)))
        } else if let Some(digits) = number_word(&lower) {
            // "one", "first", "second" and "half" are too often not numbers at all.
            let vague = ["one", "first", "second", "half"].contains(&lower.as_str());
            (!vague).then(|| (Kind::Number, digits.to_owned()))
        } else if stop || token.chars().count() < 2 {
            None
        } else if words::is_name(token, i) {
            Some((Kind::Name, lower))
        } else if token.chars().count() >= 3 {
            Some((Kind::Content, lower))
        } else {
            None
        };
        if let Some((kind, key)) = term {
            let term = Term { kind, key };
            if !terms.contains(&term) {
                terms.push(term);
            }
        }
    }
    if run.len() >= 2 {
        phrases.push(run);
    }
    (terms, phrases)
}

/// Whether `needle` occurs as consecutive words in `haystack`.
pub fn contains_run(haystack: &[String], needle: &[String]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

fn number_word(word: &str) -> Option<&'static str> {
    NUMBER_WORDS
        .iter()
        .find(|(w, _)| *w == word)
        .map(|(_, digits)| *digits)
}

const NUMBER_WORDS: &[(&str, &str)] = &[
    ("zero", "0"),
    ("one", "1"),
    ("two", "2"),
    ("three", "3"),
    ("four", "4"),
    ("five", "5"),
    ("six", "6"),
    ("seven", "7"),
    ("eight", "8"),
    ("nine", "9"),
    ("ten", "10"),
    ("eleven", "11"),
    ("twelve", "12"),
    ("twenty", "20"),
    ("thirty", "30"),
    ("forty", "40"),
    ("fifty", "50"),
    ("hundred", "100"),
    ("thousand", "1000"),
    ("million", "1000000"),
    ("billion", "1000000000"),
    ("first", "1"),
    ("second", "2"),
    ("third", "3"),
    ("fourth", "4"),
    ("fifth", "5"),
    ("half", "0.5"),
    ("dozen", "12"),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_names_and_content_words() {
        let (terms, phrases) =
            key_terms("In 2021 the Team plan cost $1,200.50 at Bauer Media Group.");
        let keys: Vec<(Kind, &str)> = terms.iter().map(|t| (t.kind, t.key.as_str())).collect();
        assert_eq!(
            keys,
            [
                (Kind::Number, "2021"),
                (Kind::Name, "team"),
                (Kind::Content, "plan"),
                (Kind::Content, "cost"),
                (Kind::Number, "1200.5"),
                (Kind::Name, "bauer"),
                (Kind::Name, "media"),
                (Kind::Name, "group"),
            ]
        );
        assert_eq!(phrases, [["bauer", "media", "group"].map(String::from)]);
    }

    #[test]
    fn number_words_match_digits() {
        assert!(vocabulary("kept for twelve months").contains("12"));
        let (terms, _) = key_terms("It has three tiers.");
        assert!(terms.contains(&Term {
            kind: Kind::Number,
            key: "3".into()
        }));
    }
}
