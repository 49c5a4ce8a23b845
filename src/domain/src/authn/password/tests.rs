use super::*;
use time::macros::date;
use toml::Spanned;

fn rule(min: u32, max: u32) -> PasswordRule {
    PasswordRule {
        profile: PasswordProfile::Municipal,
        min_length: Spanned::new(0..0, min),
        max_length: Spanned::new(0..0, max),
        history: 5,
        max_age_days: Spanned::new(0..0, 180),
    }
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

fn blocklist() -> Vec<String> {
    vec!["shinonome".to_string(), "東雲".to_string()]
}

fn problems(p: &str) -> Vec<PasswordProblem> {
    check(p, &rule(12, 128), &blocklist(), &taro())
}

/// Problems with nothing known about the person and no policy blocklist.
fn bare(p: &str) -> Vec<PasswordProblem> {
    check(p, &rule(12, 128), &[], &PersonalData::default())
}

fn personal_with(p: &str, data: &PersonalData) -> Vec<PasswordProblem> {
    check(p, &rule(8, 128), &[], data)
}

fn is_personal(problems: &[PasswordProblem], field: PersonalField) -> bool {
    problems.contains(&PasswordProblem::Personal { field })
}

#[test]
fn r_au_05_length_bounds_in_characters() {
    assert_eq!(bare("blue-kiwi-77"), vec![], "exactly the minimum");
    assert_eq!(bare("blue-kiwi-7"), vec![PasswordProblem::TooShort { min: 12 }]);
    assert_eq!(problems("梅干しと緑茶の午後三時だ"), vec![], "12 Japanese characters are 12, not 36 bytes");
    assert_eq!(problems("梅干しと緑茶の午後三時"), vec![PasswordProblem::TooShort { min: 12 }]);
    assert_eq!(bare("🍣🍵🍡🍙🍘🍢🍜🍛🍱🍤🍥🥟"), vec![], "12 emoji are 12 characters");
    assert_eq!(bare(&"xy".repeat(64)), vec![], "exactly the maximum");
    assert_eq!(bare(&"xy".repeat(64).replacen('x', "xz", 1)), vec![PasswordProblem::TooLong { max: 128 }]);
    assert!(bare("").contains(&PasswordProblem::TooShort { min: 12 }));
}

#[test]
fn r_au_05_control_characters_are_refused() {
    for p in [
        "correct horse\nbattery",
        "correct\thorse battery",
        "correct horse\u{7f}battery",
        "correct horse\u{0}battery",
        "correct horse\rbattery",
    ] {
        assert_eq!(bare(p), vec![PasswordProblem::ControlCharacters], "{p:?}");
    }
    assert_eq!(bare("correct horse　battery"), vec![], "spaces, ideographic too, are not control characters");
}

#[test]
fn r_au_05_shipped_list_is_refused_after_folding() {
    for p in [
        "password",
        "iloveyou",
        "qwerty123",
        "ＰＡＳＳＷＯＲＤ",
        "PassWord",
        "パスワード",
        "ぱすわーど",
        "どらえもん",
        "konnichiwa",
        "hello kitty",
    ] {
        assert!(bare(p).contains(&PasswordProblem::Common), "{p}");
    }
    assert!(shipped().len() >= 1000, "the shipped list holds {} entries", shipped().len());
    assert!(shipped().iter().all(|e| !e.is_empty() && *e == fold(e)), "entries are stored folded");
}

#[test]
fn r_au_05_list_entries_with_digits_or_punctuation_around_them_are_refused() {
    for p in
        ["Password2024!", "!!sakura1234", "Doraemon-1989", "ＰＯＫＥＭＯＮ２０２４", "qwerty.123456", "どらえもん2024!"]
    {
        assert!(bare(p).contains(&PasswordProblem::Common), "{p}");
    }
    assert!(!bare("mom!!20241231").contains(&PasswordProblem::Common), "a base under 4 characters is not matched");
    assert!(!bare("sakura-no-hana-ga-saku").contains(&PasswordProblem::Common), "only the ends are stripped");
}

#[test]
fn r_au_05_policy_blocklist_is_refused_exactly_and_when_contained() {
    for p in
        ["Shinonome", "shinonome2026!", "ilove-shinonome-city", "ＳＨＩＮＯＮＯＭＥ市役所", "東雲市役所のパスワード"]
    {
        assert!(problems(p).contains(&PasswordProblem::Common), "{p}");
    }
    let city = vec!["シノノメ".to_string()];
    assert!(
        check("しののめ大好きですよね", &rule(8, 128), &city, &PersonalData::default())
            .contains(&PasswordProblem::Common),
        "katakana entry, hiragana password"
    );
    let short = vec!["ab".to_string(), " ".to_string()];
    assert_eq!(
        check("crab apple tree", &rule(8, 128), &short, &PersonalData::default()),
        vec![],
        "tiny entries do not block by containment"
    );
    assert!(
        check("ab", &rule(2, 128), &short, &PersonalData::default()).contains(&PasswordProblem::Common),
        "but still exactly"
    );
}

#[test]
fn r_au_05_repeated_and_sequential_runs_are_refused() {
    for p in [
        "aaaaaaaaaaaa",
        "!!!!!!!!!!!!",
        "ああああああああああああ",
        "123456789012",
        "098765432109",
        "abcdefghijkl",
        "ZYXWVUTSRQPO",
        "qwertyuiopqw",
        "abcdefghijk2024!",
        "!!zxcvbnmzx!!",
    ] {
        assert!(bare(p).contains(&PasswordProblem::Common), "{p}");
    }
    for p in ["abcdefghijkm", "aaaaaaaaaaab", "135792468024"] {
        assert!(!bare(p).contains(&PasswordProblem::Common), "{p}");
    }
}

#[test]
fn r_au_05_login_id_is_refused() {
    assert!(is_personal(&problems("t.yamada-secret-x"), PersonalField::LoginId));
    assert!(is_personal(&problems("T.YAMADA-secret-x"), PersonalField::LoginId));
    let short = PersonalData { login_id: "ab".into(), ..PersonalData::default() };
    assert_eq!(personal_with("crab-apple-x", &short), vec![], "login IDs under 3 characters are not matched");
}

#[test]
fn r_au_05_employee_number_is_refused_also_in_full_width_digits() {
    assert!(is_personal(&problems("staff-123456-blue"), PersonalField::EmployeeNumber));
    assert!(is_personal(&problems("staff-１２３４５６-blue"), PersonalField::EmployeeNumber));
    assert!(!is_personal(&problems("staff-12345-blue!"), PersonalField::EmployeeNumber));
    let short = PersonalData { employee_number: Some("042".into()), ..PersonalData::default() };
    assert_eq!(personal_with("room-042-blue", &short), vec![], "numbers under 4 characters are not matched");
}

#[test]
fn r_au_05_kana_name_is_refused_in_romaji() {
    let kana_only = PersonalData { names: vec!["やまだ たろう".into()], ..PersonalData::default() };
    for p in ["yamada-taro-2026", "Taro.Yamada!x9", "TAROU-blue-sky", "blue-yamadatarou"] {
        assert_eq!(personal_with(p, &kana_only), vec![PasswordProblem::Personal { field: PersonalField::Name }], "{p}");
    }
    let long_vowels = PersonalData {
        names: vec!["おおの きょうこ".into(), "ふじた ちはる".into()],
        ..PersonalData::default()
    };
    for p in [
        "kyoko-blue-sky",
        "kyouko-blue-sky",
        "ohno-blue-sky!",
        "oono-blue-sky!",
        "huzita-blue-sky",
        "fujita-blue-sky",
        "tiharu-blue-sky",
    ] {
        assert!(is_personal(&personal_with(p, &long_vowels), PersonalField::Name), "{p}");
    }
}

#[test]
fn r_au_05_name_in_kanji_kana_and_romaji_is_refused() {
    for p in [
        "山田の秘密の部屋です",
        "太郎の秘密の部屋です",
        "やまだのひみつのへや",
        "ヤマダのひみつのへや",
        "タロウのひみつのへや",
    ] {
        assert!(is_personal(&problems(p), PersonalField::Name), "{p}");
    }
    let katakana = PersonalData { names: vec!["ヤマダ・タロウ".into()], ..PersonalData::default() };
    assert!(
        is_personal(&personal_with("やまだのひみつのへや", &katakana), PersonalField::Name),
        "katakana name, hiragana password"
    );
    assert!(is_personal(&personal_with("yamada-blue-sky", &katakana), PersonalField::Name));
    let romaji = PersonalData { names: vec!["Taro YAMADA".into(), "Shin'ichi Ono".into()], ..PersonalData::default() };
    assert!(is_personal(&personal_with("blue-yamada-sky", &romaji), PersonalField::Name));
    assert!(is_personal(&personal_with("blue-shinichi-sky", &romaji), PersonalField::Name));
}

#[test]
fn r_au_05_short_name_parts_are_not_matched_alone() {
    let data = PersonalData { names: vec!["佐藤 翔".into(), "Li Na".into()], ..PersonalData::default() };
    assert_eq!(personal_with("翔ぶ鳥は青い空の下", &data), vec![], "one-kanji part alone");
    assert_eq!(personal_with("na-li-blue-sky-x", &data), vec![], "romaji parts under 3 letters");
    assert!(
        is_personal(&personal_with("佐藤翔は青い空の下", &data), PersonalField::Name),
        "the whole name still counts"
    );
    assert!(is_personal(&personal_with("blue-sky-lina-x", &data), PersonalField::Name), "the whole name still counts");
}

#[test]
fn r_au_05_birth_date_in_every_format_is_refused() {
    let born = PersonalData { birth_date: Some(date!(1988 - 04 - 15)), ..PersonalData::default() };
    for form in [
        "19880415",
        "880415",
        "04151988",
        "15041988",
        "1988-04-15",
        "1988/04/15",
        "1988.04.15",
        "s630415",
        "S630415",
        "630415",
        "昭和63年4月15日",
        "1988_04_15",
    ] {
        let p = format!("blue-sky-{form}-cat");
        assert_eq!(
            personal_with(&p, &born),
            vec![PasswordProblem::Personal { field: PersonalField::BirthDate }],
            "{p}"
        );
    }
    assert_eq!(personal_with("blue-sky-1988-cat", &born), vec![], "the year alone is allowed");
}

#[test]
fn r_au_05_birth_date_era_boundaries() {
    let refused = |d: time::Date, form: &str| {
        is_personal(
            &personal_with(
                &format!("blue-sky-{form}-x"),
                &PersonalData { birth_date: Some(d), ..PersonalData::default() },
            ),
            PersonalField::BirthDate,
        )
    };
    assert!(refused(date!(1926 - 12 - 25), "s011225"), "first day of Shōwa");
    assert!(!refused(date!(1926 - 12 - 24), "s011224"), "Taishō has no form here");
    assert!(refused(date!(1989 - 01 - 07), "s640107"), "last day of Shōwa");
    assert!(refused(date!(1989 - 01 - 08), "h010108"), "first day of Heisei");
    assert!(refused(date!(2019 - 04 - 30), "h310430"), "last day of Heisei");
    assert!(refused(date!(2019 - 05 - 01), "r010501"), "first day of Reiwa");
    assert!(!refused(date!(2019 - 05 - 01), "h310501"), "not Heisei after the change");
    assert!(refused(date!(1995 - 11 - 03), "平成7年11月3日"));
}

#[test]
fn r_au_05_phone_number_is_refused_by_its_digits() {
    assert!(is_personal(&problems("call-022-123-4567!"), PersonalField::Phone));
    assert!(is_personal(&problems("call-0221234567-me"), PersonalField::Phone));
    assert!(is_personal(&problems("call-21234567-xyz"), PersonalField::Phone), "last 8 digits");
    assert!(!is_personal(&problems("call-1234567-xyz!"), PersonalField::Phone), "7 of the last digits are not enough");
    let mobile =
        PersonalData { phones: vec!["０８０－２４６８－１３５７".into()], ..PersonalData::default() };
    assert!(
        is_personal(&personal_with("tel 2468 x 1357 ok", &mobile), PersonalField::Phone),
        "digits only, full-width phone"
    );
    let short = PersonalData { phones: vec!["12-34".into()], ..PersonalData::default() };
    assert_eq!(personal_with("blue-sky-1234-cat", &short), vec![], "phones under 6 digits are not matched");
}

#[test]
fn r_au_05_several_problems_are_each_named_once() {
    let p = problems("たろう123456");
    assert_eq!(
        p,
        vec![
            PasswordProblem::TooShort { min: 12 },
            PasswordProblem::Personal { field: PersonalField::EmployeeNumber },
            PasswordProblem::Personal { field: PersonalField::Name },
        ]
    );
    let twice = problems("yamada-taro-yamada-太郎");
    assert_eq!(twice, vec![PasswordProblem::Personal { field: PersonalField::Name }]);
    let many = problems("password\n19880415");
    assert_eq!(
        many,
        vec![
            PasswordProblem::ControlCharacters,
            PasswordProblem::Common,
            PasswordProblem::Personal { field: PersonalField::BirthDate }
        ]
    );
}

#[test]
fn r_au_05_strong_passphrases_are_accepted() {
    assert_eq!(problems("correct horse battery staple"), vec![]);
    assert_eq!(check("梅干しと緑茶の午後3時", &rule(10, 128), &blocklist(), &taro()), vec![]);
    assert_eq!(problems("Kiwi-Umbrella-Glacier-42"), vec![]);
}

#[test]
fn r_au_05_messages_and_wire_form_never_carry_the_password() {
    assert_eq!(PasswordProblem::TooShort { min: 12 }.ja(), "12文字以上にしてください。");
    assert_eq!(PasswordProblem::TooLong { max: 128 }.en(), "Use at most 128 characters.");
    assert_eq!(
        PasswordProblem::Personal { field: PersonalField::BirthDate }.ja(),
        "生年月日を含むパスワードは使えません。"
    );
    assert_eq!(
        serde_json::to_value(PasswordProblem::TooShort { min: 12 }).unwrap(),
        serde_json::json!({"problem": "too_short", "min": 12})
    );
    assert_eq!(
        serde_json::to_value(PasswordProblem::Personal { field: PersonalField::EmployeeNumber }).unwrap(),
        serde_json::json!({"problem": "personal", "field": "employee_number"})
    );
    assert_eq!(serde_json::to_value(PasswordProblem::Common).unwrap(), serde_json::json!({"problem": "common"}));
    let secret = "yamada-taro-2026";
    for problem in problems(secret).iter().chain([&PasswordProblem::Reused, &PasswordProblem::ControlCharacters]) {
        assert!(!problem.ja().contains("yamada") && !problem.en().contains("yamada"), "{problem:?}");
        assert!(!serde_json::to_string(problem).unwrap().contains("yamada"));
    }
    assert!(!problems(secret).contains(&PasswordProblem::Reused), "check() never says Reused");
}

#[test]
fn fold_maps_width_case_and_kana() {
    assert_eq!(fold("ＡＢＣ１２３　カタカナ"), "abc123 かたかな");
    assert_eq!(fold("PassWord"), "password");
}

#[test]
fn r_au_07_expiry_by_profile() {
    let set_at = 1_790_000_000_000;
    let mut r = rule(12, 128);
    assert_eq!(expires_at(&r, set_at), Some(set_at + 180 * 86_400_000));
    r.max_age_days = Spanned::new(0..0, 90);
    assert_eq!(expires_at(&r, set_at), Some(set_at + 90 * 86_400_000), "privileged accounts change sooner");
    r.profile = PasswordProfile::Nist;
    assert_eq!(expires_at(&r, set_at), None, "NIST: no periodic change even with a maximum age");
    r.profile = PasswordProfile::Municipal;
    r.max_age_days = Spanned::new(0..0, 0);
    assert_eq!(expires_at(&r, set_at), None, "0 days means never");
}
