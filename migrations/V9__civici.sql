-- navigli PostGIS schema, version 9: house numbers (civici) after the national register of
-- street names and house numbers (ANNCSU): DUG (denominazione urbanistica generica: Via,
-- Viale, Corso…), denominazione, the full street name (odonimo), number and exponent. The demo
-- generates them along its named streets; real ones load from the ANNCSU or DBT civici (README).
CREATE TABLE civici (
    fid           bigint PRIMARY KEY,
    geom          geometry(Point, 32632) NOT NULL,
    cod_istat     text NOT NULL,
    progressivo   bigint NOT NULL,
    dug           text NOT NULL,
    denominazione text NOT NULL,
    odonimo       text NOT NULL,
    civico        bigint NOT NULL,
    esponente     text
);
CREATE INDEX civici_geom_idx ON civici USING gist (geom);
CREATE INDEX civici_istat_idx ON civici (cod_istat);

-- The place search index (src/search): one row per comune, named street (per comune), house
-- number and named service, rebuilt by `navigli search index` (or on the first search after the
-- [[search]] configuration changed). `words` holds the normalised words (lower case, no
-- accents), `doc` the same as a 'simple' tsvector; `scope` the ISTAT code the row belongs to;
-- `bbox` a JSON array [min lon, min lat, max lon, max lat]. The embedded SQLite index
-- (src/search/sqlite.rs) has the same columns with an FTS5 table.
CREATE TABLE navigli_search (
    id        bigint PRIMARY KEY,
    kind      text NOT NULL,
    layer     text NOT NULL,
    fid       bigint,
    scope     text,
    label     text NOT NULL,
    detail    text,
    words     text NOT NULL,
    lon       double precision NOT NULL,
    lat       double precision NOT NULL,
    bbox      text,
    kind_rank integer NOT NULL,
    doc       tsvector NOT NULL
);
CREATE INDEX navigli_search_doc_idx ON navigli_search USING gin (doc);
CREATE INDEX navigli_search_scope_idx ON navigli_search (scope);
CREATE TABLE navigli_search_words (word text PRIMARY KEY);
CREATE TABLE navigli_search_meta (
    fingerprint text NOT NULL,
    built_at    timestamptz NOT NULL DEFAULT now(),
    rows        bigint NOT NULL
);
