//! Optional PII redaction: e-mail addresses, phone numbers, payment card numbers (that pass the
//! Luhn check), IBANs (that pass the mod-97 check) and IP addresses are replaced by a tag such
//! as `[email]`. Used on documents at ingest and on questions written to the answer log; the
//! checksums keep order numbers and version strings from being taken for cards and IBANs.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

/// The kinds of personal data cairn can redact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Email,
    Phone,
    Card,
    Iban,
    Ip,
}

impl Kind {
    pub const ALL: [Kind; 5] = [Kind::Email, Kind::Card, Kind::Iban, Kind::Ip, Kind::Phone];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Phone => "phone",
            Kind::Card => "card",
            Kind::Iban => "iban",
            Kind::Ip => "ip",
        }
    }

    fn tag(self) -> &'static str {
        match self {
            Kind::Email => "[email]",
            Kind::Phone => "[phone]",
            Kind::Card => "[card]",
            Kind::Iban => "[iban]",
            Kind::Ip => "[ip]",
        }
    }
}

// The patterns are constants, checked by the tests: compiling them cannot fail at run time.
#[allow(clippy::expect_used)]
fn pattern(kind: Kind) -> &'static Regex {
    static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)\b[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b").expect("email")
    });
    static CARD: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b(?:\d[ -]?){12,18}\d\b").expect("card"));
    static IBAN: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b").expect("iban")
    });
    static IP: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b|\b(?:[0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}\b|\b(?:[0-9a-fA-F]{1,4}:){1,6}:(?:[0-9a-fA-F]{1,4}:){0,5}[0-9a-fA-F]{1,4}\b",
        )
        .expect("ip")
    });
    // International (+CC …) or grouped national numbers: 8 to 15 digits with separators.
    static PHONE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,4}\)[ .-]?)?\d{2,4}(?:[ .-]\d{2,4}){2,4}\b")
            .expect("phone")
    });
    match kind {
        Kind::Email => &EMAIL,
        Kind::Card => &CARD,
        Kind::Iban => &IBAN,
        Kind::Ip => &IP,
        Kind::Phone => &PHONE,
    }
}

/// Which kinds to redact, where.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct RedactSettings {
    /// Redact documents at ingest (CLI and uploads). Off by default: documentation often
    /// holds contact addresses and numbers that are the answer ("mail support@…").
    pub ingest: bool,
    /// Redact questions before they are written to the answer log. On by default: people
    /// paste their own e-mail, phone or card number into a chatbot, and the log is read by others.
    pub questions: bool,
    pub kinds: Vec<Kind>,
}

impl Default for RedactSettings {
    fn default() -> Self {
        Self {
            ingest: false,
            questions: true,
            kinds: Kind::ALL.to_vec(),
        }
    }
}

/// What was redacted, by kind.
pub type Counts = BTreeMap<Kind, usize>;

/// Replaces every match of the configured kinds; adds what it replaced to `counts`.
pub fn redact(text: &str, kinds: &[Kind], counts: &mut Counts) -> String {
    let mut out = text.to_owned();
    // Order matters: an e-mail or an IBAN holds digit runs the phone pattern would take.
    for kind in Kind::ALL.into_iter().filter(|k| kinds.contains(k)) {
        let mut found = 0;
        let replaced = pattern(kind).replace_all(&out, |c: &regex::Captures<'_>| {
            let m = &c[0];
            if valid(kind, m) {
                found += 1;
                kind.tag().to_owned()
            } else {
                m.to_owned()
            }
        });
        let replaced = replaced.into_owned();
        if found > 0 {
            *counts.entry(kind).or_default() += found;
            out = replaced;
        }
    }
    out
}

fn valid(kind: Kind, text: &str) -> bool {
    let digits: Vec<u32> = text.chars().filter_map(|c| c.to_digit(10)).collect();
    match kind {
        Kind::Card => (13..=19).contains(&digits.len()) && luhn(&digits),
        Kind::Iban => iban_ok(text),
        // Nine digits at least, and not a date: "2024-01-15 10" has ten.
        Kind::Phone => (9..=15).contains(&digits.len()) && !date_like(text),
        Kind::Email | Kind::Ip => true,
    }
}

fn date_like(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && matches!(b[4], b'-' | b'.' | b'/')
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b[4]
}

fn luhn(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let d = d * 2;
                if d > 9 {
                    d - 9
                } else {
                    d
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// ISO 13616: move the first four characters to the end, letters to numbers, mod 97 is 1.
fn iban_ok(text: &str) -> bool {
    let compact: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    if !(15..=34).contains(&compact.len()) {
        return false;
    }
    let rotated = compact[4..].iter().chain(&compact[..4]);
    let mut remainder: u64 = 0;
    for c in rotated {
        let value = match c.to_digit(36) {
            Some(v) => u64::from(v),
            None => return false,
        };
        let width = if value >= 10 { 100 } else { 10 };
        remainder = (remainder * width + value) % 97;
    }
    remainder == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> (String, Counts) {
        let mut counts = Counts::new();
        (redact(text, &Kind::ALL, &mut counts), counts)
    }

    #[test]
    fn personal_data_is_replaced_and_counted() {
        let (out, counts) = all(
            "Mail jane.doe@example.co.uk or call +44 20 7946 0958. Card 4111 1111 1111 1111, \
             IBAN DE89 3704 0044 0532 0130 00, from 192.168.1.20 and 2001:db8::8a2e:370:7334.",
        );
        assert_eq!(
            out,
            "Mail [email] or call [phone]. Card [card], IBAN [iban], from [ip] and [ip]."
        );
        assert_eq!(counts.values().sum::<usize>(), 6, "{counts:?}");
    }

    #[test]
    fn look_alikes_that_fail_their_checksum_stay() {
        let text = "Order 4111 1111 1111 1112, version 1.2.3, DE00 1234 5678 9012 3456 78, \
                    in 2024, on 2024-01-15 10:30, error E1042, 50% off.";
        let (out, counts) = all(text);
        assert_eq!(out, text);
        assert!(counts.is_empty(), "{counts:?}");
    }
}
