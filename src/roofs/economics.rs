//! Economics of a rooftop photovoltaic system in Italy: cost by size band, savings from
//! self-consumption and export (ritiro dedicato), the IRPEF deduction over ten years, simple
//! payback, net value over the lifetime, the yearly cash flow, CO₂ avoided and a band for a
//! production lower or higher than modelled; a citizen's own figures ([`Household`]) override
//! the defaults. Every default is in `docs/roofs.md` with its
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
    /// Share of production consumed on site with a battery.
    pub self_consumption_battery: f64,
    /// Battery cost per kWh of capacity, € (VAT included).
    pub battery_eur_per_kwh: f64,
    /// Production lower or higher by this share gives the result's band (0–1).
    pub production_uncertainty: f64,
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
            self_consumption_battery: 0.65,
            battery_eur_per_kwh: 700.0,
            production_uncertainty: 0.10,
            deduction_main_home: 0.50,
            deduction_other: 0.36,
            deduction_years: 10,
            deduction_cap_eur: 96_000.0,
            om_eur_per_kwp_year: 20.0,
            degradation_per_year: 0.005,
            discount_rate: 0.03,
            lifetime_years: 25,
            grid_co2_kg_per_kwh: 0.257,
        }
    }
}

/// What a citizen says about their home and their choices; what is not said takes the
/// defaults of [`Economics`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Household {
    /// The owner's main home (deduction rate).
    pub main_home: bool,
    /// Electricity used a year, kWh: self-consumption cannot exceed it.
    pub consumption_kwh: Option<f64>,
    /// Share of the production used on site, 0–1.
    pub self_consumption: Option<f64>,
    /// Battery capacity, kWh (0: none).
    pub battery_kwh: f64,
    /// Price of electricity bought, €/kWh.
    pub electricity_price_eur_kwh: Option<f64>,
    /// Price of electricity exported, €/kWh.
    pub export_price_eur_kwh: Option<f64>,
    /// Turnkey cost per kWp, € (instead of the size bands).
    pub eur_per_kwp: Option<f64>,
}

impl Household {
    /// Nothing said but whether it is the main home.
    pub fn main(main_home: bool) -> Household {
        Household { main_home, ..Household::default() }
    }
}

/// The low and high ends of a result when the production is lower or higher by
/// [`Economics::production_uncertainty`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Band {
    /// Share of production either way, 0–1.
    pub production_share: f64,
    /// First-year energy, kWh: low, high.
    pub annual_kwh: [f64; 2],
    /// First-year savings, €: low, high.
    pub annual_savings_eur: [f64; 2],
    /// Payback, years: with the low production (later, or never: `None`), with the high one.
    pub payback_years: [Option<f64>; 2],
}

/// The economic result for one installation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EconomicReport {
    /// Installation cost, €, battery included.
    pub cost_eur: f64,
    /// Of which the battery, €.
    pub battery_cost_eur: f64,
    /// Total tax deduction (spread over `deduction_years`), €.
    pub deduction_eur: f64,
    /// Cost after the deduction, €.
    pub net_cost_eur: f64,
    /// First-year savings and export revenue minus O&M, €.
    pub annual_savings_eur: f64,
    /// First-year energy used on site, kWh, and its value at the electricity price, €.
    pub self_consumed_kwh: f64,
    /// Value of the energy used on site, €.
    pub self_consumption_savings_eur: f64,
    /// First-year energy exported, kWh.
    pub exported_kwh: f64,
    /// Its value at the export price, €.
    pub export_revenue_eur: f64,
    /// Yearly operation and maintenance, €.
    pub om_eur: f64,
    /// Share of the household's consumption the system covers (when the consumption is known).
    pub consumption_covered: Option<f64>,
    /// Years until the cumulative (undiscounted) cash flow turns positive; `None` if never
    /// within the lifetime.
    pub payback_years: Option<f64>,
    /// Discounted net value over the lifetime, €.
    pub net_value_eur: f64,
    /// Cumulative undiscounted cash flow at the end of each year, € (year 0: minus the cost;
    /// `lifetime_years` + 1 values).
    pub cash_flow_eur: Vec<f64>,
    /// CO₂ avoided in the first year, kg.
    pub co2_avoided_kg_per_year: f64,
    /// The same results with less or more production.
    pub band: Band,
    /// The parameters used, after the household's overrides.
    pub used: Used,
}

/// The parameters an [`EconomicReport`] used.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Used {
    /// €/kWp of the modules.
    pub eur_per_kwp: f64,
    /// €/kWh bought.
    pub electricity_price_eur_kwh: f64,
    /// €/kWh exported.
    pub export_price_eur_kwh: f64,
    /// Share of production used on site (before the consumption cap).
    pub self_consumption: f64,
    /// Deduction rate.
    pub deduction_rate: f64,
    /// Years of the cash flow.
    pub lifetime_years: u32,
}

