//! Golden cases for [`Corpus::locate`] (docs/matching.md §10), on invented Dutch articles.

use super::normalize::{Fold, normalize};
use super::*;
use proptest::prelude::*;

const ARTICLE_A: &str = "Gemeenten en provincies werken steeds vaker samen.\n\n\
„Wij zijn zo gewend om in wet- en regelgeving te denken, in ‘kan \nniet, lukt niet’. \
Maar je moet flexibel kunnen zijn,” zegt programmamanager Els de Wit. „Als overheid \
alles bepalen, is niet meer van onze tijd.”\n\
Volgens De Wit is het wél mogelijk om anders te werken. ‘Het is belangrijk om van elkaar \
te weten welke belangen je hebt om wél of juist niet samen te werken,’ vertelt ze. \
‘Dat is echt zo’n pertinente misvatting.’\n\
In het voorjaar komt er een nieuw ant-\nwoord van het ministerie. ‘Ik zie overal auto’s.’\n";

const ARTICLE_B: &str = "Het café aan de Dorpsstraat sluit. De eigenaar is er klaar mee.\n\
‘Als je denkt in mogelijkheden en kansen, kun je heel ver komen.’ Dat zegt wethouder \
Pieters. Ze wil de ﬁnanciële steun bĳ de gemeente\u{00A0}aanvragen via het \
ge&shy;meentelijk loket, maar de ant&shy;woorden blijven uit.\n";

const ARTICLE_C: &str = "Een ander verhaal over de provincie Friesland en haar dorpen.\n\
‘Als je denkt in mogelijkheden en kansen, kun je heel ver komen,’ zei de gedeputeerde ook.\n";

fn corpus() -> Corpus {
    Corpus::build(&[Some(ARTICLE_A), Some(ARTICLE_B), None, Some(ARTICLE_C)])
}

/// `text.chars()` over `[start, end)` must equal `matched_text`.
fn assert_offsets(c: &Corpus, f: &Finding) {
    let src = f.source.expect("a source");
    let text = c.text(src).expect("available");
    let slice: String = text.chars().skip(f.start).take(f.end - f.start).collect();
    assert_eq!(slice, f.matched_text);
}

#[test]
fn straight_marks_verified_with_exact_offsets() {
    let c = corpus();
    let f = c.locate(
        "\"Als je denkt in mogelijkheden en kansen, kun je heel ver komen.\"",
        Some(1),
    );
    assert_eq!(f.verdict, Verdict::Verified);
    assert_eq!(f.source, Some(1));
    assert_eq!(f.score, 1.0);
    assert_eq!(
        f.matched_text,
        "Als je denkt in mogelijkheden en kansen, kun je heel ver komen"
    );
    assert_offsets(&c, &f);
    // Source B starts with `café`: character offsets, not bytes.
    let byte = ARTICLE_B.find("Als je denkt").unwrap();
    assert_eq!(f.start, ARTICLE_B[..byte].chars().count());
    assert!(f.differences.is_empty());
    assert!(f.context.starts_with("‘Als je denkt"), "{}", f.context);
    // The same words stand in source 3 (C).
    assert_eq!(f.also_found_in, vec![3]);
}

#[test]
fn curly_and_low_high_marks() {
    let c = corpus();
    let f = c.locate("‘Maar je moet flexibel kunnen zijn.’", Some(0));
    assert_eq!(f.verdict, Verdict::Verified);
    assert_eq!(f.matched_text, "Maar je moet flexibel kunnen zijn");
    assert_offsets(&c, &f);
    let f = c.locate(
        "„Als overheid alles bepalen, is niet meer van onze tijd.”",
        Some(0),
    );
    assert_eq!(f.verdict, Verdict::Verified);
    assert_eq!(
        f.matched_text,
        "Als overheid \nalles bepalen, is niet meer van onze tijd".replace(" \n", " ")
    );
    assert_offsets(&c, &f);
}

