//! The HTML tokenizer: turns the page source into tags, text runs, comments and doctypes
//! as the standard's tokenizer does, for the tree builder in [`super::tree`].
//!
//! It works on bytes: text runs are found with `memchr` and borrowed from the source
//! (decoded only where a `&` appears), tag and attribute names are lower-cased only when
//! they hold an upper-case letter. The states the tree builder switches to (RCDATA, RAWTEXT,
//! script data with its escape states, PLAINTEXT) are scans for the content's end rather
//! than a loop per character. Comment and bogus-comment bodies are skipped, not kept.

use std::borrow::Cow;

use memchr::{memchr, memchr2};

use super::charref::{self, RefPlace};
use super::dom::Attr;

/// One token. Start-tag attributes are appended to the attribute list given to
/// [`Tokenizer::next`]; the token holds their range.
pub(super) enum Token<'a> {
    /// A run of characters (references decoded).
    Text(Cow<'a, str>),
    /// A start tag: lower-case name, attribute range, `/>`.
    Start {
        name: Cow<'a, str>,
        attrs: (u32, u32),
        self_closing: bool,
    },
    /// An end tag (its attributes are read and dropped).
    End { name: Cow<'a, str> },
    /// A comment (its text is not kept).
    Comment,
    /// A doctype; `quirks` when it puts the document in quirks mode.
    Doctype { quirks: bool },
    /// The end of the input.
    Eof,
}

/// How the content after the current position is tokenized.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum State {
    Data,
    /// Text with references, up to `</name` (`<title>`, `<textarea>`).
    Rcdata,
    /// Text without references, up to `</name` (`<style>`, `<xmp>`, `<iframe>`…).
    Rawtext,
    /// A script's content, with the standard's escape states (`<!--`, `<script>` inside).
    ScriptData,
    /// The rest of the input is text.
    Plaintext,
}

pub(super) struct Tokenizer<'a> {
    src: &'a str,
    pos: usize,
    state: State,
    /// The name the raw-text states end at.
    end_name: &'static str,
    /// `<![CDATA[` opens a CDATA section (the current node is foreign).
    pub cdata_allowed: bool,
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

