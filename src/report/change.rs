//! What changed around a quote's passage between two captures of its page: a word diff of
//! the earlier text and the latest one, limited to a window around the passage, so that a
//! long page costs no more than its window.

use crate::report::html::{DiffPiece, word_diff};

/// Longest window (characters, each text) that is diffed; a longer one is not shown.
const MAX_WINDOW: usize = 6_000;
/// More changed words than this in the window, and the change is said, not shown.
const MAX_CHANGED_WORDS: usize = 150;

/// The change around a passage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AroundPassage {
    /// The window reads the same in both texts (the change is elsewhere on the page).
    Unchanged,
    /// The word diff: `Dropped` is the earlier text only, `Added` the latest only.
    Diff(Vec<DiffPiece>),
    /// Too much changed to show word by word.
    TooMany,
}

/// The byte offsets of several character offsets, in one pass over `text` (any order; past
/// the end: `text.len()`).
fn bytes_at<const N: usize>(text: &str, chars: [usize; N]) -> [usize; N] {
    let mut out = [text.len(); N];
    let last = chars.iter().copied().max().unwrap_or(0);
    for (n, (b, _)) in text.char_indices().enumerate().take(last.saturating_add(1)) {
        for (slot, &want) in out.iter_mut().zip(&chars) {
            if want == n {
                *slot = b;
            }
        }
    }
    out
}

/// `[a, b)` (bytes) widened to white space on both sides, so no word is cut.
fn whole_words(text: &str, a: usize, b: usize) -> &str {
    let a = text[..a].rfind(char::is_whitespace).map_or(0, |i| i + 1);
    let b = text[b..]
        .find(char::is_whitespace)
        .map_or(text.len(), |i| b + i);
    &text[a..b.max(a)]
}

/// The window `[start, end)` ± `radius` characters of `new`, and the window of `old` it
/// maps to: around the passage's own words when `old` has them, else by the common start
/// and end of both texts (a point inside the changed middle maps in proportion).
fn windows<'a>(
    old: &'a str,
    new: &'a str,
    start: usize,
    end: usize,
    radius: usize,
) -> (&'a str, &'a str) {
    let [new_a, pa, pb, new_b] = bytes_at(
        new,
        [
            start.saturating_sub(radius),
            start,
            end,
            end.saturating_add(radius),
        ],
    );
    let passage = &new[pa..pb.max(pa)];
    let (old_a, old_b) = match old.find(passage).filter(|_| !passage.is_empty()) {
        Some(at) => {
            let before = new[new_a..pa].len();
            let after = new[pb.max(pa)..new_b.max(pb)].len();
            (
                at.saturating_sub(before),
                (at + passage.len() + after).min(old.len()),
            )
        }
        None => {
            let prefix = old
                .bytes()
                .zip(new.bytes())
                .take_while(|(a, b)| a == b)
                .count();
            let suffix = old
                .bytes()
                .rev()
                .zip(new.bytes().rev())
                .take_while(|(a, b)| a == b)
                .count()
                .min(old.len().min(new.len()) - prefix);
            let map = |x: usize| -> usize {
                if x <= prefix {
                    x
                } else if x >= new.len() - suffix {
                    x + old.len() - new.len()
                } else {
                    let (nm, om) = (new.len() - suffix - prefix, old.len() - suffix - prefix);
                    prefix + (x - prefix) * om / nm.max(1)
                }
            };
            (map(new_a).min(old.len()), map(new_b).min(old.len()))
        }
    };
    let fix = |t: &str, mut b: usize| {
        while !t.is_char_boundary(b) {
            b -= 1;
        }
        b
    };
    let (old_a, old_b) = (fix(old, old_a), fix(old, old_b));
    (
        whole_words(old, old_a, old_b.max(old_a)),
        whole_words(new, new_a, new_b.max(new_a)),
    )
}

