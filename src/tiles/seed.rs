//! `navigli seed`: warms a running server's tile cache (and any HTTP cache in front of it) by
//! requesting every tile of a source over a tenant's extent for a range of zooms, with a
//! progress bar. It speaks plain HTTP/1.1 to the server's URL: the cache lives in the server
//! process, so seeding goes through the front door like any client.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::tile_range;
use crate::crs::Bbox;

/// What to seed.
#[derive(Clone, Debug)]
pub struct SeedPlan {
    /// Server base URL, `http://host:port` (plain HTTP).
    pub base_url: String,
    /// Tenant (ISTAT code or slug).
    pub tenant: String,
    /// Tile source (layer, group or comma list).
    pub source: String,
    /// Zooms, inclusive.
    pub zooms: (u8, u8),
    /// Requests in flight.
    pub concurrency: usize,
}

/// What seeding did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SeedReport {
    /// Tiles requested.
    pub requested: u64,
    /// Answered with a tile (200).
    pub tiles: u64,
    /// Answered empty (204).
    pub empty: u64,
    /// Failed (other status or no answer).
    pub failed: u64,
    /// Bytes received (gzip).
    pub bytes: u64,
}

/// Parses `a-b` or `a` into a zoom range.
pub fn parse_zooms(s: &str) -> Result<(u8, u8), String> {
    let (a, b) = s.split_once('-').unwrap_or((s, s));
    let z = |t: &str| t.trim().parse::<u8>().ok().filter(|z| *z <= super::MAX_ZOOM);
    match (z(a), z(b)) {
        (Some(a), Some(b)) if a <= b => Ok((a, b)),
        _ => Err(format!("zooms '{s}': expected a-b with 0 ≤ a ≤ b ≤ {}", super::MAX_ZOOM)),
    }
}

/// `host:port` and path prefix of a plain-HTTP base URL.
fn split_url(base: &str) -> Result<(String, String), String> {
    let rest = base.strip_prefix("http://").ok_or_else(|| format!("'{base}': only http:// URLs can be seeded"))?;
    let (host, path) = rest.split_once('/').map_or((rest, ""), |(h, p)| (h, p));
    let host = if host.contains(':') { host.to_string() } else { format!("{host}:80") };
    Ok((host, format!("/{}", path.trim_end_matches('/')).trim_end_matches('/').to_string()))
}

/// One GET (tiles gzip-encoded, as browsers ask); returns status, head and body. Plain
/// HTTP/1.1 with `Connection: close`.
async fn get(host: &str, path: &str, gzip: bool) -> std::io::Result<(u16, String, Vec<u8>)> {
    let mut stream = tokio::time::timeout(Duration::from_secs(10), tokio::net::TcpStream::connect(host))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timeout"))??;
    let host_header = host.trim_end_matches(":80");
    let encoding = if gzip { "Accept-Encoding: gzip\r\n" } else { "" };
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host_header}\r\n{encoding}User-Agent: navigli-seed\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await?;
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(300), stream.read_to_end(&mut raw))
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "response timeout"))??;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").map_or(raw.len(), |i| i + 4);
    let head = String::from_utf8_lossy(&raw[..split]).to_ascii_lowercase();
    let status = head.split_whitespace().nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    Ok((status, head, raw[split..].to_vec()))
}

/// The tenant's bounds and the source's zoom range, from its TileJSON.
async fn tilejson(host: &str, prefix: &str, plan: &SeedPlan) -> Result<(Bbox, u8, u8), String> {
    let path = format!("{prefix}/{}/tiles/{}.json", plan.tenant, plan.source);
    let (status, _, body) = get(host, &path, false).await.map_err(|e| format!("GET {path}: {e}"))?;
    if status != 200 {
        return Err(format!("GET {path}: HTTP {status}: {}", String::from_utf8_lossy(&body).chars().take(200).collect::<String>()));
    }
    let v: serde_json::Value = serde_json::from_slice(&body).map_err(|e| format!("{path}: not JSON: {e}"))?;
    let b: Vec<f64> = v["bounds"].as_array().map(|a| a.iter().filter_map(|x| x.as_f64()).collect()).unwrap_or_default();
    let bbox = (b.len() == 4).then(|| Bbox::new(b[0], b[1], b[2], b[3])).flatten().ok_or_else(|| format!("{path}: no bounds"))?;
    let z = |k: &str| v[k].as_u64().and_then(|z| u8::try_from(z).ok()).ok_or_else(|| format!("{path}: no {k}"));
    Ok((bbox, z("minzoom")?, z("maxzoom")?))
}

