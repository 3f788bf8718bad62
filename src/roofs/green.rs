//! Green roof (tetto verde) suitability: whether a roof plane can carry a green roof, which
//! kind (extensive or intensive, as UNI 11235:2015 distinguishes them), the added load, cost,
//! and the rain it keeps out of the sewers. Thresholds and defaults, with their sources, are in
//! `docs/roofs.md`; all are configurable under `[roofs.green]`.

use serde::{Deserialize, Serialize};

/// Green roof parameters.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct GreenParams {
    /// Steepest slope for any green roof, degrees.
    pub max_slope_deg: f64,
    /// Slope above which anti-slip elements (shear barriers) are needed, degrees.
    pub anti_slip_slope_deg: f64,
    /// Steepest slope for an intensive (accessible, deep substrate) green roof, degrees.
    pub intensive_max_slope_deg: f64,
    /// Smallest plane worth greening, m².
    pub min_area_m2: f64,
    /// Smallest plane for an intensive green roof, m².
    pub intensive_min_area_m2: f64,
    /// Tallest building for an intensive green roof, m (wind, access, cranes).
    pub intensive_max_height_m: f64,
    /// Building uses (DBT EDIFC_USO codes) that do not get green roofs.
    pub excluded_uses: Vec<String>,
    /// Saturated weight of an extensive system, kg/m².
    pub extensive_load_kg_m2: f64,
    /// Saturated weight of an intensive system, kg/m².
    pub intensive_load_kg_m2: f64,
    /// Cost of an extensive system, €/m².
    pub extensive_cost_eur_m2: f64,
    /// Cost of an intensive system, €/m².
    pub intensive_cost_eur_m2: f64,
    /// Annual rainfall, mm.
    pub annual_rain_mm: f64,
    /// Share of annual rain retained by an extensive system.
    pub extensive_retention: f64,
    /// Share of annual rain retained by an intensive system.
    pub intensive_retention: f64,
    /// Runoff coefficient of a conventional roof.
    pub conventional_runoff: f64,
}

impl Default for GreenParams {
    fn default() -> GreenParams {
        GreenParams {
            max_slope_deg: 35.0,
            anti_slip_slope_deg: 15.0,
            intensive_max_slope_deg: 5.0,
            min_area_m2: 10.0,
            intensive_min_area_m2: 100.0,
            intensive_max_height_m: 30.0,
            excluded_uses: vec![],
            extensive_load_kg_m2: 120.0,
            intensive_load_kg_m2: 600.0,
            extensive_cost_eur_m2: 60.0,
            intensive_cost_eur_m2: 150.0,
            annual_rain_mm: 943.0,
            extensive_retention: 0.5,
            intensive_retention: 0.7,
            conventional_runoff: 0.9,
        }
    }
}

/// Kind of green roof.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GreenType {
    /// Thin substrate, sedum and grasses, little maintenance.
    Extensive,
    /// Deep substrate, lawns and shrubs, accessible.
    Intensive,
}

/// What is known of the building, when it is known.
#[derive(Clone, Debug, Default)]
pub struct BuildingInfo {
    /// Height above ground, m.
    pub height_m: Option<f64>,
    /// DBT use code.
    pub uso: Option<String>,
}

/// The green roof result for one plane.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GreenReport {
    /// Whether a green roof fits.
    pub suitable: bool,
    /// Which kind, when suitable.
    #[serde(rename = "type")]
    pub kind: Option<GreenType>,
    /// Why not, or what it needs.
    pub notes: Vec<String>,
    /// Area greened, m² (the plane's area).
    pub area_m2: f64,
    /// Added saturated load, kg/m².
    pub load_kg_m2: f64,
    /// Cost, €.
    pub cost_eur: f64,
    /// Rain retained per year, m³.
    pub retained_rain_m3_per_year: f64,
    /// Runoff coefficient with the green roof.
    pub runoff_coefficient: f64,
    /// Reduction of yearly runoff compared with a conventional roof, fraction.
    pub runoff_reduction: f64,
}

