//! The demo tables as data: names, geometry types and attribute columns, mirroring
//! `migrations/V1__cmm_schema.sql` column for column (a test checks it), plus the in-memory
//! rows both writers consume.

use std::borrow::Cow;

use geo::Geometry;

/// Attribute storage kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// text
    Text,
    /// bigint / INTEGER
    Int,
    /// double precision / REAL
    Real,
    /// date / DATE ('YYYY-MM-DD' text in GeoPackage)
    Date,
    /// boolean / BOOLEAN (0/1 in GeoPackage)
    Bool,
}

/// Geometry type of a table's `geom` column.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GeomType {
    MultiPolygon,
    Point,
    MultiLineString,
}

impl GeomType {
    /// GeoPackage geometry type name.
    pub fn gpkg_name(self) -> &'static str {
        match self {
            GeomType::MultiPolygon => "MULTIPOLYGON",
            GeomType::Point => "POINT",
            GeomType::MultiLineString => "MULTILINESTRING",
        }
    }
}

/// One attribute column.
#[derive(Debug, PartialEq)]
pub(crate) struct Column {
    pub name: &'static str,
    pub kind: Kind,
    pub nullable: bool,
}

const fn col(name: &'static str, kind: Kind) -> Column {
    Column { name, kind, nullable: false }
}

const fn opt(name: &'static str, kind: Kind) -> Column {
    Column { name, kind, nullable: true }
}

/// One table: `fid`, `geom`, then `columns`.
#[derive(Debug, PartialEq)]
pub(crate) struct TableDef {
    pub name: &'static str,
    pub title: &'static str,
    pub geom_type: GeomType,
    pub columns: &'static [Column],
}

use Kind::{Bool, Date, Int, Real, Text};

pub(crate) static COMUNI: TableDef = TableDef {
    name: "comuni",
    title: "Comuni (confini approssimati)",
    geom_type: GeomType::MultiPolygon,
    columns: &[
        col("cod_istat", Text),
        col("nome", Text),
        col("slug", Text),
        col("zona_code", Text),
        col("zona", Text),
        col("popolazione", Int),
        col("area_km2", Real),
        col("approssimato", Bool),
    ],
};

/// The attribute values of a comune's row of [`COMUNI`].
pub(crate) fn comune_values(c: &crate::config::Comune, approximate: bool) -> Vec<Val> {
    vec![
        Val::text(c.istat_code.clone()),
        Val::text(c.name.clone()),
        Val::text(c.slug.clone()),
        Val::text(c.zona_code.clone()),
        Val::text(c.zona_name.clone()),
        Val::int(c.population as i64),
        Val::Real(c.area_km2),
        Val::Bool(approximate),
    ]
}

pub(crate) static ZONE_OMOGENEE: TableDef = TableDef {
    name: "zone_omogenee",
    title: "Zone omogenee",
    geom_type: GeomType::MultiPolygon,
    columns: &[col("zona_code", Text), col("zona", Text), col("n_comuni", Int), col("popolazione", Int)],
};

pub(crate) static USO_SUOLO: TableDef = TableDef {
    name: "uso_suolo",
    title: "Uso del suolo (classi DUSAF)",
    geom_type: GeomType::MultiPolygon,
    columns: &[col("cod_istat", Text), col("classe", Text), col("descrizione", Text), col("area_m2", Real)],
};

pub(crate) static SERVIZI_PUBBLICI: TableDef = TableDef {
    name: "servizi_pubblici",
    title: "Servizi pubblici",
    geom_type: GeomType::Point,
    columns: &[col("cod_istat", Text), col("tipo", Text), col("nome", Text), opt("indirizzo", Text)],
};

pub(crate) static EDIFICI: TableDef = TableDef {
    name: "edifici",
    title: "Edifici (DBT A020102 EDIFC)",
    geom_type: GeomType::MultiPolygon,
    columns: &[
        col("cod_istat", Text),
        col("EDIFC_USO", Text),
        col("EDIFC_STAT", Text),
        col("EDIFC_TY", Text),
        col("UN_VOL_AV", Real),
        col("piani", Int),
        opt("anno_costr", Int),
        opt("data_rilievo", Date),
        // migrations/V10__lidar.sql: filled by `navigli lidar import`
        opt("lidar", Text),
        opt("rilievo", Int),
        opt("gronda_m", Real),
        opt("colmo_m", Real),
        // migrations/V11__roof_constraints.sql
        opt("vincolo", Text),
        opt("fv_kwp", Real),
    ],
};

pub(crate) static STRADE: TableDef = TableDef {
    name: "strade",
    title: "Elementi stradali (DBT L010107)",
    geom_type: GeomType::MultiLineString,
    columns: &[col("cod_istat", Text), col("EL_STR_TY", Text), col("EL_STR_SED", Text), col("classe", Text), opt("nome", Text)],
};

