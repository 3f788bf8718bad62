//! The one definition of the OGC API's operations and parameters: the routes are mounted from
//! [`OPERATIONS`], every request's parameters are checked against the operation's list (an
//! undeclared parameter is a 400), and the OpenAPI document is generated from the same tables,
//! so the three cannot drift apart.

use serde_json::{json, Value as Json};

/// An operation of the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `/` landing page.
    Landing,
    /// `/conformance`.
    Conformance,
    /// `/api`: the OpenAPI document (`f=html`: its documentation page).
    Api,
    /// `/collections`.
    Collections,
    /// `/collections/{collectionId}`.
    Collection,
    /// `/collections/{collectionId}/items`.
    Items,
    /// `/collections/{collectionId}/items/{featureId}`.
    Item,
    /// `/collections/{collectionId}/queryables`.
    Queryables,
    /// `/tileMatrixSets`.
    TileMatrixSets,
    /// `/tileMatrixSets/{tileMatrixSetId}`.
    TileMatrixSet,
    /// `/tiles`: the dataset's tilesets (all layers, and one per group).
    DatasetTilesets,
    /// `/tiles/{tileMatrixSetId}`: the tileset of all the tenant's layers.
    DatasetTileset,
    /// `/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}`.
    DatasetTile,
    /// `/tiles/{groupId}/{tileMatrixSetId}`: the tileset of one group.
    GroupTileset,
    /// `/tiles/{groupId}/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}`.
    GroupTile,
    /// `/collections/{collectionId}/tiles`.
    CollectionTilesets,
    /// `/collections/{collectionId}/tiles/{tileMatrixSetId}`.
    CollectionTileset,
    /// `/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}`.
    CollectionTile,
}

/// One operation: its path (OpenAPI template, relative to `/{tenant}/ogcapi`), what it answers
/// and which parameters it takes.
pub struct Operation {
    /// Which.
    pub op: Op,
    /// Path template, e.g. `/collections/{collectionId}/items`.
    pub path: &'static str,
    /// OpenAPI `operationId`.
    pub id: &'static str,
    /// One-line summary.
    pub summary: &'static str,
    /// Parameter names (keys of [`PARAMS`]).
    pub params: &'static [&'static str],
    /// Media types of the 200 answer (the first is the default).
    pub media: &'static [&'static str],
    /// Whether queryable properties are also accepted as query parameters (equality).
    pub queryable_params: bool,
}

/// GeoJSON.
pub const GEOJSON: &str = "application/geo+json";
/// JSON.
pub const JSON: &str = "application/json";
/// HTML.
pub const HTML: &str = "text/html";
/// JSON Schema (queryables).
pub const SCHEMA_JSON: &str = "application/schema+json";
/// Mapbox Vector Tiles.
pub const MVT: &str = "application/vnd.mapbox-vector-tile";
/// OpenAPI 3.0 in JSON.
pub const OPENAPI: &str = "application/vnd.oai.openapi+json;version=3.0";

