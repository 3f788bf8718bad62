-- navigli PostGIS schema, version 4: API keys kept in the database (besides [[api_key]] in
-- layers.toml). Only the SHA-256 of a key is stored; `navigli apikey add` makes a key, prints it
-- once and stores its digest. A server with `[server] api_keys_source = "<source id>"` re-reads
-- the table every `api_keys_refresh_s` seconds: deleting a row (`navigli apikey revoke`) or
-- letting it expire revokes the key within that time.

CREATE TABLE navigli_api_keys (
    name       text PRIMARY KEY,
    sha256     text NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    roles      text[] NOT NULL DEFAULT '{}',
    expires_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
