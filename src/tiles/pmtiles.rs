//! PMTiles version 3 archives (one file of tiles for object storage behind a CDN: clients read
//! byte ranges): written from an MBTiles file made by [`super::export`], so the tiles are the
//! server's gzip bytes. Layout: the 127-byte header, the root directory, the JSON metadata, the
//! leaf directories, the tile data — tiles in Hilbert tile-id order (`clustered`), identical
//! tiles stored once, consecutive identical tiles as one run; directories and metadata gzip
//! compressed; a root directory too large for the first 16 KiB is split into leaves.

use std::collections::HashMap;
use std::io::{Read, Seek, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

/// Bytes of the header.
pub const HEADER_BYTES: usize = 127;
/// The header and the root directory must fit in this many bytes (one range request).
const ROOT_BUDGET: usize = 16_384 - HEADER_BYTES;

/// The PMTiles tile id of z/x/y: the tiles of lower zooms first, then the position of x/y on
/// the zoom's Hilbert curve.
pub fn tile_id(z: u8, x: u32, y: u32) -> u64 {
    let below: u64 = (0..u32::from(z)).map(|t| 1u64 << (2 * t)).sum();
    let n: u64 = 1 << z;
    let (mut x, mut y) = (u64::from(x), u64::from(y));
    let mut d = 0u64;
    let mut s = n / 2;
    while s > 0 {
        let rx = u64::from(x & s > 0);
        let ry = u64::from(y & s > 0);
        d += s * s * ((3 * rx) ^ ry);
        // Rotate the quadrant so the curve continues where the last one ended.
        if ry == 0 {
            if rx == 1 {
                x = n - 1 - x;
                y = n - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    below + d
}

/// One directory entry: a run of `run_length` tiles from `tile_id` with the same bytes at
/// `offset` (tile data section), or a leaf directory (`run_length` 0, offset in the leaves).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    tile_id: u64,
    offset: u64,
    length: u32,
    run_length: u32,
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let _ = e.write_all(bytes);
    e.finish().unwrap_or_default()
}

/// A directory as the format writes it: counts and columns of varints (tile ids as deltas,
/// an offset as 0 when it follows the previous tile's bytes), gzip compressed.
fn directory(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::with_capacity(entries.len() * 6 + 8);
    varint(&mut out, entries.len() as u64);
    let mut last = 0;
    for e in entries {
        varint(&mut out, e.tile_id - last);
        last = e.tile_id;
    }
    for e in entries {
        varint(&mut out, u64::from(e.run_length));
    }
    for e in entries {
        varint(&mut out, u64::from(e.length));
    }
    for (i, e) in entries.iter().enumerate() {
        let follows = i > 0 && e.offset == entries[i - 1].offset + u64::from(entries[i - 1].length);
        varint(&mut out, if follows { 0 } else { e.offset + 1 });
    }
    gzip(&out)
}

/// The root directory and the leaf directories: all entries in the root when it fits, else
/// leaves of growing size until the root of their entries fits.
fn directories(entries: &[Entry]) -> (Vec<u8>, Vec<u8>) {
    let root = directory(entries);
    if root.len() <= ROOT_BUDGET {
        return (root, Vec::new());
    }
    let mut per_leaf = 4096usize;
    loop {
        let mut leaves = Vec::new();
        let mut root_entries = Vec::new();
        for chunk in entries.chunks(per_leaf) {
            let leaf = directory(chunk);
            root_entries.push(Entry { tile_id: chunk[0].tile_id, offset: leaves.len() as u64, length: leaf.len() as u32, run_length: 0 });
            leaves.extend(leaf);
        }
        let root = directory(&root_entries);
        if root.len() <= ROOT_BUDGET {
            return (root, leaves);
        }
        per_leaf *= 2;
    }
}

/// What a conversion wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PmtilesReport {
    /// Tiles addressed.
    pub addressed: u64,
    /// Directory entries (runs).
    pub entries: u64,
    /// Distinct tile contents stored.
    pub contents: u64,
    /// Size of the archive, bytes.
    pub bytes: u64,
}

fn db_error(e: rusqlite::Error) -> String {
    format!("MBTiles: {e}")
}

/// Writes the PMTiles archive `out` from the MBTiles file `mbtiles` (its gzip MVT tiles and
/// metadata). The archive is written beside `out` and renamed into place when complete.
pub fn from_mbtiles(mbtiles: &Path, out: &Path) -> Result<PmtilesReport, String> {
    let db = rusqlite::Connection::open_with_flags(mbtiles, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(db_error)?;
    let meta: HashMap<String, String> = {
        let mut st = db.prepare("SELECT name, value FROM metadata").map_err(db_error)?;
        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).map_err(db_error)?;
        rows.filter_map(Result::ok).collect()
    };
    // Every tile's id and row, in tile-id order (MBTiles rows count from the bottom).
    let mut order: Vec<(u64, i64, u8)> = {
        let mut st = db.prepare("SELECT rowid, zoom_level, tile_column, tile_row FROM tiles").map_err(db_error)?;
        let rows = st
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, u8>(1)?, r.get::<_, u32>(2)?, r.get::<_, u32>(3)?)))
            .map_err(db_error)?;
        rows.filter_map(Result::ok)
            .filter(|(_, z, x, row)| *z <= super::MAX_ZOOM && *x < (1u32 << z) && *row < (1u32 << z))
            .map(|(rowid, z, x, row)| (tile_id(z, x, (1u32 << z) - 1 - row), rowid, z))
            .collect()
    };
    order.sort_unstable();
    // Tile data to a scratch file, each distinct content once.
    let data_path = out.with_extension("pmtiles-data");
    let mut data = std::fs::File::create(&data_path).map_err(|e| format!("{}: {e}", data_path.display()))?;
    let mut seen: HashMap<[u8; 32], (u64, u32)> = HashMap::new();
    let mut entries: Vec<Entry> = Vec::new();
    let mut offset = 0u64;
    let mut read = db.prepare("SELECT tile_data FROM tiles WHERE rowid = ?1").map_err(db_error)?;
    for &(id, rowid, _) in &order {
        let bytes: Vec<u8> = read.query_row([rowid], |r| r.get(0)).map_err(db_error)?;
        let digest: [u8; 32] = Sha256::digest(&bytes).into();
        let (at, length) = match seen.get(&digest) {
            Some(&found) => found,
            None => {
                data.write_all(&bytes).map_err(|e| e.to_string())?;
                let placed = (offset, bytes.len() as u32);
                offset += bytes.len() as u64;
                seen.insert(digest, placed);
                placed
            }
        };
        match entries.last_mut() {
            Some(last) if last.offset == at && last.length == length && last.tile_id + u64::from(last.run_length) == id => {
                last.run_length += 1
            }
            _ => entries.push(Entry { tile_id: id, offset: at, length, run_length: 1 }),
        }
    }
    data.flush().map_err(|e| e.to_string())?;
    drop(data);

    let (root, leaves) = directories(&entries);
    let metadata = gzip(&metadata_json(&meta).to_string().into_bytes());
    let num = |k: &str| meta.get(k).and_then(|v| v.parse::<f64>().ok());
    let bounds: Vec<f64> = meta.get("bounds").map(|b| b.split(',').filter_map(|v| v.trim().parse().ok()).collect()).unwrap_or_default();
    let [min_lon, min_lat, max_lon, max_lat] = match bounds.as_slice() {
        [a, b, c, d] => [*a, *b, *c, *d],
        _ => [-180.0, -85.0, 180.0, 85.0],
    };
    let zooms = (order.iter().map(|t| t.2).min().unwrap_or(0), order.iter().map(|t| t.2).max().unwrap_or(0));
    let (min_zoom, max_zoom) = (num("minzoom").map_or(zooms.0, |z| z as u8), num("maxzoom").map_or(zooms.1, |z| z as u8));
    let e7 = |v: f64| (v * 1e7).round() as i32;

    let root_offset = HEADER_BYTES as u64;
    let metadata_offset = root_offset + root.len() as u64;
    let leaves_offset = metadata_offset + metadata.len() as u64;
    let data_offset = leaves_offset + leaves.len() as u64;
    let mut h = Vec::with_capacity(HEADER_BYTES);
    h.extend_from_slice(b"PMTiles");
    h.push(3);
    for v in [
        root_offset,
        root.len() as u64,
        metadata_offset,
        metadata.len() as u64,
        leaves_offset,
        leaves.len() as u64,
        data_offset,
        offset,
        order.len() as u64,
        entries.len() as u64,
        seen.len() as u64,
    ] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    // clustered, internal compression gzip, tile compression gzip, tile type MVT, zooms.
    h.extend_from_slice(&[1, 2, 2, 1, min_zoom, max_zoom]);
    for v in [e7(min_lon), e7(min_lat), e7(max_lon), e7(max_lat)] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    h.push(min_zoom);
    for v in [e7((min_lon + max_lon) / 2.0), e7((min_lat + max_lat) / 2.0)] {
        h.extend_from_slice(&v.to_le_bytes());
    }
    debug_assert_eq!(h.len(), HEADER_BYTES);

    let partial = out.with_extension("pmtiles-partial");
    let mut file = std::fs::File::create(&partial).map_err(|e| format!("{}: {e}", partial.display()))?;
    let io = |e: std::io::Error| e.to_string();
    file.write_all(&h).map_err(io)?;
    file.write_all(&root).map_err(io)?;
    file.write_all(&metadata).map_err(io)?;
    file.write_all(&leaves).map_err(io)?;
    let mut data = std::fs::File::open(&data_path).map_err(io)?;
    data.rewind().map_err(io)?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = data.read(&mut buf).map_err(io)?;
        if n == 0 {
            break;
        }
        file.write_all(&buf[..n]).map_err(io)?;
    }
    file.sync_all().map_err(io)?;
    drop(file);
    std::fs::rename(&partial, out).map_err(io)?;
    let _ = std::fs::remove_file(&data_path);
    Ok(PmtilesReport {
        addressed: order.len() as u64,
        entries: entries.len() as u64,
        contents: seen.len() as u64,
        bytes: data_offset + offset,
    })
}