/// Every operation, in the order the OpenAPI document lists them.
pub const OPERATIONS: &[Operation] = &[
    Operation {
        op: Op::Landing,
        path: "/",
        id: "getLandingPage",
        summary: "Landing page",
        params: &["f"],
        media: &[JSON, HTML],
        queryable_params: false,
    },
    Operation {
        op: Op::Conformance,
        path: "/conformance",
        id: "getConformanceDeclaration",
        summary: "The conformance classes this API implements",
        params: &["f"],
        media: &[JSON, HTML],
        queryable_params: false,
    },
    Operation {
        op: Op::Api,
        path: "/api",
        id: "getApi",
        summary: "This API definition (OpenAPI 3.0)",
        params: &["f"],
        media: &[OPENAPI, HTML],
        queryable_params: false,
    },
    Operation {
        op: Op::Collections,
        path: "/collections",
        id: "getCollections",
        summary: "The feature collections of this service",
        params: &["f"],
        media: &[JSON, HTML],
        queryable_params: false,
    },
    Operation {
        op: Op::Collection,
        path: "/collections/{collectionId}",
        id: "describeCollection",
        summary: "One feature collection",
        params: &["collectionId", "f"],
        media: &[JSON, HTML],
        queryable_params: false,
    },
    Operation {
        op: Op::Queryables,
        path: "/collections/{collectionId}/queryables",
        id: "getQueryables",
        summary: "The properties a filter may use (JSON Schema)",
        params: &["collectionId", "f"],
        media: &[SCHEMA_JSON, HTML],
        queryable_params: false,
    },
    Operation {
        op: Op::Items,
        path: "/collections/{collectionId}/items",
        id: "getFeatures",
        summary: "Features of a collection, a page at a time",
        params: &[
            "collectionId",
            "f",
            "limit",
            "offset",
            "bbox",
            "bbox-crs",
            "datetime",
            "crs",
            "filter",
            "filter-lang",
            "filter-crs",
            "sortby",
            "properties",
        ],
        media: &[GEOJSON, HTML],
        queryable_params: true,
    },
    Operation {
        op: Op::Item,
        path: "/collections/{collectionId}/items/{featureId}",
        id: "getFeature",
        summary: "One feature",
        params: &["collectionId", "featureId", "f", "crs"],
        media: &[GEOJSON, HTML],
        queryable_params: false,
    },
    Operation {
        op: Op::TileMatrixSets,
        path: "/tileMatrixSets",
        id: "getTileMatrixSetsList",
        summary: "The tiling schemes of the tiles (WebMercatorQuad)",
        params: &["f"],
        media: &[JSON, HTML],
        queryable_params: false,
    },
    Operation {
        op: Op::TileMatrixSet,
        path: "/tileMatrixSets/{tileMatrixSetId}",
        id: "getTileMatrixSet",
        summary: "One tiling scheme",
        params: &["tileMatrixSetId", "f"],
        media: &[JSON, HTML],
        queryable_params: false,
    },
    Operation {
        op: Op::DatasetTilesets,
        path: "/tiles",
        id: "getDatasetTilesets",
        summary: "The vector tilesets of the service: all its layers, and one per group",
        params: &["f"],
        media: &[JSON, HTML],
        queryable_params: false,
    },
    Operation {
        op: Op::DatasetTileset,
        path: "/tiles/{tileMatrixSetId}",
        id: "getDatasetTileset",
        summary: "The tileset of all the service's layers",
        params: &["tileMatrixSetId", "f"],
        media: &[JSON, HTML],
        queryable_params: false,
    },
    Operation {
        op: Op::DatasetTile,
        path: "/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
        id: "getDatasetTile",
        summary: "A vector tile of all the service's layers",
        params: &["tileMatrixSetId", "tileMatrix", "tileRow", "tileCol", "f"],
        media: &[MVT],
        queryable_params: false,
    },
    Operation {
        op: Op::GroupTileset,
        path: "/tiles/{groupId}/{tileMatrixSetId}",
        id: "getGroupTileset",
        summary: "The tileset of one group of layers",
        params: &["groupId", "tileMatrixSetId", "f"],
        media: &[JSON, HTML],
        queryable_params: false,
    },
    Operation {
        op: Op::GroupTile,
        path: "/tiles/{groupId}/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
        id: "getGroupTile",
        summary: "A vector tile of one group of layers",
        params: &["groupId", "tileMatrixSetId", "tileMatrix", "tileRow", "tileCol", "f"],
        media: &[MVT],
        queryable_params: false,
    },
    Operation {
        op: Op::CollectionTilesets,
        path: "/collections/{collectionId}/tiles",
        id: "getCollectionTilesets",
        summary: "The vector tilesets of a collection",
        params: &["collectionId", "f"],
        media: &[JSON, HTML],
        queryable_params: false,
    },
    Operation {
        op: Op::CollectionTileset,
        path: "/collections/{collectionId}/tiles/{tileMatrixSetId}",
        id: "getCollectionTileset",
        summary: "The tileset of a collection",
        params: &["collectionId", "tileMatrixSetId", "f"],
        media: &[JSON, HTML],
        queryable_params: false,
    },
    Operation {
        op: Op::CollectionTile,
        path: "/collections/{collectionId}/tiles/{tileMatrixSetId}/{tileMatrix}/{tileRow}/{tileCol}",
        id: "getCollectionTile",
        summary: "A vector tile of a collection",
        params: &["collectionId", "tileMatrixSetId", "tileMatrix", "tileRow", "tileCol", "f"],
        media: &[MVT],
        queryable_params: false,
    },
];

