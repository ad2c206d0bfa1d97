//! Dutch speaker attribution (docs/matching.md §8): who the source names as saying a quote.
//!
//! Takes an article's extracted text (paragraphs separated by `"\n\n"`) and the
//! **character** span of a matched quote in it, and returns the [`Speaker`] the article
//! names, or `None` when it names nobody.
//!
//! How: find the enclosing quotation(s) with [`crate::locate::quotemarks`] (a match inside a
//! nested quotation takes its outer quotation; a span over an attribution interruption
//! gives two pieces), then try, in order:
//!
//! | rule id | pattern | example |
//! | --- | --- | --- |
//! | `say-after` | `, (zo) zegt/zei/vertelt/stelt/…` SPK right after the closer | ‘…’, zegt directeur Jan de Vries. |
//! | `aldus` | `, aldus` SPK | ‘…,’ aldus minister Ollongren. |
//! | `separable-verb` | `legt` SPK `uit`, `licht … toe`, `vult … aan`, `voegt … toe`, `merkt … op`, `geeft … aan`, … | ‘…’, legt Anne Jansen uit. |
//! | `volgens` | `volgens` SPK in the quote's sentence (either side) | Volgens staatssecretaris Knops is ‘…’. |
//! | `split-quote` | an attribution between two pieces of the span | ‘…,’ zegt X. ‘…’ |
//! | `colon` | SPK (verb …) `:` before the opener, also at the end of the previous paragraph | De directeur: ‘…’ / Jansen is duidelijk: ‘…’ |
//! | `say-before` | SPK + say verb earlier in the quote's sentence (indirect speech) | Jansen zegt dat het ‘…’ is. |
//! | `dat-zegt` | a following `Dat/Dit zegt/stelt/schrijft` SPK sentence | ‘…’ Dat zegt X in een interview. |
//! | `blockquote-line` | a short line after the quote's paragraph: `— NAME, role` | — Jan de Vries, wethouder |
//! | `label` | a paragraph that is only `NAME:` above the words | Menno de Wit: ¶ Wij hebben … |
//! | `name-line` | a quote paragraph under a portrait's name line (and role line) | Anouk Bos ↵ coördinator ¶ ‘…’ |
//! | `subject` | a quote standing as a sentence of its own: the subject of the sentence before | Volgens Van Dam heerst er onrust. ‘…’ |
//! | `next-subject` | a paragraph that is only the quote: a named subject opening the next one | ‘…’ ¶ Burgemeester Visser keurde het plan af. |
//! | `previous-quote` | none of these, but an earlier quotation in the same paragraph has a speaker | ‘…’, vertelt X. ‘…’ |
//!
//! The verbs come from the lexicon `speaker/verbs.txt` (all finite forms, with the particle
//! of a separable verb); `,,` counts as an opening mark. [`attribute`] also reads the page's
//! headline (as a paragraph before the text), names how the speaker was found
//! ([`Speaker::confidence`]) and, when two people are equally likely, gives no speaker but a
//! note. An organisation (`aldus de gemeente`) is never a speaker.
//!
//! A pronoun (`zegt ze`) resolves to the person the sentences before are about (their
//! subject, walking back over pronouns), a bare role (`zegt de burgemeester`) to the
//! nearest person given that role; the rule id then
//! gets a `+pronoun` or `+role` suffix. The name returned is always the fullest form found in
//! the article (`Gabriël van den Brink` for `Van den Brink`).
//!
//! SPK = optional `de/het/een` + optional role (+ `van/bij` organisation) + optional title +
//! NAME, or a role alone, or a pronoun. NAME = capitalised tokens and initials with one
//! group of lower-case particles (`van`, `de`, `der`, `den`, `ter`, `ten`, …) before the
//! surname, or a capitalised particle group when the surname stands alone (`Van der Berg`).

use std::ops::Range;

use crate::locate::quotemarks::{self, Quotation};

mod lexicon;
pub mod set;

use lexicon::{is_plural, is_say_verb, separable_particles};

/// The finder's answer for one quote: a speaker, or none with a note when the article
/// names two people equally likely to have said it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attribution {
    /// Who says it.
    pub speaker: Option<Speaker>,
    /// Why the speaker was left empty, when candidates tied.
    pub note: Option<String>,
}

/// The speaker of the quote at **character** offsets `start..end` of `text`, with the page's
/// headline `title` for interviews and portraits that name the person only there.
///
/// The headline is read as a paragraph before the text: a person it names can be the
/// interviewee, or the one a bare role (`vertelt de burgemeester`) stands for.
pub fn attribute(text: &str, title: Option<&str>, start: usize, end: usize) -> Attribution {
    // A huge text is read around the quote only: tokenizing all of a 10 MiB page took
    // ~250 MB at the end of `run` (issue #18), more than the whole check stage.
    let narrowed = narrow(text, start, end);
    let (text, start, end) = match &narrowed {
        Some((text, start, end)) => (text.as_str(), *start, *end),
        None => (text, start, end),
    };
    let title = title
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty());
    let (full, shift) = match &title {
        Some(t) => (format!("{t}\n\n{text}"), t.chars().count() + 2),
        None => (text.to_string(), 0),
    };
    let found = find(&full, start + shift, end + shift, shift > 0);
    if found.speaker.is_some() || found.note.is_some() {
        return found;
    }
    // The interviewee: named in the headline, else in the lead.
    let speaker = interviewee(&full, start + shift)
        .or_else(|| (shift > 0).then(|| interviewee(text, start)).flatten());
    Attribution {
        speaker,
        note: None,
    }
}

/// Texts longer than this are narrowed by [`narrow`]: far above any article's length.
const NARROW_ABOVE: usize = 256 * 1024;
/// What [`narrow`] keeps: the text's head (headline, lead), and the paragraphs before and
/// after the quote (the people named before it, the attribution after it).
const NARROW_HEAD: usize = 16 * 1024;
const NARROW_BEFORE: usize = 96 * 1024;
const NARROW_AFTER: usize = 16 * 1024;

/// For a text over [`NARROW_ABOVE`] bytes: its head and whole paragraphs around the
/// character span `start..end`, joined as paragraphs, with the span's character offsets in
/// it. `None` for a text short enough to read whole (or a span outside it).
fn narrow(text: &str, start: usize, end: usize) -> Option<(String, usize, usize)> {
    if text.len() <= NARROW_ABOVE {
        return None;
    }
    let (start, end) = (start.min(end), end.max(start));
    let b_start = char_to_byte(text, start)?;
    let b_end = b_start + char_to_byte(&text[b_start..], end - start)?;
    let floor = |mut at: usize| {
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    let low = floor(b_start.saturating_sub(NARROW_BEFORE));
    let from = text[low..b_start].find("\n\n").map_or(low, |i| low + i + 2);
    let high = floor((b_end + NARROW_AFTER).min(text.len()));
    let to = text[b_end..high].rfind("\n\n").map_or(high, |i| b_end + i);
    let head = floor(NARROW_HEAD.min(from));
    let head = text[..head].rfind("\n\n").unwrap_or(head);
    let (kept, shift) = if from <= head + 2 {
        (text[..to].to_string(), 0)
    } else if head == 0 {
        (text[from..to].to_string(), text[..from].chars().count())
    } else {
        let mut kept = String::with_capacity(head + 2 + to - from);
        kept.push_str(&text[..head]);
        kept.push_str("\n\n");
        kept.push_str(&text[from..to]);
        // The characters left out between the head and the window.
        (kept, text[head + 2..from].chars().count())
    };
    Some((kept, start - shift, end - shift))
}

/// The patterns of [`speaker_for`] with an ambiguity note; `titled` when the text's first
/// paragraph is the page's headline.
fn find(text: &str, start: usize, end: usize, titled: bool) -> Attribution {
    let text = &*low_double_comma(text);
    let (Some(b_start), Some(b_end)) = (
        char_to_byte(text, start.min(end)),
        char_to_byte(text, end.max(start)),
    ) else {
        return Attribution::default();
    };
    let quotes = quotemarks::quotations(text);
    let toks = tokenize(text);
    let mut article = Article::new(text, &toks, &quotes);
    if titled {
        article.title_end = text.find("\n\n").unwrap_or(0);
    }
    let ctx = ArticleContext {
        text,
        quotes: &quotes,
        toks: &toks,
        article: &article,
    };
    let speaker = ctx.speaker_at(b_start..b_end, MAX_PREVIOUS_QUOTES);
    let note = article.note.borrow().clone();
    Attribution {
        speaker: speaker.filter(|_| note.is_none()),
        note,
    }
}

/// The person an article names as saying a quote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Speaker {
    /// The fullest form of the name in the article (`Gabriël van den Brink`).
    pub name: String,
    /// Role or function, as the article gives it (`wethouder`, `directeur van de GGD`).
    pub role: Option<String>,
    /// Which pattern found it (see the module table), with `+pronoun`/`+role` when the
    /// speaker was resolved from a pronoun or a bare role.
    pub rule: &'static str,
    /// How the speaker was found, for the report's `speaker_confidence` column:
    /// `adjacent_verb`, `previous_sentence`, `next_sentence`, `pronoun`, `role`, `qa`,
    /// `title`, `label`, `blockquote` or `previous_quote`.
    pub confidence: &'static str,
}

/// The speaker of the quote at **character** offsets `start..end` (Unicode scalar values,
/// `end` exclusive) of `text` (an article's extracted text, paragraphs separated by
/// `"\n\n"`). The span may include attribution interruptions (‘…,’ zegt X. ‘…’).
/// `None` when the article names nobody, or the offsets lie outside the text.
#[cfg(test)]
pub fn speaker_for(text: &str, start: usize, end: usize) -> Option<Speaker> {
    find(text, start, end, false).speaker
}

