//! Writes the dataset as a GeoPackage 1.2 (rusqlite): the core tables, one feature table per
//! layer, an R-tree spatial index per table (`rtree_<table>_geom`, registered as the
//! `gpkg_rtree_index` extension) filled from the geometries. The file is meant to be served
//! read-only, so the R-tree maintenance triggers are not created.

use std::path::Path;

use geo::BoundingRect;
use geozero::{CoordDimensions, ToWkb};
use rusqlite::types::{Null, ToSqlOutput};
use rusqlite::{params, Connection, ToSql};

use super::schema::{format_date, quote_ident, Dataset, Kind, Val};
use super::DemoError;
use crate::crs::Bbox;
use crate::source::gpkg::gpkg_blob;

/// The SRS of every demo table.
pub(crate) const SRID: i32 = 32632;

/// The projected SRS a GeoPackage's tables are stored in: a WGS 84 / UTM north zone.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Srs {
    /// EPSG code (`326zz`).
    pub srid: i32,
    /// Its name, `WGS 84 / UTM zone 32N`.
    pub name: String,
    /// Its OGC WKT 1 definition.
    pub wkt: String,
}

impl Srs {
    /// WGS 84 / UTM zone `zone`N (EPSG:326zz).
    pub fn utm_north(zone: u32) -> Srs {
        let name = format!("WGS 84 / UTM zone {zone}N");
        let srid = 32600 + zone as i32;
        let meridian = zone as i32 * 6 - 183;
        let wkt = format!(
            r#"PROJCS["{name}",GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4326"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",{meridian}],PARAMETER["scale_factor",0.9996],PARAMETER["false_easting",500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AXIS["Easting",EAST],AXIS["Northing",NORTH],AUTHORITY["EPSG","{srid}"]]"#
        );
        Srs { srid, name, wkt }
    }
}

const WKT_4326: &str = r#"GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]"#;

const CORE: &str = r#"
PRAGMA application_id = 1196444487;
PRAGMA user_version = 10200;
CREATE TABLE gpkg_spatial_ref_sys (
    srs_name TEXT NOT NULL,
    srs_id INTEGER PRIMARY KEY,
    organization TEXT NOT NULL,
    organization_coordsys_id INTEGER NOT NULL,
    definition TEXT NOT NULL,
    description TEXT
);
CREATE TABLE gpkg_contents (
    table_name TEXT NOT NULL PRIMARY KEY,
    data_type TEXT NOT NULL,
    identifier TEXT UNIQUE,
    description TEXT DEFAULT '',
    last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    min_x DOUBLE,
    min_y DOUBLE,
    max_x DOUBLE,
    max_y DOUBLE,
    srs_id INTEGER,
    CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id)
);
CREATE TABLE gpkg_geometry_columns (
    table_name TEXT NOT NULL,
    column_name TEXT NOT NULL,
    geometry_type_name TEXT NOT NULL,
    srs_id INTEGER NOT NULL,
    z TINYINT NOT NULL,
    m TINYINT NOT NULL,
    CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
    CONSTRAINT uk_gc_table_name UNIQUE (table_name),
    CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
    CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
);
CREATE TABLE gpkg_extensions (
    table_name TEXT,
    column_name TEXT,
    extension_name TEXT NOT NULL,
    definition TEXT NOT NULL,
    scope TEXT NOT NULL,
    CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name)
);
"#;

impl ToSql for Val {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Val::Text(Some(s)) => ToSqlOutput::from(s.as_ref()),
            Val::Int(Some(i)) => ToSqlOutput::from(*i),
            Val::Real(f) => ToSqlOutput::from(*f),
            Val::Date(Some(d)) => ToSqlOutput::from(format_date(*d)),
            Val::Bool(b) => ToSqlOutput::from(*b as i64),
            Val::Text(None) | Val::Int(None) | Val::Date(None) | Val::NullReal => ToSqlOutput::from(Null),
        })
    }
}

fn sql_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "TEXT",
        Kind::Int => "INTEGER",
        Kind::Real => "REAL",
        Kind::Date => "DATE",
        Kind::Bool => "BOOLEAN",
    }
}

