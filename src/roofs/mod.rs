//! Roof suitability: *tetti rossi* (rooftop photovoltaics) and *tetti verdi* (green roofs).
//!
//! [`Roofs`] evaluates one roof plane — slope, aspect, area, shading — into a [`RoofReport`]:
//! the solar yield ([`solar`]), the economics of a system on it ([`economics`]) and whether it
//! can be greened ([`green`]), together with every assumption used. The same evaluation serves
//! the citizen API (`/{tenant}/roofs/…`, `crate::apps::roofs`) and `navigli roofs compute`
//! ([`compute`]), which fills the `falde`, `tetti_rossi` and `tetti_verdi` layers.
//! The model, its constants and their sources are documented in `docs/roofs.md`.

pub mod climate;
pub mod compute;
pub mod economics;
pub mod green;
pub mod solar;

use serde::{Deserialize, Serialize};

pub use climate::Climate;
pub use economics::{EconomicReport, Economics, Household};
pub use green::{BuildingInfo, GreenParams, GreenReport, GreenType};
pub use solar::{PlaneYield, PvParams, SolarModel};

/// How modules are laid out on a roof.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Installation {
    /// Rated power per m² of module, kWp/m².
    pub kwp_per_m2: f64,
    /// Share of a pitched plane usable for modules (edge setbacks, chimneys, windows).
    pub pitched_usable_fraction: f64,
    /// Planes at or below this slope are flat roofs, degrees.
    pub flat_max_slope_deg: f64,
    /// Share of a flat roof usable (setbacks from parapets and edges).
    pub flat_usable_fraction: f64,
    /// Tilt of the racked rows on flat roofs, degrees.
    pub flat_rack_tilt_deg: f64,
    /// Module area per usable roof area on flat roofs (row spacing against self-shading).
    pub flat_ground_coverage: f64,
    /// Losses from the rows shading each other on flat roofs, fraction.
    pub flat_row_shading: f64,
    /// Half-width of the northern sector whose planes are unsuitable, degrees.
    pub north_sector_deg: f64,
    /// Smallest system worth installing, kWp.
    pub min_kwp: f64,
}

impl Default for Installation {
    fn default() -> Installation {
        Installation {
            kwp_per_m2: 0.21,
            pitched_usable_fraction: 0.75,
            flat_max_slope_deg: 10.0,
            flat_usable_fraction: 0.8,
            flat_rack_tilt_deg: 20.0,
            flat_ground_coverage: 0.5,
            flat_row_shading: 0.03,
            north_sector_deg: 67.5,
            min_kwp: 1.0,
        }
    }
}

/// Thresholds of the suitability classes on the yearly in-plane irradiation, kWh/m².
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ClassThresholds {
    /// At or above: very good.
    pub very_good: f64,
    /// At or above: good.
    pub good: f64,
    /// At or above: fair; below: unsuitable.
    pub fair: f64,
}

impl Default for ClassThresholds {
    fn default() -> ClassThresholds {
        ClassThresholds { very_good: 1450.0, good: 1250.0, fair: 1000.0 }
    }
}

/// `[roofs]` in `layers.toml`: every parameter of the model, defaults documented with their
/// sources in `docs/roofs.md`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RoofsConfig {
    /// Layer of the roof planes (slope, aspect, area, building id).
    pub planes_layer: Option<String>,
    /// Layer of the buildings.
    pub buildings_layer: Option<String>,
    /// `[roofs.climate]`.
    pub climate: Climate,
    /// `[roofs.pv]`.
    pub pv: PvParams,
    /// `[roofs.installation]`.
    pub installation: Installation,
    /// `[roofs.classes]`.
    pub classes: ClassThresholds,
    /// `[roofs.economics]`.
    pub economics: Economics,
    /// `[roofs.green]`.
    pub green: GreenParams,
}

impl RoofsConfig {
    /// Name of the planes layer.
    pub fn planes_layer(&self) -> &str {
        self.planes_layer.as_deref().unwrap_or("falde")
    }
    /// Name of the buildings layer.
    pub fn buildings_layer(&self) -> &str {
        self.buildings_layer.as_deref().unwrap_or("edifici")
    }

