//! `citecheck ingest` as a command: never replacing files without `--force`, `-` for
//! stdout, and the PDF, HTML and Markdown inputs.

use super::pdf;
use std::collections::HashMap;

use crate::common::cmd::{citecheck, read_csv as read_rows};

fn rows(csv_text: &str) -> Vec<HashMap<String, String>> {
    crate::common::cmd::rows_of(csv::Reader::from_reader(csv_text.as_bytes()))
}

const NOTE: &str = "Verslag\n\n“Wij bouwen samen aan de wijk van morgen.”\nBron: https://www.wijkkrant.example/artikel/samen-bouwen\n\n“Dit citaat heeft geen bron in het document.”\n";

#[test]
fn ingest_refuses_to_replace_files_without_force() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("note.txt"), NOTE).unwrap();
    std::fs::write(
        dir.path().join("sources.csv"),
        "id,url\nS1,https://keep.example/\n",
    )
    .unwrap();
    let output = citecheck(dir.path())
        .args(["ingest", "note.txt"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("sources.csv already exists"), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    // Nothing written: the old file kept, the other one not made.
    assert_eq!(
        std::fs::read_to_string(dir.path().join("sources.csv")).unwrap(),
        "id,url\nS1,https://keep.example/\n"
    );
    assert!(!dir.path().join("quotes.csv").exists());

    let output = citecheck(dir.path())
        .args(["ingest", "note.txt", "--force"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let sources = read_rows(&dir.path().join("sources.csv"));
    assert_eq!(sources.len(), 1);
    assert_eq!(
        sources[0]["url"],
        "https://www.wijkkrant.example/artikel/samen-bouwen"
    );
    let quotes = read_rows(&dir.path().join("quotes.csv"));
    assert_eq!(quotes.len(), 2);
    assert_eq!(quotes[0]["source"], sources[0]["url"]);
    assert_eq!(quotes[0]["pairing"], "adjacent");
    assert_eq!(quotes[1]["source"], "");
    assert_eq!(quotes[1]["pairing"], "");
    // The quote without a citation is named with its file and line.
    assert!(
        stderr.contains(
            "note.txt:6: quotation 'Dit citaat heeft geen bron in het docume…' shows no citation"
        ),
        "{stderr}"
    );
}

#[test]
fn ingest_writes_one_csv_to_stdout_and_refuses_two() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("note.txt"), NOTE).unwrap();
    let output = citecheck(dir.path())
        .args(["ingest", "note.txt", "--quotes-out", "-"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.starts_with("id,theme,quote,source,pairing,line\n"),
        "{stdout}"
    );
    assert_eq!(rows(&stdout).len(), 2);
    assert!(dir.path().join("sources.csv").exists());
    assert!(!dir.path().join("quotes.csv").exists());

    let empty = tempfile::tempdir().unwrap();
    std::fs::write(empty.path().join("note.txt"), NOTE).unwrap();
    let output = citecheck(empty.path())
        .args([
            "ingest",
            "note.txt",
            "--quotes-out",
            "-",
            "--sources-out",
            "-",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    assert!(String::from_utf8_lossy(&output.stderr).contains("both write to stdout"));
    assert!(!empty.path().join("sources.csv").exists());
}

#[test]
fn ingest_reads_a_pdf_with_two_columns_column_by_column() {
    let dir = tempfile::tempdir().unwrap();
    let (l, r) = (56.0, 320.0);
    let page1 = vec![
        (l, 800.0, "Regional Briefing"),
        (l, 770.0, "Housing"),
        (r, 770.0, "Transport"),
        (l, 752.0, "The council leader set out the plan."),
        (r, 752.0, "Bus users were less patient. One said:"),
        (l, 740.0, "“We will build where people already live,"),
        (r, 740.0, "“The timetable is a work of fiction,"),
        (l, 728.0, "and for those who cannot buy,” she said."),
        (r, 728.0, "and we are its unwilling readers.”"),
        (l, 716.0, "Source: https://www.shire-news.example/"),
        (r, 716.0, "Source: https://www.shire-news.example/"),
        (l, 704.0, "housing/leader-sets-out-plan"),
        (r, 704.0, "transport/bus-meeting-anger"),
        (l, 60.0, "Shire Council · www.shire.example"),
    ];
    let page2 = vec![
        (l, 800.0, "Regional Briefing"),
        (l, 770.0, "Libraries"),
        (l, 752.0, "“People came back faster than we dared to hope.”"),
        (l, 740.0, "(https://www.shire-news.example/libraries/hours)"),
        (l, 60.0, "Shire Council · www.shire.example"),
    ];
    let page3 = vec![
        (l, 800.0, "Regional Briefing"),
        (l, 752.0, "Further reading: https://www.shire.example/"),
        (l, 60.0, "Shire Council · www.shire.example"),
    ];
    std::fs::write(
        dir.path().join("briefing.pdf"),
        pdf::write_pdf(&[page1, page2, page3]),
    )
    .unwrap();
    let output = citecheck(dir.path())
        .args(["ingest", "briefing.pdf"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let quotes = read_rows(&dir.path().join("quotes.csv"));
    let got: Vec<(&str, &str, &str, &str)> = quotes
        .iter()
        .map(|q| {
            (
                q["quote"].as_str(),
                q["theme"].as_str(),
                q["source"].as_str(),
                q["pairing"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "We will build where people already live, and for those who cannot buy,",
                "Housing",
                "https://www.shire-news.example/housing/leader-sets-out-plan",
                "adjacent"
            ),
            (
                "The timetable is a work of fiction, and we are its unwilling readers.",
                "Transport",
                "https://www.shire-news.example/transport/bus-meeting-anger",
                "adjacent"
            ),
            (
                "People came back faster than we dared to hope.",
                "Libraries",
                "https://www.shire-news.example/libraries/hours",
                "adjacent"
            ),
        ],
        "{stderr}"
    );
    // The running header is no theme; the home page is no source.
    let sources: Vec<String> = read_rows(&dir.path().join("sources.csv"))
        .into_iter()
        .map(|r| r["url"].clone())
        .collect();
    assert_eq!(sources.len(), 3, "{sources:?}");
    assert!(stderr.contains("two columns"), "{stderr}");
    assert!(
        stderr.contains("running header or footer 'Regional Briefing'"),
        "{stderr}"
    );
    assert!(
        stderr.contains("https://www.shire.example/ is a site's home page"),
        "{stderr}"
    );
}

#[test]
fn ingest_reads_html_and_markdown() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ingest");
    for (file, want) in [
        (
            "persbericht.html",
            vec![
                (
                    "We versterken de dijk niet voor de bewoners, maar met de bewoners.",
                    "https://www.waterschap-rivierenland.example/nieuws/dijkversterking-lekdijk",
                ),
                (
                    "Ik hoor veel over inspraak, maar ik zie nog geen tekening",
                    "https://www.dagblad-rivierenland.example/regio/lekdijk-omwonenden-kritisch",
                ),
            ],
        ),
        (
            "nieuwsbrief-wijk.md",
            vec![
                (
                    "Elke boom die we planten, is een boom waar kinderen onder spelen.",
                    "",
                ),
                (
                    "Het wordt pas veilig als de auto’s echt langzamer gaan rijden.",
                    "https://www.utrecht-centraal-nieuws.example/lombok/kanaalstraat-veiligheid",
                ),
            ],
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let output = citecheck(dir.path())
            .arg("ingest")
            .arg(root.join(file))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{file}: {stderr}");
        let quotes = read_rows(&dir.path().join("quotes.csv"));
        let got: Vec<(&str, &str)> = quotes
            .iter()
            .map(|q| (q["quote"].as_str(), q["source"].as_str()))
            .collect();
        assert_eq!(got, want, "{file}: {stderr}");
        // A site's home page in a header or footer is not a cited source.
        let sources = read_rows(&dir.path().join("sources.csv"));
        assert!(
            sources.iter().all(|s| !s["url"].ends_with(".example/")),
            "{file}: {sources:?}"
        );
    }
}
