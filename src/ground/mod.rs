//! The groundedness check, cairn's hallucination metric, with no LLM: every sentence of an
//! answer must find its support in the context. Its key terms (numbers, names, content words)
//! must occur in the context, and its most similar context sentence (same embedder as
//! retrieval, among a few candidates chosen by shared terms) gives the similarity and the span.
//! On HaluEval the missing terms decide almost everything; similarity breaks ties and locates
//! the support (docs/grounding.md has the measurements).

pub mod judge;
mod terms;

use std::collections::HashSet;
use std::sync::Arc;

use cairn_ingest::embed::{cosine, EmbedError, Embedder};
use serde::{Deserialize, Serialize};

use crate::llm::{ChatModel, LlmError};
use crate::text::{markers, sentences};
use judge::judge;
use terms::Kind;

/// What each kind of missing term costs a sentence's score (tuned on HaluEval's tuning split).
const NUMBER_PENALTY: f32 = 0.5;
const NAME_PENALTY: f32 = 0.2;
const PHRASE_PENALTY: f32 = 0.5;

/// A missing content word costs more the longer (rarer, more specific) it is: short ones are
/// mostly inflections and paraphrase ("says", "help"). Any of them still fails the strict
/// profile (0.25 > the 0.2 that similarity can add).
fn content_penalty(word: &str) -> f32 {
    match word.chars().count() {
        0..=4 => 0.25,
        5..=6 => 0.5,
        _ => 1.0,
    }
}
/// A claim of at most this many words ("Delhi") is embedded after the question, so that its
/// vector carries what was asked.
const SHORT_CLAIM_WORDS: usize = 4;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GroundingSettings {
    /// A sentence is supported when `similarity_weight × similarity − penalties ≥ threshold`.
    /// The default, 0.03, tolerates no missing term: right for answers that keep to their
    /// sources' words (support answers, extractive QA).
    pub threshold: f32,
    /// The `lenient` profile, for summaries and free paraphrase: about two missing long content
    /// words per sentence are tolerated.
    pub lenient_threshold: f32,
    /// The `conversational` profile, for chat replies that mix facts with remarks of their own
    /// ("I like crime fiction!").
    pub conversational_threshold: f32,
    pub similarity_weight: f32,
    /// Context sentences compared by embedding with each claim (the ones sharing most terms).
    pub candidates: usize,
    /// The profile applied to cairn's own answers.
    pub answer_profile: Profile,
    /// `lexical` (default, no LLM) or `llm_judge`: the configured chat model rules on each
    /// sentence (needs `llm.base_url`).
    pub method: Method,
}

impl Default for GroundingSettings {
    fn default() -> Self {
        Self {
            threshold: 0.03,
            lenient_threshold: -2.25,
            conversational_threshold: CONVERSATIONAL_THRESHOLD,
            similarity_weight: 0.2,
            candidates: 1,
            answer_profile: Profile::Strict,
            method: Method::Lexical,
        }
    }
}

/// Which threshold applies.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// Short answers that keep to their sources' words: no missing term tolerated.
    Strict,
    /// Summaries and free paraphrase.
    Lenient,
    /// Chat replies.
    Conversational,
    /// Picked from the answer's shape (see [`shape_profile`]); a check's result names the
    /// profile it applied.
    #[default]
    Auto,
}

/// The `conversational` threshold (chosen on HaluEval's dialogue tuning split).
const CONVERSATIONAL_THRESHOLD: f32 = -1.5;
/// An answer of at least this many sentences, or words, reads as a summary.
const SUMMARY_SENTENCES: usize = 3;
const SUMMARY_WORDS: usize = 30;

/// The profile an answer's shape calls for: a long or multi-sentence answer is a summary
/// (lenient); a shorter one that speaks as a person (I, my, yes, "love", an exclamation, a
/// question back) is a chat reply (conversational); anything else, a short answer, is strict.
pub fn shape_profile(answer: &str) -> Profile {
    let text = markers::strip(answer);
    let sentences = sentences::split(&text).len();
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
                .to_lowercase()
        })
        .collect();
    // Speaking as oneself, not addressing the reader: support answers say "you" throughout.
    const PERSONAL: &[&str] = &[
        "i",
        "i'm",
        "i've",
        "i'd",
        "i'll",
        "my",
        "mine",
        "yes",
        "yeah",
        "yep",
        "nope",
        "oh",
        "wow",
        "love",
        "favorite",
        "favourite",
    ];
    let personal = words.iter().any(|w| PERSONAL.contains(&w.as_str()))
        || text.contains('!')
        || text.trim_end().ends_with('?');
    if sentences >= SUMMARY_SENTENCES || words.len() >= SUMMARY_WORDS {
        Profile::Lenient
    } else if personal {
        Profile::Conversational
    } else {
        Profile::Strict
    }
}

