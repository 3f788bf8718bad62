-- navigli PostGIS schema, version 2: data change notifications for the vector tile cache.
-- After every INSERT, UPDATE, DELETE or TRUNCATE statement on a published table, one
-- NOTIFY on channel `navigli_changes` carries the table and the extent of the changed rows
-- (old and new geometries), e.g.
--   {"schema":"public","table":"edifici","op":"UPDATE","srid":32632,"bbox":[xmin,ymin,xmax,ymax]}
-- navigli LISTENs and evicts the cached tiles meeting that box, at every zoom. Statement-level
-- triggers with transition tables: a bulk load sends one notification per statement, not per row.
-- To publish another table: SELECT navigli_watch('schema.table', 'geom');

CREATE OR REPLACE FUNCTION navigli_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    geom_col text := TG_ARGV[0];
    ext box2d;
    srid integer;
BEGIN
    IF TG_OP = 'INSERT' THEN
        EXECUTE format('SELECT ST_Extent(%1$I)::box2d, max(ST_SRID(%1$I)) FROM new_rows', geom_col) INTO ext, srid;
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format('SELECT ST_Extent(%1$I)::box2d, max(ST_SRID(%1$I)) FROM old_rows', geom_col) INTO ext, srid;
    ELSIF TG_OP = 'UPDATE' THEN
        EXECUTE format('SELECT ST_Extent(g)::box2d, max(ST_SRID(g)) FROM (SELECT %1$I AS g FROM new_rows UNION ALL SELECT %1$I FROM old_rows) AS u', geom_col)
            INTO ext, srid;
    END IF;
    IF TG_OP <> 'TRUNCATE' AND ext IS NULL THEN
        RETURN NULL; -- no row (or no geometry) changed
    END IF;
    PERFORM pg_notify('navigli_changes', json_build_object(
        'schema', TG_TABLE_SCHEMA,
        'table', TG_TABLE_NAME,
        'op', TG_OP,
        'srid', srid,
        'bbox', CASE WHEN ext IS NULL THEN NULL
                     ELSE json_build_array(ST_XMin(ext), ST_YMin(ext), ST_XMax(ext), ST_YMax(ext)) END
    )::text);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION navigli_watch(tbl regclass, geom_col text DEFAULT 'geom') RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DROP TRIGGER IF EXISTS navigli_changes_ins ON %s', tbl);
    EXECUTE format('DROP TRIGGER IF EXISTS navigli_changes_upd ON %s', tbl);
    EXECUTE format('DROP TRIGGER IF EXISTS navigli_changes_del ON %s', tbl);
    EXECUTE format('DROP TRIGGER IF EXISTS navigli_changes_trn ON %s', tbl);
    EXECUTE format('CREATE TRIGGER navigli_changes_ins AFTER INSERT ON %s REFERENCING NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION navigli_notify_change(%L)', tbl, geom_col);
    EXECUTE format('CREATE TRIGGER navigli_changes_upd AFTER UPDATE ON %s REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION navigli_notify_change(%L)', tbl, geom_col);
    EXECUTE format('CREATE TRIGGER navigli_changes_del AFTER DELETE ON %s REFERENCING OLD TABLE AS old_rows '
                   'FOR EACH STATEMENT EXECUTE FUNCTION navigli_notify_change(%L)', tbl, geom_col);
    EXECUTE format('CREATE TRIGGER navigli_changes_trn AFTER TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION navigli_notify_change(%L)', tbl, geom_col);
END
$$;

SELECT navigli_watch(t::regclass)
FROM unnest(ARRAY['comuni', 'zone_omogenee', 'uso_suolo', 'servizi_pubblici', 'edifici', 'strade',
                  'idrografia', 'aree_verdi', 'falde', 'servizi_sociali']) AS t;
