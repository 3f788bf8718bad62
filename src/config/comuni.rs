//! The comuni table (`data/comuni.csv`): facts about the 133 comuni of the Città
//! Metropolitana di Milano — ISTAT code, name, slug, zona omogenea, population (census 2011),
//! area and an approximate centroid. It defines the comune tenants.

use std::collections::HashSet;

/// One comune.
#[derive(Clone, Debug, PartialEq)]
pub struct Comune {
    /// Six-digit ISTAT code, e.g. `015146`.
    pub istat_code: String,
    /// Official name.
    pub name: String,
    /// URL alias, e.g. `milano`.
    pub slug: String,
    /// Zona omogenea code (`MI`, `NO`, `AM`…).
    pub zona_code: String,
    /// Zona omogenea name.
    pub zona_name: String,
    /// Resident population (census 2011).
    pub population: u64,
    /// Area in km².
    pub area_km2: f64,
    /// Approximate centroid, WGS84 longitude.
    pub centroid_lon: f64,
    /// Approximate centroid, WGS84 latitude.
    pub centroid_lat: f64,
}

const HEADER: &str = "istat_code,name,slug,zona_code,zona_name,population,area_km2,centroid_lon,centroid_lat";

/// Parses the comuni table; returns every row error (with its line number) at once.
pub fn parse_comuni(text: &str) -> Result<Vec<Comune>, Vec<String>> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, h)) if h.trim() == HEADER => {}
        _ => return Err(vec![format!("line 1: expected header '{HEADER}'")]),
    }
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    for (n, line) in lines {
        let line_no = n + 1;
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() != 9 {
            errors.push(format!("line {line_no}: expected 9 fields, found {}", f.len()));
            continue;
        }
        let num = |i: usize| f[i].parse::<f64>().ok().filter(|v| v.is_finite());
        let comune = match (f[5].parse::<u64>(), num(6), num(7), num(8)) {
            (Ok(population), Some(area_km2), Some(lon), Some(lat)) => Comune {
                istat_code: f[0].to_string(),
                name: f[1].to_string(),
                slug: f[2].to_string(),
                zona_code: f[3].to_string(),
                zona_name: f[4].to_string(),
                population,
                area_km2,
                centroid_lon: lon,
                centroid_lat: lat,
            },
            _ => {
                errors.push(format!("line {line_no}: population, area or centroid is not a number"));
                continue;
            }
        };
        if comune.istat_code.len() != 6 || !comune.istat_code.bytes().all(|b| b.is_ascii_digit()) {
            errors.push(format!("line {line_no}: ISTAT code '{}' is not six digits", comune.istat_code));
        }
        if comune.slug.is_empty() || !comune.slug.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
            errors.push(format!("line {line_no}: slug '{}' must be lowercase letters, digits and '-'", comune.slug));
        }
        if !seen.insert(comune.istat_code.clone()) || !seen.insert(comune.slug.clone()) {
            errors.push(format!("line {line_no}: duplicate ISTAT code or slug ({}, {})", comune.istat_code, comune.slug));
        }
        out.push(comune);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_has_133_comuni() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/data/comuni.csv")).unwrap();
        let comuni = parse_comuni(&text).unwrap();
        assert_eq!(comuni.len(), 133);
        let milano = comuni.iter().find(|c| c.slug == "milano").unwrap();
        assert_eq!(milano.istat_code, "015146");
        assert!(milano.population > 1_000_000);
    }

    #[test]
    fn reports_every_bad_row() {
        let text = format!("{HEADER}\n01514,A,a,MI,Milano,1,1,9,45\n015146,B,B b,MI,Milano,x,1,9,45\n015147,C,c,MI,Milano,1,1,9\n");
        let errors = parse_comuni(&text).unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].starts_with("line 2"));
    }
}
