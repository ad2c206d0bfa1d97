//! Test oracle: the flat [`Dom`] built from html5ever's tree (through `scraper`), the way
//! the extractor read pages before it had its own parser. Tests extract every fixture page
//! both ways and require the same article: the standard's tree builder is the reference
//! for [`super::parse`].

use std::borrow::Cow;

use scraper::Html;
use scraper::node::Node as HtmlNode;

use super::dom::{Attr, Dom, Node, Tag};

/// Parses `html` with html5ever and copies the tree into a [`Dom`], leaving out the same
/// never-text subtrees as [`super::parse::parse`].
pub(super) fn build(html: &Html) -> Dom<'_> {
    let mut nodes: Vec<Node<'_>> = vec![Node::root()];
    let mut attrs = Vec::new();
    let mut metas = Vec::new();
    let mut title = None;
    let root = html.tree.root();
    let mut stack = Vec::new();
    let mut kids: Vec<_> = root.children().collect();
    while let Some(k) = kids.pop() {
        stack.push((k, 0usize, None::<usize>));
    }
    while let Some((node, parent, close)) = stack.pop() {
        if let Some(idx) = close {
            let end = nodes.len();
            nodes[idx].end = end;
            continue;
        }
        let own = match node.value() {
            HtmlNode::Text(t) => {
                let end = nodes.len() + 1;
                nodes.push(Node {
                    tag: Tag::Text,
                    attrs: (0, 0),
                    text: Cow::Borrowed(t),
                    name: Cow::Borrowed(""),
                    parent,
                    end,
                });
                continue;
            }
            HtmlNode::Element(e) => {
                let name = e.name();
                if name == "html" || name == "body" || name == "head" {
                    parent
                } else if name == "meta" {
                    let key = e
                        .attr("property")
                        .or_else(|| e.attr("name"))
                        .or_else(|| e.attr("itemprop"));
                    if let (Some(k), Some(c)) = (key, e.attr("content")) {
                        metas.push((k.trim().to_ascii_lowercase(), Cow::Borrowed(c)));
                    }
                    continue;
                } else if name == "title" {
                    if title.is_none() {
                        let mut t = String::new();
                        for c in node.children() {
                            if let HtmlNode::Text(x) = c.value() {
                                t.push_str(x);
                            }
                        }
                        title = Some(t);
                    }
                    continue;
                } else {
                    let Some(tag) = Tag::from_name(name) else {
                        continue;
                    };
                    let idx = nodes.len();
                    let first = attrs.len() as u32;
                    for (n, v) in e.attrs() {
                        attrs.push(Attr {
                            name: Cow::Borrowed(n),
                            value: Cow::Borrowed(v),
                        });
                    }
                    nodes.push(Node {
                        tag,
                        attrs: (first, attrs.len() as u32),
                        text: Cow::Borrowed(""),
                        name: if tag == Tag::Other {
                            Cow::Borrowed(name)
                        } else {
                            Cow::Borrowed("")
                        },
                        parent,
                        end: idx + 1,
                    });
                    stack.push((node, parent, Some(idx)));
                    idx
                }
            }
            _ => continue,
        };
        let mut child = node.last_child();
        while let Some(c) = child {
            stack.push((c, own, None));
            child = c.prev_sibling();
        }
    }
    let len = nodes.len();
    nodes[0].end = len;
    Dom {
        nodes,
        attrs,
        metas,
        title,
    }
}

/// The article as extracted from html5ever's tree of the whole page.
pub(super) fn extract(html: &str, url: Option<&str>) -> super::Article {
    let doc = Html::parse_document(html);
    let mut json_ld = Vec::new();
    for node in doc.tree.nodes() {
        if let HtmlNode::Element(e) = node.value()
            && e.name() == "script"
            && e.attr("type")
                .is_some_and(|t| t.to_ascii_lowercase().contains("ld+json"))
        {
            let mut body = String::new();
            for c in node.children() {
                if let HtmlNode::Text(t) = c.value() {
                    body.push_str(t);
                }
            }
            json_ld.push(body);
        }
    }
    let dom = build(&doc);
    super::article_of(&dom, &json_ld, url)
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::path::{Path, PathBuf};

    /// Every page both ways; returns the names of pages whose article differs.
    fn differing(pages: &[(String, String, Option<String>)]) -> Vec<String> {
        let mut bad = Vec::new();
        for (name, html, url) in pages {
            let ours = super::super::extract_article(html, url.as_deref());
            let theirs = super::extract(html, url.as_deref());
            if ours != theirs {
                eprintln!("--- {name}\nours:   {ours:?}\nhtml5ever: {theirs:?}");
                bad.push(name.clone());
            }
        }
        bad
    }

    fn read_page(path: &Path) -> String {
        let mut bytes = Vec::new();
        let file = std::fs::File::open(path).expect("page");
        if path.extension().is_some_and(|e| e == "gz") {
            flate2::read::GzDecoder::new(file)
                .read_to_end(&mut bytes)
                .expect("gzip");
        } else {
            std::io::BufReader::new(file)
                .read_to_end(&mut bytes)
                .expect("read");
        }
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn pages_in(dir: &Path, suffix: &str) -> Vec<(String, String, Option<String>)> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .expect("dir")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.to_string_lossy().ends_with(suffix))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| {
                let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
                (name.unwrap_or_default(), read_page(p), None)
            })
            .collect()
    }

    #[test]
    fn same_article_as_html5ever_on_every_fixture_page() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut pages = pages_in(&root.join("tests/fixtures/site/pages"), ".html");
        pages.extend(pages_in(&root.join("src/extract/testdata"), ".html.gz"));
        assert!(pages.len() >= 25, "{} pages", pages.len());
        assert_eq!(differing(&pages), Vec::<String>::new());
    }

    /// The 181 benchmark pages (not in the repository): `CITECHECK_BENCH_PAGES=DIR cargo
    /// test --release same_article_as_html5ever_on_the_benchmark -- --ignored`.
    #[test]
    #[ignore = "needs the benchmark pages: CITECHECK_BENCH_PAGES=<article-extraction set>/html"]
    fn same_article_as_html5ever_on_the_benchmark() {
        let Ok(dir) = std::env::var("CITECHECK_BENCH_PAGES") else {
            panic!("set CITECHECK_BENCH_PAGES to the benchmark's html folder (bench/README.md)");
        };
        let pages = pages_in(Path::new(&dir), ".html.gz");
        let bad = differing(&pages);
        eprintln!("{} of {} pages differ", bad.len(), pages.len());
        assert!(bad.is_empty(), "{bad:?}");
    }
}
