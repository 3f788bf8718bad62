-- navigli PostGIS schema, version 6: the audit trail of edits (WFS-T, OGC API – Features Part 4).
-- One row per changed feature, written in the same transaction as the change: who, when, through
-- which tenant, which layer and table, the feature id, the action, and the feature before and
-- after ({"properties": {...}, "tenant": code, "geometry": WKT, "srid": n}), so a deleted or
-- overwritten feature can always be put back.
CREATE TABLE IF NOT EXISTS navigli_audit (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,
    tenant      text NOT NULL,
    layer       text NOT NULL,
    table_name  text NOT NULL,
    feature_id  bigint NOT NULL,
    action      text NOT NULL CHECK (action IN ('insert', 'update', 'replace', 'delete')),
    old_value   jsonb,
    new_value   jsonb
);
CREATE INDEX IF NOT EXISTS navigli_audit_feature_idx ON navigli_audit (layer, feature_id);