    /// Problems that make the parameters unusable.
    pub fn problems(&self) -> Vec<String> {
        let mut out = self.climate.problems();
        let fractions = [
            ("pv.system_losses", self.pv.system_losses),
            ("installation.pitched_usable_fraction", self.installation.pitched_usable_fraction),
            ("installation.flat_usable_fraction", self.installation.flat_usable_fraction),
            ("installation.flat_ground_coverage", self.installation.flat_ground_coverage),
            ("installation.flat_row_shading", self.installation.flat_row_shading),
            ("economics.self_consumption", self.economics.self_consumption),
            ("economics.self_consumption_battery", self.economics.self_consumption_battery),
            ("economics.production_uncertainty", self.economics.production_uncertainty),
            ("economics.deduction_main_home", self.economics.deduction_main_home),
            ("economics.deduction_other", self.economics.deduction_other),
            ("green.extensive_retention", self.green.extensive_retention),
            ("green.intensive_retention", self.green.intensive_retention),
        ];
        for (name, v) in fractions {
            if !(0.0..=1.0).contains(&v) {
                out.push(format!("{name} = {v} outside 0–1"));
            }
        }
        if !(self.pv.iam_ar > 0.01 && self.pv.iam_ar < 1.0) {
            out.push(format!("pv.iam_ar = {} outside 0.01–1", self.pv.iam_ar));
        }
        if self.economics.cost_bands.is_empty() {
            out.push("economics.cost_bands is empty".into());
        }
        if self.economics.lifetime_years > 100 {
            out.push("economics.lifetime_years above 100".into());
        }
        out
    }
}

/// Solar suitability class of a plane.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Hash)]
#[serde(rename_all = "snake_case")]
pub enum SolarClass {
    /// In-plane irradiation at or above the very-good threshold.
    VeryGood,
    /// At or above the good threshold.
    Good,
    /// At or above the fair threshold.
    Fair,
    /// Too little light, facing north, or too small.
    Unsuitable,
}

impl SolarClass {
    /// Stable code (API and layers).
    pub fn code(self) -> &'static str {
        match self {
            SolarClass::VeryGood => "very_good",
            SolarClass::Good => "good",
            SolarClass::Fair => "fair",
            SolarClass::Unsuitable => "unsuitable",
        }
    }
    /// Italian label (maps and legends).
    pub fn label(self) -> &'static str {
        match self {
            SolarClass::VeryGood => "ottima",
            SolarClass::Good => "buona",
            SolarClass::Fair => "discreta",
            SolarClass::Unsuitable => "non idonea",
        }
    }
    /// Rank, best first (0) — used to pick a building's best plane.
    pub fn rank(self) -> u8 {
        self as u8
    }
}

/// One roof plane to evaluate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlaneInput {
    /// Slope from horizontal, degrees (0–90).
    pub slope: f64,
    /// Aspect, degrees clockwise from north (0–360, 180 = south).
    pub aspect: f64,
    /// True (sloped) area, m².
    pub area_m2: f64,
    /// Fraction of irradiation lost to shading (0–1).
    pub shading: f64,
    /// Whether the building is the owner's main home (tax deduction rate).
    pub main_home: bool,
}

/// The solar part of a [`RoofReport`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SolarReport {
    /// Yearly irradiation on the modules, kWh/m².
    pub irradiation_kwh_m2: f64,
    /// Yearly energy per kWp, kWh/kWp.
    pub specific_yield_kwh_per_kwp: f64,
    /// Installable power, kWp.
    pub kwp: f64,
    /// Yearly energy, kWh.
    pub annual_kwh: f64,
    /// Suitability class code.
    pub class: SolarClass,
    /// Italian label of the class.
    pub class_label: &'static str,
    /// Why the class is what it is, when unsuitable.
    pub reasons: Vec<String>,
    /// Area covered by modules' footprint, m².
    pub usable_area_m2: f64,
    /// Module tilt, degrees (the roof's, or the racks' on flat roofs).
    pub module_tilt: f64,
    /// Module aspect, degrees.
    pub module_aspect: f64,
    /// Whether modules are racked rows on a flat roof.
    pub flat_roof: bool,
    /// Energy per month, kWh.
    pub monthly_kwh: [f64; 12],
    /// Cost, deduction, savings, payback, net value and CO₂ of a system on this plane (its
    /// fields appear directly in `solar` in the JSON).
    #[serde(flatten)]
    pub economics: EconomicReport,
}

