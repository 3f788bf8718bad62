-- navigli PostGIS schema, version 3: roof suitability (tetti rossi, tetti verdi).
-- `navigli roofs compute` fills the solar columns of `falde` and rewrites the two per-building
-- tables; each per-building row has the building's fid and footprint. Units: irradiation
-- kWh/m² a year on the modules, specific yield kWh/kWp a year, money €, water m³ a year.

ALTER TABLE falde
    ADD COLUMN IF NOT EXISTS irradiazione   double precision,
    ADD COLUMN IF NOT EXISTS resa_specifica double precision,
    ADD COLUMN IF NOT EXISTS kwp            double precision,
    ADD COLUMN IF NOT EXISTS kwh_anno       double precision,
    ADD COLUMN IF NOT EXISTS classe         text,  -- ottima | buona | discreta | non idonea
    ADD COLUMN IF NOT EXISTS verde          text;  -- intensivo | estensivo | non idoneo

CREATE TABLE tetti_rossi (
    fid           bigint PRIMARY KEY, -- the building's fid
    geom          geometry(MultiPolygon, 32632) NOT NULL,
    cod_istat     text NOT NULL,
    classe        text NOT NULL,      -- best class of the building's planes
    falde_idonee  bigint NOT NULL,    -- planes not 'non idonea'
    area_m2       double precision NOT NULL, -- module area on those planes
    kwp           double precision NOT NULL,
    kwh_anno      double precision NOT NULL,
    costo_eur     double precision NOT NULL,
    risparmio_eur double precision NOT NULL,
    rientro_anni  double precision,   -- null: no payback within the lifetime
    co2_kg        double precision NOT NULL
);

CREATE TABLE tetti_verdi (
    fid           bigint PRIMARY KEY, -- the building's fid
    geom          geometry(MultiPolygon, 32632) NOT NULL,
    cod_istat     text NOT NULL,
    tipo          text NOT NULL,      -- intensivo | estensivo | non idoneo
    area_m2       double precision NOT NULL,
    carico_kg_m2  double precision NOT NULL,
    costo_eur     double precision NOT NULL,
    acqua_m3      double precision NOT NULL  -- rain retained a year
);

CREATE INDEX tetti_rossi_geom_idx ON tetti_rossi USING gist (geom);
CREATE INDEX tetti_verdi_geom_idx ON tetti_verdi USING gist (geom);
CREATE INDEX tetti_rossi_istat_idx ON tetti_rossi (cod_istat);
CREATE INDEX tetti_verdi_istat_idx ON tetti_verdi (cod_istat);

SELECT navigli_watch('tetti_rossi'::regclass);
SELECT navigli_watch('tetti_verdi'::regclass);
