//! Words of a text: one stopword list, content words and names, shared by answering (overlap,
//! abstention on unknown names) and the groundedness check (key terms).

use unicode_segmentation::UnicodeSegmentation;

/// English function words and frequent verbs that carry no claim of their own.
pub const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "either",
    "else",
    "ever",
    "every",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "however",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "least",
    "less",
    "many",
    "may",
    "me",
    "might",
    "more",
    "most",
    "much",
    "must",
    "my",
    "myself",
    "neither",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "often",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "others",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "per",
    "perhaps",
    "rather",
    "same",
    "she",
    "should",
    "since",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "though",
    "through",
    "thus",
    "to",
    "too",
    "under",
    "until",
    "up",
    "upon",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "whether",
    "which",
    "while",
    "who",
    "whom",
    "whose",
    "why",
    "will",
    "with",
    "within",
    "without",
    "would",
    "yet",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "said",
    "says",
    "say",
    "saying",
    "told",
    "tell",
    "according",
    "made",
    "make",
    "makes",
    "making",
    "get",
    "gets",
    "got",
    "take",
    "taken",
    "takes",
    "went",
    "go",
    "goes",
    "going",
    "come",
    "came",
    "comes",
    "like",
    "well",
    "even",
    "still",
    "back",
    "way",
    "new",
    "yes",
    "another",
    "around",
    "among",
    "across",
    "along",
    "already",
    "although",
    "always",
    "became",
    "become",
    "becomes",
    "instead",
    "including",
    "include",
    "includes",
    "included",
    "known",
    "called",
    "later",
    "last",
    "first",
    "second",
    "several",
    "onto",
    "via",
    "whatever",
    "whenever",
    "wherever",
    "something",
    "someone",
    "anything",
    "nothing",
];

pub fn is_stopword(lowercase: &str) -> bool {
    STOPWORDS.contains(&lowercase)
}

/// Lowercased words of `text` that are not stopwords, with a light plural folding.
pub fn content_words(text: &str) -> Vec<String> {
    text.unicode_words()
        .map(str::to_lowercase)
        .filter(|w| !is_stopword(w))
        .map(|w| fold(&w))
        .collect()
}

/// Whether `word`, at position `index` of its sentence, is a name: an acronym ("HIPAA") or a
/// capitalised word that does not start the sentence ("Salesforce"). Stopwords, the pronoun
/// "I" and one-letter words are not names.
pub fn is_name(word: &str, index: usize) -> bool {
    let mut chars = word.chars();
    let first_upper = chars.next().is_some_and(char::is_uppercase);
    let long_enough = word.chars().count() >= 2;
    let acronym = long_enough && word.chars().all(char::is_uppercase);
    let pronoun = word == "I" || word.starts_with("I'") || word.starts_with("I\u{2019}");
    long_enough
        && !pronoun
        && !is_stopword(&word.to_lowercase())
        && (acronym || (first_upper && index > 0))
}

/// Names in a question (see [`is_name`]). Words with digits are left out: versions and amounts
/// are often asked about in forms the documents do not spell out.
pub fn names(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for sentence in text.split_sentence_bounds() {
        for (i, word) in sentence.unicode_words().enumerate() {
            let has_digit = word.chars().any(|c| c.is_ascii_digit());
            if is_name(word, i) && !has_digit && !out.iter().any(|w| w == word) {
                out.push(word.to_owned());
            }
        }
    }
    out
}

fn fold(word: &str) -> String {
    match word.strip_suffix('s') {
        Some(stem) if stem.len() >= 3 && !stem.ends_with('s') => stem.to_owned(),
        _ => word.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_skip_sentence_starts_and_numbers() {
        let q = "Does Tidepool work with Salesforce? Why not HIPAA in v1 or 3.7? I've asked.";
        assert_eq!(names(q), ["Tidepool", "Salesforce", "HIPAA"]);
    }

    #[test]
    fn content_words_drop_stopwords_and_fold_plurals() {
        assert_eq!(
            content_words("How do I restore the backups?"),
            ["restore", "backup"]
        );
    }
}
