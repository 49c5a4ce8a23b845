//! The words of the console's approvals, privileged-ID and helpdesk pages (`/console/approvals`,
//! `/console/privileged`), Japanese first and English second, in their own compile-checked table
//! beside [`super::console_text`]: a template refers to `o.<field>`, so a missing translation is a
//! compile error.

macro_rules! ops_texts {
    ($($field:ident: $ja:literal / $en:literal,)*) => {
        #[derive(Debug)]
        pub struct OpsText { $(pub $field: &'static str,)* }
        pub static JA: OpsText = OpsText { $($field: $ja,)* };
        pub static EN: OpsText = OpsText { $($field: $en,)* };
    };
}

ops_texts! {
    console_link: "職員の検索・操作（コンソール）" / "Console: find a person",
    approvals_title: "二者承認待ちの操作" / "Actions awaiting a second person",
    approvals_lead: "セキュリティ担当等が申請した、職員以外（セキュリティ担当、CISO、監査人、特権ID）への操作です。申請者本人と対象者以外の承認者が、理由を添えて承認または却下します（R-AC-02）。承認すると操作が実行されます。" / "Officer actions on officers, the CISO, auditors and privileged IDs, asked for by one officer. Someone other than the requester and the target approves or refuses, with a reason (R-AC-02); approval carries the action out.",
    approvals_none: "承認待ちの操作はありません。" / "Nothing awaits a decision.",
    request_no: "申請番号" / "Request",
    kind: "操作" / "Action",
    target_account: "対象アカウント" / "Account",
    target_person: "対象者" / "Person",
    requested_by: "申請者" / "Requested by",
    requested_at: "申請日時" / "Requested at",
    age: "経過" / "Waiting",
    reason: "理由" / "Reason",
    decision_reason: "判断の理由" / "Reason for the decision",
    approve: "承認" / "Approve",
    refuse: "却下" / "Refuse",
    deny: "却下" / "Deny",
    not_yours: "判断できません" / "Not for you to decide",
    approved_notice: "承認し、操作を実行しました" / "Approved; the action was carried out",
    refused_notice: "却下しました" / "Refused",
    decision_required: "承認または却下を選んでください。" / "Choose approve or refuse.",
    secret_title: "承認した操作の結果" / "Result of the approved action",
    secret_password_lead: "次の仮パスワードを本人に確実に渡してください。この画面を閉じると二度と表示されません。" / "Hand this temporary password to the person. It is not shown again.",
    secret_link_lead: "次の登録用URLを本人に渡してください（メールアドレスがあれば送信済みです）。この画面を閉じると二度と表示されません。" / "Hand this enrolment URL to the person (it was also mailed if they have an address). It is not shown again.",
    back_to_approvals: "二者承認の一覧へ" / "Back to the approvals",
    minutes: "分" / "min",
    hours: "時間" / "h",
    days: "日" / "d",
    k_password_reset: "パスワード再設定" / "password reset",
    k_enrollment_link: "登録用リンクの発行" / "enrolment link",
    k_credential_revoke: "認証要素の無効化" / "credential revocation",
    k_unlock: "ロック解除" / "unlock",
    k_reinstate: "利用再開" / "reinstatement",
    k_other: "その他の操作" / "another action",
    privileged_title: "特権ID・開発用ID" / "Privileged and development IDs",
    privileged_lead: "特権ID・開発用IDとその保有者、状態、最終利用、昇格の資格、実行中の昇格、承認待ちの昇格、代行者、特権IDの報告（tobira report privileged と同じ内容）です。この閲覧も記録されます。" / "Privileged and development IDs with their holders, state and last use; eligibility, active and pending elevations, delegates, and the privileged report (as `tobira report privileged`). Reading is recorded.",
    accounts_title: "特権ID・開発用IDの一覧" / "Privileged and development accounts",
    login_id: "ログインID" / "Login ID",
    holder: "保有者" / "Holder",
    state: "状態" / "State",
    last_use: "最終利用" / "Last used",
    kind_privileged: "特権ID" / "privileged",
    kind_development: "開発用ID" / "development",
    kind_vendor: "委託事業者" / "vendor",
    valid_until: "有効期限" / "Valid until",
    responsible: "開発責任者・作業者" / "Responsible / worker",
    never: "なし" / "never",
    eligibility_title: "昇格の資格（システムごと）" / "Eligibility per system",
    system: "システム" / "System",
    cap: "上限" / "Cap",
    holders_now: "現在の保有者数" / "Holders now",
    role: "ロール" / "Role",
    granted_by: "付与者" / "Granted by",
    since: "付与日時" / "Since",
    revoked: "取消" / "Revoked",
    last_sign_in: "最終サインイン" / "Last sign-in",
    last_elevation: "最終昇格" / "Last elevation",
    unused: "未使用" / "unused",
    active_title: "実行中の昇格" / "Active elevations",
    started: "開始" / "Started",
    ends: "終了予定" / "Ends",
    pending_title: "あなたが判断する昇格の申請" / "Elevation requests for you to decide",
    note: "判断の理由・メモ" / "Note",
    break_glass: "緊急（break-glass）" / "break-glass",
    delegates_title: "代行者（R-PR-03）" / "Delegates (R-PR-03)",
    principal: "代行される権限" / "Principal",
    delegate: "代行者の職員番号" / "Delegate (employee number)",
    nominated_by: "指名者" / "Nominated by",
    period: "期間" / "Period",
    decided_by: "判断者" / "Decided by",
    ciso_only: "代行者の承認は [approvals] delegate（CISO）が行います。" / "Delegates are approved by [approvals] delegate (the CISO).",
    report_title: "特権IDの報告（全昇格）" / "Privileged report (all elevations)",
    requested: "申請" / "Requested",
    ended: "終了" / "Ended",
    review_pending: "事後確認待ち" / "awaiting review",
    none: "ありません。" / "None.",
    elevation_decided: "昇格の申請を判断しました" / "The elevation request was decided",
    delegate_decided: "代行者の指名を判断しました" / "The nomination was decided",
    helpdesk_note: "ヘルプデスク：職員のロック解除と登録用リンクの発行だけができます（職員以外のアカウントはセキュリティ担当が行います）。" / "Helpdesk: you may unlock staff and send them an enrolment link (other accounts are for security officers).",
    new_account_title: "特権IDの作成（R-PR-01）" / "Create a privileged ID (R-PR-01)",
    new_account_lead: "職員用IDとは別に、その職員の特権IDを作ります（委託事業者には作れません）。仮パスワードは一度だけ表示されます。" / "Makes the person's privileged ID, separate from their staff ID (never for a vendor). The temporary password is shown once.",
    employee_number: "職員番号" / "Employee number",
    create: "作成" / "Create",
    new_development_title: "開発用IDの作成" / "Create a development ID",
    new_development_lead: "開発・保守作業のための期限付きIDです。開発責任者（職員番号）と作業者、理由、最終日を記録します。" / "A time-limited ID for development or maintenance work, with the responsible staff member (employee number), the worker, a reason and a last day.",
    responsible_number: "開発責任者の職員番号" / "Responsible (employee number)",
    worker: "作業者" / "Worker",
    first_day: "初日（YYYY-MM-DD）" / "First day (YYYY-MM-DD)",
    last_day: "最終日（YYYY-MM-DD）" / "Last day (YYYY-MM-DD)",
    nominate_title: "代行者の指名" / "Nominate a delegate",
    nominate_lead: "あなたの権限を期間を限って代行する職員を指名します。CISOが承認するまで有効になりません。" / "Names a staff member to act for an authority of yours for a period. It takes effect once the CISO approves.",
    nominate: "指名" / "Nominate",
    end_delegation: "代行を終了" / "End now",
    account_created_title: "特権IDを作成しました" / "Privileged ID created",
    development_created_title: "開発用IDを作成しました" / "Development ID created",
    nominated_notice: "代行者を指名しました（CISOの承認待ち）" / "Delegate nominated; it awaits the CISO's approval",
    delegation_ended: "代行を終了しました" / "The delegation ended",
    back_to_privileged: "特権IDの一覧へ" / "Back to the privileged IDs",
    f_ciso: "最高情報セキュリティ責任者（CISO）" / "CISO",
    f_deputy_ciso: "副CISO" / "Deputy CISO",
    f_chief_security_officer: "統括情報セキュリティ責任者" / "Chief security officer",
    f_security_officer: "セキュリティ担当" / "Security officer",
    f_auditor: "監査人" / "Auditor",
    f_helpdesk: "ヘルプデスク" / "Helpdesk",
    principal_owner: "システム所有者" / "system owner",
    nav_people: "職員の検索" / "Find a person",
    nav_approvals: "二者承認" / "Approvals",
    nav_privileged: "特権ID" / "Privileged IDs",
    nav_audit: "監査ログ" / "Audit log",
}

/// The table of the page's language.
pub fn of(t: &super::text::Text) -> &'static OpsText {
    if t.lang == "en" {
        &EN
    } else {
        &JA
    }
}

/// A four-eyes request's kind as words (never the stored code alone).
pub fn kind(o: &OpsText, k: &str) -> &'static str {
    match k {
        "password_reset" => o.k_password_reset,
        "enrollment_link" => o.k_enrollment_link,
        "credential_revoke" => o.k_credential_revoke,
        "unlock" => o.k_unlock,
        "reinstate" => o.k_reinstate,
        _ => o.k_other,
    }
}

/// An officer function as words.
pub fn function(o: &OpsText, f: tobira_domain::policy::OfficerFunction) -> &'static str {
    use tobira_domain::policy::OfficerFunction as F;
    match f {
        F::Ciso => o.f_ciso,
        F::DeputyCiso => o.f_deputy_ciso,
        F::ChiefSecurityOfficer => o.f_chief_security_officer,
        F::SecurityOfficer => o.f_security_officer,
        F::Auditor => o.f_auditor,
        F::Helpdesk => o.f_helpdesk,
    }
}

/// How long something has waited, in the largest whole unit.
pub fn age(o: &OpsText, ms: i64) -> String {
    let m = ms.max(0) / 60_000;
    if m < 60 {
        format!("{m}{}", o.minutes)
    } else if m < 24 * 60 {
        format!("{}{}", m / 60, o.hours)
    } else {
        format!("{}{}", m / (24 * 60), o.days)
    }
}