/// The interviewee of a Q&A article, for an answer that carries no attribution of its own:
/// the article has at least two short question paragraphs, the match at character `start`
/// is not in one of them, and the lead (first paragraph) names a person with at least a
/// given name and a surname. That person, in the fullest form the article gives, speaks.
pub fn interviewee(text: &str, start: usize) -> Option<Speaker> {
    let text = &*low_double_comma(text);
    let at = char_to_byte(text, start)?;
    let paragraphs: Vec<(usize, &str)> = {
        let mut out = Vec::new();
        let mut offset = 0;
        for p in text.split("\n\n") {
            out.push((offset, p));
            offset += p.len() + 2;
        }
        out
    };
    let is_question = |p: &str| {
        let p = p.trim();
        p.ends_with('?') && p.chars().count() < 300
    };
    if paragraphs.iter().filter(|(_, p)| is_question(p)).count() < 2 {
        return None;
    }
    let (_, here) = paragraphs.iter().rev().find(|(offset, _)| *offset <= at)?;
    if is_question(here) {
        return None;
    }
    let (_, lead) = paragraphs.iter().find(|(_, p)| !p.trim().is_empty())?;
    let lead_end = lead.len();
    let quotes = quotemarks::quotations(text);
    let toks = tokenize(text);
    let article = Article::new(text, &toks, &quotes);
    let mention = article
        .mentions
        .iter()
        .find(|m| m.start < lead_end && !m.in_quote && m.tokens.len() >= 2)?;
    let (name, m) = article.fullest(&mention.tokens, mention.start)?;
    Some(Speaker {
        name: join_name(&name),
        role: article.role_of(m),
        rule: "interview",
        confidence: "qa",
    })
}

/// How many earlier quotations of the same paragraph may lend their speaker
/// (`‘…’, vertelt Voortman. ‘…’ Ze lacht. ‘…’`).
const MAX_PREVIOUS_QUOTES: usize = 4;

/// One article, parsed once per call.
struct ArticleContext<'a> {
    text: &'a str,
    quotes: &'a [Quotation],
    toks: &'a [Tok<'a>],
    article: &'a Article,
}

impl ArticleContext<'_> {
    /// The speaker of the quote at byte range `span`; `budget` bounds the walk back over
    /// earlier quotations of the same paragraph.
    fn speaker_at(&self, span: Range<usize>, budget: usize) -> Option<Speaker> {
        let (text, toks) = (self.text, self.toks);
        let pieces = quotemarks::outermost_overlapping(self.quotes, span.clone());
        let open_at = pieces.first().map_or(span.start, |q| q.open.start);
        let close_at = pieces.last().map_or(span.end, |q| q.outer().end);
        let after = toks.partition_point(|t| t.start < close_at);
        let before = toks.partition_point(|t| t.end <= open_at);
        let found = right_of_closer(text, toks, after)
            .or_else(|| split_quote(text, toks, &pieces))
            .or_else(|| left_of_opener(text, toks, before))
            .or_else(|| dat_zegt(text, toks, after))
            .or_else(|| blockquote_line(text, close_at));
        if let Some((raw, pattern)) = found {
            return self.resolve(&raw, pattern, open_at);
        }
        if let Some(sp) = self.unmarked(open_at, close_at) {
            return Some(sp);
        }
        // A later quotation in the paragraph of an attributed one: its speaker goes on
        // (`‘…’, vertelt Voortman. ‘Dat was spannend.’`).
        let previous = self
            .quotes
            .iter()
            .rev()
            .find(|q| q.depth == 0 && q.outer().end <= open_at)
            .filter(|q| !text[q.outer().end..open_at].contains('\n'))?;
        let speaker = self.speaker_at(previous.content.clone(), budget.checked_sub(1)?)?;
        Some(Speaker {
            rule: "previous-quote",
            confidence: "previous_quote",
            ..speaker
        })
    }
}

/// The text with each `,,` opening mark (the typewriter form of `„`, common in Dutch
/// regional news) turned into ` "`: same byte and character offsets, and an opener the
/// quotation parser knows ([`quotemarks::low_double_comma_opens`] decides).
fn low_double_comma(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(",,") {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let mut prev: Option<char> = None;
    while let Some(at) = rest.find(",,") {
        let before = rest[..at].chars().next_back().or(prev);
        let after = rest[at + 2..].chars().next();
        out.push_str(&rest[..at]);
        let opens = quotemarks::low_double_comma_opens(before, after);
        out.push_str(if opens { " \"" } else { ",," });
        prev = Some(',');
        rest = &rest[at + 2..];
    }
    out.push_str(rest);
    std::borrow::Cow::Owned(out)
}

/// A name's tokens as one string, initials kept together (`J.P. van der Linden`).
fn join_name(tokens: &[String]) -> String {
    let initial = |t: &str| t.ends_with('.') && t.chars().count() <= 3;
    let mut out = String::new();
    for (i, t) in tokens.iter().enumerate() {
        if i > 0 && !(initial(&tokens[i - 1]) && initial(t)) {
            out.push(' ');
        }
        out.push_str(t);
    }
    out
}

/// Byte offset of character `idx` (or the text's length when `idx` is its char count).
fn char_to_byte(text: &str, idx: usize) -> Option<usize> {
    text.char_indices()
        .map(|(b, _)| b)
        .chain(std::iter::once(text.len()))
        .nth(idx)
}

// ---------------------------------------------------------------------------------------
// Word lists

/// Role words (lower case). A compound ending in one (`jeugdwethouder`,
/// `GGD-directeur`, `oud-minister`) counts too.
#[rustfmt::skip]
const ROLES: &[&str] = &[
    "minister", "staatssecretaris", "premier", "burgemeester", "wethouder", "gedeputeerde",
    "commissaris", "raadslid", "kamerlid", "statenlid", "directeur", "directeur-generaal",
    "directrice", "secretaris-generaal", "programmamanager", "projectleider", "projectmanager",
    "manager", "teamleider", "hoogleraar", "lector", "onderzoeker", "onderzoekster",
    "promovendus", "socioloog", "psycholoog", "econoom", "politicoloog", "filosoof",
    "historicus", "bestuurskundige", "woordvoerder", "woordvoerster", "voorzitter",
    "voorzitster", "adviseur", "ambtenaar", "bestuurder", "coördinator", "coordinator",
    "medewerker", "secretaris", "griffier", "ombudsman", "dijkgraaf", "ondernemer", "oprichter",
    "eigenaar", "initiatiefnemer", "bewoner", "inwoner", "journalist", "auteur", "schrijver",
    "deskundige", "expert", "specialist", "consultant", "docent", "leraar", "arts", "wijkagent",
    "kwartiermaker", "regisseur", "strateeg", "ceo", "topman", "topvrouw", "bestuursvoorzitter",
    "gemeentesecretaris", "trainer", "coach", "aanvoerder", "presentator", "presentatrice",
    "fractievoorzitter", "penningmeester", "winkelier", "chauffeur", "vrijwilliger",
    "coördinatrice", "buurtcoördinator", "kinderarts", "huisarts", "advocaat", "officier",
    "rechter", "bioloog", "ecoloog", "wetenschapper", "predikant", "pastor",
    "dominee", "bisschop", "directielid", "bestuurslid", "ondernemer", "zorgdirecteur",
    "vakbondsbestuurder", "bloemist", "ambassadeur",
    "fractieleider", "partijleider", "lijsttrekker", "senator", "europarlementariër",
    "gemeenteraadslid", "dorpsraadvoorzitter", "chef", "hoofdredacteur", "verslaggever",
    "correspondent", "analist", "zegsman", "zegsvrouw", "woordvoerster",
    // English and German.
    "mayor", "spokesperson", "spokesman", "spokeswoman", "professor", "director", "chairman",
    "chairwoman", "councillor", "president", "governor", "bürgermeister", "bürgermeisterin",
    "sprecher", "sprecherin", "ministerin", "professorin", "direktor", "direktorin",
    "kanzler", "kanzlerin", "vorsitzende",
];

/// Lower-case name particles (`van`, `de`, …).
#[rustfmt::skip]
const PARTICLES: &[&str] = &[
    "van", "de", "der", "den", "ter", "ten", "te", "'t", "’t", "het", "in", "la", "le", "du",
    "da", "di", "von", "vande", "vander", "op",
];

/// Titles that may stand before a name.
#[rustfmt::skip]
const TITLES: &[&str] = &[
    "dr.", "prof.", "mr.", "drs.", "ir.", "ing.", "dhr.", "mevr.", "mevrouw", "meneer", "heer",
    "ds.", "dr", "prof", "mr", "drs", "ir",
];

/// Capitalised words that start sentences but never names.
#[rustfmt::skip]
const NOT_NAMES: &[&str] = &[
    "de", "het", "een", "dat", "dit", "die", "deze", "daar", "daarom", "daarover", "daarnaast",
    "daarbij", "daarna", "daardoor", "dan", "dus", "en", "of", "maar", "want", "ook", "toch",
    "nog", "nu", "zo", "al", "als", "wat", "wie", "waar", "hoe", "waarom", "wanneer", "hij",
    "zij", "ze", "we", "wij", "ik", "je", "jij", "u", "hun", "hen", "men", "er", "in", "op",
    "bij", "met", "voor", "na", "naar", "over", "uit", "aan", "door", "tot", "om", "onder",
    "tussen", "tijdens", "volgens", "sinds", "zonder", "ondanks", "vanwege", "binnen", "buiten",
    "sommige", "veel", "meer", "alle", "elke", "ieder", "iedereen", "geen", "niet", "wel", "ja",
    "nee", "aldus", "toen", "later", "eerder", "inmiddels", "intussen", "zelf", "samen", "hier",
    "ons", "onze", "mijn", "zijn", "haar", "hoewel", "omdat", "terwijl", "januari", "februari",
    "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november",
    "december", "maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag",
    "the", "a", "an", "and", "this", "that", "he", "she", "it", "they", "but", "so", "laut",
    "er", "sie", "es", "der", "die", "das", "und", "aber",
];

/// Subject pronouns that stand for a person.
const PRONOUNS: &[&str] = &["hij", "zij", "ze", "he", "she", "er"];

/// Adverbs that may stand between a say verb and its subject (`zegt ook Jansen`).
#[rustfmt::skip]
const ADVERBS: &[&str] = &[
    "ook", "nu", "dan", "daarom", "daarover", "desgevraagd", "achteraf", "nog", "wel", "zelf",
    "eerlijk", "stellig", "lachend", "tevreden", "vandaag", "gisteren", "later",
];

fn is_role(lower: &str) -> bool {
    ROLES.contains(&lower)
        || ROLES
            .iter()
            .any(|r| lower.len() > r.len() + 2 && lower.ends_with(r) && r.len() >= 6)
}

// ---------------------------------------------------------------------------------------
// Tokens

/// One word or punctuation character, with its byte range.
#[derive(Debug, Clone, Copy)]
struct Tok<'a> {
    s: &'a str,
    start: usize,
    end: usize,
    word: bool,
}

