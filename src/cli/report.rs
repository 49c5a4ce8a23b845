//! Text renderings of reports for the terminal (JST times, Japanese headings first).

use serde_json::Value;
use std::fmt::Write;

fn s(v: &Value) -> String {
    match v {
        Value::Null => "—".into(),
        Value::String(t) => t.clone(),
        other => other.to_string(),
    }
}

/// `tobira report privileged` as text: per system its cap and holders, then elevations and delegates.
pub fn privileged_text(r: &Value) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "特権ID報告 / Privileged IDs");
    for sys in r["systems"].as_array().into_iter().flatten() {
        let holders = sys["eligibility"].as_array().map_or(&[][..], |v| v.as_slice());
        if holders.is_empty() {
            continue;
        }
        let _ = writeln!(
            out,
            "\n■ {} {}  保有者 / holders {} / 上限 cap {}",
            s(&sys["system"]),
            s(&sys["name"]),
            s(&sys["holders_now"]),
            s(&sys["cap"])
        );
        for h in holders {
            let _ = writeln!(
                out,
                "  {}  {}  付与 granted {} by {}  最終サインイン last sign-in {}  最終昇格 last elevation {}{}{}",
                s(&h["account"]),
                s(&h["role"]),
                s(&h["since"]),
                s(&h["granted_by"]),
                s(&h["last_sign_in"]),
                s(&h["last_elevation"]),
                if h["unused"] == Value::Bool(true) { "  [未使用 unused]" } else { "" },
                if h["revoked"].is_null() { String::new() } else { format!("  取消 revoked {}", s(&h["revoked"])) }
            );
        }
    }
    let _ = writeln!(out, "\n■ 昇格 / Elevations");
    for e in r["elevations"].as_array().into_iter().flatten() {
        let flags = [
            (e["break_glass"] == Value::Bool(true), " [緊急 break-glass]"),
            (e["review_required"] == Value::Bool(true), " [事後確認待ち review due]"),
        ];
        let _ = writeln!(
            out,
            "  {} {} {} {}分  申請 {}  承認 {}  開始 {}  終了 {} ({})  理由 {} / {}{}",
            s(&e["status"]),
            s(&e["account"]),
            s(&e["role"]),
            s(&e["minutes"]),
            s(&e["requested"]),
            s(&e["decided_by"]),
            s(&e["started"]),
            s(&e["ended"]),
            s(&e["ended_reason"]),
            s(&e["reason"]),
            s(&e["ticket"]),
            flags.iter().filter(|f| f.0).map(|f| f.1).collect::<String>()
        );
    }
    let _ = writeln!(out, "\n■ 代行者 / Delegates");
    for d in r["delegations"].as_array().into_iter().flatten() {
        let _ = writeln!(
            out,
            "  {} → {}  {}  {} – {}  承認 {}",
            s(&d["principal"]),
            s(&d["delegate"]),
            s(&d["status"]),
            s(&d["from"]),
            s(&d["until"]),
            s(&d["decided_by"])
        );
    }
    out
}