/// Everything known about one plane.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RoofReport {
    /// What was evaluated.
    pub input: PlaneInput,
    /// Photovoltaics.
    pub solar: SolarReport,
    /// Green roof.
    pub green: GreenReport,
}

/// The model, prepared once from the configuration.
#[derive(Clone, Debug)]
pub struct Roofs {
    config: RoofsConfig,
    model: SolarModel,
}

impl Roofs {
    /// Prepares the characteristic days of the configured climate.
    pub fn new(config: &RoofsConfig) -> Roofs {
        Roofs { model: SolarModel::new(&config.climate, &config.pv), config: config.clone() }
    }

    /// The parameters.
    pub fn config(&self) -> &RoofsConfig {
        &self.config
    }

    /// Module orientation for a plane: its own, or racks facing south on flat roofs.
    pub fn module_orientation(&self, slope: f64, aspect: f64) -> (f64, f64, bool) {
        if slope <= self.config.installation.flat_max_slope_deg {
            (self.config.installation.flat_rack_tilt_deg, 180.0, true)
        } else {
            (slope, aspect, false)
        }
    }

    /// Fraction of the light lost to a skyline by modules at `tilt`/`aspect`.
    pub fn shading_factor(&self, tilt: f64, aspect: f64, horizon: &solar::Horizon) -> f64 {
        self.model.shading_factor(tilt, aspect, horizon)
    }

    /// Yield of modules at `tilt`/`aspect` with `shading` (exposed for caching callers).
    pub fn plane_yield(&self, tilt: f64, aspect: f64, shading: f64) -> PlaneYield {
        self.model.plane(tilt, aspect, shading)
    }

    /// Evaluates one plane.
    pub fn evaluate(&self, input: &PlaneInput, building: &BuildingInfo) -> RoofReport {
        let (tilt, aspect, _) = self.module_orientation(input.slope, input.aspect);
        let y = self.plane_yield(tilt, aspect, input.shading);
        self.report(input, building, &y)
    }

    /// Builds the report from an already computed yield of the plane's module orientation.
    pub fn report(&self, input: &PlaneInput, building: &BuildingInfo, y: &PlaneYield) -> RoofReport {
        let inst = &self.config.installation;
        let (tilt, module_aspect, flat) = self.module_orientation(input.slope, input.aspect);
        let (usable, kwp, row_loss) = if flat {
            let usable = input.area_m2 * inst.flat_usable_fraction;
            (usable, usable * inst.flat_ground_coverage * inst.kwp_per_m2, inst.flat_row_shading)
        } else {
            let usable = input.area_m2 * inst.pitched_usable_fraction;
            (usable, usable * inst.kwp_per_m2, 0.0)
        };
        let specific = y.specific_yield_kwh_per_kwp * (1.0 - row_loss);
        let annual_kwh = kwp * specific;
        let mut reasons = Vec::new();
        let north_distance = input.aspect.min(360.0 - input.aspect);
        if !flat && north_distance < inst.north_sector_deg {
            reasons.push(format!("faces north (aspect {}°)", input.aspect));
        }
        if kwp < inst.min_kwp {
            reasons.push(format!("too small: {kwp:.2} kWp below {} kWp", inst.min_kwp));
        }
        let t = &self.config.classes;
        let class = if !reasons.is_empty() {
            SolarClass::Unsuitable
        } else if y.irradiation_kwh_m2 >= t.very_good {
            SolarClass::VeryGood
        } else if y.irradiation_kwh_m2 >= t.good {
            SolarClass::Good
        } else if y.irradiation_kwh_m2 >= t.fair {
            SolarClass::Fair
        } else {
            reasons.push(format!("{:.0} kWh/m² a year is below {} kWh/m²", y.irradiation_kwh_m2, t.fair));
            SolarClass::Unsuitable
        };
        let econ = self.config.economics.evaluate(kwp, annual_kwh, input.main_home);
        let green = self.config.green.evaluate(input.slope, input.area_m2, building);
        RoofReport {
            input: input.clone(),
            solar: SolarReport {
                irradiation_kwh_m2: y.irradiation_kwh_m2,
                specific_yield_kwh_per_kwp: specific,
                kwp,
                annual_kwh,
                class,
                class_label: class.label(),
                reasons,
                usable_area_m2: usable,
                module_tilt: tilt,
                module_aspect,
                flat_roof: flat,
                monthly_kwh: y.monthly_kwh_per_kwp.map(|v| v * kwp * (1.0 - row_loss)),
                economics: econ,
            },
            green,
        }
    }
}

