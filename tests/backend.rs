//! The backend suite: every case runs unchanged on the GeoPackage source, the PostGIS source
//! and the remote OGC API – Features source (a navigli server over the same GeoPackage, read
//! over HTTP, filtered where the remote cannot), over the same generated demo data, and all
//! must give identical answers (ids, values and geometry bytes). Needs PostGIS through `NAVIGLI_TEST_DATABASE_URL` (`make test`
//! provides it); without it only the GeoPackage half runs and a note says so.

mod common;

use std::sync::Arc;

use futures_util::StreamExt;
use geo::{Contains, Geometry};
use geozero::ToGeo;
use navigli::crs::{Bbox, Crs};
use navigli::filter::{CompareOp, Filter, GeometryLiteral, SpatialOp};
use navigli::source::{Feature, FeatureQuery, SortKey, TenantScope, Value};

/// Runs `query` on every source; asserts they agree; returns the common answer.
async fn run(layer: &str, query: FeatureQuery) -> Vec<Feature> {
    let schema = common::layer(layer);
    let resolved = query.resolve(&schema, 1_000_000).expect("valid query");
    let mut answers: Vec<(String, Vec<Feature>)> = Vec::new();
    for source in common::sources() {
        let mut stream = source.query(schema.clone(), resolved.clone()).await.unwrap_or_else(|e| panic!("{}: {e}", source.id()));
        let mut rows = Vec::new();
        while let Some(row) = stream.next().await {
            rows.push(row.unwrap_or_else(|e| panic!("{}: {e}", source.id())));
        }
        let count = source.count(schema.clone(), resolved.clone()).await.unwrap();
        if resolved.offset == 0 && (rows.len() as u64) < resolved.limit {
            assert_eq!(count, rows.len() as u64, "{}: count disagrees with rows", source.id());
        }
        answers.push((source.id().to_string(), rows));
    }
    let (first_id, first) = &answers[0];
    for (id, rows) in &answers[1..] {
        assert_eq!(rows.len(), first.len(), "{layer}: {id} returned {} rows, {first_id} {}", rows.len(), first.len());
        for (a, b) in first.iter().zip(rows) {
            assert_eq!(a.id, b.id, "{layer}: order differs between {first_id} and {id}");
            assert_eq!(a.values, b.values, "{layer} fid {}: values differ between {first_id} and {id}", a.id);
            assert_eq!(a.wkb, b.wkb, "{layer} fid {}: geometry differs between {first_id} and {id}", a.id);
        }
    }
    answers.swap_remove(0).1
}

fn compare(property: &str, op: CompareOp, value: Value) -> Filter {
    Filter::Compare { property: property.into(), op, value }
}

fn geometry(f: &Feature) -> Geometry<f64> {
    geozero::wkb::Wkb(f.wkb.clone().expect("geometry")).to_geo().expect("valid WKB")
}

const MILANO: &str = "015146";

#[tokio::test]
async fn all_comuni_sorted_by_name() {
    let q = FeatureQuery { sort: vec![SortKey { property: "nome".into(), descending: false }], ..Default::default() };
    let rows = run("comuni", q).await;
    assert_eq!(rows.len(), 133);
    let names: Vec<String> = rows.iter().map(|r| r.values[1].to_string()).collect();
    let mut sorted = names.clone();
    sorted.sort(); // byte order, as both backends sort text
    assert_eq!(names, sorted);
    assert_eq!(rows.iter().filter(|r| r.values[0] == Value::Text(MILANO.into())).count(), 1);
}

#[tokio::test]
async fn bbox_in_another_crs_selects_a_subset() {
    let all = run("edifici", FeatureQuery { skip_geometry: true, properties: Some(vec![]), ..Default::default() }).await.len();
    // Around the Duomo, in CRS:84 (lon/lat).
    let bbox = Bbox::new(9.180, 45.458, 9.200, 45.470).unwrap();
    let rows = run("edifici", FeatureQuery { bbox: Some((bbox, Crs::CRS84)), ..Default::default() }).await;
    assert!(!rows.is_empty() && rows.len() < all, "{} of {all}", rows.len());
    let native = navigli::crs::transform_bbox(Crs::CRS84, Crs::UTM32N, &bbox).unwrap();
    for r in &rows {
        let b = Bbox::of_geometry(&geometry(r)).unwrap();
        assert!(b.intersects(&native), "fid {} outside the bbox", r.id);
    }
}