impl Tok<'_> {
    fn lower(&self) -> String {
        self.s.to_lowercase()
    }
    fn is(&self, p: &str) -> bool {
        self.s == p
    }
    /// A sentence or paragraph boundary.
    fn boundary(&self) -> bool {
        matches!(self.s, "." | "!" | "?" | "\n")
    }
    fn capitalised(&self) -> bool {
        self.word && self.s.starts_with(char::is_uppercase)
    }
    fn is_dash(&self) -> bool {
        matches!(self.s, "-" | "–" | "—" | "―" | "~")
    }
}

/// Words (letters and digits, with inner hyphens and apostrophes, initials and titles with
/// their full stop) and single punctuation characters; each newline is a token too.
fn tokenize(text: &str) -> Vec<Tok<'_>> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = Vec::new();
    let mut k = 0;
    while k < chars.len() {
        let (pos, c) = chars[k];
        if c == '\n' {
            out.push(Tok {
                s: &text[pos..pos + 1],
                start: pos,
                end: pos + 1,
                word: false,
            });
            k += 1;
            continue;
        }
        if c.is_whitespace() {
            k += 1;
            continue;
        }
        if !c.is_alphanumeric() {
            let end = pos + c.len_utf8();
            out.push(Tok {
                s: &text[pos..end],
                start: pos,
                end,
                word: false,
            });
            k += 1;
            continue;
        }
        let mut j = k + 1;
        while let Some(&(_, d)) = chars.get(j) {
            let joins = matches!(d, '-' | '’' | '\'')
                && chars.get(j + 1).is_some_and(|&(_, e)| e.is_alphanumeric());
            if d.is_alphanumeric() || joins {
                j += 1;
            } else {
                break;
            }
        }
        let mut end = chars.get(j).map_or(text.len(), |&(p, _)| p);
        let word = &text[pos..end];
        let initial = word.chars().count() <= 2 && word.starts_with(char::is_uppercase);
        let title = TITLES.contains(&format!("{}.", word.to_lowercase()).as_str());
        if (initial || title) && chars.get(j).is_some_and(|&(_, d)| d == '.') {
            end += 1;
            j += 1;
        }
        out.push(Tok {
            s: &text[pos..end],
            start: pos,
            end,
            word: true,
        });
        k = j;
    }
    out
}

// ---------------------------------------------------------------------------------------
// Names and speaker phrases

/// A token that can be part of a name: capitalised, not a function word, role, verb or
/// acronym; or an initial (`J.`).
fn is_name_word(t: &Tok) -> bool {
    if !t.capitalised() {
        return false;
    }
    if t.s.ends_with('.') {
        return t.s.chars().count() <= 3;
    }
    let lower = t.lower();
    let letters: Vec<char> = t.s.chars().filter(|c| c.is_alphabetic()).collect();
    let acronym = letters.len() >= 2 && letters.iter().all(|c| c.is_uppercase());
    !acronym
        && !NOT_NAMES.contains(&lower.as_str())
        && !PARTICLES.contains(&lower.as_str())
        && !is_role(&lower)
        && !is_say_verb(&lower)
        && separable_particles(&lower).is_none()
        && !t.s.chars().any(|c| c.is_ascii_digit())
}

fn is_particle(t: &Tok) -> bool {
    t.word && PARTICLES.contains(&t.lower().as_str())
}

/// A NAME starting at token `i`: its token range (exclusive end).
fn parse_name(toks: &[Tok], i: usize) -> Option<Range<usize>> {
    let first = toks.get(i)?;
    // `Van den Brink`, `De Vries`: capitalised particles, then the surname.
    if first.capitalised() && is_particle(first) {
        let mut j = i + 1;
        while toks
            .get(j)
            .is_some_and(|t| is_particle(t) && !t.capitalised())
        {
            j += 1;
        }
        return toks.get(j).filter(|t| is_name_word(t)).map(|_| i..j + 1);
    }
    if !is_name_word(first) {
        return None;
    }
    let mut j = i + 1;
    let mut given = 1;
    loop {
        match toks.get(j) {
            Some(t) if is_name_word(t) && given < 4 => {
                given += 1;
                j += 1;
            }
            // One particle group, then the surname, after at most one given name (and
            // initials): `Gabriël van den Brink`, `J.P. van Dijk`; but `Vincent Buskens van
            // de Universiteit` stops after `Buskens`, `Hugo de Jonge van Binnenlandse
            // Zaken` after `Jonge`.
            // `op`, `in` and `het` open a particle group only before another particle
            // (`in 't Veld`, `op den Akker`): `Mol op Facebook` is no name.
            Some(t)
                if is_particle(t)
                    && toks[i..j].iter().filter(|t| !t.s.ends_with('.')).count() <= 1
                    && (!matches!(t.s, "op" | "in" | "het")
                        || toks.get(j + 1).is_some_and(is_particle)) =>
            {
                let mut p = j;
                while toks.get(p).is_some_and(is_particle) {
                    p += 1;
                }
                if toks.get(p).is_some_and(is_name_word) {
                    j = p + 1;
                }
                break;
            }
            _ => break,
        }
    }
    Some(i..j)
}

/// A speaker phrase as written.
#[derive(Debug, Clone, Default)]
struct RawSpeaker {
    /// The name's tokens as written.
    name: Option<Vec<String>>,
    /// Role phrase as written (`directeur van de GGD`).
    role: Option<String>,
    /// The role word itself, lower case (`directeur`), to resolve a bare role.
    role_word: Option<String>,
    /// `hij`/`zij`/`ze`.
    pronoun: bool,
}

/// Role (`role_word`, phrase text, next index) at token `i`: optional article, up to two
/// inflected adjectives, the role word, an optional `van/bij` organisation.
fn parse_role<'a>(text: &'a str, toks: &[Tok], i: usize) -> Option<(String, &'a str, usize)> {
    let mut j = i;
    if toks
        .get(j)
        .is_some_and(|t| matches!(t.lower().as_str(), "de" | "het" | "een"))
    {
        j += 1;
    }
    let mut k = j;
    while k < j + 2
        && toks
            .get(k)
            .is_some_and(|t| t.word && t.s.ends_with('e') && !is_role(&t.lower()))
    {
        k += 1;
    }
    let role_tok = toks.get(k).filter(|t| t.word && is_role(&t.lower()))?;
    let role_start = toks[j].start;
    let mut end_tok = k + 1;
    // `directeur van de GGD`, `woordvoerder bij het ministerie van BZK`.
    if toks
        .get(end_tok)
        .is_some_and(|t| matches!(t.s, "van" | "bij"))
    {
        let mut m = end_tok + 1;
        if toks.get(m).is_some_and(|t| matches!(t.s, "de" | "het")) {
            m += 1;
        }
        let mut taken = 0;
        while taken < 3
            && toks.get(m).is_some_and(|t| {
                t.word
                    && !t.capitalised()
                    && !is_particle(t)
                    && !is_say_verb(&t.lower())
                    && !NOT_NAMES.contains(&t.lower().as_str())
            })
        {
            m += 1;
            taken += 1;
        }
        let mut caps = 0;
        while caps < 3
            && toks
                .get(m)
                .is_some_and(|t| t.capitalised() && !is_say_verb(&t.lower()))
        {
            m += 1;
            caps += 1;
        }
        if taken + caps > 0 {
            end_tok = m;
        }
    }
    let end = toks.get(end_tok - 1).map_or(role_tok.end, |t| t.end);
    Some((role_tok.lower(), &text[role_start..end], end_tok))
}

/// SPK at token `i`: pronoun, or [article] [role] [title] NAME, or a role alone. Returns
/// the phrase and the index after it.
fn parse_speaker(text: &str, toks: &[Tok], i: usize) -> Option<(RawSpeaker, usize)> {
    let t = toks.get(i)?;
    if !t.word {
        return None;
    }
    if PRONOUNS.contains(&t.lower().as_str()) {
        return Some((
            RawSpeaker {
                pronoun: true,
                ..RawSpeaker::default()
            },
            i + 1,
        ));
    }
    let mut raw = RawSpeaker::default();
    let mut j = i;
    if let Some((word, phrase, next)) = parse_role(text, toks, i) {
        raw.role_word = Some(word);
        raw.role = Some(role_case(strip_article(phrase)));
        j = next;
    }
    loop {
        match toks.get(j) {
            Some(t) if TITLES.contains(&t.lower().as_str()) => j += 1,
            Some(t)
                if t.lower() == "de" && toks.get(j + 1).is_some_and(|n| n.lower() == "heer") =>
            {
                j += 2
            }
            _ => break,
        }
    }
    // A role in apposition before the name: `de nieuwe zorgdirecteur, Hanneke Brink,`.
    let apposed = raw.role.is_some()
        && toks.get(j).is_some_and(|t| t.is(","))
        && parse_name(toks, j + 1).is_some();
    if apposed {
        j += 1;
    }
    if let Some(r) = parse_name(toks, j) {
        raw.name = Some(toks[r.clone()].iter().map(|t| t.s.to_string()).collect());
        j = r.end;
        // Apposition: `Jan de Vries, directeur van de GGD,`.
        if raw.role.is_none()
            && toks.get(j).is_some_and(|t| t.is(","))
            && let Some((word, phrase, _)) = parse_role(text, toks, j + 1)
        {
            raw.role_word = Some(word);
            raw.role = Some(role_case(strip_article(phrase)));
        }
    }
    (raw.name.is_some() || raw.role.is_some()).then_some((raw, j))
}

/// A role phrase with a sentence-initial capital undone (`Wethouder` → `wethouder`), but
/// acronyms kept (`GGD-directeur`).
fn role_case(phrase: &str) -> String {
    let mut chars = phrase.chars();
    match (chars.next(), chars.next()) {
        (Some(a), Some(b)) if a.is_uppercase() && b.is_lowercase() => {
            a.to_lowercase().chain(phrase.chars().skip(1)).collect()
        }
        _ => phrase.to_string(),
    }
}

fn strip_article(phrase: &str) -> &str {
    for a in ["de ", "De ", "het ", "Het ", "een ", "Een "] {
        if let Some(rest) = phrase.strip_prefix(a) {
            return rest;
        }
    }
    phrase
}

// ---------------------------------------------------------------------------------------
// Patterns

