//! Writing features: the actions of one transaction ([`WriteBatch`]), already checked by the
//! caller against the layer (allow-listed attributes, typed values, valid geometries in the
//! layer's CRS, rows selected through a [`ResolvedQuery`] that carries the tenant restriction),
//! what a backend answers ([`WriteOutcome`]) and why it may refuse ([`WriteFailure`]).
//!
//! A backend applies a batch in one database transaction: every action or none. Each changed
//! feature leaves one row in the audit table `navigli_audit` in the same transaction (who,
//! when, tenant, layer, feature id, action, old and new values as [`row_json`]), so the audit
//! trail is exactly the history of the data.

use std::sync::Arc;

use geozero::{CoordDimensions, ToGeo, ToWkb};
use serde_json::{json, Value as Json};
use sha2::{Digest, Sha256};

use super::sql::{self, Dialect, Statement};
use super::{Feature, ResolvedQuery, SourceError, SourceLayer, Value};
use crate::crs::Bbox;

/// Most features one update or delete action may select (a larger selection is refused, not
/// cut short: nothing partial is written).
pub const MAX_SELECTED: u64 = 10_000;

/// The values of a feature to write.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Row {
    /// The geometry as WKB in the layer's CRS, with its bounding box. For a change, `None`
    /// leaves the geometry as it is.
    pub geometry: Option<(Vec<u8>, Bbox)>,
    /// Attribute values by index into [`SourceLayer::attributes`]; for a change, only these
    /// are set.
    pub values: Vec<(usize, Value)>,
    /// The value of the tenant column (set by the server, never by the client).
    pub tenant_code: Option<String>,
}

/// Which features an update, replace or delete applies to.
#[derive(Clone, Debug, PartialEq)]
pub struct Selection {
    /// The selection: its predicate (with the tenant restriction) and its limit.
    pub query: ResolvedQuery,
    /// The one feature it must find (an edit by id): absent → [`WriteReason::NotFound`].
    pub id: Option<i64>,
    /// The entity tag the feature must still have (`If-Match`): else [`WriteReason::Stale`].
    pub expect: Option<String>,
}

/// How a selected feature changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChangeKind {
    /// The given values replace the old ones; the others stay.
    Update,
    /// The feature is replaced whole: values not given become NULL.
    Replace,
}

/// One action of a transaction.
#[derive(Clone, Debug, PartialEq)]
pub enum WriteAction {
    /// A new feature (its id assigned by the backend).
    Insert(Row),
    /// Selected features change.
    Change {
        /// Update or replace.
        kind: ChangeKind,
        /// Which features.
        target: Selection,
        /// The new values.
        row: Row,
    },
    /// Selected features are deleted.
    Delete {
        /// Which features.
        target: Selection,
    },
}

/// Who writes, recorded with every change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Author {
    /// The caller's name (key holder, token subject).
    pub actor: String,
    /// The tenant the request came through.
    pub tenant: String,
}

/// A transaction: actions on layers of one source, applied in order.
#[derive(Clone, Debug, PartialEq)]
pub struct WriteBatch {
    /// The actions, each with the layer it writes to.
    pub actions: Vec<(Arc<SourceLayer>, WriteAction)>,
    /// Who writes.
    pub author: Author,
}

impl WriteBatch {
    /// The distinct tables the batch writes to, sorted (the order writers lock them in, so two
    /// transactions never wait for each other in a circle), each with one of its layers.
    pub fn tables(&self) -> Vec<(String, Arc<SourceLayer>)> {
        let mut out: Vec<(String, Arc<SourceLayer>)> = Vec::new();
        for (layer, _) in &self.actions {
            if let super::Relation::Table(t) = &layer.relation {
                if !out.iter().any(|(o, _)| o == t) {
                    out.push((t.clone(), Arc::clone(layer)));
                }
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }
}

/// What a committed transaction did (ids of all its layers together; see [`WriteOutcome::per_table`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WriteOutcome {
    /// Ids of the inserted features, in action order.
    pub inserted: Vec<i64>,
    /// Ids of the updated features.
    pub updated: Vec<i64>,
    /// Ids of the replaced features.
    pub replaced: Vec<i64>,
    /// Ids of the deleted features.
    pub deleted: Vec<i64>,
    /// Per table: the ids changed there and the box (layer CRS) of every old and new geometry,
    /// what caches must forget.
    pub per_table: Vec<TableChange>,
}

/// What a transaction changed in one table.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TableChange {
    /// The table.
    pub table: String,
    /// Ids inserted, changed or deleted there.
    pub ids: Vec<i64>,
    /// The box of the old and new geometries (the layer's CRS).
    pub bbox: Option<Bbox>,
}