#[tokio::test]
async fn every_comparison_operator() {
    let h = |v: &Feature| match v.values[0] {
        Value::Float(f) => f,
        ref other => panic!("{other:?}"),
    };
    let props = Some(vec!["UN_VOL_AV".to_string()]);
    type Holds = fn(f64) -> bool;
    let cases: Vec<(CompareOp, Holds)> = vec![
        (CompareOp::Eq, |x| x == 12.0),
        (CompareOp::Ne, |x| x != 12.0),
        (CompareOp::Lt, |x| x < 12.0),
        (CompareOp::Le, |x| x <= 12.0),
        (CompareOp::Gt, |x| x > 12.0),
        (CompareOp::Ge, |x| x >= 12.0),
    ];
    let tenant = Some(TenantScope { istat_code: "015002".into(), extent_lonlat: Bbox::new(8.8, 45.3, 9.0, 45.5).unwrap(), boundary: None });
    let total =
        run("edifici", FeatureQuery { properties: props.clone(), tenant: tenant.clone(), skip_geometry: true, ..Default::default() })
            .await
            .len();
    let mut sum_lt_ge = 0;
    for (op, holds) in cases {
        let q = FeatureQuery {
            filter: Some(compare("UN_VOL_AV", op, Value::Int(12))),
            properties: props.clone(),
            tenant: tenant.clone(),
            skip_geometry: true,
            ..Default::default()
        };
        let rows = run("edifici", q).await;
        assert!(rows.iter().all(|r| holds(h(r))), "{op:?}");
        if matches!(op, CompareOp::Lt | CompareOp::Ge) {
            sum_lt_ge += rows.len();
        }
    }
    assert_eq!(sum_lt_ge, total, "< and >= partition the comune's buildings");
}

#[tokio::test]
async fn between_like_null_in_and_logic() {
    let between = run(
        "edifici",
        FeatureQuery {
            filter: Some(Filter::Between { property: "piani".into(), low: Value::Int(3), high: Value::Text("5".into()) }),
            properties: Some(vec!["piani".into()]),
            skip_geometry: true,
            ..Default::default()
        },
    )
    .await;
    assert!(!between.is_empty());
    assert!(between.iter().all(|r| matches!(r.values[0], Value::Int(3..=5))));

    let like = |pattern: &str, match_case: bool| FeatureQuery {
        filter: Some(Filter::Like { property: "nome".into(), pattern: pattern.into(), match_case }),
        properties: Some(vec!["nome".into()]),
        ..Default::default()
    };
    let san = run("comuni", like("San %", true)).await;
    assert!(san.len() >= 3, "comuni named San …: {}", san.len());
    assert!(san.iter().all(|r| r.values[0].to_string().starts_with("San ")));
    assert!(run("comuni", like("san %", true)).await.is_empty(), "case-sensitive LIKE");
    assert_eq!(run("comuni", like("san %", false)).await.len(), san.len(), "case-insensitive LIKE");

    let nulls = run(
        "edifici",
        FeatureQuery {
            filter: Some(Filter::IsNull { property: "anno_costr".into() }),
            properties: Some(vec!["anno_costr".into()]),
            skip_geometry: true,
            ..Default::default()
        },
    )
    .await;
    assert!(!nulls.is_empty() && nulls.iter().all(|r| r.values[0] == Value::Null));

    let codes = vec![Value::Text("015146".into()), Value::Text("015002".into()), Value::Text("999999".into())];
    let listed =
        run("comuni", FeatureQuery { filter: Some(Filter::In { property: "cod_istat".into(), values: codes }), ..Default::default() })
            .await;
    assert_eq!(listed.len(), 2);

    // NOT (uso = '01') keeps every other building, nulls included, on both backends.
    let uso = |f: Filter| FeatureQuery { filter: Some(f), properties: Some(vec![]), skip_geometry: true, ..Default::default() };
    let residential = run("edifici", uso(compare("EDIFC_USO", CompareOp::Eq, Value::Text("01".into())))).await.len();
    let other = run("edifici", uso(Filter::Not(Box::new(compare("EDIFC_USO", CompareOp::Eq, Value::Text("01".into())))))).await.len();
    let all = run("edifici", uso(Filter::And(vec![]))).await.len();
    assert!(residential > 0 && other > 0);
    assert_eq!(residential + other, all);
    let either = run(
        "edifici",
        uso(Filter::Or(vec![
            compare("piani", CompareOp::Ge, Value::Int(10)),
            Filter::And(vec![
                compare("EDIFC_USO", CompareOp::Eq, Value::Text("01".into())),
                compare("piani", CompareOp::Lt, Value::Int(2)),
            ]),
        ])),
    )
    .await;
    assert!(!either.is_empty());
}

