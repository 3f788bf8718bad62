-- navigli PostGIS schema, version 10: roof planes measured from an airborne laser survey
-- (`navigli lidar import`) and their lineage.

CREATE TABLE IF NOT EXISTS rilievi_lidar (
    id        bigserial PRIMARY KEY,
    nome      text NOT NULL,           -- survey name
    data      date,                    -- flight date
    file      text NOT NULL,           -- the LAS/LAZ files read (';'-separated)
    punti     bigint NOT NULL,         -- points read
    densita   double precision NOT NULL, -- mean roof points per m² of footprint
    crs       text NOT NULL,           -- the survey's CRS as given
    metodo    text NOT NULL,           -- how the planes were found
    importato timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE falde
    ADD COLUMN IF NOT EXISTS fonte text,                    -- 'lidar' when measured
    ADD COLUMN IF NOT EXISTS rilievo bigint,                -- rilievi_lidar.id
    ADD COLUMN IF NOT EXISTS rms_m double precision,        -- fit RMS of the points, metres
    ADD COLUMN IF NOT EXISTS punti bigint,                  -- points fitted
    ADD COLUMN IF NOT EXISTS gronda double precision,       -- eave height above ground, metres
    ADD COLUMN IF NOT EXISTS colmo double precision,        -- ridge height above ground, metres
    ADD COLUMN IF NOT EXISTS ingombri bigint,               -- unfitted points over it (chimneys, dormers)
    ADD COLUMN IF NOT EXISTS vegetazione bigint;            -- vegetation points over it

ALTER TABLE edifici
    ADD COLUMN IF NOT EXISTS lidar text,                    -- 'misurato' | 'insufficiente'
    ADD COLUMN IF NOT EXISTS rilievo bigint,                -- rilievi_lidar.id
    ADD COLUMN IF NOT EXISTS gronda_m double precision,     -- lowest eave above ground, metres
    ADD COLUMN IF NOT EXISTS colmo_m double precision;      -- highest ridge above ground, metres
