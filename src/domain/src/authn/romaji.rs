//! Kana to romaji (Hepburn, with the common Kunrei and long-vowel variants), so a password built from
//! a person's name in romaji is refused even when HR gives the name only in kana (R-AU-05).
//!
//! Invariant: pure table lookup; input other than kana, spaces and ・ gives `None`.

const TABLE: &[(&str, &str)] = &[
    ("きゃ", "kya"), ("きゅ", "kyu"), ("きょ", "kyo"), ("しゃ", "sha"), ("しゅ", "shu"), ("しょ", "sho"), ("ちゃ", "cha"), ("ちゅ", "chu"), ("ちょ", "cho"),
    ("にゃ", "nya"), ("にゅ", "nyu"), ("にょ", "nyo"), ("ひゃ", "hya"), ("ひゅ", "hyu"), ("ひょ", "hyo"), ("みゃ", "mya"), ("みゅ", "myu"), ("みょ", "myo"),
    ("りゃ", "rya"), ("りゅ", "ryu"), ("りょ", "ryo"), ("ぎゃ", "gya"), ("ぎゅ", "gyu"), ("ぎょ", "gyo"), ("じゃ", "ja"), ("じゅ", "ju"), ("じょ", "jo"),
    ("びゃ", "bya"), ("びゅ", "byu"), ("びょ", "byo"), ("ぴゃ", "pya"), ("ぴゅ", "pyu"), ("ぴょ", "pyo"), ("ぢゃ", "ja"), ("ぢゅ", "ju"), ("ぢょ", "jo"),
    ("ふぁ", "fa"), ("ふぃ", "fi"), ("ふぇ", "fe"), ("ふぉ", "fo"), ("てぃ", "ti"), ("でぃ", "di"), ("うぃ", "wi"), ("うぇ", "we"), ("しぇ", "she"), ("じぇ", "je"), ("ちぇ", "che"),
    ("あ", "a"), ("い", "i"), ("う", "u"), ("え", "e"), ("お", "o"), ("か", "ka"), ("き", "ki"), ("く", "ku"), ("け", "ke"), ("こ", "ko"),
    ("さ", "sa"), ("し", "shi"), ("す", "su"), ("せ", "se"), ("そ", "so"), ("た", "ta"), ("ち", "chi"), ("つ", "tsu"), ("て", "te"), ("と", "to"),
    ("な", "na"), ("に", "ni"), ("ぬ", "nu"), ("ね", "ne"), ("の", "no"), ("は", "ha"), ("ひ", "hi"), ("ふ", "fu"), ("へ", "he"), ("ほ", "ho"),
    ("ま", "ma"), ("み", "mi"), ("む", "mu"), ("め", "me"), ("も", "mo"), ("や", "ya"), ("ゆ", "yu"), ("よ", "yo"),
    ("ら", "ra"), ("り", "ri"), ("る", "ru"), ("れ", "re"), ("ろ", "ro"), ("わ", "wa"), ("ゐ", "i"), ("ゑ", "e"), ("を", "o"), ("ん", "n"),
    ("が", "ga"), ("ぎ", "gi"), ("ぐ", "gu"), ("げ", "ge"), ("ご", "go"), ("ざ", "za"), ("じ", "ji"), ("ず", "zu"), ("ぜ", "ze"), ("ぞ", "zo"),
    ("だ", "da"), ("ぢ", "ji"), ("づ", "zu"), ("で", "de"), ("ど", "do"), ("ば", "ba"), ("び", "bi"), ("ぶ", "bu"), ("べ", "be"), ("ぼ", "bo"),
    ("ぱ", "pa"), ("ぴ", "pi"), ("ぷ", "pu"), ("ぺ", "pe"), ("ぽ", "po"), ("ゔ", "vu"),
    ("ぁ", "a"), ("ぃ", "i"), ("ぅ", "u"), ("ぇ", "e"), ("ぉ", "o"), ("ゃ", "ya"), ("ゅ", "yu"), ("ょ", "yo"),
];

/// Katakana to hiragana; other characters unchanged.
pub fn hiragana(s: &str) -> String {
    s.chars().map(|c| if ('\u{30A1}'..='\u{30F6}').contains(&c) { char::from_u32(c as u32 - 0x60).unwrap_or(c) } else { c }).collect()
}

/// Hepburn romaji of a kana string, lowercase, spaces and ・ dropped.
pub fn to_romaji(kana: &str) -> Option<String> {
    let s: Vec<char> = hiragana(kana).chars().filter(|c| !matches!(c, ' ' | '\u{3000}' | '・')).collect();
    let mut out = String::new();
    let mut i = 0;
    let mut double_next = false;
    while i < s.len() {
        if s[i] == 'っ' {
            double_next = true;
            i += 1;
            continue;
        }
        if s[i] == 'ー' {
            if let Some(v) = out.chars().last().filter(|c| "aiueo".contains(*c)) {
                out.push(v);
            }
            i += 1;
            continue;
        }
        let two: String = s[i..(i + 2).min(s.len())].iter().collect();
        let one: String = s[i..i + 1].iter().collect();
        let (syllable, used) = match TABLE.iter().find(|(k, _)| *k == two) {
            Some((_, r)) => (*r, 2),
            None => (TABLE.iter().find(|(k, _)| *k == one)?.1, 1),
        };
        if double_next {
            let first = syllable.chars().next()?;
            out.push(if syllable.starts_with("ch") { 't' } else { first });
            double_next = false;
        }
        out.push_str(syllable);
        i += used;
    }
    (!out.is_empty()).then_some(out)
}

/// The Hepburn form and common alternatives: long vowels shortened (ou→o, oo→o, uu→u, ii→i) and
/// Kunrei spellings (si, ti, tu, hu, zi).
pub fn variants(kana: &str) -> Vec<String> {
    let Some(h) = to_romaji(kana) else { return Vec::new() };
    let short = h.replace("ou", "o").replace("oo", "o").replace("uu", "u").replace("ii", "i");
    let kunrei = |s: &str| s.replace("shi", "si").replace("chi", "ti").replace("tsu", "tu").replace("fu", "hu").replace("ji", "zi");
    let mut out = vec![h.clone(), short.clone(), kunrei(&h), kunrei(&short), h.replace("ou", "oh")];
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hepburn_and_variants() {
        assert_eq!(to_romaji("やまだ たろう").as_deref(), Some("yamadatarou"));
        assert_eq!(to_romaji("ヤマダ").as_deref(), Some("yamada"));
        assert_eq!(to_romaji("しんいち").as_deref(), Some("shinichi"));
        assert_eq!(to_romaji("まっちゃ").as_deref(), Some("matcha"));
        assert_eq!(to_romaji("ちーず").as_deref(), Some("chiizu"));
        assert!(variants("きょうこ").contains(&"kyoko".to_string()));
        assert!(variants("きょうこ").contains(&"kyouko".to_string()));
        assert!(variants("おおの").contains(&"ono".to_string()));
        assert!(variants("しのだ").contains(&"sinoda".to_string()));
        assert_eq!(to_romaji("山田"), None);
    }
}
