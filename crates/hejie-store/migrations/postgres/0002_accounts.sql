-- Sign-in: password hashes, lockout state, sessions, API tokens and phone verification codes.
-- Secrets (session tokens, API tokens, codes) are stored only as SM3 hashes.

CREATE TABLE credentials (
    user_id          TEXT PRIMARY KEY REFERENCES users (id),
    password_hash    TEXT NOT NULL,
    failed_attempts  BIGINT NOT NULL DEFAULT 0,
    locked_until     BIGINT
);

CREATE TABLE sessions (
    token_hash    TEXT PRIMARY KEY,
    user_id       TEXT NOT NULL REFERENCES users (id),
    csrf_token    TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL
);

CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    name        TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE verification_codes (
    key_hash    TEXT PRIMARY KEY,
    code_hash   TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0
);