/// A building as a whole: one PV system on all its suitable planes, a green roof on all the
/// planes that can carry one.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BuildingSummary {
    /// Best class among the planes.
    pub best_class: SolarClass,
    /// Italian label of the best class.
    pub best_class_label: &'static str,
    /// Planes not unsuitable.
    pub suitable_planes: usize,
    /// Module area on those planes, m².
    pub module_area_m2: f64,
    /// Power on those planes, kWp.
    pub kwp: f64,
    /// Energy a year, kWh.
    pub annual_kwh: f64,
    /// Energy per month, kWh (sums to `annual_kwh`).
    pub monthly_kwh: [f64; 12],
    /// Economics of the whole system (cost band of its total size).
    pub economics: EconomicReport,
    /// Green roof: intensive when any plane takes one, else extensive when any takes one.
    pub green_type: Option<GreenType>,
    /// Greenable area, m².
    pub green_area_m2: f64,
    /// Heaviest added load among the greened planes, kg/m².
    pub green_load_kg_m2: f64,
    /// Cost of greening them, €.
    pub green_cost_eur: f64,
    /// Rain they retain a year, m³.
    pub retained_rain_m3_per_year: f64,
}

impl Roofs {
    /// Adds up the reports of one building's planes (economics with the defaults).
    pub fn summarize<'a>(&self, reports: impl IntoIterator<Item = &'a RoofReport>, main_home: bool) -> BuildingSummary {
        self.summarize_for(reports, &Household::main(main_home))
    }

    /// Adds up the reports of one building's planes, economics for `household`.
    pub fn summarize_for<'a>(&self, reports: impl IntoIterator<Item = &'a RoofReport>, household: &Household) -> BuildingSummary {
        let reports: Vec<&RoofReport> = reports.into_iter().collect();
        let suitable: Vec<&&RoofReport> = reports.iter().filter(|r| r.solar.class != SolarClass::Unsuitable).collect();
        // (an empty f64 sum is -0.0: add from +0.0 so stored and printed zeros are plain zeros)
        let total = |it: &mut dyn Iterator<Item = f64>| it.fold(0.0, |a, b| a + b);
        let kwp = total(&mut suitable.iter().map(|r| r.solar.kwp));
        let kwh = total(&mut suitable.iter().map(|r| r.solar.annual_kwh));
        let area = total(&mut suitable.iter().map(|r| {
            if r.solar.flat_roof {
                r.solar.usable_area_m2 * self.config.installation.flat_ground_coverage
            } else {
                r.solar.usable_area_m2
            }
        }));
        let best = reports.iter().map(|r| r.solar.class).min_by_key(|c| c.rank()).unwrap_or(SolarClass::Unsuitable);
        let green: Vec<&GreenReport> = reports.iter().map(|r| &r.green).filter(|g| g.suitable).collect();
        let green_type = if green.iter().any(|g| g.kind == Some(GreenType::Intensive)) {
            Some(GreenType::Intensive)
        } else if green.is_empty() {
            None
        } else {
            Some(GreenType::Extensive)
        };
        BuildingSummary {
            best_class: best,
            best_class_label: best.label(),
            suitable_planes: suitable.len(),
            module_area_m2: area,
            kwp,
            annual_kwh: kwh,
            monthly_kwh: std::array::from_fn(|m| total(&mut suitable.iter().map(|r| r.solar.monthly_kwh[m]))),
            economics: self.config.economics.evaluate_for(kwp, kwh, household),
            green_type,
            green_area_m2: total(&mut green.iter().map(|g| g.area_m2)),
            green_load_kg_m2: green.iter().map(|g| g.load_kg_m2).fold(0.0, f64::max),
            green_cost_eur: total(&mut green.iter().map(|g| g.cost_eur)),
            retained_rain_m3_per_year: total(&mut green.iter().map(|g| g.retained_rain_m3_per_year)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roofs() -> Roofs {
        Roofs::new(&RoofsConfig::default())
    }

    fn plane(slope: f64, aspect: f64, area: f64) -> PlaneInput {
        PlaneInput { slope, aspect, area_m2: area, shading: 0.0, main_home: true }
    }

    #[test]
    fn classes_follow_orientation_and_size() {
        let r = roofs();
        let b = BuildingInfo::default();
        assert_eq!(r.evaluate(&plane(30.0, 180.0, 40.0), &b).solar.class, SolarClass::VeryGood);
        assert_eq!(r.evaluate(&plane(30.0, 90.0, 40.0), &b).solar.class, SolarClass::Good);
        let north = r.evaluate(&plane(30.0, 10.0, 40.0), &b).solar;
        assert_eq!(north.class, SolarClass::Unsuitable);
        assert!(north.reasons[0].contains("north"));
        // 6 m² × 0.75 × 0.21 = 0.945 kWp < 1 kWp
        let tiny = r.evaluate(&plane(30.0, 180.0, 6.0), &b).solar;
        assert_eq!(tiny.class, SolarClass::Unsuitable);
        assert!((tiny.kwp - 0.945).abs() < 1e-9);
    }

    #[test]
    fn north_sector_edge() {
        let r = roofs();
        let b = BuildingInfo::default();
        assert_eq!(r.evaluate(&plane(30.0, 67.4, 40.0), &b).solar.class, SolarClass::Unsuitable);
        assert_ne!(r.evaluate(&plane(30.0, 67.5, 40.0), &b).solar.class, SolarClass::Unsuitable);
        assert_eq!(r.evaluate(&plane(30.0, 292.6, 40.0), &b).solar.class, SolarClass::Unsuitable);
        assert_ne!(r.evaluate(&plane(30.0, 292.5, 40.0), &b).solar.class, SolarClass::Unsuitable);
    }

    #[test]
    fn flat_roofs_are_racked_rows() {
        let r = roofs();
        let rep = r.evaluate(&plane(10.0, 0.0, 100.0), &BuildingInfo::default()).solar;
        assert!(rep.flat_roof);
        assert_eq!((rep.module_tilt, rep.module_aspect), (20.0, 180.0));
        // 100 × 0.8 × 0.5 × 0.21 = 8.4 kWp, row shading 3 %
        assert!((rep.kwp - 8.4).abs() < 1e-9);
        let y = r.plane_yield(20.0, 180.0, 0.0).specific_yield_kwh_per_kwp * 0.97;
        assert!((rep.annual_kwh - 8.4 * y).abs() < 1e-6);
        assert!(!r.evaluate(&plane(10.01, 0.0, 100.0), &BuildingInfo::default()).solar.flat_roof);
    }

    #[test]
    fn building_summary_adds_suitable_planes_only() {
        let r = roofs();
        let b = BuildingInfo::default();
        let south = r.evaluate(&plane(30.0, 180.0, 40.0), &b);
        let north = r.evaluate(&plane(30.0, 0.0, 40.0), &b);
        let s = r.summarize([&south, &north], true);
        assert_eq!(s.suitable_planes, 1);
        assert_eq!(s.best_class, SolarClass::VeryGood);
        assert!((s.kwp - south.solar.kwp).abs() < 1e-12 && (s.annual_kwh - south.solar.annual_kwh).abs() < 1e-9);
        // both 30° planes take an extensive green roof
        assert_eq!(s.green_type, Some(GreenType::Extensive));
        assert!((s.green_area_m2 - 80.0).abs() < 1e-9);
        let none = r.summarize([&north], false);
        assert_eq!((none.best_class, none.kwp), (SolarClass::Unsuitable, 0.0));
        assert!(none.kwp.is_sign_positive(), "plain zero, not -0");
    }

    #[test]
    fn default_parameters_are_valid_and_bad_ones_are_reported() {
        assert!(RoofsConfig::default().problems().is_empty());
        let mut c = RoofsConfig::default();
        c.pv.system_losses = 1.5;
        c.climate.ghi_kwh_m2[3] = -1.0;
        assert_eq!(c.problems().len(), 2);
    }
}
