//! Turns chosen subtrees of the flat DOM into clean text blocks.
//!
//! Takes the [`Dom`], a per-node "skip" mask and the subtree roots to render; returns
//! [`Block`]s (one per paragraph, heading, list item, quote line…) whose text has collapsed
//! whitespace, no soft hyphens or zero-width characters, `<br>` as a line break and inline
//! tags joined without added spaces. The caller filters blocks and joins them with blank
//! lines.

use super::dom::{Dom, Tag};

/// One rendered paragraph-like piece of text.
#[derive(Debug, Clone)]
pub(super) struct Block {
    /// Clean text, trimmed; may hold single `\n` from `<br>`.
    pub text: String,
    /// Tag of the innermost block element holding the text.
    pub tag: Tag,
}

/// Characters that carry no text: soft hyphen, zero-width space/joiners, word joiner, BOM.
pub(super) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{ad}' | '\u{200b}' | '\u{200c}' | '\u{200d}' | '\u{2060}' | '\u{feff}' | '\u{180e}'
    )
}

struct Builder {
    blocks: Vec<Block>,
    cur: String,
    cur_chars: usize,
    pending_space: bool,
}

impl Builder {
    fn flush(&mut self, tag: Tag) {
        let text = self.cur.trim();
        if !text.is_empty() && self.cur_chars > 0 {
            // Lines from `<br>` keep no spaces at their ends.
            let text = if text.contains('\n') {
                text.split('\n')
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .collect::<Vec<_>>()
                    .join("\n")
            } else {
                text.to_string()
            };
            self.blocks.push(Block { text, tag });
        }
        self.cur.clear();
        self.cur_chars = 0;
        self.pending_space = false;
    }

    fn push_text(&mut self, text: &str, pre: bool) {
        for c in text.chars() {
            if pre && (c == '\n' || c == '\r') {
                if c == '\n' {
                    self.line_break();
                }
                continue;
            }
            if c.is_whitespace() {
                if pre {
                    self.cur.push(' ');
                } else if !self.cur.is_empty() {
                    self.pending_space = true;
                }
                continue;
            }
            if is_invisible(c) {
                continue;
            }
            if self.pending_space && !self.cur.is_empty() && !self.cur.ends_with('\n') {
                self.cur.push(' ');
            }
            self.pending_space = false;
            self.cur.push(c);
            self.cur_chars += 1;
        }
    }

    fn line_break(&mut self) {
        while self.cur.ends_with(' ') {
            self.cur.pop();
        }
        if !self.cur.is_empty() && !self.cur.ends_with('\n') {
            self.cur.push('\n');
        }
        self.pending_space = false;
    }
}

/// Renders the subtrees at `roots` (in the given order), leaving out every node whose
/// `skip` flag is set together with its subtree.
pub(super) fn render(dom: &Dom<'_>, roots: &[usize], skip: &[bool]) -> Vec<Block> {
    let mut b = Builder {
        blocks: Vec::new(),
        cur: String::new(),
        cur_chars: 0,
        pending_space: false,
    };
    // Open elements: (end index, tag).
    let mut open: Vec<(usize, Tag)> = Vec::new();
    for &root in roots {
        let Some(root_node) = dom.nodes.get(root) else {
            continue;
        };
        let mut i = root;
        let stop = root_node.end;
        while i < stop {
            // Close the elements whose subtree ended.
            while let Some(&(end, tag)) = open.last() {
                if end > i {
                    break;
                }
                open.pop();
                close(&mut b, tag);
            }
            let Some(n) = dom.nodes.get(i) else {
                break;
            };
            if skip.get(i).copied().unwrap_or(false) {
                i = n.end.max(i + 1);
                continue;
            }
            match n.tag {
                Tag::Text => {
                    let pre = open.iter().any(|&(_, t)| t == Tag::Pre);
                    b.push_text(&n.text, pre);
                }
                Tag::Br => b.line_break(),
                Tag::Td | Tag::Th => {
                    // Cells of a row are one line, separated by a space.
                    b.pending_space |= !b.cur.is_empty();
                    open.push((n.end, n.tag));
                }
                tag => {
                    if tag.is_block() {
                        b.flush(enclosing(&open));
                    }
                    open.push((n.end, tag));
                }
            }
            i += 1;
        }
        while let Some((_, tag)) = open.pop() {
            close(&mut b, tag);
        }
    }
    b.blocks
}

/// The tag of the innermost open block element (text before a nested block belongs to it).
fn enclosing(open: &[(usize, Tag)]) -> Tag {
    open.iter()
        .rev()
        .find(|&&(_, t)| t.is_block() && t != Tag::Td && t != Tag::Th)
        .map_or(Tag::Div, |&(_, t)| t)
}

fn close(b: &mut Builder, tag: Tag) {
    match tag {
        Tag::Td | Tag::Th => b.pending_space |= !b.cur.is_empty(),
        t if t.is_block() => b.flush(t),
        _ => {}
    }
}
