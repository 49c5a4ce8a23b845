//! What the browser and the log keep of a sign-in: no password is remembered so that a sign-in works
//! without typing it (R-AU-10), and the times of sign-in and sign-out are recorded and shown to the
//! person (R-AU-13).

use crate::support::both_backends;
use crate::web;

const PASSWORD: &str = "mikan to genmaicha 5ji";

both_backends! {
    async fn r_au_10_nothing_lets_a_sign_in_work_without_the_password(db: TestDb) {
        let s = web::start(&db, |_| {}).await;
        s.account("kioku", PASSWORD, false, false).await;
        let c = s.client();
        let page = c.get("/signin").await;
        // The browser is asked not to store the password, and there is no "remember me".
        assert!(page.body.contains("type=\"password\" autocomplete=\"off\""), "{}", page.body);
        assert!(!page.body.to_lowercase().contains("remember") && !page.body.contains("ログインしたまま"), "no remember-me option");
        let signed = c.sign_in("kioku", PASSWORD).await;
        assert_eq!(signed.status, 303);
        let session = signed.set_cookies.iter().find(|c| c.starts_with("tobira_session=") || c.contains("_session=")).expect("a session cookie");
        let attrs = session.to_ascii_lowercase();
        assert!(!attrs.contains("max-age") && !attrs.contains("expires"), "the session cookie ends with the browser: {session}");
        // A new browser (no cookie) must sign in again: nothing on the server signs it in.
        assert_eq!(s.client().get("/account").await.location.as_deref(), Some("/signin"));
    }
}

both_backends! {
    async fn r_au_13_sign_in_and_sign_out_times_are_recorded_and_shown(db: TestDb) {
        let s = web::start(&db, |_| {}).await;
        s.account("kiroku", PASSWORD, false, false).await;
        let c = s.client();
        c.sign_in("kiroku", PASSWORD).await;
        let first = s.clock_ms();
        let secret = web::enrol_totp(&s, &c).await;
        s.clock.advance(time::Duration::minutes(20));
        assert_eq!(c.post("/signout", &[]).await.status, 303);
        s.clock.advance(time::Duration::minutes(30));
        c.sign_in("kiroku", PASSWORD).await;
        let code = web::totp_code(&secret, (s.clock_ms() / 1000) as u64);
        assert_eq!(c.post("/signin/second/totp", &[("code", &code)]).await.status, 303);
        assert_eq!(s.audit_count("auth.sign_in", Some("password")).await, 2);
        assert_eq!(s.audit_count("auth.sign_out", None).await, 1);
        // The person sees the previous sign-in and the last sign-out, in JST.
        let account = c.get("/account").await;
        assert_eq!(account.status, 200, "{}", account.body);
        let jst = tobira_domain::time_util::jst_display;
        assert_eq!(account.by_id("previous-sign-in").as_deref(), Some(jst(first).as_str()), "{}", account.body);
        assert_eq!(account.by_id("last-sign-out").as_deref(), Some(jst(first + 20 * 60_000).as_str()));
        // The recent sign-ins name their methods in words, never as the stored JSON (`["password"]`).
        let recent = account.body.split("id=\"recent\"").nth(1).and_then(|t| t.split("</table>").next()).unwrap_or_default();
        assert!(recent.contains("<td>パスワード</td>"), "{recent}");
        assert!(!recent.contains('[') && !recent.contains("&#34;") && !recent.contains("&quot;"), "no raw JSON: {recent}");
    }
}
