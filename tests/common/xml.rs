//! A strict little XML 1.0 reader for tests: it checks well-formedness (one root, matched
//! tags, quoted attributes without `<`, no duplicate attributes, only the five predefined
//! entities and character references, only characters XML allows, nothing but white space
//! and comments around the root) and returns the element tree so tests can look inside.
//! No DTDs, CDATA or processing instructions beyond the XML declaration: citecheck writes none.
//!
//! Shared by the unit tests of `src/report/junit.rs` (through `#[path]`) and `tests/cli.rs`.

#![allow(dead_code)]

/// An element with its attributes and content.
#[derive(Debug, Clone, PartialEq)]
pub struct Element {
    /// The tag name.
    pub name: String,
    /// Attributes in document order, values decoded.
    pub attrs: Vec<(String, String)>,
    /// Child elements and text, in order.
    pub nodes: Vec<Node>,
}

/// Content of an element.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    /// A child element.
    Element(Element),
    /// Decoded character data.
    Text(String),
}

impl Element {
    /// An attribute's decoded value.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Child elements with this name.
    pub fn children<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.nodes.iter().filter_map(move |n| match n {
            Node::Element(e) if e.name == name => Some(e),
            _ => None,
        })
    }

    /// The text directly inside.
    pub fn text(&self) -> String {
        self.nodes
            .iter()
            .filter_map(|n| match n {
                Node::Text(t) => Some(t.as_str()),
                Node::Element(_) => None,
            })
            .collect()
    }
}

struct Reader<'a> {
    s: &'a str,
    pos: usize,
}

fn is_xml_char(c: char) -> bool {
    matches!(c as u32, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF)
}

fn is_name_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == ':'
}

fn is_name_char(c: char) -> bool {
    is_name_start(c) || c.is_ascii_digit() || c == '-' || c == '.'
}

