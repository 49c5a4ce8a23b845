//! Normalising names for the person search: one function for the stored key and for the query, so
//! that 「ｻﾄｳ」, 「さとう」, 「サトウ」 and 「サ ト ウ」 find サトウ; 「ヴィ」 finds ビ; 「髙橋」 finds 高橋;
//! and "satoh", "Satou" and "SATO" find the romaji of さとう.
//!
//! Kana and kanji: full-width ASCII to ASCII, half-width katakana to full-width (with its voiced
//! marks), hiragana to katakana, small kana to their full size, ヴ+vowel to バ-row (ヴ alone to ブ),
//! ヂ/ヅ to ジ/ズ, ヰ/ヱ/ヲ to イ/エ/オ, a few common variant kanji (異体字) to their usual form,
//! and spaces, ・ and ー removed. Romaji: lowercase letters only, macrons dropped, Hepburn folded to
//! Kunrei, v as b (ヴ), long vowels written once ("oh", "ou", "oo" → "o").
//!
//! Invariants: pure; idempotent (`normalise(normalise(s)) == normalise(s)`, the same for
//! [`fold_romaji`]); the output never holds the key's separator or an SQL `LIKE` wildcard.

use crate::authn::romaji;

/// Separates the parts of a stored key, so that a query never matches across two of them.
pub const SEPARATOR: char = '|';

/// Variant kanji common in names and their usual forms (both are typed; HR keeps either).
const ITAIJI: &[(char, char)] = &[
    ('髙', '高'),
    ('﨑', '崎'),
    ('嵜', '崎'),
    ('邊', '辺'),
    ('邉', '辺'),
    ('濵', '浜'),
    ('濱', '浜'),
    ('齋', '斎'),
    ('齊', '斉'),
    ('廣', '広'),
    ('澤', '沢'),
    ('櫻', '桜'),
    ('國', '国'),
    ('德', '徳'),
    ('惠', '恵'),
    ('眞', '真'),
    ('嶋', '島'),
    ('嶌', '島'),
    ('冨', '富'),
    ('藪', '薮'),
    ('槇', '槙'),
    ('﨤', '逢'),
];

/// Half-width katakana (U+FF66–U+FF9D) to full-width, in code point order.
const HALF: &str =
    "ヲァィゥェォャュョッーアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン";

fn voiced(c: char) -> Option<char> {
    let s = "カキクケコサシスセソタチツテトハヒフヘホウ";
    let v = "ガギグゲゴザジズゼゾダヂヅデドバビブベボヴ";
    s.chars().position(|x| x == c).and_then(|i| v.chars().nth(i))
}

fn semi_voiced(c: char) -> Option<char> {
    let s = "ハヒフヘホ";
    let v = "パピプペポ";
    s.chars().position(|x| x == c).and_then(|i| v.chars().nth(i))
}

/// Width, script and size folded, one character at a time (voiced marks combined).
fn fold_chars(s: &str) -> Vec<char> {
    let mut out: Vec<char> = Vec::with_capacity(s.len());
    for c in s.chars() {
        let c = match c as u32 {
            // Full-width ASCII and the ideographic space.
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            0x3000 => ' ',
            // Half-width katakana; ﾞ and ﾟ (and the combining marks) join the kana before them.
            0xFF66..=0xFF9D => HALF.chars().nth((c as u32 - 0xFF66) as usize).unwrap_or(c),
            0xFF9E | 0x3099 | 0x309B => {
                if let Some(last) = out.last_mut() {
                    *last = voiced(*last).unwrap_or(*last);
                }
                continue;
            }
            0xFF9F | 0x309A | 0x309C => {
                if let Some(last) = out.last_mut() {
                    *last = semi_voiced(*last).unwrap_or(*last);
                }
                continue;
            }
            0xFF65 => '・',
            // Hiragana to katakana.
            0x3041..=0x3096 => char::from_u32(c as u32 + 0x60).unwrap_or(c),
            _ => c,
        };
        let c = ITAIJI.iter().find(|(v, _)| *v == c).map_or(c, |(_, u)| *u);
        out.push(c.to_ascii_lowercase());
    }
    out
}

fn full_size(c: char) -> char {
    match c {
        'ァ' => 'ア',
        'ィ' => 'イ',
        'ゥ' => 'ウ',
        'ェ' => 'エ',
        'ォ' => 'オ',
        'ッ' => 'ツ',
        'ャ' => 'ヤ',
        'ュ' => 'ユ',
        'ョ' => 'ヨ',
        'ヮ' => 'ワ',
        'ヵ' => 'カ',
        'ヶ' => 'ケ',
        'ヂ' => 'ジ',
        'ヅ' => 'ズ',
        'ヰ' => 'イ',
        'ヱ' => 'エ',
        'ヲ' => 'オ',
        c => c,
    }
}

