//! Static tile archives served as tile sources (`[[tile_archive]]`): PMTiles v3 (the header,
//! the root directory kept in memory, leaf directories read when needed and kept in a small
//! cache, tiles read with positioned reads, so many requests share one file handle) and
//! MBTiles (read-only SQLite). The format is told by the file's first bytes. Tiles come out as
//! stored, with whether they are gzip-compressed.

use std::collections::HashMap;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Mutex;

use crate::crs::Bbox;

/// What an archive says of itself.
#[derive(Clone, Debug, PartialEq)]
pub struct ArchiveInfo {
    /// Lowest zoom.
    pub min_zoom: u8,
    /// Highest zoom.
    pub max_zoom: u8,
    /// Extent, lon/lat.
    pub bounds: Bbox,
    /// The TileJSON `vector_layers`, when the archive has them.
    pub vector_layers: serde_json::Value,
}

/// A tile as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredTile {
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// They are gzip-compressed.
    pub gzip: bool,
}

/// An open archive.
pub enum TileArchive {
    /// PMTiles v3.
    Pmtiles(Pmtiles),
    /// MBTiles.
    Mbtiles(Mutex<rusqlite::Connection>),
}

impl std::fmt::Debug for TileArchive {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TileArchive::Pmtiles(_) => "TileArchive::Pmtiles",
            TileArchive::Mbtiles(_) => "TileArchive::Mbtiles",
        })
    }
}

/// Leaf directories read so far, by (offset, length).
type LeafCache = HashMap<(u64, u64), std::sync::Arc<Vec<Entry>>>;

/// An open PMTiles archive.
pub struct Pmtiles {
    file: std::fs::File,
    header: Header,
    root: Vec<Entry>,
    leaves: Mutex<LeafCache>,
    metadata: serde_json::Value,
}

#[derive(Clone, Copy, Debug)]
struct Header {
    leaves_offset: u64,
    data_offset: u64,
    internal_compression: u8,
    tile_compression: u8,
    min_zoom: u8,
    max_zoom: u8,
    bounds: [f64; 4],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Entry {
    tile_id: u64,
    offset: u64,
    length: u64,
    run_length: u64,
}

/// Most leaf directories kept in memory.
const LEAF_CACHE: usize = 256;
/// Largest directory or tile read, bytes (a damaged header must not make us allocate wildly).
const MAX_READ: u64 = 64 << 20;

fn read_at(file: &std::fs::File, offset: u64, length: u64) -> Result<Vec<u8>, String> {
    if length > MAX_READ {
        return Err(format!("archive asks for {length} bytes at once"));
    }
    let mut buf = vec![0u8; length as usize];
    file.read_exact_at(&mut buf, offset).map_err(|e| format!("archive read: {e}"))?;
    Ok(buf)
}

fn decompress(bytes: Vec<u8>, compression: u8) -> Result<Vec<u8>, String> {
    match compression {
        0 | 1 => Ok(bytes),
        2 => {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&bytes[..]).take(MAX_READ).read_to_end(&mut out).map_err(|e| format!("archive gzip: {e}"))?;
            Ok(out)
        }
        other => Err(format!("archive compression {other} is not supported (gzip or none)")),
    }
}

fn varint(bytes: &[u8], at: &mut usize) -> Result<u64, String> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at).ok_or("directory ends early")?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err("varint too long".into())
}

/// Reads a (decompressed) directory.
fn parse_directory(bytes: &[u8]) -> Result<Vec<Entry>, String> {
    let mut at = 0;
    let n = varint(bytes, &mut at)? as usize;
    if n > bytes.len() {
        return Err("directory claims more entries than it has bytes".into());
    }
    let mut entries = vec![Entry { tile_id: 0, offset: 0, length: 0, run_length: 0 }; n];
    let mut last = 0u64;
    for e in entries.iter_mut() {
        last = last.checked_add(varint(bytes, &mut at)?).ok_or("tile id overflow")?;
        e.tile_id = last;
    }
    for e in entries.iter_mut() {
        e.run_length = varint(bytes, &mut at)?;
    }
    for e in entries.iter_mut() {
        e.length = varint(bytes, &mut at)?;
    }
    for i in 0..n {
        let v = varint(bytes, &mut at)?;
        entries[i].offset = if v == 0 && i > 0 { entries[i - 1].offset + entries[i - 1].length } else { v.saturating_sub(1) };
    }
    Ok(entries)
}

