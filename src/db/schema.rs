// The one diesel schema for both backends: only column types that PostgreSQL and
// SQLite share (see migrations/postgres and migrations/sqlite).

diesel::table! {
    organizations (id) {
        id -> Text,
        kind -> Text,
        name -> Text,
        country -> Text,
        region -> Nullable<Text>,
        website -> Nullable<Text>,
        description -> Text,
        verified -> Bool,
        population -> Nullable<BigInt>,
        networks -> Text,
        size_band -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        organization_id -> Text,
        email -> Text,
        password_hash -> Text,
        display_name -> Text,
        org_role -> Text,
        is_platform_admin -> Bool,
        locale -> Text,
        notification_mode -> Text,
        email_verified -> Bool,
        disabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    auth_tokens (jti) {
        jti -> Text,
        user_id -> Text,
        issued_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    cluster_memberships (id) {
        id -> Text,
        cluster_id -> Text,
        company_id -> Text,
        status -> Text,
        requested_at -> Timestamp,
        decided_at -> Nullable<Timestamp>,
        decided_by -> Nullable<Text>,
    }
}

diesel::table! {
    challenges (id) {
        id -> Text,
        organization_id -> Text,
        title -> Text,
        summary -> Text,
        description -> Text,
        sectors -> Text,
        plan_name -> Nullable<Text>,
        action_reference -> Nullable<Text>,
        target_year -> Nullable<Integer>,
        baseline_tco2e -> Nullable<Double>,
        target_reduction_tco2e -> Nullable<Double>,
        budget_min_eur -> Nullable<BigInt>,
        budget_max_eur -> Nullable<BigInt>,
        stage -> Text,
        min_trl -> Nullable<Integer>,
        co_benefits -> Text,
        language -> Text,
        response_deadline -> Nullable<Text>,
        status -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        opened_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    solutions (id) {
        id -> Text,
        organization_id -> Text,
        title -> Text,
        summary -> Text,
        description -> Text,
        sectors -> Text,
        trl -> Integer,
        countries -> Text,
        global -> Bool,
        reference_deployments -> Text,
        claimed_reduction -> Text,
        claimed_reduction_tco2e -> Nullable<Double>,
        price_model -> Text,
        language -> Text,
        status -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        published_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    responses (id) {
        id -> Text,
        challenge_id -> Text,
        solution_id -> Text,
        organization_id -> Text,
        message -> Text,
        status -> Text,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    matches (id) {
        id -> Text,
        challenge_id -> Text,
        solution_id -> Text,
        score -> Double,
        rank -> Integer,
        explanation -> Text,
        status -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Text,
        entity_kind -> Text,
        entity_id -> Text,
        action -> Text,
        from_status -> Nullable<Text>,
        to_status -> Nullable<Text>,
        actor_user_id -> Nullable<Text>,
        details -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    outbox (id) {
        id -> Text,
        dedupe_key -> Text,
        to_address -> Text,
        user_id -> Nullable<Text>,
        template -> Text,
        subject -> Text,
        body_text -> Text,
        body_html -> Text,
        message_id -> Text,
        unsubscribe_url -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        sent_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    password_resets (jti) {
        jti -> Text,
        user_id -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        used_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(users -> organizations (organization_id));
diesel::joinable!(auth_tokens -> users (user_id));
diesel::joinable!(challenges -> organizations (organization_id));
diesel::joinable!(solutions -> organizations (organization_id));
diesel::joinable!(responses -> challenges (challenge_id));
diesel::joinable!(responses -> solutions (solution_id));
diesel::joinable!(matches -> challenges (challenge_id));
diesel::joinable!(matches -> solutions (solution_id));
diesel::joinable!(password_resets -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    users,
    auth_tokens,
    cluster_memberships,
    challenges,
    solutions,
    responses,
    matches,
    audit_log,
    outbox,
    password_resets,
);