/// A name (or a query for one) in the form the search compares: see the module header.
pub fn normalise(s: &str) -> String {
    let chars = fold_chars(s);
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == 'ヴ' {
            // ヴァ ヴィ ヴェ ヴォ → バ ビ ベ ボ; ヴ alone (or ヴ+ウ) → ブ.
            let next = chars.get(i + 1).copied();
            let row = match next {
                Some('ァ' | 'ア') => Some('バ'),
                Some('ィ' | 'イ') => Some('ビ'),
                Some('ェ' | 'エ') => Some('ベ'),
                Some('ォ' | 'オ') => Some('ボ'),
                _ => None,
            };
            match row {
                Some(b) => {
                    out.push(b);
                    i += 2;
                }
                None => {
                    out.push('ブ');
                    i += 1;
                }
            }
            continue;
        }
        i += 1;
        if c.is_whitespace() || matches!(c, '・' | 'ー' | '-' | '‐' | '－' | SEPARATOR | '%' | '_' | '\\') {
            continue;
        }
        out.push(full_size(c));
    }
    out
}

/// A Latin letter in lowercase, macrons and circumflexes dropped; `None` for anything else.
fn latin(c: char) -> Option<char> {
    match c {
        'ā' | 'â' | 'Ā' | 'Â' => Some('a'),
        'ī' | 'î' | 'Ī' | 'Î' => Some('i'),
        'ū' | 'û' | 'Ū' | 'Û' => Some('u'),
        'ē' | 'ê' | 'Ē' | 'Ê' => Some('e'),
        'ō' | 'ô' | 'Ō' | 'Ô' => Some('o'),
        c if c.is_ascii_alphabetic() => Some(c.to_ascii_lowercase()),
        _ => None,
    }
}

/// Romaji in the form the search compares: see the module header. Empty for text with no letters.
pub fn fold_romaji(s: &str) -> String {
    let letters: String = fold_chars(s).into_iter().filter_map(latin).collect();
    let labials = letters.replace('v', "b").replace("mb", "nb").replace("mp", "np").replace("mm", "nm");
    let kunrei = labials
        .replace("shi", "si")
        .replace("chi", "ti")
        .replace("tsu", "tu")
        .replace("fu", "hu")
        .replace("ji", "zi")
        .replace("sh", "sy")
        .replace("ch", "ty")
        .replace('j', "zy");
    // "oh" before a consonant or at the end is a long o (Ohno, Satoh); before a vowel it is ほ.
    let c: Vec<char> = kunrei.chars().collect();
    let mut no_oh = String::with_capacity(c.len());
    for (i, ch) in c.iter().enumerate() {
        let long_o = *ch == 'h' && i > 0 && c[i - 1] == 'o' && c.get(i + 1).is_none_or(|n| !"aiueoy".contains(*n));
        if !long_o {
            no_oh.push(*ch);
        }
    }
    let mut out = String::with_capacity(no_oh.len());
    for ch in no_oh.replace("ou", "o").chars() {
        if !("aiueo".contains(ch) && out.ends_with(ch)) {
            out.push(ch);
        }
    }
    out
}

/// Whether a query is to be compared as romaji: Latin letters (and spaces, hyphens), nothing else.
pub fn is_romaji(query: &str) -> bool {
    let f = fold_chars(query);
    f.iter().any(|c| latin(*c).is_some())
        && f.iter().all(|c| latin(*c).is_some() || c.is_whitespace() || matches!(c, '-' | '\'' | '.'))
}

/// The stored search key of a person: name in kanji, in kana and in romaji (HR's romaji and the
/// romaji of the kana), each normalised, between separators.
pub fn person_key(kanji: &str, kana: &str, romaji_name: Option<&str>) -> String {
    let mut parts = vec![normalise(kanji), normalise(kana)];
    if let Some(r) = romaji_name.map(fold_romaji).filter(|r| !r.is_empty()) {
        parts.push(r);
    }
    if let Some(r) = romaji::to_romaji(kana).map(|r| fold_romaji(&r)).filter(|r| !r.is_empty()) {
        parts.push(r);
    }
    parts.dedup();
    let s = SEPARATOR.to_string();
    format!("{s}{}{s}", parts.join(&s))
}