#[test]
fn hyphenation_both_ways() {
    let c = corpus();
    // Line-end hyphen in the source, none in the quote.
    let f = c.locate("komt er een nieuw antwoord van het ministerie", Some(0));
    assert_eq!(f.verdict, Verdict::Verified);
    assert_eq!(
        f.matched_text,
        "komt er een nieuw ant-\nwoord van het ministerie"
    );
    // Line-end hyphen in the quote, none in the source (source B uses &shy;).
    let f = c.locate(
        "via het gemeentelijk loket, maar de ant- woorden blijven uit",
        None,
    );
    assert_eq!(f.verdict, Verdict::Verified);
    assert_eq!(f.source, Some(1));
    assert_offsets(&c, &f);
    // `wet- en regelgeving` matches itself.
    let f = c.locate("om in wet- en regelgeving te denken", Some(0));
    assert_eq!(f.verdict, Verdict::Verified);
    assert_eq!(f.matched_text, "om in wet- en regelgeving te denken");
}

#[test]
fn nbsp_soft_hyphen_ligatures() {
    let c = corpus();
    let f = c.locate(
        "Ze wil de financiële steun bij de gemeente aanvragen via het gemeentelijk loket",
        Some(1),
    );
    assert_eq!(f.verdict, Verdict::Verified, "{f:?}");
    assert!(
        f.matched_text
            .contains("ﬁnanciële steun bĳ de gemeente\u{00A0}aanvragen")
    );
    assert!(f.matched_text.ends_with("ge&shy;meentelijk loket"));
    assert_offsets(&c, &f);
}

#[test]
fn accent_only_difference_is_approximate_just_below_one() {
    let c = corpus();
    let f = c.locate(
        "Volgens De Wit is het wel mogelijk om anders te werken.",
        Some(0),
    );
    assert_eq!(f.verdict, Verdict::Approximate);
    assert!(f.score > 0.95 && f.score < 1.0, "{}", f.score);
    assert_eq!(f.differences, "changed \"wel\"→\"wél\"");
    assert_offsets(&c, &f);
}

#[test]
fn dropped_word_is_approximate_and_named() {
    let c = corpus();
    let f = c.locate("‘Dat is zo’n pertinente misvatting.’", Some(0));
    assert_eq!(f.verdict, Verdict::Approximate);
    assert_eq!(f.differences, "dropped \"echt\"");
    assert_eq!(f.matched_text, "Dat is echt zo’n pertinente misvatting");
    assert!(f.score >= DEFAULT_MIN_SCORE && f.score < 1.0);
    assert_offsets(&c, &f);
}

#[test]
fn ellipsis_gap_is_verified_and_reported() {
    let c = corpus();
    let f = c.locate(
        "Wij zijn zo gewend (…) Maar je moet flexibel kunnen zijn",
        Some(0),
    );
    assert_eq!(f.verdict, Verdict::Verified, "{f:?}");
    assert_eq!(
        f.omitted,
        "om in wet- en regelgeving te denken, in ‘kan niet, lukt niet’."
    );
    assert!(f.matched_text.starts_with("Wij zijn zo gewend om in"));
    assert!(f.matched_text.ends_with("flexibel kunnen zijn"));
    assert_offsets(&c, &f);
    // Three dots as well; a fragment that is not there makes it approximate at most.
    let f = c.locate("Wij zijn zo gewend... dit staat er helemaal niet", Some(0));
    assert_ne!(f.verdict, Verdict::Verified);
}

#[test]
fn attribution_interruption_is_verified() {
    let c = corpus();
    let f = c.locate(
        "Maar je moet flexibel kunnen zijn. Als overheid alles bepalen, is niet meer van onze tijd.",
        Some(0),
    );
    assert_eq!(f.verdict, Verdict::Verified, "{f:?}");
    assert_eq!(f.score, 1.0);
    assert_eq!(f.attribution_gaps.len(), 1);
    let (gs, ge) = f.attribution_gaps[0];
    let gap: String = ARTICLE_A.chars().skip(gs).take(ge - gs).collect();
    assert!(gap.contains("zegt programmamanager Els de Wit"), "{gap:?}");
    assert!(f.omitted.is_empty());
    assert_offsets(&c, &f);
    // `, vertelt ze.` with a typo elsewhere: approximate, the gap still not charged.
    let f = c.locate(
        "Het is belangrijk om van elkaar te weten welke belangen je hebt om wél of juist \
         niet samen te werken. Dat is echt zo’n pertinent misvatting.",
        Some(0),
    );
    assert_eq!(f.verdict, Verdict::Approximate, "{f:?}");
    assert_eq!(f.attribution_gaps.len(), 1, "{f:?}");
    assert!(f.score > 0.98, "{}", f.score);
}

