//! The formula guard for the CSV files we write (links.csv, report.csv).
//!
//! A spreadsheet opening a CSV file treats a cell that starts with `=`, `+`, `-` or `@` (and,
//! in some programs, a tab or carriage return) as a formula: a page title such as
//! `=HYPERLINK("http://…","x")` would become a live link, or worse, in the reader's
//! spreadsheet. Every text cell that starts with one of those characters therefore gets a
//! leading `'`, which spreadsheets show as "text" and do not display. Numbers we format
//! ourselves (status codes, scores, offsets) never start with one and are not touched.
//!
//! The guard is lossless: a cell that already starts with `'` followed by something that
//! would be guarded gets one more `'`, so [`unguard`] (used when `citecheck report` and
//! `--resume` read our own CSV back) removes exactly one `'` from exactly those cells.
//! `--raw-csv` turns the guard off for machine consumers; JSON output is never altered.

use std::borrow::Cow;

/// The characters that make a spreadsheet read a cell as a formula.
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a cell must be guarded: it starts with a trigger, or with `'` before something
/// that must be guarded (so that [`unguard`] can tell our `'` from the cell's own).
fn needs_guard(cell: &str) -> bool {
    cell.trim_start_matches('\'').starts_with(TRIGGERS)
}

/// The cell as written with the guard on.
pub fn guard(cell: &str) -> Cow<'_, str> {
    if needs_guard(cell) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A text cell for a CSV writer: guarded when `guard` is set (no `--raw-csv`), else as is.
pub fn cell(text: &str, guard: bool) -> String {
    if guard {
        self::guard(text).into_owned()
    } else {
        text.to_string()
    }
}

/// The cell as it was before [`guard`]: one leading `'` removed where the guard put one.
/// A cell written with `--raw-csv` that happens to start with `'=` loses its `'` too; that
/// is the price of reading both kinds of file.
pub fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_guard(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_get_a_quote_and_others_stay() {
        for (cell, written) in [
            (
                "=HYPERLINK(\"http://evil\",\"x\")",
                "'=HYPERLINK(\"http://evil\",\"x\")",
            ),
            ("@SUM(1+1)", "'@SUM(1+1)"),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("'=x", "''=x"),
            ("''@x", "'''@x"),
            ("Titel = waar", "Titel = waar"),
            ("'t Is mooi", "'t Is mooi"),
            ("'", "'"),
            ("https://a.nl/=x", "https://a.nl/=x"),
            ("", ""),
            ("0.993", "0.993"),
        ] {
            assert_eq!(guard(cell), written, "{cell:?}");
            assert_eq!(unguard(&guard(cell)), cell, "round trip of {cell:?}");
        }
    }

    #[test]
    fn unguard_strips_only_our_quote() {
        assert_eq!(unguard("'=x"), "=x");
        assert_eq!(unguard("'t Is mooi"), "'t Is mooi");
        assert_eq!(unguard("''=x"), "'=x");
        assert_eq!(unguard("=x"), "=x");
        assert_eq!(unguard("'"), "'");
    }
}
