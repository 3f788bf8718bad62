//! SQL generation from a [`ResolvedQuery`]: small pure functions, one switch per dialect.
//! Identifiers come from the layer configuration and are always quoted; every literal becomes a
//! bound parameter ([`Param`]). The same query yields the same SQL text, so PostgreSQL
//! statements can be prepared once and cached.

use geozero::ToWkb;

use crate::filter::CompareOp;
use crate::source::{AttributeType, Predicate, Relation, ResolvedQuery, SourceLayer, Value};

/// SQL dialect of a backend.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite with navigli's spatial functions (GeoPackage). `rtree` names the layer's
    /// GeoPackage R-tree index table, when it has one.
    Sqlite {
        /// R-tree table (`rtree_<table>_<column>`).
        rtree: Option<String>,
    },
    /// PostgreSQL + PostGIS; `srid` is the layer's stored SRID.
    Postgres {
        /// SRID of the geometry column.
        srid: u32,
    },
}

/// A bound parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Param {
    /// Integer.
    Int(i64),
    /// Double.
    Float(f64),
    /// Text.
    Text(String),
    /// Boolean.
    Bool(bool),
    /// Bytes (WKB).
    Bytes(Vec<u8>),
    /// Integer list (PostgreSQL `= ANY`).
    IntList(Vec<i64>),
    /// Double list.
    FloatList(Vec<f64>),
    /// Text list.
    TextList(Vec<String>),
}

/// A statement and its parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Statement {
    /// SQL text with `?N` (SQLite) or `$N` (PostgreSQL) placeholders.
    pub sql: String,
    /// Values for the placeholders, in order.
    pub params: Vec<Param>,
}

/// Quotes an identifier: `"name"` with inner quotes doubled.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes a table name; `schema.table` quotes each part.
pub fn quote_table(name: &str) -> String {
    name.split('.').map(quote_ident).collect::<Vec<_>>().join(".")
}

/// The FROM target of a layer: its quoted table, or its SQL as an aliased sub-query.
pub fn from_clause(layer: &SourceLayer) -> String {
    match &layer.relation {
        Relation::Table(t) => quote_table(t),
        Relation::Sql(sql) => format!("({sql}) AS \"navigli_src\""),
    }
}

struct Writer<'a> {
    dialect: &'a Dialect,
    layer: &'a SourceLayer,
    params: Vec<Param>,
}

