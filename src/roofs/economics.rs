//! Economics of a rooftop photovoltaic system in Italy: cost by size band, savings from
//! self-consumption and export (ritiro dedicato), the IRPEF deduction over ten years, simple
//! payback, 20-year net value and CO₂ avoided. Every default is in `docs/roofs.md` with its
//! source; all of them are configurable under `[roofs.economics]`.

use serde::{Deserialize, Serialize};

/// One size band of turnkey installation cost.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CostBand {
    /// Upper bound of the band, kWp (inclusive); none on the last band.
    pub up_to_kwp: Option<f64>,
    /// Cost per kWp in the band, € (VAT included).
    pub eur_per_kwp: f64,
}

/// Economic parameters.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Economics {
    /// Turnkey cost by size band, ascending.
    pub cost_bands: Vec<CostBand>,
    /// Price of electricity bought from the grid, €/kWh.
    pub electricity_price_eur_kwh: f64,
    /// Price paid for exported energy (GSE ritiro dedicato), €/kWh.
    pub export_price_eur_kwh: f64,
    /// Share of production consumed on site (no battery).
    pub self_consumption: f64,
    /// Tax deduction for a main home (detrazione, abitazione principale), fraction of cost.
    pub deduction_main_home: f64,
    /// Tax deduction otherwise.
    pub deduction_other: f64,
    /// Years over which the deduction is spread.
    pub deduction_years: u32,
    /// Spending ceiling of the deduction per dwelling, €.
    pub deduction_cap_eur: f64,
    /// Yearly operation and maintenance, € per kWp.
    pub om_eur_per_kwp_year: f64,
    /// Yearly loss of module output, fraction.
    pub degradation_per_year: f64,
    /// Discount rate of the 20-year net value, fraction per year.
    pub discount_rate: f64,
    /// Years of the net value.
    pub lifetime_years: u32,
    /// CO₂ emitted per kWh of the Italian electricity consumed, kg/kWh.
    pub grid_co2_kg_per_kwh: f64,
}

impl Default for Economics {
    fn default() -> Economics {
        Economics {
            cost_bands: vec![
                CostBand { up_to_kwp: Some(6.0), eur_per_kwp: 1800.0 },
                CostBand { up_to_kwp: Some(20.0), eur_per_kwp: 1500.0 },
                CostBand { up_to_kwp: Some(200.0), eur_per_kwp: 1200.0 },
                CostBand { up_to_kwp: None, eur_per_kwp: 1000.0 },
            ],
            electricity_price_eur_kwh: 0.27,
            export_price_eur_kwh: 0.10,
            self_consumption: 0.35,
            deduction_main_home: 0.50,
            deduction_other: 0.36,
            deduction_years: 10,
            deduction_cap_eur: 96_000.0,
            om_eur_per_kwp_year: 20.0,
            degradation_per_year: 0.005,
            discount_rate: 0.03,
            lifetime_years: 20,
            grid_co2_kg_per_kwh: 0.257,
        }
    }
}

/// The economic result for one installation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EconomicReport {
    /// Installation cost, €.
    pub cost_eur: f64,
    /// Total tax deduction (spread over `deduction_years`), €.
    pub deduction_eur: f64,
    /// First-year savings and export revenue minus O&M, €.
    pub annual_savings_eur: f64,
    /// Years until the cumulative (undiscounted) cash flow turns positive; `None` if never
    /// within the lifetime.
    pub payback_years: Option<f64>,
    /// Discounted net value over the lifetime, €.
    pub net_value_eur: f64,
    /// CO₂ avoided in the first year, kg.
    pub co2_avoided_kg_per_year: f64,
}

impl Economics {
    /// Cost per kWp for a system of `kwp` (the band it falls in).
    pub fn eur_per_kwp(&self, kwp: f64) -> f64 {
        self.cost_bands.iter().find(|b| b.up_to_kwp.is_none_or(|max| kwp <= max)).or(self.cost_bands.last()).map_or(0.0, |b| b.eur_per_kwp)
    }