/// What a query is compared with in the key: its romaji form when it is romaji, else its
/// normalised form; `None` when nothing is left to compare.
pub fn query_term(query: &str) -> Option<String> {
    let t = if is_romaji(query) { fold_romaji(query) } else { normalise(query) };
    (!t.is_empty()).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finds(key: &str, query: &str) -> bool {
        query_term(query).is_some_and(|q| key.contains(&q))
    }

    #[test]
    fn width_script_size_and_spaces_fold_together() {
        for s in ["サトウ", "さとう", "ｻﾄｳ", "サ　ト ウ", "ｻ ﾄ ｳ"] {
            assert_eq!(normalise(s), "サトウ", "{s}");
        }
        assert_eq!(normalise("ｶﾞｯｺｳ"), "ガツコウ", "half-width voiced mark and small tsu");
        assert_eq!(normalise("ﾊﾟﾝ"), "パン");
        assert_eq!(normalise("きょうこ"), normalise("キヨウコ"), "small kana fold to full size");
        assert_eq!(normalise("ＡＢＣ１２３"), "abc123", "full-width ASCII, lowercased");
        assert_eq!(normalise("ジョン・スミス"), "ジヨンスミス", "the middle dot goes");
        assert_eq!(normalise("オーノ"), "オノ", "the long vowel mark goes");
    }

    #[test]
    fn vu_and_other_variant_kana_fold_to_the_b_row() {
        assert_eq!(normalise("ヴァイオリン"), normalise("バイオリン"));
        assert_eq!(normalise("ヴィクトリア"), normalise("ビクトリア"));
        assert_eq!(normalise("ヴェルデ"), normalise("ベルデ"));
        assert_eq!(normalise("ヴォルフ"), normalise("ボルフ"));
        assert_eq!(normalise("ヴ"), "ブ");
        assert_eq!(normalise("ゔぃ"), "ビ", "hiragana ゔ too");
        assert_eq!(normalise("ﾜﾞｲﾝ"), normalise("ワイン"), "no voiced ワ in the table: the mark is dropped");
        assert_eq!(normalise("ミカヅキ"), normalise("ミカズキ"));
        assert_eq!(normalise("チヂミ"), normalise("チジミ"));
        assert_eq!(normalise("ヲノ"), normalise("オノ"));
    }

    #[test]
    fn variant_kanji_fold_to_the_usual_form() {
        assert_eq!(normalise("髙橋"), "高橋");
        assert_eq!(normalise("山﨑"), "山崎");
        assert_eq!(normalise("渡邊"), normalise("渡辺"));
        assert_eq!(normalise("渡邉"), normalise("渡辺"));
        assert_eq!(normalise("齋藤"), "斎藤");
    }

    #[test]
    fn romaji_folds_hepburn_kunrei_and_long_vowels() {
        for s in ["sato", "Satou", "SATOH", "satō", "Ｓａｔｏ", "Satoo"] {
            assert_eq!(fold_romaji(s), "sato", "{s}");
        }
        assert_eq!(fold_romaji("Shinichi"), fold_romaji("sinichi"));
        assert_eq!(fold_romaji("Tsuchiya"), fold_romaji("tutiya"));
        assert_eq!(fold_romaji("Homma"), fold_romaji("Honma"));
        assert_eq!(fold_romaji("Ohno"), fold_romaji("Ono"));
        assert_eq!(fold_romaji("Ohara"), "ohara", "oh before a vowel is ほ, kept");
        assert!(
            is_romaji("Taro Shinonome")
                && is_romaji("ｔａｒｏ")
                && !is_romaji("300011")
                && !is_romaji("太郎")
                && !is_romaji("p-so-0301")
        );
    }

    #[test]
    fn normalising_is_idempotent_and_leaves_no_wildcard_or_separator() {
        for s in ["ｻﾄｳ 太郎", "ヴィ%_|\\", "ＡＢＣ", "渡邊・ヴァ", "さっちゃん"] {
            let n = normalise(s);
            assert_eq!(normalise(&n), n, "{s}");
            assert!(!n.contains(['%', '_', '|', '\\']), "{n}");
        }
        for s in ["Satoh", "Shinichi Homma", "Ōno"] {
            let f = fold_romaji(s);
            assert_eq!(fold_romaji(&f), f, "{s}");
        }
        assert_eq!(query_term("  ・ "), None, "nothing to compare");
        assert_eq!(query_term("%_"), None);
    }

    #[test]
    fn a_person_is_found_by_part_of_any_spelling_of_the_name_and_not_across_parts() {
        let key = person_key("佐藤 花子", "サトウ ハナコ", Some("Hanako Sato"));
        for q in [
            "佐藤",
            "藤花",
            "さとう",
            "ｻﾄｳ",
            "ハナコ",
            "はなこ",
            "sato",
            "Satoh",
            "hanako",
            "HANA",
            "satouhanako",
            "Satō Hanako",
        ] {
            assert!(finds(&key, q), "{q} finds {key}");
        }
        for q in ["鈴木", "すずき", "suzuki", "ハナコサトウ"] {
            assert!(!finds(&key, q), "{q} does not find {key}");
        }
        assert!(!key[1..key.len() - 1].is_empty() && !finds(&key, "子さ"), "no match across the kana and the kanji");
        let v = person_key("渡邊 ヴィクトル", "ワタナベ ヴィクトル", None);
        assert!(
            finds(&v, "渡辺")
                && finds(&v, "ビクトル")
                && finds(&v, "watanabe")
                && finds(&v, "ﾜﾀﾅﾍﾞ")
                && finds(&v, "bikutoru"),
            "{v}"
        );
    }
}