#[test]
fn nested_quote_and_short_exact_quote() {
    let c = corpus();
    let f = c.locate(
        "‘Wij zijn zo gewend om in wet- en regelgeving te denken, in ‘kan niet, lukt niet’.’",
        Some(0),
    );
    assert_eq!(f.verdict, Verdict::Verified);
    assert!(f.matched_text.ends_with("lukt niet"));
    assert_offsets(&c, &f);
    // Key `kan niet lukt niet` is 18 bytes: exact only.
    let f = c.locate("‘kan niet, lukt niet’", Some(0));
    assert_eq!(f.verdict, Verdict::Verified);
    assert_eq!(f.matched_text, "kan \nniet, lukt niet");
    let f = c.locate("‘kan niet, lukt nie’", Some(0));
    assert_eq!(f.verdict, Verdict::NotFound);
}

#[test]
fn apostrophe_next_to_closing_mark() {
    let c = corpus();
    let f = c.locate("'Ik zie overal auto's.'", Some(0));
    assert_eq!(f.verdict, Verdict::Verified);
    assert_eq!(f.matched_text, "Ik zie overal auto’s");
    assert_offsets(&c, &f);
    let f = c.locate("Dat is echt zo&rsquo;n pertinente misvatting", Some(0));
    assert_eq!(f.verdict, Verdict::Verified);
    assert_eq!(f.matched_text, "Dat is echt zo’n pertinente misvatting");
}

#[test]
fn misattributed_and_unavailable() {
    let c = corpus();
    let q = "Als je denkt in mogelijkheden en kansen, kun je heel ver komen.";
    // Claimed A lacks it, B and C hold it: misattributed, first in input order.
    let f = c.locate(q, Some(0));
    assert_eq!(f.verdict, Verdict::Misattributed);
    assert_eq!(f.source, Some(1));
    assert_eq!(f.also_found_in, vec![3]);
    // Claimed source 2 could not be had, found elsewhere: that verdict plus a note.
    let f = c.locate(q, Some(2));
    assert_eq!(f.verdict, Verdict::Verified);
    assert!(f.note.contains("unavailable"));
    // Claimed unavailable and nowhere else.
    let f = c.locate(
        "Deze zin staat in geen enkel artikel van de hele verzameling.",
        Some(2),
    );
    assert_eq!(f.verdict, Verdict::SourceUnavailable);
    assert_eq!(f.source, None);
    // No claim, not anywhere.
    let f = c.locate(
        "Deze zin staat in geen enkel artikel van de hele verzameling.",
        None,
    );
    assert_eq!(f.verdict, Verdict::NotFound);
    assert!(f.best_score < DEFAULT_MIN_SCORE);
}

#[test]
fn min_score_is_adjustable() {
    let c = corpus();
    let q = "‘Dat is zo’n pertinente misvatting.’"; // one word dropped: score ≈ 0.86
    assert_eq!(c.locate_with(q, Some(0), 0.95).verdict, Verdict::NotFound);
    let f = c.locate_with(q, Some(0), 0.95);
    assert_eq!(f.best_source, Some(0));
    assert!(f.best_score > 0.8);
}

/// The bar of docs/matching.md §9: a 33-word quote with straight marks, a line-wrap hyphen,
/// `wel` for `wél` and three words silently dropped; the true distance is far above a
/// naive small k.
#[test]
fn large_true_distance_still_matches() {
    let filler = "Dit is een alinea over iets heel anders, zoals de begroting van het waterschap. ";
    let passage = "‘We moeten als gemeenten en provincies veel meer van elkaar leren, want \
        de opgaven in de regio worden steeds groter en ingewikkel-\nder. Dat vraagt wél om \
        een andere houding van bestuurders en ambtenaren, die durven loslaten en vertrouwen \
        geven aan de uitvoering,’ aldus de wethouder.";
    let text = format!("{}{}{}", filler.repeat(60), passage, filler.repeat(60));
    let c = Corpus::build(&[Some(&text)]);
    let q = "\"We moeten als gemeenten en provincies meer van elkaar leren, want de opgaven \
        in de regio worden groter en ingewikkelder. Dat vraagt wel om een andere houding van \
        bestuurders, die durven loslaten en vertrouwen geven aan de uitvoering\"";
    let f = c.locate(q, Some(0));
    assert_eq!(f.verdict, Verdict::Approximate, "{f:?}");
    assert!(f.matched_text.starts_with("We moeten"));
    assert!(f.matched_text.ends_with("aan de uitvoering"));
    assert!(f.score > 0.85 && f.score < 0.95, "{}", f.score);
    assert!(
        f.differences.contains("dropped \"veel\""),
        "{}",
        f.differences
    );
    assert!(
        f.differences.contains("changed \"wel\"→\"wél\""),
        "{}",
        f.differences
    );
    assert_offsets(&c, &f);
}

