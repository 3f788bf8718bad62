//! Loads the dataset into PostGIS: one transaction that truncates the ten tables and fills them
//! with binary `COPY`, then `ANALYZE`.
//!
//! Binary COPY carries no type information, only each value's binary representation as the
//! server's receive function expects it. So geometries travel as `bytea`-encoded EWKB (with
//! SRID 32632) — exactly what PostGIS' `geometry_recv` reads — and dates as the 4-byte day
//! count since 2000-01-01 that `date_recv` reads.

use std::pin::pin;

use geozero::{CoordDimensions, ToWkb};
use tokio_postgres::binary_copy::BinaryCopyInWriter;
use tokio_postgres::types::{ToSql, Type};

use super::gpkg::SRID;
use super::schema::{quote_ident, Dataset, Kind, Val, TABLES};
use super::DemoError;

fn wire_type(kind: Kind) -> Type {
    match kind {
        Kind::Text => Type::TEXT,
        Kind::Int => Type::INT8,
        Kind::Real => Type::FLOAT8,
        Kind::Date => Type::INT4, // date_recv: int4 days since 2000-01-01
        Kind::Bool => Type::BOOL,
    }
}

/// A typed SQL NULL for double precision columns.
static NULL_REAL: Option<f64> = None;

fn as_sql(v: &Val) -> &(dyn ToSql + Sync) {
    match v {
        Val::Text(s) => s,
        Val::Int(i) => i,
        Val::Real(f) => f,
        Val::NullReal => &NULL_REAL,
        Val::Date(d) => d,
        Val::Bool(b) => b,
    }
}

/// Truncates the tables and copies `data` in (one transaction), then analyses them.
pub(crate) async fn load(client: &mut tokio_postgres::Client, data: &Dataset) -> Result<(), DemoError> {
    let tx = client.transaction().await?;
    let names: Vec<String> = TABLES.iter().map(|t| quote_ident(t.name)).collect();
    tx.batch_execute(&format!("TRUNCATE {}", names.join(", "))).await?;
    for table in &data.tables {
        let def = table.def;
        let mut columns = vec!["fid".to_string(), "geom".to_string()];
        columns.extend(def.columns.iter().map(|c| quote_ident(c.name)));
        let mut types = vec![Type::INT8, Type::BYTEA]; // geom: EWKB for geometry_recv
        types.extend(def.columns.iter().map(|c| wire_type(c.kind)));
        let sink = tx.copy_in(&format!("COPY {} ({}) FROM STDIN (FORMAT binary)", quote_ident(def.name), columns.join(", "))).await?;
        let mut writer = pin!(BinaryCopyInWriter::new(sink, &types));
        for row in &table.rows {
            let ewkb = row.geom.to_ewkb(CoordDimensions::xy(), Some(SRID))?;
            let mut values: Vec<&(dyn ToSql + Sync)> = Vec::with_capacity(types.len());
            values.push(&row.fid);
            values.push(&ewkb);
            values.extend(row.values.iter().map(as_sql));
            writer.as_mut().write(&values).await?;
        }
        writer.as_mut().finish().await?;
    }
    tx.commit().await?;
    client.batch_execute(&names.iter().map(|n| format!("ANALYZE {n};")).collect::<String>()).await?;
    Ok(())
}