impl Writer<'_> {
    fn bind(&mut self, p: Param) -> String {
        let cast = match (&self.dialect, &p) {
            (Dialect::Sqlite { .. }, _) => "",
            (_, Param::Int(_)) => "::int8",
            (_, Param::Float(_)) => "::float8",
            (_, Param::Text(_)) => "::text",
            (_, Param::Bool(_)) => "::bool",
            (_, Param::Bytes(_)) => "::bytea",
            (_, Param::IntList(_)) => "::int8[]",
            (_, Param::FloatList(_)) => "::float8[]",
            (_, Param::TextList(_)) => "::text[]",
        };
        self.params.push(p);
        match self.dialect {
            Dialect::Sqlite { .. } => format!("?{}", self.params.len()),
            Dialect::Postgres { .. } => format!("${}{}", self.params.len(), cast),
        }
    }

    fn is_pg(&self) -> bool {
        matches!(self.dialect, Dialect::Postgres { .. })
    }

    fn column(&self, attr: usize) -> String {
        quote_ident(&self.layer.attributes[attr].name)
    }

    fn kind(&self, attr: usize) -> AttributeType {
        self.layer.attributes[attr].kind
    }

    /// A literal for comparison with `attr`, cast to the column's type where needed.
    fn literal(&mut self, attr: usize, v: &Value) -> String {
        let p = match v {
            Value::Int(i) => Param::Int(*i),
            Value::Float(f) => Param::Float(*f),
            Value::Text(s) => Param::Text(s.clone()),
            Value::Bool(b) if self.is_pg() => Param::Bool(*b),
            Value::Bool(b) => Param::Int(*b as i64),
            Value::Null => Param::Text(String::new()), // excluded by resolve()
        };
        let placeholder = self.bind(p);
        if self.is_pg() && self.kind(attr) == AttributeType::Date {
            format!("{placeholder}::date")
        } else {
            placeholder
        }
    }

    /// The column as the left side of an ordering comparison (byte order for text).
    fn ordered_column(&self, attr: usize) -> String {
        let c = self.column(attr);
        if self.is_pg() && self.kind(attr) == AttributeType::Text {
            format!("{c} COLLATE \"C\"")
        } else {
            c
        }
    }

    fn predicate(&mut self, p: &Predicate) -> String {
        match p {
            Predicate::And(v) if v.is_empty() => "(1=1)".into(),
            Predicate::Or(v) if v.is_empty() => "(1=0)".into(),
            Predicate::And(v) => format!("({})", v.iter().map(|p| self.predicate(p)).collect::<Vec<_>>().join(" AND ")),
            Predicate::Or(v) => format!("({})", v.iter().map(|p| self.predicate(p)).collect::<Vec<_>>().join(" OR ")),
            // NOT over a NULL comparison would be NULL (row dropped). As in FES, a comparison
            // with a NULL property is false, so `NOT (a = 1)` keeps the rows where `a` is NULL
            // (on both backends); `a <> 1` does not.
            Predicate::Not(inner) => format!("(NOT COALESCE({}, FALSE))", self.predicate(inner)),
            Predicate::Compare { attr, op, value } => {
                let lhs = if *op == CompareOp::Eq || *op == CompareOp::Ne { self.column(*attr) } else { self.ordered_column(*attr) };
                let rhs = self.literal(*attr, value);
                format!("({lhs} {} {rhs})", op.sql())
            }
            Predicate::CompareAttrs { left, op, right } => {
                let ordered = !matches!(op, CompareOp::Eq | CompareOp::Ne);
                let side = |me: &Self, a: usize| if ordered { me.ordered_column(a) } else { me.column(a) };
                format!("({} {} {})", side(self, *left), op.sql(), side(self, *right))
            }
            Predicate::Between { attr, low, high } => {
                let lhs = self.ordered_column(*attr);
                let lo = self.literal(*attr, low);
                let hi = self.literal(*attr, high);
                format!("({lhs} BETWEEN {lo} AND {hi})")
            }
            Predicate::Like { attr, pattern, match_case } => {
                let col = self.column(*attr);
                let pat = self.bind(Param::Text(pattern.clone()));
                match self.dialect {
                    Dialect::Postgres { .. } => {
                        let op = if *match_case { "LIKE" } else { "ILIKE" };
                        format!("({col}::text {op} {pat} ESCAPE E'\\\\')")
                    }
                    Dialect::Sqlite { .. } => format!("(navigli_like({col}, {pat}, {}) = 1)", *match_case as i32),
                }
            }
            Predicate::IsNull { attr } => format!("({} IS NULL)", self.column(*attr)),
            Predicate::In { attr, values } => self.in_list(*attr, values),
            Predicate::Ids(ids) => {
                let id = quote_ident(&self.layer.id_column);
                if ids.is_empty() {
                    return "(1=0)".into();
                }
                match self.dialect {
                    Dialect::Postgres { .. } => format!("({id} = ANY({}))", self.bind(Param::IntList(ids.clone()))),
                    Dialect::Sqlite { .. } => {
                        let list: Vec<String> = ids.iter().map(|i| self.bind(Param::Int(*i))).collect();
                        format!("({id} IN ({}))", list.join(", "))
                    }
                }
            }
            Predicate::Envelope(b) => {
                let geom = quote_ident(&self.layer.geometry_column);
                let (x0, y0, x1, y1) = (
                    self.bind(Param::Float(b.min_x)),
                    self.bind(Param::Float(b.min_y)),
                    self.bind(Param::Float(b.max_x)),
                    self.bind(Param::Float(b.max_y)),
                );
                match self.dialect.clone() {
                    Dialect::Postgres { srid } => format!("({geom} && ST_MakeEnvelope({x0}, {y0}, {x1}, {y1}, {srid}))"),
                    Dialect::Sqlite { rtree: Some(rt) } => {
                        let id = quote_ident(&self.layer.id_column);
                        format!(
                            "({id} IN (SELECT id FROM {} WHERE minx <= {x1} AND maxx >= {x0} AND miny <= {y1} AND maxy >= {y0}))",
                            quote_ident(&rt)
                        )
                    }
                    Dialect::Sqlite { rtree: None } => {
                        let w = self.bind(Param::Bytes(
                            geo::Geometry::Polygon(b.to_polygon()).to_wkb(geozero::CoordDimensions::xy()).unwrap_or_default(),
                        ));
                        format!("(navigli_spatial({geom}, {w}, 0, 0.0) = 1)")
                    }
                }
            }
            Predicate::TenantColumn(code) => {
                let col = quote_ident(self.layer.tenant_column.as_deref().unwrap_or("cod_istat"));
                format!("({col} = {})", self.bind(Param::Text(code.clone())))
            }
            Predicate::Spatial { relation, wkb, envelope } => {
                let geom = quote_ident(&self.layer.geometry_column);
                match self.dialect.clone() {
                    Dialect::Postgres { srid } => {
                        let g = format!("ST_GeomFromWKB({}, {srid})", self.bind(Param::Bytes(wkb.clone())));
                        match relation {
                            crate::source::SpatialRelation::Intersects => format!("ST_Intersects({geom}, {g})"),
                            crate::source::SpatialRelation::Within => format!("ST_Within({geom}, {g})"),
                            crate::source::SpatialRelation::Contains => format!("ST_Contains({geom}, {g})"),
                            crate::source::SpatialRelation::DWithin(d) => {
                                format!("ST_DWithin({geom}, {g}, {})", self.bind(Param::Float(*d)))
                            }
                        }
                    }
                    Dialect::Sqlite { rtree } => {
                        let prefilter = rtree.map(|rt| {
                            let id = quote_ident(&self.layer.id_column);
                            let rt = quote_ident(&rt);
                            let (a, b, c, d) = (
                                self.bind(Param::Float(envelope.max_x)),
                                self.bind(Param::Float(envelope.min_x)),
                                self.bind(Param::Float(envelope.max_y)),
                                self.bind(Param::Float(envelope.min_y)),
                            );
                            format!("{id} IN (SELECT id FROM {rt} WHERE minx <= {a} AND maxx >= {b} AND miny <= {c} AND maxy >= {d}) AND ")
                        });
                        let w = self.bind(Param::Bytes(wkb.clone()));
                        let code = self.bind(Param::Int(relation.code()));
                        let dist = self.bind(Param::Float(relation.distance()));
                        format!("({}navigli_spatial({geom}, {w}, {code}, {dist}) = 1)", prefilter.unwrap_or_default())
                    }
                }
            }
        }
    }

    fn in_list(&mut self, attr: usize, values: &[Value]) -> String {
        let col = self.column(attr);
        let kind = self.kind(attr);
        if !self.is_pg() || kind == AttributeType::Bool {
            let list: Vec<String> = values.iter().map(|v| self.literal(attr, v)).collect();
            return format!("({col} IN ({}))", list.join(", "));
        }
        let list = match kind {
            AttributeType::Int => {
                Param::IntList(values.iter().filter_map(|v| if let Value::Int(i) = v { Some(*i) } else { None }).collect())
            }
            AttributeType::Float => {
                Param::FloatList(values.iter().filter_map(|v| if let Value::Float(f) = v { Some(*f) } else { None }).collect())
            }
            _ => Param::TextList(values.iter().map(|v| v.to_string()).collect()),
        };
        let p = self.bind(list);
        if kind == AttributeType::Date {
            format!("({col} = ANY({p}::date[]))")
        } else {
            format!("({col} = ANY({p}))")
        }
    }

    fn where_clause(&mut self, q: &ResolvedQuery) -> String {
        match &q.predicate {
            None => String::new(),
            Some(p) => format!(" WHERE {}", self.predicate(p)),
        }
    }

    fn select_list(&mut self, q: &ResolvedQuery) -> String {
        let mut cols = Vec::with_capacity(q.columns.len() + 2);
        let id = quote_ident(&self.layer.id_column);
        let geom = quote_ident(&self.layer.geometry_column);
        match self.dialect {
            Dialect::Postgres { .. } => {
                cols.push(format!("{id}::int8"));
                cols.push(match (q.with_geometry, q.simplify) {
                    (false, _) => "NULL::bytea".into(),
                    (true, None) => format!("ST_AsBinary({geom})"),
                    (true, Some(t)) => format!("ST_AsBinary(ST_Simplify({geom}, {}, true))", self.bind(Param::Float(t))),
                });
                for &i in &q.columns {
                    let c = self.column(i);
                    cols.push(match self.kind(i) {
                        AttributeType::Int => format!("{c}::int8"),
                        AttributeType::Float => format!("{c}::float8"),
                        AttributeType::Text => format!("{c}::text"),
                        AttributeType::Bool => format!("{c}::bool"),
                        AttributeType::Date => format!("to_char({c}, 'YYYY-MM-DD')"),
                    });
                }
            }
            Dialect::Sqlite { .. } => {
                cols.push(id);
                cols.push(if q.with_geometry { geom } else { "NULL".into() });
                cols.extend(q.columns.iter().map(|&i| self.column(i)));
            }
        }
        cols.join(", ")
    }

    fn order_by(&self, q: &ResolvedQuery) -> String {
        if q.unordered {
            return String::new();
        }
        let mut keys: Vec<String> = q
            .sort
            .iter()
            .map(|&(attr, desc)| {
                // NULLs sort after values either way, on both backends.
                format!("{} {} NULLS LAST", self.ordered_column(attr), if desc { "DESC" } else { "ASC" })
            })
            .collect();
        keys.push(format!("{} ASC", quote_ident(&self.layer.id_column)));
        format!(" ORDER BY {}", keys.join(", "))
    }
}