/// The archive's JSON metadata from the MBTiles metadata: name, description, attribution,
/// version, and the `vector_layers` of its `json` entry.
fn metadata_json(meta: &HashMap<String, String>) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for k in ["name", "description", "attribution", "version", "type"] {
        if let Some(v) = meta.get(k) {
            out.insert(k.to_string(), serde_json::Value::String(v.clone()));
        }
    }
    if let Some(layers) =
        meta.get("json").and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok()).and_then(|j| j.get("vector_layers").cloned())
    {
        out.insert("vector_layers".to_string(), layers);
    }
    serde_json::Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_ids_follow_the_zooms_and_the_hilbert_curve() {
        assert_eq!(tile_id(0, 0, 0), 0);
        // Zoom 1 in curve order: (0,0), (0,1), (1,1), (1,0).
        assert_eq!([tile_id(1, 0, 0), tile_id(1, 0, 1), tile_id(1, 1, 1), tile_id(1, 1, 0)], [1, 2, 3, 4]);
        assert_eq!(tile_id(2, 0, 0), 5);
        // Every id of a zoom is used once.
        let mut ids: Vec<u64> = (0..8).flat_map(|x| (0..8).map(move |y| tile_id(3, x, y))).collect();
        ids.sort_unstable();
        assert_eq!(ids, (21..85).collect::<Vec<_>>());
    }

    #[test]
    fn directories_split_into_leaves_when_the_root_is_too_large() {
        let entries: Vec<Entry> = (0..200_000u64)
            .map(|i| Entry { tile_id: i * 3, offset: i * 1000 + (i % 7) * 13, length: 900 + (i % 50) as u32, run_length: 1 })
            .collect();
        let (root, leaves) = directories(&entries);
        assert!(root.len() <= ROOT_BUDGET && !leaves.is_empty());
        let (root, leaves) = directories(&entries[..10]);
        assert!(root.len() < 200 && leaves.is_empty());
    }
}
