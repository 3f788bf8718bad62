//! Place search (`/{tenant}/search?q=…`, served by [`crate::apps::search`]): comuni, streets, house numbers and named services,
//! found by their words, ranked, tolerant of typos.
//!
//! The index is a table of [`Entry`] rows in the catalog database (the SQLite file of
//! `[server] apps_db` with an FTS5 table, or PostgreSQL's full text search in the database of
//! `apps_source`), built from the `[[search]]` layers through their `FeatureSource`, whatever
//! the source ([`build`]). A query is normalised into words ([`words`]); each word of at least
//! four letters that no indexed word starts with is replaced by the indexed words within one or
//! two edits of it (the vocabulary is small: a few thousand street and place words); the index
//! returns the rows that have every word (as a prefix, so typing finds as it goes); [`rank`]
//! orders them. House numbers are searched only when the query has a number, and a number that
//! does not exist falls back to its street.

pub mod build;
pub mod postgres;
pub mod sqlite;

use std::collections::BTreeSet;
use std::sync::{Arc, RwLock};

use crate::config::SearchKind;

/// One searchable place.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// What it is.
    pub kind: SearchKind,
    /// The layer it comes from.
    pub layer: String,
    /// The feature id (a street's lowest fid).
    pub fid: Option<i64>,
    /// The ISTAT code of the comune it belongs to (`None`: the metropolitan tenant only).
    pub scope: Option<String>,
    /// What is shown.
    pub label: String,
    /// A second line (the comune's name).
    pub detail: Option<String>,
    /// The normalised words searched (label and detail).
    pub words: String,
    /// Where to centre, WGS84.
    pub lon: f64,
    /// Where to centre, WGS84.
    pub lat: f64,
    /// What to fit (min lon, min lat, max lon, max lat), for areas and streets.
    pub bbox: Option<[f64; 4]>,
}

/// A search index failure.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// The database failed.
    #[error("search index: {0}")]
    Backend(String),
    /// A layer could not be read while building.
    #[error("search index build: {0}")]
    Build(String),
}

/// The words of a query for the index: every word as a set of alternatives (the word itself,
/// as a prefix, or its corrections, as whole words).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Plan {
    /// Per query word: (alternative, is a prefix).
    pub terms: Vec<Vec<(String, bool)>>,
    /// Only rows of this comune (`None`: all).
    pub scope: Option<String>,
    /// Only rows of these layers (those the caller may see in the tenant).
    pub layers: Vec<String>,
    /// Include house numbers.
    pub civici: bool,
    /// Most candidates to return.
    pub cap: usize,
}

/// The rows of the index an update after a data change replaces: those of one layer, in the
/// comuni `scopes` (`None`: everywhere) and, with `within` (min lon, min lat, max lon, max lat),
/// only the rows placed inside that box.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    /// The layer.
    pub layer: String,
    /// The comuni (ISTAT codes); `None`: all.
    pub scopes: Option<Vec<String>>,
    /// Only rows whose point lies in this box (WGS 84 lon/lat).
    pub within: Option<crate::crs::Bbox>,
    /// The configuration the rows were made for ([`build::fingerprint`]): an index made for
    /// another one (a replica rebuilt it meanwhile) is left as it is.
    pub fingerprint: String,
}

impl Part {
    /// Whether `e` is one of the rows this part replaces.
    pub fn holds(&self, e: &Entry) -> bool {
        e.layer == self.layer
            && self.scopes.as_ref().is_none_or(|s| e.scope.as_ref().is_some_and(|c| s.contains(c)))
            && self.within.is_none_or(|w| w.contains(e.lon, e.lat))
    }
}

/// Where entries are kept and matched.
#[async_trait::async_trait]
pub trait SearchIndex: Send + Sync + std::fmt::Debug {
    /// The fingerprint and row count of the current index, if one was built.
    async fn meta(&self) -> Result<Option<(String, u64)>, SearchError>;
    /// Replaces the whole index in one transaction. With `if_stale`, an index already built
    /// with this fingerprint is kept (a concurrent builder waits, then finds it built).
    async fn replace(&self, fingerprint: &str, entries: Vec<Entry>, if_stale: bool) -> Result<(), SearchError>;
    /// Replaces the rows `part` names by `entries` in one transaction (serialised with other
    /// updates and rebuilds), keeping the fingerprint; new words join the vocabulary.
    async fn replace_part(&self, part: &Part, entries: Vec<Entry>) -> Result<(), SearchError>;
    /// Rows having every term of `plan` (any alternative), best candidates first.
    async fn candidates(&self, plan: &Plan) -> Result<Vec<Entry>, SearchError>;
    /// Every distinct indexed word.
    async fn vocabulary(&self) -> Result<Vec<String>, SearchError>;
}

