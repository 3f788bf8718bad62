-- navigli PostGIS schema, version 5: the shading factor of each roof plane (fraction of the
-- year's light lost to neighbouring buildings), computed by `navigli roofs compute`.

ALTER TABLE falde
    ADD COLUMN IF NOT EXISTS ombreggiamento double precision; -- 0–1