/// The SELECT for a feature query: id, geometry (WKB or GeoPackage blob), then the columns.
pub fn select_statement(dialect: &Dialect, layer: &SourceLayer, q: &ResolvedQuery) -> Statement {
    let mut w = Writer { dialect, layer, params: Vec::new() };
    let select = w.select_list(q);
    let from = from_clause(layer);
    let filter = w.where_clause(q);
    let order = w.order_by(q);
    let limit = w.bind(Param::Int(q.limit.min(i64::MAX as u64) as i64));
    let offset = w.bind(Param::Int(q.offset.min(i64::MAX as u64) as i64));
    Statement { sql: format!("SELECT {select} FROM {from}{filter}{order} LIMIT {limit} OFFSET {offset}"), params: w.params }
}

/// How a PostGIS layer becomes one MVT layer (`ST_AsMVT`).
#[derive(Clone, Debug)]
pub struct MvtParams {
    /// The MVT layer name.
    pub name: String,
    /// The tile square, EPSG:3857.
    pub bbox: crate::crs::Bbox,
    /// Grid size.
    pub extent: u32,
    /// Clip buffer, tile units.
    pub buffer: u32,
    /// Simplification tolerance, metres (0: none).
    pub tolerance: f64,
}

/// The `ST_AsMVT` statement for a query (PostgreSQL only): the attributes under their own
/// names, the id as the feature id, geometries moved to EPSG:3857, simplified by the given
/// tolerance and clipped, quantised and oriented by `ST_AsMVTGeom`. Every value is bound.
pub fn mvt_statement(dialect: &Dialect, layer: &SourceLayer, q: &ResolvedQuery, p: &MvtParams) -> Statement {
    let mut w = Writer { dialect, layer, params: Vec::new() };
    let id = quote_ident(&layer.id_column);
    let geom = quote_ident(&layer.geometry_column);
    let mut cols = vec![format!("{id}::int8 AS \"navigli_fid\"")];
    for &i in &q.columns {
        let c = w.column(i);
        cols.push(match w.kind(i) {
            AttributeType::Int => format!("{c}::int8 AS {c}"),
            AttributeType::Float => format!("{c}::float8 AS {c}"),
            AttributeType::Text => format!("{c}::text AS {c}"),
            AttributeType::Bool => format!("{c}::bool AS {c}"),
            AttributeType::Date => format!("to_char({c}, 'YYYY-MM-DD') AS {c}"),
        });
    }
    let srid = match dialect {
        Dialect::Postgres { srid } => *srid,
        Dialect::Sqlite { .. } => 0,
    };
    let moved = if srid == 3857 { geom.clone() } else { format!("ST_Transform({geom}, 3857)") };
    let tolerance = w.bind(Param::Float(p.tolerance));
    let simplified = format!("CASE WHEN {tolerance} > 0 THEN ST_Simplify({moved}, {tolerance}, true) ELSE {moved} END");
    let (x0, y0, x1, y1) = (
        w.bind(Param::Float(p.bbox.min_x)),
        w.bind(Param::Float(p.bbox.min_y)),
        w.bind(Param::Float(p.bbox.max_x)),
        w.bind(Param::Float(p.bbox.max_y)),
    );
    let extent = w.bind(Param::Int(i64::from(p.extent)));
    let buffer = w.bind(Param::Int(i64::from(p.buffer)));
    cols.push(format!(
        "ST_AsMVTGeom({simplified}, ST_MakeEnvelope({x0}, {y0}, {x1}, {y1}, 3857), {extent}::int4, {buffer}::int4, true) AS \"navigli_geom\""
    ));
    let from = from_clause(layer);
    let filter = w.where_clause(q);
    let limit = w.bind(Param::Int(q.limit.min(i64::MAX as u64) as i64));
    let name = w.bind(Param::Text(p.name.clone()));
    let sql = format!(
        "SELECT ST_AsMVT(t.*, {name}, {extent}::int4, 'navigli_geom', 'navigli_fid') FROM (SELECT {} FROM {from}{filter} LIMIT {limit}) AS t WHERE t.\"navigli_geom\" IS NOT NULL",
        cols.join(", ")
    );
    Statement { sql, params: w.params }
}