impl Reader<'_> {
    fn rest(&self) -> &str {
        &self.s[self.pos..]
    }

    fn err<T>(&self, what: &str) -> Result<T, String> {
        let line = self.s[..self.pos].matches('\n').count() + 1;
        Err(format!("line {line}: {what}"))
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, prefix: &str) -> bool {
        if self.rest().starts_with(prefix) {
            self.pos += prefix.len();
            true
        } else {
            false
        }
    }

    fn skip_space(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t' | '\r' | '\n')) {
            self.pos += 1;
        }
    }

    fn skip_misc(&mut self) -> Result<(), String> {
        loop {
            self.skip_space();
            if self.eat("<!--") {
                match self.rest().find("-->") {
                    Some(end) => self.pos += end + 3,
                    None => return self.err("unclosed comment"),
                }
            } else {
                return Ok(());
            }
        }
    }

    fn name(&mut self) -> Result<String, String> {
        let start = self.pos;
        match self.peek() {
            Some(c) if is_name_start(c) => {
                self.bump();
            }
            _ => return self.err("expected a name"),
        }
        while self.peek().is_some_and(is_name_char) {
            self.bump();
        }
        Ok(self.s[start..self.pos].to_string())
    }

    /// After `&`: one reference, decoded.
    fn reference(&mut self) -> Result<char, String> {
        let Some(end) = self.rest().find(';') else {
            return self.err("'&' without ';'");
        };
        let body = &self.rest()[..end];
        let c = match body {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => {
                let code = if let Some(hex) = body.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16).ok()
                } else if let Some(dec) = body.strip_prefix('#') {
                    dec.parse::<u32>().ok()
                } else {
                    None
                };
                code.and_then(char::from_u32).filter(|c| is_xml_char(*c))
            }
        };
        match c {
            Some(c) => {
                self.pos += end + 1;
                Ok(c)
            }
            None => self.err(&format!("bad reference '&{body};'")),
        }
    }

    fn element(&mut self) -> Result<Element, String> {
        if !self.eat("<") {
            return self.err("expected '<'");
        }
        let name = self.name()?;
        let mut attrs: Vec<(String, String)> = Vec::new();
        loop {
            let had_space = matches!(self.peek(), Some(' ' | '\t' | '\r' | '\n'));
            self.skip_space();
            if self.eat("/>") {
                return Ok(Element {
                    name,
                    attrs,
                    nodes: Vec::new(),
                });
            }
            if self.eat(">") {
                break;
            }
            if !had_space {
                return self.err("expected white space before an attribute");
            }
            let attr = self.name()?;
            self.skip_space();
            if !self.eat("=") {
                return self.err("expected '=' after an attribute name");
            }
            self.skip_space();
            let quote = match self.bump() {
                Some(q @ ('"' | '\'')) => q,
                _ => return self.err("attribute value without quotes"),
            };
            let mut value = String::new();
            loop {
                match self.bump() {
                    None => return self.err("unclosed attribute value"),
                    Some(c) if c == quote => break,
                    Some('<') => return self.err("'<' in an attribute value"),
                    Some('&') => value.push(self.reference()?),
                    Some(c) if !is_xml_char(c) => return self.err("character not allowed in XML"),
                    // Literal white space in attributes is normalised to a space by parsers.
                    Some('\n' | '\r' | '\t') => value.push(' '),
                    Some(c) => value.push(c),
                }
            }
            if attrs.iter().any(|(n, _)| *n == attr) {
                return self.err(&format!("duplicate attribute '{attr}'"));
            }
            attrs.push((attr, value));
        }
        let mut nodes = Vec::new();
        let mut text = String::new();
        loop {
            if self.eat("</") {
                let closing = self.name()?;
                self.skip_space();
                if !self.eat(">") {
                    return self.err("expected '>' after a closing tag");
                }
                if closing != name {
                    return self.err(&format!("</{closing}> closes <{name}>"));
                }
                if !text.is_empty() {
                    nodes.push(Node::Text(text));
                }
                return Ok(Element { name, attrs, nodes });
            }
            if self.rest().starts_with("<!--") {
                self.skip_misc()?;
                continue;
            }
            if self.rest().starts_with('<') {
                if !text.is_empty() {
                    nodes.push(Node::Text(std::mem::take(&mut text)));
                }
                nodes.push(Node::Element(self.element()?));
                continue;
            }
            if self.rest().starts_with("]]>") {
                return self.err("']]>' in text");
            }
            match self.bump() {
                None => return self.err(&format!("<{name}> is not closed")),
                Some('&') => text.push(self.reference()?),
                Some(c) if !is_xml_char(c) => return self.err("character not allowed in XML"),
                Some(c) => text.push(c),
            }
        }
    }
}

/// Parses a whole document; the error says where it is not well-formed.
pub fn parse(text: &str) -> Result<Element, String> {
    let mut r = Reader { s: text, pos: 0 };
    r.eat("\u{FEFF}");
    if r.eat("<?xml") {
        match r.rest().find("?>") {
            Some(end) => r.pos += end + 2,
            None => return r.err("unclosed XML declaration"),
        }
    }
    r.skip_misc()?;
    let root = r.element()?;
    r.skip_misc()?;
    if r.pos != text.len() {
        return r.err("content after the root element");
    }
    Ok(root)
}

#[cfg(test)]
mod self_tests {
    use super::*;

    #[test]
    fn the_reader_itself() {
        let doc =
            parse("<?xml version=\"1.0\"?>\n<a x=\"1 &amp; &#10;2\"><b/>t&lt;<b y='2'></b></a>\n")
                .unwrap();
        assert_eq!(doc.attr("x"), Some("1 & \n2"));
        assert_eq!(doc.children("b").count(), 2);
        assert_eq!(doc.text(), "t<");
        for bad in [
            "<a>",
            "<a></b>",
            "<a x=1/>",
            "<a x=\"<\"/>",
            "<a>&nbsp;</a>",
            "<a>&</a>",
            "<a x=\"1\" x=\"2\"/>",
            "<a/><b/>",
            "<a>\u{1}</a>",
            "<a>&#0;</a>",
            "<a x=\"1\"y=\"2\"/>",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
    }
}