/// Who decided.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    #[default]
    Lexical,
    LlmJudge,
}

/// How one sentence of the answer is supported.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct SentenceGrounding {
    /// The sentence, without its `[n]` markers.
    pub text: String,
    pub supported: bool,
    /// 0..1; 0.5 is the threshold.
    pub score: f32,
    /// The number `n` (1-based, as in citations) of the passage holding the best support.
    pub source_chunk: Option<usize>,
    /// Character offsets `[start, end)` of the best supporting sentence in that passage.
    pub span: Option<[usize; 2]>,
    /// Numbers, names and words of the sentence found nowhere in the context.
    pub missing: Vec<String>,
    /// Character offsets `[start, end)` of the sentence in the answer, with the `[n]` markers
    /// that follow it (absent from answers logged before it existed).
    #[serde(default)]
    pub answer_span: Option<[usize; 2]>,
    /// The LLM judge's verdict, when it gave a readable one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judged: Option<bool>,
}

/// The groundedness of an answer.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Grounding {
    /// The lowest sentence score (1 when there is nothing to check).
    pub score: f32,
    /// True when any sentence is unsupported.
    pub hallucinated: bool,
    /// The profile applied (never `auto`).
    pub profile: Profile,
    /// True when cairn picked the profile from the answer's shape (none was given, or `auto`).
    #[serde(default)]
    pub profile_auto: bool,
    pub method: Method,
    pub sentences: Vec<SentenceGrounding>,
}

impl Grounding {
    /// Nothing was claimed (an abstention).
    pub fn empty(profile: Profile) -> Self {
        Self {
            score: 1.0,
            hallucinated: false,
            // Nothing to take a shape from: the profile for short answers.
            profile: match profile {
                Profile::Auto => Profile::Strict,
                p => p,
            },
            profile_auto: false,
            method: Method::Lexical,
            sentences: Vec::new(),
        }
    }
}

/// What to check: an answer, the passages it was given (its `[n]` count from 1 here), and the
/// question, which gives a short answer its meaning.
#[derive(Debug, Clone)]
pub struct Check {
    pub context: Arc<[String]>,
    pub answer: String,
    pub question: Option<String>,
    pub profile: Profile,
}

#[derive(Debug, thiserror::Error)]
pub enum GroundError {
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error(transparent)]
    Panicked(#[from] crate::blocking::Panicked),
    #[error("the LLM judge failed: {error}")]
    Judge {
        error: LlmError,
        /// The lexical verdicts, which stand when the judge cannot rule.
        lexical: Box<Grounding>,
    },
}

#[derive(Clone)]
pub struct Grounder {
    embedder: Arc<dyn Embedder>,
    settings: GroundingSettings,
}

/// A sentence of the context.
struct Support<'a> {
    passage: usize,
    text: &'a str,
    span: [usize; 2],
    words: HashSet<String>,
}

/// A sentence of the answer and what the context lacks of it.
struct Claim {
    text: String,
    answer_span: Option<[usize; 2]>,
    missing: Vec<String>,
    penalty: f32,
    candidates: Vec<usize>,
}

impl Grounder {
    pub fn new(embedder: Arc<dyn Embedder>, settings: GroundingSettings) -> Self {
        Self { embedder, settings }
    }

    pub fn answer_profile(&self) -> Profile {
        self.settings.answer_profile
    }

    pub fn method(&self) -> Method {
        self.settings.method
    }