/// The COUNT for a feature query (offset and limit ignored).
pub fn count_statement(dialect: &Dialect, layer: &SourceLayer, q: &ResolvedQuery) -> Statement {
    let mut w = Writer { dialect, layer, params: Vec::new() };
    let from = from_clause(layer);
    let filter = w.where_clause(q);
    let count = if w.is_pg() { "count(*)::int8" } else { "count(*)" };
    Statement { sql: format!("SELECT {count} FROM {from}{filter}"), params: w.params }
}

/// The rows a write action selects, as it reads them before changing them: the id, the
/// geometry in the layer's CRS, every attribute and the tenant column as text; locked until
/// the transaction ends on PostgreSQL (`FOR UPDATE`; SQLite's one writer holds the database).
pub fn locked_rows_statement(dialect: &Dialect, layer: &SourceLayer, q: &ResolvedQuery) -> Statement {
    let mut w = Writer { dialect, layer, params: Vec::new() };
    let mut select = w.select_list(q);
    match &layer.tenant_column {
        Some(t) if w.is_pg() => select.push_str(&format!(", {}::text", quote_ident(t))),
        Some(t) => select.push_str(&format!(", {}", quote_ident(t))),
        None => select.push_str(", NULL"),
    }
    let from = from_clause(layer);
    let filter = w.where_clause(q);
    let id = quote_ident(&layer.id_column);
    let limit = w.bind(Param::Int(q.limit.min(i64::MAX as u64) as i64));
    let lock = if w.is_pg() { " FOR UPDATE" } else { "" };
    Statement { sql: format!("SELECT {select} FROM {from}{filter} ORDER BY {id} LIMIT {limit}{lock}"), params: w.params }
}