impl GreenParams {
    /// Evaluates a plane of `area_m2` (true area) at `slope_deg`.
    pub fn evaluate(&self, slope_deg: f64, area_m2: f64, building: &BuildingInfo) -> GreenReport {
        let mut notes = Vec::new();
        let mut suitable = true;
        if slope_deg > self.max_slope_deg {
            suitable = false;
            notes.push(format!("slope {slope_deg}° above {}°", self.max_slope_deg));
        }
        if area_m2 < self.min_area_m2 {
            suitable = false;
            notes.push(format!("area {area_m2} m² below {} m²", self.min_area_m2));
        }
        if let Some(uso) = &building.uso {
            if self.excluded_uses.iter().any(|u| u == uso) {
                suitable = false;
                notes.push(format!("building use {uso} excluded"));
            }
        }
        let intensive = suitable
            && slope_deg <= self.intensive_max_slope_deg
            && area_m2 >= self.intensive_min_area_m2
            && building.height_m.is_none_or(|h| h <= self.intensive_max_height_m);
        let kind = suitable.then_some(if intensive { GreenType::Intensive } else { GreenType::Extensive });
        if suitable && slope_deg > self.anti_slip_slope_deg {
            notes.push(format!("slope above {}°: needs anti-slip elements", self.anti_slip_slope_deg));
        }
        let (load, cost_m2, retention) = match kind {
            Some(GreenType::Intensive) => (self.intensive_load_kg_m2, self.intensive_cost_eur_m2, self.intensive_retention),
            Some(GreenType::Extensive) => (self.extensive_load_kg_m2, self.extensive_cost_eur_m2, self.extensive_retention),
            None => (0.0, 0.0, 0.0),
        };
        // rain falls on the horizontal projection of the plane
        let plan_area = area_m2 * slope_deg.to_radians().cos();
        let retained = plan_area * self.annual_rain_mm / 1000.0 * retention;
        let runoff = if kind.is_some() { 1.0 - retention } else { self.conventional_runoff };
        GreenReport {
            suitable,
            kind,
            notes,
            area_m2: if suitable { area_m2 } else { 0.0 },
            load_kg_m2: load,
            cost_eur: if suitable { area_m2 * cost_m2 } else { 0.0 },
            retained_rain_m3_per_year: retained,
            runoff_coefficient: runoff,
            runoff_reduction: if self.conventional_runoff > 0.0 { 1.0 - runoff / self.conventional_runoff } else { 0.0 },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(slope: f64, area: f64, height: Option<f64>, uso: Option<&str>) -> GreenReport {
        let p = GreenParams { excluded_uses: vec!["0601".into()], ..GreenParams::default() };
        p.evaluate(slope, area, &BuildingInfo { height_m: height, uso: uso.map(String::from) })
    }

    #[test]
    fn slope_edges() {
        assert_eq!(eval(5.0, 200.0, None, None).kind, Some(GreenType::Intensive));
        assert_eq!(eval(5.01, 200.0, None, None).kind, Some(GreenType::Extensive));
        assert!(eval(15.0, 50.0, None, None).notes.is_empty());
        assert!(eval(15.01, 50.0, None, None).notes[0].contains("anti-slip"));
        assert!(eval(35.0, 50.0, None, None).suitable);
        let steep = eval(35.01, 50.0, None, None);
        assert!(!steep.suitable && steep.kind.is_none() && steep.cost_eur == 0.0);
    }

    #[test]
    fn area_height_and_use_edges() {
        assert!(eval(0.0, 10.0, None, None).suitable);
        assert!(!eval(0.0, 9.99, None, None).suitable);
        assert_eq!(eval(0.0, 100.0, None, None).kind, Some(GreenType::Intensive));
        assert_eq!(eval(0.0, 99.99, None, None).kind, Some(GreenType::Extensive));
        assert_eq!(eval(0.0, 100.0, Some(30.0), None).kind, Some(GreenType::Intensive));
        assert_eq!(eval(0.0, 100.0, Some(30.01), None).kind, Some(GreenType::Extensive));
        assert!(!eval(0.0, 100.0, None, Some("0601")).suitable);
        assert!(eval(0.0, 100.0, None, Some("0101")).suitable);
    }

    #[test]
    fn stormwater_and_cost_arithmetic() {
        // 100 m² flat extensive (height 40 m rules out intensive): 100 × 0.943 × 0.5 = 47.15 m³
        let r = eval(0.0, 100.0, Some(40.0), None);
        assert_eq!(r.kind, Some(GreenType::Extensive));
        assert!((r.retained_rain_m3_per_year - 47.15).abs() < 1e-9);
        assert!((r.cost_eur - 6000.0).abs() < 1e-9);
        assert_eq!(r.load_kg_m2, 120.0);
        assert!((r.runoff_reduction - (1.0 - 0.5 / 0.9)).abs() < 1e-12);
        // 60° plane: not suitable, nothing retained
        assert_eq!(eval(60.0, 100.0, None, None).retained_rain_m3_per_year, 0.0);
        // 30° plane of 100 m²: plan area 86.6 m²
        let s = eval(30.0, 100.0, None, None);
        assert!((s.retained_rain_m3_per_year - 100.0 * (30f64).to_radians().cos() * 0.943 * 0.5).abs() < 1e-9);
    }
}
