//! Keeps the tile cache true to the data: every source reports its changes (PostGIS through
//! the `NOTIFY` triggers of `migrations/`, GeoPackage by polling its `data_version`), and the
//! tiles of the layers on a changed table are evicted — only those meeting the changed box when
//! it is known, at every zoom and for every tenant — and their cached feature counts.

use std::sync::Arc;

use crate::catalog::Catalog;
use crate::crs::{transform_bbox, Bbox, Crs};
use crate::source::Change;

use super::TileService;

/// The layers a change touches, and the changed box in EPSG:3857 when known.
pub fn affected(catalog: &Catalog, change: &Change) -> (Vec<String>, Option<Bbox>) {
    let layers: Vec<String> = catalog.layers_of_change(change).iter().map(|l| l.name().to_string()).collect();
    let area = match change {
        Change::Table { bbox: Some((b, srid)), .. } => {
            u32::try_from(*srid).ok().and_then(Crs::from_srid).and_then(|crs| transform_bbox(crs, Crs::WEB_MERCATOR, b).ok())
        }
        // A box we cannot place evicts the layers everywhere.
        _ => None,
    };
    (layers, area)
}

/// Starts the sources' change feeds and the task that evicts tiles and passes every change on to
/// `also` (the place search's follower, when given); runs until the service is dropped.
pub fn spawn(catalog: Arc<Catalog>, tiles: Arc<TileService>, also: Option<crate::source::ChangeSink>) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    for source in &catalog.sources {
        source.watch(tx.clone());
    }
    drop(tx);
    let weak = Arc::downgrade(&tiles);
    drop(tiles);
    tokio::spawn(async move {
        // Ends when the tile service is gone (a reload replaced it), checked at least every
        // few seconds, so the old catalog and its sources are released.
        let mut check = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            let change = tokio::select! {
                c = rx.recv() => match c { Some(c) => c, None => break },
                _ = check.tick() => {
                    if weak.strong_count() == 0 { break }
                    continue;
                }
            };
            let Some(tiles) = weak.upgrade() else { break };
            evict(&catalog, &tiles, &change);
            if let Some(also) = &also {
                let _ = also.send(change);
            }
        }
    });
}

/// Evicts what the caches hold of a change: the tiles of the affected layers meeting the
/// changed box, and those layers' feature counts.
pub fn evict(catalog: &Catalog, tiles: &TileService, change: &Change) {
    let (layers, bbox) = affected(catalog, change);
    if layers.is_empty() {
        return;
    }
    tracing::info!(target: "navigli::tiles", ?layers, ?bbox, "data changed: evicting tiles and counts");
    for layer in catalog.layers.iter().filter(|l| layers.iter().any(|n| n == l.name())) {
        layer.counts.clear();
    }
    tiles.invalidate(layers, bbox);
}
