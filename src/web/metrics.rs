//! Prometheus metrics at `/metrics` (text exposition format 0.0.4): requests by protocol,
//! tenant and status; latency histograms by protocol; tile cache hits and misses, entries and
//! bytes; requests refused for overload. Labels are bounded: the protocol is one of a fixed
//! list, the tenant is a known tenant's id (anything else is `-`), the status is the HTTP code —
//! no raw URL ever becomes a label.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::Duration;

use crate::catalog::Catalog;

/// Upper bounds of the latency buckets, seconds.
const BUCKETS: [f64; 12] = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The protocols a path can belong to (the `protocol` label).
const PROTOCOLS: [&str; 12] = ["wms", "wfs", "ows", "tiles", "ogcapi", "roofs", "csw", "records", "geoportale", "landing", "ops", "other"];

#[derive(Default)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    total: u64,
}

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(&'static str, String, u16), u64>,
    latency: BTreeMap<&'static str, Histogram>,
    tile_hits: u64,
    tile_misses: u64,
    refused: u64,
    reloads: [u64; 2],
}

/// The server's counters (one per process, shared by every worker).
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

/// The `protocol` label of a request path (`/{tenant}/{service}/…`).
pub fn protocol_of(path: &str) -> &'static str {
    let mut segments = path.trim_start_matches('/').split('/');
    let first = segments.next().unwrap_or("");
    match (first, segments.next()) {
        ("", None) => "landing",
        ("health" | "ready" | "metrics", None) => "ops",
        (_, None) | (_, Some("")) => "landing",
        (_, Some(service)) => {
            PROTOCOLS.iter().find(|p| **p == service && !matches!(**p, "landing" | "ops" | "other")).copied().unwrap_or("other")
        }
    }
}

impl Metrics {
    /// Records one answered request.
    pub fn observe(&self, catalog: &Catalog, path: &str, status: u16, elapsed: Duration, tile_cache: Option<bool>) {
        let protocol = protocol_of(path);
        let tenant = match protocol {
            "landing" | "ops" => "-".to_string(),
            _ => {
                let key = path.trim_start_matches('/').split('/').next().unwrap_or("");
                catalog.tenant(key).map_or_else(|| "-".to_string(), |t| t.id.clone())
            }
        };
        let seconds = elapsed.as_secs_f64();
        let mut m = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        *m.requests.entry((protocol, tenant, status)).or_default() += 1;
        let h = m.latency.entry(protocol).or_default();
        for (i, bound) in BUCKETS.iter().enumerate() {
            if seconds <= *bound {
                h.counts[i] += 1;
            }
        }
        h.sum += seconds;
        h.total += 1;
        match tile_cache {
            Some(true) => m.tile_hits += 1,
            Some(false) => m.tile_misses += 1,
            None => {}
        }
    }