impl Writer<'_> {
    /// A value to store in attribute `attr` (NULL typed for PostgreSQL).
    fn stored(&mut self, attr: usize, v: &Value) -> String {
        let kind = self.kind(attr);
        if *v == Value::Null {
            return match (self.is_pg(), kind) {
                (false, _) => "NULL".into(),
                (true, AttributeType::Int) => "NULL::int8".into(),
                (true, AttributeType::Float) => "NULL::float8".into(),
                (true, AttributeType::Bool) => "NULL::bool".into(),
                (true, AttributeType::Date) => "NULL::date".into(),
                (true, AttributeType::Text) => "NULL::text".into(),
            };
        }
        self.literal(attr, v)
    }

    /// A geometry to store: PostGIS from WKB in the layer's SRID, or a GeoPackage blob.
    fn stored_geometry(&mut self, wkb: &[u8], bbox: &crate::crs::Bbox) -> String {
        match self.dialect {
            Dialect::Postgres { srid } => {
                let srid = *srid;
                format!("ST_GeomFromWKB({}, {srid})", self.bind(Param::Bytes(wkb.to_vec())))
            }
            Dialect::Sqlite { .. } => {
                let srid = i32::try_from(self.layer.crs.srid()).unwrap_or(0);
                self.bind(Param::Bytes(super::gpkg::gpkg_blob(srid, wkb, Some(bbox))))
            }
        }
    }

    /// `column = value` pairs of a row (geometry, attributes, tenant column).
    fn assignments(&mut self, row: &super::write::Row) -> Vec<(String, String)> {
        let mut out = Vec::new();
        if let Some((wkb, bbox)) = &row.geometry {
            out.push((quote_ident(&self.layer.geometry_column), self.stored_geometry(wkb, bbox)));
        }
        for (i, v) in &row.values {
            out.push((self.column(*i), self.stored(*i, v)));
        }
        if let (Some(col), Some(code)) = (&self.layer.tenant_column, &row.tenant_code) {
            out.push((quote_ident(col), self.bind(Param::Text(code.clone()))));
        }
        out
    }
}

