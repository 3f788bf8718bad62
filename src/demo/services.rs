//! Points of service: `servizi_pubblici` (schools, libraries, health) placed along the
//! comune's named streets with a matching address, and `servizi_sociali` (the restricted
//! welfare layer: RSA, day centres, nurseries, family counselling, youth centres, group homes)
//! in the built-up area. Counts follow the population.

use geo::Coord;

use super::facts;
use super::generate::{point, Out, Place, T_SERVIZI_PUBBLICI, T_SERVIZI_SOCIALI};
use super::geom::{point_along, polyline_length};
use super::rng::Rng;
use super::schema::Val;

/// A named street of the comune's grid (world coordinates).
pub(crate) struct StreetRef {
    pub name: String,
    pub line: Vec<Coord>,
}

/// Writes the public and social services of one comune.
pub(crate) fn place_services(place: &Place, streets: &[StreetRef], hospitals: &[(&'static str, Coord)], seed: u64, out: &mut Out) {
    public_services(place, streets, hospitals, &mut Rng::derive(seed, "servizi_pubblici", place.index as u64), out);
    social_services(place, &mut Rng::derive(seed, "servizi_sociali", place.index as u64), out);
}

/// A point on a random named street, with its address; falls back to a point near the centre.
fn on_street(place: &Place, streets: &[StreetRef], rng: &mut Rng) -> (Coord, Option<String>) {
    for _ in 0..12 {
        if streets.is_empty() {
            break;
        }
        let s = rng.pick(streets);
        let len = polyline_length(&s.line);
        let at = rng.range(0.0, len);
        let (p, dir) = point_along(&s.line, at);
        let left = rng.chance(0.5);
        let side = if left { 1.0 } else { -1.0 };
        let q = Coord { x: p.x - dir.y * 14.0 * side, y: p.y + dir.x * 14.0 * side };
        if place.cell.contains(q, 5.0) {
            let number = 1 + 2 * (at / 18.0).floor() as i64 + if left { 0 } else { 1 };
            return (q, Some(format!("{}, {number}", s.name)));
        }
    }
    (in_town(place, 0.5, rng), None)
}

/// A random point of the built-up area (relative radius up to `q`) inside the cell.
fn in_town(place: &Place, q: f64, rng: &mut Rng) -> Coord {
    for _ in 0..50 {
        let r = place.urban_radius * q * rng.f64().sqrt();
        let a = rng.range(0.0, std::f64::consts::TAU);
        let p = place.frame.to_world(r * a.cos(), r * a.sin());
        if place.cell.contains(p, 5.0) {
            return p;
        }
    }
    place.site
}

fn count(pop: f64, per: f64, min: usize) -> usize {
    ((pop / per).round() as usize).max(min)
}

fn public_services(place: &Place, streets: &[StreetRef], hospitals: &[(&'static str, Coord)], rng: &mut Rng, out: &mut Out) {
    let c = place.comune;
    let pop = c.population as f64;
    let emit = |p: Coord, tipo: &'static str, nome: String, indirizzo: Option<String>, out: &mut Out| {
        out.push(T_SERVIZI_PUBBLICI, point(p), vec![place.istat(), Val::text(tipo), Val::text(nome), Val::opt_text(indirizzo)]);
    };
    for _ in 0..count(pop, 1_800.0, 2) {
        let kind = *rng.weighted(&[
            ("Scuola dell'infanzia", 0.30),
            ("Scuola primaria", 0.35),
            ("Scuola secondaria di primo grado", 0.20),
            ("Istituto comprensivo", 0.05),
            (if pop > 15_000.0 { "Liceo" } else { "Scuola primaria" }, 0.05),
            (if pop > 15_000.0 { "Istituto tecnico" } else { "Scuola dell'infanzia" }, 0.05),
        ]);
        let (p, addr) = on_street(place, streets, rng);
        emit(p, "scuola", format!("{kind} \"{}\"", rng.pick(facts::PEOPLE)), addr, out);
    }
    let libraries = if place.is_hub { facts::MILANO_QUARTIERI.len() } else { count(pop, 30_000.0, 1) };
    for k in 0..libraries {
        let nome = match (place.is_hub, k) {
            (true, 0) => "Biblioteca centrale Palazzo Sormani".to_string(),
            (true, _) => format!("Biblioteca rionale {}", facts::MILANO_QUARTIERI[k]),
            (false, 0) => format!("Biblioteca comunale di {}", c.name),
            (false, _) => format!("Biblioteca di quartiere {}", rng.pick(facts::PEOPLE)),
        };
        let (p, addr) = on_street(place, streets, rng);
        emit(p, "biblioteca", nome, addr, out);
    }
    for k in 0..count(pop, 7_000.0, 1) {
        let nome = match k {
            0 if pop > 15_000.0 => format!("Casa di Comunità di {}", c.name),
            0 => format!("Ambulatorio comunale di {}", c.name),
            _ => match rng.below(3) {
                0 => format!("Poliambulatorio {}", facts::asst(&c.zona_code)),
                1 => format!("Ambulatorio medico associato {}", rng.pick(facts::PEOPLE)),
                _ => format!("Farmacia comunale n. {k}"),
            },
        };
        let (p, addr) = on_street(place, streets, rng);
        emit(p, "sanita", nome, addr, out);
    }
    for &(name, p) in hospitals {
        emit(p, "sanita", name.to_string(), None, out);
    }
    if !place.is_hub && pop > 30_000.0 {
        let (p, addr) = on_street(place, streets, rng);
        emit(p, "sanita", format!("Ospedale di {}", c.name), addr, out);
    }
}

fn social_services(place: &Place, rng: &mut Rng, out: &mut Out) {
    let c = place.comune;
    let pop = c.population as f64;
    let comune = format!("Comune di {}", c.name);
    let coop = |rng: &mut Rng| rng.pick(facts::GESTORI).to_string();
    let emit = |rng: &mut Rng, tipo: &'static str, nome: String, posti: Option<i64>, gestore: Option<String>, out: &mut Out| {
        let p = in_town(place, 0.9, rng);
        out.push(
            T_SERVIZI_SOCIALI,
            point(p),
            vec![place.istat(), Val::text(tipo), Val::text(nome), Val::Int(posti), Val::opt_text(gestore)],
        );
    };
    if pop >= 3_000.0 {
        for _ in 0..count(pop, 12_000.0, 1) {
            let nome =
                if rng.chance(0.6) { format!("RSA {}", rng.pick(facts::VILLAS)) } else { format!("RSA \"{}\"", rng.pick(facts::PEOPLE)) };
            let posti = 5 * rng.int(8, 36);
            let gestore = match rng.below(10) {
                0..=3 => Some(coop(rng)),
                4..=6 => Some(format!("Fondazione {}", rng.pick(facts::PEOPLE))),
                7 | 8 => Some(comune.clone()),
                _ => None,
            };
            emit(rng, "RSA", nome, Some(posti), gestore, out);
        }
    }
    for _ in 0..count(pop, 15_000.0, 0) {
        let (nome, posti) = if rng.chance(0.6) {
            (format!("Centro diurno integrato {}", rng.pick(facts::VILLAS)), rng.int(15, 40))
        } else {
            (format!("Centro diurno disabili \"{}\"", rng.pick(facts::NICE_NAMES)), rng.int(20, 30))
        };
        let gestore = if rng.chance(0.5) { Some(coop(rng)) } else { Some(comune.clone()) };
        emit(rng, "centro diurno", nome, Some(posti), gestore, out);
    }
    for _ in 0..count(pop, 3_500.0, 1) {
        let nome = format!("Asilo nido \"{}\"", rng.pick(facts::NICE_NAMES));
        let posti = rng.int(20, 80);
        let gestore = match rng.below(10) {
            0..=4 => Some(comune.clone()),
            5..=8 => Some(coop(rng)),
            _ => None,
        };
        emit(rng, "asilo nido", nome, Some(posti), gestore, out);
    }
    if pop >= 10_000.0 {
        for k in 0..count(pop, 30_000.0, 1) {
            let nome = if k == 0 {
                format!("Consultorio familiare di {}", c.name)
            } else {
                format!("Consultorio familiare {}", rng.pick(facts::PEOPLE))
            };
            emit(rng, "consultorio familiare", nome, None, Some(facts::asst(&c.zona_code).to_string()), out);
        }
    }
    for _ in 0..count(pop, 25_000.0, 0) {
        let nome = format!("Centro di aggregazione giovanile \"{}\"", rng.pick(facts::NICE_NAMES));
        let posti = rng.chance(0.7).then(|| rng.int(20, 60));
        let gestore = if rng.chance(0.6) { Some(coop(rng)) } else { Some(comune.clone()) };
        emit(rng, "centro di aggregazione giovanile", nome, posti, gestore, out);
    }
    for _ in 0..count(pop, 40_000.0, 0) {
        let nome = format!("Comunità alloggio \"{}\"", rng.pick(facts::NICE_NAMES));
        let gestore = rng.chance(0.9).then(|| coop(rng));
        let posti = rng.int(6, 12);
        emit(rng, "comunità alloggio", nome, Some(posti), gestore, out);
    }
}
