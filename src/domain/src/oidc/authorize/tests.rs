use super::*;
use crate::test_support::example_policy;

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn raw() -> RawAuthorize {
    RawAuthorize {
        client_id: Some("bunsho-web".into()),
        redirect_uri: Some("https://bunsho.city.shinonome.lg.jp/oidc/callback".into()),
        response_type: Some("code".into()),
        scope: Some("openid profile".into()),
        state: Some("st-1".into()),
        nonce: Some("n-1".into()),
        code_challenge: Some(CHALLENGE.into()),
        code_challenge_method: Some("S256".into()),
        ..Default::default()
    }
}

fn check(r: &RawAuthorize) -> Result<AuthorizeRequest, AuthorizeError> {
    let p = example_policy();
    validate(r, r.client_id.as_deref().and_then(|c| p.client(c)), 1_000)
}

fn code_of(e: AuthorizeError) -> ErrorCode {
    match e {
        AuthorizeError::Redirect { error, state, .. } => {
            assert_eq!(state.as_deref(), Some("st-1"), "the state goes back with the error");
            error.code
        }
        AuthorizeError::Page(m) => panic!("expected a redirect, got a page: {m:?}"),
    }
}

#[test]
fn a_good_request_is_accepted() {
    let r = check(&raw()).unwrap();
    assert_eq!(r.scope, vec!["openid", "profile"]);
    assert_eq!((r.code_challenge.as_str(), r.requested_at), (CHALLENGE, 1_000));
}

#[test]
fn r_ac_10_unknown_clients_and_unregistered_redirects_never_redirect() {
    assert_eq!(
        check(&RawAuthorize { client_id: Some("nope".into()), ..raw() }),
        Err(AuthorizeError::Page(PageError::UnknownClient))
    );
    for bad in [
        "https://evil.example/cb",
        "https://bunsho.city.shinonome.lg.jp/oidc/callback/",
        "https://bunsho.city.shinonome.lg.jp/oidc/callback?x=1",
    ] {
        assert_eq!(
            check(&RawAuthorize { redirect_uri: Some(bad.into()), ..raw() }),
            Err(AuthorizeError::Page(PageError::RedirectUri)),
            "{bad}"
        );
    }
    assert_eq!(check(&RawAuthorize { redirect_uri: None, ..raw() }), Err(AuthorizeError::Page(PageError::RedirectUri)));
}

#[test]
fn errors_after_the_redirect_is_trusted_go_back_to_the_client() {
    assert_eq!(
        code_of(check(&RawAuthorize { response_type: Some("token".into()), ..raw() }).unwrap_err()),
        ErrorCode::UnsupportedResponseType
    );
    assert_eq!(code_of(check(&RawAuthorize { code_challenge: None, ..raw() }).unwrap_err()), ErrorCode::InvalidRequest);
    assert_eq!(
        code_of(check(&RawAuthorize { code_challenge_method: Some("plain".into()), ..raw() }).unwrap_err()),
        ErrorCode::InvalidRequest
    );
    assert_eq!(
        code_of(check(&RawAuthorize { prompt: Some("none login".into()), ..raw() }).unwrap_err()),
        ErrorCode::InvalidRequest
    );
    assert_eq!(
        code_of(check(&RawAuthorize { max_age: Some("-1".into()), ..raw() }).unwrap_err()),
        ErrorCode::InvalidRequest
    );
    assert_eq!(
        code_of(check(&RawAuthorize { nonce: Some("x".repeat(2000)), ..raw() }).unwrap_err()),
        ErrorCode::InvalidRequest
    );
}

fn session(auth_time: i64, kinds: usize) -> Option<SessionView> {
    Some(SessionView {
        auth_time,
        kinds,
        password_due: false,
        has_second_factor: true,
        may_enrol: true,
        onboarding_due: false,
    })
}

