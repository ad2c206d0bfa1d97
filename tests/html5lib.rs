//! Conformance of our HTML parser with the html5lib-tests tree-construction suite
//! (vendored in `tests/html5lib/`, MIT licence beside it).
//!
//! Every case without `#document-fragment` and without `#script-on` is parsed (our parser
//! runs with scripting disabled, so `#script-off` cases and cases without a flag apply) and
//! compared with the expected tree in two ways:
//!
//! - **text**: the text of every text node in document order, concatenated, with runs of
//!   whitespace collapsed to one space and the ends trimmed. All text counts, including the
//!   raw text of `<script>`, `<style>`, `<title>`, `<textarea>` and `<noscript>`, the
//!   contents of `<template>`, and text inside SVG and MathML; comments, the doctype and
//!   attribute values do not (our parser does not keep them).
//! - **structure**: the elements (namespace prefix for SVG and MathML, tag name) with their
//!   depth, and the `content` of templates, in document order; text, comments, doctype and
//!   attributes left out.
//!
//! Run `cargo test --test html5lib -- --nocapture` to see the figures and the first failures.

use std::path::Path;

/// One case of a `.dat` file.
struct Case {
    file: String,
    data: String,
    document: String,
}

/// Splits a `.dat` file into its applicable cases; returns them and the number of cases.
fn cases(file: &str, src: &str) -> (Vec<Case>, usize) {
    let mut out = Vec::new();
    let mut total = 0;
    let body = src.strip_prefix("#data\n").unwrap_or(src);
    for chunk in body.split("\n#data\n") {
        total += 1;
        let Some((data, rest)) = chunk.split_once("\n#errors\n") else {
            continue;
        };
        let sections: Vec<&str> = rest.lines().filter(|l| l.starts_with('#')).collect();
        if sections
            .iter()
            .any(|s| *s == "#document-fragment" || *s == "#script-on")
        {
            continue;
        }
        let Some((_, doc)) = rest.split_once("#document\n") else {
            continue;
        };
        out.push(Case {
            file: file.to_string(),
            data: data.to_string(),
            document: doc.trim_end_matches('\n').to_string(),
        });
    }
    (out, total)
}

/// A tree in the html5lib format, reduced to (text, structure) as the module doc says.
fn reduce(tree: &str) -> (String, Vec<String>) {
    // Join continuation lines (multi-line text and comments) to their node.
    let mut nodes: Vec<String> = Vec::new();
    for line in tree.lines() {
        match line.strip_prefix("| ") {
            Some(node) => nodes.push(node.to_string()),
            None => {
                if let Some(last) = nodes.last_mut() {
                    last.push('\n');
                    last.push_str(line);
                }
            }
        }
    }
    let mut text = String::new();
    let mut structure = Vec::new();
    for node in nodes {
        let item = node.trim_start_matches(' ');
        let depth = (node.len() - item.len()) / 2;
        if let Some(t) = item.strip_prefix('"') {
            text.push_str(t.strip_suffix('"').unwrap_or(t));
        } else if item.starts_with("<!") {
            // Comment or doctype.
        } else if (item.starts_with('<') && item.ends_with('>') && !item.contains("=\""))
            || item == "content"
        {
            structure.push(format!("{depth} {item}"));
        }
        // Anything else is an attribute.
    }
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (collapsed, structure)
}

#[test]
fn html5lib_tree_construction() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/html5lib/tree-construction");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("vendored html5lib tests")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "dat"))
        .collect();
    files.sort();
    let mut total = 0;
    let mut applicable = 0;
    let mut text_ok = 0;
    let mut structure_ok = 0;
    let mut failures = Vec::new();
    for path in &files {
        let bytes = std::fs::read(path).expect("readable .dat file");
        let src = String::from_utf8_lossy(&bytes);
        let name = path
            .file_name()
            .map_or(String::new(), |n| n.to_string_lossy().into_owned());
        let (cs, n) = cases(&name, &src);
        total += n;
        for case in cs {
            applicable += 1;
            let ours = citecheck::dev::html5lib_tree(&case.data);
            let (want_text, want_structure) = reduce(&case.document);
            let (got_text, got_structure) = reduce(&ours);
            let text_same = want_text == got_text;
            let structure_same = want_structure == got_structure;
            text_ok += usize::from(text_same);
            structure_ok += usize::from(structure_same);
            if !text_same || !structure_same {
                failures.push((case, ours, text_same));
            }
        }
    }
    let pct = |n: usize| 100.0 * n as f64 / applicable.max(1) as f64;
    println!("html5lib tree-construction: {total} cases, {applicable} applicable");
    println!(
        "text agrees: {text_ok}/{applicable} ({:.1}%), structure agrees: {structure_ok}/{applicable} ({:.1}%)",
        pct(text_ok),
        pct(structure_ok)
    );
    let shown = std::env::var("HTML5LIB_SHOW")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5usize);
    // Text failures first: they matter most to the extractor.
    failures.sort_by_key(|(_, _, text_same)| *text_same);
    for (case, ours, text_same) in failures.iter().take(shown) {
        println!(
            "--- {} ({}):\n{}\n--- expected:\n{}\n--- ours:\n{}",
            case.file,
            if *text_same { "structure" } else { "text" },
            case.data,
            case.document,
            ours
        );
    }
    assert!(
        applicable > 1400,
        "only {applicable} applicable cases found"
    );
    assert!(
        pct(text_ok) >= 99.5,
        "text agreement {:.1}% below 99.5%",
        pct(text_ok)
    );
    assert!(
        pct(structure_ok) >= 95.0,
        "structure agreement {:.1}% below 95%",
        pct(structure_ok)
    );
}
