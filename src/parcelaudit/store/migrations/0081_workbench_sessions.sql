-- Review workbench (issue 15): browser sessions kept on the server, so that signing out (or a new password)
-- makes a copied cookie useless, and failed sign-ins, so that guessing is limited per name and per address.

CREATE TABLE wb_sessions (
    session_sha256 VARCHAR PRIMARY KEY,     -- SHA-256 of the session id the signed cookie carries
    user_id        BIGINT NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    expires_at     TIMESTAMP NOT NULL,
    ended_at       TIMESTAMP,               -- signed out, or ended by a new password; NULL while valid
    client         VARCHAR                  -- the address it was started from
);

CREATE TABLE wb_sign_in_failures (
    name      VARCHAR NOT NULL,             -- the name tried (whether or not such a user exists)
    client    VARCHAR NOT NULL,             -- the address it came from
    failed_at TIMESTAMP NOT NULL
);