#[test]
fn r_au_02_the_door_asks_for_what_the_system_needs() {
    let r = check(&raw()).unwrap();
    assert_eq!(door(&r, None, &Decision::Allowed, 5_000), Door::SignIn);
    assert_eq!(door(&r, session(0, 1), &Decision::Allowed, 5_000), Door::Issue);
    assert_eq!(door(&r, session(0, 1), &Decision::StepUp { have: 1, need: 2 }, 5_000), Door::StepUp);
    let no_second = Some(SessionView { has_second_factor: false, ..session(0, 1).unwrap() });
    assert_eq!(
        door(&r, no_second, &Decision::StepUp { have: 1, need: 2 }, 5_000),
        Door::Enrol,
        "a first second factor, then on"
    );
    let no_enrol = Some(SessionView { has_second_factor: false, may_enrol: false, ..session(0, 1).unwrap() });
    assert!(
        matches!(door(&r, no_enrol, &Decision::StepUp { have: 1, need: 2 }, 5_000), Door::NoSecondFactor { need: 2, error } if error.code == ErrorCode::UnmetAuthenticationRequirements)
    );
    let due = Some(SessionView { password_due: true, ..session(0, 2).unwrap() });
    assert_eq!(door(&r, due, &Decision::Allowed, 5_000), Door::ChangePassword);
    let owing = Some(SessionView { onboarding_due: true, ..session(0, 2).unwrap() });
    assert_eq!(door(&r, owing, &Decision::Allowed, 5_000), Door::Onboarding, "R-LC-11: the rules page first, then on");
    let owing_step = Some(SessionView { onboarding_due: true, ..session(0, 1).unwrap() });
    assert_eq!(door(&r, owing_step, &Decision::StepUp { have: 1, need: 2 }, 5_000), Door::StepUp, "the factors first");
}

#[test]
fn r_zn_03_network_and_approval_refusals_are_access_denied() {
    let r = check(&raw()).unwrap();
    for d in [Decision::NetworkRefused { network: Some("telework".into()) }, Decision::NotApproved] {
        assert!(matches!(door(&r, session(0, 2), &d, 5_000), Door::Refuse(e) if e.code == ErrorCode::AccessDenied));
    }
}

#[test]
fn acr_values_raise_and_never_lower_the_requirement() {
    let two = check(&RawAuthorize { acr_values: Some("urn:tobira:acr:kinds:2".into()), ..raw() }).unwrap();
    assert_eq!(door(&two, session(0, 1), &Decision::Allowed, 5_000), Door::StepUp);
    assert_eq!(door(&two, session(0, 2), &Decision::Allowed, 5_000), Door::Issue);
    let one = check(&RawAuthorize { acr_values: Some("urn:tobira:acr:kinds:1".into()), ..raw() }).unwrap();
    assert_eq!(door(&one, session(0, 1), &Decision::StepUp { have: 1, need: 2 }, 5_000), Door::StepUp);
}

#[test]
fn prompt_and_max_age() {
    let none = check(&RawAuthorize { prompt: Some("none".into()), ..raw() }).unwrap();
    assert!(
        matches!(door(&none, None, &Decision::Allowed, 5_000), Door::Refuse(e) if e.code == ErrorCode::LoginRequired)
    );
    assert!(
        matches!(door(&none, session(0, 1), &Decision::StepUp { have: 1, need: 2 }, 5_000), Door::Refuse(e) if e.code == ErrorCode::InteractionRequired)
    );
    assert_eq!(door(&none, session(0, 1), &Decision::Allowed, 5_000), Door::Issue);
    // prompt=login: a sign-in from before the request is not enough; one after it is.
    let login = check(&RawAuthorize { prompt: Some("login".into()), ..raw() }).unwrap();
    assert_eq!(door(&login, session(999, 1), &Decision::Allowed, 5_000), Door::SignIn);
    assert_eq!(door(&login, session(1_000, 1), &Decision::Allowed, 5_000), Door::Issue);
    // max_age=60: a sign-in 61 s old must be repeated.
    let fresh = check(&RawAuthorize { max_age: Some("60".into()), ..raw() }).unwrap();
    assert_eq!(door(&fresh, session(0, 1), &Decision::Allowed, 60_000), Door::Issue);
    assert_eq!(door(&fresh, session(0, 1), &Decision::Allowed, 61_000), Door::SignIn);
}

#[test]
fn r_au_02_max_age_zero_is_met_by_a_sign_in_after_the_request() {
    // Requested at 1 000: a sign-in at 1 000 or later is fresh for it, however many ms have passed.
    let zero = check(&RawAuthorize { max_age: Some("0".into()), ..raw() }).unwrap();
    assert_eq!(door(&zero, session(999, 1), &Decision::Allowed, 1_500), Door::SignIn);
    assert_eq!(door(&zero, session(1_200, 1), &Decision::Allowed, 1_500), Door::Issue);
    let login = check(&RawAuthorize { prompt: Some("login".into()), max_age: Some("0".into()), ..raw() }).unwrap();
    assert_eq!(door(&login, session(1_000, 1), &Decision::Allowed, 9_000), Door::Issue);
}

#[test]
fn r_au_02_stock_client_scopes_are_accepted() {
    let r = check(&RawAuthorize { scope: Some("openid profile email offline_access admin".into()), ..raw() }).unwrap();
    assert_eq!(r.scope, vec!["openid", "profile", "email", "offline_access"]);
    assert_eq!(r.ignored_scopes, vec!["admin"]);
}
