//! Boilerplate and content signals read from one element's tag, `class`, `id`, `role` and
//! visibility attributes.
//!
//! Takes a [`Node`] and returns a [`Signal`]: whether the element is hidden, looks like
//! boilerplate (navigation, share bar, cookie bar, related-articles list…) or looks like
//! article content. Class and id values are split into lower-case words (on punctuation and
//! camelCase) so that `articleShareBar` and `article-share-bar` read the same.

use super::dom::{Attr, Node, Tag};

/// What an element's own attributes say about it.
#[derive(Clone, Copy, Default, Debug)]
pub(super) struct Signal {
    /// Not shown to readers (`hidden`, `aria-hidden`, `display:none`, screen-reader-only).
    pub hidden: bool,
    /// A word that is nearly always boilerplate (`share`, `cookie`, `related`, `comment`…).
    pub strong_negative: bool,
    /// A word that is often boilerplate (`nav`, `footer`, `meta`, `tags`…).
    pub weak_negative: bool,
    /// A word that marks content (`article`, `content`, `body`, `story`…).
    pub positive: bool,
    /// Explicitly the article body (`itemprop="articleBody"`, class `article-body`…).
    pub article_body: bool,
    /// An ARIA landmark role that is never the article (`navigation`, `banner`,
    /// `contentinfo`, `complementary`, `menu`, `dialog`).
    pub landmark: bool,
}

/// Word stems that mark boilerplate whatever else the element says (prefix match).
const STRONG_NEGATIVE: &[&str] = &[
    "cookie",
    "consent",
    "gdpr",
    "share",
    "sharing",
    "social",
    "related",
    "breadcrumb",
    "sidebar",
    "teaser",
    "promo",
    "newsletter",
    "comment",
    "kommentar",
    "reacties",
    "leserbrief",
    "disqus",
    "outbrain",
    "taboola",
    "advert",
    "sponsor",
    "subscribe",
    "subscription",
    "signup",
    "popup",
    "modal",
    "recommend",
    "trending",
    "popular",
    "recirc",
    "caption",
    "byline",
    "masthead",
    "navbar",
    "navigation",
    "breadcrumbs",
    "pagination",
    "pager",
    "toolbar",
    "banner",
    "newsletters",
    "readmore",
    "readnext",
    "upnext",
    "overlay",
    "skiplink",
    "sronly",
    "offscreen",
    "visuallyhidden",
];

/// Whole words that mark boilerplate unless a content word is also present.
const WEAK_NEGATIVE: &[&str] = &[
    "ad",
    "ads",
    "nav",
    "menu",
    "footer",
    "meta",
    "tags",
    "tag",
    "author",
    "bio",
    "widget",
    "tools",
    "print",
    "more",
    "links",
    "rail",
    "aside",
    "sticky",
    "date",
    "dateline",
    "timestamp",
    "credit",
    "credits",
    "copyright",
    "extra",
    "partner",
    "feedback",
    "rating",
    "login",
    "skip",
    "toc",
    "sponsored",
];

/// Whole words that mark content.
const POSITIVE: &[&str] = &[
    "article", "body", "content", "entry", "main", "post", "story", "text", "blog", "prose",
    "richtext", "artikel", "bericht", "inhoud", "tekst",
];

/// Reusable buffers for [`read`], so that reading a page's signals does not allocate per
/// element.
#[derive(Default)]
pub(super) struct Scratch<'a> {
    word: String,
    joined: String,
    prev: String,
    /// Words already read per `class` value: pages repeat the same few classes.
    classes: std::collections::HashMap<&'a str, ValueHits>,
}

/// What one class or id value says, once its tokens are read.
#[derive(Clone, Copy, Default)]
struct ValueHits {
    strong_negative: bool,
    weak_negative: bool,
    positive: bool,
    article_body: bool,
}

impl ValueHits {
    fn read(value: &str, scratch: &mut Scratch<'_>) -> ValueHits {
        let mut hits = WordHits::default();
        split_words(value, scratch, &mut hits);
        ValueHits {
            strong_negative: hits.strong_negative,
            weak_negative: hits.weak_negative,
            positive: hits.positive,
            article_body: hits.article_body,
        }
    }
}

/// What the words of one class/id value say.
///
/// Within one class token the last word is the head (`article-meta` is a meta line,
/// `entry-content` is content), so a weak boilerplate word there outweighs a content word
/// before it.
#[derive(Default)]
struct WordHits {
    strong_negative: bool,
    weak_negative: bool,
    positive: bool,
    article_body: bool,
    token_weak: bool,
    token_positive: bool,
    last_weak: bool,
}

impl WordHits {
    fn word(&mut self, w: &str, prev: &str) {
        if STRONG_NEGATIVE.iter().any(|n| w.starts_with(n)) {
            self.strong_negative = true;
        }
        if prev == JOINED {
            // The joined form (`sronly`) only matters for the strong stems.
            return;
        }
        self.last_weak = WEAK_NEGATIVE.contains(&w);
        self.token_weak |= self.last_weak;
        if POSITIVE.contains(&w) {
            self.token_positive = true;
        }
        // `article-body`, `articleBody`, `story-body`, `entry-content`, `post-content`…
        if matches!(
            prev,
            "article" | "story" | "entry" | "post" | "artikel" | "news" | "blog"
        ) && matches!(w, "body" | "content" | "text" | "tekst")
        {
            self.article_body = true;
        }
    }

    /// Ends one whitespace-separated class token.
    fn end_token(&mut self) {
        if self.last_weak || (self.token_weak && !self.token_positive) {
            self.weak_negative = true;
        } else if self.token_positive {
            self.positive = true;
        }
        self.token_weak = false;
        self.token_positive = false;
        self.last_weak = false;
    }
}