/// Most characters of a query.
pub const MAX_QUERY: usize = 200;
/// Most words of a query.
pub const MAX_WORDS: usize = 8;

/// The normalised words of a text: lower case, accents and apostrophes removed, split at
/// anything that is not a letter or a digit, and between digits and letters (`12/A` and `12a`
/// are both `12 a`).
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut last_digit = None;
    for ch in text.chars().flat_map(char::to_lowercase) {
        let ch = fold(ch);
        if ch.is_alphanumeric() {
            let digit = ch.is_ascii_digit();
            if last_digit.is_some_and(|d| d != digit) && !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            word.push(ch);
            last_digit = Some(digit);
        } else if !word.is_empty() {
            out.push(std::mem::take(&mut word));
            last_digit = None;
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// A term as the indexes are given it: letters and digits only (query words already are; this
/// keeps index query syntax out whatever a caller passes).
pub(crate) fn clean_term(word: &str) -> String {
    word.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// A lower-case letter without its accent (the letters of Italian and its neighbours).
fn fold(ch: char) -> char {
    match ch {
        'à' | 'á' | 'â' | 'ä' | 'ã' | 'å' => 'a',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ò' | 'ó' | 'ô' | 'ö' | 'õ' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        'ñ' => 'n',
        'ß' => 's',
        other => other,
    }
}

/// Whether `a` and `b` are within `max` edits (insert, delete, substitute, swap of two
/// neighbours) of each other.
pub fn within_edits(a: &str, b: &str, max: usize) -> bool {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    if a.len().abs_diff(b.len()) > max {
        return false;
    }
    // Optimal string alignment distance, one row at a time.
    let n = b.len();
    let mut prev2: Vec<usize> = vec![0; n + 1];
    let mut prev: Vec<usize> = (0..=n).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; n + 1];
        for j in 1..=n {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(prev2[j - 2] + 1);
            }
        }
        if cur.iter().min().is_some_and(|m| *m > max) {
            return false;
        }
        prev2 = std::mem::replace(&mut prev, cur);
    }
    prev[n] <= max
}

/// The indexed words, sorted, for prefix checks and corrections.
#[derive(Debug, Default)]
pub struct Vocabulary {
    words: Vec<String>,
}

impl Vocabulary {
    /// From the index's distinct words.
    pub fn new(words: impl IntoIterator<Item = String>) -> Vocabulary {
        let set: BTreeSet<String> = words.into_iter().collect();
        Vocabulary { words: set.into_iter().collect() }
    }

    /// Whether some indexed word starts with `prefix`.
    pub fn has_prefix(&self, prefix: &str) -> bool {
        let i = self.words.partition_point(|w| w.as_str() < prefix);
        self.words.get(i).is_some_and(|w| w.starts_with(prefix))
    }

    /// Indexed words within one edit (two for words of eight letters or more), closest first.
    pub fn corrections(&self, word: &str) -> Vec<String> {
        let max = if word.chars().count() >= 8 { 2 } else { 1 };
        let mut found: Vec<(usize, &String)> = (1..=max)
            .flat_map(|d| self.words.iter().filter(move |w| within_edits(word, w, d) && !within_edits(word, w, d - 1)).map(move |w| (d, w)))
            .collect();
        found.sort();
        found.dedup_by(|a, b| a.1 == b.1);
        found.into_iter().take(6).map(|(_, w)| w.clone()).collect()
    }
}

/// The terms of a query: each word as a prefix when some indexed word starts with it (or it is
/// a number or shorter than four letters), else its corrections; a word with neither is kept
/// as a prefix (it matches nothing, which is the honest answer).
pub fn terms(query_words: &[String], vocabulary: &Vocabulary) -> Vec<Vec<(String, bool)>> {
    query_words
        .iter()
        .map(|w| {
            let numeric = w.chars().all(|c| c.is_ascii_digit());
            if numeric || w.chars().count() < 4 || vocabulary.has_prefix(w) {
                return vec![(w.clone(), true)];
            }
            let fixes = vocabulary.corrections(w);
            if fixes.is_empty() {
                vec![(w.clone(), true)]
            } else {
                fixes.into_iter().map(|f| (f, false)).collect()
            }
        })
        .collect()
}

