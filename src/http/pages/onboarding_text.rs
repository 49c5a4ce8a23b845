//! The words of the onboarding pages (R-LC-11), Japanese and English, checked at compile time like
//! `text.rs`.

use super::text::Text;

pub struct OnboardingText {
    pub title: &'static str,
    pub lead: &'static str,
    pub version: &'static str,
    pub digest: &'static str,
    pub agree: &'static str,
    pub confirm: &'static str,
    pub must_agree: &'static str,
    pub waiting_training: &'static str,
    pub confirmed_on: &'static str,
    pub console_title: &'static str,
    pub kind_rules: &'static str,
    pub kind_training: &'static str,
    pub when: &'static str,
    pub by: &'static str,
    pub none: &'static str,
    pub owes: &'static str,
    pub owes_nothing: &'static str,
    pub record_training: &'static str,
    pub training_note: &'static str,
    pub recorded: &'static str,
    pub back: &'static str,
}

pub const JA: OnboardingText = OnboardingText {
    title: "着任時の確認（情報セキュリティの遵守事項）",
    lead: "利用を始める前に、次の遵守事項をお読みになり、確認してください。確認の日時と版が記録されます。",
    version: "版",
    digest: "本文のSHA-256",
    agree: "上記の遵守事項を読み、守ることを確認します",
    confirm: "確認する",
    must_agree: "確認のチェックを入れてください。",
    waiting_training:
        "遵守事項の確認は記録されました。新任研修の受講が記録されるまでお待ちください（情報政策課が記録します）。",
    confirmed_on: "確認済み",
    console_title: "着任時の確認と研修",
    kind_rules: "遵守事項の確認",
    kind_training: "新任研修",
    when: "日時",
    by: "記録者",
    none: "記録はありません",
    owes: "未了",
    owes_nothing: "未了の事項はありません",
    record_training: "研修受講を記録",
    training_note: "研修の内容・日付",
    recorded: "記録しました",
    back: "人の詳細へ戻る",
};

pub const EN: OnboardingText = OnboardingText {
    title: "Onboarding: the city's information security rules",
    lead: "Before you start, read the rules below and confirm them. The time and the version you confirm are recorded.",
    version: "Version",
    digest: "SHA-256 of the text",
    agree: "I have read the rules above and will keep them",
    confirm: "Confirm",
    must_agree: "Tick the confirmation box.",
    waiting_training: "Your confirmation is recorded. Your account waits until your new-hire training is recorded (by the information policy section).",
    confirmed_on: "Confirmed",
    console_title: "Onboarding confirmations and training",
    kind_rules: "Rules confirmed",
    kind_training: "New-hire training",
    when: "When",
    by: "Recorded by",
    none: "Nothing recorded",
    owes: "Outstanding",
    owes_nothing: "Nothing outstanding",
    record_training: "Record training",
    training_note: "Training (what, when)",
    recorded: "Recorded",
    back: "Back to the person",
};

pub fn of(t: &Text) -> &'static OnboardingText {
    if t.lang == "en" {
        &EN
    } else {
        &JA
    }
}