    /// Records a request refused because too many were in progress.
    pub fn refused(&self) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).refused += 1;
    }

    /// Records a reload (`ok`: swapped in; else refused, the running configuration kept).
    pub fn reloaded(&self, ok: bool) {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).reloads[usize::from(ok)] += 1;
    }

    /// The exposition text; `tiles` is the tile cache's (entries, bytes), `replicas` each
    /// source's read replicas (source, host:port, serving reads).
    pub fn render(&self, tiles: (u64, u64), replicas: &[(String, String, bool)], remotes: &[(String, (u64, u64, bool))]) -> String {
        let m = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::with_capacity(4096);
        out.push_str("# HELP navigli_requests_total Requests answered, by protocol, tenant and HTTP status.\n# TYPE navigli_requests_total counter\n");
        for ((protocol, tenant, status), n) in &m.requests {
            let _ = writeln!(out, "navigli_requests_total{{protocol=\"{protocol}\",tenant=\"{tenant}\",status=\"{status}\"}} {n}");
        }
        out.push_str("# HELP navigli_request_duration_seconds Time to the answer's head, by protocol.\n# TYPE navigli_request_duration_seconds histogram\n");
        for (protocol, h) in &m.latency {
            for (bound, n) in BUCKETS.iter().zip(h.counts) {
                let _ = writeln!(out, "navigli_request_duration_seconds_bucket{{protocol=\"{protocol}\",le=\"{bound}\"}} {n}");
            }
            let _ = writeln!(out, "navigli_request_duration_seconds_bucket{{protocol=\"{protocol}\",le=\"+Inf\"}} {}", h.total);
            let _ = writeln!(out, "navigli_request_duration_seconds_sum{{protocol=\"{protocol}\"}} {}", h.sum);
            let _ = writeln!(out, "navigli_request_duration_seconds_count{{protocol=\"{protocol}\"}} {}", h.total);
        }
        let _ = write!(
            out,
            "# HELP navigli_tile_cache_requests_total Tile answers from the cache (hit) or rendered (miss).\n# TYPE navigli_tile_cache_requests_total counter\n\
             navigli_tile_cache_requests_total{{result=\"hit\"}} {}\nnavigli_tile_cache_requests_total{{result=\"miss\"}} {}\n\
             # HELP navigli_tile_cache_entries Tiles in the cache.\n# TYPE navigli_tile_cache_entries gauge\nnavigli_tile_cache_entries {}\n\
             # HELP navigli_tile_cache_bytes Bytes the cached tiles weigh.\n# TYPE navigli_tile_cache_bytes gauge\nnavigli_tile_cache_bytes {}\n\
             # HELP navigli_requests_refused_total Requests refused with 503 because too many were in progress.\n# TYPE navigli_requests_refused_total counter\n\
             navigli_requests_refused_total {}\n\
             # HELP navigli_reloads_total Configuration reloads (SIGHUP), swapped in or refused.\n# TYPE navigli_reloads_total counter\n\
             navigli_reloads_total{{result=\"ok\"}} {}\nnavigli_reloads_total{{result=\"refused\"}} {}\n",
            m.tile_hits, m.tile_misses, tiles.0, tiles.1, m.refused, m.reloads[1], m.reloads[0]
        );
        if !replicas.is_empty() {
            out.push_str("# HELP navigli_source_replica_up Whether a read replica serves reads (1) or is taken out (0).\n# TYPE navigli_source_replica_up gauge\n");
            for (source, host, up) in replicas {
                let _ = writeln!(out, "navigli_source_replica_up{{source=\"{source}\",replica=\"{host}\"}} {}", u8::from(*up));
            }
        }
        if !remotes.is_empty() {
            out.push_str(
                "# HELP navigli_remote_requests_total HTTP requests to remote sources, and of them the failed ones.\n# TYPE navigli_remote_requests_total counter\n",
            );
            for (source, (requests, failed, _)) in remotes {
                let _ =
                    writeln!(out, "navigli_remote_requests_total{{source=\"{source}\",result=\"ok\"}} {}", requests - failed.min(requests));
                let _ = writeln!(out, "navigli_remote_requests_total{{source=\"{source}\",result=\"failed\"}} {failed}");
            }
            out.push_str("# HELP navigli_remote_circuit_open Whether a remote source's circuit is open (1: not asked until it recovers).\n# TYPE navigli_remote_circuit_open gauge\n");
            for (source, (_, _, open)) in remotes {
                let _ = writeln!(out, "navigli_remote_circuit_open{{source=\"{source}\"}} {}", u8::from(*open));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn protocols_come_from_a_fixed_list() {
        use super::protocol_of;
        assert_eq!(protocol_of("/"), "landing");
        assert_eq!(protocol_of("/milano"), "landing");
        assert_eq!(protocol_of("/milano/"), "landing");
        assert_eq!(protocol_of("/metrics"), "ops");
        assert_eq!(protocol_of("/cmm/wms"), "wms");
        assert_eq!(protocol_of("/cmm/ogcapi/collections/edifici/items"), "ogcapi");
        assert_eq!(protocol_of("/cmm/tiles/dbt/14/1/2.mvt"), "tiles");
        assert_eq!(protocol_of("/cmm/landing"), "other");
        assert_eq!(protocol_of("/x/<script>"), "other");
    }
}
