//! `navigli export --format mbtiles`: the archive holds, for every tile of the plan that has
//! features, exactly the gzip bytes the server answers for it; GDAL's MBTiles driver reads it;
//! a second run resumes (renders nothing again); restricted layers are not exported.

mod common;

use std::process::Command;

use common::server::{demo_server, write_config};

fn navigli(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_navigli")).args(args).output().expect("navigli");
    assert!(out.status.success(), "navigli {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A GET with `Accept-Encoding: gzip`: (status, body as sent).
fn gzip_get(port: u16, path: &str) -> (u16, Vec<u8>) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let body = if head.contains("transfer-encoding: chunked") { common::server::dechunk(&raw[split..]) } else { raw[split..].to_vec() };
    (head.split_whitespace().nth(1).unwrap().parse().unwrap(), body)
}

#[test]
fn an_mbtiles_export_holds_the_servers_tiles() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), common::demo_gpkg());
    let file = dir.path().join("milano-dbt.mbtiles");
    let config_arg = config.display().to_string();
    let file_arg = file.display().to_string();
    let first = navigli(&["export", "--config", &config_arg, "--tenant", "milano", "--source", "dbt", "--zooms", "13-14", &file_arg]);
    assert!(first.contains("kept from an earlier run") && first.contains(" 0 kept"), "{first}");
    let db = rusqlite::Connection::open(&file).unwrap();
    let n: i64 = db.query_row("SELECT count(*) FROM tiles", [], |r| r.get(0)).unwrap();
    assert!(n > 10, "{n} tiles");
    let format: String = db.query_row("SELECT value FROM metadata WHERE name = 'format'", [], |r| r.get(0)).unwrap();
    assert_eq!(format, "pbf");

    // Byte for byte what the server sends to a gzip client (TMS rows in the file).
    let (server, _sdir) = demo_server();
    let mut st = db
        .prepare("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles ORDER BY zoom_level, tile_column, tile_row LIMIT 12")
        .unwrap();
    let rows: Vec<(u32, u32, u32, Vec<u8>)> =
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))).unwrap().map(|r| r.unwrap()).collect();
    for (z, x, tms, data) in &rows {
        let y = (1u32 << z) - 1 - tms;
        let (status, body) = gzip_get(server.port, &format!("/milano/tiles/dbt/{z}/{x}/{y}.mvt"));
        assert_eq!(status, 200, "{z}/{x}/{y}");
        assert_eq!(&body, data, "tile {z}/{x}/{y} differs from the server's");
    }

    // GDAL reads it as vector tiles.
    let out = Command::new("ogrinfo").args(["-ro", "-so", "-oo", "ZOOM_LEVEL=14"]).arg(&file).output().expect("ogrinfo (gdal-bin)");
    let listing = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && listing.contains("edifici"), "{listing}{}", String::from_utf8_lossy(&out.stderr));

    // A second run keeps every stored tile and renders only the empty ones again.
    let second = navigli(&["export", "--config", &config_arg, "--tenant", "milano", "--source", "dbt", "--zooms", "13-14", &file_arg]);
    assert!(second.contains(&format!("{n} kept")), "{second}");
    assert!(second.contains(" 0 stored"), "{second}");

    // Restricted layers are never exported.
    let out = Command::new(env!("CARGO_BIN_EXE_navigli"))
        .args([
            "export",
            "--config",
            &config_arg,
            "--tenant",
            "milano",
            "--source",
            "servizi_sociali",
            "--zooms",
            "14",
            &dir.path().join("x.mbtiles").display().to_string(),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success(), "a restricted layer was exported");
}

/// `--format pmtiles`: a PMTiles v3 archive holding exactly the tiles of the MBTiles export,
/// byte for byte, as the protomaps reader (PyPI `pmtiles`) finds them by z/x/y; its header
/// says gzip MVT, clustered, the zooms and bounds.
#[test]
fn a_pmtiles_export_holds_the_same_tiles() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), common::demo_gpkg());
    let config_arg = config.display().to_string();
    let (mbtiles, pmtiles) = (dir.path().join("dbt.mbtiles"), dir.path().join("dbt.pmtiles"));
    for file in [&mbtiles, &pmtiles] {
        let format = if file == &pmtiles { "pmtiles" } else { "mbtiles" };
        let out = navigli(&[
            "export",
            "--config",
            &config_arg,
            "--tenant",
            "milano",
            "--source",
            "dbt",
            "--zooms",
            "12-15",
            "--format",
            format,
            &file.display().to_string(),
        ]);
        assert!(out.contains("tiles planned"), "{out}");
    }
    assert!(!dir.path().join("dbt.pmtiles-work.mbtiles").exists(), "the working file is removed");
    let db = rusqlite::Connection::open(&mbtiles).unwrap();
    let mut st = db.prepare("SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles").unwrap();
    let want: std::collections::BTreeMap<String, String> = st
        .query_map([], |r| Ok((r.get::<_, u32>(0)?, r.get::<_, u32>(1)?, r.get::<_, u32>(2)?, r.get::<_, Vec<u8>>(3)?)))
        .unwrap()
        .map(|r| r.unwrap())
        .map(|(z, x, tms, data)| {
            use sha2::Digest;
            (format!("{z}/{x}/{}", (1u32 << z) - 1 - tms), sha2::Sha256::digest(&data).iter().map(|b| format!("{b:02x}")).collect())
        })
        .collect();
    assert!(want.len() > 50, "{} tiles", want.len());
    let script = r#"
