-- What the citizen's roof check tells besides the planes ("Il mio tetto"): a protection
-- constraint on the building and a photovoltaic system already on its roof.
ALTER TABLE edifici
    ADD COLUMN IF NOT EXISTS vincolo text,                  -- e.g. 'Bene culturale (D.Lgs. 42/2004)', NULL when none is known
    ADD COLUMN IF NOT EXISTS fv_kwp double precision;       -- photovoltaic power already installed, kWp, NULL when none is known