/// Every tile of the plan (zooms clipped to the source's range) over `bounds`.
pub fn tiles(bounds: &Bbox, zooms: (u8, u8)) -> impl Iterator<Item = (u8, u32, u32)> + '_ {
    (zooms.0..=zooms.1).flat_map(move |z| {
        let (x0, y0, x1, y1) = tile_range(bounds, z);
        (x0..=x1).flat_map(move |x| (y0..=y1).map(move |y| (z, x, y)))
    })
}

/// Runs the plan with a progress bar on standard error.
pub async fn seed(plan: &SeedPlan) -> Result<SeedReport, String> {
    let (host, prefix) = split_url(&plan.base_url)?;
    let (bounds, min, max) = tilejson(&host, &prefix, plan).await?;
    let zooms = (plan.zooms.0.max(min), plan.zooms.1.min(max));
    if zooms.0 > zooms.1 {
        return Err(format!("zooms {}-{} are outside the source's {min}-{max}", plan.zooms.0, plan.zooms.1));
    }
    let total = tiles(&bounds, zooms).count() as u64;
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg} [{bar:40}] {pos}/{len} tiles, {per_sec}, eta {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_message(format!("{}/{} z{}-{}", plan.tenant, plan.source, zooms.0, zooms.1));
    let started = Instant::now();
    let mut report = SeedReport::default();
    let requests = futures_util::stream::iter(tiles(&bounds, zooms))
        .map(|(z, x, y)| {
            let path = format!("{prefix}/{}/tiles/{}/{z}/{x}/{y}.mvt", plan.tenant, plan.source);
            let host = host.clone();
            async move { get(&host, &path, true).await }
        })
        .buffer_unordered(plan.concurrency.clamp(1, 64));
    futures_util::pin_mut!(requests);
    while let Some(result) = requests.next().await {
        report.requested += 1;
        match result {
            Ok((200, _, body)) => {
                report.tiles += 1;
                report.bytes += body.len() as u64;
            }
            Ok((204, _, _)) => report.empty += 1,
            Ok((status, _, _)) => {
                report.failed += 1;
                bar.println(format!("HTTP {status}"));
            }
            Err(e) => {
                report.failed += 1;
                bar.println(format!("request failed: {e}"));
            }
        }
        bar.inc(1);
    }
    bar.finish_with_message(format!("done in {:.1} s", started.elapsed().as_secs_f64()));
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zooms_and_urls_parse() {
        assert_eq!(parse_zooms("10-14"), Ok((10, 14)));
        assert_eq!(parse_zooms("12"), Ok((12, 12)));
        assert!(parse_zooms("14-10").is_err() && parse_zooms("0-30").is_err() && parse_zooms("a").is_err());
        assert_eq!(split_url("http://127.0.0.1:8080").unwrap(), ("127.0.0.1:8080".into(), String::new()));
        assert_eq!(split_url("http://maps.example/navigli/").unwrap(), ("maps.example:80".into(), "/navigli".into()));
        assert!(split_url("https://x").is_err());
        // Milano at z10–z12: a handful of tiles, growing fourfold per zoom.
        let milano = Bbox { min_x: 9.04, min_y: 45.38, max_x: 9.28, max_y: 45.54 };
        let per_zoom: Vec<usize> = (10..=12).map(|z| tiles(&milano, (z, z)).count()).collect();
        assert!(per_zoom[0] >= 1 && per_zoom[1] >= per_zoom[0] && per_zoom[2] >= 2 * per_zoom[1], "{per_zoom:?}");
    }
}
