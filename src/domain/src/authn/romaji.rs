//! Kana to romaji (Hepburn, with the common Kunrei and long-vowel variants), so a password built from
//! a person's name in romaji is refused even when HR gives the name only in kana (R-AU-05).
//!
//! Invariants: pure table lookup, output lowercase ASCII; hiragana and katakana give the same
//! result; input holding anything other than kana, ー, spaces (ASCII or full-width) and ・ gives
//! `None`; `variants` returns at most [`MAX_VARIANTS`] distinct spellings, Hepburn first.

/// The most spellings [`variants`] returns.
pub const MAX_VARIANTS: usize = 8;

/// Two-kana combinations first: the longest match wins.
const TABLE: &[(&str, &str)] = &[
    ("きゃ", "kya"),
    ("きゅ", "kyu"),
    ("きょ", "kyo"),
    ("しゃ", "sha"),
    ("しゅ", "shu"),
    ("しょ", "sho"),
    ("ちゃ", "cha"),
    ("ちゅ", "chu"),
    ("ちょ", "cho"),
    ("にゃ", "nya"),
    ("にゅ", "nyu"),
    ("にょ", "nyo"),
    ("ひゃ", "hya"),
    ("ひゅ", "hyu"),
    ("ひょ", "hyo"),
    ("みゃ", "mya"),
    ("みゅ", "myu"),
    ("みょ", "myo"),
    ("りゃ", "rya"),
    ("りゅ", "ryu"),
    ("りょ", "ryo"),
    ("ぎゃ", "gya"),
    ("ぎゅ", "gyu"),
    ("ぎょ", "gyo"),
    ("じゃ", "ja"),
    ("じゅ", "ju"),
    ("じょ", "jo"),
    ("びゃ", "bya"),
    ("びゅ", "byu"),
    ("びょ", "byo"),
    ("ぴゃ", "pya"),
    ("ぴゅ", "pyu"),
    ("ぴょ", "pyo"),
    ("ぢゃ", "ja"),
    ("ぢゅ", "ju"),
    ("ぢょ", "jo"),
    ("ふぁ", "fa"),
    ("ふぃ", "fi"),
    ("ふぇ", "fe"),
    ("ふぉ", "fo"),
    ("てぃ", "ti"),
    ("でぃ", "di"),
    ("とぅ", "tu"),
    ("どぅ", "du"),
    ("でゅ", "dyu"),
    ("うぃ", "wi"),
    ("うぇ", "we"),
    ("うぉ", "wo"),
    ("いぇ", "ye"),
    ("しぇ", "she"),
    ("じぇ", "je"),
    ("ちぇ", "che"),
    ("つぁ", "tsa"),
    ("つぇ", "tse"),
    ("つぉ", "tso"),
    ("ゔぁ", "va"),
    ("ゔぃ", "vi"),
    ("ゔぇ", "ve"),
    ("ゔぉ", "vo"),
    ("くぁ", "kwa"),
    ("ぐぁ", "gwa"),
    ("あ", "a"),
    ("い", "i"),
    ("う", "u"),
    ("え", "e"),
    ("お", "o"),
    ("か", "ka"),
    ("き", "ki"),
    ("く", "ku"),
    ("け", "ke"),
    ("こ", "ko"),
    ("さ", "sa"),
    ("し", "shi"),
    ("す", "su"),
    ("せ", "se"),
    ("そ", "so"),
    ("た", "ta"),
    ("ち", "chi"),
    ("つ", "tsu"),
    ("て", "te"),
    ("と", "to"),
    ("な", "na"),
    ("に", "ni"),
    ("ぬ", "nu"),
    ("ね", "ne"),
    ("の", "no"),
    ("は", "ha"),
    ("ひ", "hi"),
    ("ふ", "fu"),
    ("へ", "he"),
    ("ほ", "ho"),
    ("ま", "ma"),
    ("み", "mi"),
    ("む", "mu"),
    ("め", "me"),
    ("も", "mo"),
    ("や", "ya"),
    ("ゆ", "yu"),
    ("よ", "yo"),
    ("ら", "ra"),
    ("り", "ri"),
    ("る", "ru"),
    ("れ", "re"),
    ("ろ", "ro"),
    ("わ", "wa"),
    ("ゐ", "i"),
    ("ゑ", "e"),
    ("を", "o"),
    ("ん", "n"),
    ("が", "ga"),
    ("ぎ", "gi"),
    ("ぐ", "gu"),
    ("げ", "ge"),
    ("ご", "go"),
    ("ざ", "za"),
    ("じ", "ji"),
    ("ず", "zu"),
    ("ぜ", "ze"),
    ("ぞ", "zo"),
    ("だ", "da"),
    ("ぢ", "ji"),
    ("づ", "zu"),
    ("で", "de"),
    ("ど", "do"),
    ("ば", "ba"),
    ("び", "bi"),
    ("ぶ", "bu"),
    ("べ", "be"),
    ("ぼ", "bo"),
    ("ぱ", "pa"),
    ("ぴ", "pi"),
    ("ぷ", "pu"),
    ("ぺ", "pe"),
    ("ぽ", "po"),
    ("ゔ", "vu"),
    ("ぁ", "a"),
    ("ぃ", "i"),
    ("ぅ", "u"),
    ("ぇ", "e"),
    ("ぉ", "o"),
    ("ゃ", "ya"),
    ("ゅ", "yu"),
    ("ょ", "yo"),
    ("ゎ", "wa"),
    ("ゕ", "ka"),
    ("ゖ", "ke"),
];

