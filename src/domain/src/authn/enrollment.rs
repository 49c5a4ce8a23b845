//! Enrollment links (R-AU-06): a joiner's single-use link to choose their first password. This
//! module decides when a link expires, whether one may still be used, and what the mail that
//! carries it says; the token itself never passes through here.
//!
//! Invariants: a link is usable only before its expiry (an expiry equal to now has passed), and
//! never after it was used or revoked; the stored mail body names the link by id in a placeholder
//! and holds no token, which the outbox puts in at send time.

use crate::time_util::jst_display;

/// When a link issued at `now` (UTC milliseconds) stops working, after `hours`
/// (`signin.enrollment_link_hours`).
pub fn expires_at(now: i64, hours: u32) -> i64 {
    now.saturating_add(i64::from(hours) * 3_600_000)
}

/// Why a link cannot be used. The person is shown one message for all of them (and for an
/// unknown token), so nothing is learnt from trying; the reason goes to the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    Used,
    Revoked,
    Expired,
}

impl Closed {
    pub fn code(self) -> &'static str {
        match self {
            Closed::Used => "used",
            Closed::Revoked => "revoked",
            Closed::Expired => "expired",
        }
    }
}

/// Whether a link with these times may be used at `now`.
pub fn standing(expires_at: i64, used_at: Option<i64>, revoked_at: Option<i64>, now: i64) -> Result<(), Closed> {
    if used_at.is_some() {
        Err(Closed::Used)
    } else if revoked_at.is_some() {
        Err(Closed::Revoked)
    } else if expires_at <= now {
        Err(Closed::Expired)
    } else {
        Ok(())
    }
}

const OPEN: &str = "[[enrollment-link:";
const CLOSE: &str = "]]";

/// What a stored mail body holds where the link goes.
pub fn placeholder(link_id: &str) -> String {
    format!("{OPEN}{link_id}{CLOSE}")
}

/// The link id named by the first placeholder in `body`, if any.
pub fn placeholder_id(body: &str) -> Option<&str> {
    let start = body.find(OPEN)? + OPEN.len();
    let len = body[start..].find(CLOSE)?;
    Some(&body[start..start + len]).filter(|id| !id.is_empty())
}

/// `body` with the placeholder of `link_id` replaced by `url`.
pub fn expand(body: &str, link_id: &str, url: &str) -> String {
    body.replace(&placeholder(link_id), url)
}

/// The page a token opens, under the service's public URL.
pub fn url(public_url: &str, token: &str) -> String {
    format!("{}/enroll?token={token}", public_url.trim_end_matches('/'))
}

/// What the joiner is told.
#[derive(Debug, Clone, Copy)]
pub struct MailFacts<'a> {
    /// The municipality's name (Japanese) as the policy gives it.
    pub municipality: &'a str,
    pub municipality_en: &'a str,
    /// The person's name as HR holds it.
    pub name: &'a str,
    pub login_id: &'a str,
    pub link_id: &'a str,
    pub expires_at: i64,
}

/// Subject and body of the mail that carries a link: Japanese first, English second, the expiry
/// in JST; the body holds the link's placeholder, not the link.
pub fn mail(f: &MailFacts) -> (String, String) {
    let subject = format!("【{}】パスワードの設定（アカウント作成のお知らせ） / Set your password", f.municipality);
    let (expiry, link) = (jst_display(f.expires_at), placeholder(f.link_id));
    let body = format!(
        "{name} 様\n\n\
         {city}の統合ID管理に、あなたのアカウントが作成されました。\n\
         ログインID: {login}\n\n\
         次のリンクを開き、ご自身でパスワードを設定してください。リンクは一度だけ使えます。\n\
         有効期限: {expiry}\n\n\
         {link}\n\n\
         期限が過ぎた場合や心当たりがない場合は、情報政策課（セキュリティ担当）に連絡してください。\n\
         このリンクを他の人に渡さないでください。\n\n\
         ----\n\
         An account has been created for you in the {city_en} identity service.\n\
         Login ID: {login}\n\n\
         Open the link above to choose your password. The link works once.\n\
         Expires: {expiry}\n\n\
         If it has expired or you did not expect this mail, contact the security officer.\n\
         Do not pass the link on to anyone.\n",
        name = f.name,
        city = f.municipality,
        city_en = f.municipality_en,
        login = f.login_id,
    );
    (subject, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time_util::to_millis;
    use time::macros::datetime;

    #[test]
    fn r_au_06_a_link_expires_after_the_policys_hours() {
        let now = to_millis(datetime!(2026-04-01 00:00 UTC));
        assert_eq!(expires_at(now, 72), to_millis(datetime!(2026-04-04 00:00 UTC)));
        assert_eq!(expires_at(now, 1), now + 3_600_000);
        assert_eq!(expires_at(i64::MAX - 1, 720), i64::MAX, "no overflow");
    }

    #[test]
    fn r_au_06_a_link_is_usable_once_and_only_before_its_expiry() {
        let exp = 1_000;
        assert_eq!(standing(exp, None, None, 999), Ok(()));
        assert_eq!(standing(exp, None, None, 1_000), Err(Closed::Expired), "the expiry itself has passed");
        assert_eq!(standing(exp, Some(500), None, 600), Err(Closed::Used));
        assert_eq!(standing(exp, None, Some(500), 600), Err(Closed::Revoked));
        assert_eq!(
            standing(exp, Some(500), Some(400), 2_000),
            Err(Closed::Used),
            "used wins: it says what happened first"
        );
    }

    #[test]
    fn r_au_06_the_stored_mail_names_the_link_by_id_only() {
        let exp = to_millis(datetime!(2026-04-03 15:30 UTC));
        let (subject, body) = mail(&MailFacts {
            municipality: "東雲市",
            municipality_en: "Shinonome City",
            name: "東雲 花子",
            login_id: "300001",
            link_id: "0193-link",
            expires_at: exp,
        });
        assert!(subject.starts_with("【東雲市】パスワードの設定"), "{subject}");
        assert!(body.contains("有効期限: 2026-04-04 00:30 JST"), "the expiry in JST: {body}");
        let (ja, en) = (body.find("ログインID: 300001").unwrap(), body.find("Login ID: 300001").unwrap());
        assert!(ja < en, "Japanese first");
        assert_eq!(placeholder_id(&body), Some("0193-link"));
        let sent = expand(&body, "0193-link", &url("https://id.city.shinonome.lg.jp/", "TOKEN"));
        assert!(sent.contains("\nhttps://id.city.shinonome.lg.jp/enroll?token=TOKEN\n"), "{sent}");
        assert!(!sent.contains("[[enrollment-link:"));
    }

    #[test]
    fn placeholders_without_an_id_name_nothing() {
        assert_eq!(placeholder_id("no link here"), None);
        assert_eq!(placeholder_id("[[enrollment-link:]]"), None);
        assert_eq!(placeholder_id("[[enrollment-link:abc"), None);
        assert_eq!(
            expand("a [[enrollment-link:x]] b", "y", "URL"),
            "a [[enrollment-link:x]] b",
            "only the named link is expanded"
        );
    }
}