/// Where a parameter goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum In {
    /// A path segment.
    Path,
    /// A query parameter.
    Query,
}

/// One parameter.
pub struct Param {
    /// Name, as written (case-sensitive).
    pub name: &'static str,
    /// Where.
    pub location: In,
    /// What it does.
    pub description: &'static str,
    /// Its JSON Schema (OpenAPI 3.0 flavour).
    pub schema: fn() -> Json,
    /// Lists are comma-separated (`style: form, explode: false`).
    pub list: bool,
}

/// Every parameter of every operation.
pub const PARAMS: &[Param] = &[
    Param {
        name: "collectionId",
        location: In::Path,
        description: "The collection (layer) name.",
        schema: || json!({ "type": "string" }),
        list: false,
    },
    Param {
        name: "featureId",
        location: In::Path,
        description: "The feature's id (an integer).",
        schema: || json!({ "type": "string" }),
        list: false,
    },
    Param {
        name: "tileMatrixSetId",
        location: In::Path,
        description: "The tiling scheme (WebMercatorQuad).",
        schema: || json!({ "type": "string", "enum": ["WebMercatorQuad"] }),
        list: false,
    },
    Param {
        name: "tileMatrix",
        location: In::Path,
        description: "The zoom level.",
        schema: || json!({ "type": "integer", "minimum": 0, "maximum": 24 }),
        list: false,
    },
    Param {
        name: "tileRow",
        location: In::Path,
        description: "The row, from the top.",
        schema: || json!({ "type": "integer", "minimum": 0 }),
        list: false,
    },
    Param {
        name: "tileCol",
        location: In::Path,
        description: "The column, from the left.",
        schema: || json!({ "type": "integer", "minimum": 0 }),
        list: false,
    },
    Param {
        name: "groupId",
        location: In::Path,
        description: "A group of layers (sit, dbt, tetti, …).",
        schema: || json!({ "type": "string" }),
        list: false,
    },
    Param {
        name: "f",
        location: In::Query,
        description: "The encoding of the answer, instead of content negotiation (json, html; geojson for features; mvt for tiles).",
        schema: || json!({ "type": "string", "enum": ["json", "html", "geojson", "mvt"] }),
        list: false,
    },
    Param {
        name: "limit",
        location: In::Query,
        description: "Most features of the page (default 10); larger values are reduced to the server's maximum, not refused.",
        schema: || json!({ "type": "integer", "minimum": 1, "default": 10 }),
        list: false,
    },
    Param {
        name: "offset",
        location: In::Query,
        description: "Features to skip (the next/prev links carry it).",
        schema: || json!({ "type": "integer", "minimum": 0, "default": 0 }),
        list: false,
    },
    Param {
        name: "bbox",
        location: In::Query,
        description: "Only features intersecting this box: minx,miny,maxx,maxy (or 6 numbers with heights), in bbox-crs (CRS84 by default) and its axis order.",
        schema: || json!({ "type": "array", "minItems": 4, "maxItems": 6, "items": { "type": "number" } }),
        list: true,
    },
    Param {
        name: "bbox-crs",
        location: In::Query,
        description: "The CRS of bbox (a URI of the collection's crs list).",
        schema: || json!({ "type": "string", "format": "uri", "enum": super::crs_list() }),
        list: false,
    },
    Param {
        name: "datetime",
        location: In::Query,
        description: "An instant or interval (a/b, ../b, a/..) matched against the collection's date property, if it has one.",
        schema: || json!({ "type": "string" }),
        list: false,
    },
    Param {
        name: "crs",
        location: In::Query,
        description: "The CRS of the returned geometries (a URI of the collection's crs list); coordinates follow its axis order.",
        schema: || json!({ "type": "string", "format": "uri", "enum": super::crs_list() }),
        list: false,
    },
    Param {
        name: "filter",
        location: In::Query,
        description: "A CQL2 filter over the queryables.",
        schema: || json!({ "type": "string" }),
        list: false,
    },
    Param {
        name: "filter-lang",
        location: In::Query,
        description: "The encoding of filter: cql2-text (default), cql2-json, or cql-text (an alias of cql2-text).",
        schema: || json!({ "type": "string", "enum": ["cql2-text", "cql2-json", "cql-text"], "default": "cql2-text" }),
        list: false,
    },
    Param {
        name: "filter-crs",
        location: In::Query,
        description: "The CRS of the geometry literals in filter (CRS84 by default).",
        schema: || json!({ "type": "string", "format": "uri", "enum": super::crs_list() }),
        list: false,
    },
    Param {
        name: "sortby",
        location: In::Query,
        description: "Sort keys: property names, each optionally prefixed with + (ascending) or - (descending).",
        schema: || json!({ "type": "array", "items": { "type": "string" } }),
        list: true,
    },
    Param {
        name: "properties",
        location: In::Query,
        description: "Only these properties in the answer.",
        schema: || json!({ "type": "array", "items": { "type": "string" } }),
        list: true,
    },
];