#[test]
fn approximate_found_without_trigram_hits() {
    // Every third word changed: no word trigram survives, still above 0.80 on characters.
    let text = "De gemeenteraad vergaderde gisteren urenlang over de toekomst van het \
        zwembad in het centrum van de stad.";
    let c = Corpus::build(&[Some(text), Some("Iets heel anders.")]);
    let q = "De gemeenteraad vergaderde gister urenlang over de toekomst van hét zwembad \
        in het centrum van de stad";
    let f = c.locate(q, None);
    assert_eq!(f.verdict, Verdict::Approximate, "{f:?}");
    assert_eq!(f.source, Some(0));
}

#[test]
fn empty_and_odd_input_does_not_panic() {
    let c = Corpus::build(&[
        Some(""),
        None,
        Some("…"),
        Some("&amp;&#;&#99999999; é\u{0301}"),
    ]);
    assert_eq!(c.locate("", None).verdict, Verdict::NotFound);
    assert_eq!(c.locate("…", Some(1)).verdict, Verdict::NotFound);
    assert_eq!(
        c.locate("é", Some(7)).note,
        "claimed source index out of range"
    );
    assert_eq!(c.locate("abc", Some(1)).verdict, Verdict::SourceUnavailable);
    let _ = c.locate("&amp;&#; é", Some(3));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Any run of words of an article, retyped with straight marks and in upper case, is
    /// verified, and its offsets give back the source's own words.
    #[test]
    fn any_word_run_is_verified(from in 0usize..60, len in 4usize..25) {
        let words: Vec<&str> = ARTICLE_A.split_whitespace().collect();
        let from = from % (words.len() - len);
        // A run that ends on the first half of `wet- en` ("… om in wet-") is no quote anyone
        // writes: the dash rule joins it with the next word in the source.
        prop_assume!(!words[from + len - 1].ends_with('-'));
        let quote = words[from..from + len].join(" ").replace(['‘', '’', '„', '”'], "'").to_uppercase();
        let c = Corpus::build(&[Some(ARTICLE_B), Some(ARTICLE_A)]);
        let f = c.locate(&quote, Some(1));
        prop_assume!(normalize(&quote, Fold::Loose).len() >= 4);
        prop_assert_eq!(f.verdict, Verdict::Verified, "{:?} {:?}", quote, f);
        assert_offsets(&c, &f);
        prop_assert_eq!(normalize(&f.matched_text, Fold::Strict).text, normalize(&quote, Fold::Strict).text);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    /// Arbitrary text and a quote cut from it (or anything) never panic, and a reported
    /// span always slices the text on character boundaries.
    #[test]
    fn arbitrary_input_never_panics(
        text in "(\\PC|[‘’„”'\"…\u{00AD}\u{0301} \n&;#a-z-]){0,300}",
        from in 0usize..300, len in 0usize..120, other in "\\PC{0,40}",
    ) {
        let chars: Vec<char> = text.chars().collect();
        let from = from.min(chars.len());
        let quote: String = chars[from..(from + len).min(chars.len())].iter().collect();
        let c = Corpus::build(&[Some(&text), None, Some(&other)]);
        for (q, cl) in [(quote.as_str(), Some(0)), (other.as_str(), Some(1)), (quote.as_str(), None)] {
            let f = c.locate(q, cl);
            if f.source.is_some() {
                assert_offsets(&c, &f);
                prop_assert!((0.0..=1.0).contains(&f.score));
            }
        }
    }
}

/// Character offset of `needle` in `text`.
fn char_at(text: &str, needle: &str) -> usize {
    text[..text.find(needle).expect("needle in text")]
        .chars()
        .count()
}

#[test]
fn dropped_word_next_to_the_edge_keeps_the_edge_word() {
    let text = "More than 600,000 Israelis live in settlements in east Jerusalem and the West \
        Bank, alongside more than three million Palestinians.";
    let c = Corpus::build(&[Some(text)]);
    let f = c.locate(
        "More 600,000 Israelis live in settlements in east Jerusalem and the West Bank, \
         alongside more than three million Palestinians",
        Some(0),
    );
    assert_eq!(f.verdict, Verdict::Approximate, "{f:?}");
    assert_eq!((f.start, f.end), (0, 130), "{f:?}");
    assert_eq!(f.differences, "dropped \"than\"");
    assert_offsets(&c, &f);
}

#[test]
fn span_never_starts_mid_word() {
    let text = "Publishers wanted something else. The platform is native, programmatic offering \
        to support local newsrooms that sell their own advertising and keep the revenue in \
        their own communities across the country. Nothing else changed.";
    let c = Corpus::build(&[Some(text)]);
    let f = c.locate(
        "native, to support local newsrooms that sell their own advertising and keep the \
         revenue in their own communities across the country",
        Some(0),
    );
    assert_eq!(f.verdict, Verdict::Approximate, "{f:?}");
    assert_eq!(f.start, char_at(text, "native"), "{f:?}");
    assert!(f.matched_text.starts_with("native, programmatic"), "{f:?}");
    assert!(f.matched_text.ends_with("across the country"), "{f:?}");
    assert_eq!(f.differences, "dropped \"programmatic offering\"");
    assert_offsets(&c, &f);
}

#[test]
fn span_never_starts_on_a_space() {
    let text = "The show was really great. We received the tickets and pistachio nuts at the \
        entrance and we enjoyed a free drink at the cafe.";
    let c = Corpus::build(&[Some(text)]);
    let f = c.locate(
        "The show great. We received tickets and pistachio nuts at the entrance and we \
         enjoyed a free drink at the cafe",
        Some(0),
    );
    assert_eq!(f.verdict, Verdict::Approximate, "{f:?}");
    assert_eq!((f.start, f.end), (0, 125), "{f:?}");
    assert_eq!(f.differences, "dropped \"was really\"; dropped \"the\"");
    assert_offsets(&c, &f);
}

#[test]
fn added_word_after_ellipsis_with_adjacent_fragments() {
    let text = "Het college heeft besloten dat de bibliotheek in het centrum komt. De wethouder \
        is blij met dat besluit en wil snel beginnen met de bouw.";
    let c = Corpus::build(&[Some(text)]);
    let f = c.locate(
        "Het college heeft besloten dat de bibliotheek in het centrum komt. … ook De \
         wethouder is blij met dat besluit en wil snel beginnen",
        Some(0),
    );
    assert_eq!(f.verdict, Verdict::Approximate, "{f:?}");
    assert!(f.score > 0.95 && f.score < 0.99, "{f:?}");
    assert_eq!(f.start, 0);
    assert_eq!(f.end, char_at(text, " met de bouw"), "{f:?}");
    assert_eq!(f.differences, "added \"ook\"");
    assert_offsets(&c, &f);
}

#[test]
fn split_quote_whose_second_part_starts_with_the_verb() {
    let text = "Besides having more oomph, Nissan,’ said the minister. ‘said that the new’ engine.";
    let c = Corpus::build(&[Some(text)]);
    let f = c.locate(
        "Besides having more oomph, Nissan said that the new",
        Some(0),
    );
    assert_eq!(f.verdict, Verdict::Verified, "{f:?}");
    assert_eq!((f.start, f.end), (0, char_at(text, "’ engine")), "{f:?}");
    assert_eq!(f.attribution_gaps.len(), 1, "{f:?}");
    let (gs, ge) = f.attribution_gaps[0];
    let gap: String = text.chars().skip(gs).take(ge - gs).collect();
    assert!(gap.contains("said the minister"), "{gap:?}");
    assert_offsets(&c, &f);
}

#[test]
fn short_last_fragment_with_an_edit_right_after_the_previous_one() {
    let text = "The crowd was huge and it took a while to get through the aisles as well… we got \
        seats on the balcony in the end.";
    let c = Corpus::build(&[Some(text)]);
    let q = "The crowd was huge and it took a while to get through the aisles as well… we yet \
        seats on the";
    let f = c.locate(q, Some(0));
    assert_eq!(f.verdict, Verdict::Approximate, "{f:?}");
    assert_eq!(f.start, 0);
    assert_eq!(f.end, char_at(text, " balcony"), "{f:?}");
    assert_eq!(f.differences, "changed \"yet\"→\"got\"");
    let m: usize = q
        .split('…')
        .map(|p| normalize(p, Fold::Strict).text.chars().count())
        .sum();
    assert!((f.score - (1.0 - 2.0 / m as f64)).abs() < 1e-9, "{f:?}");
    assert_offsets(&c, &f);
    // A short fragment that is nowhere near is charged in full and named.
    let q = "The crowd was huge and it took a while to get through the aisles as well… zq xv kw";
    let f = c.locate(q, Some(0));
    assert_eq!(f.differences, "missing \"zq xv kw\"", "{f:?}");
    let m: usize = q
        .split('…')
        .map(|p| normalize(p, Fold::Strict).text.chars().count())
        .sum();
    assert!((f.score - (1.0 - 8.0 / m as f64)).abs() < 1e-9, "{f:?}");
    assert_eq!(f.end, char_at(text, "… we got"), "{f:?}");
}

/// Sentences for the invented corpora of the streaming tests.
const SENTENCES: &[&str] = &[
    "De gemeenteraad vergaderde gisteren urenlang over de toekomst van het zwembad.",
    "‘Wij willen dat het bad open blijft voor alle inwoners,’ zegt wethouder Anne Jansen. ‘Maar het geld is op.’",
    "Volgens de provincie is er wél ruimte voor een nieuwe regeling met de buurgemeenten.",
    "Het college heeft besloten dat de bibliotheek in het centrum komt.",
    "De wethouder is blij met dat besluit en wil snel beginnen met de bouw.",
    "More than 600,000 Israelis live in settlements in east Jerusalem and the West Bank.",
    "The show was really great and we enjoyed a free drink at the cafe afterwards.",
    "„Als je denkt in mogelijkheden en kansen, kun je heel ver komen,” aldus de directeur.",
    "Bewoners klagen al jaren over het lawaai van de snelweg langs de wijk.",
    "Het is belangrijk om van elkaar te weten welke belangen je hebt.",
    "In het voorjaar komt er een nieuw ant-\nwoord van het ministerie over de subsidie.",
    "The committee said the report would be published before the end of the year.",
];

/// A source text from sentence indices.
fn source_text(ids: &[usize]) -> String {
    ids.iter()
        .map(|&i| SENTENCES[i % SENTENCES.len()])
        .collect::<Vec<_>>()
        .join(" ")
}

/// A quote of kind `kind` cut from `text` at word `from` (`len` words), perhaps edited.
fn quote_from(text: &str, kind: u8, from: usize, len: usize, at: usize) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.is_empty() {
        return "niets hier".into();
    }
    let from = from % words.len();
    let to = (from + len).min(words.len());
    let mut run: Vec<&str> = words[from..to].to_vec();
    let at = at % run.len().max(1);
    match kind {
        // Exact run (typography of the source kept).
        0 => {}
        // A word dropped, changed or added.
        1 if run.len() > 2 => {
            run.remove(at);
        }
        2 => run[at] = "anders",
        3 => run.insert(at, "echt"),
        // Ellipsis: a second run a few words later.
        4 => {
            let tail: Vec<&str> = words.iter().skip(to + 3).take(len).copied().collect();
            return format!("{} … {}", run.join(" "), tail.join(" "));
        }
        // Not in any source.
        5 => return "Deze zin staat nergens in de hele verzameling van artikelen".into(),
        _ => {}
    }
    run.join(" ")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// `QuoteSet::scan` over the sources one at a time (any order) and `finish` give
    /// exactly the Findings of `Corpus::locate`, and pruning the hits changes nothing.
    #[test]
    fn quote_set_equals_corpus(
        sources in proptest::collection::vec(
            proptest::option::weighted(0.8, proptest::collection::vec(0usize..12, 1..6)), 1..6),
        quotes in proptest::collection::vec(
            (0u8..6, 0usize..8, 0usize..80, 3usize..24, 0usize..24), 1..8),
        claims in proptest::collection::vec(0usize..10, 8),
        order_seed in 0usize..1000,
    ) {
        let mut texts: Vec<Option<String>> = sources.iter().map(|s| s.as_deref().map(source_text)).collect();
        // A repetitive source: words and trigrams over the per-source caps.
        texts.push(Some("de raad zegt nee. ".repeat(70)));
        let n = texts.len();
        let quotes: Vec<String> = quotes
            .iter()
            .map(|&(kind, src, from, len, at)| match &texts[src % n] {
                Some(t) => quote_from(t, kind, from, len, at),
                None => quote_from(SENTENCES[src % SENTENCES.len()], kind, from, len, at),
            })
            .chain(["de raad zegt nee".to_string(), "…".to_string()])
            .collect();
        let refs: Vec<Option<&str>> = texts.iter().map(|t| t.as_deref()).collect();
        let corpus = Corpus::build(&refs);
        let qrefs: Vec<&str> = quotes.iter().map(String::as_str).collect();
        let set = QuoteSet::new(&qrefs);
        let mut hits: Vec<Vec<SourceHit>> = vec![Vec::new(); quotes.len()];
        let mut order: Vec<usize> = (0..n).collect();
        order.rotate_left(order_seed % n);
        if order_seed % 2 == 1 {
            order.reverse();
        }
        for s in order {
            if let Some(t) = &texts[s] {
                for (q, h) in set.scan(s, t) {
                    prop_assert_eq!(h.source, s);
                    hits[q].push(h);
                }
            }
        }
        let available = |i: usize| texts.get(i).is_some_and(Option::is_some);
        for (qi, q) in quotes.iter().enumerate() {
            // None, or a source index (available or not).
            let claimed = (claims[qi % claims.len()] < n + 1).then(|| claims[qi % claims.len()] % n);
            let expect = corpus.locate(q, claimed);
            let got = set.finish(qi, hits[qi].clone(), claimed, &available);
            prop_assert_eq!(&got, &expect, "quote {:?}", q);
            let mut pruned = hits[qi].clone();
            prune_hits(&mut pruned);
            prop_assert_eq!(&set.finish(qi, pruned, claimed, &available), &expect);
        }
    }
}

