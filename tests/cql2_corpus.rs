//! The CQL2 examples the `cql2` crate ships (`examples/text/*.txt`, `examples/json/*.json`, the
//! standard's own examples) through navigli's translation (`navigli::filter::cql2`): none may
//! panic, each is either translated or refused with a clear error, and where an example exists
//! in both encodings the two translate to the same filter — or are refused alike. The examples
//! are read from the crate's source in Cargo's registry (where the build took it from); their
//! properties are not navigli's, so what they select is tested in tests/ogcapi.rs with a corpus
//! over the demo data instead.

use std::collections::BTreeMap;
use std::path::PathBuf;

use navigli::crs::Crs;
use navigli::filter::cql2::{parse, Cql2Context, Cql2Error, Cql2Lang};

/// `cql2-0.6.*/examples` in the Cargo registry the build used.
fn examples_dir() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cargo"));
    let registry = home.join("registry/src");
    let found = std::fs::read_dir(&registry)
        .unwrap_or_else(|e| panic!("{}: {e}", registry.display()))
        .flatten()
        .flat_map(|index| std::fs::read_dir(index.path()).into_iter().flatten().flatten())
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("cql2-0.6.")))
        .max();
    let dir = found.unwrap_or_else(|| panic!("the cql2 crate's source is not in {} (it is a dependency: cargo fetch)", registry.display()));
    dir.join("examples")
}

fn read_all(dir: PathBuf, ext: &str) -> BTreeMap<String, String> {
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), std::fs::read_to_string(&p).unwrap()))
        .collect()
}

#[test]
fn the_crates_examples_translate_or_are_refused_alike_in_both_encodings() {
    let dir = examples_dir();
    let texts = read_all(dir.join("text"), "txt");
    let jsons = read_all(dir.join("json"), "json");
    assert!(texts.len() >= 100 && jsons.len() >= 100, "{} text and {} JSON examples", texts.len(), jsons.len());
    let run = |text: &str, lang| {
        let text = text.trim().to_string();
        std::panic::catch_unwind(|| parse(&text, lang, &Cql2Context { geometry: "geometry", attributes: &[], crs: Crs::CRS84 }))
            .unwrap_or_else(|_| panic!("translation panicked on {text}"))
    };
    let (mut translated, mut refused, mut both) = (0, 0, 0);
    for (name, text) in &texts {
        let t = run(text, Cql2Lang::Text);
        match &t {
            Ok(_) => translated += 1,
            Err(Cql2Error::Unsupported(m)) | Err(Cql2Error::Syntax(m)) | Err(Cql2Error::TooComplex(m)) => {
                assert!(!m.is_empty(), "{name}: an empty refusal");
                refused += 1;
            }
        }
        let Some(json) = jsons.get(name) else { continue };
        let j = run(json, Cql2Lang::Json);
        both += 1;
        match (&t, &j) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{name}: the two encodings translate differently\n{text}\n{json}"),
            (Err(_), Err(_)) => {}
            (a, b) => panic!("{name}: one encoding translated, the other not:\ntext {text} → {a:?}\njson {json} → {b:?}"),
        }
    }
    eprintln!("cql2 crate examples: {translated} translated, {refused} refused, {both} compared across encodings");
    // The supported share is a fact about the corpus: comparisons, LIKE, BETWEEN, IN, IS NULL,
    // S_INTERSECTS… translate; temporal, array and arithmetic examples are refused.
    assert!(translated >= 30, "only {translated} examples translated");
    assert!(refused >= 20, "only {refused} refused: the temporal/array examples should be");
}
