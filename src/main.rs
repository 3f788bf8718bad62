//! The `navigli` command: `serve`, `demo`, `migrate`, `check`, `seed`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use clap::{Parser, Subcommand};

use navigli::catalog::{apply_source_override, Catalog};
use navigli::config::{self, Severity};
use navigli::demo::{DemoOptions, DemoSize};

#[derive(Parser)]
#[command(name = "navigli", version, about = "OGC geospatial server for a Città Metropolitana and its comuni (first: Milano)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve WMS/WFS/tiles for every tenant of the configuration.
    Serve {
        /// Configuration file.
        #[arg(long, default_value = "layers.toml")]
        config: PathBuf,
        /// Listen address (overrides [server].bind).
        #[arg(long)]
        bind: Option<String>,
        /// Replace a source: ID=postgresql://… or ID=path/to/file.gpkg (repeatable).
        #[arg(long = "source", value_name = "ID=URL")]
        sources: Vec<String>,
    },
    /// Export a tile source over a tenant's extent into an MBTiles file (for a CDN or object
    /// store): the server's own tiles, byte for byte; resumable.
    Export {
        /// Configuration file.
        #[arg(long, default_value = "layers.toml")]
        config: PathBuf,
        /// Replace a source: ID=postgresql://… or ID=path/to/file.gpkg (repeatable).
        #[arg(long = "source-url", value_name = "ID=URL")]
        sources: Vec<String>,
        /// Tenant: the metropolitan id (the default), an ISTAT code or a comune's slug.
        #[arg(long)]
        tenant: Option<String>,
        /// Tile source: a layer, a group or a comma list.
        #[arg(long)]
        source: String,
        /// Zooms, `a-b` (clipped to the source's range).
        #[arg(long)]
        zooms: String,
        /// Archive format: `mbtiles` or `pmtiles` (v3).
        #[arg(long, default_value = "mbtiles")]
        format: String,
        /// Tiles rendered at once.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// The archive to write (resumed when it exists).
        file: PathBuf,
    },
    /// Start a deployment for another Città Metropolitana (or any set of comuni) from its
    /// boundaries: writes DIR/layers.toml, DIR/data/comuni.csv and DIR/data/ID.gpkg.
    Init {
        /// Id of the metropolitan tenant, e.g. `cmto` (not a comune's slug: the capital is `torino`).
        #[arg(long)]
        id: String,
        /// The administration's name, e.g. "Città metropolitana di Torino".
        #[arg(long)]
        title: String,
        /// The comuni's boundaries: GeoJSON FeatureCollection, WGS 84 lon/lat, with an ISTAT
        /// code and a name per feature.
        #[arg(long)]
        boundaries: PathBuf,
        /// Facts per comune: CSV (`,` or `;`) with an ISTAT code column and any of name, slug,
        /// zona_code, zona_name, population.
        #[arg(long)]
        comuni: Option<PathBuf>,
        /// Property of the boundaries holding the ISTAT code (default: found among the usual names).
        #[arg(long)]
        code_field: Option<String>,
        /// Property of the boundaries holding the name.
        #[arg(long)]
        name_field: Option<String>,
        /// Contact e-mail of the services.
        #[arg(long)]
        email: Option<String>,
        /// Overwrite an existing layers.toml.
        #[arg(long)]
        force: bool,
        /// The folder to write into.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Make running servers re-read their configuration (SIGHUP): every `navigli serve` of
    /// this user, or the one with `--pid`. A configuration that does not load is refused by
    /// the server (see its log) and the running one kept.
    Reload {
        /// Only this process.
        #[arg(long)]
        pid: Option<i32>,
    },
    /// Generate the deterministic demo dataset (over the configuration's comuni) into a GeoPackage or PostGIS.
    Demo {
        /// Configuration file (for the comuni table).
        #[arg(long, default_value = "layers.toml")]
        config: PathBuf,
        /// GeoPackage to write (default data/demo.gpkg next to the config).
        #[arg(long, conflicts_with = "postgis")]
        gpkg: Option<PathBuf>,
        /// PostGIS database to fill (migrations are applied first).
        #[arg(long, value_name = "URL")]
        postgis: Option<String>,
        /// `small` (tests, demo) or `full` (benchmarks, ≥ 300,000 buildings).
        #[arg(long, default_value = "small")]
        size: DemoSize,
        /// Random seed.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// Also fly a synthetic airborne laser survey over a block of the demo buildings: LAZ
        /// tiles and the true planes (truth.csv) in this folder (GeoPackage demos only), for
        /// `navigli lidar import`.
        #[arg(long, value_name = "DIR", conflicts_with = "postgis")]
        lidar: Option<PathBuf>,
        /// The comune whose centre the survey flies over.
        #[arg(long, default_value = "015146", requires = "lidar")]
        lidar_comune: String,
        /// Survey density, points per m².
        #[arg(long, default_value_t = 10.0, requires = "lidar")]
        lidar_density: f64,
    },
    /// Apply the PostGIS schema migrations (idempotent).
    Migrate {
        /// Database URL.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
    },
    /// Validate a configuration and report every problem at once.
    Check {
        /// Configuration file.
        #[arg(long, default_value = "layers.toml")]
        config: PathBuf,
    },
    /// Roof suitability: `navigli roofs compute` fills falde's solar columns, tetti_rossi and
    /// tetti_verdi from the roof planes, in the source of the planes layer.
    Roofs {
        /// What to do.
        #[command(subcommand)]
        action: RoofsAction,
    },
    /// Airborne laser survey: `navigli lidar import` measures the roof planes of the DBT
    /// buildings from LAS/LAZ tiles and writes them into the planes layer's source.
    Lidar {
        /// What to do.
        #[command(subcommand)]
        action: LidarAction,
    },
    /// API keys kept in the database (table navigli_api_keys; `[server] api_keys_source`).
    Apikey {
        /// What to do.
        #[command(subcommand)]
        action: ApikeyAction,
    },
    /// The audit trail of edits (WFS-T, OGC API Part 4): who changed which feature, when, and
    /// how; `--restore` puts a feature back as it was before its last change or deletion.
    Audit {
        /// Configuration file.
        #[arg(long, default_value = "layers.toml")]
        config: PathBuf,
        /// Replace a source: ID=postgresql://… or ID=path/to/file.gpkg (repeatable).
        #[arg(long = "source-url", value_name = "ID=URL")]
        sources: Vec<String>,
        /// The layer.
        #[arg(long)]
        layer: String,
        /// Only this feature.
        #[arg(long)]
        feature: Option<i64>,
        /// Most entries shown, newest first.
        #[arg(long, default_value_t = 50)]
        limit: u64,
        /// One JSON object per line instead of a table.
        #[arg(long)]
        json: bool,
        /// Put `--feature` back as it was before its last change (a deleted one is inserted again).
        #[arg(long, requires = "feature")]
        restore: bool,
    },
    /// The comuni's web map apps: publish the demo apps, import or export an app document.
    Apps {
        /// What to do.
        #[command(subcommand)]
        action: AppsAction,
    },
    /// The place search: build its index, try a query.
    Search {
        /// What to do.
        #[command(subcommand)]
        action: SearchAction,
    },
    /// Warm a running server's tile cache: every tile of a source over a tenant's extent.
    Seed {
        /// The server, `http://host:port`.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        url: String,
        /// Tenant: the metropolitan id (e.g. `cmm`), an ISTAT code or a comune's slug.
        #[arg(long)]
        tenant: String,
        /// Tile source: a layer, a group or a comma list.
        #[arg(long)]
        source: String,
        /// Zooms, `a-b` (clipped to the source's range).
        #[arg(long)]
        zooms: String,
        /// Requests in flight.
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
    },
}

