//! The GeoPortale's catalog, CSW 2.0.2 (ISO AP): harvested by OWSLib in GeoNetwork's pattern
//! (GetCapabilities → GetRecords paged to `nextRecord = 0` → GetRecordById), complete and
//! idempotent; every ISO 19139 record schema-valid (`ogc-validate`, gmd/srv/gco) and checked
//! against the RNDT 2.0 rules below; listed by GDAL's CSW driver; constraints in CQL and FES;
//! restricted layers only for callers who may see them.

mod common;

use std::process::Command;

use common::server::{get, ogc_validate_all, start, write_config};

const KEY: &str = "csw-operatore-3b1d";
const IPA: &str = "cm_mi_test";

fn server() -> (common::server::Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = write_config(dir.path(), common::demo_gpkg());
    use sha2::Digest;
    let digest: String = sha2::Sha256::digest(KEY.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let mut text = std::fs::read_to_string(&config).unwrap();
    text.push_str(&format!(
        "\n[metadata]\nipa_code = \"{IPA}\"\nlicence = \"CC-BY 4.0\"\n\n[[role]]\nname = \"welfare\"\nlayers = [\"servizi_sociali\"]\ntenants = [\"*\"]\n\n\
         [[api_key]]\nname = \"operatore\"\nsha256 = \"{digest}\"\nroles = [\"welfare\"]\n"
    ));
    std::fs::write(&config, text).unwrap();
    (start(&config, &[]), dir)
}

fn matched(body: &str) -> usize {
    body.split("numberOfRecordsMatched=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{body}"))
}