    /// Evaluates a system of `kwp` producing `annual_kwh` in its first year.
    pub fn evaluate(&self, kwp: f64, annual_kwh: f64, main_home: bool) -> EconomicReport {
        let cost = kwp * self.eur_per_kwp(kwp);
        let rate = if main_home { self.deduction_main_home } else { self.deduction_other };
        let deduction = cost.min(self.deduction_cap_eur) * rate;
        let value_per_kwh =
            self.self_consumption * self.electricity_price_eur_kwh + (1.0 - self.self_consumption) * self.export_price_eur_kwh;
        let om = self.om_eur_per_kwp_year * kwp;
        let years = self.deduction_years.max(1);
        let cash = |year: u32| -> f64 {
            let energy = annual_kwh * (1.0 - self.degradation_per_year).powi(year as i32 - 1);
            let tax = if year <= years { deduction / f64::from(years) } else { 0.0 };
            energy * value_per_kwh - om + tax
        };
        let mut cumulative = -cost;
        let mut payback = None;
        let mut npv = -cost;
        for year in 1..=self.lifetime_years {
            let c = cash(year);
            if payback.is_none() && cumulative + c >= 0.0 && c > 0.0 {
                payback = Some(f64::from(year - 1) + (-cumulative / c));
            }
            cumulative += c;
            npv += c / (1.0 + self.discount_rate).powi(year as i32);
        }
        if cost == 0.0 {
            payback = None;
        }
        EconomicReport {
            cost_eur: cost,
            deduction_eur: deduction,
            annual_savings_eur: annual_kwh * value_per_kwh - om,
            payback_years: payback,
            net_value_eur: npv,
            co2_avoided_kg_per_year: annual_kwh * self.grid_co2_kg_per_kwh,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parameters that make the arithmetic easy to follow by hand.
    fn plain() -> Economics {
        Economics {
            cost_bands: vec![CostBand { up_to_kwp: Some(6.0), eur_per_kwp: 2000.0 }, CostBand { up_to_kwp: None, eur_per_kwp: 1000.0 }],
            electricity_price_eur_kwh: 0.30,
            export_price_eur_kwh: 0.10,
            self_consumption: 0.5,
            deduction_main_home: 0.5,
            deduction_other: 0.36,
            deduction_years: 10,
            deduction_cap_eur: 96_000.0,
            om_eur_per_kwp_year: 0.0,
            degradation_per_year: 0.0,
            discount_rate: 0.0,
            lifetime_years: 20,
            grid_co2_kg_per_kwh: 0.25,
        }
    }

    #[test]
    fn main_home_worked_case() {
        // 3 kWp × 2000 €/kWp = 6000 €; deduction 50 % = 3000 € → 300 €/yr for 10 years.
        // 3600 kWh × (0.5 × 0.30 + 0.5 × 0.10) = 720 €/yr. Years 1–10 bring 1020 €/yr:
        // 6000 / 1020 = 5.88 years. Net value over 20 years: −6000 + 20 × 720 + 3000 = 11400 €.
        let r = plain().evaluate(3.0, 3600.0, true);
        assert_eq!(r.cost_eur, 6000.0);
        assert_eq!(r.deduction_eur, 3000.0);
        assert!((r.annual_savings_eur - 720.0).abs() < 1e-9);
        assert!((r.payback_years.unwrap() - 6000.0 / 1020.0).abs() < 1e-9);
        assert!((r.net_value_eur - 11_400.0).abs() < 1e-6);
        assert!((r.co2_avoided_kg_per_year - 900.0).abs() < 1e-9);
    }

    #[test]
    fn second_home_size_band_and_payback_after_the_deduction_ends() {
        // 10 kWp in the second band: 10 000 €; 36 % = 3600 € → 360 €/yr. 5000 kWh × 0.2 = 1000 €/yr.
        // Years 1–7: 7 × 1360 = 9520; year 8 needs 480 of 1360 → 7.353 years.
        let r = plain().evaluate(10.0, 5000.0, false);
        assert_eq!(r.cost_eur, 10_000.0);
        assert!((r.deduction_eur - 3600.0).abs() < 1e-9);
        assert!((r.payback_years.unwrap() - (7.0 + 480.0 / 1360.0)).abs() < 1e-9);
        // Without the deduction and with a tiny yield the system never pays back in 20 years.
        let mut e = plain();
        e.deduction_other = 0.0;
        assert_eq!(e.evaluate(10.0, 100.0, false).payback_years, None);
    }

    #[test]
    fn deduction_cap_om_degradation_and_discounting() {
        let mut e = plain();
        e.deduction_cap_eur = 1000.0;
        assert_eq!(e.evaluate(3.0, 3600.0, true).deduction_eur, 500.0);
        e.om_eur_per_kwp_year = 10.0;
        assert!((e.evaluate(3.0, 3600.0, true).annual_savings_eur - 690.0).abs() < 1e-9);
        let mut d = plain();
        d.degradation_per_year = 0.01;
        d.deduction_main_home = 0.0;
        // Σ_{y=1..20} 720 × 0.99^(y−1) = 720 × (1 − 0.99^20) / 0.01
        let expected = -6000.0 + 720.0 * (1.0 - 0.99f64.powi(20)) / 0.01;
        assert!((d.evaluate(3.0, 3600.0, true).net_value_eur - expected).abs() < 1e-6);
        let mut r = plain();
        r.discount_rate = 0.05;
        r.deduction_main_home = 0.0;
        // annuity factor (1 − 1.05^−20) / 0.05 = 12.4622
        let expected = -6000.0 + 720.0 * (1.0 - 1.05f64.powi(-20)) / 0.05;
        assert!((r.evaluate(3.0, 3600.0, true).net_value_eur - expected).abs() < 1e-6);
    }

    #[test]
    fn band_edges_are_inclusive() {
        let e = plain();
        assert_eq!(e.eur_per_kwp(6.0), 2000.0);
        assert_eq!(e.eur_per_kwp(6.000_001), 1000.0);
    }
}
