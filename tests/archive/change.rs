//! A page edited between two runs on the same archive: report.html shows what changed
//! around a quote's passage, and a quote the earlier capture held says so in report.csv.

use crate::common::FixtureSite;
use crate::common::cmd::*;

#[test]
fn an_edited_page_shows_its_change_and_a_lost_quote_says_when_it_was_there() {
    let site = FixtureSite::start();
    let dir = tempfile::tempdir().unwrap();
    write_sources(dir.path(), &[("S1", "/veranderd")]);
    std::fs::write(
        dir.path().join("quotes.csv"),
        "id,quote,source\n\
         Q1,\"Wij doen dit met pijn in het hart\",https://www.overheidvannu.nl/veranderd\n\
         Q2,\"De provincie trekt het geld voor de veerpont volgend jaar helemaal terug\",https://www.overheidvannu.nl/veranderd\n\
         Q3,\"de provincie trekt het geld voor de veerpont volgend jaar terug\",\n",
    )
    .unwrap();
    let run = || {
        let output = run_cmd(dir.path(), &site)
            .args(["--html", "report.html"])
            .output()
            .unwrap();
        assert!(
            output.status.code().is_some_and(|c| c <= 1),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        (
            read_csv(&dir.path().join("report.csv")),
            read_csv(&dir.path().join("links.csv")),
            std::fs::read_to_string(dir.path().join("report.html")).unwrap(),
        )
    };
    let (report, _, html) = run();
    assert_eq!(report[0]["verdict"], "verified", "{report:?}");
    assert_eq!(report[1]["verdict"], "verified", "{report:?}");
    assert!(!html.contains("Changed since"));

    site.next_edition();
    let (report, links, html) = run();
    assert_eq!(links[0]["changed"], "true", "{links:?}");
    // Q1 still stands; around it, the day the college decided changed.
    assert_eq!(report[0]["verdict"], "verified", "{report:?}");
    assert!(html.contains("Changed since"), "{html}");
    assert!(html.contains("<del>dinsdag</del>"), "{html}");
    assert!(html.contains("<ins>woensdag</ins>"), "{html}");
    // Q2's sentence is gone: not found now, verified in the capture before.
    assert_eq!(report[1]["verdict"], "not_found", "{report:?}");
    let manifest = std::fs::read_to_string(dir.path().join("archive/manifest.jsonl")).unwrap();
    let days: Vec<String> = manifest
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|e| e["fetched_at"].as_str().unwrap()[..10].to_string())
        .collect();
    assert_eq!(days.len(), 2);
    let note = &report[1]["note"];
    assert!(
        note.contains(&format!(
            "was verified in the capture of {}; not in the capture of {}",
            days[0], days[1]
        )),
        "{note}"
    );
    // A quote that claims no source is looked for in every changed page, named in the note.
    assert_eq!(report[2]["verdict"], "not_found", "{report:?}");
    assert!(
        report[2]["note"].contains(&format!(
            "was approximate in https://www.overheidvannu.nl/veranderd in the capture of {}; \
             not in the capture of {}",
            days[0], days[1]
        )),
        "{:?}",
        report[2]
    );
    // And in the page too (the note is part of the row).
    assert!(html.contains("was verified in the capture of"), "{html}");
}