/// Which pattern found the speaker phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pattern {
    SayAfter,
    Aldus,
    Separable,
    Volgens,
    Split,
    Colon,
    SayBefore,
    DatZegt,
    Blockquote,
    /// A transcript label: a paragraph that is only `NAME:`.
    Label,
}

impl Pattern {
    /// How the speaker was found, named for the report.
    fn confidence(self) -> &'static str {
        match self {
            Pattern::DatZegt => "next_sentence",
            Pattern::Blockquote => "blockquote",
            Pattern::Colon => "colon",
            Pattern::Label => "label",
            _ => "adjacent_verb",
        }
    }

    /// The rule id, plain, via a pronoun, or via a bare role.
    fn ids(self) -> [&'static str; 3] {
        match self {
            Pattern::SayAfter => ["say-after", "say-after+pronoun", "say-after+role"],
            Pattern::Aldus => ["aldus", "aldus+pronoun", "aldus+role"],
            Pattern::Separable => [
                "separable-verb",
                "separable-verb+pronoun",
                "separable-verb+role",
            ],
            Pattern::Volgens => ["volgens", "volgens+pronoun", "volgens+role"],
            Pattern::Split => ["split-quote", "split-quote+pronoun", "split-quote+role"],
            Pattern::Colon => ["colon", "colon+pronoun", "colon+role"],
            Pattern::SayBefore => ["say-before", "say-before+pronoun", "say-before+role"],
            Pattern::DatZegt => ["dat-zegt", "dat-zegt+pronoun", "dat-zegt+role"],
            Pattern::Label => ["label", "label+pronoun", "label+role"],
            Pattern::Blockquote => [
                "blockquote-line",
                "blockquote-line+pronoun",
                "blockquote-line+role",
            ],
        }
    }
}

type Found = (RawSpeaker, Pattern);

/// Patterns right after a closer, starting at token `a`: `, (zo) zegt SPK`, `, aldus SPK`,
/// `legt SPK uit`, and `volgens SPK` later in the same sentence.
fn right_of_closer(src: &str, toks: &[Tok], a: usize) -> Option<Found> {
    let mut j = a;
    while toks.get(j).is_some_and(|t| t.is(",") || t.is_dash()) {
        j += 1;
    }
    if toks.get(j).is_some_and(|t| t.lower() == "zo") {
        j += 1;
    }
    let verb = toks.get(j).filter(|t| t.word)?;
    let lower = verb.lower();
    if lower == "aldus" {
        return parse_speaker(src, toks, j + 1).map(|(r, _)| (r, Pattern::Aldus));
    }
    if lower == "volgens" || lower == "laut" {
        return parse_speaker(src, toks, j + 1).map(|(r, _)| (r, Pattern::Volgens));
    }
    if lower == "according" && toks.get(j + 1).is_some_and(|t| t.is("to")) {
        return parse_speaker(src, toks, j + 2).map(|(r, _)| (r, Pattern::Volgens));
    }
    // German `„…“, so Müller.`: `so` + a name alone, like `aldus`.
    if lower == "so"
        && let Some((raw, next)) = parse_speaker(src, toks, j + 1)
        && raw.name.is_some()
        && toks.get(next).is_none_or(Tok::boundary)
    {
        return Some((raw, Pattern::Aldus));
    }
    // English `“…,” Jane Doe said.` / `he said`: the subject before a singular verb.
    if let Some((raw, next)) = parse_speaker(src, toks, j)
        && toks.get(next).is_some_and(|v| {
            let l = v.lower();
            is_say_verb(&l) && !is_plural(&l)
        })
        && (raw.name.is_some() || raw.pronoun)
    {
        return Some((raw, Pattern::SayAfter));
    }
    if let Some(particles) = separable_particles(&lower)
        && let Some((raw, next)) = parse_speaker(src, toks, skip_adverbs(toks, j + 1))
    {
        // The particle closes the clause: right after the speaker, or after adverbs
        // (`legt Jansen desgevraagd uit`), a party in brackets (`gaf Piet Jansen (VVD)
        // mee`) or an indirect object (`gaf de aanwezigen mee`), not after a direct object
        // (`geeft Jansen een boek aan`).
        let mut k = skip_adverbs(toks, skip_brackets(toks, skip_organisation(toks, next)));
        for _ in 0..2 {
            if toks
                .get(k)
                .is_some_and(|t| particles.contains(&t.lower().as_str()))
            {
                return Some((raw, Pattern::Separable));
            }
            // `de aanwezigen`, `haar publiek`: an indirect object of plural/person nouns.
            let object = toks.get(k).is_some_and(|t| {
                matches!(t.lower().as_str(), "de" | "zijn" | "haar" | "hun" | "het")
            }) && toks
                .get(k + 1)
                .is_some_and(|t| t.word && !t.capitalised() && t.s.ends_with('n'));
            if !object {
                break;
            }
            k = skip_adverbs(toks, k + 2);
        }
    }
    if is_say_verb(&lower) {
        // `zeggen ze`, `vertelden zij`: a group speaks, not one person.
        return parse_speaker(src, toks, skip_adverbs(toks, j + 1))
            .filter(|(r, _)| !(r.pronoun && is_plural(&lower)))
            .map(|(r, _)| (r, Pattern::SayAfter));
    }
    // `‘…’, is volgens Jansen de kern.`
    let sentence = toks[a..].iter().take_while(|t| !t.boundary()).count();
    (a..a + sentence)
        .find(|&k| toks[k].lower() == "volgens")
        .and_then(|k| parse_speaker(src, toks, k + 1))
        .map(|(r, _)| (r, Pattern::Volgens))
}

/// Past an organisation right at `j` (`van de SP`, `bij Rijkswaterstaat`).
fn skip_organisation(toks: &[Tok], j: usize) -> usize {
    if !toks.get(j).is_some_and(|t| matches!(t.s, "van" | "bij")) {
        return j;
    }
    let mut k = j + 1;
    if toks.get(k).is_some_and(|t| matches!(t.s, "de" | "het")) {
        k += 1;
    }
    let from = k;
    while k < from + 3 && toks.get(k).is_some_and(Tok::capitalised) {
        k += 1;
    }
    if k > from { k } else { j }
}

/// Past a bracketed aside right at `j` (`(VVD)`, `(34)`).
fn skip_brackets(toks: &[Tok], j: usize) -> usize {
    if !toks.get(j).is_some_and(|t| t.is("(")) {
        return j;
    }
    toks[j..]
        .iter()
        .take(8)
        .position(|t| t.is(")"))
        .map_or(j, |p| j + p + 1)
}

fn skip_adverbs(toks: &[Tok], mut j: usize) -> usize {
    while toks
        .get(j)
        .is_some_and(|t| ADVERBS.contains(&t.lower().as_str()))
    {
        j += 1;
    }
    j
}

/// An attribution between two pieces of the span: `‘…,’ zegt X. ‘…’`.
fn split_quote(src: &str, toks: &[Tok], pieces: &[&Quotation]) -> Option<Found> {
    pieces.windows(2).find_map(|w| {
        let from = toks.partition_point(|t| t.start < w[0].outer().end);
        let to = toks.partition_point(|t| t.start < w[1].open.start);
        right_of_closer(src, &toks[..to], from).map(|(r, _)| (r, Pattern::Split))
    })
}

/// Patterns before the opener (token `b` is the first token at or after it): `SPK:`,
/// `volgens SPK`, `SPK zegt dat`.
fn left_of_opener(src: &str, toks: &[Tok], b: usize) -> Option<Found> {
    // Last token before the opener, newlines skipped (a previous paragraph ending in `:`).
    let mut k = b;
    while k > 0 && toks[k - 1].is("\n") {
        k -= 1;
    }
    let colon = k > 0 && toks[k - 1].is(":");
    let end = if colon { k - 1 } else { b };
    let mut s = end;
    while s > 0 && !toks[s - 1].boundary() {
        s -= 1;
    }
    let clause = s..end;
    if colon {
        let found = subject_of(src, toks, clause.clone())?;
        // `Menno de Wit:` alone on its line, above the words: a transcript label.
        let label = k < b
            && (clause.start == 0 || toks[clause.start - 1].is("\n"))
            && parse_speaker(src, toks, clause.start).is_some_and(|(_, next)| next == clause.end);
        return Some((
            found,
            if label {
                Pattern::Label
            } else {
                Pattern::Colon
            },
        ));
    }
    if let Some(v) = clause
        .clone()
        .find(|&i| matches!(toks[i].lower().as_str(), "volgens" | "laut"))
        && let Some((raw, _)) = parse_speaker(src, toks, v + 1)
    {
        return Some((raw, Pattern::Volgens));
    }
    if clause.clone().any(|i| is_say_verb(&toks[i].lower())) {
        return subject_of(src, toks, clause).map(|r| (r, Pattern::SayBefore));
    }
    None
}

/// The subject of a clause: right after its say verb (`Daarover zegt Jansen`), else the
/// first speaker phrase in it (`Jansen is duidelijk`, `De directeur`).
fn subject_of(src: &str, toks: &[Tok], clause: Range<usize>) -> Option<RawSpeaker> {
    let verb = clause.clone().find(|&i| {
        let l = toks[i].lower();
        is_say_verb(&l) || separable_particles(&l).is_some()
    });
    if let Some(v) = verb
        && let Some((raw, _)) = parse_speaker(src, toks, skip_adverbs(toks, v + 1))
    {
        let group = raw.pronoun && is_plural(&toks[v].lower());
        return (!group).then_some(raw);
    }
    let last = verb.unwrap_or(clause.end);
    (clause.start..last).find_map(|i| parse_speaker(src, toks, i).map(|(r, _)| r))
}

/// `‘…’ Dat zegt X in een interview.`: the sentence after the quote.
fn dat_zegt(src: &str, toks: &[Tok], a: usize) -> Option<Found> {
    let mut j = a;
    while toks.get(j).is_some_and(|t| t.boundary() && !t.is("\n")) {
        j += 1;
    }
    let first = toks.get(j)?;
    if !matches!(first.lower().as_str(), "dat" | "dit") {
        return None;
    }
    let verb = toks.get(j + 1)?;
    if !is_say_verb(&verb.lower()) {
        return None;
    }
    parse_speaker(src, toks, skip_adverbs(toks, j + 2)).map(|(r, _)| (r, Pattern::DatZegt))
}