/// Writes `data` as a new GeoPackage at `path` (which must not exist), its geometries in `srs`.
pub(crate) fn write(path: &Path, data: &Dataset, srs: &Srs) -> Result<(), DemoError> {
    let mut conn = Connection::open(path)?;
    conn.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA page_size = 4096;")?;
    let tx = conn.transaction()?;
    tx.execute_batch(CORE)?;
    {
        let mut insert = tx.prepare("INSERT INTO gpkg_spatial_ref_sys (srs_name, srs_id, organization, organization_coordsys_id, definition, description) VALUES (?1, ?2, ?3, ?4, ?5, ?6)")?;
        insert.execute(params![
            "Undefined cartesian SRS",
            -1,
            "NONE",
            -1,
            "undefined",
            "undefined cartesian coordinate reference system"
        ])?;
        insert.execute(params![
            "Undefined geographic SRS",
            0,
            "NONE",
            0,
            "undefined",
            "undefined geographic coordinate reference system"
        ])?;
        insert.execute(params![
            "WGS 84 geodetic",
            4326,
            "EPSG",
            4326,
            WKT_4326,
            "longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid"
        ])?;
        let description = format!("{} (EPSG:{})", srs.name, srs.srid);
        insert.execute(params![srs.name, srs.srid, "EPSG", srs.srid, srs.wkt, description])?;
    }
    for table in &data.tables {
        let def = table.def;
        let name = quote_ident(def.name);
        let rtree = quote_ident(&format!("rtree_{}_geom", def.name));
        let mut columns = vec!["fid INTEGER PRIMARY KEY NOT NULL".to_string(), format!("geom {} NOT NULL", def.geom_type.gpkg_name())];
        columns.extend(
            def.columns
                .iter()
                .map(|c| format!("{} {}{}", quote_ident(c.name), sql_type(c.kind), if c.nullable { "" } else { " NOT NULL" })),
        );
        tx.execute_batch(&format!(
            "CREATE TABLE {name} ({}); CREATE VIRTUAL TABLE {rtree} USING rtree(id, minx, maxx, miny, maxy);",
            columns.join(", ")
        ))?;
        let names: Vec<String> =
            ["fid".to_string(), "geom".to_string()].into_iter().chain(def.columns.iter().map(|c| quote_ident(c.name))).collect();
        let marks: Vec<String> = (1..=names.len()).map(|i| format!("?{i}")).collect();
        let mut insert = tx.prepare(&format!("INSERT INTO {name} ({}) VALUES ({})", names.join(", "), marks.join(", ")))?;
        let mut index = tx.prepare(&format!("INSERT INTO {rtree} (id, minx, maxx, miny, maxy) VALUES (?1, ?2, ?3, ?4, ?5)"))?;
        let mut extent: Option<Bbox> = None;
        for row in &table.rows {
            let rect = row.geom.bounding_rect().ok_or_else(|| DemoError::Input(format!("{} {}: empty geometry", def.name, row.fid)))?;
            let bbox = Bbox { min_x: rect.min().x, min_y: rect.min().y, max_x: rect.max().x, max_y: rect.max().y };
            extent = Some(extent.map_or(bbox, |e| e.union(&bbox)));
            let wkb = row.geom.to_wkb(CoordDimensions::xy())?;
            let blob = gpkg_blob(srs.srid, &wkb, Some(&bbox));
            let mut values: Vec<&dyn ToSql> = Vec::with_capacity(names.len());
            values.push(&row.fid);
            values.push(&blob);
            values.extend(row.values.iter().map(|v| v as &dyn ToSql));
            insert.execute(values.as_slice())?;
            index.execute(params![row.fid, bbox.min_x, bbox.max_x, bbox.min_y, bbox.max_y])?;
        }
        let e = extent.map(|e| [e.min_x, e.min_y, e.max_x, e.max_y]);
        tx.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id) VALUES (?1, 'features', ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![def.name, def.name, def.title, e.map(|e| e[0]), e.map(|e| e[1]), e.map(|e| e[2]), e.map(|e| e[3]), srs.srid],
        )?;
        tx.execute(
            "INSERT INTO gpkg_geometry_columns (table_name, column_name, geometry_type_name, srs_id, z, m) VALUES (?1, 'geom', ?2, ?3, 0, 0)",
            params![def.name, def.geom_type.gpkg_name(), srs.srid],
        )?;
        tx.execute(
            "INSERT INTO gpkg_extensions (table_name, column_name, extension_name, definition, scope) VALUES (?1, 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only')",
            params![def.name],
        )?;
    }
    // A building's planes are looked up by its id (the roof check, the roof report): indexed,
    // as in PostGIS (V1). (No `cod_istat` index: SQLite would prefer it to the R-tree for a big
    // comune's map requests.)
    if data.tables.iter().any(|t| t.def.name == "falde") {
        tx.execute_batch("CREATE INDEX falde_edificio_idx ON falde (edificio_fid);")?;
    }
    tx.commit()?;
    conn.execute_batch("ANALYZE;")?;
    conn.close().map_err(|(_, e)| e)?;
    Ok(())
}