impl WriteOutcome {
    /// Records a changed feature of `table` and its geometry's box.
    pub fn touch(&mut self, table: &str, id: i64, b: Option<Bbox>) {
        let i = match self.per_table.iter().position(|t| t.table == table) {
            Some(i) => i,
            None => {
                self.per_table.push(TableChange { table: table.to_string(), ..Default::default() });
                self.per_table.len() - 1
            }
        };
        let t = &mut self.per_table[i];
        if !t.ids.contains(&id) {
            t.ids.push(id);
        }
        if let Some(b) = b {
            t.bbox = Some(t.bbox.map_or(b, |o| o.union(&b)));
        }
    }
}

/// Why a transaction was rolled back.
#[derive(Debug, thiserror::Error)]
pub enum WriteReason {
    /// The feature to edit does not exist (or is not the tenant's).
    #[error("feature {0} does not exist")]
    NotFound(i64),
    /// The feature changed since the client read it.
    #[error("feature {0} has changed since it was read (its ETag no longer matches)")]
    Stale(i64),
    /// The selection holds more features than one action may change.
    #[error("the action selects more than {MAX_SELECTED} features")]
    TooMany,
    /// The backend cannot write.
    #[error("source {0} cannot be written to")]
    ReadOnly(String),
    /// The database refused.
    #[error(transparent)]
    Source(#[from] SourceError),
}

/// A rolled-back transaction: which action failed (0-based) and why.
#[derive(Debug, thiserror::Error)]
#[error("action {}: {reason}", .action + 1)]
pub struct WriteFailure {
    /// Index of the failing action.
    pub action: usize,
    /// Why.
    pub reason: WriteReason,
}

impl WriteFailure {
    /// A failure of action `action`.
    pub fn at(action: usize, reason: impl Into<WriteReason>) -> WriteFailure {
        WriteFailure { action, reason: reason.into() }
    }
}

/// The query a write reads its old rows with: every attribute, the geometry in the layer's CRS.
pub fn full_row_query(mut q: ResolvedQuery, layer: &SourceLayer) -> ResolvedQuery {
    q.columns = (0..layer.attributes.len()).collect();
    q.with_geometry = true;
    q.output_crs = layer.crs;
    q.native_crs = layer.crs;
    q.simplify = None;
    q.unordered = false;
    q.offset = 0;
    q.limit = q.limit.min(MAX_SELECTED) + 1;
    q
}

/// WKB written the one way (ISO, XY), so that the same geometry gives the same bytes whichever
/// backend stored it.
fn canonical_wkb(wkb: &[u8]) -> Vec<u8> {
    geozero::wkb::Wkb(wkb.to_vec()).to_geo().ok().and_then(|g| g.to_wkb(CoordDimensions::xy()).ok()).unwrap_or_else(|| wkb.to_vec())
}

/// The entity tag of a stored feature: a digest of every attribute value (in layer order) and
/// of its geometry in the layer's CRS. Quoted, as HTTP writes it.
pub fn etag(values: &[Value], wkb: Option<&[u8]>) -> String {
    let mut h = Sha256::new();
    for v in values {
        let (tag, text) = match v {
            Value::Null => (0u8, String::new()),
            Value::Bool(b) => (1, b.to_string()),
            Value::Int(i) => (2, i.to_string()),
            Value::Float(f) => (3, format!("{:?}", f)),
            Value::Text(s) => (4, s.clone()),
        };
        h.update([tag]);
        h.update((text.len() as u64).to_le_bytes());
        h.update(text.as_bytes());
    }
    match wkb {
        Some(w) => h.update(canonical_wkb(w)),
        None => h.update([0xff]),
    }
    let d = h.finalize();
    format!("\"{}\"", d[..12].iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// The entity tag of a feature read with [`full_row_query`].
pub fn feature_etag(f: &Feature) -> String {
    etag(&f.values, f.wkb.as_deref())
}

/// A value as JSON (text stays text: dates are ISO strings).
pub fn value_json(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Bool(b) => json!(b),
        Value::Int(i) => json!(i),
        Value::Float(f) => json!(f),
        Value::Text(s) => json!(s),
    }
}

/// A feature as the audit trail keeps it: `{"properties": {...}, "tenant": code, "geometry":
/// WKT in the layer's CRS}` — enough to put it back as it was.
pub fn row_json(layer: &SourceLayer, values: &[Value], wkb: Option<&[u8]>, tenant: Option<&str>) -> Json {
    let mut props = serde_json::Map::new();
    for (a, v) in layer.attributes.iter().zip(values) {
        props.insert(a.name.clone(), value_json(v));
    }
    let wkt = wkb.and_then(|w| {
        use wkt::ToWkt;
        geozero::wkb::Wkb(w.to_vec()).to_geo().ok().map(|g| g.wkt_string())
    });
    json!({ "properties": props, "tenant": tenant, "geometry": wkt, "srid": layer.crs.srid() })
}

/// The values of a feature after a change: the old ones with the given ones set (update) or
/// only the given ones (replace).
pub fn changed_values(kind: ChangeKind, old: &[Value], set: &[(usize, Value)]) -> Vec<Value> {
    let mut out = match kind {
        ChangeKind::Update => old.to_vec(),
        ChangeKind::Replace => vec![Value::Null; old.len()],
    };
    for (i, v) in set {
        if let Some(slot) = out.get_mut(*i) {
            *slot = v.clone();
        }
    }
    out
}

/// The columns a change sets: the given values, and for a replace every other attribute NULL.
pub fn change_set(kind: ChangeKind, layer: &SourceLayer, set: &[(usize, Value)]) -> Vec<(usize, Value)> {
    match kind {
        ChangeKind::Update => set.to_vec(),
        ChangeKind::Replace => {
            (0..layer.attributes.len()).map(|i| (i, set.iter().find(|(j, _)| *j == i).map_or(Value::Null, |(_, v)| v.clone()))).collect()
        }
    }
}

/// The bounding box of WKB (`None` when empty or unreadable).
pub fn wkb_bbox(wkb: &[u8]) -> Option<Bbox> {
    geozero::wkb::Wkb(wkb.to_vec()).to_geo().ok().and_then(|g| Bbox::of_geometry(&g))
}

/// What a backend's open transaction offers [`apply`]: reading the rows an action selects,
/// inserting, executing. The backend begins the transaction, and commits it when [`apply`]
/// succeeds (rolls it back otherwise).
#[async_trait::async_trait]
pub trait WriteTx: Send {
    /// The rows of a [`sql::locked_rows_statement`] for `q`: each feature with its tenant code.
    async fn rows(
        &mut self,
        statement: Statement,
        layer: &SourceLayer,
        q: &ResolvedQuery,
    ) -> Result<Vec<(Feature, Option<String>)>, SourceError>;
    /// Runs an INSERT … RETURNING id.
    async fn insert(&mut self, statement: Statement) -> Result<i64, SourceError>;
    /// Runs a statement, returning the rows it changed.
    async fn execute(&mut self, statement: Statement) -> Result<u64, SourceError>;
}

/// Applies every action of `batch` through `tx`, with one audit row per changed feature.
pub async fn apply(
    tx: &mut dyn WriteTx,
    dialect: impl Fn(&SourceLayer) -> Dialect + Send + Sync,
    batch: &WriteBatch,
) -> Result<WriteOutcome, WriteFailure> {
    let mut out = WriteOutcome::default();
    for (n, (layer, action)) in batch.actions.iter().enumerate() {
        let fail = |r: WriteReason| WriteFailure::at(n, r);
        let table = match &layer.relation {
            super::Relation::Table(t) => t.clone(),
            super::Relation::Sql(_) => return Err(fail(WriteReason::ReadOnly(layer.name.clone()))),
        };
        let dialect = &dialect(layer);
        let layer = layer.as_ref();
        let audit = |id: i64, old: Option<Json>, new: Option<Json>| {
            let entry =
                [batch.author.actor.clone(), batch.author.tenant.clone(), layer.name.clone(), table.clone(), action_name(action).into()];
            sql::audit_statement(dialect, entry, id, old.map(|j| j.to_string()), new.map(|j| j.to_string()))
        };
        match action {
            WriteAction::Insert(row) => {
                let id = tx.insert(sql::insert_statement(dialect, layer, row)).await.map_err(|e| fail(e.into()))?;
                let values = changed_values(ChangeKind::Replace, &vec![Value::Null; layer.attributes.len()], &row.values);
                let wkb = row.geometry.as_ref().map(|(w, _)| w.as_slice());
                let new = row_json(layer, &values, wkb, row.tenant_code.as_deref());
                tx.execute(audit(id, None, Some(new))).await.map_err(|e| fail(e.into()))?;
                out.inserted.push(id);
                out.touch(&table, id, row.geometry.as_ref().map(|(_, b)| *b));
            }
            WriteAction::Change { kind, target, row } => {
                for (old, tenant) in selected(tx, dialect, layer, target).await.map_err(fail)? {
                    let set = Row { values: change_set(*kind, layer, &row.values), ..row.clone() };
                    if let Some(statement) = sql::update_statement(dialect, layer, old.id, &set) {
                        tx.execute(statement).await.map_err(|e| fail(e.into()))?;
                    }
                    let values = changed_values(*kind, &old.values, &row.values);
                    let wkb = row.geometry.as_ref().map(|(w, _)| w.as_slice()).or(old.wkb.as_deref());
                    let new_tenant = row.tenant_code.as_deref().or(tenant.as_deref());
                    let new = row_json(layer, &values, wkb, new_tenant);
                    let was = row_json(layer, &old.values, old.wkb.as_deref(), tenant.as_deref());
                    tx.execute(audit(old.id, Some(was), Some(new))).await.map_err(|e| fail(e.into()))?;
                    out.touch(&table, old.id, old.wkb.as_deref().and_then(wkb_bbox));
                    out.touch(&table, old.id, row.geometry.as_ref().map(|(_, b)| *b));
                    match kind {
                        ChangeKind::Update => out.updated.push(old.id),
                        ChangeKind::Replace => out.replaced.push(old.id),
                    }
                }
            }
            WriteAction::Delete { target } => {
                for (old, tenant) in selected(tx, dialect, layer, target).await.map_err(fail)? {
                    tx.execute(sql::delete_statement(dialect, layer, old.id)).await.map_err(|e| fail(e.into()))?;
                    let was = row_json(layer, &old.values, old.wkb.as_deref(), tenant.as_deref());
                    tx.execute(audit(old.id, Some(was), None)).await.map_err(|e| fail(e.into()))?;
                    out.touch(&table, old.id, old.wkb.as_deref().and_then(wkb_bbox));
                    out.deleted.push(old.id);
                }
            }
        }
    }
    Ok(out)
}

/// The rows a selection holds, checked: not more than [`MAX_SELECTED`], the one asked for
/// present and unchanged.
async fn selected(
    tx: &mut dyn WriteTx,
    dialect: &Dialect,
    layer: &SourceLayer,
    target: &Selection,
) -> Result<Vec<(Feature, Option<String>)>, WriteReason> {
    let q = full_row_query(target.query.clone(), layer);
    let rows = tx.rows(sql::locked_rows_statement(dialect, layer, &q), layer, &q).await?;
    if rows.len() as u64 > MAX_SELECTED {
        return Err(WriteReason::TooMany);
    }
    if let Some(id) = target.id {
        let Some((f, _)) = rows.iter().find(|(f, _)| f.id == id) else { return Err(WriteReason::NotFound(id)) };
        if target.expect.as_ref().is_some_and(|e| *e != feature_etag(f)) {
            return Err(WriteReason::Stale(id));
        }
    }
    Ok(rows)
}

/// The audit action names.
pub fn action_name(action: &WriteAction) -> &'static str {
    match action {
        WriteAction::Insert(_) => "insert",
        WriteAction::Change { kind: ChangeKind::Update, .. } => "update",
        WriteAction::Change { kind: ChangeKind::Replace, .. } => "replace",
        WriteAction::Delete { .. } => "delete",
    }
}

/// The audit table both backends keep (created by the PostGIS migrations, and by the GeoPackage
/// writer on first use).
pub const AUDIT_TABLE: &str = "navigli_audit";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etags_tell_values_and_geometries_apart() {
        let point = geo::Geometry::Point(geo::Point::new(1.0, 2.0)).to_wkb(CoordDimensions::xy()).unwrap();
        let other = geo::Geometry::Point(geo::Point::new(1.0, 2.5)).to_wkb(CoordDimensions::xy()).unwrap();
        let a = etag(&[Value::Text("x".into()), Value::Int(1)], Some(&point));
        assert_eq!(a, etag(&[Value::Text("x".into()), Value::Int(1)], Some(&point)));
        assert_ne!(a, etag(&[Value::Text("x".into()), Value::Int(2)], Some(&point)));
        assert_ne!(a, etag(&[Value::Text("x".into()), Value::Int(1)], Some(&other)));
        assert_ne!(etag(&[Value::Text("1".into())], None), etag(&[Value::Int(1)], None));
        assert!(a.starts_with('"') && a.ends_with('"'));
    }

    #[test]
    fn replace_clears_what_it_does_not_give() {
        let old = [Value::Int(1), Value::Text("a".into())];
        assert_eq!(changed_values(ChangeKind::Update, &old, &[(1, Value::Text("b".into()))]), vec![Value::Int(1), Value::Text("b".into())]);
        assert_eq!(changed_values(ChangeKind::Replace, &old, &[(1, Value::Text("b".into()))]), vec![Value::Null, Value::Text("b".into())]);
    }
}