/// A short attribution line after the quote's paragraph: `— Jan de Vries, wethouder`.
fn blockquote_line(text: &str, close_at: usize) -> Option<Found> {
    let rest = text.get(close_at..)?;
    let para_end = rest.find('\n')?;
    if rest[..para_end].chars().any(char::is_alphanumeric) {
        return None;
    }
    let next = rest[para_end..].trim_start();
    let line = next.split('\n').next()?.trim();
    let toks = tokenize(line);
    if toks.is_empty() || toks.len() > 16 {
        return None;
    }
    let mut j = 0;
    let dash = toks[0].is_dash();
    while toks.get(j).is_some_and(Tok::is_dash) {
        j += 1;
    }
    let name = parse_name(&toks, j)?;
    let after = name.end;
    let tail = toks.get(after);
    let role = match tail {
        None => None,
        Some(t) if t.is(",") => {
            let from = toks.get(after + 1)?.start;
            Some(
                line[from..]
                    .trim_end_matches(['.', ',', ';'])
                    .trim()
                    .to_string(),
            )
        }
        Some(_) => return None,
    };
    if !dash && role.is_none() {
        return None;
    }
    let raw = RawSpeaker {
        name: Some(toks[name].iter().map(|t| t.s.to_string()).collect()),
        role_word: None,
        role,
        pronoun: false,
    };
    Some((raw, Pattern::Blockquote))
}

// ---------------------------------------------------------------------------------------
// Resolution

/// A name mentioned in the article.
#[derive(Debug, Clone)]
struct Mention {
    start: usize,
    tokens: Vec<String>,
    lower: Vec<String>,
    role: Option<String>,
    role_word: Option<String>,
    /// Evidence that this is a person (a role, a title, a say verb beside it).
    person: bool,
    /// Inside a quotation (a name someone else mentions).
    in_quote: bool,
}

/// All name mentions of an article.
struct Article {
    mentions: Vec<Mention>,
    /// Where the headline ends (0 without one): mentions before it are in the headline.
    title_end: usize,
    /// Why the speaker was left empty, when two candidates tie.
    note: std::cell::RefCell<Option<String>>,
}

impl Article {
    fn new(text: &str, toks: &[Tok], quotes: &[Quotation]) -> Self {
        let mut mentions = Vec::new();
        let mut i = 0;
        while i < toks.len() {
            let Some(r) = parse_name(toks, i) else {
                i += 1;
                continue;
            };
            let mut role = None;
            let mut role_word = None;
            let mut person = false;
            // Look back over a title to a role word: `wethouder dr. Jansen`.
            let mut b = r.start;
            while b > 0 && TITLES.contains(&toks[b - 1].lower().as_str()) {
                b -= 1;
                person = true;
            }
            // `een nieuwe directeur, Els Bakker`: the role before a comma.
            if b >= 2 && toks[b - 1].is(",") && is_role(&toks[b - 2].lower()) {
                role_word = Some(toks[b - 2].lower());
                role = Some(role_case(toks[b - 2].s));
                person = true;
            }
            if let Some(prev) = b.checked_sub(1).and_then(|p| toks.get(p)) {
                let l = prev.lower();
                if is_role(&l) {
                    role_word = Some(l.clone());
                    role = Some(role_case(prev.s));
                    person = true;
                }
                if is_say_verb(&l) || l == "aldus" || l == "volgens" {
                    person = true;
                }
            }
            if let Some(next) = toks.get(r.end) {
                let l = next.lower();
                if is_say_verb(&l) || next.is(":") {
                    person = true;
                }
                // Apposition `Jan de Vries, directeur van …`, or `Jan de Vries is projectleider`.
                let role_at =
                    (next.is(",") || matches!(l.as_str(), "is" | "was")).then_some(r.end + 1);
                if role.is_none()
                    && let Some(at) = role_at
                    && let Some((word, phrase, _)) = parse_role(text, toks, at)
                {
                    role_word = Some(word);
                    role = Some(role_case(strip_article(phrase)));
                    person = true;
                }
            }
            let tokens: Vec<String> = toks[r.clone()].iter().map(|t| t.s.to_string()).collect();
            let start = toks[r.start].start;
            mentions.push(Mention {
                start,
                lower: tokens.iter().map(|t| t.to_lowercase()).collect(),
                tokens,
                role,
                role_word,
                person,
                in_quote: quotes
                    .iter()
                    .any(|q| q.depth == 0 && q.content.start <= start && start < q.content.end),
            });
            i = r.end;
        }
        Self {
            mentions,
            title_end: 0,
            note: std::cell::RefCell::new(None),
        }
    }

    /// The fullest form of `name` in the article: the longest mention that contains it as
    /// a run of tokens, cut after that run (`Van den Brink` in `Gabriël van den Brink`), or
    /// that starts with it when it is a given name alone; nearest to `near` on ties.
    fn fullest(&self, name: &[String], near: usize) -> Option<(Vec<String>, &Mention)> {
        let lower: Vec<String> = name.iter().map(|t| t.to_lowercase()).collect();
        let candidates: Vec<(Vec<String>, &Mention)> = self
            .mentions
            .iter()
            .filter_map(|m| {
                let cut = m
                    .lower
                    .windows(lower.len().max(1))
                    .position(|w| w == lower.as_slice())
                    .map(|p| p + lower.len())
                    .or_else(|| {
                        (lower.len() == 1
                            && m.lower.len() > 1
                            && m.lower[0] == lower[0]
                            && m.person)
                            .then_some(m.lower.len())
                    })?;
                Some((m.tokens[..cut].to_vec(), m))
            })
            .collect();
        let best = candidates
            .iter()
            .max_by_key(|(tokens, m)| {
                (
                    tokens.len(),
                    m.person,
                    std::cmp::Reverse(m.start.abs_diff(near)),
                )
            })?
            .clone();
        let lower_of = |t: &[String]| t.iter().map(|w| w.to_lowercase()).collect::<Vec<_>>();
        let rival = candidates.iter().find(|(tokens, m)| {
            tokens.len() == best.0.len()
                && tokens.len() > name.len()
                && !m.in_quote
                && lower_of(tokens) != lower_of(&best.0)
        });
        if let Some((other, _)) = rival {
            self.ambiguous(format!(
                "speaker left empty: `{}` may be {} or {}",
                join_name(name),
                join_name(&best.0),
                join_name(other)
            ));
            return None;
        }
        Some(best)
    }

    /// A role for this person, from any mention of the same full name.
    fn role_of(&self, m: &Mention) -> Option<String> {
        m.role.clone().or_else(|| {
            self.mentions
                .iter()
                .filter(|o| o.lower.ends_with(&m.lower) || m.lower.ends_with(&o.lower))
                .find_map(|o| o.role.clone())
        })
    }

    /// Records why no speaker is given (two candidates tie); the first note stands.
    fn ambiguous(&self, why: String) {
        self.note.borrow_mut().get_or_insert(why);
    }

    /// The person a bare role word stands for: the nearest earlier mention given that role
    /// (the headline counts as earlier), else the first later one. Two different people
    /// given that role in one sentence tie.
    fn person_with_role(&self, text: &str, word: &str, quote_at: usize) -> Option<&Mention> {
        let with_role = |m: &&Mention| m.role_word.as_deref() == Some(word) && !m.in_quote;
        let m = self
            .mentions
            .iter()
            .rev()
            .filter(|m| m.start < quote_at)
            .find(with_role)
            .or_else(|| self.mentions.iter().find(with_role))?;
        let rival = self.mentions.iter().filter(with_role).find(|o| {
            let (a, b) = (o.start.min(m.start), o.start.max(m.start));
            !o.lower.ends_with(&m.lower)
                && !m.lower.ends_with(&o.lower)
                && !text[a..b].contains(['.', '\n', '?', '!'])
        });
        if let Some(o) = rival {
            self.ambiguous(format!(
                "speaker left empty: `de {word}` may be {} or {}",
                join_name(&m.tokens),
                join_name(&o.tokens)
            ));
            return None;
        }
        Some(m)
    }
}

