//! What a refusal says to the person: Japanese first, English beside it. Carried by
//! [`super::AppError`]'s `Invalid`, `Refused`, `Conflict` and `NotFound`, so an API answer can put each
//! language in its own field (`message`, `message_en`) and a page or the CLI can show both.

use std::borrow::Cow;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    pub ja: Cow<'static, str>,
    pub en: Cow<'static, str>,
}

impl Words {
    pub fn new(ja: impl Into<Cow<'static, str>>, en: impl Into<Cow<'static, str>>) -> Words {
        Words { ja: ja.into(), en: en.into() }
    }

    /// The words in the page's language (`ja` or `en`), the other language's when this one is empty.
    pub fn in_lang(&self, english: bool) -> &str {
        match (english, self.ja.is_empty(), self.en.is_empty()) {
            (true, _, false) | (false, true, _) => &self.en,
            _ => &self.ja,
        }
    }
}

/// Both languages, `ja / en` (one of them when they are the same or the other is empty): the form of
/// pages, logs and the CLI.
impl fmt::Display for Words {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.ja.is_empty(), self.en.is_empty()) {
            (true, _) => f.write_str(&self.en),
            (false, true) => f.write_str(&self.ja),
            _ if self.ja == self.en => f.write_str(&self.ja),
            _ => write!(f, "{} / {}", self.ja, self.en),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_languages_japanese_first() {
        let w = Words::new("申請がありません", format!("no request {}", 7));
        assert_eq!(w.to_string(), "申請がありません / no request 7");
        assert_eq!((w.in_lang(false), w.in_lang(true)), ("申請がありません", "no request 7"));
        assert_eq!(Words::new("", "only English").to_string(), "only English");
        assert_eq!(Words::new("同じ", "同じ").to_string(), "同じ");
        assert_eq!(Words::new("日本語だけ", "").in_lang(true), "日本語だけ");
    }
}