/// Cash flows of one case.
struct Flows {
    payback: Option<f64>,
    npv: f64,
    cumulative: Vec<f64>,
    first: YearOne,
}

/// The first year's energy and money.
struct YearOne {
    self_kwh: f64,
    export_kwh: f64,
    savings_self: f64,
    export_revenue: f64,
}

impl Economics {
    /// Cost per kWp for a system of `kwp` (the band it falls in).
    pub fn eur_per_kwp(&self, kwp: f64) -> f64 {
        self.cost_bands.iter().find(|b| b.up_to_kwp.is_none_or(|max| kwp <= max)).or(self.cost_bands.last()).map_or(0.0, |b| b.eur_per_kwp)
    }

    /// Evaluates a system of `kwp` producing `annual_kwh` in its first year, with the defaults.
    pub fn evaluate(&self, kwp: f64, annual_kwh: f64, main_home: bool) -> EconomicReport {
        self.evaluate_for(kwp, annual_kwh, &Household::main(main_home))
    }

    /// Evaluates a system of `kwp` producing `annual_kwh` in its first year for `household`.
    pub fn evaluate_for(&self, kwp: f64, annual_kwh: f64, household: &Household) -> EconomicReport {
        let used = Used {
            eur_per_kwp: household.eur_per_kwp.unwrap_or_else(|| self.eur_per_kwp(kwp)),
            electricity_price_eur_kwh: household.electricity_price_eur_kwh.unwrap_or(self.electricity_price_eur_kwh),
            export_price_eur_kwh: household.export_price_eur_kwh.unwrap_or(self.export_price_eur_kwh),
            self_consumption: household.self_consumption.unwrap_or(if household.battery_kwh > 0.0 {
                self.self_consumption_battery
            } else {
                self.self_consumption
            }),
            deduction_rate: if household.main_home { self.deduction_main_home } else { self.deduction_other },
            lifetime_years: self.lifetime_years,
        };
        // Nothing to install: no battery either.
        let battery = if kwp > 0.0 { household.battery_kwh * self.battery_eur_per_kwh } else { 0.0 };
        let cost = kwp * used.eur_per_kwp + battery;
        let deduction = cost.min(self.deduction_cap_eur) * used.deduction_rate;
        let om = self.om_eur_per_kwp_year * kwp;
        let flows = |factor: f64| self.flows(annual_kwh * factor, cost, deduction, om, &used, household.consumption_kwh);
        let (mid, low, high) = (flows(1.0), flows(1.0 - self.production_uncertainty), flows(1.0 + self.production_uncertainty));
        let savings = |f: &Flows| f.first.savings_self + f.first.export_revenue - om;
        let u = self.production_uncertainty;
        EconomicReport {
            cost_eur: cost,
            battery_cost_eur: battery,
            deduction_eur: deduction,
            net_cost_eur: cost - deduction,
            annual_savings_eur: savings(&mid),
            self_consumed_kwh: mid.first.self_kwh,
            self_consumption_savings_eur: mid.first.savings_self,
            exported_kwh: mid.first.export_kwh,
            export_revenue_eur: mid.first.export_revenue,
            om_eur: om,
            consumption_covered: household.consumption_kwh.filter(|c| *c > 0.0).map(|c| (mid.first.self_kwh / c).min(1.0)),
            payback_years: mid.payback,
            net_value_eur: mid.npv,
            cash_flow_eur: mid.cumulative,
            co2_avoided_kg_per_year: annual_kwh * self.grid_co2_kg_per_kwh,
            band: Band {
                production_share: u,
                annual_kwh: [annual_kwh * (1.0 - u), annual_kwh * (1.0 + u)],
                annual_savings_eur: [savings(&low), savings(&high)],
                payback_years: [low.payback, high.payback],
            },
            used,
        }
    }