/// Katakana to hiragana; other characters unchanged.
pub fn hiragana(s: &str) -> String {
    s.chars()
        .map(|c| if ('\u{30A1}'..='\u{30F6}').contains(&c) { char::from_u32(c as u32 - 0x60).unwrap_or(c) } else { c })
        .collect()
}

/// Hepburn romaji of a kana string (hiragana or katakana), lowercase, with spaces and ・ dropped:
/// っ doubles the next consonant (っち → tchi), ー repeats the vowel before it (ちーず → chiizu),
/// ん is always "n" (しんいち → shinichi). `None` if anything else is in the input, or nothing is.
pub fn to_romaji(kana: &str) -> Option<String> {
    let s: Vec<char> = hiragana(kana).chars().filter(|c| !matches!(c, ' ' | '\u{3000}' | '・' | '･')).collect();
    let mut out = String::new();
    let mut i = 0;
    let mut double_next = false;
    while i < s.len() {
        match s[i] {
            'っ' => {
                double_next = true;
                i += 1;
                continue;
            }
            'ー' => {
                if let Some(v) = out.chars().last().filter(|c| "aiueo".contains(*c)) {
                    out.push(v);
                }
                i += 1;
                continue;
            }
            _ => {}
        }
        let two: String = s[i..(i + 2).min(s.len())].iter().collect();
        let one: String = s[i..i + 1].iter().collect();
        let (syllable, used) = match TABLE.iter().find(|(k, _)| *k == two) {
            Some((_, r)) => (*r, 2),
            None => (TABLE.iter().find(|(k, _)| *k == one)?.1, 1),
        };
        if std::mem::take(&mut double_next) {
            let first = syllable.chars().next()?;
            if !"aiueo".contains(first) {
                out.push(if syllable.starts_with("ch") { 't' } else { first });
            }
        }
        out.push_str(syllable);
        i += used;
    }
    (!out.is_empty()).then_some(out)
}

/// Long vowels written once: ou → o and every doubled vowel single (kyouko → kyoko, oono → ono).
fn shorten(s: &str) -> String {
    let s = s.replace("ou", "o");
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if !("aiueo".contains(c) && out.ends_with(c)) {
            out.push(c);
        }
    }
    out
}

/// Long o written "oh", as in passports (おおの → ohno, さとう → satoh).
fn oh(s: &str) -> String {
    s.replace("ou", "oh").replace("oo", "oh")
}

/// Kunrei-shiki spellings (shi → si, chi → ti, tsu → tu, fu → hu, ji → zi, sha → sya, cha → tya, ja → zya).
fn kunrei(s: &str) -> String {
    s.replace("shi", "si")
        .replace("chi", "ti")
        .replace("tsu", "tu")
        .replace("fu", "hu")
        .replace("ji", "zi")
        .replace("sh", "sy")
        .replace("ch", "ty")
        .replace('j', "zy")
}

/// ん written "m" before b, m and p, as in traditional Hepburn (なんば → namba, ほんま → homma).
fn m_before_labials(s: &str) -> String {
    s.replace("nb", "mb").replace("nm", "mm").replace("np", "mp")
}