pub(crate) static IDROGRAFIA: TableDef = TableDef {
    name: "idrografia",
    title: "Navigli, canali e fiumi",
    geom_type: GeomType::MultiLineString,
    columns: &[col("cod_istat", Text), col("nome", Text), col("tipo", Text)],
};

pub(crate) static AREE_VERDI: TableDef = TableDef {
    name: "aree_verdi",
    title: "Aree verdi",
    geom_type: GeomType::MultiPolygon,
    columns: &[col("cod_istat", Text), col("tipo", Text), opt("nome", Text), col("area_m2", Real)],
};

pub(crate) static FALDE: TableDef = TableDef {
    name: "falde",
    title: "Falde dei tetti",
    geom_type: GeomType::MultiPolygon,
    columns: &[
        col("cod_istat", Text),
        col("edificio_fid", Int),
        col("pendenza", Real),
        col("esposizione", Real),
        col("area_m2", Real),
        col("altezza", Real),
        // filled by `navigli roofs compute` (migrations/V3__roofs.sql)
        opt("irradiazione", Real),
        opt("resa_specifica", Real),
        opt("kwp", Real),
        opt("kwh_anno", Real),
        opt("classe", Text),
        opt("verde", Text),
        // migrations/V5__roof_shading.sql
        opt("ombreggiamento", Real),
        // migrations/V10__lidar.sql: filled by `navigli lidar import`
        opt("fonte", Text),
        opt("rilievo", Int),
        opt("rms_m", Real),
        opt("punti", Int),
        opt("gronda", Real),
        opt("colmo", Real),
        opt("ingombri", Int),
        opt("vegetazione", Int),
    ],
};

/// Solar suitability per building (`navigli roofs compute`; empty until it runs).
pub(crate) static TETTI_ROSSI: TableDef = TableDef {
    name: "tetti_rossi",
    title: "Tetti rossi (fotovoltaico)",
    geom_type: GeomType::MultiPolygon,
    columns: &[
        col("cod_istat", Text),
        col("classe", Text),
        col("falde_idonee", Int),
        col("area_m2", Real),
        col("kwp", Real),
        col("kwh_anno", Real),
        col("costo_eur", Real),
        col("risparmio_eur", Real),
        opt("rientro_anni", Real),
        col("co2_kg", Real),
    ],
};

/// Green roof suitability per building (`navigli roofs compute`; empty until it runs).
pub(crate) static TETTI_VERDI: TableDef = TableDef {
    name: "tetti_verdi",
    title: "Tetti verdi",
    geom_type: GeomType::MultiPolygon,
    columns: &[
        col("cod_istat", Text),
        col("tipo", Text),
        col("area_m2", Real),
        col("carico_kg_m2", Real),
        col("costo_eur", Real),
        col("acqua_m3", Real),
    ],
};

/// House numbers (after the national register ANNCSU: DUG, denominazione, civico, esponente),
/// along the named streets of each comune.
pub(crate) static CIVICI: TableDef = TableDef {
    name: "civici",
    title: "Numeri civici (ANNCSU)",
    geom_type: GeomType::Point,
    columns: &[
        col("cod_istat", Text),
        col("progressivo", Int),
        col("dug", Text),
        col("denominazione", Text),
        col("odonimo", Text),
        col("civico", Int),
        opt("esponente", Text),
    ],
};

pub(crate) static SERVIZI_SOCIALI: TableDef = TableDef {
    name: "servizi_sociali",
    title: "Servizi sociali (riservato)",
    geom_type: GeomType::Point,
    columns: &[col("cod_istat", Text), col("tipo", Text), col("nome", Text), opt("posti", Int), opt("gestore", Text)],
};

/// Every table, in the order of the migration (and of writing).
pub(crate) static TABLES: [&TableDef; 13] = [
    &COMUNI,
    &ZONE_OMOGENEE,
    &USO_SUOLO,
    &SERVIZI_PUBBLICI,
    &EDIFICI,
    &STRADE,
    &IDROGRAFIA,
    &AREE_VERDI,
    &FALDE,
    &SERVIZI_SOCIALI,
    &TETTI_ROSSI,
    &TETTI_VERDI,
    &CIVICI,
];

/// One attribute value. Nullable kinds carry an `Option`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Val {
    Text(Option<Cow<'static, str>>),
    Int(Option<i64>),
    Real(f64),
    /// A null double.
    NullReal,
    /// Days since 2000-01-01 (PostgreSQL's date epoch).
    Date(Option<i32>),
    Bool(bool),
}