#[test]
fn quote_set_covers_every_verdict() {
    let texts = [Some(ARTICLE_A), Some(ARTICLE_B), None, Some(ARTICLE_C)];
    let corpus = Corpus::build(&texts);
    let quotes = [
        // verified, in claimed A
        "‘Maar je moet flexibel kunnen zijn.’",
        // misattributed: claimed A, in B and C
        "Als je denkt in mogelijkheden en kansen, kun je heel ver komen.",
        // claimed unavailable, found elsewhere
        "Als je denkt in mogelijkheden en kansen, kun je heel ver komen.",
        // source_unavailable
        "Deze zin staat in geen enkel artikel van de hele verzameling.",
        // ellipsis
        "Wij zijn zo gewend (…) Maar je moet flexibel kunnen zijn",
        // split by an attribution
        "Maar je moet flexibel kunnen zijn. Als overheid alles bepalen, is niet meer van onze tijd.",
        // approximate
        "‘Dat is zo’n pertinente misvatting.’",
        // not found
        "Deze zin staat in geen enkel artikel van de hele verzameling.",
    ];
    let claims = [
        Some(0),
        Some(0),
        Some(2),
        Some(2),
        Some(0),
        Some(0),
        Some(0),
        None,
    ];
    let set = QuoteSet::new(&quotes);
    let mut hits: Vec<Vec<SourceHit>> = vec![Vec::new(); quotes.len()];
    for s in [3, 1, 0] {
        for (q, h) in set.scan(s, texts[s].unwrap_or_default()) {
            hits[q].push(h);
        }
    }
    let available = |i: usize| texts.get(i).is_some_and(Option::is_some);
    let mut verdicts = Vec::new();
    for (qi, q) in quotes.iter().enumerate() {
        let f = set.finish(qi, hits[qi].clone(), claims[qi], &available);
        assert_eq!(f, corpus.locate(q, claims[qi]), "{q}");
        verdicts.push(f.verdict);
    }
    use Verdict::*;
    assert_eq!(
        verdicts,
        [
            Verified,
            Misattributed,
            Verified,
            SourceUnavailable,
            Verified,
            Verified,
            Approximate,
            NotFound
        ]
    );
    assert_eq!(
        set.finish(99, Vec::new(), None, &available).note,
        "quote index out of range"
    );
}

#[test]
fn verdict_names_round_trip_and_other_text_is_none() {
    for v in [
        Verdict::Verified,
        Verdict::Approximate,
        Verdict::Misattributed,
        Verdict::SourceUnavailable,
        Verdict::NotFound,
    ] {
        assert_eq!(Verdict::from_name(v.as_str()), Some(v));
    }
    for other in ["", "Verified", "broken", "weird<>"] {
        assert_eq!(Verdict::from_name(other), None, "{other}");
    }
}