impl ArticleContext<'_> {
    /// A quote with no attribution beside it that stands as a sentence (or paragraph) of
    /// its own: a portrait's name line above it, the subject of the sentence before
    /// (`Volgens Van Dam heerst er onrust. ‘…’`, `Ze zegt dat … ¶ ‘…’`), or, for a paragraph
    /// that is only the quote, a named subject opening the next paragraph
    /// (`‘…’ ¶ Burgemeester Visser keurde het plan af.`).
    fn unmarked(&self, open_at: usize, close_at: usize) -> Option<Speaker> {
        let text = self.text;
        let before = text[..open_at].trim_end_matches([' ', '\t']);
        let after = text[close_at..].trim_start_matches([' ', '\t']);
        let inner = text[open_at..close_at].trim_end_matches(|c: char| {
            !c.is_alphanumeric() && !matches!(c, '.' | '!' | '?' | '…')
        });
        let starts = before.is_empty() || before.ends_with(['.', '!', '?', '\n', '…']);
        let ends = after.is_empty()
            || after.starts_with(['\n', '.', '!', '?'])
            || (inner.ends_with(['.', '!', '?', '…']) && after.starts_with(char::is_uppercase));
        if !(starts && ends) {
            return None;
        }
        let whole_paragraph = (before.is_empty() || before.ends_with('\n'))
            && (after.is_empty() || after.starts_with('\n'));
        if whole_paragraph && let Some(sp) = self.name_line(before) {
            return Some(sp);
        }
        let at = self.toks.partition_point(|t| t.end <= open_at);
        let mut end = at;
        while end > 0 && self.toks[end - 1].boundary() {
            end -= 1;
        }
        let mut start = end;
        while start > 0 && !self.toks[start - 1].boundary() {
            start -= 1;
        }
        if end > start {
            match self.subject_in(start..end) {
                Subject::Person(sp) => return Some(sp),
                Subject::Tie => return None,
                Subject::Pronoun => {
                    // `‘…’, vertelt X. ‘…’ Ze lacht. ‘…’`: the earlier quotation's speaker
                    // goes on (below).
                    let earlier = self.quotes.iter().any(|q| {
                        q.depth == 0
                            && q.outer().end <= open_at
                            && !text[q.outer().end..open_at].contains('\n')
                    });
                    if earlier {
                        return None;
                    }
                    let sp = self.subject_before(self.toks[start].start, 5)?;
                    return Some(Speaker {
                        confidence: "previous_sentence",
                        ..sp
                    });
                }
                Subject::Onward => {}
            }
        }
        if whole_paragraph {
            return self.next_paragraph_subject(close_at);
        }
        None
    }

    /// A portrait: the paragraph before is a short name line (and a role line).
    fn name_line(&self, before: &str) -> Option<Speaker> {
        let para = before.trim_end().rsplit("\n\n").next()?;
        let mut lines = para.lines().map(str::trim).filter(|l| !l.is_empty());
        let first = lines.next()?;
        let role = lines.next();
        if lines.next().is_some() || first.chars().count() > 60 {
            return None;
        }
        // The whole line is the name: given names, particles, surname.
        let toks = tokenize(first);
        let name = 0..toks.len();
        let fits = (2..=7).contains(&toks.len())
            && is_name_word(&toks[0])
            && is_name_word(&toks[toks.len() - 1])
            && toks
                .iter()
                .all(|t| is_name_word(t) || (is_particle(t) && !t.capitalised()));
        if !fits {
            return None;
        }
        let role = role.filter(|r| r.chars().count() <= 80 && r.starts_with(char::is_lowercase));
        Some(Speaker {
            name: join_name(
                &toks[name]
                    .iter()
                    .map(|t| t.s.to_string())
                    .collect::<Vec<_>>(),
            ),
            role: role.map(str::to_string),
            rule: "name-line",
            confidence: "label",
        })
    }

    /// The named subject opening the paragraph after `close_at`, followed by its verb.
    fn next_paragraph_subject(&self, close_at: usize) -> Option<Speaker> {
        let toks = self.toks;
        let mut i = toks.partition_point(|t| t.start < close_at);
        while toks.get(i).is_some_and(|t| !t.word) {
            if toks[i].is("\n") && toks.get(i + 1).is_some_and(|t| t.is("\n")) {
                i += 2;
                break;
            }
            i += 1;
        }
        let (raw, next) = parse_speaker(self.text, toks, i)?;
        let name = raw.name.as_ref()?;
        let verb = toks.get(next)?;
        if !verb.word || verb.capitalised() {
            return None;
        }
        let (tokens, m) = self.article.fullest(name, toks[i].start)?;
        if tokens.len() < 2 && raw.role.is_none() && !m.person {
            return None;
        }
        Some(Speaker {
            name: join_name(&tokens),
            role: raw.role.clone().or_else(|| self.article.role_of(m)),
            rule: "next-subject",
            confidence: "next_sentence",
        })
    }

    /// The speaker a pattern's phrase names, resolved to the fullest name.
    fn resolve(&self, raw: &RawSpeaker, pattern: Pattern, quote_at: usize) -> Option<Speaker> {
        let article = self.article;
        let ids = pattern.ids();
        let confidence = pattern.confidence();
        if raw.pronoun {
            let sp = self.subject_before(quote_at, 6)?;
            return Some(Speaker {
                rule: ids[1],
                confidence: if sp.confidence == "title" {
                    "title"
                } else {
                    "pronoun"
                },
                ..sp
            });
        }
        if let Some(name) = &raw.name {
            let full = article.fullest(name, quote_at);
            if full.is_none() && article.note.borrow().is_some() {
                return None;
            }
            let in_title = full
                .as_ref()
                .is_some_and(|(_, m)| m.start < article.title_end);
            return Some(Speaker {
                name: full
                    .as_ref()
                    .map_or_else(|| join_name(name), |(tokens, _)| join_name(tokens)),
                role: raw
                    .role
                    .clone()
                    .or_else(|| full.and_then(|(_, m)| article.role_of(m))),
                rule: ids[0],
                confidence: if in_title && name.len() == 1 {
                    "title"
                } else {
                    confidence
                },
            });
        }
        let word = raw.role_word.as_deref()?;
        let m = article.person_with_role(self.text, word, quote_at)?;
        let (name, full) = article
            .fullest(&m.tokens, m.start)
            .unwrap_or((m.tokens.clone(), m));
        Some(Speaker {
            name: join_name(&name),
            role: raw.role.clone().or_else(|| article.role_of(full)),
            rule: ids[2],
            confidence: if m.start < article.title_end {
                "title"
            } else {
                "role"
            },
        })
    }

    /// The person the sentences before byte `at` are about: walking back at most `max`
    /// sentences (quotations skipped), the first subject that is a named person, a role
    /// given to one, or a pronoun (which sends the walk on). Two people joined by `en` as
    /// the subject tie.
    fn subject_before(&self, at: usize, max: usize) -> Option<Speaker> {
        let toks = self.toks;
        let mut end = toks.partition_point(|t| t.end <= at);
        for _ in 0..max {
            if end == 0 {
                return None;
            }
            let mut start = end;
            while start > 0 && (!toks[start - 1].boundary() || self.in_quote(toks[start - 1].start))
            {
                start -= 1;
            }
            match self.subject_in(start..end) {
                Subject::Person(sp) => return Some(sp),
                Subject::Tie => return None,
                Subject::Pronoun | Subject::Onward => {}
            }
            end = start.saturating_sub(1);
            while end > 0 && toks[end - 1].boundary() {
                end -= 1;
            }
        }
        None
    }

    fn in_quote(&self, at: usize) -> bool {
        self.quotes
            .iter()
            .any(|q| q.depth == 0 && q.outer().start <= at && at < q.outer().end)
    }

    /// The subject of the sentence `range` of tokens (see [`Self::subject_before`]).
    fn subject_in(&self, range: Range<usize>) -> Subject {
        let (text, toks, article) = (self.text, self.toks, self.article);
        let mut i = range.start;
        while i < range.end {
            let t = &toks[i];
            if self.in_quote(t.start) || !t.word {
                i += 1;
                continue;
            }
            let after_prep = i > range.start
                && PREPOSITIONS.contains(&toks[i - 1].lower().as_str())
                && !is_say_verb(&t.lower());
            let Some((raw, next)) = parse_speaker(text, &toks[..range.end], i) else {
                i += 1;
                continue;
            };
            if after_prep {
                i = next.max(i + 1);
                continue;
            }
            if raw.pronoun {
                // The same person as the sentence before (or `ze` plural: nobody).
                return Subject::Pronoun;
            }
            if let Some(name) = &raw.name {
                let Some((tokens, m)) = article.fullest(name, t.start) else {
                    return if article.note.borrow().is_some() {
                        Subject::Tie
                    } else {
                        Subject::Onward
                    };
                };
                // A capitalised word alone at a sentence start is a name only when the
                // article gives it as one elsewhere (`Vorige week`, `Bewoners`).
                let evidence = tokens.len() >= 2 || raw.role.is_some() || m.person;
                if !evidence {
                    i = next.max(i + 1);
                    continue;
                }
                if toks.get(next).is_some_and(|n| n.lower() == "en")
                    && let Some((other, _)) = parse_speaker(text, &toks[..range.end], next + 1)
                    && other.name.is_some()
                {
                    article.ambiguous(format!(
                        "speaker left empty: the sentence before is about {} and {}",
                        join_name(&tokens),
                        join_name(other.name.as_deref().unwrap_or_default())
                    ));
                    return Subject::Tie;
                }
                return Subject::Person(Speaker {
                    name: join_name(&tokens),
                    role: raw.role.clone().or_else(|| article.role_of(m)),
                    rule: "subject",
                    confidence: if m.start < article.title_end {
                        "title"
                    } else {
                        "previous_sentence"
                    },
                });
            }
            if let Some(word) = raw.role_word.as_deref() {
                if article.note.borrow().is_some() {
                    return Subject::Tie;
                }
                if let Some(m) = article.person_with_role(text, word, t.start) {
                    let (name, full) = article
                        .fullest(&m.tokens, m.start)
                        .unwrap_or((m.tokens.clone(), m));
                    return Subject::Person(Speaker {
                        name: join_name(&name),
                        role: raw.role.clone().or_else(|| article.role_of(full)),
                        rule: "subject+role",
                        confidence: "role",
                    });
                }
                if article.note.borrow().is_some() {
                    return Subject::Tie;
                }
                // `de VVD'er` with no one introduced as such: the walk goes on.
                return Subject::Onward;
            }
            i = next.max(i + 1);
        }
        Subject::Onward
    }
}

/// What a sentence says about who it is about.
enum Subject {
    /// This person.
    Person(Speaker),
    /// Two people equally (a note is recorded).
    Tie,
    /// A pronoun: the person of the sentences before.
    Pronoun,
    /// Nobody new: look at the sentence before.
    Onward,
}