/// INSERT of a new feature, returning its id: one above the table's largest id and the largest
/// the audit trail recorded for the table, so no id is ever given twice (a deleted feature's
/// history stays its own). Safe because a writer holds the table's write lock (PostgreSQL,
/// [`lock_statement`]) or the database (SQLite's one writer).
pub fn insert_statement(dialect: &Dialect, layer: &SourceLayer, row: &super::write::Row) -> Statement {
    let mut w = Writer { dialect, layer, params: Vec::new() };
    let table = from_clause(layer);
    let id = quote_ident(&layer.id_column);
    let mut pairs = Vec::new();
    let name = match &layer.relation {
        Relation::Table(t) => t.clone(),
        Relation::Sql(_) => String::new(),
    };
    let audited = w.bind(Param::Text(name));
    let greatest = if w.is_pg() { "GREATEST" } else { "max" };
    let next = format!(
        "(SELECT {greatest}(COALESCE(max({id}), 0), COALESCE((SELECT max(feature_id) FROM {} WHERE table_name = {audited}), 0)) + 1 FROM {table})",
        super::write::AUDIT_TABLE
    );
    pairs.push((id.clone(), next));
    pairs.extend(w.assignments(row));
    let (cols, vals): (Vec<String>, Vec<String>) = pairs.into_iter().unzip();
    let cast = if w.is_pg() { "::int8" } else { "" };
    let sql = if cols.is_empty() {
        format!("INSERT INTO {table} DEFAULT VALUES RETURNING {id}{cast}")
    } else {
        format!("INSERT INTO {table} ({}) VALUES ({}) RETURNING {id}{cast}", cols.join(", "), vals.join(", "))
    };
    Statement { sql, params: w.params }
}

/// UPDATE of one feature (`None` when the row sets nothing).
pub fn update_statement(dialect: &Dialect, layer: &SourceLayer, id: i64, row: &super::write::Row) -> Option<Statement> {
    let mut w = Writer { dialect, layer, params: Vec::new() };
    let sets = w.assignments(row);
    if sets.is_empty() {
        return None;
    }
    let sets: Vec<String> = sets.into_iter().map(|(c, v)| format!("{c} = {v}")).collect();
    let key = w.bind(Param::Int(id));
    let sql = format!("UPDATE {} SET {} WHERE {} = {key}", from_clause(layer), sets.join(", "), quote_ident(&layer.id_column));
    Some(Statement { sql, params: w.params })
}

/// DELETE of one feature.
pub fn delete_statement(dialect: &Dialect, layer: &SourceLayer, id: i64) -> Statement {
    let mut w = Writer { dialect, layer, params: Vec::new() };
    let key = w.bind(Param::Int(id));
    Statement { sql: format!("DELETE FROM {} WHERE {} = {key}", from_clause(layer), quote_ident(&layer.id_column)), params: w.params }
}

/// The table lock a PostgreSQL write transaction takes first: writers of one table go one at a
/// time (so ids and ETag checks cannot race), readers are never blocked.
pub fn lock_statement(layer: &SourceLayer) -> String {
    format!("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE", from_clause(layer))
}