import hashlib, json, sys
from pmtiles.reader import Reader, MmapSource, all_tiles
with open(sys.argv[1], "rb") as f:
    get = MmapSource(f)
    r = Reader(get)
    tiles = {f"{z}/{x}/{y}": hashlib.sha256(data).hexdigest() for (z, x, y), data in all_tiles(get)}
    looked_up = {k: hashlib.sha256(r.get(*map(int, k.split("/")))).hexdigest() for k in tiles}
    h = r.header()
    print(json.dumps({"tiles": tiles, "looked_up": looked_up, "metadata": r.metadata(),
                      "header": {k: (v.value if hasattr(v, "value") else v) for k, v in h.items()}}))
"#;
    let out = Command::new(common::pyvenv("pmtiles")).args(["-c", script]).arg(&pmtiles).output().expect("python");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let seen: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let got: std::collections::BTreeMap<String, String> = serde_json::from_value(seen["tiles"].clone()).unwrap();
    assert_eq!(got, want, "the archive holds the MBTiles tiles");
    assert_eq!(seen["looked_up"], seen["tiles"], "every tile is found by z/x/y through the directories");
    let h = &seen["header"];
    assert_eq!((h["tile_type"].as_u64(), h["tile_compression"].as_u64(), h["clustered"].as_bool()), (Some(1), Some(2), Some(true)), "{h}");
    assert_eq!((h["min_zoom"].as_u64(), h["max_zoom"].as_u64()), (Some(12), Some(15)));
    assert!(h["addressed_tiles_count"].as_u64().unwrap() >= h["tile_contents_count"].as_u64().unwrap());
    assert!(seen["metadata"]["vector_layers"].as_array().is_some_and(|l| !l.is_empty()), "{}", seen["metadata"]);
}

/// `[[tile_archive]]`: a PMTiles and an MBTiles export served as tile sources answer every
/// tile byte for byte as the live source does (gzip), decompressed for clients without gzip,
/// 204 where the archive has no tile, 404 outside its zooms; TileJSON and the tile index list
/// them.
#[test]
fn tile_archives_are_served_like_the_live_source() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), common::demo_gpkg());
    let config_arg = config.display().to_string();
    for (file, format) in [("dbt.pmtiles", "pmtiles"), ("dbt.mbtiles", "mbtiles")] {
        let out = navigli(&[
            "export",
            "--config",
            &config_arg,
            "--tenant",
            "milano",
            "--source",
            "dbt",
            "--zooms",
            "13-14",
            "--format",
            format,
            &dir.path().join(file).display().to_string(),
        ]);
        assert!(out.contains("tiles planned"), "{out}");
    }
    let mut text = std::fs::read_to_string(&config).unwrap();
    for (name, file) in [("dbt_pm", "dbt.pmtiles"), ("dbt_mb", "dbt.mbtiles")] {
        text += &format!(
            "\n[[tile_archive]]\nname = \"{name}\"\npath = {:?}\ntitle = \"DBT {name}\"\ntenants = [\"milano\"]\n",
            dir.path().join(file).display().to_string()
        );
    }
    std::fs::write(&config, text).unwrap();
    let server = common::server::start(&config, &[]);
    let db = rusqlite::Connection::open(dir.path().join("dbt.mbtiles")).unwrap();
    let mut st =
        db.prepare("SELECT zoom_level, tile_column, tile_row FROM tiles ORDER BY zoom_level, tile_column, tile_row LIMIT 15").unwrap();
    let tiles: Vec<(u32, u32, u32)> = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).unwrap().map(|r| r.unwrap()).collect();
    assert!(tiles.len() >= 10);
    for (z, x, tms) in tiles {
        let y = (1u32 << z) - 1 - tms;
        let (status, live) = gzip_get(server.port, &format!("/milano/tiles/dbt/{z}/{x}/{y}.mvt"));
        assert_eq!(status, 200);
        for name in ["dbt_pm", "dbt_mb"] {
            let (status, body) = gzip_get(server.port, &format!("/milano/tiles/{name}/{z}/{x}/{y}.mvt"));
            assert_eq!((status, &body), (200, &live), "{name} {z}/{x}/{y}");
            let (status, head, plain) = common::server::get_bytes(&server, &format!("/milano/tiles/{name}/{z}/{x}/{y}.mvt"));
            assert_eq!(status, 200);
            assert!(head.contains("content-encoding: identity") && head.contains("etag:"), "{head}");
            let mut unzipped = Vec::new();
            use std::io::Read;
            flate2::read::GzDecoder::new(&live[..]).read_to_end(&mut unzipped).unwrap();
            assert_eq!(plain, unzipped, "{name}: the plain tile is the gzip one decompressed");
        }
    }
    // Outside the archive's zooms: 404; a tile it does not hold (the other side of the world): 204.
    assert_eq!(common::server::get(&server, "/milano/tiles/dbt_pm/15/0/0.mvt").0, 404);
    assert_eq!(common::server::get(&server, "/milano/tiles/dbt_pm/14/0/0.mvt").0, 204);
    assert_eq!(common::server::get(&server, "/milano/tiles/dbt_mb/14/0/0.mvt").0, 204);
    // Only the tenants it names offer it.
    assert_eq!(common::server::get(&server, "/cmm/tiles/dbt_pm/14/0/0.mvt").0, 404);
    let tilejson = common::server::json(&server, "/milano/tiles/dbt_pm.json");
    assert_eq!((tilejson["minzoom"].as_u64(), tilejson["maxzoom"].as_u64()), (Some(13), Some(14)));
    assert!(tilejson["vector_layers"].as_array().is_some_and(|l| !l.is_empty()), "{tilejson}");
    let index = common::server::json(&server, "/milano/tiles");
    let kinds: Vec<&str> =
        index["tiles"].as_array().unwrap().iter().filter(|t| t["kind"] == "archive").map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["dbt_pm", "dbt_mb"]);
}