    /// The whole check: [`check`](Self::check) on the blocking pool (it runs the embedding
    /// model), then, with `Method::LlmJudge` and a model, the judge. When the judge fails the
    /// error carries the lexical verdicts, so each caller picks its own policy.
    pub async fn verify(
        &self,
        request: Check,
        method: Method,
        llm: Option<&Arc<dyn ChatModel>>,
    ) -> Result<Grounding, GroundError> {
        let grounder = self.clone();
        let context = request.context.clone();
        let lexical = crate::blocking::run(move || {
            let Check {
                context,
                answer,
                question,
                profile,
            } = request;
            grounder.check(&context, &answer, question.as_deref(), profile)
        })
        .await??;
        let (Method::LlmJudge, Some(llm)) = (method, llm) else {
            return Ok(lexical);
        };
        let mut judged = lexical.clone();
        match judge(llm.as_ref(), &context, &mut judged).await {
            Ok(()) => Ok(judged),
            Err(error) => Err(GroundError::Judge {
                error,
                lexical: Box::new(lexical),
            }),
        }
    }

    /// Checks `answer` against the `context` passages. The question, when known, gives short
    /// answers their meaning.
    pub fn check(
        &self,
        context: &[String],
        answer: &str,
        question: Option<&str>,
        profile: Profile,
    ) -> Result<Grounding, EmbedError> {
        let supports = supports(context);
        let vocabulary: HashSet<&str> = supports
            .iter()
            .flat_map(|s| s.words.iter().map(String::as_str))
            .collect();
        let sequences: Vec<Vec<String>> = context.iter().map(|p| terms::sequence(p)).collect();
        let (stripped, map) = markers::strip_mapped(answer);
        let claims: Vec<Claim> = sentences::spans(&stripped)
            .into_iter()
            .filter(|&(s, e)| stripped[s..e].chars().any(char::is_alphanumeric))
            .map(|(s, e)| {
                let mut claim = self.claim(
                    stripped[s..e].to_owned(),
                    &supports,
                    &vocabulary,
                    &sequences,
                );
                claim.answer_span = markers::original_span(answer, &map, s, e);
                claim
            })
            .collect();
        let auto = profile == Profile::Auto;
        let profile = if auto { shape_profile(answer) } else { profile };
        if claims.is_empty() {
            return Ok(Grounding {
                profile_auto: auto,
                ..Grounding::empty(profile)
            });
        }

        // A claim quoted from a passage is its own best support: similarity 1, as embedding
        // both would give, without the model. Short ones are left to the embedding, which
        // reads them with the question ("Delhi" is in many passages).
        let passages = Quotable::new(context);
        let quoted: Vec<Option<(usize, [usize; 2])>> = claims
            .iter()
            .map(|c| {
                let long = terms::tokens(&c.text).len() > SHORT_CLAIM_WORDS;
                long.then(|| passages.find(&c.text)).flatten()
            })
            .collect();
        // One embedding call: the other claims, then their candidate supports.
        let embedded: Vec<&Claim> = claims
            .iter()
            .zip(&quoted)
            .filter(|(_, q)| q.is_none())
            .map(|(c, _)| c)
            .collect();
        let wanted: Vec<usize> = {
            let mut all: Vec<usize> = embedded.iter().flat_map(|c| c.candidates.clone()).collect();
            all.sort_unstable();
            all.dedup();
            all
        };
        let mut texts: Vec<String> = embedded
            .iter()
            .map(|c| embedded_claim(c, question))
            .collect();
        texts.extend(wanted.iter().map(|&i| supports[i].text.to_owned()));
        let vectors = if texts.is_empty() {
            Vec::new()
        } else {
            self.embedder.embed(&texts)?
        };
        let (claim_vectors, support_vectors) = vectors.split_at(embedded.len().min(vectors.len()));
        let mut claim_vectors = claim_vectors.iter();

        let threshold = match profile {
            Profile::Strict | Profile::Auto => self.settings.threshold,
            Profile::Lenient => self.settings.lenient_threshold,
            Profile::Conversational => self.settings.conversational_threshold,
        };
        let sentences: Vec<SentenceGrounding> = claims
            .into_iter()
            .zip(quoted)
            .map(|(mut claim, quoted)| {
                // A quotation misses nothing of its context (a table row's rendering can look
                // like a multi-word name the passage lacks: "Description Days").
                if quoted.is_some() {
                    claim.penalty = 0.0;
                    claim.missing.clear();
                }
                let best = match quoted {
                    Some((passage, span)) => Some((passage, span, 1.0)),
                    None => {
                        let vector = claim_vectors.next();
                        claim
                            .candidates
                            .iter()
                            .filter_map(|i| {
                                let at = wanted.binary_search(i).ok()?;
                                let similarity = cosine(vector?, support_vectors.get(at)?);
                                Some((supports[*i].passage, supports[*i].span, similarity))
                            })
                            .max_by(|a, b| a.2.total_cmp(&b.2))
                    }
                };
                let similarity = best.map_or(0.0, |(_, _, s)| s);
                let margin = self.settings.similarity_weight * similarity - claim.penalty;
                let margin = margin - threshold;
                SentenceGrounding {
                    text: claim.text,
                    supported: margin >= 0.0,
                    score: 1.0 / (1.0 + (-5.0 * margin).exp()),
                    source_chunk: best.map(|(passage, _, _)| passage + 1),
                    span: best.map(|(_, span, _)| span),
                    missing: claim.missing,
                    answer_span: claim.answer_span,
                    judged: None,
                }
            })
            .collect();
        Ok(Grounding {
            score: sentences.iter().map(|s| s.score).fold(1.0, f32::min),
            hallucinated: sentences.iter().any(|s| !s.supported),
            profile,
            profile_auto: auto,
            method: Method::Lexical,
            sentences,
        })
    }

