//! What a refusal of a domain rule says to whoever asked: a stable snake_case code for programs, the
//! Japanese words for the person and the English detail (the error's `Display`). Every refusal type
//! of the rules an action can break implements [`Explain`] here, so the codes sit side by side and
//! stay distinct in meaning; the application carries them typed to the one HTTP error mapping.

use crate::console::helpdesk;
use crate::lifecycle::hold;
use crate::privileged::{delegation, development, elevation, eligibility};
use crate::review::exception;
use crate::{access_request, four_eyes, remote_access};

/// A refusal as words: its code, Japanese text and English text.
pub trait Explain: std::fmt::Display {
    /// The stable code and the Japanese words.
    fn explain(&self) -> (&'static str, String);

    /// Stable, snake_case: what a program matches on.
    fn code(&self) -> &'static str {
        self.explain().0
    }

    /// For the person, in Japanese.
    fn ja(&self) -> String {
        self.explain().1
    }

    /// In English, with the detail.
    fn en(&self) -> String {
        self.to_string()
    }
}

impl Explain for access_request::Refusal {
    fn explain(&self) -> (&'static str, String) {
        use access_request::Refusal as R;
        match self {
            R::NotRequestable(role) => ("not_requestable", format!("ロール {role} は申請できません")),
            R::NoReason => ("no_reason", "理由を入力してください".into()),
            R::EndBeforeStart => ("end_before_start", "終了日は開始日より後にしてください".into()),
            R::StartInPast => ("start_in_past", "開始日は過去にできません".into()),
            R::TooLong(days) => ("too_long", format!("期間は最長 {days} 日です")),
            R::Sod { role, other, reason } => {
                ("separation_of_duties", format!("職務の分離により申請できません（{role} と {other}）：{reason}"))
            }
            R::AlreadyHeld => ("already_held", "既にこのロールを保有しているか申請中です".into()),
            R::NoContract => ("no_contract", "委託事業者の申請には契約番号が必要です".into()),
            R::NotTheirContract(c) => ("not_their_contract", format!("契約 {c} はこの申請者の契約ではありません")),
            R::BeyondContract(end) => ("beyond_contract", format!("契約の終了日（{end}）を超える期間は申請できません")),
            R::NoDepartment => ("no_department", "申請者に所属がないため承認者が決まりません".into()),
            R::SelfDecision => ("self_decision", "自分の申請は承認・却下できません（R-AC-02）".into()),
            R::SameApprover => ("same_approver", "前の段階を決裁した人は次の段階を決裁できません".into()),
            R::VendorApprover => ("vendor_approver", "委託事業者は承認できません".into()),
            R::NotEntitled(who) => ("not_entitled", format!("この段階の承認者ではありません（{who}）")),
            R::NotOpen(state) => ("not_open", format!("この申請は既に決着しています（{state}）")),
            R::NotRequester => ("not_requester", "申請者本人だけが取り下げられます".into()),
            R::TooManyOpen(n) => ("too_many_open", format!("未決の申請が多すぎます（最大 {n} 件）")),
        }
    }
}

impl Explain for helpdesk::Refusal {
    fn explain(&self) -> (&'static str, String) {
        match self {
            helpdesk::Refusal::NotHelpdeskAction(_) => ("not_helpdesk_action", "ヘルプデスクが行えるのはロック解除と登録用リンクの発行だけです".into()),
            helpdesk::Refusal::NotStaff => ("not_staff", "職員以外（セキュリティ担当、CISO、監査人、ヘルプデスク、特権ID）への操作はセキュリティ担当が二者承認で行います".into()),
        }
    }
}

impl Explain for four_eyes::Refusal {
    fn explain(&self) -> (&'static str, String) {
        use four_eyes::Refusal as R;
        match self {
            R::HadCredential => ("had_credential", "認証情報を持ったことのある担当者・特権IDには登録用リンクを発行できません。パスワードの再設定を申請してください".into()),
            R::OwnRequest => ("own_request", "自分の申請は承認できません（R-AC-02）".into()),
            R::OwnAccount => ("own_account", "自分のアカウントへの操作は承認できません".into()),
            R::NotEntitled(who) => ("not_entitled", format!("この操作の承認者ではありません（承認者: {who}）")),
            R::NotOpen(state) => ("not_open", format!("この申請は既に決着しています（{state}）")),
        }
    }
}

