-- navigli PostGIS schema, version 7: feature ids are never reused. A new feature's id is one
-- above both the table's largest id and the largest id the audit trail ever recorded for the
-- table, so a deleted feature's id (and its history) never passes to another feature.
CREATE INDEX IF NOT EXISTS navigli_audit_table_feature_idx ON navigli_audit (table_name, feature_id);