#[derive(Subcommand)]
enum ApikeyAction {
    /// Make a new key, store its SHA-256 and print the key (shown only this once).
    Add {
        /// Database URL.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// Who holds it (unique; appears in logs, the key never does).
        #[arg(long)]
        name: String,
        /// Roles it grants (comma-separated names of [[role]] sections).
        #[arg(long, value_delimiter = ',')]
        roles: Vec<String>,
        /// Expiry, e.g. 2027-06-30 or 2027-06-30T18:00:00Z.
        #[arg(long)]
        expires: Option<String>,
    },
    /// Make a new key for a configuration file: the key on standard error, the `[[api_key]]`
    /// section (its SHA-256) on standard output, to append to layers.toml — no database needed.
    Toml {
        /// Who holds it.
        #[arg(long)]
        name: String,
        /// Roles it grants (comma-separated names of [[role]] sections).
        #[arg(long, value_delimiter = ',')]
        roles: Vec<String>,
    },
    /// Delete a key: servers stop accepting it within their refresh interval.
    Revoke {
        /// Database URL.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        /// The key's name.
        #[arg(long)]
        name: String,
    },
    /// List the keys (names, roles, expiry; never the keys).
    List {
        /// Database URL.
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
    },
}

#[derive(Subcommand)]
enum AppsAction {
    /// Save and publish the demo apps (one per zona omogenea capital, one metropolitan).
    Demo {
        /// Configuration file (its app store: `[server] apps_db` or `apps_source`).
        #[arg(long, default_value = "layers.toml")]
        config: PathBuf,
        /// Replace a source: ID=postgresql://… or ID=path/to/file.gpkg (repeatable).
        #[arg(long = "source")]
        sources: Vec<String>,
    },
    /// Validate a document and save it as an app's draft (created when new); `--publish` too.
    Import {
        /// Configuration file.
        #[arg(long, default_value = "layers.toml")]
        config: PathBuf,
        /// Replace a source (repeatable).
        #[arg(long = "source")]
        sources: Vec<String>,
        /// Tenant: `cmm`, an ISTAT code or a comune's slug.
        #[arg(long)]
        tenant: String,
        /// The app's name in URLs.
        #[arg(long)]
        slug: String,
        /// The JSON document.
        file: PathBuf,
        /// Publish it as a new revision.
        #[arg(long)]
        publish: bool,
    },
    /// Print an app's document: the published revision, `--revision N`, or `--draft`.
    Export {
        /// Configuration file.
        #[arg(long, default_value = "layers.toml")]
        config: PathBuf,
        /// Tenant.
        #[arg(long)]
        tenant: String,
        /// The app.
        #[arg(long)]
        slug: String,
        /// A given revision.
        #[arg(long)]
        revision: Option<u32>,
        /// The draft.
        #[arg(long)]
        draft: bool,
    },
}