/// The entry holding `id`: the last one starting at or before it, if its run (or leaf) covers it.
fn find(entries: &[Entry], id: u64) -> Option<Entry> {
    let i = entries.partition_point(|e| e.tile_id <= id).checked_sub(1)?;
    let e = entries[i];
    (e.run_length == 0 || id < e.tile_id + e.run_length).then_some(e)
}

impl Pmtiles {
    fn open(file: std::fs::File) -> Result<Pmtiles, String> {
        let h = read_at(&file, 0, 127)?;
        if &h[0..7] != b"PMTiles" || h[7] != 3 {
            return Err("not a PMTiles version 3 archive".into());
        }
        let u64_at = |i: usize| u64::from_le_bytes(h[i..i + 8].try_into().unwrap_or([0; 8]));
        let i32_at = |i: usize| f64::from(i32::from_le_bytes(h[i..i + 4].try_into().unwrap_or([0; 4]))) / 1e7;
        let header = Header {
            leaves_offset: u64_at(40),
            data_offset: u64_at(56),
            internal_compression: h[97],
            tile_compression: h[98],
            min_zoom: h[100],
            max_zoom: h[101],
            bounds: [i32_at(102), i32_at(106), i32_at(110), i32_at(114)],
        };
        if h[99] != 1 {
            return Err(format!("tile type {} is not MVT", h[99]));
        }
        let root = parse_directory(&decompress(read_at(&file, u64_at(8), u64_at(16))?, header.internal_compression)?)?;
        let metadata = decompress(read_at(&file, u64_at(24), u64_at(32))?, header.internal_compression)?;
        let metadata = serde_json::from_slice(&metadata).unwrap_or(serde_json::Value::Null);
        Ok(Pmtiles { file, header, root, leaves: Mutex::new(HashMap::new()), metadata })
    }

    fn leaf(&self, offset: u64, length: u64) -> Result<std::sync::Arc<Vec<Entry>>, String> {
        if let Some(found) = self.leaves.lock().map_err(|_| "leaf cache poisoned")?.get(&(offset, length)) {
            return Ok(found.clone());
        }
        let bytes = read_at(&self.file, self.header.leaves_offset + offset, length)?;
        let entries = std::sync::Arc::new(parse_directory(&decompress(bytes, self.header.internal_compression)?)?);
        let mut cache = self.leaves.lock().map_err(|_| "leaf cache poisoned")?;
        if cache.len() >= LEAF_CACHE {
            cache.clear();
        }
        cache.insert((offset, length), entries.clone());
        Ok(entries)
    }

    fn get(&self, z: u8, x: u32, y: u32) -> Result<Option<StoredTile>, String> {
        let id = super::pmtiles::tile_id(z, x, y);
        let mut dir = std::sync::Arc::new(self.root.clone());
        for _ in 0..4 {
            let Some(e) = find(&dir, id) else { return Ok(None) };
            if e.run_length > 0 {
                let bytes = read_at(&self.file, self.header.data_offset + e.offset, e.length)?;
                return Ok(Some(StoredTile { bytes, gzip: self.header.tile_compression == 2 }));
            }
            dir = self.leaf(e.offset, e.length)?;
        }
        Err("directories nested deeper than 4".into())
    }
}

impl TileArchive {
    /// Opens `path` (PMTiles by its magic bytes, else MBTiles).
    pub fn open(path: &Path) -> Result<TileArchive, String> {
        let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut magic = [0u8; 7];
        let _ = file.read_exact_at(&mut magic, 0);
        if &magic == b"PMTiles" {
            return Pmtiles::open(file).map(TileArchive::Pmtiles).map_err(|e| format!("{}: {e}", path.display()));
        }
        let conn = rusqlite::Connection::open_with_flags(
            path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| format!("{}: {e}", path.display()))?;
        conn.query_row("SELECT count(*) FROM tiles LIMIT 1", [], |r| r.get::<_, i64>(0))
            .map_err(|e| format!("{}: neither PMTiles nor MBTiles ({e})", path.display()))?;
        Ok(TileArchive::Mbtiles(Mutex::new(conn)))
    }