/// What changed around the passage `[start, end)` (characters of `new`, the latest text)
/// since `old`, within `radius` characters of it.
pub fn change_around(
    old: &str,
    new: &str,
    start: usize,
    end: usize,
    radius: usize,
) -> AroundPassage {
    let (old_w, new_w) = windows(old, new, start, end, radius);
    if old_w.chars().count() > MAX_WINDOW || new_w.chars().count() > MAX_WINDOW {
        return AroundPassage::TooMany;
    }
    let pieces = word_diff(old_w, new_w);
    let changed: usize = pieces
        .iter()
        .map(|p| match p {
            DiffPiece::Same(_) => 0,
            DiffPiece::Dropped(w) | DiffPiece::Added(w) => w.split_whitespace().count(),
        })
        .sum();
    if changed == 0 {
        AroundPassage::Unchanged
    } else if changed > MAX_CHANGED_WORDS || !pieces.iter().any(|p| matches!(p, DiffPiece::Same(_)))
    {
        AroundPassage::TooMany
    } else {
        AroundPassage::Diff(pieces)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str, part: &str) -> (usize, usize) {
        let b = text.find(part).unwrap();
        let s = text[..b].chars().count();
        (s, s + part.chars().count())
    }

    #[test]
    fn a_word_changed_near_the_passage_is_shown_as_del_and_ins() {
        let old = "Het college besloot dinsdag dat de brug in maart dicht gaat. \
                   De wethouder zei: wij doen dit met pijn in het hart.";
        let new = "Het college besloot woensdag dat de brug in april dicht gaat. \
                   De wethouder zei: wij doen dit met pijn in het hart.";
        let (s, e) = at(new, "wij doen dit met pijn");
        let AroundPassage::Diff(pieces) = change_around(old, new, s, e, 300) else {
            panic!("no diff");
        };
        assert!(
            pieces.contains(&DiffPiece::Dropped("dinsdag".into())),
            "{pieces:?}"
        );
        assert!(
            pieces.contains(&DiffPiece::Added("woensdag".into())),
            "{pieces:?}"
        );
        assert!(
            pieces.contains(&DiffPiece::Dropped("maart".into())),
            "{pieces:?}"
        );
        assert!(
            pieces.contains(&DiffPiece::Added("april".into())),
            "{pieces:?}"
        );
    }

    #[test]
    fn a_change_far_from_the_passage_is_outside_the_window() {
        let filler = "woord ".repeat(200);
        let old = format!("Begin oud. {filler}De kern van het citaat staat hier. {filler}");
        let new = format!("Begin nieuw. {filler}De kern van het citaat staat hier. {filler}");
        let (s, e) = at(&new, "De kern van het citaat");
        assert_eq!(
            change_around(&old, &new, s, e, 100),
            AroundPassage::Unchanged
        );
    }

    #[test]
    fn a_removed_passage_maps_by_the_common_start_and_end() {
        let old = "Eerste zin blijft. Dit citaat is weg. Laatste zin blijft.";
        let new = "Eerste zin blijft. Iets anders staat er nu. Laatste zin blijft.";
        let (s, e) = at(new, "Iets anders");
        let AroundPassage::Diff(pieces) = change_around(old, new, s, e, 300) else {
            panic!("no diff");
        };
        assert!(
            pieces.contains(&DiffPiece::Dropped("Dit citaat is weg.".into())),
            "{pieces:?}"
        );
        assert!(
            pieces.contains(&DiffPiece::Same("Eerste zin blijft.".into())),
            "{pieces:?}"
        );
    }

    #[test]
    fn a_rewritten_window_is_too_much_to_show() {
        let old: String = (0..400).map(|i| format!("oud{i} ")).collect();
        let new: String = (0..400).map(|i| format!("nieuw{i} ")).collect();
        assert_eq!(
            change_around(&old, &new, 100, 120, 300),
            AroundPassage::TooMany
        );
    }

    #[test]
    fn a_huge_text_costs_only_its_window_and_offsets_are_characters() {
        let old = format!(
            "é{}citaat hier staat oud{}",
            "x ".repeat(500_000),
            " y".repeat(500_000)
        );
        let new = format!(
            "é{}citaat hier staat nieuw{}",
            "x ".repeat(500_000),
            " y".repeat(500_000)
        );
        let (s, e) = at(&new, "citaat hier");
        let started = std::time::Instant::now();
        let AroundPassage::Diff(pieces) = change_around(&old, &new, s, e, 300) else {
            panic!("no diff");
        };
        assert!(started.elapsed().as_secs() < 5);
        assert!(
            pieces.contains(&DiffPiece::Added("nieuw".into())),
            "{pieces:?}"
        );
    }
}