#[derive(Subcommand)]
enum SearchAction {
    /// (Re)build the place search index from the [[search]] layers (after their data changed).
    Index {
        /// Configuration file (the index lives in `[server] apps_db` or `apps_source`).
        #[arg(long, default_value = "layers.toml")]
        config: PathBuf,
        /// Replace a source: ID=postgresql://… or ID=path/to/file.gpkg (repeatable).
        #[arg(long = "source")]
        sources: Vec<String>,
    },
    /// Print the best places for a text, as the server answers /{tenant}/search.
    Query {
        /// Configuration file.
        #[arg(long, default_value = "layers.toml")]
        config: PathBuf,
        /// Replace a source (repeatable).
        #[arg(long = "source")]
        sources: Vec<String>,
        /// Tenant: `cmm`, an ISTAT code or a comune's slug.
        #[arg(long, default_value = "cmm")]
        tenant: String,
        /// What to look for.
        text: String,
    },
}

#[derive(Subcommand)]
enum RoofsAction {
    /// Evaluate every roof plane and write the results into the planes layer's source.
    Compute {
        /// Configuration file (model parameters under [roofs], the planes layer's source).
        #[arg(long, default_value = "layers.toml")]
        config: PathBuf,
        /// Replace a source: ID=postgresql://… or ID=path/to/file.gpkg (repeatable).
        #[arg(long = "source", value_name = "ID=URL")]
        sources: Vec<String>,
    },
}