#[tokio::test]
async fn dates_compare_as_dates() {
    let q = FeatureQuery {
        filter: Some(compare("data_rilievo", CompareOp::Ge, Value::Text("2020-01-01".into()))),
        properties: Some(vec!["data_rilievo".into()]),
        skip_geometry: true,
        ..Default::default()
    };
    let rows = run("edifici", q).await;
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| matches!(&r.values[0], Value::Text(d) if d.as_str() >= "2020-01-01" && d.len() == 10)));
}

#[tokio::test]
async fn spatial_predicates() {
    // Point near the Duomo (CRS:84), in the comune of Milano.
    let duomo = GeometryLiteral { geometry: Geometry::Point(geo::point!(x: 9.1916, y: 45.4642)), crs: Crs::CRS84 };
    let containing = run(
        "comuni",
        FeatureQuery { filter: Some(Filter::Spatial { op: SpatialOp::Contains, geometry: duomo.clone() }), ..Default::default() },
    )
    .await;
    assert_eq!(containing.len(), 1);
    assert_eq!(containing[0].values[0], Value::Text(MILANO.into()));

    let near = run(
        "servizi_pubblici",
        FeatureQuery { filter: Some(Filter::DWithin { geometry: duomo.clone(), distance: 1500.0 }), ..Default::default() },
    )
    .await;
    assert!(!near.is_empty());
    let (x, y) = navigli::crs::transform_point(Crs::CRS84, Crs::UTM32N, 9.1916, 45.4642).unwrap();
    for r in &near {
        let Geometry::Point(p) = geometry(r) else { panic!("not a point") };
        assert!(((p.x() - x).powi(2) + (p.y() - y).powi(2)).sqrt() <= 1500.0 + 1e-6);
    }

    let milano = geometry(&containing[0]);
    let milano_lit = GeometryLiteral { geometry: milano.clone(), crs: Crs::UTM32N };
    let within = run(
        "servizi_pubblici",
        FeatureQuery { filter: Some(Filter::Spatial { op: SpatialOp::Within, geometry: milano_lit.clone() }), ..Default::default() },
    )
    .await;
    assert!(!within.is_empty());
    assert!(within.iter().all(|r| milano.contains(&geometry(r))));
    let intersecting = run(
        "comuni",
        FeatureQuery {
            filter: Some(Filter::Spatial { op: SpatialOp::Intersects, geometry: milano_lit }),
            properties: Some(vec!["cod_istat".into()]),
            ..Default::default()
        },
    )
    .await;
    assert!(intersecting.len() > 5, "Milano and its neighbours: {}", intersecting.len());
}

#[tokio::test]
async fn paging_is_stable_and_complete() {
    let tenant = Some(TenantScope { istat_code: "015002".into(), extent_lonlat: Bbox::new(8.8, 45.3, 9.0, 45.5).unwrap(), boundary: None });
    let base = FeatureQuery {
        sort: vec![SortKey { property: "piani".into(), descending: true }, SortKey { property: "anno_costr".into(), descending: false }],
        tenant,
        properties: Some(vec!["piani".into(), "anno_costr".into()]),
        skip_geometry: true,
        ..Default::default()
    };
    let all = run("edifici", base.clone()).await;
    assert!(all.len() > 150, "{}", all.len());
    let mut paged = Vec::new();
    let mut offset = 0;
    loop {
        let page = run("edifici", FeatureQuery { offset, limit: Some(70), ..base.clone() }).await;
        if page.is_empty() {
            break;
        }
        offset += page.len() as u64;
        paged.extend(page);
    }
    assert_eq!(paged, all);
    // NULL years sort last within equal floors.
    for w in all.windows(2) {
        if w[0].values[0] == w[1].values[0] && w[0].values[1] == Value::Null {
            assert_eq!(w[1].values[1], Value::Null);
        }
    }
}

#[tokio::test]
async fn output_crs_and_property_selection() {
    let q = |crs: Option<Crs>| FeatureQuery {
        filter: Some(compare("cod_istat", CompareOp::Eq, Value::Text(MILANO.into()))),
        properties: Some(vec!["popolazione".into(), "nome".into()]),
        output_crs: crs,
        ..Default::default()
    };
    let native = run("comuni", q(None)).await;
    let wgs = run("comuni", q(Some(Crs::WGS84))).await;
    assert_eq!(native[0].values.len(), 2);
    assert_eq!(native[0].values[1], Value::Text("Milano".into()));
    assert!(matches!(native[0].values[0], Value::Int(p) if p > 1_000_000));
    let b = Bbox::of_geometry(&geometry(&wgs[0])).unwrap();
    assert!(b.min_x > 9.0 && b.max_x < 9.4 && b.min_y > 45.3 && b.max_y < 45.6, "{b:?}");
    let n = Bbox::of_geometry(&geometry(&native[0])).unwrap();
    assert!(n.min_x > 490_000.0 && n.max_y < 5_060_000.0, "{n:?}");
}