/// The audit row of one changed feature: actor, tenant, layer, table, feature id, action, old
/// and new values (JSON text).
pub fn audit_statement(dialect: &Dialect, entry: [String; 5], feature_id: i64, old: Option<String>, new: Option<String>) -> Statement {
    let pg = matches!(dialect, Dialect::Postgres { .. });
    let mut params: Vec<Param> = entry.into_iter().map(Param::Text).collect();
    params.push(Param::Int(feature_id));
    let n = params.len();
    let json = |p: &mut Vec<Param>, v: Option<String>| match v {
        None => "NULL".to_string(),
        Some(text) => {
            p.push(Param::Text(text));
            if pg {
                format!("${}::text::jsonb", p.len())
            } else {
                format!("?{}", p.len())
            }
        }
    };
    let old = json(&mut params, old);
    let new = json(&mut params, new);
    let marks: Vec<String> = (1..=n).map(|i| if pg { format!("${i}") } else { format!("?{i}") }).collect();
    let now = if pg { "now()" } else { "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')" };
    let sql = format!(
        "INSERT INTO {} (at, actor, tenant, layer, table_name, feature_id, action, old_value, new_value) VALUES ({now}, {}, {}, {}, {}, {}::int8, {}, {old}, {new})",
        super::write::AUDIT_TABLE,
        marks[0],
        marks[1],
        marks[2],
        marks[3],
        marks[5],
        marks[4],
    );
    Statement { sql: if pg { sql } else { sql.replace("::int8", "") }, params }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crs::Crs;
    use crate::filter::Filter;
    use crate::source::{Attribute, FeatureQuery, SortKey};

    fn layer() -> SourceLayer {
        SourceLayer {
            name: "edifici".into(),
            relation: Relation::Table("dbt.edifici".into()),
            geometry_column: "geom".into(),
            id_column: "fid".into(),
            crs: Crs::UTM32N,
            attributes: vec![
                Attribute { name: "EDIFC_USO".into(), kind: AttributeType::Text },
                Attribute { name: "piani".into(), kind: AttributeType::Int },
                Attribute { name: "rilievo".into(), kind: AttributeType::Date },
            ],
            tenant_column: Some("cod_istat".into()),
        }
    }

    #[test]
    fn quoting_doubles_quotes_and_splits_schema() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_ident("a.b"), "\"a.b\"");
        assert_eq!(quote_table("dbt.edifici"), "\"dbt\".\"edifici\"");
    }

    #[test]
    fn postgres_select_binds_every_literal() {
        let q = FeatureQuery {
            filter: Some(Filter::And(vec![
                Filter::Compare { property: "EDIFC_USO".into(), op: CompareOp::Lt, value: Value::Text("'; DROP TABLE x; --".into()) },
                Filter::In { property: "piani".into(), values: vec![Value::Int(1), Value::Int(2)] },
                Filter::Compare { property: "rilievo".into(), op: CompareOp::Ge, value: Value::Text("2020-01-01".into()) },
            ])),
            sort: vec![SortKey { property: "EDIFC_USO".into(), descending: true }],
            limit: Some(10),
            ..Default::default()
        }
        .resolve(&layer(), 100)
        .unwrap();
        let s = select_statement(&Dialect::Postgres { srid: 32632 }, &layer(), &q);
        assert_eq!(
            s.sql,
            "SELECT \"fid\"::int8, ST_AsBinary(\"geom\"), \"EDIFC_USO\"::text, \"piani\"::int8, to_char(\"rilievo\", 'YYYY-MM-DD') \
             FROM \"dbt\".\"edifici\" WHERE ((\"EDIFC_USO\" COLLATE \"C\" < $1::text) AND (\"piani\" = ANY($2::int8[])) \
             AND (\"rilievo\" >= $3::text::date)) ORDER BY \"EDIFC_USO\" COLLATE \"C\" DESC NULLS LAST, \"fid\" ASC LIMIT $4::int8 OFFSET $5::int8"
        );
        assert!(!s.sql.contains("DROP"));
        assert_eq!(s.params.len(), 5);
    }

    #[test]
    fn sqlite_spatial_uses_the_rtree() {
        let q = FeatureQuery {
            bbox: Some((crate::crs::Bbox::new(500000.0, 5030000.0, 501000.0, 5031000.0).unwrap(), Crs::UTM32N)),
            ..Default::default()
        }
        .resolve(&layer(), 100)
        .unwrap();
        let s = count_statement(&Dialect::Sqlite { rtree: Some("rtree_edifici_geom".into()) }, &layer(), &q);
        assert!(
            s.sql.starts_with(
                "SELECT count(*) FROM \"dbt\".\"edifici\" WHERE (\"fid\" IN (SELECT id FROM \"rtree_edifici_geom\" WHERE minx <= ?1"
            ),
            "{}",
            s.sql
        );
        assert!(s.sql.contains("navigli_spatial(\"geom\", ?5, ?6, ?7) = 1"), "{}", s.sql);
    }
}