#[derive(Subcommand)]
enum LidarAction {
    /// Measure the roof faces of every building the survey covers; replaces their planes in
    /// `falde` (then run `navigli roofs compute`).
    Import {
        /// Configuration file (the planes layer's source is written).
        #[arg(long, default_value = "layers.toml")]
        config: PathBuf,
        /// Replace a source: ID=postgresql://… or ID=path/to/file.gpkg (repeatable).
        #[arg(long = "source", value_name = "ID=URL")]
        sources: Vec<String>,
        /// The survey's CRS when the files do not say it (or say it wrong), e.g. EPSG:32632.
        #[arg(long)]
        crs: Option<String>,
        /// Survey name for the lineage (default: the first file's name).
        #[arg(long)]
        name: Option<String>,
        /// Survey date, YYYY-MM-DD, for the lineage.
        #[arg(long)]
        date: Option<String>,
        /// Worker threads (default: all cores).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// LAS or LAZ files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
}

/// Logs go to stdout for `serve` (the access log is its output) and to stderr for the other
/// commands, whose stdout is their result (a new API key, a list).
/// Logs to standard output (the server) or standard error, as text or, with
/// `NAVIGLI_LOG_FORMAT=json`, one JSON object per line (for log shippers).
fn init_logging(to_stdout: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let json = std::env::var("NAVIGLI_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match (json, to_stdout) {
        (true, true) => builder.json().with_target(true).init(),
        (true, false) => builder.json().with_target(true).with_writer(std::io::stderr).init(),
        (false, true) => builder.with_target(false).init(),
        (false, false) => builder.with_target(false).with_writer(std::io::stderr).init(),
    }
}

/// `navigli reload`: SIGHUP to `pid`, or to every `navigli serve` process of this user.
fn reload(pid: Option<i32>) -> ExitCode {
    let pids: Vec<i32> = match pid {
        Some(p) => vec![p],
        None => std::fs::read_dir("/proc")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
            .filter(|p| *p != std::process::id() as i32)
            .filter(|p| {
                let cmdline = std::fs::read(format!("/proc/{p}/cmdline")).unwrap_or_default();
                let args: Vec<&[u8]> = cmdline.split(|b| *b == 0).collect();
                let is_navigli = args.first().is_some_and(|a| a.ends_with(b"navigli"));
                is_navigli && args.get(1).is_some_and(|a| *a == b"serve")
            })
            .collect(),
    };
    if pids.is_empty() {
        eprintln!("no running `navigli serve` found (give --pid)");
        return ExitCode::FAILURE;
    }
    let mut ok = true;
    for p in pids {
        // SAFETY: kill(2) with a pid and a signal number; no memory is involved.
        if unsafe { libc::kill(p, libc::SIGHUP) } == 0 {
            println!("asked process {p} to reload its configuration");
        } else {
            eprintln!("process {p}: {}", std::io::Error::last_os_error());
            ok = false;
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Loads the configuration, printing every finding; `None` when it has errors.
fn load_config(path: &std::path::Path) -> Option<config::Config> {
    match navigli::catalog::load_config(path) {
        Ok((cfg, findings)) => {
            for f in findings {
                eprintln!("{f}");
            }
            Some(cfg)
        }
        Err(errors) => {
            for f in &errors.0 {
                eprintln!("{f}");
            }
            let n = errors.0.iter().filter(|f| f.severity == Severity::Error).count();
            eprintln!("{}: {n} error(s)", path.display());
            None
        }
    }
}

/// `navigli apikey …`: the database's API keys.
/// A new random key (`nvg_` and 48 hex digits) and the hex of its SHA-256.
fn new_key() -> (String, String) {
    let key = format!("nvg_{}", navigli::auth::hex(&navigli::auth::random_bytes()[..24]));
    let digest = navigli::auth::hex(&<sha2::Sha256 as sha2::Digest>::digest(key.as_bytes()));
    (key, digest)
}

async fn apikey(action: ApikeyAction) -> Result<(), String> {
    let url = match &action {
        ApikeyAction::Add { database_url, .. } | ApikeyAction::Revoke { database_url, .. } | ApikeyAction::List { database_url } => {
            database_url.clone()
        }
        ApikeyAction::Toml { name, roles } => {
            let (key, digest) = new_key();
            let roles: Vec<String> = roles.iter().map(|r| format!("{r:?}")).collect();
            // The key on the terminal only; standard output is the section, safe to append to a file.
            eprintln!("key for {name}: {key}   (shown only this once: give it to its holder; the configuration keeps its digest)");
            println!("[[api_key]]\nname = {name:?}\nsha256 = \"{digest}\"\nroles = [{}]", roles.join(", "));
            return Ok(());
        }
    };
    navigli::migrate::run(&url).await.map_err(|e| e.to_string())?;
    let client = navigli::migrate::connect(&url).await.map_err(|e| e.to_string())?;
    match action {
        ApikeyAction::Add { name, roles, expires, .. } => {
            let (key, digest) = new_key();
            client
                .execute(
                    "INSERT INTO navigli_api_keys (name, sha256, roles, expires_at) VALUES ($1, $2, $3, $4::text::timestamptz)",
                    &[&name, &digest, &roles, &expires],
                )
                .await
                .map_err(|e| e.to_string())?;
            println!("{key}");
            eprintln!("key '{name}' stored (roles: {}); this is the only time it is shown", roles.join(", "));
        }
        ApikeyAction::Revoke { name, .. } => {
            let n = client.execute("DELETE FROM navigli_api_keys WHERE name = $1", &[&name]).await.map_err(|e| e.to_string())?;
            if n == 0 {
                return Err(format!("no key named '{name}'"));
            }
            eprintln!("key '{name}' revoked");
        }
        ApikeyAction::List { .. } => {
            for r in client
                .query("SELECT name, array_to_string(roles, ','), coalesce(expires_at::text, '-') FROM navigli_api_keys ORDER BY name", &[])
                .await
                .map_err(|e| e.to_string())?
            {
                println!("{}\t{}\t{}", r.get::<_, String>(0), r.get::<_, String>(1), r.get::<_, String>(2));
            }
        }
        // Answered above, without a database.
        ApikeyAction::Toml { .. } => {}
    }
    Ok(())
}

/// The backend of the roof planes layer's source.
fn roofs_target(cfg: &config::Config) -> Result<navigli::roofs::compute::Target, String> {
    let name = cfg.roofs.planes_layer();
    let layer = cfg.layers.iter().find(|l| l.name == name).ok_or_else(|| format!("no layer '{name}' in the configuration"))?;
    let source = cfg.sources.iter().find(|s| s.id == layer.source).ok_or_else(|| format!("no source '{}'", layer.source))?;
    Ok(match source.kind {
        config::SourceKind::Gpkg => navigli::roofs::compute::Target::Gpkg(
            cfg.base_dir.join(source.path.clone().ok_or_else(|| format!("source '{}' has no path", source.id))?),
        ),
        config::SourceKind::Postgis => navigli::roofs::compute::Target::Postgis(
            source.effective_url().ok_or_else(|| format!("source '{}' has no url (set DATABASE_URL or --source)", source.id))?,
        ),
        config::SourceKind::Ogcapi => {
            return Err(format!("source '{}' is a remote OGC API: its roofs are computed where it lives", source.id))
        }
    })
}

/// Keeps large buffers (map images, tiles) in the heap instead of fresh `mmap`s: the same sizes
/// come back with every request, and each fresh mapping costs a page fault per 4 KiB.
fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes glibc allocator thresholds; called once, before any thread starts.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 64 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 256 << 20);
    }
}

fn main() -> ExitCode {
    tune_allocator();
    let cli = Cli::parse();
    init_logging(matches!(cli.command, Command::Serve { .. }));
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Command::Reload { pid } => reload(pid),
        Command::Export { config, sources, tenant, source, zooms, format, concurrency, file } => {
            if format != "mbtiles" && format != "pmtiles" {
                eprintln!("--format {format}: mbtiles or pmtiles");
                return ExitCode::FAILURE;
            }
            let zooms = match navigli::tiles::seed::parse_zooms(&zooms) {
                Ok(z) => z,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            };
            let spec = navigli::catalog::CatalogSpec { config, sources, bind: None };
            let catalog = match runtime.block_on(spec.build()) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("cannot load the configuration: {e}");
                    return ExitCode::FAILURE;
                }
            };
            // PMTiles: the tiles are rendered into a working MBTiles file beside it (which an
            // interrupted export resumes), then laid out as the archive.
            let target = file.clone();
            let working = if format == "pmtiles" { file.with_extension("pmtiles-work.mbtiles") } else { file };
            let tenant = tenant.unwrap_or_else(|| catalog.tenants[0].id.clone());
            let plan = navigli::tiles::export::ExportPlan { tenant, source, zooms, concurrency, file: working };
            match runtime.block_on(navigli::tiles::export::export(&catalog, &plan)) {
                Ok(r) => {
                    println!(
                        "{}: {} tiles planned, {} stored ({} KiB gzip), {} empty, {} kept from an earlier run",
                        plan.file.display(),
                        r.planned,
                        r.stored,
                        r.bytes / 1024,
                        r.empty,
                        r.kept
                    );
                    if format == "pmtiles" {
                        match navigli::tiles::pmtiles::from_mbtiles(&plan.file, &target) {
                            Ok(p) => {
                                let _ = std::fs::remove_file(&plan.file);
                                println!(
                                    "{}: {} tiles in {} entries, {} distinct, {} KiB",
                                    target.display(),
                                    p.addressed,
                                    p.entries,
                                    p.contents,
                                    p.bytes / 1024
                                );
                            }
                            Err(e) => {
                                eprintln!("export: {e}");
                                return ExitCode::FAILURE;
                            }
                        }
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("export: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Audit { config, sources, layer, feature, limit, json, restore } => {
            let spec = navigli::catalog::CatalogSpec { config, sources, bind: None };
            let catalog = match runtime.block_on(spec.build()) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("cannot load the configuration: {e}");
                    return ExitCode::FAILURE;
                }
            };
            if restore {
                let id = feature.unwrap_or_default();
                return match runtime.block_on(navigli::edit::restore(&catalog, &layer, id)) {
                    Ok(new) if new == id => {
                        println!("{layer} {id} restored");
                        ExitCode::SUCCESS
                    }
                    Ok(new) => {
                        println!("{layer} {id} restored as {layer} {new}");
                        ExitCode::SUCCESS
                    }
                    Err(e) => {
                        eprintln!("{e}");
                        ExitCode::FAILURE
                    }
                };
            }
            match runtime.block_on(navigli::edit::audit(&catalog, &layer, feature, limit)) {
                Ok(entries) => {
                    for e in entries {
                        if json {
                            let line = serde_json::json!({ "id": e.id, "at": e.at, "actor": e.actor, "tenant": e.tenant, "layer": e.layer,
                                "feature_id": e.feature_id, "action": e.action, "old": e.old, "new": e.new });
                            println!("{line}");
                        } else {
                            let props = |v: &Option<serde_json::Value>| {
                                v.as_ref().and_then(|v| v.get("properties")).map(|p| p.to_string()).unwrap_or_else(|| "-".into())
                            };
                            println!(
                                "{}\t{}\t{}\t{}\t{} {}\t{} -> {}",
                                e.id,
                                e.at,
                                e.actor,
                                e.tenant,
                                e.action,
                                e.feature_id,
                                props(&e.old),
                                props(&e.new)
                            );
                        }
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Check { config } => match load_config(&config) {
            Some(cfg) => {
                println!(
                    "{}: OK ({} sources, {} groups, {} layers, {} tenants)",
                    config.display(),
                    cfg.sources.len(),
                    cfg.groups.len(),
                    cfg.layers.len(),
                    cfg.comuni.len() + 1
                );
                ExitCode::SUCCESS
            }
            None => ExitCode::FAILURE,
        },
        Command::Apps { action } => apps_command(&runtime, action),
        Command::Search { action } => search_command(&runtime, action),
        Command::Init { id, title, boundaries, comuni, code_field, name_field, email, force, dir } => {
            let opts = navigli::init::InitOptions { id, title, boundaries, facts: comuni, code_field, name_field, email, out: dir, force };
            match navigli::init::init(&opts) {
                Ok(r) => {
                    println!("{} comuni, boundaries in EPSG:326{}", r.comuni, r.utm_zone);
                    for f in &r.files {
                        println!("wrote {}", f.display());
                    }
                    for n in &r.notes {
                        println!("note: {n}");
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("navigli init: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Seed { url, tenant, source, zooms, concurrency } => {
            let zooms = match navigli::tiles::seed::parse_zooms(&zooms) {
                Ok(z) => z,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            };
            let plan = navigli::tiles::seed::SeedPlan { base_url: url, tenant, source, zooms, concurrency };
            match runtime.block_on(navigli::tiles::seed::seed(&plan)) {
                Ok(r) => {
                    println!(
                        "seeded {} tiles: {} with features ({} KiB gzip), {} empty, {} failed",
                        r.requested,
                        r.tiles,
                        r.bytes / 1024,
                        r.empty,
                        r.failed
                    );
                    if r.failed == 0 {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::FAILURE
                    }
                }
                Err(e) => {
                    eprintln!("seed: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Roofs { action: RoofsAction::Compute { config, sources } } => {
            let Some(mut cfg) = load_config(&config) else { return ExitCode::FAILURE };
            for spec in &sources {
                if let Err(e) = apply_source_override(&mut cfg, spec) {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            }
            let target = match roofs_target(&cfg) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("roofs compute: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let roofs = navigli::roofs::Roofs::new(&cfg.roofs);
            let started = Instant::now();
            match runtime.block_on(navigli::roofs::compute::compute(&roofs, &target)) {
                Ok(r) => {
                    let classes: Vec<String> = r.classes().iter().map(|(l, n)| format!("{l} {n}")).collect();
                    println!(
                        "roofs computed in {:.1} s: {} planes ({} orientations) — {}; {} buildings in tetti_rossi and tetti_verdi",
                        started.elapsed().as_secs_f64(),
                        r.planes,
                        r.orientations,
                        classes.join(", "),
                        r.tetti_rossi
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("roofs compute: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Lidar { action: LidarAction::Import { config, sources, crs, name, date, threads, files } } => {
            let Some(mut cfg) = load_config(&config) else { return ExitCode::FAILURE };
            for spec in &sources {
                if let Err(e) = apply_source_override(&mut cfg, spec) {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            }
            if let Some(d) = &date {
                if d.parse::<jiff::civil::Date>().is_err() {
                    eprintln!("lidar import: --date {d}: expected YYYY-MM-DD");
                    return ExitCode::FAILURE;
                }
            }
            let target = match roofs_target(&cfg) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("lidar import: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let opts = navigli::lidar::import::ImportOptions { files, crs, name, date, threads };
            let started = Instant::now();
            match runtime.block_on(navigli::lidar::import::import(&target, &opts, &Default::default())) {
                Ok(r) => {
                    println!(
                        "lidar imported in {:.1} s: {} points from {} files; {} buildings surveyed, {} measured ({} faces, {:.1} roof pts/m²), {} kept their planes (too few points); survey id {}",
                        started.elapsed().as_secs_f64(),
                        r.points,
                        r.files,
                        r.buildings,
                        r.measured,
                        r.faces,
                        r.density,
                        r.insufficient,
                        r.survey_id
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("lidar import: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Apikey { action } => match runtime.block_on(apikey(action)) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("apikey: {e}");
                ExitCode::FAILURE
            }
        },
        Command::Migrate { database_url } => match runtime.block_on(navigli::migrate::run(&database_url)) {
            Ok(applied) => {
                println!("migrations applied: {}", if applied.is_empty() { "none (up to date)".to_string() } else { applied.join(", ") });
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{e}");
                ExitCode::FAILURE
            }
        },
        Command::Demo { config, gpkg, postgis, size, seed, lidar, lidar_comune, lidar_density } => {
            let Some(cfg) = load_config(&config) else { return ExitCode::FAILURE };
            let options = DemoOptions { size, seed };
            let started = Instant::now();
            let result = match postgis {
                Some(url) => runtime
                    .block_on(navigli::demo::load_postgis(&url, &cfg.comuni, &options))
                    .map(|r| (r, navigli::migrate::redact_url(&url))),
                None => {
                    let path = gpkg.unwrap_or_else(|| cfg.base_dir.join("data/demo.gpkg"));
                    navigli::demo::write_gpkg(&path, &cfg.comuni, &options).map(|r| (r, path.display().to_string()))
                }
            };
            match result {
                Ok((report, target)) => {
                    for (table, rows) in &report.tables {
                        println!("  {table:<18} {rows:>8} rows");
                    }
                    println!("demo data written to {target} in {:.1} s", started.elapsed().as_secs_f64());
                    if let Some(dir) = lidar {
                        let started = Instant::now();
                        let flight = navigli::demo::lidar::Flight { density: lidar_density, ..Default::default() };
                        let survey = navigli::demo::lidar::DemoSurvey { comune: lidar_comune, flight, seed, ..Default::default() };
                        match navigli::demo::lidar::survey_gpkg(std::path::Path::new(&target), &dir, &survey) {
                            Ok(r) => println!(
                                "synthetic survey: {} points over {} buildings ({} planes, truth.csv) in {} LAZ tiles in {} in {:.1} s",
                                r.points,
                                r.buildings,
                                r.planes,
                                r.files.len(),
                                dir.display(),
                                started.elapsed().as_secs_f64()
                            ),
                            Err(e) => {
                                eprintln!("demo --lidar failed: {e}");
                                return ExitCode::FAILURE;
                            }
                        }
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("demo failed: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Serve { config, bind, sources } => {
            let started = Instant::now();
            let Some(mut cfg) = load_config(&config) else { return ExitCode::FAILURE };
            for spec in &sources {
                if let Err(e) = apply_source_override(&mut cfg, spec) {
                    eprintln!("{e}");
                    return ExitCode::FAILURE;
                }
            }
            if let Some(b) = bind {
                cfg.server.bind = b;
            }
            // Bind first: a taken port fails at once, and port 0 gets a free one whose real
            // address the service URLs then carry (tests start servers that way).
            let listener = match std::net::TcpListener::bind(&cfg.server.bind) {
                Ok(l) => l,
                Err(e) => {
                    eprintln!("cannot listen on {}: {e}", cfg.server.bind);
                    return ExitCode::FAILURE;
                }
            };
            if let Ok(addr) = listener.local_addr() {
                cfg.server.bind = addr.to_string();
            }
            let catalog = match runtime.block_on(Catalog::build(&cfg)) {
                Ok(c) => Arc::new(c),
                Err(e) => {
                    eprintln!("cannot start: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let apps = match navigli::appstore::open(&cfg) {
                Ok(a) => a,
                Err(e) => {
                    eprintln!("cannot open the app store: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let search = match navigli::search::open(&cfg) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("cannot open the search index: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let base = catalog.server.base_url();
            let bind = cfg.server.bind.clone();
            tracing::info!(
                tenants = catalog.tenants.len(),
                layers = catalog.layers.len(),
                ms = started.elapsed().as_secs_f64() * 1000.0,
                "catalog ready"
            );
            println!("navigli listening on http://{bind} — {} tenants, {} layers", catalog.tenants.len(), catalog.layers.len());
            println!("  landing page : {base}/");
            println!("  QGIS WMS     : {base}/cmm/wms      (a comune: {base}/milano/wms)");
            println!("  QGIS WFS     : {base}/cmm/wfs");
            println!("  readiness    : {base}/ready");
            let spec = navigli::catalog::CatalogSpec { config: config.clone(), sources: sources.clone(), bind: Some(bind.clone()) };
            println!("  reload       : kill -HUP {} (or navigli reload)", std::process::id());
            match runtime.block_on(navigli::web::serve(catalog, apps, search, listener, Some(spec))) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("server error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// `navigli search …`.
fn search_command(runtime: &tokio::runtime::Runtime, action: SearchAction) -> ExitCode {
    let (SearchAction::Index { config, sources } | SearchAction::Query { config, sources, .. }) = &action;
    let spec = navigli::catalog::CatalogSpec { config: config.clone(), sources: sources.clone(), bind: None };
    let result: Result<(), String> = runtime.block_on(async {
        let cfg = spec.config()?;
        let searcher = navigli::search::Searcher::new(navigli::search::open(&cfg).map_err(|e| e.to_string())?);
        let catalog = navigli::catalog::Catalog::build(&cfg).await.map_err(|e| e.to_string())?;
        match action {
            SearchAction::Index { .. } => {
                let started = std::time::Instant::now();
                let n = searcher.rebuild(&catalog, false).await.map_err(|e| e.to_string())?;
                println!("search index: {n} places in {:.1} s", started.elapsed().as_secs_f64());
            }
            SearchAction::Query { tenant, text, .. } => {
                let t = catalog.tenant(&tenant).ok_or_else(|| format!("no tenant '{tenant}'"))?;
                searcher.ensure_built(&catalog).await.map_err(|e| e.to_string())?;
                let layers = catalog
                    .search
                    .iter()
                    .filter(|s| catalog.layer(t, &Default::default(), &s.layer).is_some())
                    .map(|s| s.layer.clone())
                    .collect();
                let started = std::time::Instant::now();
                let hits = searcher.search(&text, t.scope().map(|s| s.istat_code), layers, 10).await.map_err(|e| e.to_string())?;
                for h in &hits {
                    let e = &h.entry;
                    println!(
                        "{:.2}  {:<8} {}{}  ({:.6}, {:.6})",
                        h.score,
                        e.kind.as_str(),
                        e.label,
                        e.detail.as_ref().map(|d| format!(", {d}")).unwrap_or_default(),
                        e.lon,
                        e.lat
                    );
                }
                println!("{} results in {:.1} ms", hits.len(), started.elapsed().as_secs_f64() * 1000.0);
            }
        }
        Ok(())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

/// `navigli apps …`.
fn apps_command(runtime: &tokio::runtime::Runtime, action: AppsAction) -> ExitCode {
    let (config, sources) = match &action {
        AppsAction::Demo { config, sources } | AppsAction::Import { config, sources, .. } => (config.clone(), sources.clone()),
        AppsAction::Export { config, .. } => (config.clone(), Vec::new()),
    };
    let spec = navigli::catalog::CatalogSpec { config, sources, bind: None };
    let opened = spec.config().and_then(|cfg| navigli::appstore::open(&cfg).map_err(|e| e.to_string()));
    let store = match opened {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot open the app store: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result: Result<(), String> = runtime.block_on(async {
        match action {
            AppsAction::Export { tenant, slug, revision, draft, .. } => {
                let catalog = spec.build().await.map_err(|e| e.to_string())?;
                let t = catalog.tenant(&tenant).ok_or_else(|| format!("no tenant '{tenant}'"))?;
                let text = if draft {
                    store.get(&t.id, &slug).await.map_err(|e| e.to_string())?.map(|r| r.draft)
                } else if let Some(n) = revision {
                    store.revision(&t.id, &slug, n).await.map_err(|e| e.to_string())?.map(|r| r.document)
                } else {
                    store.published(&t.id, &slug).await.map_err(|e| e.to_string())?.map(|r| r.document)
                };
                println!("{}", text.ok_or_else(|| format!("no such app document: {tenant}/{slug}"))?);
                Ok(())
            }
            AppsAction::Demo { .. } => {
                let catalog = spec.build().await.map_err(|e| e.to_string())?;
                for (tenant, slug, rev) in navigli::apps::demo::publish(&catalog, &*store).await? {
                    println!("published /{tenant}/apps/{slug} (revision {rev})");
                }
                Ok(())
            }
            AppsAction::Import { tenant, slug, file, publish, .. } => {
                let catalog = spec.build().await.map_err(|e| e.to_string())?;
                let t = catalog.tenant(&tenant).ok_or_else(|| format!("no tenant '{tenant}'"))?;
                let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
                let rev = navigli::apps::admin::import(&catalog, &*store, t, &slug, &text, publish).await?;
                match rev {
                    Some(n) => println!("saved and published /{}/apps/{slug} (revision {n})", t.url_key()),
                    None => println!("saved the draft of /{}/apps/{slug}", t.url_key()),
                }
                Ok(())
            }
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