    fn claim(
        &self,
        text: String,
        supports: &[Support],
        vocabulary: &HashSet<&str>,
        sequences: &[Vec<String>],
    ) -> Claim {
        let (terms, phrases) = terms::key_terms(&text);
        let mut missing = Vec::new();
        let mut penalty = 0.0;
        for term in terms
            .iter()
            .filter(|t| !vocabulary.contains(t.key.as_str()))
        {
            penalty += match term.kind {
                Kind::Number => NUMBER_PENALTY,
                Kind::Name => NAME_PENALTY,
                Kind::Content => content_penalty(&term.key),
            };
            missing.push(term.key.clone());
        }
        for phrase in &phrases {
            if !sequences.iter().any(|s| terms::contains_run(s, phrase)) {
                penalty += PHRASE_PENALTY;
                missing.push(phrase.join(" "));
            }
        }
        // Candidates: the context sentences sharing most key terms, in document order on ties.
        let mut shared: Vec<(usize, usize)> = supports
            .iter()
            .enumerate()
            .map(|(i, s)| (terms.iter().filter(|t| s.words.contains(&t.key)).count(), i))
            .collect();
        shared.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let candidates = shared
            .into_iter()
            .take(self.settings.candidates.max(1))
            .map(|(_, i)| i)
            .collect();
        Claim {
            text,
            answer_span: None,
            missing,
            penalty,
            candidates,
        }
    }
}

fn supports(context: &[String]) -> Vec<Support<'_>> {
    let mut out = Vec::new();
    for (passage, text) in context.iter().enumerate() {
        for (start, end) in sentences::spans(text) {
            let sentence = &text[start..end];
            let char_start = text[..start].chars().count();
            out.push(Support {
                passage,
                text: sentence,
                span: [char_start, char_start + sentence.chars().count()],
                words: terms::vocabulary(sentence),
            });
        }
    }
    out
}

/// The passages with runs of whitespace read as one space, to find quotations in them, and
/// their table rows as the extractive answerer quotes them ("Team: Price $10; Storage 100 GB.").
struct Quotable {
    /// Per passage: its normalized text and, for each of its chars, the char offset in the
    /// passage.
    passages: Vec<(String, Vec<usize>)>,
    /// (row as quoted, passage, char span of the row's line in the passage).
    rows: Vec<(String, usize, [usize; 2])>,
}

impl Quotable {
    fn new(context: &[String]) -> Self {
        let passages = context
            .iter()
            .map(|text| {
                let (mut flat, mut at) = (String::new(), Vec::new());
                let mut space = false;
                for (i, c) in text.chars().enumerate() {
                    if c.is_whitespace() {
                        space = !flat.is_empty();
                        continue;
                    }
                    if space {
                        flat.push(' ');
                        at.push(i - 1);
                        space = false;
                    }
                    flat.push(c);
                    at.push(i);
                }
                (flat, at)
            })
            .collect();
        let mut rows = Vec::new();
        for (passage, text) in context.iter().enumerate() {
            let (_, body) = sentences::faq_parts(text);
            let at = text.len() - body.len();
            let chars = |byte: usize| text.get(..at + byte).map_or(0, |t| t.chars().count());
            for part in sentences::parts(body) {
                if part.kind == sentences::PartKind::TableRow {
                    let span = [chars(part.span.start), chars(part.span.end)];
                    rows.push((part.text, passage, span));
                }
            }
        }
        Self { passages, rows }
    }