impl Explain for remote_access::Refusal {
    fn explain(&self) -> (&'static str, String) {
        use remote_access::Refusal as R;
        match self {
            R::SelfApproval => ("self_approval", "自分のリモートアクセスは承認できません（R-AC-02）".into()),
            R::NotEntitled(who) => ("not_entitled", format!("リモートアクセスの承認者ではありません（承認者: {who}）")),
            R::NoReason => ("no_reason", "理由を入力してください".into()),
            R::BadPeriod(days) => ("bad_period", format!("終了日は現在より後、最長 {days} 日後までにしてください")),
        }
    }
}

impl Explain for delegation::Refusal {
    fn explain(&self) -> (&'static str, String) {
        use delegation::Refusal as R;
        match self {
            R::NotPrincipal => {
                ("not_principal", "代行者を指名できるのは、その職務の担当者かシステムの管理者だけです".into())
            }
            R::SelfApproval => (
                "self_approval",
                "自分を代行者にすることも、自分に関わる指名を承認することもできません（R-AC-02）".into(),
            ),
            R::Vendor => ("vendor", "委託事業者は特権の代行者になれません（R-PR-04）".into()),
            R::BadPeriod(days) => {
                ("bad_period", format!("期間は開始より後に終わり、過去でなく、最長 {days} 日にしてください"))
            }
            R::NoReason => ("no_reason", "理由を入力してください".into()),
            R::NotEntitled(who) => ("not_entitled", format!("代行者の承認者ではありません（承認者: {who}）")),
        }
    }
}

impl Explain for development::Refusal {
    fn explain(&self) -> (&'static str, String) {
        use development::Refusal as R;
        match self {
            R::Incomplete => ("incomplete", "開発用IDには責任者の職員、作業者、理由が必要です".into()),
            R::BadEnd(days) => ("bad_end", format!("終了日は今日より後、最長 {days} 日後までにしてください")),
            R::DefaultName(name) => ("default_name", format!("{name} は既定の名前か汎用の名前です（R-PR-06）")),
        }
    }
}

impl Explain for eligibility::Refusal {
    fn explain(&self) -> (&'static str, String) {
        use eligibility::Refusal as R;
        match self {
            R::NotElevatable(role) => ("not_elevatable", format!("ロール {role} は業務システムの特権ロールではありません")),
            R::NotPrivilegedAccount => ("not_privileged_account", "特権ロールは職員アカウントではなく特権IDで保有します（R-PR-01）".into()),
            R::Inactive => ("inactive", "アカウントが有効ではありません".into()),
            R::Vendor => ("vendor", "委託事業者は特権ロールを付与できません（R-PR-04）".into()),
            R::SelfGrant => ("self_grant", "自分自身を特権ロールの対象にはできません（R-AC-02）".into()),
            R::NotOwner => ("not_owner", "特権の保有者を指名できるのはシステムの管理者だけです。管理者は統括情報セキュリティ責任者が指名します（R-PR-09）".into()),
            R::NotOperator => ("not_operator", "このシステムの管理者でも、台帳に記載された運用者でもありません（R-PR-09）".into()),
            R::Cap(n) => ("cap", format!("このシステムの特権保有者は既に上限の {n} 人です（R-PR-01）")),
            R::NoReason => ("no_reason", "理由を入力してください".into()),
        }
    }
}

impl Explain for elevation::Refusal {
    fn explain(&self) -> (&'static str, String) {
        use elevation::Refusal as R;
        match self {
            R::NotElevatable(role) => {
                ("not_elevatable", format!("ロール {role} は昇格で有効にするロールではありません"))
            }
            R::NotPrivilegedAccount => {
                ("not_privileged_account", "昇格は特権IDで行います。特権IDでサインインしてください".into())
            }
            R::NotEligible => ("not_eligible", "このアカウントはこのロールの対象ではありません".into()),
            R::NoReason => ("no_reason", "理由を入力してください".into()),
            R::NoTicket => ("no_ticket", "チケット番号を入力してください".into()),
            R::Duration(max) => ("duration", format!("時間は 1 分から {max} 分の間にしてください（R-PR-07）")),
            R::NotFresh(min) => (
                "not_fresh",
                format!("{min} 分以内に二種類の認証要素を確認している必要があります。もう一度サインインしてください"),
            ),
            R::BreakGlassOff => ("break_glass_off", "このポリシーでは緊急時の昇格（ブレークグラス）は無効です".into()),
            R::VendorBreakGlass => (
                "vendor_break_glass",
                "委託事業者の保守はシステムの管理者が承認します。緊急時の昇格はできません（R-PR-08）".into(),
            ),
            R::SelfApproval => ("self_approval", "自分の昇格は承認できません（R-AC-02）".into()),
            R::VendorApprover => ("vendor_approver", "委託事業者は昇格を承認できません（R-PR-04）".into()),
            R::NotEntitled(who) => ("not_entitled", format!("昇格の承認者ではありません（承認者: {who}）")),
            R::NotPending => ("not_pending", "この申請は既に期限切れか決着しています".into()),
        }
    }
}

