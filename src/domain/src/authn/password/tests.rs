use super::*;
use time::macros::date;
use toml::Spanned;

fn rule(min: u32, max: u32) -> PasswordRule {
    PasswordRule { profile: PasswordProfile::Municipal, min_length: Spanned::new(0..0, min), max_length: Spanned::new(0..0, max), history: 5, max_age_days: Spanned::new(0..0, 180) }
}

fn taro() -> PersonalData {
    PersonalData {
        login_id: "t.yamada".into(),
        employee_number: Some("123456".into()),
        names: vec!["山田 太郎".into(), "やまだ たろう".into()],
        birth_date: Some(date!(1988 - 04 - 15)),
        phones: vec!["022-123-4567".into()],
    }
}

fn problems(p: &str) -> Vec<PasswordProblem> {
    check(p, &rule(12, 128), &["shinonome".to_string(), "東雲".to_string()], &taro())
}

#[test]
fn r_au_05_length_bounds_in_characters() {
    assert_eq!(problems("梅干しと緑茶の午後三時だ"), vec![], "12 characters of Japanese pass");
    assert_eq!(problems("梅干しと緑茶の午後三時"), vec![PasswordProblem::TooShort { min: 12 }]);
    let long = "x".repeat(129);
    assert!(check(&long, &rule(12, 128), &[], &PersonalData::default()).contains(&PasswordProblem::TooLong { max: 128 }));
    assert!(check(&"xy".repeat(64), &rule(12, 128), &[], &PersonalData::default()).is_empty(), "exactly the maximum");
}

#[test]
fn r_au_05_control_characters_are_refused() {
    assert!(problems("correct horse\nbattery").contains(&PasswordProblem::ControlCharacters));
}

#[test]
fn r_au_05_common_passwords_and_their_decorations_are_refused() {
    for p in ["password1234", "Password2024!", "!!sakura1234", "aaaaaaaaaaaa", "123456789012", "abcdefghijkl", "ilove-shinonome-city", "東雲市役所のパスワード"] {
        assert!(problems(p).contains(&PasswordProblem::Common), "{p}");
    }
    assert_eq!(problems("correct horse battery staple"), vec![]);
}

#[test]
fn r_au_05_personal_data_is_refused() {
    let cases = [
        ("t.yamada-secret-x", PersonalField::LoginId),
        ("staff-123456-blue", PersonalField::EmployeeNumber),
        ("staff-１２３４５６-blue", PersonalField::EmployeeNumber),
        ("yamada-taro-2026x", PersonalField::Name),
        ("Taro.Yamada!x9zz", PersonalField::Name),
        ("ヤマダのひみつのへや", PersonalField::Name),
        ("山田の秘密の部屋です", PersonalField::Name),
        ("blue-19880415-sky", PersonalField::BirthDate),
        ("blue-880415-sky!!", PersonalField::BirthDate),
        ("blue-1988/04/15-sky", PersonalField::BirthDate),
        ("blue-s630415-sky!!", PersonalField::BirthDate),
        ("call-022-123-4567!", PersonalField::Phone),
        ("call-21234567-xyz", PersonalField::Phone),
    ];
    for (p, field) in cases {
        assert!(problems(p).contains(&PasswordProblem::Personal { field }), "{p}: {:?}", problems(p));
    }
}

#[test]
fn r_au_05_several_problems_are_all_named() {
    let p = problems("taro123456");
    assert!(p.contains(&PasswordProblem::TooShort { min: 12 }));
    assert!(p.contains(&PasswordProblem::Personal { field: PersonalField::EmployeeNumber }));
    assert!(p.contains(&PasswordProblem::Personal { field: PersonalField::Name }));
    assert!(p.iter().all(|x| !x.ja().contains("taro") && !x.en().contains("taro")));
}

#[test]
fn r_au_07_expiry_by_profile() {
    let mut r = rule(12, 128);
    assert_eq!(expires_at(&r, 0), Some(180 * 86_400_000));
    r.profile = PasswordProfile::Nist;
    assert_eq!(expires_at(&r, 0), None);
    r.profile = PasswordProfile::Municipal;
    r.max_age_days = Spanned::new(0..0, 0);
    assert_eq!(expires_at(&r, 0), None);
}