/// The Hepburn form first, then common alternatives: long vowels shortened or written "oh",
/// Kunrei spellings and "m" before labials. Distinct, at most [`MAX_VARIANTS`]; empty when
/// `to_romaji` gives `None`.
pub fn variants(kana: &str) -> Vec<String> {
    let Some(h) = to_romaji(kana) else { return Vec::new() };
    let short = shorten(&h);
    let all = [kunrei(&h), oh(&h), kunrei(&short), m_before_labials(&h), m_before_labials(&short), kunrei(&oh(&h))];
    let mut out: Vec<String> = Vec::with_capacity(MAX_VARIANTS);
    for v in [h, short].into_iter().chain(all) {
        if out.len() == MAX_VARIANTS {
            break;
        }
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has(kana: &str, spelling: &str) -> bool {
        variants(kana).iter().any(|v| v == spelling)
    }

    #[test]
    fn r_au_05_hepburn_of_hiragana_and_katakana() {
        assert_eq!(to_romaji("やまだ たろう").as_deref(), Some("yamadatarou"));
        assert_eq!(to_romaji("ヤマダ　タロウ").as_deref(), Some("yamadatarou"));
        assert_eq!(to_romaji("ジョン・スミス").as_deref(), Some("jonsumisu"));
        assert_eq!(to_romaji("しんいち").as_deref(), Some("shinichi"));
        assert_eq!(to_romaji("きょうこ").as_deref(), Some("kyouko"));
        assert_eq!(to_romaji("おおの").as_deref(), Some("oono"));
        assert_eq!(to_romaji("ふじた ちはる").as_deref(), Some("fujitachiharu"));
        assert_eq!(to_romaji("つつみ").as_deref(), Some("tsutsumi"));
        assert_eq!(to_romaji("ヴァイオリン").as_deref(), Some("vaiorin"));
    }

    #[test]
    fn r_au_05_small_tsu_doubles_the_consonant() {
        assert_eq!(to_romaji("まっちゃ").as_deref(), Some("matcha"));
        assert_eq!(to_romaji("はっとり").as_deref(), Some("hattori"));
        assert_eq!(to_romaji("ホッカイドウ").as_deref(), Some("hokkaidou"));
        assert_eq!(to_romaji("いっしき").as_deref(), Some("isshiki"));
        assert_eq!(to_romaji("あっ").as_deref(), Some("a"), "a trailing っ adds nothing");
        assert_eq!(to_romaji("あっお").as_deref(), Some("ao"), "nor does one before a vowel");
    }

    #[test]
    fn r_au_05_long_vowel_mark_repeats_the_vowel() {
        assert_eq!(to_romaji("ちーず").as_deref(), Some("chiizu"));
        assert_eq!(to_romaji("チーズ").as_deref(), Some("chiizu"));
        assert!(has("ちーず", "chiizu") && has("ちーず", "chizu"), "{:?}", variants("ちーず"));
        assert!(has("らーめん", "ramen"), "{:?}", variants("らーめん"));
    }

    #[test]
    fn r_au_05_long_vowel_variants() {
        assert!(has("きょうこ", "kyouko") && has("きょうこ", "kyoko"), "{:?}", variants("きょうこ"));
        assert!(has("おおの", "oono") && has("おおの", "ono") && has("おおの", "ohno"), "{:?}", variants("おおの"));
        assert!(has("さとう", "satou") && has("さとう", "sato") && has("さとう", "satoh"), "{:?}", variants("さとう"));
        assert!(has("ゆうき", "yuuki") && has("ゆうき", "yuki"), "{:?}", variants("ゆうき"));
        assert_eq!(variants("きょうこ")[0], "kyouko", "Hepburn comes first");
    }

    #[test]
    fn r_au_05_kunrei_variants() {
        assert!(has("しのだ", "shinoda") && has("しのだ", "sinoda"));
        assert!(has("ちはる", "tiharu"));
        assert!(has("つつみ", "tutumi"));
        assert!(has("ふじた", "huzita"));
        assert!(has("じゅんこ", "zyunko"));
        assert!(has("しょうた", "syouta") && has("しょうた", "syota"), "{:?}", variants("しょうた"));
        assert!(has("なんば", "namba") && has("なんば", "nanba"));
    }

    #[test]
    fn r_au_05_variants_are_distinct_and_bounded() {
        for kana in ["しょうちゅう", "ちゅうじょう しんぺい", "つつじ ふみこ", "あ"] {
            let v = variants(kana);
            assert!(!v.is_empty() && v.len() <= MAX_VARIANTS, "{kana}: {v:?}");
            let mut sorted = v.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), v.len(), "{kana}: {v:?}");
            assert!(v.iter().all(|s| s.bytes().all(|b| b.is_ascii_lowercase())), "{kana}: {v:?}");
        }
    }

    #[test]
    fn r_au_05_non_kana_gives_none() {
        assert_eq!(to_romaji("山田"), None);
        assert_eq!(to_romaji("やまだ太郎"), None);
        assert_eq!(to_romaji("yamada"), None);
        assert_eq!(to_romaji("たろう1"), None);
        assert_eq!(to_romaji(""), None);
        assert_eq!(to_romaji(" ・ "), None);
        assert!(variants("山田").is_empty());
    }
}
