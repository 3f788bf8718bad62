//! `navigli export --format mbtiles`: the tiles of a source over a tenant's extent, rendered
//! in-process by the same [`TileService`] the server answers with and stored as the server's
//! gzip bytes (byte for byte what a client sending `Accept-Encoding: gzip` receives), in an
//! MBTiles 1.3 file for a CDN or an object store. Only what an anonymous caller may see is
//! exported. Parallel, with a progress bar, and resumable: tiles already in the file are kept
//! and not rendered again.

use std::collections::HashSet;
use std::path::PathBuf;
use std::time::Instant;

use futures_util::StreamExt;

use super::{resolve_source, zoom_range, TileService};
use crate::catalog::{Caller, Catalog};

/// What to export.
#[derive(Clone, Debug)]
pub struct ExportPlan {
    /// Tenant (`cmm`, an ISTAT code or a slug).
    pub tenant: String,
    /// Tile source: a layer, a group or a comma list.
    pub source: String,
    /// Zooms, inclusive (clipped to the source's range).
    pub zooms: (u8, u8),
    /// Tiles rendered at once.
    pub concurrency: usize,
    /// The MBTiles file (created, or resumed when it exists).
    pub file: PathBuf,
}

/// What an export did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ExportReport {
    /// Tiles of the plan.
    pub planned: u64,
    /// Already in the file (a resumed export).
    pub kept: u64,
    /// Rendered and stored.
    pub stored: u64,
    /// Rendered empty (not stored: readers treat a missing tile as empty).
    pub empty: u64,
    /// Bytes stored (gzip).
    pub bytes: u64,
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS metadata (name TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);
CREATE UNIQUE INDEX IF NOT EXISTS tile_index ON tiles (zoom_level, tile_column, tile_row);";

/// Tiles stored per transaction (what a crash may cost a resumed export).
const BATCH: usize = 256;

fn db_error(e: rusqlite::Error) -> String {
    format!("MBTiles: {e}")
}

/// Runs the plan over `catalog`.
pub async fn export(catalog: &Catalog, plan: &ExportPlan) -> Result<ExportReport, String> {
    let tenant = catalog.tenant(&plan.tenant).ok_or_else(|| format!("no tenant '{}'", plan.tenant))?;
    let caller = Caller::Anonymous;
    let layers = resolve_source(catalog, tenant, &caller, &plan.source).map_err(|e| e.to_string())?;
    let (min, max) = zoom_range(&layers);
    let zooms = (plan.zooms.0.max(min), plan.zooms.1.min(max));
    if zooms.0 > zooms.1 {
        return Err(format!("zooms {}-{} are outside the source's {min}-{max}", plan.zooms.0, plan.zooms.1));
    }
    let bounds = tenant.extent_lonlat;
    let mut db = rusqlite::Connection::open(&plan.file).map_err(db_error)?;
    db.execute_batch(SCHEMA).map_err(db_error)?;
    let vector_layers: Vec<serde_json::Value> = layers.iter().map(|l| super::vector_layer(l)).collect();
    let metadata = [
        ("name", format!("{} — {}", tenant.title, plan.source)),
        ("format", "pbf".to_string()),
        ("type", "overlay".to_string()),
        ("version", env!("CARGO_PKG_VERSION").to_string()),
        ("description", layers.iter().map(|l| l.config.title.as_str()).collect::<Vec<_>>().join(", ")),
        ("attribution", catalog.server.attribution.clone()),
        ("bounds", format!("{},{},{},{}", bounds.min_x, bounds.min_y, bounds.max_x, bounds.max_y)),
        ("center", format!("{},{},{}", (bounds.min_x + bounds.max_x) / 2.0, (bounds.min_y + bounds.max_y) / 2.0, zooms.0)),
        ("minzoom", zooms.0.to_string()),
        ("maxzoom", zooms.1.to_string()),
        ("json", serde_json::json!({ "vector_layers": vector_layers }).to_string()),
    ];
    // Resuming is for the same export: a file of another source or tenant is refused.
    let existing: Option<String> = db.query_row("SELECT value FROM metadata WHERE name = 'name'", [], |r| r.get(0)).ok();
    if let Some(name) = existing.filter(|n| *n != metadata[0].1) {
        return Err(format!("{} holds '{name}', not '{}': export into a new file", plan.file.display(), metadata[0].1));
    }
    for (name, value) in &metadata {
        db.execute("INSERT OR REPLACE INTO metadata (name, value) VALUES (?1, ?2)", (name, value)).map_err(db_error)?;
    }
    let present: HashSet<(u8, u32, u32)> = {
        let mut st = db.prepare("SELECT zoom_level, tile_column, tile_row FROM tiles").map_err(db_error)?;
        let rows = st.query_map([], |r| Ok((r.get::<_, u8>(0)?, r.get::<_, u32>(1)?, r.get::<_, u32>(2)?))).map_err(db_error)?;
        // Rows outside the grid (a foreign or damaged file) are ignored, not trusted.
        rows.filter_map(Result::ok)
            .filter(|(z, x, tms)| *z <= super::MAX_ZOOM && *x < (1u32 << z) && *tms < (1u32 << z))
            .map(|(z, x, tms)| (z, x, (1u32 << z) - 1 - tms))
            .collect()
    };
    let all: Vec<(u8, u32, u32)> = super::seed::tiles(&bounds, zooms).collect();
    let mut report = ExportReport { planned: all.len() as u64, ..Default::default() };
    let todo: Vec<(u8, u32, u32)> = all.into_iter().filter(|t| !present.contains(t)).collect();
    report.kept = report.planned - todo.len() as u64;

    let bar = indicatif::ProgressBar::new(report.planned);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} [{bar:40}] {pos}/{len} tiles, {per_sec}, eta {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(format!("{}/{} z{}-{}", plan.tenant, plan.source, zooms.0, zooms.1));
    bar.inc(report.kept);
    let started = Instant::now();
    let tiles = TileService::new(catalog);
    let (tiles, layers) = (&tiles, &layers);
    let rendered = futures_util::stream::iter(todo)
        .map(|(z, x, y)| async move { tiles.tile(tenant, layers, z, x, y).await.map(|(t, _)| ((z, x, y), t)) })
        .buffer_unordered(plan.concurrency.clamp(1, 64));
    futures_util::pin_mut!(rendered);
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(result) = rendered.next().await {
        let ((z, x, y), tile) = result.map_err(|e| e.to_string())?;
        bar.inc(1);
        if tile.is_empty() {
            report.empty += 1;
            continue;
        }
        report.bytes += tile.gzip.len() as u64;
        report.stored += 1;
        batch.push((z, x, (1u32 << z) - 1 - y, tile));
        if batch.len() >= BATCH {
            write(&mut db, &mut batch)?;
        }
    }
    write(&mut db, &mut batch)?;
    bar.finish_with_message(format!("done in {:.1} s", started.elapsed().as_secs_f64()));
    Ok(report)
}

fn write(db: &mut rusqlite::Connection, batch: &mut Vec<(u8, u32, u32, std::sync::Arc<super::CachedTile>)>) -> Result<(), String> {
    let tx = db.transaction().map_err(db_error)?;
    {
        let mut st = tx
            .prepare_cached("INSERT OR REPLACE INTO tiles (zoom_level, tile_column, tile_row, tile_data) VALUES (?1, ?2, ?3, ?4)")
            .map_err(db_error)?;
        for (z, x, row, tile) in batch.iter() {
            st.execute((z, x, row, &tile.gzip[..])).map_err(db_error)?;
        }
    }
    tx.commit().map_err(db_error)?;
    batch.clear();
    Ok(())
}