#[tokio::test]
async fn tenant_restriction_by_column_and_by_extent() {
    let abbiategrasso = common::comuni().iter().find(|c| c.slug == "abbiategrasso").unwrap();
    let scope = TenantScope {
        istat_code: abbiategrasso.istat_code.clone(),
        extent_lonlat: Bbox::new(8.85, 45.35, 8.95, 45.42).unwrap(),
        boundary: None,
    };
    let rows = run(
        "edifici",
        FeatureQuery { tenant: Some(scope.clone()), properties: Some(vec!["cod_istat".into()]), skip_geometry: true, ..Default::default() },
    )
    .await;
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.values[0] == Value::Text(abbiategrasso.istat_code.clone())));
    // zone_omogenee has no tenant column: the comune's extent decides.
    let zones =
        run("zone_omogenee", FeatureQuery { tenant: Some(scope), properties: Some(vec!["zona_code".into()]), ..Default::default() }).await;
    assert!(zones.iter().any(|z| z.values[0] == Value::Text("MA".into())), "{zones:?}");
    assert!(zones.len() < 8);
}

#[tokio::test]
async fn ids_filter_and_unknown_properties() {
    let rows = run("servizi_pubblici", FeatureQuery { filter: Some(Filter::Ids(vec![3, 1, 2, 999_999_999])), ..Default::default() }).await;
    assert_eq!(rows.iter().map(|r| r.id).collect::<Vec<_>>(), vec![1, 2, 3]);
    let schema = common::layer("servizi_pubblici");
    let bad = FeatureQuery { filter: Some(compare("nome\" OR 1=1 --", CompareOp::Eq, Value::Int(1))), ..Default::default() };
    assert!(bad.resolve(&schema, 10).is_err());
}

#[tokio::test]
async fn dropping_a_stream_early_frees_the_connection() {
    let schema = common::layer("edifici");
    for source in common::sources() {
        for _ in 0..12 {
            let resolved = FeatureQuery::default().resolve(&schema, 1_000_000).unwrap();
            let mut stream = source.query(schema.clone(), resolved).await.unwrap();
            for _ in 0..3 {
                stream.next().await.unwrap().unwrap();
            }
            drop(stream);
        }
        // The pool (4 connections) still answers after 12 abandoned streams.
        let n = tokio::time::timeout(
            std::time::Duration::from_secs(20),
            source.count(schema.clone(), FeatureQuery::default().resolve(&schema, 10).unwrap()),
        )
        .await;
        assert!(matches!(n, Ok(Ok(c)) if c > 1000), "{}: {n:?}", source.id());
        assert!(source.extent(schema.clone()).await.unwrap().is_some());
        source.check_layer(schema.clone()).await.unwrap();
        source.ping().await.unwrap();
    }
}

#[tokio::test]
async fn a_misconfigured_layer_is_reported_by_check_layer() {
    let mut schema = (*common::layer("edifici")).clone();
    schema.attributes.push(navigli::source::Attribute { name: "colonna_inesistente".into(), kind: navigli::source::AttributeType::Text });
    let schema = Arc::new(schema);
    for source in common::sources() {
        assert!(source.check_layer(schema.clone()).await.is_err(), "{}", source.id());
    }
}

#[tokio::test]
async fn tenant_restriction_by_boundary_polygon() {
    // zone_omogenee has no tenant column: with a known boundary, only zones touching the
    // comune's polygon qualify (not every zone in its bounding box).
    let milano =
        run("comuni", FeatureQuery { filter: Some(compare("cod_istat", CompareOp::Eq, Value::Text(MILANO.into()))), ..Default::default() })
            .await;
    let boundary = std::sync::Arc::new(GeometryLiteral { geometry: geometry(&milano[0]), crs: Crs::UTM32N });
    let extent = Bbox::new(9.0, 45.3, 9.3, 45.6).unwrap();
    let scope = TenantScope { istat_code: MILANO.into(), extent_lonlat: extent, boundary: Some(boundary) };
    let by_polygon =
        run("zone_omogenee", FeatureQuery { tenant: Some(scope), properties: Some(vec!["zona_code".into()]), ..Default::default() }).await;
    let by_box = run(
        "zone_omogenee",
        FeatureQuery { bbox: Some((extent, Crs::CRS84)), properties: Some(vec!["zona_code".into()]), ..Default::default() },
    )
    .await;
    assert!(by_polygon.iter().any(|z| z.values[0] == Value::Text("MI".into())));
    assert!(by_polygon.len() < by_box.len(), "{} zones by polygon, {} by box", by_polygon.len(), by_box.len());
}
