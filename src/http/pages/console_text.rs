//! The console's words (`/console/…`), Japanese first and English second, in their own
//! compile-checked table beside [`super::text`]: a template refers to `k.<field>`, so a missing
//! translation is a compile error.

macro_rules! console_texts {
    ($($field:ident: $ja:literal / $en:literal,)*) => {
        #[derive(Debug)]
        pub struct ConsoleText { $(pub $field: &'static str,)* }
        pub static JA: ConsoleText = ConsoleText { $($field: $ja,)* };
        pub static EN: ConsoleText = ConsoleText { $($field: $en,)* };
    };
}

console_texts! {
    search_title: "職員の検索" / "Find a person",
    search_lead: "ログインID、職員番号、氏名（漢字・かな・ローマ字、一部でも可）で検索できます。全角・半角、ひらがな・カタカナ、ヴ・ブなどの表記揺れは区別しません。" / "Search by login ID, employee number or name (kanji, kana or romaji, in part). Full and half width, hiragana and katakana and ヴ/ブ-style variants are treated alike.",
    section_only: "所属長として、所管の所属の職員だけが表示されます。" / "As head of section you see the people of your own sections only.",
    query: "検索語" / "Search",
    department_code: "所属コード" / "Department code",
    account_status: "アカウントの状態" / "Account status",
    any: "すべて" / "Any",
    search: "検索" / "Search",
    no_results: "該当する職員はいません。" / "No one matches.",
    employee_number: "職員番号" / "Employee number",
    name: "氏名" / "Name",
    department: "所属" / "Department",
    hr_status: "人事上の状態" / "HR status",
    accounts: "アカウント" / "Accounts",
    next_page: "次のページ" / "Next page",
    previous_page: "前のページ" / "Previous page",
    page: "ページ" / "Page",
    st_active: "有効" / "active",
    st_suspended: "停止中" / "suspended",
    st_disabled: "無効" / "disabled",
    st_deleted: "削除済み" / "deleted",
    privileged: "特権ID" / "privileged ID",
    shared: "共用ID" / "shared ID",
    vendor: "委託事業者" / "vendor",
    development: "開発用ID" / "development ID",
    person_title: "職員の詳細" / "Person",
    hr_facts: "人事情報（最終同期時点）" / "HR facts (as last synced)",
    kana: "カナ" / "Kana",
    romaji: "ローマ字" / "Romaji",
    post_title: "職名" / "Post",
    employment_type: "雇用区分" / "Employment type",
    head_of_section: "所属長" / "Head of section",
    start_date: "任用開始日" / "Start date",
    end_date: "任用終了日" / "End date",
    synced_at: "最終同期" / "Last synced",
    membership_primary: "本務" / "primary",
    membership_concurrent: "兼務" / "concurrent",
    yes: "はい" / "yes",
    no: "いいえ" / "no",
    locked: "ロック中" / "locked",
    locked_until_unlock: "解除されるまで" / "until unlocked",
    not_locked: "ロックなし" / "not locked",
    password: "パスワード" / "Password",
    password_set: "設定済み" / "set",
    password_temporary: "仮パスワード（次回変更）" / "temporary (to be changed)",
    password_none: "未設定" / "not set",
    grants: "権限" / "Grants",
    role: "ロール" / "Role",
    source: "付与の根拠" / "Source",
    valid: "有効期間" / "Validity",
    approved_by: "承認者" / "Approved by",
    revoked: "取消" / "revoked",
    no_grants: "権限はありません。" / "No grants.",
    factors: "認証要素" / "Factors",
    no_factors: "二要素目は登録されていません。" / "No second factor registered.",
    sessions: "利用中のセッション" / "Open sessions",
    no_sessions: "利用中のセッションはありません。" / "No open sessions.",
    started: "開始" / "Started",
    last_seen: "最終操作" / "Last seen",
    remote_access: "テレワーク（リモートアクセス）の許可" / "Remote-access grants",
    no_remote_access: "リモートアクセスの許可はありません。" / "No remote-access grants.",
    sign_ins: "最近のサインイン" / "Recent sign-ins",
    failures: "最近の失敗" / "Recent failures",
    none: "ありません。" / "None.",
    when: "日時" / "When",
    how: "方法" / "How",
    from_address: "接続元" / "From",
    shared_uses: "利用している共用ID" / "Shared IDs used",
    requests: "二者承認待ちの操作" / "Actions awaiting a second person",
    reviews: "未処理の棚卸し" / "Pending reviews",
    deadline: "期限" / "Deadline",
    trail: "この職員への操作の記録" / "Actions on this person",
    older: "さらに古い記録" / "Older records",
    actions: "操作" / "Actions",
    reason: "理由" / "Reason",
    reason_required: "理由を入力してください。" / "Please state the reason.",
    act_unlock: "ロック解除" / "Unlock",
    act_reset: "パスワード再設定" / "Reset password",
    act_enrol: "登録用リンクの発行" / "Issue an enrolment link",
    act_suspend: "利用停止" / "Suspend",
    act_reinstate: "利用再開" / "Reinstate",
    act_end_sessions: "全セッション終了" / "End all sessions",
    act_revoke: "無効化" / "Revoke",
    act_remote_grant: "リモートアクセスを許可" / "Grant remote access",
    act_remote_revoke: "リモートアクセスの許可を取消" / "Revoke remote access",
    remote_until: "最終日（YYYY-MM-DD）" / "Last day (YYYY-MM-DD)",
    remote_approver: "承認者の職員番号" / "Approver's employee number",
    done: "実施しました" / "Done",
    awaiting: "二者承認の申請を記録しました。別の担当者が承認すると実行されます。申請番号" / "Recorded as a request: it takes effect when a second person approves. Request",
    temporary_title: "仮パスワード" / "Temporary password",
    temporary_lead: "次の仮パスワードを本人に確実に渡してください。この画面を閉じると二度と表示されません。次回サインイン時に変更が必要です。" / "Hand this temporary password to the person. It is not shown again; they must change it at their next sign-in.",
    link_title: "登録用リンク" / "Enrolment link",
    link_lead: "次のURLを本人に渡してください（メールアドレスがあれば送信済みです）。この画面を閉じると二度と表示されません。有効期限" / "Hand this URL to the person (it was also mailed if they have an address). It is not shown again. Expires",
    read_only: "閲覧のみ（操作はセキュリティ担当が行います）" / "Read only (security officers act)",
    audit_title: "監査ログ" / "Audit log",
    audit_lead: "条件で絞り込み、新しい順に表示します。この閲覧も記録されます。職員・アカウントでの検索はCISO等に限られ、理由が必要です（R-LG-11）。" / "Filter, newest first. Reading is itself recorded. Searching by person or account is limited to the CISO's office and needs a reason (R-LG-11).",
    person_or_number: "職員（職員番号またはログインID）" / "Person (employee number or login ID)",
    account_login: "アカウント（ログインID）" / "Account (login ID)",
    action: "操作の種類" / "Action",
    outcome: "結果" / "Outcome",
    system: "システム" / "System",
    source_address: "接続元アドレス" / "Source address",
    from_day: "開始日（JST）" / "From (JST)",
    to_day: "終了日（JST）" / "To (JST)",
    show: "表示" / "Show",
    export_csv: "CSVで出力" / "Export CSV",
    actor: "実施者" / "Actor",
    target: "対象" / "Target",
    details: "詳細" / "Details",
    no_records: "該当する記録はありません。" / "No records match.",
    console_link: "職員の検索" / "Find a person",
    audit_link: "監査ログ" / "Audit log",
    prov_link: "プロビジョニング" / "Provisioning",
    prov_title: "業務システムへのプロビジョニング" / "Provisioning to business systems",
    prov_lead: "業務システムごとの送信待ち・停止中の件数と、最後の照合（ドリフト）の結果です。" / "Per business system: items waiting and stopped, and the last reconciliation (drift).",
    prov_none: "プロビジョニングする業務システムはありません。" / "No system is provisioned.",
    prov_system: "業務システム" / "System",
    prov_pending: "送信待ち" / "Waiting",
    prov_stopped: "停止中" / "Stopped",
    prov_oldest: "最古の待ち（秒）" / "Oldest waiting (s)",
    prov_last: "最後の照合" / "Last reconciliation",
    prov_never: "未実施" / "never",
    prov_failed: "失敗" / "failed",
    prov_orphans: "孤立" / "orphans",
    prov_missing: "不足" / "missing",
    prov_wrong: "相違" / "wrong",
    prov_held: "保留" / "held",
    prov_items: "送信待ち・停止中の項目" / "Items waiting or stopped",
    prov_no_items: "送信待ち・停止中の項目はありません。" / "Nothing waits or is stopped.",
    prov_login: "ログインID" / "Login ID",
    prov_operation: "操作" / "Operation",
    prov_status: "状態" / "Status",
    prov_attempts: "試行回数" / "Attempts",
    prov_error: "最後のエラー" / "Last error",
    prov_retry: "停止中の項目を再送待ちに戻す" / "Queue the stopped items again",
    prov_retry_lead: "原因を解消してから実行してください。理由は監査ログに記録されます。" / "Fix the cause first. The reason is recorded in the audit log.",
    prov_retried: "件を再送待ちに戻しました" / "stopped items queued again",
    prov_back: "システムの一覧" / "All systems",
}

/// The table of the page's language.
pub fn of(t: &super::text::Text) -> &'static ConsoleText {
    if t.lang == "en" {
        &EN
    } else {
        &JA
    }
}

/// A sign-in method as words (never the stored code or JSON).
pub fn method(ja: bool, m: &str) -> String {
    let w = match m {
        "password" => ("パスワード", "password"),
        "totp" => ("認証アプリ（TOTP）", "authenticator app (TOTP)"),
        "webauthn" | "passkey" | "security_key" => ("セキュリティキー・パスキー", "security key or passkey"),
        "enrollment" => ("登録用リンク", "enrolment link"),
        _ => ("その他の方法", "another method"),
    };
    (if ja { w.0 } else { w.1 }).to_string()
}

/// The methods of a sign-in record (`methods` array or `method` string) as words.
pub fn methods(ja: bool, details: &serde_json::Value) -> String {
    let list: Vec<String> =
        match (details.get("methods").and_then(|v| v.as_array()), details.get("method").and_then(|v| v.as_str())) {
            (Some(a), _) => a.iter().filter_map(|v| v.as_str()).map(|m| method(ja, m)).collect(),
            (None, Some(m)) => vec![method(ja, m)],
            _ => Vec::new(),
        };
    if list.is_empty() {
        "—".into()
    } else {
        list.join(if ja { "＋" } else { " + " })
    }
}

/// An audit record's details for the page: `key: value` pairs (a list's items joined, a nested
/// object in parentheses); the CSV export and the API keep the JSON.
pub fn details(v: &serde_json::Value) -> String {
    use serde_json::Value;
    fn pairs(o: &serde_json::Map<String, Value>, sep: &str) -> String {
        o.iter().map(|(k, v)| format!("{k}: {}", value(v))).collect::<Vec<_>>().join(sep)
    }
    fn value(v: &Value) -> String {
        match v {
            Value::String(s) => s.clone(),
            Value::Null => "—".into(),
            Value::Array(a) => a.iter().map(value).collect::<Vec<_>>().join(", "),
            Value::Object(o) => format!("({})", pairs(o, ", ")),
            other => other.to_string(),
        }
    }
    match v {
        Value::Object(o) => pairs(o, "; "),
        Value::Null => String::new(),
        other => value(other),
    }
}

/// An account status as words.
pub fn status(k: &ConsoleText, s: &str) -> &'static str {
    match s {
        "active" => k.st_active,
        "suspended" => k.st_suspended,
        "disabled" => k.st_disabled,
        "deleted" => k.st_deleted,
        _ => "—",
    }
}
