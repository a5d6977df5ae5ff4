-- Ids and JSON are TEXT so that one diesel schema serves PostgreSQL and SQLite.
CREATE TABLE organizations (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    country TEXT NOT NULL,
    region TEXT,
    website TEXT,
    description TEXT NOT NULL DEFAULT '',
    verified BOOLEAN NOT NULL DEFAULT FALSE,
    population BIGINT,
    networks TEXT NOT NULL DEFAULT '[]',
    size_band TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    display_name TEXT NOT NULL,
    org_role TEXT NOT NULL,
    is_platform_admin BOOLEAN NOT NULL DEFAULT FALSE,
    locale TEXT NOT NULL DEFAULT 'en',
    notification_mode TEXT NOT NULL DEFAULT 'instant',
    email_verified BOOLEAN NOT NULL DEFAULT FALSE,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX users_organization_idx ON users(organization_id);

CREATE TABLE auth_tokens (
    jti TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    issued_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX auth_tokens_user_idx ON auth_tokens(user_id);

CREATE TABLE cluster_memberships (
    id TEXT PRIMARY KEY,
    cluster_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    company_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    requested_at TIMESTAMP NOT NULL,
    decided_at TIMESTAMP,
    decided_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    UNIQUE (cluster_id, company_id)
);
CREATE INDEX cluster_memberships_company_idx ON cluster_memberships(company_id);

CREATE TABLE challenges (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    description TEXT NOT NULL,
    sectors TEXT NOT NULL,
    plan_name TEXT,
    action_reference TEXT,
    target_year INTEGER,
    baseline_tco2e DOUBLE,
    target_reduction_tco2e DOUBLE,
    budget_min_eur BIGINT,
    budget_max_eur BIGINT,
    stage TEXT NOT NULL,
    min_trl INTEGER,
    co_benefits TEXT NOT NULL DEFAULT '[]',
    language TEXT NOT NULL,
    response_deadline TEXT,
    status TEXT NOT NULL,
    created_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    opened_at TIMESTAMP
);
CREATE INDEX challenges_organization_idx ON challenges(organization_id);
CREATE INDEX challenges_status_idx ON challenges(status);

CREATE TABLE solutions (
    id TEXT PRIMARY KEY,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    description TEXT NOT NULL,
    sectors TEXT NOT NULL,
    trl INTEGER NOT NULL,
    countries TEXT NOT NULL DEFAULT '[]',
    global BOOLEAN NOT NULL DEFAULT FALSE,
    reference_deployments TEXT NOT NULL DEFAULT '',
    claimed_reduction TEXT NOT NULL DEFAULT '',
    claimed_reduction_tco2e DOUBLE,
    price_model TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    published_at TIMESTAMP
);
CREATE INDEX solutions_organization_idx ON solutions(organization_id);
CREATE INDEX solutions_status_idx ON solutions(status);

CREATE TABLE responses (
    id TEXT PRIMARY KEY,
    challenge_id TEXT NOT NULL REFERENCES challenges(id) ON DELETE CASCADE,
    solution_id TEXT NOT NULL REFERENCES solutions(id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
    message TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (challenge_id, solution_id)
);
CREATE INDEX responses_organization_idx ON responses(organization_id);

CREATE TABLE matches (
    id TEXT PRIMARY KEY,
    challenge_id TEXT NOT NULL REFERENCES challenges(id) ON DELETE CASCADE,
    solution_id TEXT NOT NULL REFERENCES solutions(id) ON DELETE CASCADE,
    score DOUBLE NOT NULL,
    rank INTEGER NOT NULL,
    explanation TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (challenge_id, solution_id)
);
CREATE INDEX matches_solution_idx ON matches(solution_id);

CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    entity_kind TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    action TEXT NOT NULL,
    from_status TEXT,
    to_status TEXT,
    actor_user_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    details TEXT NOT NULL DEFAULT '{}',
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_entity_idx ON audit_log(entity_kind, entity_id);