fn lower(s: &str) -> Cow<'_, str> {
    if s.bytes().any(|c| c.is_ascii_uppercase() || c == 0) {
        Cow::Owned(s.to_ascii_lowercase().replace('\0', "\u{fffd}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// NUL becomes U+FFFD (the tokenizer's rule in every state but data).
fn no_nul(s: Cow<'_, str>) -> Cow<'_, str> {
    if memchr(0, s.as_bytes()).is_some() {
        Cow::Owned(s.replace('\0', "\u{fffd}"))
    } else {
        s
    }
}

impl<'a> Tokenizer<'a> {
    pub(super) fn new(src: &'a str) -> Tokenizer<'a> {
        Tokenizer {
            src,
            pos: 0,
            state: State::Data,
            end_name: "",
            cdata_allowed: false,
        }
    }

    /// Switches to a content state that ends at `</end_name` (the tree builder's call).
    pub(super) fn switch(&mut self, state: State, end_name: &'static str) {
        self.state = state;
        self.end_name = end_name;
    }

    /// The byte offset the next token starts at.
    pub(super) fn position(&self) -> usize {
        self.pos
    }

    fn bytes(&self) -> &'a [u8] {
        self.src.as_bytes()
    }

    fn slice(&self, from: usize, to: usize) -> &'a str {
        self.src.get(from..to).unwrap_or("")
    }

    /// The next token.
    pub(super) fn next(&mut self, attrs: &mut Vec<Attr<'a>>) -> Token<'a> {
        let len = self.src.len();
        match self.state {
            State::Data => {}
            State::Plaintext => {
                let from = self.pos;
                self.pos = len;
                if from >= len {
                    return Token::Eof;
                }
                return Token::Text(no_nul(Cow::Borrowed(self.slice(from, len))));
            }
            State::Rcdata | State::Rawtext | State::ScriptData => {
                let from = self.pos;
                let end = if self.state == State::ScriptData {
                    script_end(self.bytes(), from)
                } else {
                    raw_end(self.bytes(), from, self.end_name.as_bytes())
                };
                let state = self.state;
                // At `end` is the end tag (or the end of the input), read in the data state.
                self.state = State::Data;
                self.pos = end;
                if end > from {
                    let raw = Cow::Borrowed(self.slice(from, end));
                    let text = if state == State::Rcdata {
                        match raw {
                            Cow::Borrowed(s) => charref::decode(s, RefPlace::Text),
                            owned => owned,
                        }
                    } else {
                        raw
                    };
                    return Token::Text(no_nul(text));
                }
            }
        }
        self.data(attrs)
    }

    /// The data state.
    fn data(&mut self, attrs: &mut Vec<Attr<'a>>) -> Token<'a> {
        let bytes = self.bytes();
        let len = bytes.len();
        loop {
            let from = self.pos;
            if from >= len {
                return Token::Eof;
            }
            // Text up to the next `<` that opens markup.
            let mut scan = from;
            let lt = loop {
                match memchr(b'<', bytes.get(scan..).unwrap_or(&[])) {
                    None => break len,
                    Some(off) => {
                        let lt = scan + off;
                        match bytes.get(lt + 1) {
                            Some(c)
                                if c.is_ascii_alphabetic() || matches!(c, b'!' | b'/' | b'?') =>
                            {
                                // `</` at the very end of the input is text.
                                if *c == b'/' && lt + 2 >= len {
                                    break len;
                                }
                                break lt;
                            }
                            _ => scan = lt + 1,
                        }
                    }
                }
            };
            if lt > from {
                self.pos = lt;
                let raw = self.slice(from, lt);
                return Token::Text(charref::decode(raw, RefPlace::Text));
            }
            // Markup at `lt`.
            match bytes.get(lt + 1) {
                Some(b'!') => {
                    if let Some(tok) = self.markup_declaration(lt) {
                        return tok;
                    }
                }
                Some(b'?') => {
                    self.pos = skip_to_gt(bytes, lt + 2);
                    return Token::Comment;
                }
                Some(b'/') => match bytes.get(lt + 2) {
                    Some(c) if c.is_ascii_alphabetic() => {
                        let (name, after) = self.tag_name(lt + 2);
                        let mut scratch = Vec::new();
                        match self.attributes(after, &mut scratch) {
                            Some((end, _)) => {
                                self.pos = end;
                                return Token::End { name };
                            }
                            None => {
                                self.pos = len;
                                return Token::Eof;
                            }
                        }
                    }
                    // `</>` is dropped.
                    Some(b'>') => self.pos = lt + 3,
                    _ => {
                        self.pos = skip_to_gt(bytes, lt + 2);
                        return Token::Comment;
                    }
                },
                _ => {
                    let (name, after) = self.tag_name(lt + 1);
                    let first = attrs.len() as u32;
                    match self.attributes(after, attrs) {
                        Some((end, self_closing)) => {
                            self.pos = end;
                            return Token::Start {
                                name,
                                attrs: (first, attrs.len() as u32),
                                self_closing,
                            };
                        }
                        None => {
                            // A tag cut off by the end of the input is dropped.
                            attrs.truncate(first as usize);
                            self.pos = len;
                            return Token::Eof;
                        }
                    }
                }
            }
        }
    }

    /// `<!`: a comment, doctype, CDATA section or bogus comment. `None` when nothing is
    /// emitted (an empty CDATA section).
    fn markup_declaration(&mut self, lt: usize) -> Option<Token<'a>> {
        let bytes = self.bytes();
        let rest = bytes.get(lt + 2..).unwrap_or(&[]);
        if rest.starts_with(b"--") {
            self.pos = comment_end(bytes, lt + 4);
            return Some(Token::Comment);
        }
        if rest.len() >= 7
            && rest
                .get(..7)
                .is_some_and(|r| r.eq_ignore_ascii_case(b"doctype"))
        {
            let end = skip_to_gt(bytes, lt + 9);
            let body_end = if bytes.get(end.wrapping_sub(1)) == Some(&b'>') {
                end - 1
            } else {
                end
            };
            self.pos = end;
            let body = self.slice(lt + 9, body_end.max(lt + 9));
            return Some(Token::Doctype {
                quirks: doctype_quirks(body, end == bytes.len() && body_end == end),
            });
        }
        if self.cdata_allowed && rest.starts_with(b"[CDATA[") {
            let from = lt + 9;
            let (text_end, after) = match memchr::memmem::find(rest.get(7..).unwrap_or(&[]), b"]]>")
            {
                Some(off) => (from + off, from + off + 3),
                None => (bytes.len(), bytes.len()),
            };
            self.pos = after;
            if text_end > from {
                return Some(Token::Text(no_nul(Cow::Borrowed(
                    self.slice(from, text_end),
                ))));
            }
            return None;
        }
        self.pos = skip_to_gt(bytes, lt + 2);
        Some(Token::Comment)
    }

    /// A tag name from `from` (its first byte is a letter): lower-cased. Returns the name and
    /// the index after it.
    fn tag_name(&self, from: usize) -> (Cow<'a, str>, usize) {
        let bytes = self.bytes();
        let mut end = from;
        while let Some(&c) = bytes.get(end) {
            if is_space(c) || c == b'/' || c == b'>' {
                break;
            }
            end += 1;
        }
        (lower(self.slice(from, end)), end)
    }

    /// Reads attributes from `from` up to the tag's `>`, appending them to `out` (later
    /// duplicates of a name are dropped). Returns the index past `>` and whether the tag
    /// ended in `/>`; `None` when the input ends inside the tag.
    fn attributes(&self, from: usize, out: &mut Vec<Attr<'a>>) -> Option<(usize, bool)> {
        let bytes = self.bytes();
        let first = out.len();
        let mut pos = from;
        loop {
            // Before attribute name.
            while bytes.get(pos).is_some_and(|&c| is_space(c)) {
                pos += 1;
            }
            match *bytes.get(pos)? {
                b'>' => return Some((pos + 1, false)),
                b'/' => {
                    pos += 1;
                    if bytes.get(pos) == Some(&b'>') {
                        return Some((pos + 1, true));
                    }
                    continue;
                }
                _ => {}
            }
            // The name: up to whitespace, `/`, `>` or `=` (a leading `=` belongs to it).
            let name_start = pos;
            pos += 1;
            while let Some(&c) = bytes.get(pos) {
                if is_space(c) || c == b'/' || c == b'>' || c == b'=' {
                    break;
                }
                pos += 1;
            }
            let name_end = pos;
            // After attribute name.
            while bytes.get(pos).is_some_and(|&c| is_space(c)) {
                pos += 1;
            }
            let mut value: Option<(usize, usize)> = None;
            if bytes.get(pos) == Some(&b'=') {
                pos += 1;
                while bytes.get(pos).is_some_and(|&c| is_space(c)) {
                    pos += 1;
                }
                match bytes.get(pos) {
                    Some(&q) if q == b'"' || q == b'\'' => {
                        let start = pos + 1;
                        let off = memchr(q, bytes.get(start..).unwrap_or(&[]))?;
                        value = Some((start, start + off));
                        pos = start + off + 1;
                    }
                    Some(b'>') => {}
                    None => return None,
                    Some(_) => {
                        let start = pos;
                        while let Some(&c) = bytes.get(pos) {
                            if is_space(c) || c == b'>' {
                                break;
                            }
                            pos += 1;
                        }
                        value = Some((start, pos));
                    }
                }
            }
            let name = lower(self.slice(name_start, name_end));
            if !out
                .get(first..)
                .unwrap_or(&[])
                .iter()
                .any(|a| a.name == name)
            {
                let raw = value.map_or("", |(s, e)| self.slice(s, e));
                out.push(Attr {
                    name,
                    value: no_nul(charref::decode(raw, RefPlace::Attribute)),
                });
            }
        }
    }
}

/// Past the next `>` from `from` (or the end of the input).
fn skip_to_gt(bytes: &[u8], from: usize) -> usize {
    memchr(b'>', bytes.get(from..).unwrap_or(&[])).map_or(bytes.len(), |off| from + off + 1)
}

/// The end of a comment whose body starts at `body` (after `<!--`): past `-->` or `--!>`,
/// with `<!-->` and `<!--->` complete; the end of the input when it is not closed.
fn comment_end(bytes: &[u8], body: usize) -> usize {
    if bytes.get(body) == Some(&b'>') {
        return body + 1;
    }
    if bytes.get(body..body + 2) == Some(b"->") {
        return body + 2;
    }
    let mut pos = body;
    while let Some(off) = memchr(b'-', bytes.get(pos..).unwrap_or(&[])) {
        let dash = pos + off;
        if bytes.get(dash..dash + 3) == Some(b"-->") {
            return dash + 3;
        }
        if bytes.get(dash..dash + 4) == Some(b"--!>") {
            return dash + 4;
        }
        pos = dash + 1;
    }
    bytes.len()
}

/// `</name` followed by whitespace, `/` or `>` at `lt`.
fn is_end_tag(bytes: &[u8], lt: usize, name: &[u8]) -> bool {
    let after_name = lt + 2 + name.len();
    bytes.get(lt + 1) == Some(&b'/')
        && bytes
            .get(lt + 2..after_name)
            .is_some_and(|n| n.eq_ignore_ascii_case(name))
        && matches!(
            bytes.get(after_name),
            Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/' | b'>')
        )
}

/// Where RCDATA or RAWTEXT content from `from` ends: at its end tag or the end of the input.
fn raw_end(bytes: &[u8], from: usize, name: &[u8]) -> usize {
    let mut pos = from;
    while let Some(off) = memchr(b'<', bytes.get(pos..).unwrap_or(&[])) {
        let lt = pos + off;
        if is_end_tag(bytes, lt, name) {
            return lt;
        }
        pos = lt + 1;
    }
    bytes.len()
}

/// Where a script's content from `from` ends, following the standard's script data,
/// escaped and double-escaped states: `</script` does not end it inside
/// `<!-- … <script> … -->`.
fn script_end(bytes: &[u8], from: usize) -> usize {
    #[derive(PartialEq)]
    enum S {
        Plain,
        Escaped,
        Double,
    }
    let mut s = S::Plain;
    let mut pos = from;
    // Consecutive dashes just seen (escaped states only).
    let mut dashes = 0usize;
    loop {
        let found = if s == S::Plain {
            memchr(b'<', bytes.get(pos..).unwrap_or(&[]))
        } else {
            memchr2(b'<', b'-', bytes.get(pos..).unwrap_or(&[]))
        };
        let Some(off) = found else {
            return bytes.len();
        };
        let at = pos + off;
        if off > 0 {
            dashes = 0;
        }
        match bytes.get(at) {
            Some(b'-') => {
                dashes += 1;
                pos = at + 1;
                if dashes >= 2 && bytes.get(pos) == Some(&b'>') {
                    // `-->` leaves the escaped states.
                    s = S::Plain;
                    dashes = 0;
                    pos += 1;
                }
                continue;
            }
            _ => dashes = 0,
        }
        // At `<`.
        match s {
            S::Plain => {
                if is_end_tag(bytes, at, b"script") {
                    return at;
                }
                if bytes.get(at + 1..at + 4) == Some(b"!--") {
                    s = S::Escaped;
                    // `<!--` counts its dashes: `<!-->` leaves at once.
                    pos = at + 4;
                    dashes = 2;
                    if bytes.get(pos) == Some(&b'>') {
                        s = S::Plain;
                        dashes = 0;
                        pos += 1;
                    }
                    continue;
                }
                pos = at + 1;
            }
            S::Escaped => {
                if is_end_tag(bytes, at, b"script") {
                    return at;
                }
                if is_script_word(bytes, at + 1) {
                    s = S::Double;
                    pos = at + 7;
                } else {
                    pos = at + 1;
                }
            }
            S::Double => {
                if bytes.get(at + 1) == Some(&b'/') && is_script_word(bytes, at + 2) {
                    s = S::Escaped;
                    pos = at + 8;
                } else {
                    pos = at + 1;
                }
            }
        }
    }
}

/// `script` (any case) at `at`, followed by whitespace, `/` or `>`.
fn is_script_word(bytes: &[u8], at: usize) -> bool {
    bytes
        .get(at..at + 6)
        .is_some_and(|w| w.eq_ignore_ascii_case(b"script"))
        && matches!(
            bytes.get(at + 6),
            Some(b' ' | b'\t' | b'\n' | b'\r' | b'\x0c' | b'/' | b'>')
        )
}

/// Whether a doctype (its text after `<!DOCTYPE`) puts the document in quirks mode: a name
/// other than `html`, or one of the standard's legacy public or system identifiers.
fn doctype_quirks(body: &str, cut_off: bool) -> bool {
    if cut_off {
        return true;
    }
    let b = body.trim_start_matches(|c: char| c.is_ascii_whitespace());
    let name_end = b.find(|c: char| c.is_ascii_whitespace()).unwrap_or(b.len());
    let name = b.get(..name_end).unwrap_or("");
    if !name.eq_ignore_ascii_case("html") {
        return true;
    }
    let rest = b.get(name_end..).unwrap_or("").trim_start();
    let keyword = rest.get(..6).unwrap_or("");
    let (public, system) = if keyword.eq_ignore_ascii_case("public") {
        let (p, after) = quoted(rest.get(6..).unwrap_or(""));
        let Some(p) = p else { return true };
        let (s, _) = quoted(after);
        (Some(p), s)
    } else if keyword.eq_ignore_ascii_case("system") {
        let (s, _) = quoted(rest.get(6..).unwrap_or(""));
        if s.is_none() {
            return true;
        }
        (None, s)
    } else if rest.is_empty() {
        (None, None)
    } else {
        return true;
    };
    if system.is_some_and(|s| {
        s.eq_ignore_ascii_case("http://www.ibm.com/data/dtd/v11/ibmxhtml1-transitional.dtd")
    }) {
        return true;
    }
    let Some(public) = public else { return false };
    let p = public.to_ascii_lowercase();
    const EXACT: [&str; 3] = [
        "-//w3o//dtd w3 html strict 3.0//en//",
        "-/w3c/dtd html 4.0 transitional/en",
        "html",
    ];
    const PREFIXES: [&str; 55] = [
        "+//silmaril//dtd html pro v0r11 19970101//",
        "-//as//dtd html 3.0 aswedit + extensions//",
        "-//advasoft ltd//dtd html 3.0 aswedit + extensions//",
        "-//ietf//dtd html 2.0 level 1//",
        "-//ietf//dtd html 2.0 level 2//",
        "-//ietf//dtd html 2.0 strict level 1//",
        "-//ietf//dtd html 2.0 strict level 2//",
        "-//ietf//dtd html 2.0 strict//",
        "-//ietf//dtd html 2.0//",
        "-//ietf//dtd html 2.1e//",
        "-//ietf//dtd html 3.0//",
        "-//ietf//dtd html 3.2 final//",
        "-//ietf//dtd html 3.2//",
        "-//ietf//dtd html 3//",
        "-//ietf//dtd html level 0//",
        "-//ietf//dtd html level 1//",
        "-//ietf//dtd html level 2//",
        "-//ietf//dtd html level 3//",
        "-//ietf//dtd html strict level 0//",
        "-//ietf//dtd html strict level 1//",
        "-//ietf//dtd html strict level 2//",
        "-//ietf//dtd html strict level 3//",
        "-//ietf//dtd html strict//",
        "-//ietf//dtd html//",
        "-//metrius//dtd metrius presentational//",
        "-//microsoft//dtd internet explorer 2.0 html strict//",
        "-//microsoft//dtd internet explorer 2.0 html//",
        "-//microsoft//dtd internet explorer 2.0 tables//",
        "-//microsoft//dtd internet explorer 3.0 html strict//",
        "-//microsoft//dtd internet explorer 3.0 html//",
        "-//microsoft//dtd internet explorer 3.0 tables//",
        "-//netscape comm. corp.//dtd html//",
        "-//netscape comm. corp.//dtd strict html//",
        "-//o'reilly and associates//dtd html 2.0//",
        "-//o'reilly and associates//dtd html extended 1.0//",
        "-//o'reilly and associates//dtd html extended relaxed 1.0//",
        "-//sq//dtd html 2.0 hotmetal + extensions//",
        "-//softquad software//dtd hotmetal pro 6.0::19990601::extensions to html 4.0//",
        "-//softquad//dtd hotmetal pro 4.0::19971010::extensions to html 4.0//",
        "-//spyglass//dtd html 2.0 extended//",
        "-//sun microsystems corp.//dtd hotjava html//",
        "-//sun microsystems corp.//dtd hotjava strict html//",
        "-//w3c//dtd html 3 1995-03-24//",
        "-//w3c//dtd html 3.2 draft//",
        "-//w3c//dtd html 3.2 final//",
        "-//w3c//dtd html 3.2//",
        "-//w3c//dtd html 3.2s draft//",
        "-//w3c//dtd html 4.0 frameset//",
        "-//w3c//dtd html 4.0 transitional//",
        "-//w3c//dtd html experimental 19960712//",
        "-//w3c//dtd html experimental 970421//",
        "-//w3c//dtd w3 html//",
        "-//w3o//dtd w3 html 3.0//",
        "-//webtechs//dtd mozilla html 2.0//",
        "-//webtechs//dtd mozilla html//",
    ];
    if EXACT.contains(&p.as_str()) || PREFIXES.iter().any(|x| p.starts_with(x)) {
        return true;
    }
    system.is_none()
        && (p.starts_with("-//w3c//dtd html 4.01 frameset//")
            || p.starts_with("-//w3c//dtd html 4.01 transitional//"))
}

/// A quoted identifier at the start of `s` (after whitespace): its text and the rest.
fn quoted(s: &str) -> (Option<&str>, &str) {
    let s = s.trim_start();
    let Some(q) = s.chars().next().filter(|c| *c == '"' || *c == '\'') else {
        return (None, s);
    };
    let body = s.get(1..).unwrap_or("");
    match body.find(q) {
        Some(end) => (body.get(..end), body.get(end + 1..).unwrap_or("")),
        None => (Some(body), ""),
    }
}