impl Explain for hold::Refusal {
    fn explain(&self) -> (&'static str, String) {
        use hold::Refusal as R;
        match self {
            R::NotHeld(state) => ("not_held", format!("この同期は保留中ではありません（{state}）")),
            R::Superseded => ("superseded", "後から適用された同期に置き換えられたため、この計画はもう人事情報の現状を表していません".into()),
            R::TooOld { age_minutes, max_minutes } => {
                ("too_old", format!("保留から {age_minutes} 分が経ち、sync.hold_max_age_minutes = {max_minutes} を超えました。同期をもう一度実行して計画し直してください"))
            }
            R::OwnRun => ("own_run", "同期を実行した人は承認できません。別の人が承認してください（R-AC-02）".into()),
            R::NotEntitled => ("not_entitled", "ポリシーの [approvals] sync_hold が定める承認者ではありません".into()),
        }
    }
}

impl Explain for exception::Invalid {
    fn explain(&self) -> (&'static str, String) {
        use exception::Invalid as I;
        match self {
            I::Rule => (
                "exception_rule",
                "対象の規則は要件ID（R-XX-NN）かポリシーの項目（ファイル名 [節] 項目）で指定してください".into(),
            ),
            I::UnknownRequirement(id) => ("unknown_requirement", format!("要件 {id} は tobira の要件一覧にありません")),
            I::NoSubject => (
                "no_subject",
                "対象を一つ以上指定してください（person:職員番号、account:ログインID、system:システムID）".into(),
            ),
            I::Subject(s) => {
                ("bad_subject", format!("対象 {s} は person:…、account:…、system:… のいずれでもありません"))
            }
            I::TooManySubjects(n) => {
                ("too_many_subjects", format!("対象は {n} 件までです。それより広い例外はポリシーの変更です"))
            }
            I::NoReason => ("no_reason", "理由を入力してください".into()),
            I::ReasonTooLong(n) => ("reason_too_long", format!("理由は {n} 文字以内にしてください")),
            I::Period(days) => (
                "bad_period",
                format!("終了日は今日より後、最長 {days} 日後までにしてください（review.exception_max_days）"),
            ),
            I::NeverEmergency(rule) => {
                ("never_emergency", format!("{rule} の例外は緊急扱いにできません。先に CISO の許可が必要です"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_snake_case_and_words_are_japanese_then_english() {
        let all: Vec<Box<dyn Explain>> = vec![
            Box::new(access_request::Refusal::Sod { role: "a".into(), other: "b".into(), reason: "checks".into() }),
            Box::new(helpdesk::Refusal::NotStaff),
            Box::new(four_eyes::Refusal::NotEntitled("security_officer".into())),
            Box::new(remote_access::Refusal::BadPeriod(30)),
            Box::new(delegation::Refusal::Vendor),
            Box::new(development::Refusal::DefaultName("admin".into())),
            Box::new(eligibility::Refusal::Cap(3)),
            Box::new(elevation::Refusal::NotFresh(15)),
            Box::new(exception::Invalid::Period(90)),
            Box::new(hold::Refusal::TooOld { age_minutes: 2000, max_minutes: 1440 }),
        ];
        for r in all {
            assert!(r.code().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{}", r.code());
            assert!(!r.ja().is_ascii() && !r.ja().contains(" / "), "{}", r.ja());
            assert!(r.en().is_ascii(), "{}", r.en());
        }
        assert_eq!(
            access_request::Refusal::Sod { role: "a".into(), other: "b".into(), reason: "x".into() }.code(),
            "separation_of_duties"
        );
    }
}