/// A ranked result.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// The place.
    pub entry: Entry,
    /// Higher is better.
    pub score: f64,
}

/// Orders candidates: whole-word matches before prefixes before corrections, the exact house
/// number before its neighbours, comuni before streets before services, fewer extra words
/// first; ties by label.
pub fn rank(query_words: &[String], candidates: Vec<Entry>, limit: usize) -> Vec<Hit> {
    let mut hits: Vec<Hit> = candidates
        .into_iter()
        .map(|entry| {
            let have: Vec<&str> = entry.words.split(' ').collect();
            let mut score = 0.0;
            for q in query_words {
                score += if have.contains(&q.as_str()) {
                    1.0
                } else if have.iter().any(|h| h.starts_with(q.as_str())) {
                    0.7
                } else {
                    0.4
                };
            }
            let extra = have.len().saturating_sub(query_words.len()) as f64;
            score -= 0.02 * extra;
            score += match entry.kind {
                SearchKind::Comune => 0.3,
                SearchKind::Strada => 0.2,
                SearchKind::Civico => 0.1,
                SearchKind::Servizio => 0.0,
            };
            Hit { entry, score }
        })
        .collect();
    hits.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.entry.label.cmp(&b.entry.label)).then(a.entry.fid.cmp(&b.entry.fid)));
    hits.truncate(limit);
    hits
}

/// The index of a configuration: in PostgreSQL when `[server] apps_source` names a PostGIS
/// source (beside the apps), else in the SQLite file `apps_db`.
pub fn open(config: &crate::config::Config) -> Result<Arc<dyn SearchIndex>, SearchError> {
    match &config.server.apps_source {
        Some(id) => {
            let source = config
                .sources
                .iter()
                .find(|s| &s.id == id)
                .ok_or_else(|| SearchError::Backend(format!("apps_source: no source '{id}'")))?;
            let url = source.effective_url().ok_or_else(|| SearchError::Backend(format!("apps_source: source '{id}' has no url")))?;
            Ok(Arc::new(postgres::PgSearchIndex::new(&url)?))
        }
        None => Ok(Arc::new(sqlite::SqliteSearchIndex::open(&config.base_dir.join(&config.server.apps_db))?)),
    }
}

/// The search of one configuration: its index and, once read, its vocabulary.
#[derive(Debug)]
pub struct Searcher {
    index: Arc<dyn SearchIndex>,
    vocabulary: RwLock<Option<Arc<Vocabulary>>>,
    /// The fingerprint this process last found (or made) the index built for: later searches
    /// of the same configuration skip asking the database.
    built: RwLock<Option<String>>,
    /// Serialises building (one per process; the index serialises between processes).
    building: tokio::sync::Mutex<()>,
}

impl Searcher {
    /// Over `index`.
    pub fn new(index: Arc<dyn SearchIndex>) -> Searcher {
        Searcher { index, vocabulary: RwLock::new(None), built: RwLock::new(None), building: tokio::sync::Mutex::new(()) }
    }

    /// The index.
    pub fn index(&self) -> &Arc<dyn SearchIndex> {
        &self.index
    }

    /// Builds the index from the catalog's `[[search]]` layers unless it was built for the same
    /// configuration.
    pub async fn ensure_built(&self, catalog: &crate::catalog::Catalog) -> Result<(), SearchError> {
        let fingerprint = build::fingerprint(catalog);
        if self.built.read().unwrap_or_else(|e| e.into_inner()).as_deref() == Some(fingerprint.as_str()) {
            return Ok(());
        }
        let _one = self.building.lock().await;
        if self.index.meta().await?.is_none_or(|(f, _)| f != fingerprint) {
            self.rebuild(catalog, true).await?;
        }
        *self.built.write().unwrap_or_else(|e| e.into_inner()) = Some(fingerprint);
        Ok(())
    }

