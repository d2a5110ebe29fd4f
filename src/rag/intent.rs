//! What kind of answer a question wants ("how long" wants a duration, "can I" a yes or no with
//! its condition), and whether a sentence has that shape. The extractive answerer prefers
//! sentences of the right shape, and abstention counts a missing one as weak evidence.

use std::sync::LazyLock;

use regex::Regex;

/// The shape of answer a question asks for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Intent {
    /// "How long …", "how soon", "after how many days": a span of time.
    Duration,
    /// "How many / how much / how big / what is the maximum": a number.
    Quantity,
    /// "How much does it cost": a price.
    Price,
    /// "When …", "which version": a date or a version.
    When,
    /// "Why …": a reason.
    Reason,
    /// "How do I …": a command, a setting or steps.
    Procedure,
    /// "Can I / does it / is there …": yes or no, with its condition.
    YesNo,
    /// Anything else ("what is", "which option").
    #[default]
    Other,
}

impl Intent {
    /// Whether the answer must hold a number, date or price: a sentence without one cannot be
    /// the answer, however similar it is.
    pub fn wants_figure(self) -> bool {
        matches!(
            self,
            Self::Duration | Self::Quantity | Self::Price | Self::When
        )
    }
}

macro_rules! re {
    ($pattern:expr) => {
        LazyLock::new(|| Regex::new($pattern).expect("a valid built-in pattern"))
    };
}

const NUMBER: &str = r"(\d[\d,.]*|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|ninety|hundred|thousand|million|billion|a few|several|a)";
static DURATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?i)\b{NUMBER}[\s-]*(milliseconds?|ms|seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|nights?)\b|\b(forever|indefinitely|immediately|instantly|hourly|daily|weekly|monthly|yearly|annually|overnight)\b"
    ))
    .expect("a valid built-in pattern")
});
static FIGURE: LazyLock<Regex> = re!(
    r"(?i)\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|fifty|hundred|thousand|million|billion|trillion|unlimited|no limit|no maximum|dozens?|single|double|twice|half)\b"
);
static PRICE: LazyLock<Regex> = re!(
    r"(?i)[$€£¥]|\b(free|usd|eur|gbp|dollars?|euros?|cents?|price[sd]?|cost|costs|per month|per year|a month|a year|/month|/year|charged?|fee|billed)\b"
);
static WHEN: LazyLock<Regex> = re!(
    r"(?i)\b(1[89]\d\d|20\d\d)\b|\b(january|february|march|april|june|july|august|september|october|november|december)\b|\bv?\d+\.\d+|\b(version|released?|introduced in|added in)\b"
);
static REASON: LazyLock<Regex> = re!(
    r"(?i)\b(because|since|due to|so that|in order to|the reason|reasons?|this is why|that is why|as a result|otherwise|to avoid|to prevent|to ensure|to make sure|which means|caused by|causes?|results? in|that way|so as to)\b"
);
/// Something to type: a quoted command, an option, a dotted or snake_case name, a path, a key.
static CODE: LazyLock<Regex> = re!(
    r"(`|(^|\s)--?[a-z]|\b[a-z_]+\.[a-z_]+\b|\b[a-z]+_[a-z_]+\b|(^|\s)[~.]?/[a-z]|\b[a-z]+\(|\b(Ctrl|Alt|Shift|Meta|M)[-+]\S|\^[A-Z])"
);
static PROCEDURE: LazyLock<Regex> = re!(
    r"(?i)\b(use|run|set|add|type|press|open|click|choose|select|enter|install|edit|create|change|configure|enable|disable|disabled|put|go to|remove|delete|call|invoke|specify|pass|write|copy|move|restart|upgrade|command|option|setting|flag|key|menu)\b"
);
static YES_NO: LazyLock<Regex> = re!(
    r"(?i)\b(yes|no|not|cannot|can't|can|may|must|only|unless|if|never|always|supports?|supported|allows?|allowed|possible|impossible|requires?|required|does|doesn't|will|won't|is|are)\b"
);
static ASKS_PRICE: LazyLock<Regex> = re!(
    r"(?i)\b(cost|costs|price|pricing|pay|charge|charged|fee|fees|bill|billed|expensive|cheap)\b"
);
static ASKS_TIME: LazyLock<Regex> = re!(
    r"(?i)\b(take|takes|keep|kept|last|lasts|wait|stay|stays|remain|retain|retained|store[sd]?|until|before|expire|expires|timeout|time out|valid|held|hold)\b"
);
/// "How long can a name be", "how long is the limit": a length, not a span of time.
static ASKS_LENGTH: LazyLock<Regex> =
    re!(r"(?i)\b(be|name|string|line|text|password|key|path|filename|field|column|value)\b");