/// Reads the signals of one element node (text nodes have none).
pub(super) fn read<'d>(
    node: &Node<'_>,
    attrs: &'d [Attr<'_>],
    scratch: &mut Scratch<'d>,
) -> Signal {
    let mut s = Signal::default();
    let mut hits = ValueHits::default();
    let mut add = |v: ValueHits| {
        hits.strong_negative |= v.strong_negative;
        hits.weak_negative |= v.weak_negative;
        hits.positive |= v.positive;
        hits.article_body |= v.article_body;
    };
    // One pass over the attributes: most elements have none of the ones we read.
    for Attr { name, value } in attrs {
        let value: &'d str = value;
        match &**name {
            "class" => {
                let v = match scratch.classes.get(value) {
                    Some(v) => *v,
                    None => {
                        let v = ValueHits::read(value, scratch);
                        scratch.classes.insert(value, v);
                        v
                    }
                };
                add(v);
            }
            "id" => add(ValueHits::read(value, scratch)),
            "hidden" => s.hidden = true,
            "aria-hidden" => s.hidden |= value.trim().eq_ignore_ascii_case("true"),
            "style" => s.hidden |= style_hides(value),
            "itemprop" if value.trim().eq_ignore_ascii_case("articleBody") => {
                s.article_body = true;
                s.positive = true;
            }
            "role" => {
                let role = value.trim();
                if [
                    "navigation",
                    "banner",
                    "contentinfo",
                    "complementary",
                    "menu",
                    "dialog",
                ]
                .iter()
                .any(|r| role.eq_ignore_ascii_case(r))
                {
                    s.weak_negative = true;
                    s.landmark = true;
                }
                if role.eq_ignore_ascii_case("main") || role.eq_ignore_ascii_case("article") {
                    s.positive = true;
                }
            }
            _ => {}
        }
    }
    s.strong_negative |= hits.strong_negative;
    s.weak_negative |= hits.weak_negative;
    s.positive |= hits.positive;
    s.article_body |= hits.article_body;
    if node.tag == Tag::Other {
        // Custom elements named like boilerplate (`<cookie-bar>`, `<share-buttons>`).
        s.strong_negative |= ValueHits::read(&node.name, scratch).strong_negative;
    }
    s
}

/// Whether an inline `style` hides the element.
pub(super) fn style_hides(style: &str) -> bool {
    let compact: String = style
        .chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect();
    compact.contains("display:none") || compact.contains("visibility:hidden")
}

/// Splits a class or id value into lower-case words (on non-alphanumerics and at
/// lower-to-upper camelCase steps) and feeds them to `hits`. Each multi-word token is also
/// fed joined (`sr-only` → `sronly`) so stems like `sronly` and `visuallyhidden` match.
fn split_words(value: &str, scratch: &mut Scratch<'_>, hits: &mut WordHits) {
    for token in value.split(|c: char| c.is_whitespace()) {
        if !token.is_empty() {
            for_each_word(token, scratch, |w, prev| hits.word(w, prev));
            hits.end_token();
        }
    }
}

/// Marks the joined form of a multi-word token in place of a previous word.
const JOINED: &str = "\u{0}joined";

/// Calls `f(word, previous word)` for each word of `value` (see [`split_words`]).
fn for_each_word(value: &str, scratch: &mut Scratch<'_>, mut f: impl FnMut(&str, &str)) {
    let Scratch {
        word, joined, prev, ..
    } = scratch;
    for token in value.split(|c: char| c.is_whitespace()) {
        if token.is_empty() {
            continue;
        }
        word.clear();
        joined.clear();
        prev.clear();
        let mut prev_lower = false;
        let mut parts = 0;
        let mut emit = |word: &mut String, prev: &mut String| {
            f(word, prev);
            std::mem::swap(prev, word);
            word.clear();
        };
        for c in token.chars() {
            if !c.is_alphanumeric() {
                if !word.is_empty() {
                    emit(word, prev);
                    parts += 1;
                }
                prev_lower = false;
                continue;
            }
            if c.is_uppercase() && prev_lower && !word.is_empty() {
                emit(word, prev);
                parts += 1;
            }
            prev_lower = c.is_lowercase() || c.is_numeric();
            word.extend(c.to_lowercase());
            joined.extend(c.to_lowercase());
        }
        if !word.is_empty() {
            emit(word, prev);
            parts += 1;
        }
        if parts > 1 && !joined.is_empty() {
            f(joined, JOINED);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_class_words() {
        let mut w: Vec<String> = Vec::new();
        let mut scratch = Scratch::default();
        for_each_word("articleShareBar  c-cookie_notice", &mut scratch, |x, _| {
            w.push(x.to_string())
        });
        let read_class = |class: &str| {
            let mut hits = WordHits::default();
            split_words(class, &mut Scratch::default(), &mut hits);
            (hits.strong_negative, hits.weak_negative, hits.positive)
        };
        assert_eq!(read_class("article-meta"), (false, true, false));
        assert_eq!(read_class("article content"), (false, false, true));
        assert_eq!(read_class("entry-content"), (false, false, true));
        assert_eq!(read_class("sr-only"), (true, false, false));
        assert_eq!(read_class("content-with-sidebar"), (true, false, true));
        assert_eq!(
            w,
            [
                "article",
                "share",
                "bar",
                "articlesharebar",
                "c",
                "cookie",
                "notice",
                "ccookienotice"
            ]
        );
    }

    #[test]
    fn style_hiding() {
        assert!(style_hides("color: red; DISPLAY : none"));
        assert!(!style_hides("display:block"));
    }
}