    /// Builds the index from the catalog's `[[search]]` layers (with `if_stale`, only when it
    /// was built for another configuration); returns the number of places.
    pub async fn rebuild(&self, catalog: &crate::catalog::Catalog, if_stale: bool) -> Result<usize, SearchError> {
        let started = std::time::Instant::now();
        let entries = build::entries(catalog).await?;
        let n = entries.len();
        self.index.replace(&build::fingerprint(catalog), entries, if_stale).await?;
        self.forget_vocabulary();
        tracing::info!("search index built: {n} places in {:.1} s", started.elapsed().as_secs_f64());
        Ok(n)
    }

    /// Makes again what a data change can have changed in the index, when the index is this
    /// configuration's (an index not built yet, or built for another configuration, is left to
    /// its next build): for each `[[search]]` layer on the changed table, the places within the
    /// changed box (streets: of the comuni meeting it). A change without a box (a GeoPackage
    /// written by another program, a truncation, a lost notification) is left to `navigli
    /// search index`: making a whole layer again on every such change would cost more than it
    /// saves. Returns the number of places written.
    pub async fn refresh(&self, catalog: &crate::catalog::Catalog, change: &crate::source::Change) -> Result<usize, SearchError> {
        let crate::source::Change::Table { bbox: Some((b, srid)), .. } = change else {
            tracing::debug!(?change, "data change without a box: the place search keeps its index");
            return Ok(0);
        };
        let layers: Vec<&crate::config::SearchConfig> = {
            let changed = catalog.layers_of_change(change);
            catalog.search.iter().filter(|s| changed.iter().any(|l| l.name() == s.layer)).collect()
        };
        if layers.is_empty() {
            return Ok(0);
        }
        let crs = u32::try_from(*srid).ok().and_then(crate::crs::Crs::from_srid);
        let Some(area) = crs.and_then(|crs| crate::crs::transform_bbox(crs, crate::crs::Crs::CRS84, b).ok()) else {
            tracing::warn!(srid, "a data change in a CRS the place search cannot place: run `navigli search index`");
            return Ok(0);
        };
        let _one = self.building.lock().await;
        if self.index.meta().await?.is_none_or(|(f, _)| f != build::fingerprint(catalog)) {
            return Ok(0);
        }
        let mut written = 0;
        for s in layers {
            let (part, entries) = build::layer_entries(catalog, s, Some(area)).await?;
            written += entries.len();
            self.index.replace_part(&part, entries).await?;
        }
        self.forget_vocabulary();
        tracing::info!(target: "navigli::search", written, "place search updated after a data change");
        Ok(written)
    }

    /// A task that [`refresh`](Self::refresh)es the index after every change sent to the
    /// returned sink (changes waiting together are taken together, boxes of one table joined),
    /// for `catalog`; it ends when every sender is gone.
    pub fn follow(self: &Arc<Self>, catalog: Arc<crate::catalog::Catalog>) -> crate::source::ChangeSink {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<crate::source::Change>();
        let me = Arc::clone(self);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut pending = vec![first];
                while let Ok(more) = rx.try_recv() {
                    pending.push(more);
                }
                for change in join_changes(pending) {
                    if let Err(e) = me.refresh(&catalog, &change).await {
                        tracing::warn!("place search not updated after a data change ({e}): run `navigli search index`");
                    }
                }
            }
        });
        tx
    }

    /// Drops the cached vocabulary (after a rebuild).
    pub fn forget_vocabulary(&self) {
        *self.vocabulary.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    async fn vocabulary(&self) -> Result<Arc<Vocabulary>, SearchError> {
        if let Some(v) = self.vocabulary.read().unwrap_or_else(|e| e.into_inner()).clone() {
            return Ok(v);
        }
        let v = Arc::new(Vocabulary::new(self.index.vocabulary().await?));
        *self.vocabulary.write().unwrap_or_else(|e| e.into_inner()) = Some(v.clone());
        Ok(v)
    }

    /// The best `limit` places for `query` among `layers` (those the caller may see), in the
    /// comune `scope` (`None`: everywhere).
    pub async fn search(&self, query: &str, scope: Option<String>, layers: Vec<String>, limit: usize) -> Result<Vec<Hit>, SearchError> {
        let mut query_words = words(query);
        query_words.truncate(MAX_WORDS);
        if query_words.is_empty() {
            return Ok(Vec::new());
        }
        let vocabulary = self.vocabulary().await?;
        let has_number = query_words.iter().any(|w| w.starts_with(|c: char| c.is_ascii_digit()));
        let cap = 200;
        let mut plan = Plan { terms: terms(&query_words, &vocabulary), scope, layers, civici: has_number, cap };
        let mut found = self.index.candidates(&plan).await?;
        if found.is_empty() && has_number {
            // A number that does not exist: the street (or place) without it.
            query_words.retain(|w| !w.starts_with(|c: char| c.is_ascii_digit()));
            if query_words.is_empty() {
                return Ok(Vec::new());
            }
            plan.terms = terms(&query_words, &vocabulary);
            plan.civici = false;
            found = self.index.candidates(&plan).await?;
        }
        if plan.scope.is_none() {
            // A feature on a border belongs to both comuni: once is enough for the whole area.
            let mut seen = std::collections::HashSet::new();
            found.retain(|e| seen.insert((e.layer.clone(), e.fid, e.label.clone())));
        }
        Ok(rank(&query_words, found, limit))
    }
}