#[test]
fn owslib_harvests_every_record_valid_and_rndt_conformant() {
    let (server, _dir) = server();
    let url = format!("{}/cmm/csw", server.base());
    let python = common::pyvenv("owslib, lxml");
    let harvest = |out: &std::path::Path| -> serde_json::Value {
        let run = Command::new(&python)
            .arg(common::root().join("tests/fixtures/csw_harvest.py"))
            .arg(&url)
            .arg(out)
            .arg("4")
            .arg(IPA)
            .output()
            .expect("run the OWSLib harvest");
        assert!(run.status.success(), "harvest: {}{}", String::from_utf8_lossy(&run.stdout), String::from_utf8_lossy(&run.stderr));
        serde_json::from_slice(&run.stdout).unwrap()
    };
    let first_dir = tempfile::tempdir().unwrap();
    let first = harvest(first_dir.path());
    for op in ["GetCapabilities", "DescribeRecord", "GetRecords", "GetRecordById"] {
        assert!(first["operations"].as_array().unwrap().iter().any(|o| o == op), "{op}: {first}");
    }
    // Anonymous: the 12 public layers and the 3 services, in pages of 4 to nextRecord = 0.
    let ids: Vec<&str> = first["ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!((first["matched"].as_u64(), ids.len()), (Some(15), 15), "{first}");
    assert_eq!(first["pages"].as_array().unwrap().len(), 4, "{first}");
    assert_eq!(first["pages"][3], serde_json::json!([15, 3, 0]));
    let distinct: std::collections::BTreeSet<&str> = ids.iter().copied().collect();
    assert_eq!(distinct.len(), 15, "no record twice");
    assert!(ids.contains(&"cm_mi_test:cmm.comuni") && ids.contains(&"cm_mi_test:cmm.wms"));
    assert!(!ids.iter().any(|i| i.ends_with("servizi_sociali")), "a restricted layer is not listed anonymously");
    assert_eq!(first["titles"]["cm_mi_test:cmm.edifici"].as_str().map(|t| t.starts_with("Edifici")), Some(true), "{first}");
    // AnyText through FES (OWSLib's PropertyIsLike): the buildings, their roofs and nothing else.
    let anytext = &first["anytext_edifici"];
    assert!(anytext[0].as_u64().unwrap() >= 1, "{anytext}");
    // Idempotent: a second harvest reads the same records, byte for byte.
    let second_dir = tempfile::tempdir().unwrap();
    let second = harvest(second_dir.path());
    assert_eq!(first["ids"], second["ids"]);
    let mut docs = Vec::new();
    for i in 0..ids.len() {
        let a = std::fs::read_to_string(first_dir.path().join(format!("{i:03}.xml"))).unwrap();
        let b = std::fs::read_to_string(second_dir.path().join(format!("{i:03}.xml"))).unwrap();
        assert_eq!(a, b, "record {} changed between harvests", ids[i]);
        let problems = &first["rndt"][ids[i]];
        assert_eq!(problems, &serde_json::json!([]), "{}: RNDT rules broken", ids[i]);
        docs.push(a);
    }
    let named: Vec<(&str, String)> = docs.iter().enumerate().map(|(i, d)| (d.as_str(), format!("record-{i}"))).collect();
    let named: Vec<(&str, &str)> = named.iter().map(|(d, n)| (*d, n.as_str())).collect();
    ogc_validate_all(&named);
}

#[test]
fn responses_are_schema_valid_and_constraints_select() {
    let (server, _dir) = server();
    let csw = |q: &str| {
        let (status, _, body) = get(&server, &format!("/cmm/csw?SERVICE=CSW&VERSION=2.0.2&{q}"));
        assert_eq!(status, 200, "{q}: {body}");
        body
    };
    let mut docs = vec![
        (csw("REQUEST=GetCapabilities"), "capabilities"),
        (csw("REQUEST=DescribeRecord"), "describe"),
        (csw("REQUEST=GetRecords&typeNames=csw:Record&resultType=results&elementSetName=brief&maxRecords=20"), "brief"),
        (csw("REQUEST=GetRecords&typeNames=csw:Record&resultType=results&elementSetName=summary&maxRecords=20"), "summary"),
        (csw("REQUEST=GetRecords&typeNames=csw:Record&resultType=results&elementSetName=full&maxRecords=20"), "full"),
        (csw("REQUEST=GetRecordById&id=cm_mi_test:cmm.wfs&outputSchema=http://www.isotc211.org/2005/gmd"), "service-iso"),
        (csw("REQUEST=GetRecordById&id=cm_mi_test:cmm.edifici,cm_mi_test:cmm.strade&elementSetName=full"), "by-id-dc"),
    ];
    docs.push((
        csw("REQUEST=GetRecords&typeNames=gmd:MD_Metadata&resultType=results&outputSchema=http://www.isotc211.org/2005/gmd&maxRecords=3"),
        "iso-page",
    ));
    let named: Vec<(&str, &str)> = docs.iter().map(|(d, n)| (d.as_str(), *n)).collect();
    ogc_validate_all(&named);
    assert_eq!(docs[6].0.matches("<csw:Record>").count(), 2);

    let hits = |constraint: &str| {
        matched(&csw(&format!(
            "REQUEST=GetRecords&typeNames=csw:Record&resultType=hits&constraintLanguage=CQL_TEXT&constraint={constraint}"
        )))
    };
    assert_eq!(hits("dc:type%20%3D%20%27service%27"), 3);
    assert_eq!(hits("dc:type%20%3D%20%27dataset%27"), 12);
    assert_eq!(hits("BBOX(ows:BoundingBox,9.1,45.4,9.2,45.5)"), 15, "Milano's box meets the metropolitan extent");
    assert_eq!(hits("BBOX(ows:BoundingBox,7.1,45.0,7.2,45.1)"), 0, "Torino's does not");
    assert!(hits("csw:AnyText%20like%20%27%25TETTI%25%27") >= 2, "AnyText matches ignore case");
    assert_eq!(hits("csw:AnyText%20like%20%27%25introvabile%25%27"), 0);
    // FES 1.1 in KVP, as GDAL and QGIS's MetaSearch send it.
    let fes = "%3Cogc:Filter%20xmlns:ogc=%22http://www.opengis.net/ogc%22%3E%3Cogc:PropertyIsEqualTo%3E%3Cogc:PropertyName%3Edc:type%3C/ogc:PropertyName%3E%3Cogc:Literal%3Eservice%3C/ogc:Literal%3E%3C/ogc:PropertyIsEqualTo%3E%3C/ogc:Filter%3E";
    assert_eq!(
        matched(&csw(&format!("REQUEST=GetRecords&typeNames=csw:Record&resultType=hits&constraintLanguage=FILTER&constraint={fes}"))),
        3
    );
    // Bad requests: OWS exceptions with a locator, never a 500.
    for (q, locator) in [
        ("REQUEST=GetRecords&typeNames=csw:Record&constraintLanguage=CQL_TEXT&constraint=nonsense%20%3D%201", "Constraint"),
        ("REQUEST=GetRecords&typeNames=csw:Record&constraintLanguage=CQL_TEXT&constraint=((((", "Constraint"),
        ("REQUEST=GetRecords&typeNames=csw:Record&outputSchema=urn:x", "outputSchema"),
        ("REQUEST=GetRecords&typeNames=csw:Record&maxRecords=-1", "maxRecords"),
        ("REQUEST=Harvest", "request"),
    ] {
        let (status, _, body) = get(&server, &format!("/cmm/csw?SERVICE=CSW&VERSION=2.0.2&{q}"));
        assert!(status == 400 || status == 501, "{q}: {status} {body}");
        assert!(body.contains(&format!("locator=\"{locator}\"")), "{q}: {body}");
    }
    // A caller whose role grants the restricted welfare layer finds its record; no one else.
    let anon = matched(&csw("REQUEST=GetRecords&typeNames=csw:Record&resultType=hits"));
    let with_key = matched(&csw(&format!("REQUEST=GetRecords&typeNames=csw:Record&resultType=hits&apikey={KEY}")));
    assert_eq!((anon, with_key), (15, 16));
    let body = csw(&format!("REQUEST=GetRecordById&id=cm_mi_test:cmm.servizi_sociali&apikey={KEY}"));
    assert!(body.contains("cm_mi_test:cmm.servizi_sociali"));
    assert!(!csw("REQUEST=GetRecordById&id=cm_mi_test:cmm.servizi_sociali").contains("servizi_sociali"));
    // A comune's catalog: its own services, restricted to it.
    let (status, _, milano) =
        get(&server, "/milano/csw?SERVICE=CSW&VERSION=2.0.2&REQUEST=GetRecordById&id=cm_mi_test:015146.wms&outputSchema=http://www.isotc211.org/2005/gmd");
    assert!(status == 200 && milano.contains("/milano/wms") && milano.contains("cm_mi_test:015146.edifici"), "{milano}");
    assert!(!csw("REQUEST=GetRecordById&id=cm_mi_test:015146.wms").contains("015146"), "a comune's records are in its own catalog");
}

#[test]
fn pycsw_gives_the_same_hit_counts() {
    // pycsw (the reference implementation) loads every ISO record navigli serves into its own
    // repository; AnyText, type and BBOX queries must match as many records in both.
    let (server, _dir) = server();
    let python = common::pinned_venv("target/pyvenv-pycsw", "tests/requirements-pycsw.txt", "pycsw, sqlalchemy");
    let work = tempfile::tempdir().unwrap();
    let out = Command::new(&python)
        .arg(common::root().join("tests/fixtures/pycsw_compare.py"))
        .arg(format!("{}/cmm/csw", server.base()))
        .arg(work.path())
        .output()
        .expect("run pycsw");
    assert!(out.status.success(), "pycsw: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["records"], 15, "{report}");
    let queries = report["queries"].as_object().unwrap();
    assert_eq!(queries.len(), 12);
    for (name, hits) in queries {
        assert_eq!(hits[0], hits[1], "{name}: navigli {} records, pycsw {}", hits[0], hits[1]);
    }
    // The queries discriminate: each selects neither everything nor nothing, or is meant to.
    assert_eq!(queries["type service"][0], 3);
    assert_eq!(queries["bbox east of the area"][0], 0);
    assert!((1..15).contains(&queries["anytext edifici"][0].as_u64().unwrap()), "{report}");
    // Records carry their layer's own extent: at the area's western rim only the layers that
    // reach it (and the services, whose extent is the area's) are found.
    assert!((1..15).contains(&queries["bbox at the western rim"][0].as_u64().unwrap()), "{report}");
}

#[test]
fn gdal_lists_the_records() {
    let (server, _dir) = server();
    let out = Command::new("ogrinfo")
        .args(["-ro", "-al", "-q", "-oo", "ELEMENTSETNAME=full", &format!("CSW:{}/cmm/csw", server.base())])
        .output()
        .expect("ogrinfo (gdal-bin)");
    let text = String::from_utf8_lossy(&out.stdout);
    let ids: std::collections::BTreeSet<&str> = text.lines().filter_map(|l| l.trim().strip_prefix("identifier (String) = ")).collect();
    assert_eq!(ids.len(), 15, "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(ids.contains("cm_mi_test:cmm.tetti_rossi"));
}

#[test]
fn hostile_requests_get_clear_errors() {
    let (server, _dir) = server();
    let post = |body: &str| -> (u16, String) {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", server.port)).unwrap();
        s.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
        write!(s, "POST /cmm/csw HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
        let mut raw = String::new();
        s.read_to_string(&mut raw).unwrap();
        let status = raw.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        (status, raw)
    };
    // An entity (XXE / billion laughs) is refused before anything is expanded or fetched.
    let xxe = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><csw:GetRecords xmlns:csw=\"http://www.opengis.net/cat/csw/2.0.2\">&x;</csw:GetRecords>";
    let (status, body) = post(xxe);
    assert_eq!(status, 400, "{body}");
    assert!(!body.contains("root:"), "nothing was read");
    // Nesting beyond the cap.
    let deep = format!(
        "<csw:GetRecords xmlns:csw=\"http://www.opengis.net/cat/csw/2.0.2\">{}{}</csw:GetRecords>",
        "<a>".repeat(200),
        "</a>".repeat(200)
    );
    assert_eq!(post(&deep).0, 400);
    assert_eq!(post("not xml at all").0, 400);
    // A filter in FES that names a property the records do not have.
    let fes = "<csw:GetRecords xmlns:csw=\"http://www.opengis.net/cat/csw/2.0.2\" xmlns:ogc=\"http://www.opengis.net/ogc\" resultType=\"hits\"><csw:Query typeNames=\"csw:Record\"><csw:Constraint version=\"1.1.0\"><ogc:Filter><ogc:PropertyIsEqualTo><ogc:PropertyName>password</ogc:PropertyName><ogc:Literal>x</ogc:Literal></ogc:PropertyIsEqualTo></ogc:Filter></csw:Constraint></csw:Query></csw:GetRecords>";
    let (status, body) = post(fes);
    assert!(status == 400 && body.contains("locator=\"Constraint\""), "{body}");
    let (status, _, _) = get(&server, "/cmm/csw?SERVICE=WMS&REQUEST=GetCapabilities");
    assert_eq!(status, 400);
    let (status, _, _) = get(&server, "/nessuno/csw?SERVICE=CSW&REQUEST=GetCapabilities");
    assert_eq!(status, 404);
}

#[test]
fn ogc_api_records_serves_the_same_records() {
    let (server, _dir) = server();
    let python = common::pyvenv("owslib, lxml");
    let out = Command::new(&python)
        .arg(common::root().join("tests/fixtures/records_client.py"))
        .arg(format!("{}/cmm/records", server.base()))
        .output()
        .expect("run the OWSLib Records client");
    assert!(out.status.success(), "records client: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["record_collections"], serde_json::json!(["catalog"]));
    assert!(r["conformance"].as_array().unwrap().iter().any(|c| c.as_str().unwrap().ends_with("conf/record-core")));
    assert_eq!(r["matched"], 15);
    // The same records as the CSW, in the same order, every one once through the next links.
    let body = get(
        &server,
        "/cmm/csw?SERVICE=CSW&VERSION=2.0.2&REQUEST=GetRecords&typeNames=csw:Record&resultType=results&elementSetName=brief&maxRecords=100",
    )
    .2;
    let csw_ids: Vec<&str> = body.split("<dc:identifier>").skip(1).map(|s| s.split('<').next().unwrap()).collect();
    let ids: Vec<&str> = r["ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(ids, csw_ids);
    // q finds what the CSW's AnyText finds.
    let body = get(&server, "/cmm/csw?SERVICE=CSW&VERSION=2.0.2&REQUEST=GetRecords&typeNames=csw:Record&resultType=results&elementSetName=brief&maxRecords=100&constraintLanguage=CQL_TEXT&constraint=csw:AnyText%20like%20%27%25edifici%25%27").2;
    let mut by_csw: Vec<&str> = body.split("<dc:identifier>").skip(1).map(|s| s.split('<').next().unwrap()).collect();
    by_csw.sort();
    let by_q: Vec<&str> = r["q_edifici"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(by_q, by_csw);
    assert!(!by_q.is_empty() && by_q.len() < 15);
    assert_eq!((r["services"].as_u64(), r["far_away"].as_u64()), (Some(3), Some(0)));
    let one = &r["one"];
    assert_eq!(one["type"], "Feature");
    assert!(
        one["properties"]["title"].is_string() && one["properties"]["type"].is_string() && one["geometry"]["type"] == "Polygon",
        "{one}"
    );
    // Parameters are checked; unknown collections and records are 404.
    assert_eq!(get(&server, "/cmm/records/collections/catalog/items?colour=red").0, 400);
    assert_eq!(get(&server, "/cmm/records/collections/catalog/items?limit=0").0, 400);
    assert_eq!(get(&server, "/cmm/records/collections/catalog/items?bbox=1,2,3").0, 400);
    assert_eq!(get(&server, "/cmm/records/collections/altro/items").0, 404);
    assert_eq!(get(&server, "/cmm/records/collections/catalog/items/nessuno").0, 404);
    // Restricted records only for the role, as in the CSW.
    let with_key = get(&server, &format!("/cmm/records/collections/catalog/items?limit=100&apikey={KEY}")).2;
    assert!(with_key.contains("\"numberMatched\":16"), "{with_key}");
}