/// Parameters every operation also takes (credentials for clients that cannot send headers,
/// the language of HTML pages).
pub const COMMON: &[&str] = &["apikey", "lang"];

/// A parameter by name.
pub fn param(name: &str) -> Option<&'static Param> {
    PARAMS.iter().find(|p| p.name == name)
}

/// The operation entry of `op`.
pub fn operation(op: Op) -> &'static Operation {
    OPERATIONS.iter().find(|o| o.op == op).expect("every Op is in OPERATIONS")
}

/// A request's query parameters with their names as written (OGC API names are
/// case-sensitive); repeated names are refused.
#[derive(Debug, Default, Clone)]
pub struct Query {
    pairs: Vec<(String, String)>,
}

impl Query {
    /// Reads a raw query string and checks every name against `op` (its parameters, the
    /// common ones and, where allowed, `queryables`).
    pub fn parse(raw: &str, op: &Operation, queryables: &[&str]) -> Result<Query, String> {
        let mut pairs: Vec<(String, String)> = Vec::new();
        for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
            if k.is_empty() {
                continue;
            }
            let known = op.params.iter().any(|p| *p == k && param(p).is_some_and(|d| d.location == In::Query))
                || COMMON.contains(&k.as_ref())
                || (op.queryable_params && queryables.contains(&k.as_ref()));
            if !known {
                let shown: String = k.chars().take(64).collect();
                let mut accepted: Vec<&str> =
                    op.params.iter().copied().filter(|p| param(p).is_some_and(|d| d.location == In::Query)).collect();
                if op.queryable_params {
                    accepted.push("(the queryables)");
                }
                return Err(format!("unknown parameter '{shown}'; this resource takes {}", accepted.join(", ")));
            }
            if pairs.iter().any(|(n, _)| *n == k) {
                let shown: String = k.chars().take(64).collect();
                return Err(format!("parameter '{shown}' is given more than once"));
            }
            pairs.push((k.into_owned(), v.into_owned()));
        }
        Ok(Query { pairs })
    }

    /// A parameter's value (empty counts as absent).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).filter(|v| !v.trim().is_empty())
    }

    /// Every pair, in request order.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_parameter_is_defined() {
        for o in OPERATIONS {
            for p in o.params {
                assert!(param(p).is_some(), "{} names undefined parameter {p}", o.id);
            }
            for seg in o.path.split('/').filter(|s| s.starts_with('{')) {
                let name = seg.trim_matches(|c| c == '{' || c == '}');
                assert!(o.params.contains(&name), "{}: path parameter {name} not listed", o.id);
            }
        }
    }

    #[test]
    fn unknown_and_repeated_parameters_are_refused() {
        let items = operation(Op::Items);
        assert!(Query::parse("limit=5&bbox=1,2,3,4", items, &[]).is_ok());
        assert!(Query::parse("limt=5", items, &[]).unwrap_err().contains("unknown parameter 'limt'"));
        assert!(Query::parse("limit=5&limit=6", items, &[]).is_err());
        assert!(Query::parse("nome=Milano", items, &["nome"]).is_ok());
        assert!(Query::parse("Limit=5", items, &[]).is_err(), "names are case-sensitive");
        assert!(Query::parse("nome=x", operation(Op::Collection), &["nome"]).is_err());
        let q = Query::parse("limit=5&offset=10&apikey=k", items, &[]).unwrap();
        assert_eq!(q.get("offset"), Some("10"));
    }
}