/// Prepositions: a name right after one is an object, not the subject.
#[rustfmt::skip]
const PREPOSITIONS: &[&str] = &[
    "met", "van", "aan", "voor", "tegen", "over", "bij", "door", "naar", "tot", "om", "op",
    "uit", "dan", "als", "namens", "zonder", "achter", "onder", "tussen", "sinds",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// Character span of the first occurrence of `needle` in `text`.
    fn span(text: &str, needle: &str) -> (usize, usize) {
        let b = text.find(needle).unwrap();
        let start = text[..b].chars().count();
        (start, start + needle.chars().count())
    }

    /// The speaker found, with `confidence` left out of the comparison (tested apart).
    fn who(text: &str, needle: &str) -> Option<Speaker> {
        let (s, e) = span(text, needle);
        speaker_for(text, s, e).map(|sp| Speaker {
            confidence: "",
            ..sp
        })
    }

    fn speaker(name: &str, role: Option<&str>, rule: &'static str) -> Option<Speaker> {
        Some(Speaker {
            name: name.to_string(),
            role: role.map(str::to_string),
            rule,
            confidence: "",
        })
    }

    #[test]
    fn interview_answers_are_spoken_by_the_person_in_the_lead() {
        let text = "Socioloog Marieke van der Laan onderzocht tien jaar lang wijkteams. Een gesprek.\n\nWat viel u op?\n\nDat teams vooral praten over regels. Dat kost ze veel tijd.\n\nEn nu?\n\nMinder vergaderen.";
        let (start, _) = span(text, "Dat teams vooral praten over regels");
        let who = interviewee(text, start).unwrap();
        assert_eq!(who.name, "Marieke van der Laan");
        assert_eq!(who.rule, "interview");
        let (q, _) = span(text, "Wat viel u op?");
        assert!(
            interviewee(text, q).is_none(),
            "a question is the interviewer's"
        );
        let plain = "Jan de Vries opende de brug.\n\nDat teams vooral praten over regels.";
        assert!(interviewee(plain, 30).is_none(), "no Q&A, no interviewee");
    }

    #[test]
    fn say_verb_after_the_closer() {
        let t = "Leeuwarden wil meer samenwerken.\n\n‘We moeten het samen doen,’ zegt directeur Jan de Vries van de GGD. ‘Anders lukt het niet.’";
        assert_eq!(
            who(t, "We moeten het samen doen"),
            speaker("Jan de Vries", Some("directeur"), "say-after")
        );
    }

    #[test]
    fn zo_vindt_with_fullest_name_and_role_from_earlier_mention() {
        let t = "In Zwolle is wethouder Karin Pieters tevreden over de aanpak.\n\n‘Het kan altijd beter’, zo vindt Pieters. ‘Maar we zijn op weg.’";
        assert_eq!(
            who(t, "Het kan altijd beter"),
            speaker("Karin Pieters", Some("wethouder"), "say-after")
        );
    }

    #[test]
    fn past_tense_and_adverb() {
        let t = "‘Dit hadden we niet verwacht’, zei ook burgemeester Femke Halsema gisteren.";
        assert_eq!(
            who(t, "Dit hadden we niet verwacht"),
            speaker("Femke Halsema", Some("burgemeester"), "say-after")
        );
    }

    #[test]
    fn aldus() {
        let t =
            "Het kabinet trekt extra geld uit. ‘Dit is pas het begin,’ aldus minister Ollongren.";
        assert_eq!(
            who(t, "Dit is pas het begin"),
            speaker("Ollongren", Some("minister"), "aldus")
        );
    }

    #[test]
    fn separable_verbs() {
        let t = "‘Het gaat om vertrouwen’, legt Anne Jansen uit. ‘Zonder dat komt er niets van.’\n\n‘We beginnen klein’, licht programmamanager Bram Visser toe.\n\n‘En we leren,’ vult Visser aan.";
        assert_eq!(
            who(t, "Het gaat om vertrouwen"),
            speaker("Anne Jansen", None, "separable-verb")
        );
        assert_eq!(
            who(t, "We beginnen klein"),
            speaker("Bram Visser", Some("programmamanager"), "separable-verb")
        );
        assert_eq!(
            who(t, "En we leren"),
            speaker("Bram Visser", Some("programmamanager"), "separable-verb")
        );
    }

    #[test]
    fn separable_verb_needs_its_particle() {
        // `geeft` without `aan`/`toe` is not an attribution.
        let t = "‘Dit is het plan’, geeft Jansen een boek aan zijn buurman.";
        assert_eq!(who(t, "Dit is het plan"), None);
    }

    #[test]
    fn colon_before_the_opener() {
        let t = "De GGD heeft een nieuwe directeur, Els Bakker. Zij begon in maart.\n\nDe directeur: ‘Wij gaan gewoon door.’\n\nOok Piet Jansen, voorzitter van de raad, is tevreden. Jansen is duidelijk: ‘Dit moet anders.’";
        assert_eq!(
            who(t, "Wij gaan gewoon door."),
            speaker("Els Bakker", Some("directeur"), "colon+role")
        );
        assert_eq!(
            who(t, "Dit moet anders."),
            speaker("Piet Jansen", Some("voorzitter van de raad"), "colon")
        );
    }

    #[test]
    fn colon_at_the_end_of_the_previous_paragraph() {
        let t = "Wethouder Meijer zei daarover:\n\n‘Dat is onzin, en dat weet iedereen.’";
        assert_eq!(
            who(t, "Dat is onzin"),
            speaker("Meijer", Some("wethouder"), "colon")
        );
    }

    #[test]
    fn volgens_in_the_same_sentence() {
        let t = "Volgens staatssecretaris Raymond Knops is het ‘een kwestie van tijd’ voordat het lukt.";
        assert_eq!(
            who(t, "een kwestie van tijd"),
            speaker("Raymond Knops", Some("staatssecretaris"), "volgens")
        );
        let t2 = "‘Het is de kern van de zaak’, volgens Marieke Smit.";
        assert_eq!(
            who(t2, "Het is de kern"),
            speaker("Marieke Smit", None, "volgens")
        );
    }

    #[test]
    fn dat_zegt_in_the_next_sentence() {
        let t = "Hoogleraar Gabriël van den Brink schreef er een boek over.\n\n‘Ambtenaren leren te weinig van hun fouten.’ Dat zegt Van den Brink in een interview.";
        assert_eq!(
            who(t, "Ambtenaren leren te weinig"),
            speaker("Gabriël van den Brink", Some("hoogleraar"), "dat-zegt")
        );
    }

    #[test]
    fn split_quote_attribution_inside_the_span() {
        let t = "Het essay van socioloog Gabriël van den Brink kreeg veel aandacht. ‘Wij zijn zo gewend aan regels,’ zegt Van den Brink. ‘Maar dat kan ook anders.’ Daarna ging het over geld.";
        let (s, _) = span(t, "Wij zijn zo gewend");
        let (_, e) = span(t, "dat kan ook anders.");
        assert_eq!(
            speaker_for(t, s, e).map(|sp| Speaker {
                confidence: "",
                ..sp
            }),
            speaker("Gabriël van den Brink", Some("socioloog"), "split-quote")
        );
    }

    #[test]
    fn pronoun_resolves_to_nearest_person_outside_quotes() {
        let t = "Marieke de Wit is projectleider in Zwolle. Ze werkt er al tien jaar.\n\n‘Ik sprak gisteren nog met Kees Bos.’\n\n‘Het blijft mensenwerk,’ vertelt ze.";
        assert_eq!(
            who(t, "Het blijft mensenwerk"),
            speaker("Marieke de Wit", Some("projectleider"), "say-after+pronoun")
        );
    }

    #[test]
    fn bare_role_resolves_to_the_person_with_that_role() {
        let t = "Burgemeester Sybrand Buma opende de bijeenkomst.\n\n‘Het moet sneller,’ zegt de burgemeester.";
        assert_eq!(
            who(t, "Het moet sneller"),
            speaker("Sybrand Buma", Some("burgemeester"), "say-after+role")
        );
    }

    #[test]
    fn unresolvable_role_or_pronoun_is_none() {
        assert_eq!(
            who(
                "‘Geen commentaar,’ zegt een woordvoerder.",
                "Geen commentaar"
            ),
            None
        );
        assert_eq!(who("‘Geen commentaar,’ zegt ze.", "Geen commentaar"), None);
    }

    #[test]
    fn blockquote_attribution_line() {
        let t = "Inleiding over de regio.\n\n‘Samen bereik je meer dan alleen.’\n\n— Jan de Vries, wethouder\n\nVerder in de tekst.";
        assert_eq!(
            who(t, "Samen bereik je meer"),
            speaker("Jan de Vries", Some("wethouder"), "blockquote-line")
        );
        let t2 = "Samen bereik je meer dan alleen.\n\nAnne van der Berg, directeur Zorgbelang";
        assert_eq!(
            who(t2, "Samen bereik je meer dan alleen."),
            speaker(
                "Anne van der Berg",
                Some("directeur Zorgbelang"),
                "blockquote-line"
            )
        );
    }

    #[test]
    fn indirect_speech_before_the_quote() {
        let t = "Jansen zegt dat het ‘een kwestie van tijd’ is.";
        assert_eq!(
            who(t, "een kwestie van tijd"),
            speaker("Jansen", None, "say-before")
        );
    }

    #[test]
    fn no_attribution_gives_none() {
        let t = "De gemeente werkt aan een plan. Op de website staat: ‘Wij helpen u graag verder.’ Meer informatie volgt later.";
        assert_eq!(who(t, "Wij helpen u graag verder."), None);
        let t2 = "Het rapport noemt dit ‘een gemiste kans’ voor de regio.";
        assert_eq!(who(t2, "een gemiste kans"), None);
    }

    #[test]
    fn nested_quote_and_zo_n_take_the_outer_speaker() {
        let t =
            "‘Dat is zo’n typisch geval van ‘kan niet, lukt niet’,’ zegt Jansen. Daarna zweeg hij.";
        assert_eq!(
            who(t, "kan niet, lukt niet"),
            speaker("Jansen", None, "say-after")
        );
        assert_eq!(
            who(t, "Dat is zo’n typisch"),
            speaker("Jansen", None, "say-after")
        );
    }

    #[test]
    fn character_offsets_after_multibyte_text() {
        let t = "Één café, één idee: ‘Wij doen het samen,’ zegt Zoë Ağaoğlu.";
        assert_eq!(
            who(t, "Wij doen het samen"),
            speaker("Zoë Ağaoğlu", None, "say-after")
        );
    }

    #[test]
    fn out_of_range_offsets_are_none() {
        assert_eq!(speaker_for("kort", 10, 20), None);
        assert_eq!(speaker_for("", 0, 0), None);
    }

    #[test]
    fn later_quote_in_the_paragraph_keeps_the_speaker() {
        let t = "‘We gaven de wijken zelf budget,’ vertelt wethouder Linda Voortman. ‘Dat was spannend.’ Ze lacht. ‘Maar het werkte.’\n\n‘Dit staat los.’";
        assert_eq!(
            who(t, "Maar het werkte."),
            speaker("Linda Voortman", Some("wethouder"), "previous-quote")
        );
        // A new paragraph starts afresh.
        assert_eq!(who(t, "Dit staat los."), None);
    }

    #[test]
    fn name_stops_before_an_organisation() {
        let t = "Socioloog Vincent Buskens van de Universiteit Utrecht doet onderzoek.\n\n‘Samenwerken begint bij vertrouwen,’ zegt Buskens.";
        assert_eq!(
            who(t, "Samenwerken begint"),
            speaker("Vincent Buskens", Some("socioloog"), "say-after")
        );
    }

    /// `attribute` on the first occurrence of `needle`.
    fn attributed(text: &str, title: Option<&str>, needle: &str) -> Attribution {
        let (s, e) = span(text, needle);
        attribute(text, title, s, e)
    }

    #[test]
    fn a_huge_text_is_read_around_the_quote_with_the_same_speaker() {
        let lead = "Burgemeester Sanne Wouters opent de nieuwe brug.";
        let filler = "De raad sprak lang over de begroting en de plannen voor de haven. ";
        let quoted = "‘De brug verbindt twee wijken die elkaar nooit zagen,’ zegt ze.";
        let mut text = format!("{lead}\n\n");
        for _ in 0..4_000 {
            text.push_str(filler);
            text.push_str("\n\n");
        }
        let middle = format!("Wethouder Ilse van Damme is trots.\n\n{quoted}\n\n");
        text.push_str(&middle);
        for _ in 0..4_000 {
            text.push_str(filler);
            text.push_str("\n\n");
        }
        assert!(text.len() > 2 * NARROW_ABOVE);
        let (s, e) = span(&text, "De brug verbindt");
        let (kept, ks, ke) = narrow(&text, s, e).expect("narrowed");
        assert!(kept.len() < NARROW_HEAD + NARROW_BEFORE + NARROW_AFTER + 4);
        assert!(kept.starts_with(lead));
        let got: String = kept.chars().skip(ks).take(ke - ks).collect();
        let want: String = text.chars().skip(s).take(e - s).collect();
        assert_eq!(got, want);
        let small = format!("{lead}\n\n{middle}");
        let (ss, se) = span(&small, "De brug verbindt");
        let expected = attribute(&small, None, ss, se);
        assert_eq!(expected.speaker.as_ref().unwrap().name, "Ilse van Damme");
        assert_eq!(attribute(&text, None, s, e), expected);
        // A short text is read whole.
        assert!(narrow(&small, ss, se).is_none());
    }

    #[test]
    fn typewriter_double_comma_opens_a_quote() {
        let t = "Het college kiest.\n\nWethouder Anna Bakker: ,,Het college kiest voor de wijk.” Daarna volgde applaus.";
        let a = attributed(t, None, "Het college kiest voor de wijk");
        assert_eq!(a.speaker.unwrap().name, "Anna Bakker");
        let t2 = ",,Het duurt langer”, aldus De Vries. Projectleider Marco de Vries blijft kalm.";
        assert_eq!(who(t2, "Het duurt langer").unwrap().name, "Marco de Vries");
        // A `,,` inside a number or after a word is no opener.
        assert_eq!(low_double_comma("1,,5 en a,,b"), "1,,5 en a,,b");
    }

    #[test]
    fn separable_verb_with_party_and_organisation_before_the_particle() {
        let t = "‘Dit is goed nieuws’, gaf Piet Jansen (VVD) mee. ‘Wij steunen dit niet’, gaf fractievoorzitter Rik Mol van de SP aan.";
        assert_eq!(who(t, "Dit is goed nieuws").unwrap().name, "Piet Jansen");
        assert_eq!(who(t, "Wij steunen dit niet").unwrap().name, "Rik Mol");
    }

    #[test]
    fn confidence_names_how_the_speaker_was_found() {
        let cases = [
            (
                "‘Het kan beter’, zegt Jan de Vries.",
                "Het kan beter",
                "adjacent_verb",
            ),
            (
                "Volgens Joost van Dam heerst er onrust. ‘Dit hadden we niet verwacht.’",
                "Dit hadden we niet verwacht",
                "previous_sentence",
            ),
            (
                "‘Een hotel hier is onverantwoord.’\n\nBurgemeester Visser keurde het plan af.",
                "Een hotel hier",
                "next_sentence",
            ),
            (
                "Piet Smit is wethouder. ‘Het kan beter’, zegt hij.",
                "Het kan beter",
                "pronoun",
            ),
            (
                "Burgemeester Sybrand Buma opende de dag. ‘Het moet sneller,’ zegt de burgemeester.",
                "Het moet sneller",
                "role",
            ),
            (
                "Verslag.\n\nMenno de Wit:\n\nWij hebben nooit om deze molens gevraagd.",
                "Wij hebben nooit",
                "label",
            ),
            (
                "Vrijwilligers\n\nGert Jan van der Meulen\nchauffeur van de buurtbus\n\n‘Ik ken iedere passagier.’",
                "Ik ken iedere passagier",
                "label",
            ),
        ];
        for (text, needle, confidence) in cases {
            let a = attributed(text, None, needle);
            assert_eq!(a.speaker.map(|s| s.confidence), Some(confidence), "{text}");
        }
    }

    #[test]
    fn the_headline_names_the_interviewee_and_the_role() {
        let t = "De nieuwe voorzitter stelt zich voor.\n\nWat wilt u bereiken?\n\nDat het dorp leefbaar blijft.\n\nEn verder?\n\nEen goed dorpshuis.";
        let a = attributed(
            t,
            Some("Vijf vragen aan Menno de Wit"),
            "Dat het dorp leefbaar",
        );
        let sp = a.speaker.unwrap();
        assert_eq!((sp.name.as_str(), sp.confidence), ("Menno de Wit", "qa"));
        let t2 = "De gemeente wacht op het COA.\n\n‘Onze inwoners verdienen duidelijkheid’, vertelt de burgemeester.";
        let a = attributed(
            t2,
            Some("Burgemeester Jan Hoekstra wil duidelijkheid"),
            "Onze inwoners",
        );
        let sp = a.speaker.unwrap();
        assert_eq!((sp.name.as_str(), sp.confidence), ("Jan Hoekstra", "title"));
        // Without the headline nobody is named.
        assert_eq!(attributed(t2, None, "Onze inwoners").speaker, None);
        // A headline naming nobody leaves the lead's interviewee.
        let t3 = "Socioloog Marieke van der Laan onderzocht wijkteams.\n\nWat viel u op?\n\nDat teams veel praten.\n\nEn nu?\n\nMinder vergaderen.";
        let a = attributed(
            t3,
            Some("Een gesprek over\nwijkteams"),
            "Dat teams veel praten",
        );
        assert_eq!(a.speaker.unwrap().name, "Marieke van der Laan");
    }

    #[test]
    fn ties_are_left_empty_with_a_note() {
        let t = "Bestuurder Tom Bakker en directeur Sara Bakker zaten om tafel.\n\n‘Het gesprek was goed’, zegt Bakker.";
        let a = attributed(t, None, "Het gesprek was goed");
        assert_eq!(a.speaker, None);
        let note = a.note.unwrap();
        assert!(
            note.contains("Tom Bakker") && note.contains("Sara Bakker"),
            "{note}"
        );
        let t2 = "Wethouder Gerrit van 't Hof en wethouder Mieke Visser presenteerden de begroting. ‘We houden de lasten gelijk’, zei de wethouder.";
        let a = attributed(t2, None, "We houden de lasten gelijk");
        assert_eq!(a.speaker, None);
        assert!(a.note.unwrap().contains("wethouder"));
        let t3 =
            "Jeroen Smit en Lisa Kramer begonnen een branderij.\n\n‘We doen alles zelf’, zegt hij.";
        let a = attributed(t3, None, "We doen alles zelf");
        assert_eq!(a.speaker, None);
        assert!(a.note.is_some());
    }

    #[test]
    fn pronoun_follows_the_subject_not_the_last_name() {
        let t = "Burgemeester Ellen de Jong sprak met minister Peter Dekker. De burgemeester is teleurgesteld. ‘Er ligt geen plan’, zegt zij.";
        assert_eq!(who(t, "Er ligt geen plan").unwrap().name, "Ellen de Jong");
    }

    #[test]
    fn english_and_german_patterns() {
        let cases = [
            (
                "“We will rebuild,” said Mayor Jane Doe.",
                "We will rebuild",
                "Jane Doe",
            ),
            (
                "Jane Doe leads the council. “We will rebuild,” she said.",
                "We will rebuild",
                "Jane Doe",
            ),
            (
                "\"It is too late,\" Tom Baker added.",
                "It is too late",
                "Tom Baker",
            ),
            ("“It works,” according to Ann Lee.", "It works", "Ann Lee"),
            (
                "„Wir schaffen das“, sagte Kanzlerin Anna Müller.",
                "Wir schaffen das",
                "Anna Müller",
            ),
            (
                "„Das reicht nicht“, so Peter Krause.",
                "Das reicht nicht",
                "Peter Krause",
            ),
            (
                "Laut Eva Schmidt ist das „ein großer Schritt“ für die Stadt.",
                "ein großer Schritt",
                "Eva Schmidt",
            ),
        ];
        for (text, needle, name) in cases {
            assert_eq!(
                who(text, needle).map(|s| s.name).as_deref(),
                Some(name),
                "{text}"
            );
        }
    }

    #[test]
    fn plural_pronouns_are_a_group() {
        let t = "Jan de Vries woont in de wijk. De bewoners zijn boos. ‘Dit pikken we niet’, zeggen ze.";
        assert_eq!(attributed(t, None, "Dit pikken we niet").speaker, None);
        let t2 = "Jan de Vries woont in de wijk. Daarover zeiden ze: ‘Dit pikken we niet.’";
        assert_eq!(attributed(t2, None, "Dit pikken we niet").speaker, None);
        let t3 = "Jan de Vries woont in de wijk. ‘Dit pik ik niet’, zegt hij.";
        assert_eq!(who(t3, "Dit pik ik niet").unwrap().name, "Jan de Vries");
    }

    #[test]
    fn organisations_are_not_speakers() {
        for (t, needle) in [
            (
                "De gemeente sluit het bad. ‘Het voldoet niet meer’, aldus de gemeente.",
                "Het voldoet niet meer",
            ),
            (
                "‘Wij betreuren dit’, zegt het ministerie van Volksgezondheid.",
                "Wij betreuren dit",
            ),
            (
                "Domesta stelt de renovatie uit. ,,We informeren de huurders”, meldt de corporatie.",
                "We informeren de huurders",
            ),
        ] {
            let a = attributed(t, None, needle);
            assert_eq!((a.speaker, a.note), (None, None), "{t}");
        }
    }

    proptest::proptest! {
        #[test]
        fn never_panics(
            t in "[A-Za-zé ’‘,.:\n]{0,60}( zegt| aldus| legt| Volgens| Van den| de)?[A-Za-z ’‘.,:\n—]{0,60}",
            a in 0usize..150,
            b in 0usize..150,
        ) {
            if let Some(sp) = speaker_for(&t, a, b) {
                proptest::prop_assert!(!sp.name.is_empty());
            }
            let title = t.chars().rev().take(30).collect::<String>();
            if let Some(sp) = attribute(&t, Some(&title), a, b).speaker {
                proptest::prop_assert!(!sp.name.is_empty());
            }
        }
    }
}