    /// Zooms, bounds and layers.
    pub fn info(&self) -> ArchiveInfo {
        match self {
            TileArchive::Pmtiles(p) => {
                let [a, b, c, d] = p.header.bounds;
                ArchiveInfo {
                    min_zoom: p.header.min_zoom,
                    max_zoom: p.header.max_zoom,
                    bounds: Bbox { min_x: a, min_y: b, max_x: c, max_y: d },
                    vector_layers: p.metadata.get("vector_layers").cloned().unwrap_or(serde_json::json!([])),
                }
            }
            TileArchive::Mbtiles(conn) => {
                let meta: HashMap<String, String> = conn
                    .lock()
                    .ok()
                    .and_then(|c| {
                        let mut st = c.prepare("SELECT name, value FROM metadata").ok()?;
                        let rows = st.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))).ok()?;
                        Some(rows.filter_map(Result::ok).collect())
                    })
                    .unwrap_or_default();
                let zoom = |k: &str, d: u8| meta.get(k).and_then(|v| v.parse().ok()).unwrap_or(d);
                let b: Vec<f64> =
                    meta.get("bounds").map(|b| b.split(',').filter_map(|v| v.trim().parse().ok()).collect()).unwrap_or_default();
                let bounds = match b.as_slice() {
                    [a, b, c, d] => Bbox { min_x: *a, min_y: *b, max_x: *c, max_y: *d },
                    _ => Bbox { min_x: -180.0, min_y: -85.0, max_x: 180.0, max_y: 85.0 },
                };
                let layers = meta
                    .get("json")
                    .and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
                    .and_then(|j| j.get("vector_layers").cloned())
                    .unwrap_or(serde_json::json!([]));
                ArchiveInfo { min_zoom: zoom("minzoom", 0), max_zoom: zoom("maxzoom", super::MAX_ZOOM), bounds, vector_layers: layers }
            }
        }
    }

    /// The tile z/x/y as stored (`None`: not in the archive, an empty tile).
    pub fn get(&self, z: u8, x: u32, y: u32) -> Result<Option<StoredTile>, String> {
        match self {
            TileArchive::Pmtiles(p) => p.get(z, x, y),
            TileArchive::Mbtiles(conn) => {
                let conn = conn.lock().map_err(|_| "archive poisoned".to_string())?;
                let row = (1u32 << z) - 1 - y;
                let found = conn.query_row(
                    "SELECT tile_data FROM tiles WHERE zoom_level = ?1 AND tile_column = ?2 AND tile_row = ?3",
                    rusqlite::params![z, x, row],
                    |r| r.get::<_, Vec<u8>>(0),
                );
                match found {
                    Ok(bytes) => {
                        let gzip = bytes.starts_with(&[0x1f, 0x8b]);
                        Ok(Some(StoredTile { bytes, gzip }))
                    }
                    Err(rusqlite::Error::QueryReturnedNoRows) => Ok(None),
                    Err(e) => Err(format!("MBTiles: {e}")),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_round_trip_and_runs_are_found() {
        // A directory as the writer lays it out: ids 5, 6 (run of 3), a leaf at 20.
        let mut raw = Vec::new();
        for v in [3u64, 5, 1, 14, 1, 3, 0, 10, 20, 7, 0, 0, 5] {
            let mut v = v;
            while v >= 0x80 {
                raw.push((v as u8) | 0x80);
                v >>= 7;
            }
            raw.push(v as u8);
        }
        let entries = parse_directory(&raw).unwrap();
        assert_eq!(entries[0], Entry { tile_id: 5, offset: 0, length: 10, run_length: 1 });
        assert_eq!(entries[1], Entry { tile_id: 6, offset: 10, length: 20, run_length: 3 });
        assert_eq!(entries[2], Entry { tile_id: 20, offset: 4, length: 7, run_length: 0 });
        assert_eq!(find(&entries, 8).map(|e| e.tile_id), Some(6));
        assert_eq!(find(&entries, 9), None, "past the run");
        assert_eq!(find(&entries, 4), None);
        assert_eq!(find(&entries, 99).map(|e| e.run_length), Some(0), "a leaf covers what follows");
        assert!(parse_directory(&[0xff, 0xff]).is_err());
    }
}
