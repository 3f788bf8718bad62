-- navigli PostGIS schema, version 8: the comuni's web map apps (the app builder). One row per
-- app with its draft; one row per published revision (immutable). Documents are JSON text as
-- the builder validated them (kept byte for byte, so an export gives back what was saved).
-- `published_revision` is the revision the viewer shows (the latest, or an earlier one after a
-- roll-back). The embedded SQLite store (src/appstore/sqlite.rs) has the same tables.

CREATE TABLE navigli_apps (
    tenant             text NOT NULL,
    slug               text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    draft              text NOT NULL,
    version            bigint NOT NULL DEFAULT 1,
    published_revision integer,
    latest_revision    integer NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    updated_by         text NOT NULL,
    PRIMARY KEY (tenant, slug)
);

CREATE TABLE navigli_app_revisions (
    tenant       text NOT NULL,
    slug         text NOT NULL,
    revision     integer NOT NULL CHECK (revision > 0),
    document     text NOT NULL,
    published_at timestamptz NOT NULL DEFAULT now(),
    published_by text NOT NULL,
    PRIMARY KEY (tenant, slug, revision),
    FOREIGN KEY (tenant, slug) REFERENCES navigli_apps (tenant, slug) ON DELETE CASCADE
);