impl Val {
    /// A non-null text value.
    pub fn text(s: impl Into<Cow<'static, str>>) -> Val {
        Val::Text(Some(s.into()))
    }
    /// A possibly null text value.
    pub fn opt_text(s: Option<impl Into<Cow<'static, str>>>) -> Val {
        Val::Text(s.map(Into::into))
    }
    /// A non-null integer.
    pub fn int(i: i64) -> Val {
        Val::Int(Some(i))
    }
    /// Whether the value fits a column.
    pub fn fits(&self, c: &Column) -> bool {
        match (self, c.kind) {
            (Val::Text(v), Kind::Text) => v.is_some() || c.nullable,
            (Val::Int(v), Kind::Int) => v.is_some() || c.nullable,
            (Val::Date(v), Kind::Date) => v.is_some() || c.nullable,
            (Val::Real(v), Kind::Real) => v.is_finite(),
            (Val::NullReal, Kind::Real) => c.nullable,
            (Val::Bool(_), Kind::Bool) => true,
            _ => false,
        }
    }
}

/// One feature.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Row {
    pub fid: i64,
    pub geom: Geometry<f64>,
    pub values: Vec<Val>,
}

/// A table and its rows.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TableRows {
    pub def: &'static TableDef,
    pub rows: Vec<Row>,
}

/// The generated dataset, tables in [`TABLES`] order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Dataset {
    pub tables: Vec<TableRows>,
}

impl Dataset {
    /// The rows of a table.
    #[cfg(test)]
    pub fn table(&self, name: &str) -> Option<&TableRows> {
        self.tables.iter().find(|t| t.def.name == name)
    }
}

/// A double-quoted SQL identifier (both backends).
pub(crate) fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Days since 2000-01-01 of a civil date (proleptic Gregorian).
pub(crate) fn days_from_civil(y: i32, m: u32, d: u32) -> i32 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i32 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468 - 10_957
}

/// 'YYYY-MM-DD' of days since 2000-01-01.
pub(crate) fn format_date(days: i32) -> String {
    let z = days + 10_957 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(days_from_civil(2000, 1, 1), 0);
        assert_eq!(format_date(0), "2000-01-01");
        assert_eq!(format_date(days_from_civil(2012, 2, 29)), "2012-02-29");
        assert_eq!(format_date(days_from_civil(2023, 12, 31)), "2023-12-31");
        assert_eq!(days_from_civil(1970, 1, 1), -10_957);
    }

    /// The column lists match the PostGIS migration exactly (names, order, nullability).
    #[test]
    fn tables_match_the_migration() {
        let sql = [
            include_str!("../../migrations/V1__cmm_schema.sql"),
            include_str!("../../migrations/V3__roofs.sql"),
            include_str!("../../migrations/V5__roof_shading.sql"),
            include_str!("../../migrations/V9__civici.sql"),
            include_str!("../../migrations/V10__lidar.sql"),
            include_str!("../../migrations/V11__roof_constraints.sql"),
        ]
        .concat();
        let parse = |body: &str, prefix: &str| -> Vec<(String, String)> {
            body.lines()
                .map(|l| l.split("--").next().unwrap().trim())
                .filter_map(|l| l.strip_prefix(prefix))
                .filter(|l| !l.is_empty())
                .map(|l| {
                    let (name, rest) = l.split_once(char::is_whitespace).unwrap();
                    (name.trim_matches('"').to_string(), rest.trim().to_string())
                })
                .collect()
        };
        for def in TABLES {
            let start = sql.find(&format!("CREATE TABLE {} (", def.name)).unwrap_or_else(|| panic!("{} not in migration", def.name));
            let body = &sql[start..];
            let body = &body[body.find('(').unwrap() + 1..body.find("\n);").unwrap()];
            let mut cols = parse(body, "");
            // columns added later: `ALTER TABLE name` blocks of `ADD COLUMN IF NOT EXISTS …`
            for (start, _) in sql.match_indices(&format!("ALTER TABLE {}\n", def.name)) {
                let body = &sql[start..];
                cols.extend(parse(&body[..body.find(";").unwrap() + 1], "ADD COLUMN IF NOT EXISTS "));
            }
            let names: Vec<&str> = cols.iter().map(|(n, _)| n.as_str()).collect();
            let mut expected = vec!["fid", "geom"];
            expected.extend(def.columns.iter().map(|c| c.name));
            assert_eq!(names, expected, "{}", def.name);
            let geom = &cols[1].1;
            let wanted = match def.geom_type {
                GeomType::MultiPolygon => "geometry(MultiPolygon, 32632)",
                GeomType::Point => "geometry(Point, 32632)",
                GeomType::MultiLineString => "geometry(MultiLineString, 32632)",
            };
            assert!(geom.starts_with(wanted), "{}: {geom}", def.name);
            for (c, (_, decl)) in def.columns.iter().zip(&cols[2..]) {
                let ty = match c.kind {
                    Kind::Text => "text",
                    Kind::Int => "bigint",
                    Kind::Real => "double precision",
                    Kind::Date => "date",
                    Kind::Bool => "boolean",
                };
                assert!(decl.starts_with(ty), "{}.{}: {decl}", def.name, c.name);
                assert_eq!(!decl.contains("NOT NULL"), c.nullable, "{}.{}", def.name, c.name);
            }
        }
    }
}
