//! Diesel's view of the tables in `migrations/{sqlite,postgres}` (kept by hand; both backends share it).

diesel::table! {
    departments (code) {
        code -> Text,
        name -> Text,
        name_kana -> Nullable<Text>,
        parent_code -> Nullable<Text>,
        body -> Nullable<Text>,
        updated_at -> BigInt,
    }
}

diesel::table! {
    people (id) {
        id -> Text,
        employee_number -> Text,
        directory_key -> Nullable<Text>,
        name_kanji -> Text,
        name_kana -> Text,
        name_romaji -> Nullable<Text>,
        post_title -> Nullable<Text>,
        employment_type -> Text,
        status -> Text,
        is_head_of_section -> Bool,
        start_date -> Nullable<Text>,
        end_date -> Nullable<Text>,
        secondment_target -> Nullable<Text>,
        contract_id -> Nullable<Text>,
        mail -> Nullable<Text>,
        updated_at -> BigInt,
        department_name -> Nullable<Text>,
        birth_date -> Nullable<Text>,
        phone -> Nullable<Text>,
        search_key -> Text,
    }
}

diesel::table! {
    person_departments (person_id, department_code) {
        person_id -> Text,
        department_code -> Text,
        membership -> Text,
    }
}

diesel::table! {
    accounts (id) {
        id -> Text,
        login_id -> Text,
        person_id -> Nullable<Text>,
        status -> Text,
        status_reason -> Nullable<Text>,
        status_since -> BigInt,
        is_privileged -> Bool,
        is_shared -> Bool,
        is_vendor -> Bool,
        is_development -> Bool,
        expires_at -> Nullable<BigInt>,
        must_change_password -> Bool,
        last_login_at -> Nullable<BigInt>,
        last_logout_at -> Nullable<BigInt>,
        created_at -> BigInt,
        deletion_due_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    systems (id) {
        id -> Text,
        name -> Text,
        owner_employee_number -> Text,
        owner_title -> Text,
        zone -> Text,
        classification -> Text,
        important -> Bool,
        cloud -> Bool,
        approval_status -> Text,
        approved_by -> Nullable<Text>,
        approved_on -> Nullable<Text>,
        client_secret_digest -> Nullable<Text>,
        redirect_uris -> Text,
        in_policy -> Bool,
        updated_at -> BigInt,
    }
}

diesel::table! {
    roles (id) {
        id -> Text,
        system_id -> Text,
        name -> Text,
        privileged -> Bool,
        in_policy -> Bool,
        updated_at -> BigInt,
    }
}

diesel::table! {
    grants (id) {
        id -> Text,
        account_id -> Text,
        role_id -> Text,
        source -> Text,
        valid_from -> BigInt,
        valid_until -> Nullable<BigInt>,
        requested_by -> Nullable<Text>,
        approved_by -> Nullable<Text>,
        reason -> Nullable<Text>,
        created_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
        revoked_reason -> Nullable<Text>,
        review_flag -> Nullable<Text>,
    }
}

diesel::table! {
    sync_runs (id) {
        id -> Text,
        created_at -> BigInt,
        source -> Text,
        status -> Text,
        hold_reason -> Nullable<Text>,
        requested_by -> Text,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<BigInt>,
        plan_json -> Text,
    }
}

diesel::table! {
    sync_state (name) {
        name -> Text,
        value -> Text,
        updated_at -> BigInt,
    }
}

diesel::table! {
    job_leases (name) {
        name -> Text,
        holder -> Text,
        expires_at -> BigInt,
    }
}

diesel::table! {
    password_credentials (account_id) {
        account_id -> Text,
        hash -> Text,
        is_temporary -> Bool,
        set_at -> BigInt,
        expires_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    password_history (id) {
        id -> Text,
        account_id -> Text,
        hash -> Text,
        set_at -> BigInt,
    }
}

diesel::table! {
    totp_credentials (id) {
        id -> Text,
        account_id -> Text,
        name -> Text,
        secret_encrypted -> Text,
        created_at -> BigInt,
        last_used_step -> Nullable<BigInt>,
    }
}

diesel::table! {
    webauthn_credentials (id) {
        id -> Text,
        account_id -> Text,
        name -> Text,
        credential_json -> Text,
        aaguid -> Nullable<Text>,
        created_at -> BigInt,
        last_used_at -> Nullable<BigInt>,
        credential_id -> Nullable<Text>,
        attested -> Bool,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        account_id -> Text,
        created_at -> BigInt,
        last_seen_at -> BigInt,
        expires_at -> BigInt,
        factors -> Text,
        privileged -> Bool,
        source_ip -> Nullable<Text>,
        user_agent -> Nullable<Text>,
        revoked_at -> Nullable<BigInt>,
        revoked_reason -> Nullable<Text>,
    }
}

diesel::table! {
    signing_keys (kid) {
        kid -> Text,
        alg -> Text,
        private_key_encrypted -> Text,
        public_key -> Text,
        created_at -> BigInt,
        retired_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    audit_events (seq) {
        seq -> BigInt,
        occurred_at -> BigInt,
        actor -> Text,
        action -> Text,
        target -> Text,
        outcome -> Text,
        source_ip -> Nullable<Text>,
        request_id -> Nullable<Text>,
        details -> Text,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::joinable!(person_departments -> people (person_id));
diesel::joinable!(person_departments -> departments (department_code));
diesel::joinable!(accounts -> people (person_id));
diesel::joinable!(roles -> systems (system_id));
diesel::joinable!(grants -> roles (role_id));
diesel::joinable!(password_credentials -> accounts (account_id));
diesel::joinable!(sessions -> accounts (account_id));

diesel::table! {
    account_lockouts (account_id, scope) {
        account_id -> Text,
        scope -> Text,
        failures -> Integer,
        pending -> Integer,
        pending_at -> Nullable<BigInt>,
        locked_at -> Nullable<BigInt>,
        locked_until -> Nullable<BigInt>,
        updated_at -> BigInt,
    }
}

diesel::table! {
    source_throttles (source) {
        source -> Text,
        window_start -> BigInt,
        failures -> Integer,
    }
}

diesel::table! {
    auth_challenges (id) {
        id -> Text,
        account_id -> Nullable<Text>,
        kind -> Text,
        state -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
    }
}

diesel::table! {
    client_secrets (client_id) {
        client_id -> Text,
        digest -> Text,
        created_at -> BigInt,
        created_by -> Text,
    }
}

diesel::table! {
    remote_access_grants (id) {
        id -> Text,
        account_id -> Text,
        approved_by -> Text,
        recorded_by -> Text,
        reason -> Text,
        valid_from -> BigInt,
        valid_until -> BigInt,
        revoked_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    enrollment_links (id) {
        id -> Text,
        account_id -> Text,
        token_hash -> Text,
        token_sealed -> Nullable<Text>,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
        revoked_at -> Nullable<BigInt>,
        issued_by -> Text,
    }
}

diesel::table! {
    privileged_eligibility (id) {
        id -> Text,
        account_id -> Text,
        role_id -> Text,
        system_id -> Text,
        granted_by -> Text,
        reason -> Text,
        created_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
        revoked_by -> Nullable<Text>,
    }
}

diesel::table! {
    elevations (id) {
        id -> Text,
        account_id -> Text,
        role_id -> Text,
        system_id -> Text,
        minutes -> Integer,
        reason -> Text,
        ticket -> Text,
        break_glass -> Bool,
        review_required -> Bool,
        status -> Text,
        requested_at -> BigInt,
        lapses_at -> BigInt,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<BigInt>,
        decision_note -> Nullable<Text>,
        starts_at -> Nullable<BigInt>,
        ends_at -> Nullable<BigInt>,
        grant_id -> Nullable<Text>,
        ended_reason -> Nullable<Text>,
        reviewed_by -> Nullable<Text>,
        reviewed_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    delegations (id) {
        id -> Text,
        principal -> Text,
        delegate_employee_number -> Text,
        nominated_by -> Text,
        reason -> Text,
        valid_from -> BigInt,
        valid_until -> BigInt,
        status -> Text,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<BigInt>,
        created_at -> BigInt,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        recipient -> Text,
        kind -> Text,
        subject -> Text,
        body -> Text,
        created_at -> BigInt,
        sent_at -> Nullable<BigInt>,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        next_attempt_at -> Nullable<BigInt>,
        undeliverable_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    development_ids (account_id) {
        account_id -> Text,
        responsible -> Text,
        worker -> Text,
        reason -> Text,
        created_by -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    client_assertions (jti) {
        jti -> Text,
        client_id -> Text,
        expires_at -> BigInt,
    }
}

diesel::table! {
    auth_codes (id) {
        id -> Text,
        client_id -> Text,
        account_id -> Text,
        session_id -> Text,
        redirect_uri -> Text,
        code_challenge -> Text,
        scope -> Text,
        nonce -> Nullable<Text>,
        auth_time -> BigInt,
        factors -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
        family_id -> Nullable<Text>,
    }
}

diesel::table! {
    token_families (id) {
        id -> Text,
        client_id -> Text,
        account_id -> Text,
        session_id -> Text,
        scope -> Text,
        auth_time -> BigInt,
        factors -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        revoked_at -> Nullable<BigInt>,
        revoked_reason -> Nullable<Text>,
        logout_sent_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    refresh_tokens (id) {
        id -> Text,
        family_id -> Text,
        created_at -> BigInt,
        expires_at -> BigInt,
        used_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    revoked_tokens (jti) {
        jti -> Text,
        client_id -> Text,
        expires_at -> BigInt,
        revoked_at -> BigInt,
    }
}

diesel::joinable!(refresh_tokens -> token_families (family_id));
diesel::joinable!(account_lockouts -> accounts (account_id));
diesel::joinable!(token_families -> accounts (account_id));
diesel::joinable!(enrollment_links -> accounts (account_id));
diesel::joinable!(privileged_eligibility -> accounts (account_id));
diesel::joinable!(elevations -> accounts (account_id));
diesel::joinable!(token_families -> sessions (session_id));

diesel::table! {
    dormant_notices (account_id) {
        account_id -> Text,
        noticed_at -> BigInt,
        suspend_at -> BigInt,
        idle_days -> BigInt,
        settled_at -> Nullable<BigInt>,
        outcome -> Nullable<Text>,
    }
}

diesel::table! {
    review_campaigns (id) {
        id -> Text,
        scope_kind -> Text,
        scope_key -> Text,
        title -> Text,
        created_by -> Text,
        created_at -> BigInt,
        deadline -> BigInt,
        status -> Text,
        closed_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    review_items (id) {
        id -> Text,
        campaign_id -> Text,
        grant_id -> Text,
        account_id -> Text,
        login_id -> Text,
        employee_number -> Nullable<Text>,
        role_id -> Text,
        system_id -> Text,
        source -> Text,
        grant_reason -> Nullable<Text>,
        reviewers -> Text,
        escalated_until -> Nullable<BigInt>,
        reminded_at -> Nullable<BigInt>,
        decision -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<BigInt>,
        comment -> Nullable<Text>,
        outcome -> Nullable<Text>,
    }
}

diesel::table! {
    exceptions (id) {
        id -> Text,
        rule -> Text,
        subjects -> Text,
        reason -> Text,
        valid_until -> BigInt,
        status -> Text,
        emergency -> Bool,
        requested_by -> Text,
        requester_number -> Nullable<Text>,
        requested_at -> BigInt,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<BigInt>,
        decision_note -> Nullable<Text>,
        reviewed_at -> Nullable<BigInt>,
        expired_noted_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    findings (key) {
        key -> Text,
        kind -> Text,
        subject -> Text,
        at -> BigInt,
        events -> BigInt,
        evidence -> Text,
        detail -> Text,
        found_at -> BigInt,
    }
}

diesel::joinable!(review_items -> review_campaigns (campaign_id));

diesel::table! {
    authenticator_returns (id) {
        id -> Text,
        account_id -> Text,
        employee_number -> Text,
        credential_id -> Nullable<Text>,
        kind -> Text,
        label -> Text,
        listed_at -> BigInt,
        listed_reason -> Text,
        sync_run_id -> Text,
        status -> Text,
        recorded_by -> Nullable<Text>,
        recorded_at -> Nullable<BigInt>,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    shared_id_users (id) {
        id -> Text,
        shared_account_id -> Text,
        person_id -> Text,
        permitted_by -> Text,
        added_by -> Text,
        added_at -> BigInt,
        removed_at -> Nullable<BigInt>,
        removed_by -> Nullable<Text>,
        removed_reason -> Nullable<Text>,
    }
}

diesel::joinable!(authenticator_returns -> accounts (account_id));
diesel::joinable!(shared_id_users -> accounts (shared_account_id));
diesel::joinable!(shared_id_users -> people (person_id));

diesel::table! {
    contracts (number) {
        number -> Text,
        vendor -> Text,
        start_date -> Nullable<Text>,
        end_date -> Text,
        parent -> Nullable<Text>,
        updated_at -> BigInt,
        return_confirmed_at -> Nullable<BigInt>,
        return_confirmed_by -> Nullable<Text>,
        return_note -> Nullable<Text>,
    }
}

diesel::table! {
    officer_requests (id) {
        id -> Text,
        kind -> Text,
        account_id -> Text,
        details -> Text,
        requested_by -> Text,
        requester_key -> Text,
        requested_at -> BigInt,
        status -> Text,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<BigInt>,
    }
}

diesel::joinable!(officer_requests -> accounts (account_id));

diesel::table! {
    access_requests (id) {
        id -> Text,
        account_id -> Text,
        requester_key -> Text,
        role_id -> Text,
        system_id -> Text,
        reason -> Text,
        contract_id -> Nullable<Text>,
        valid_from -> BigInt,
        valid_until -> BigInt,
        steps -> Text,
        steps_done -> Integer,
        status -> Text,
        requested_at -> BigInt,
        lapses_at -> BigInt,
        closed_at -> Nullable<BigInt>,
        grant_id -> Nullable<Text>,
    }
}

diesel::table! {
    access_request_decisions (id) {
        id -> Text,
        request_id -> Text,
        step -> Integer,
        approver -> Text,
        decided_by -> Text,
        decider_key -> Text,
        approve -> Bool,
        note -> Text,
        decided_at -> BigInt,
    }
}

diesel::joinable!(access_requests -> accounts (account_id));
diesel::joinable!(access_request_decisions -> access_requests (request_id));

diesel::allow_tables_to_appear_in_same_query!(
    access_requests,
    access_request_decisions,
    contracts,
    departments,
    people,
    person_departments,
    accounts,
    systems,
    roles,
    grants,
    password_credentials,
    password_history,
    totp_credentials,
    webauthn_credentials,
    sessions,
    signing_keys,
    audit_events,
    sync_runs,
    job_leases,
    sync_state,
    account_lockouts,
    source_throttles,
    auth_challenges,
    client_secrets,
    client_assertions,
    remote_access_grants,
    enrollment_links,
    auth_codes,
    token_families,
    refresh_tokens,
    revoked_tokens,
    privileged_eligibility,
    elevations,
    delegations,
    notifications,
    development_ids,
    dormant_notices,
    review_campaigns,
    review_items,
    exceptions,
    findings,
    authenticator_returns,
    shared_id_users,
    officer_requests,
);

diesel::table! {
    provisioning_links (system_id, account_id) {
        system_id -> Text,
        account_id -> Text,
        state -> Text,
        sent_json -> Text,
        removable_since -> Nullable<BigInt>,
        remote_id -> Nullable<Text>,
        last_seq -> BigInt,
        updated_at -> BigInt,
    }
}

diesel::table! {
    provisioning_outbox (id) {
        id -> Text,
        system_id -> Text,
        account_id -> Text,
        seq -> BigInt,
        event -> Text,
        why -> Text,
        resource_json -> Text,
        status -> Text,
        attempts -> BigInt,
        next_attempt_at -> BigInt,
        last_error -> Nullable<Text>,
        created_at -> BigInt,
        done_at -> Nullable<BigInt>,
    }
}

diesel::table! {
    provisioning_file_batches (system_id, seq) {
        system_id -> Text,
        seq -> BigInt,
        items_json -> Text,
        jsonl_sha256 -> Text,
        csv_sha256 -> Text,
        written_at -> BigInt,
        receipt_at -> Nullable<BigInt>,
        applied -> BigInt,
        failed -> BigInt,
        overdue_at -> Nullable<BigInt>,
        unpublished_json -> Nullable<Text>,
    }
}

diesel::table! {
    onboarding_records (id) {
        id -> Text,
        account_id -> Text,
        kind -> Text,
        rules_version -> Nullable<Text>,
        text_sha256 -> Nullable<Text>,
        recorded_at -> BigInt,
        recorded_by -> Text,
        note -> Nullable<Text>,
    }
}

diesel::table! {
    provisioning_reconciliations (system_id) {
        system_id -> Text,
        ran_at -> BigInt,
        actor -> Text,
        repair -> Bool,
        listed -> BigInt,
        foreign_users -> BigInt,
        orphans -> BigInt,
        missing -> BigInt,
        wrong -> BigInt,
        held -> Text,
        queued -> BigInt,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    provisioning_groups (system_id, role_id) {
        system_id -> Text,
        role_id -> Text,
        remote_id -> Text,
        created_at -> BigInt,
    }
}

diesel::table! {
    audit_holds (id) {
        id -> Text,
        case_number -> Text,
        reason -> Text,
        from_at -> BigInt,
        until_at -> BigInt,
        subjects -> Text,
        created_by -> Text,
        created_at -> BigInt,
        released_by -> Nullable<Text>,
        released_at -> Nullable<BigInt>,
        release_reason -> Nullable<Text>,
    }
}

diesel::table! {
    audit_anchors (seq) {
        seq -> BigInt,
        hash -> Text,
        pruned_at -> BigInt,
        pruned -> BigInt,
        pruned_by -> Text,
    }
}