    /// The yearly flows of a system whose first year brings `annual_kwh`.
    fn flows(&self, annual_kwh: f64, cost: f64, deduction: f64, om: f64, used: &Used, consumption: Option<f64>) -> Flows {
        let years = self.deduction_years.max(1);
        let year_one = |energy: f64| {
            let wanted = energy * used.self_consumption;
            let self_kwh = consumption.map_or(wanted, |c| wanted.min(c.max(0.0)));
            let export_kwh = energy - self_kwh;
            YearOne {
                self_kwh,
                export_kwh,
                savings_self: self_kwh * used.electricity_price_eur_kwh,
                export_revenue: export_kwh * used.export_price_eur_kwh,
            }
        };
        let (mut cumulative, mut payback, mut npv) = (-cost, None, -cost);
        let mut series = Vec::with_capacity(self.lifetime_years as usize + 1);
        series.push(-cost);
        for year in 1..=self.lifetime_years {
            let y = year_one(annual_kwh * (1.0 - self.degradation_per_year).powi(year as i32 - 1));
            let tax = if year <= years { deduction / f64::from(years) } else { 0.0 };
            let c = y.savings_self + y.export_revenue - om + tax;
            if payback.is_none() && cumulative + c >= 0.0 && c > 0.0 {
                payback = Some(f64::from(year - 1) + (-cumulative / c));
            }
            cumulative += c;
            series.push(cumulative);
            npv += c / (1.0 + self.discount_rate).powi(year as i32);
        }
        if cost == 0.0 {
            payback = None;
        }
        Flows { payback, npv, cumulative: series, first: year_one(annual_kwh) }
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
            self_consumption_battery: 0.8,
            battery_eur_per_kwh: 500.0,
            production_uncertainty: 0.1,
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
    fn a_households_figures_override_the_defaults() {
        let e = plain();
        // 3 kWp making 3600 kWh for a home using 1000 kWh: half would be used on site (1800 kWh),
        // but only 1000 kWh can be: 1000 × 0.30 = 300 €, and 2600 kWh exported × 0.10 = 260 €.
        let h = Household { main_home: true, consumption_kwh: Some(1000.0), ..Household::default() };
        let r = e.evaluate_for(3.0, 3600.0, &h);
        assert!((r.self_consumed_kwh - 1000.0).abs() < 1e-9 && (r.exported_kwh - 2600.0).abs() < 1e-9);
        assert!((r.self_consumption_savings_eur - 300.0).abs() < 1e-9 && (r.export_revenue_eur - 260.0).abs() < 1e-9);
        assert!((r.annual_savings_eur - 560.0).abs() < 1e-9);
        assert_eq!(r.consumption_covered, Some(1.0));
        // A 5 kWh battery at 500 €/kWh: 6000 + 2500 € (deducted together), and the battery's
        // self-consumption share (0.8) unless one is given; own prices and cost per kWp.
        let h = Household { battery_kwh: 5.0, electricity_price_eur_kwh: Some(0.40), eur_per_kwp: Some(1000.0), ..Household::default() };
        let r = e.evaluate_for(3.0, 3600.0, &h);
        assert_eq!((r.cost_eur, r.battery_cost_eur), (5500.0, 2500.0));
        assert!((r.deduction_eur - 5500.0 * 0.36).abs() < 1e-9 && (r.net_cost_eur - 5500.0 * 0.64).abs() < 1e-9);
        assert!((r.self_consumed_kwh - 2880.0).abs() < 1e-9);
        assert!((r.annual_savings_eur - (2880.0 * 0.40 + 720.0 * 0.10)).abs() < 1e-9);
        assert_eq!((r.used.self_consumption, r.used.electricity_price_eur_kwh, r.used.eur_per_kwp), (0.8, 0.40, 1000.0));
        let own = e.evaluate_for(3.0, 3600.0, &Household { battery_kwh: 5.0, self_consumption: Some(0.6), ..Household::default() });
        assert!((own.self_consumed_kwh - 2160.0).abs() < 1e-9);
    }

    #[test]
    fn the_cash_flow_adds_up_and_the_band_brackets_the_result() {
        // No discounting: the last cumulative value is the net value.
        let r = plain().evaluate(3.0, 3600.0, true);
        assert_eq!(r.cash_flow_eur.len(), 21);
        assert_eq!(r.cash_flow_eur[0], -6000.0);
        assert!((r.cash_flow_eur[20] - r.net_value_eur).abs() < 1e-6);
        // Year 1: 720 € of energy + 300 € of deduction.
        assert!((r.cash_flow_eur[1] + 6000.0 - 1020.0).abs() < 1e-9);
        // The payback is where the cumulative flow crosses zero.
        let p = r.payback_years.unwrap();
        assert!(r.cash_flow_eur[p.floor() as usize] < 0.0 && r.cash_flow_eur[p.ceil() as usize] >= 0.0);
        let b = &r.band;
        assert!((b.annual_kwh[0] - 3240.0).abs() < 1e-9 && (b.annual_kwh[1] - 3960.0).abs() < 1e-9);
        assert!(b.annual_savings_eur[0] < r.annual_savings_eur && r.annual_savings_eur < b.annual_savings_eur[1]);
        assert!(b.payback_years[0].unwrap() > p && p > b.payback_years[1].unwrap());
    }

    #[test]
    fn band_edges_are_inclusive() {
        let e = plain();
        assert_eq!(e.eur_per_kwp(6.0), 2000.0);
        assert_eq!(e.eur_per_kwp(6.000_001), 1000.0);
    }
}
