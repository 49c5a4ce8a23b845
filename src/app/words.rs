//! What a refusal says to the person: Japanese first, English beside it. Carried by
//! [`super::AppError`]'s `Invalid`, `Refused`, `Conflict` and `NotFound`, so an API answer can put each
//! language in its own field (`message`, `message_en`) and a page or the CLI can show both.

use std::borrow::Cow;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Words {
    pub ja: Cow<'static, str>,
    pub en: Cow<'static, str>,
    /// The refusal's own stable code (snake_case), the `error` of an API answer; without one the
    /// answer names the kind (`bad_request`, `forbidden`, `conflict`, `not_found`).
    pub code: Option<&'static str>,
}

impl Words {
    pub fn new(ja: impl Into<Cow<'static, str>>, en: impl Into<Cow<'static, str>>) -> Words {
        Words { ja: ja.into(), en: en.into(), code: None }
    }

    /// The same words under the refusal's own code.
    pub fn coded(self, code: &'static str) -> Words {
        Words { code: Some(code), ..self }
    }
}

/// A date field's name (`from`, `until`, `to`) as the Japanese screens call it; any other as it is.
pub fn date_field_ja(what: &str) -> &str {
    match what {
        "from" => "開始日",
        "until" | "to" => "終了日",
        other => other,
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
        assert_eq!(Words::new("", "only English").to_string(), "only English");
        assert_eq!(Words::new("同じ", "同じ").to_string(), "同じ");
        assert_eq!(Words::new("日本語だけ", "").to_string(), "日本語だけ");
        assert_eq!(
            (date_field_ja("from"), date_field_ja("to"), date_field_ja("last_day")),
            ("開始日", "終了日", "last_day")
        );
    }
}