/// The changes the search can follow, those of one table (and CRS) joined into one (the union
/// of their boxes). Changes without a box — a GeoPackage's own echo of a commit, a truncation,
/// a reconnected listener — are left out: the search cannot tell what they touched (a
/// `navigli search index` can), and joined with a boxed change they would hide its box.
fn join_changes(changes: Vec<crate::source::Change>) -> Vec<crate::source::Change> {
    use crate::source::Change;
    let mut out: Vec<Change> = Vec::new();
    for c in changes {
        let Change::Table { source, table, bbox: Some((b, srid)) } = c else { continue };
        let same = out.iter_mut().find_map(|o| match o {
            Change::Table { source: s, table: t, bbox: Some((ob, os)) } if *s == source && *t == table && *os == srid => Some(ob),
            _ => None,
        });
        match same {
            Some(ob) => *ob = ob.union(&b),
            None => out.push(Change::Table { source, table, bbox: Some((b, srid)) }),
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn changes_without_a_box_never_hide_an_edit() {
        use crate::crs::Bbox;
        use crate::source::Change;
        let table = |t: &str, b: Option<(f64, i32)>| Change::Table {
            source: "main".into(),
            table: t.into(),
            bbox: b.map(|(x, srid)| (Bbox::new(x, 0.0, x + 1.0, 1.0).unwrap(), srid)),
        };
        let joined = join_changes(vec![
            table("civici", None),
            table("civici", Some((10.0, 32632))),
            Change::All { source: "main".into() },
            table("civici", Some((20.0, 32632))),
            table("civici", Some((5.0, 4326))),
            table("strade", Some((1.0, 32632))),
        ]);
        assert_eq!(
            joined,
            vec![
                Change::Table {
                    source: "main".into(),
                    table: "civici".into(),
                    bbox: Some((Bbox::new(10.0, 0.0, 21.0, 1.0).unwrap(), 32632))
                },
                table("civici", Some((5.0, 4326))),
                table("strade", Some((1.0, 32632))),
            ]
        );
    }

    fn place(kind: SearchKind, layer: &str, fid: i64, scope: &str, label: &str, detail: &str) -> Entry {
        Entry {
            kind,
            layer: layer.into(),
            fid: Some(fid),
            scope: Some(scope.into()),
            label: label.into(),
            detail: Some(detail.into()),
            words: words(&format!("{label} {detail}")).join(" "),
            lon: 9.0 + fid as f64 / 1000.0,
            lat: 45.0,
            bbox: (kind == SearchKind::Strada).then_some([9.0, 45.0, 9.01, 45.01]),
        }
    }

    /// What every index must do (run on SQLite here and on PostgreSQL in `postgres.rs`).
    pub(crate) async fn suite(index: Arc<dyn SearchIndex>) {
        assert_eq!(index.meta().await.unwrap(), None);
        let entries = vec![
            place(SearchKind::Comune, "comuni", 1, "015146", "Milano", ""),
            place(SearchKind::Strada, "strade", 10, "015146", "Via Alessandro Manzoni", "Milano"),
            place(SearchKind::Civico, "civici", 100, "015146", "Via Alessandro Manzoni 12", "Milano"),
            place(SearchKind::Civico, "civici", 101, "015146", "Via Alessandro Manzoni 12A", "Milano"),
            place(SearchKind::Civico, "civici", 102, "015182", "Via Alessandro Manzoni 12", "Rho"),
            place(SearchKind::Servizio, "servizi_pubblici", 7, "015146", "Biblioteca Sormani", "Milano"),
        ];
        index.replace("f1", entries.clone(), true).await.unwrap();
        assert_eq!(index.meta().await.unwrap(), Some(("f1".to_string(), 6)));
        // the same fingerprint again is kept; a forced rebuild replaces
        index.replace("f1", entries[..1].to_vec(), true).await.unwrap();
        assert_eq!(index.meta().await.unwrap(), Some(("f1".to_string(), 6)));
        let all = vec!["comuni".to_string(), "strade".into(), "civici".into(), "servizi_pubblici".into()];
        let plan = |q: &str, scope: Option<&str>, civici: bool| Plan {
            terms: words(q).into_iter().map(|w| vec![(w, true)]).collect(),
            scope: scope.map(String::from),
            layers: all.clone(),
            civici,
            cap: 50,
        };
        let labels = |found: Vec<Entry>| found.into_iter().map(|e| format!("{}:{}", e.layer, e.fid.unwrap())).collect::<Vec<_>>();
        // prefixes, every word, streets before house numbers, shorter labels first
        assert_eq!(
            labels(index.candidates(&plan("via manz", Some("015146"), true)).await.unwrap()),
            ["strade:10", "civici:100", "civici:101"]
        );
        // no house numbers unless asked; the comune's scope
        assert_eq!(labels(index.candidates(&plan("manzoni", Some("015146"), false)).await.unwrap()), ["strade:10"]);
        assert_eq!(labels(index.candidates(&plan("manzoni 12", None, true)).await.unwrap()), ["civici:100", "civici:102", "civici:101"]);
        // the comune's name is searchable through the detail
        assert_eq!(labels(index.candidates(&plan("manzoni 12 rho", None, true)).await.unwrap()), ["civici:102"]);
        // layers the caller may not see are left out
        let mut p = plan("sormani", None, false);
        assert_eq!(labels(index.candidates(&p).await.unwrap()), ["servizi_pubblici:7"]);
        p.layers = vec!["comuni".into()];
        assert!(index.candidates(&p).await.unwrap().is_empty());
        // alternatives (corrections) are whole words
        let mut p = plan("via", Some("015146"), false);
        p.terms.push(vec![("manzoni".into(), false), ("marconi".into(), false)]);
        assert_eq!(labels(index.candidates(&p).await.unwrap()), ["strade:10"]);
        p.terms[1] = vec![("manzon".into(), false)];
        assert!(index.candidates(&p).await.unwrap().is_empty());
        // the returned entry is the stored one
        let got = index.candidates(&plan("sormani", None, false)).await.unwrap().remove(0);
        assert_eq!(got, entries[5]);
        let street = index.candidates(&plan("manzoni", Some("015146"), false)).await.unwrap().remove(0);
        assert_eq!(street.bbox, Some([9.0, 45.0, 9.01, 45.01]));
        let mut vocabulary = index.vocabulary().await.unwrap();
        vocabulary.sort();
        assert_eq!(vocabulary, ["a", "alessandro", "biblioteca", "manzoni", "milano", "rho", "sormani", "via"]);
        // a part replaced after an edit: Milano's house numbers in a box go (Rho's, in the box
        // too, and Milano's street stay), the new one comes, its words join the vocabulary
        let part = Part {
            layer: "civici".into(),
            scopes: Some(vec!["015146".into()]),
            within: crate::crs::Bbox::new(9.0995, 44.9, 9.1035, 45.1),
            fingerprint: "f1".into(),
        };
        assert!(part.holds(&entries[2]) && part.holds(&entries[3]) && !part.holds(&entries[4]) && !part.holds(&entries[1]));
        let added = place(SearchKind::Civico, "civici", 103, "015146", "Via Nuova Gioia 3", "Milano");
        index.replace_part(&part, vec![added.clone()]).await.unwrap();
        assert_eq!(index.meta().await.unwrap(), Some(("f1".to_string(), 5)));
        // rows made for another configuration (a replica rebuilt the index meanwhile): ignored
        index.replace_part(&Part { fingerprint: "f0".into(), ..part.clone() }, Vec::new()).await.unwrap();
        assert_eq!(index.meta().await.unwrap(), Some(("f1".to_string(), 5)));
        assert_eq!(labels(index.candidates(&plan("manzoni 12", None, true)).await.unwrap()), ["civici:102"]);
        assert_eq!(index.candidates(&plan("gioia 3", Some("015146"), true)).await.unwrap(), std::slice::from_ref(&added));
        assert_eq!(labels(index.candidates(&plan("via manz", Some("015146"), true)).await.unwrap()), ["strade:10"]);
        assert!(index.vocabulary().await.unwrap().contains(&"gioia".to_string()));
        // the same part again: the same rows (updates are idempotent)
        index.replace_part(&part, vec![added]).await.unwrap();
        assert_eq!(index.meta().await.unwrap(), Some(("f1".to_string(), 5)));
        assert_eq!(labels(index.candidates(&plan("gioia", None, true)).await.unwrap()), ["civici:103"]);
        // a whole layer in some comuni (streets)
        let streets = Part { layer: "strade".into(), scopes: Some(vec!["015146".into()]), within: None, fingerprint: "f1".into() };
        index.replace_part(&streets, Vec::new()).await.unwrap();
        assert!(index.candidates(&plan("manzoni", Some("015146"), false)).await.unwrap().is_empty());
        assert_eq!(index.meta().await.unwrap(), Some(("f1".to_string(), 4)));
        // a forced rebuild replaces everything
        index.replace("f2", entries[..1].to_vec(), false).await.unwrap();
        assert_eq!(index.meta().await.unwrap(), Some(("f2".to_string(), 1)));
        assert!(index.candidates(&plan("manzoni", None, true)).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn sqlite_index_passes_the_suite() {
        suite(Arc::new(sqlite::SqliteSearchIndex::in_memory())).await;
        let dir = tempfile::tempdir().unwrap();
        suite(Arc::new(sqlite::SqliteSearchIndex::open(&dir.path().join("apps.sqlite")).unwrap())).await;
    }

    #[test]
    fn words_are_folded_and_split() {
        assert_eq!(words("Via Sant'Ambrogio 12/A"), ["via", "sant", "ambrogio", "12", "a"]);
        assert_eq!(words("Città  12a"), ["citta", "12", "a"]);
        assert_eq!(words("  —  "), Vec::<String>::new());
        assert_eq!(words("CORSO XXII MARZO"), ["corso", "xxii", "marzo"]);
    }

    #[test]
    fn edit_distance_counts_swaps_as_one() {
        assert!(within_edits("manzoni", "manzoni", 0));
        assert!(within_edits("manzni", "manzoni", 1));
        assert!(within_edits("mnazoni", "manzoni", 1));
        assert!(!within_edits("mazni", "manzoni", 1));
        assert!(within_edits("mazni", "manzoni", 2));
        assert!(!within_edits("roma", "milano", 2));
    }

    #[test]
    fn terms_correct_only_unknown_words() {
        let v = Vocabulary::new(["via", "manzoni", "marconi", "roma", "garibaldi"].map(String::from));
        let t = terms(&words("via manzni 12"), &v);
        assert_eq!(t[0], vec![("via".to_string(), true)]);
        assert_eq!(t[1], vec![("manzoni".to_string(), false)]);
        assert_eq!(t[2], vec![("12".to_string(), true)]);
        // a prefix of a known word is typing, not a typo
        assert_eq!(terms(&words("garib"), &v)[0], vec![("garib".to_string(), true)]);
        // two edits for long words
        assert_eq!(terms(&words("garbaldii"), &v)[0], vec![("garibaldi".to_string(), false)]);
    }

    fn entry(kind: SearchKind, label: &str) -> Entry {
        Entry {
            kind,
            layer: "l".into(),
            fid: Some(1),
            scope: None,
            label: label.into(),
            detail: None,
            words: words(label).join(" "),
            lon: 9.0,
            lat: 45.0,
            bbox: None,
        }
    }

    #[test]
    fn exact_number_ranks_first() {
        let q = words("via roma 1");
        let hits = rank(&q, vec![entry(SearchKind::Civico, "Via Roma 11"), entry(SearchKind::Civico, "Via Roma 1")], 10);
        assert_eq!(hits[0].entry.label, "Via Roma 1");
        let hits = rank(&words("rho"), vec![entry(SearchKind::Servizio, "Rho"), entry(SearchKind::Comune, "Rho")], 10);
        assert_eq!(hits[0].entry.kind, SearchKind::Comune);
    }
}