    /// The first passage quoting `claim` (whitespace aside; a full stop the answer added to a
    /// list item aside) and the char span of the quotation in it.
    fn find(&self, claim: &str) -> Option<(usize, [usize; 2])> {
        let flat = claim.split_whitespace().collect::<Vec<_>>().join(" ");
        let bare = flat.strip_suffix('.').filter(|b| !b.is_empty());
        for wanted in std::iter::once(flat.as_str()).chain(bare) {
            for (passage, (text, at)) in self.passages.iter().enumerate() {
                if let Some(byte) = text.find(wanted) {
                    let start = text[..byte].chars().count();
                    let len = wanted.chars().count();
                    let end = at.get(start + len - 1).map_or(start, |last| last + 1);
                    return Some((passage, [*at.get(start)?, end]));
                }
            }
        }
        self.rows
            .iter()
            .find(|(row, _, _)| *row == flat)
            .map(|(_, passage, span)| (*passage, *span))
    }
}

fn embedded_claim(claim: &Claim, question: Option<&str>) -> String {
    match question {
        Some(q) if terms::tokens(&claim.text).len() <= SHORT_CLAIM_WORDS => {
            format!("{} {}", q.trim(), claim.text)
        }
        _ => claim.text.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fails every call: shows which checks need no model at all.
    struct NoModel;

    impl Embedder for NoModel {
        fn model_id(&self) -> &str {
            "none"
        }
        fn dimension(&self) -> usize {
            384
        }
        fn embed(&self, _: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
            Err(EmbedError::Inference("the model was called".into()))
        }
    }

    #[test]
    fn a_quoted_sentence_is_supported_where_it_stands_without_the_model() {
        let grounder = Grounder::new(Arc::new(NoModel), GroundingSettings::default());
        let context = vec![
            "Other text.".to_owned(),
            "Intro. Trash keeps deleted notes\n   for 30 days before it is emptied.".to_owned(),
        ];
        let answer = "Trash keeps deleted notes for 30 days before it is emptied [2].";
        let g = grounder
            .check(&context, answer, None, Profile::Strict)
            .expect("no embedding needed");
        let s = &g.sentences[0];
        assert!(s.supported && !g.hallucinated);
        assert_eq!(s.source_chunk, Some(2));
        let [start, end] = s.span.unwrap();
        let quoted: String = context[1].chars().skip(start).take(end - start).collect();
        assert_eq!(
            quoted,
            "Trash keeps deleted notes\n   for 30 days before it is emptied."
        );
        // A table row quoted as the extractive answerer renders it is a quotation too.
        let table = vec!["| Key | Description |\n|---|---|\n| retention_days | Days that notes stay in the Trash |".to_owned()];
        let row = "retention_days: Description Days that notes stay in the Trash. [1]";
        let g = grounder
            .check(&table, row, None, Profile::Strict)
            .expect("no model");
        assert!(!g.hallucinated);
        let [start, end] = g.sentences[0].span.unwrap();
        assert!(table[0][start..end].starts_with("| retention_days"));
        // A sentence that is not a quotation still needs the model.
        assert!(grounder
            .check(
                &context,
                "Trash keeps notes for a week.",
                None,
                Profile::Strict
            )
            .is_err());
    }

    #[test]
    fn the_answer_shape_picks_the_profile() {
        assert_eq!(shape_profile("Delhi"), Profile::Strict);
        // Support answers address the reader: still a short answer.
        assert_eq!(
            shape_profile("You are charged $10 per user on the monthly plan [1]."),
            Profile::Strict
        );
        assert_eq!(
            shape_profile("I love that film! Jake Gyllenhaal starred in it too."),
            Profile::Conversational
        );
        let summary = "The council approved the budget. Schools get more money. \
                       Roads get less. The vote was close.";
        assert_eq!(shape_profile(summary), Profile::Lenient);
    }
}
