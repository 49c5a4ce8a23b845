//! Onboarding acknowledgements (`[onboarding]`, R-LC-11): whether a person must confirm the city's
//! rules (the text and its version are here) before their account reaches anything but that page,
//! and whether an officer must record their new-hire training first. Off by default, so a city that
//! does not ask for it keeps working unchanged.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OnboardingRules {
    /// Whether staff must confirm the rules before their account is usable.
    pub required: bool,
    /// The version of the rules text (e.g. "2026-04"). A new version asks everyone again.
    pub rules_version: String,
    /// The rules, in Japanese, as shown on the confirmation page (multi-line).
    pub rules_text: String,
    /// Whether an officer must record the person's new-hire training before the account is usable.
    pub training_required: bool,
    /// Only accounts created on or after this day (JST, `YYYY-MM-DD`) wait for training: staff
    /// trained before tobira are not stopped. Empty: every account waits until training is recorded.
    pub training_from: String,
}

/// The longest rules text (characters): a page, not a book.
const MAX_TEXT: usize = 20_000;

impl OnboardingRules {
    /// The settings that cannot work, as messages.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.required && self.rules_version.trim().is_empty() {
            out.push("onboarding.rules_version is required when onboarding.required = true (R-LC-11)".into());
        }
        if self.required && self.rules_text.trim().is_empty() {
            out.push("onboarding.rules_text is required when onboarding.required = true (R-LC-11)".into());
        }
        if self.rules_version.chars().count() > 64 {
            out.push("onboarding.rules_version must be at most 64 characters".into());
        }
        if self.rules_text.chars().count() > MAX_TEXT {
            out.push(format!("onboarding.rules_text must be at most {MAX_TEXT} characters"));
        }
        if self.training_required && !self.required {
            out.push("onboarding.training_required needs onboarding.required = true".into());
        }
        if !self.training_from.is_empty() && self.training_from_ms().is_none() {
            out.push("onboarding.training_from must be a date, YYYY-MM-DD".into());
        }
        out
    }

    /// The SHA-256 (hex) of the rules text a confirmation is recorded against.
    pub fn text_sha256(&self) -> String {
        hex::encode(Sha256::digest(self.rules_text.as_bytes()))
    }

    /// The start of `training_from` (JST midnight) in UTC ms, if set and valid.
    pub fn training_from_ms(&self) -> Option<i64> {
        let d = crate::time_util::parse_iso_date(self.training_from.trim())?;
        Some(crate::time_util::end_of_jst_day(d) - 86_400_000)
    }

    /// Whether an account created at `created_at` waits for its training.
    pub fn training_applies(&self, created_at: i64) -> bool {
        self.training_required && self.training_from_ms().is_none_or(|from| created_at >= from)
    }
}

/// What an account still owes before it is usable, given what is on record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Owed {
    /// The current rules version is not confirmed.
    pub rules: bool,
    /// Training applies and is not recorded.
    pub training: bool,
}

impl Owed {
    pub fn any(self) -> bool {
        self.rules || self.training
    }
}

/// What an account created at `created_at` owes, given whether the current rules version is
/// confirmed and whether training is on record. Nothing when onboarding is off.
pub fn owed(rules: &OnboardingRules, created_at: i64, confirmed_current: bool, trained: bool) -> Owed {
    if !rules.required {
        return Owed::default();
    }
    Owed { rules: !confirmed_current, training: rules.training_applies(created_at) && !trained }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on() -> OnboardingRules {
        OnboardingRules {
            required: true,
            rules_version: "v1".into(),
            rules_text: "規則".into(),
            training_required: true,
            training_from: "2026-04-01".into(),
        }
    }

    #[test]
    fn off_owes_nothing_and_on_owes_what_is_missing() {
        assert!(!owed(&OnboardingRules::default(), 0, false, false).any());
        let r = on();
        let from = r.training_from_ms().unwrap();
        assert_eq!(owed(&r, from, false, false), Owed { rules: true, training: true });
        assert_eq!(
            owed(&r, from - 1, false, false),
            Owed { rules: true, training: false },
            "staff from before training_from are not stopped"
        );
        assert!(!owed(&r, from, true, true).any());
    }

    #[test]
    fn problems_name_the_missing_settings() {
        assert!(on().problems().is_empty());
        let bad = OnboardingRules { required: true, training_from: "4/1".into(), ..OnboardingRules::default() };
        let p = bad.problems().join("\n");
        assert!(p.contains("rules_version") && p.contains("rules_text") && p.contains("training_from"), "{p}");
    }
}