static ASKS_QUANTITY: LazyLock<Regex> = re!(
    r"(?i)\b(how (many|much|big|large|small|far|often|fast|high|low|deep)|what('s| is| are)? the (max|maximum|minimum|min|largest|biggest|smallest|highest|lowest|limit|size|number|default number|length)|maximum|minimum|max|largest|biggest|upper limit|limit on|size limit|how many)\b"
);
static ASKS_WHEN: LazyLock<Regex> = re!(
    r"(?i)^(when\b|since when|what (year|date|day|month)|which (version|release|year))|\b(what|which) version\b"
);
static ASKS_PROCEDURE: LazyLock<Regex> = re!(
    r"(?i)\b(how (do|can|should|would) (i|we|you|one)|how to|what('s| is) the (command|option|setting|flag|key|way)|which (command|option|setting|flag|key|file)|what (command|option|setting|flag|key|file)|steps?)\b"
);
static ASKS_YES_NO: LazyLock<Regex> = re!(
    r"(?i)^(can|could|does|do|is|are|will|would|should|may|must|am|was|were|has|have|did|shall)\b"
);

/// The answer shape `question` asks for.
pub fn of(question: &str) -> Intent {
    let lower = question.trim().to_lowercase();
    // The sentence that asks: the last one ending with '?' ("I deleted a note. How long do I
    // have? Thanks!"), else the whole text.
    let sentences = crate::text::sentences::split(&lower);
    let asked = sentences
        .iter()
        .rev()
        .find(|s| s.ends_with('?'))
        .map_or(lower.as_str(), String::as_str);
    if asked.contains("how long") || asked.contains("how soon") || asked.contains("how quickly") {
        // "How long can a name be" asks for a length, not a span of time.
        return if ASKS_TIME.is_match(asked) || !ASKS_LENGTH.is_match(asked) {
            Intent::Duration
        } else {
            Intent::Quantity
        };
    }
    if asked.contains("how much") && ASKS_PRICE.is_match(asked)
        || ASKS_PRICE.is_match(asked) && asked.starts_with("what")
    {
        return Intent::Price;
    }
    if ASKS_QUANTITY.is_match(asked) {
        return Intent::Quantity;
    }
    if ASKS_WHEN.is_match(asked) {
        return Intent::When;
    }
    if asked.starts_with("why") || asked.contains(" why ") {
        return Intent::Reason;
    }
    if ASKS_PROCEDURE.is_match(asked) {
        return Intent::Procedure;
    }
    if ASKS_YES_NO.is_match(asked) || asked.contains(" possible") || asked.contains("is there") {
        return Intent::YesNo;
    }
    Intent::Other
}

/// How well `sentence` has the shape `intent` wants: 1 for a clear match, 0 for none.
pub fn fits(intent: Intent, sentence: &str) -> f32 {
    let hit = |re: &Regex| -> f32 {
        if re.is_match(sentence) {
            1.0
        } else {
            0.0
        }
    };
    match intent {
        Intent::Duration => (hit(&DURATION)).max(0.3 * hit(&FIGURE)),
        Intent::Quantity => hit(&FIGURE),
        Intent::Price => hit(&PRICE).max(0.3 * hit(&FIGURE)),
        Intent::When => hit(&WHEN).max(0.3 * hit(&FIGURE)),
        Intent::Reason => hit(&REASON),
        // A command to type answers "how do I" best; an instruction in words, half as well.
        Intent::Procedure => hit(&CODE).max(0.5 * hit(&PROCEDURE)),
        Intent::YesNo => 0.5 * hit(&YES_NO),
        Intent::Other => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_words_give_the_intent() {
        let cases = [
            ("How long are deleted notes kept?", Intent::Duration),
            (
                "I removed a page by mistake. How long do I have to get it back?",
                Intent::Duration,
            ),
            ("How long can a table name be?", Intent::Quantity),
            (
                "How long is the interval between checkpoints?",
                Intent::Duration,
            ),
            ("How many devices can I sync?", Intent::Quantity),
            ("What is the maximum size of a BLOB?", Intent::Quantity),
            ("How much does the Team plan cost per month?", Intent::Price),
            ("Why does my backup run slowly?", Intent::Reason),
            ("How do I turn off line wrapping?", Intent::Procedure),
            ("Can I use it offline?", Intent::YesNo),
            ("Which version added the undo key?", Intent::When),
            ("What is a checkpoint?", Intent::Other),
            ("How long does borg 1.2 keep checkpoints?", Intent::Duration),
            (
                "How long are notes kept? I deleted one. Thanks!",
                Intent::Duration,
            ),
            ("How do I edit ~/.nanorc?", Intent::Procedure),
        ];
        for (q, want) in cases {
            assert_eq!(of(q), want, "{q}");
        }
    }

    #[test]
    fn sentences_fit_by_shape() {
        assert_eq!(
            fits(Intent::Duration, "Deleted notes are kept for 30 days."),
            1.0
        );
        assert_eq!(
            fits(Intent::Duration, "Deleted notes go to the trash."),
            0.0
        );
        assert_eq!(fits(Intent::Price, "The Team plan is $10 per user."), 1.0);
        assert_eq!(
            fits(Intent::Reason, "It is slow because it hashes every file."),
            1.0
        );
        assert_eq!(
            fits(Intent::Procedure, "Run `nano --nowrap` to turn it off."),
            1.0
        );
    }
}
