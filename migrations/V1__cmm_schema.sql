-- navigli PostGIS schema, version 1: the CMM demo/production tables.
-- Every table: fid bigint primary key, geom in EPSG:32632 with a GiST index, and (where a
-- feature belongs to one comune) cod_istat, the six-digit ISTAT code used for tenant restriction.
CREATE EXTENSION IF NOT EXISTS postgis;

-- SIT -----------------------------------------------------------------------------------------
CREATE TABLE comuni (
    fid          bigint PRIMARY KEY,
    geom         geometry(MultiPolygon, 32632) NOT NULL,
    cod_istat    text NOT NULL UNIQUE,
    nome         text NOT NULL,
    slug         text NOT NULL UNIQUE,
    zona_code    text NOT NULL,
    zona         text NOT NULL,
    popolazione  bigint NOT NULL,
    area_km2     double precision NOT NULL,
    approssimato boolean NOT NULL DEFAULT true
);
CREATE TABLE zone_omogenee (
    fid         bigint PRIMARY KEY,
    geom        geometry(MultiPolygon, 32632) NOT NULL,
    zona_code   text NOT NULL UNIQUE,
    zona        text NOT NULL,
    n_comuni    bigint NOT NULL,
    popolazione bigint NOT NULL
);
CREATE TABLE uso_suolo (
    fid         bigint PRIMARY KEY,
    geom        geometry(MultiPolygon, 32632) NOT NULL,
    cod_istat   text NOT NULL,
    classe      text NOT NULL,      -- DUSAF-like class code, e.g. 1111
    descrizione text NOT NULL,
    area_m2     double precision NOT NULL
);
CREATE TABLE servizi_pubblici (
    fid       bigint PRIMARY KEY,
    geom      geometry(Point, 32632) NOT NULL,
    cod_istat text NOT NULL,
    tipo      text NOT NULL,        -- scuola, biblioteca, sanita, ...
    nome      text NOT NULL,
    indirizzo text
);

-- DBT (Regione Lombardia topographic database classes) -----------------------------------------
CREATE TABLE edifici (              -- A020102 EDIFC
    fid          bigint PRIMARY KEY,
    geom         geometry(MultiPolygon, 32632) NOT NULL,
    cod_istat    text NOT NULL,
    "EDIFC_USO"  text NOT NULL,     -- use code (01 residenziale, 02 amministrativo, ...)
    "EDIFC_STAT" text NOT NULL,     -- status (01 costruito, 02 in costruzione, ...)
    "EDIFC_TY"   text NOT NULL,     -- building type code
    "UN_VOL_AV"  double precision NOT NULL, -- eave height of the volume unit, metres
    piani        bigint NOT NULL,
    anno_costr   bigint,
    data_rilievo date
);
CREATE TABLE strade (               -- L010107 elemento stradale
    fid          bigint PRIMARY KEY,
    geom         geometry(MultiLineString, 32632) NOT NULL,
    cod_istat    text NOT NULL,
    "EL_STR_TY"  text NOT NULL,     -- road element type
    "EL_STR_SED" text NOT NULL,     -- carriageway (sede)
    classe       text NOT NULL,     -- autostrada, extraurbana, urbana principale, locale
    nome         text
);
CREATE TABLE idrografia (
    fid       bigint PRIMARY KEY,
    geom      geometry(MultiLineString, 32632) NOT NULL,
    cod_istat text NOT NULL,
    nome      text NOT NULL,
    tipo      text NOT NULL         -- naviglio, fiume, canale, roggia
);
CREATE TABLE aree_verdi (
    fid       bigint PRIMARY KEY,
    geom      geometry(MultiPolygon, 32632) NOT NULL,
    cod_istat text NOT NULL,
    tipo      text NOT NULL,
    nome      text,
    area_m2   double precision NOT NULL
);

-- Tetti (roof planes) ---------------------------------------------------------------------------
CREATE TABLE falde (
    fid          bigint PRIMARY KEY,
    geom         geometry(MultiPolygon, 32632) NOT NULL,
    cod_istat    text NOT NULL,
    edificio_fid bigint NOT NULL,
    pendenza     double precision NOT NULL, -- slope, degrees
    esposizione  double precision NOT NULL, -- aspect, degrees clockwise from north
    area_m2      double precision NOT NULL, -- true (sloped) area
    altezza      double precision NOT NULL  -- mean height above ground, metres
);

-- Welfare (restricted) --------------------------------------------------------------------------
CREATE TABLE servizi_sociali (
    fid       bigint PRIMARY KEY,
    geom      geometry(Point, 32632) NOT NULL,
    cod_istat text NOT NULL,
    tipo      text NOT NULL,        -- RSA, centro diurno, asilo nido, ...
    nome      text NOT NULL,
    posti     bigint,
    gestore   text
);

CREATE INDEX comuni_geom_idx ON comuni USING gist (geom);
CREATE INDEX zone_omogenee_geom_idx ON zone_omogenee USING gist (geom);
CREATE INDEX uso_suolo_geom_idx ON uso_suolo USING gist (geom);
CREATE INDEX servizi_pubblici_geom_idx ON servizi_pubblici USING gist (geom);
CREATE INDEX edifici_geom_idx ON edifici USING gist (geom);
CREATE INDEX strade_geom_idx ON strade USING gist (geom);
CREATE INDEX idrografia_geom_idx ON idrografia USING gist (geom);
CREATE INDEX aree_verdi_geom_idx ON aree_verdi USING gist (geom);
CREATE INDEX falde_geom_idx ON falde USING gist (geom);
CREATE INDEX servizi_sociali_geom_idx ON servizi_sociali USING gist (geom);
CREATE INDEX uso_suolo_istat_idx ON uso_suolo (cod_istat);
CREATE INDEX servizi_pubblici_istat_idx ON servizi_pubblici (cod_istat);
CREATE INDEX edifici_istat_idx ON edifici (cod_istat);
CREATE INDEX strade_istat_idx ON strade (cod_istat);
CREATE INDEX idrografia_istat_idx ON idrografia (cod_istat);
CREATE INDEX aree_verdi_istat_idx ON aree_verdi (cod_istat);
CREATE INDEX falde_istat_idx ON falde (cod_istat);
CREATE INDEX falde_edificio_idx ON falde (edificio_fid);
CREATE INDEX servizi_sociali_istat_idx ON servizi_sociali (cod_istat);
