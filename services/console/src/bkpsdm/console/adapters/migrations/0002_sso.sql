-- People the agency's OpenID provider signs in: one account per (issuer, subject), without a
-- console password. NULLs are distinct, so local accounts do not collide here.
ALTER TABLE users ADD COLUMN sso_issuer text, ADD COLUMN sso_subject text;
ALTER TABLE users ADD CONSTRAINT users_sso UNIQUE (sso_issuer, sso_subject);

-- A browser's sign-in at the provider in progress (state, nonce, PKCE verifier), deleted when
-- the browser comes back, so an answer replayed later finds nothing.
CREATE TABLE sso_flows (
    browser_sha256 bytea       PRIMARY KEY,
    state          text        NOT NULL,
    nonce          text        NOT NULL,
    code_verifier  text        NOT NULL,
    next_path      text        NOT NULL,
    redirect_uri   text        NOT NULL,
    expires_at     timestamptz NOT NULL
);
CREATE INDEX sso_flows_expiry ON sso_flows (expires_at);
