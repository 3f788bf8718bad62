//! Photovoltaic yield of a plane from monthly climate data.
//!
//! The chain, each step named after the published method it implements (see `docs/roofs.md`):
//! 1. each month is represented by its characteristic day (Klein 1977), solar declination and
//!    extraterrestrial irradiance after Spencer (1971);
//! 2. the month's mean daily global and diffuse irradiation are spread over that day with the
//!    ratios of Collares-Pereira & Rabl (1979, global) and Liu & Jordan (1960, diffuse),
//!    normalised so that the day adds up exactly to the monthly totals; when no diffuse share
//!    is given it comes from the monthly correlation of Erbs, Klein & Duffie (1982);
//! 3. transposition to the plane with the Hay & Davies (1980) anisotropic sky model plus
//!    isotropic ground reflection;
//! 4. reflection losses at the module surface after Martin & Ruiz (2001), a_r = 0.16;
//! 5. module temperature with the Faiman (2008) model and PVGIS's c-Si coefficients, power
//!    with the Huld et al. (2011) model and PVGIS 5's c-Si coefficients;
//! 6. system losses (PVGIS default 14 %) and a shading factor, the fraction of the year's
//!    light lost to obstacles, which scales irradiation and energy alike (as PVGIS applies
//!    shading losses); [`SolarModel::shading_factor`] derives it from a horizon profile.
//!
//! The integration runs in true solar time with 2-minute steps; one plane costs 8,640 steps.

use std::f64::consts::PI;

use serde::{Deserialize, Serialize};

use super::climate::Climate;

/// Day of the year of each month's characteristic day (Klein 1977).
pub const KLEIN_DAY: [u32; 12] = [17, 47, 75, 105, 135, 162, 198, 228, 258, 288, 318, 344];
/// Days per month (365-day year).
pub const MONTH_DAYS: [f64; 12] = [31.0, 28.0, 31.0, 30.0, 31.0, 30.0, 31.0, 31.0, 30.0, 31.0, 30.0, 31.0];
/// Integration step, minutes.
const STEP_MIN: f64 = 2.0;
const STEPS: usize = (24.0 * 60.0 / STEP_MIN) as usize;
/// Solar constant used with Spencer's eccentricity correction, W/m² (as pvlib).
const SOLAR_CONSTANT: f64 = 1366.1;
/// Smallest cosine of the zenith angle used as a divisor (cos 89°), as in pvlib's Hay–Davies.
const MIN_COS_ZENITH: f64 = 0.017_45;

/// Module and system parameters of the yield model.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct PvParams {
    /// System losses (cables, inverter, soiling, mismatch), fraction.
    pub system_losses: f64,
    /// Martin–Ruiz angular loss coefficient a_r.
    pub iam_ar: f64,
    /// Faiman constant heat transfer U0, W/(m²·K).
    pub faiman_u0: f64,
    /// Faiman convective heat transfer U1, W·s/(m³·K).
    pub faiman_u1: f64,
    /// Huld power model coefficients k1…k6 (per unit of rated power).
    pub huld_k: [f64; 6],
}

impl Default for PvParams {
    fn default() -> PvParams {
        PvParams {
            system_losses: 0.14,
            iam_ar: 0.16,
            faiman_u0: 26.9,
            faiman_u1: 6.2,
            huld_k: [-0.017_237, -0.040_465, -0.004_702, 0.000_149, 0.000_170, 0.000_005],
        }
    }
}

/// One integration step of a month's characteristic day.
#[derive(Clone, Copy, Debug)]
struct Step {
    /// Sun direction: east, north, up components.
    sun: [f64; 3],
    ghi: f64,
    dhi: f64,
    dni: f64,
    /// Extraterrestrial normal irradiance, W/m².
    extra: f64,
    t_air: f64,
    /// Horizon sector of the sun's azimuth, and its elevation (radians).
    sector: usize,
    elevation: f64,
}

/// The climate prepared for repeated plane evaluations: one characteristic day per month.
#[derive(Clone, Debug)]
pub struct SolarModel {
    months: Vec<Vec<Step>>,
    albedo: f64,
    wind: f64,
    pv: PvParams,
}

/// In-plane irradiation and yield of one plane orientation.
///
/// A shading factor scales all of it, so a shaded yield is the unshaded one [`shaded`](Self::shaded).
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PlaneYield {
    /// Irradiation on the plane, kWh/m²·yr (after shading).
    pub irradiation_kwh_m2: f64,
    /// AC energy per rated kW, kWh/kWp·yr (after shading and system losses).
    pub specific_yield_kwh_per_kwp: f64,
    /// Monthly specific yield, kWh/kWp.
    pub monthly_kwh_per_kwp: [f64; 12],
}

impl PlaneYield {
    /// The same plane with a fraction `shading` of its light lost.
    pub fn shaded(&self, shading: f64) -> PlaneYield {
        let keep = (1.0 - shading).clamp(0.0, 1.0);
        PlaneYield {
            irradiation_kwh_m2: self.irradiation_kwh_m2 * keep,
            specific_yield_kwh_per_kwp: self.specific_yield_kwh_per_kwp * keep,
            monthly_kwh_per_kwp: self.monthly_kwh_per_kwp.map(|v| v * keep),
        }
    }
}

/// Spencer (1971) day angle, radians.
fn day_angle(doy: u32) -> f64 {
    2.0 * PI * (f64::from(doy) - 1.0) / 365.0
}

/// Solar declination, radians (Spencer 1971).
pub fn declination(doy: u32) -> f64 {
    let g = day_angle(doy);
    0.006_918 - 0.399_912 * g.cos() + 0.070_257 * g.sin() - 0.006_758 * (2.0 * g).cos() + 0.000_907 * (2.0 * g).sin()
        - 0.002_697 * (3.0 * g).cos()
        + 0.001_48 * (3.0 * g).sin()
}

/// Extraterrestrial normal irradiance, W/m² (Spencer's eccentricity correction).
pub fn extraterrestrial(doy: u32) -> f64 {
    let b = day_angle(doy);
    SOLAR_CONSTANT * (1.000_11 + 0.034_221 * b.cos() + 0.001_28 * b.sin() + 0.000_719 * (2.0 * b).cos() + 0.000_077 * (2.0 * b).sin())
}

/// Monthly-average diffuse fraction from the clearness index (Erbs, Klein & Duffie 1982);
/// `ws` is the sunset hour angle in radians.
pub fn erbs_monthly(kt: f64, ws: f64) -> f64 {
    let kt = kt.clamp(0.3, 0.8);
    let kd = if ws.to_degrees() <= 81.4 {
        1.391 - 3.560 * kt + 4.189 * kt * kt - 2.137 * kt * kt * kt
    } else {
        1.311 - 3.022 * kt + 3.427 * kt * kt - 1.821 * kt * kt * kt
    };
    kd.clamp(0.0, 1.0)
}

/// A plane's orientation, prepared for the per-step irradiance split.
struct PlaneGeometry {
    normal: [f64; 3],
    sky_view: f64,
    ground_view: f64,
}

/// The irradiance on a plane at one step, W/m², by component (Hay–Davies).
struct PlaneIrradiance {
    cos_aoi: f64,
    direct: f64,
    circumsolar: f64,
    isotropic: f64,
    ground: f64,
}

impl PlaneGeometry {
    fn new(slope: f64, aspect: f64) -> PlaneGeometry {
        let beta = slope.to_radians();
        let gamma = aspect.to_radians();
        PlaneGeometry {
            normal: [beta.sin() * gamma.sin(), beta.sin() * gamma.cos(), beta.cos()],
            sky_view: (1.0 + beta.cos()) / 2.0,
            ground_view: (1.0 - beta.cos()) / 2.0,
        }
    }

    fn irradiance(&self, s: &Step, albedo: f64) -> PlaneIrradiance {
        let n = &self.normal;
        let cos_aoi = n[0] * s.sun[0] + n[1] * s.sun[1] + n[2] * s.sun[2];
        let proj = cos_aoi.max(0.0);
        let rb = proj / s.sun[2].max(MIN_COS_ZENITH);
        let ai = s.dni / s.extra;
        PlaneIrradiance {
            cos_aoi,
            direct: s.dni * proj,
            circumsolar: (s.dhi * ai * rb).max(0.0),
            isotropic: (s.dhi * (1.0 - ai) * self.sky_view).max(0.0),
            ground: s.ghi * albedo * self.ground_view,
        }
    }
}

impl SolarModel {
    /// Prepares the characteristic days of `climate`.
    pub fn new(climate: &Climate, pv: &PvParams) -> SolarModel {
        let phi = climate.latitude.to_radians();
        let dt_h = STEP_MIN / 60.0;
        let months = (0..12)
            .map(|m| {
                let doy = KLEIN_DAY[m];
                let delta = declination(doy);
                let extra = extraterrestrial(doy);
                let ws = (-phi.tan() * delta.tan()).clamp(-1.0, 1.0).acos();
                let h_day = climate.ghi_kwh_m2[m] * 1000.0 / MONTH_DAYS[m]; // Wh/m² per day
                let kd = match &climate.diffuse_fraction {
                    Some(kd) => kd[m],
                    None => {
                        // daily extraterrestrial irradiation on a horizontal surface, Wh/m²
                        let h0 = 24.0 / PI * extra * (phi.cos() * delta.cos() * ws.sin() + ws * phi.sin() * delta.sin());
                        erbs_monthly(if h0 > 0.0 { h_day / h0 } else { 0.0 }, ws)
                    }
                };
                let a = 0.409 + 0.5016 * (ws - PI / 3.0).sin();
                let b = 0.6609 - 0.4767 * (ws - PI / 3.0).sin();
                let mut steps: Vec<Step> = (0..STEPS)
                    .map(|k| {
                        let solar_h = (k as f64 + 0.5) * dt_h;
                        let omega = ((solar_h - 12.0) * 15.0).to_radians();
                        let up = phi.sin() * delta.sin() + phi.cos() * delta.cos() * omega.cos();
                        let sun = [-delta.cos() * omega.sin(), phi.cos() * delta.sin() - phi.sin() * delta.cos() * omega.cos(), up];
                        let cw = omega.cos() - ws.cos();
                        let (rt, rd) = if cw > 0.0 { ((a + b * omega.cos()) * cw, cw) } else { (0.0, 0.0) };
                        let t_air =
                            climate.temperature_c[m] + climate.temperature_amplitude_c[m] * (2.0 * PI * (solar_h - 15.0) / 24.0).cos();
                        let azimuth = sun[0].atan2(sun[1]).rem_euclid(2.0 * PI);
                        let sector = ((azimuth.to_degrees() / 10.0) as usize).min(HORIZON_SECTORS - 1);
                        Step { sun, ghi: rt, dhi: rd, dni: 0.0, extra, t_air, sector, elevation: up.clamp(-1.0, 1.0).asin() }
                    })
                    .collect();
                let sum_t: f64 = steps.iter().map(|s| s.ghi).sum::<f64>() * dt_h;
                let sum_d: f64 = steps.iter().map(|s| s.dhi).sum::<f64>() * dt_h;
                for s in &mut steps {
                    s.ghi = if sum_t > 0.0 { s.ghi / sum_t * h_day } else { 0.0 };
                    s.dhi = if sum_d > 0.0 { (s.dhi / sum_d * h_day * kd).min(s.ghi) } else { 0.0 };
                    let cosz = s.sun[2];
                    s.dni = if cosz > MIN_COS_ZENITH { (s.ghi - s.dhi) / cosz } else { 0.0 };
                }
                steps.retain(|s| s.ghi > 0.0);
                steps
            })
            .collect();
        SolarModel { months, albedo: climate.albedo, wind: climate.wind_speed_m_s, pv: pv.clone() }
    }

    /// Irradiation and yield of a plane: `slope` degrees from horizontal, `aspect` degrees
    /// clockwise from north (180 = south), `shading` the fraction of irradiation lost (0–1).
    pub fn plane(&self, slope: f64, aspect: f64, shading: f64) -> PlaneYield {
        let plane = PlaneGeometry::new(slope, aspect);
        let (iam_sky, iam_ground) = martin_ruiz_diffuse(slope, self.pv.iam_ar);
        let iam_norm = 1.0 - (-1.0 / self.pv.iam_ar).exp();
        let k = &self.pv.huld_k;
        let dt_h = STEP_MIN / 60.0;
        let keep = (1.0 - shading).clamp(0.0, 1.0);
        let mut h_poa = 0.0;
        let mut monthly = [0.0; 12];
        for (m, steps) in self.months.iter().enumerate() {
            let mut poa_month = 0.0;
            let mut e_month = 0.0;
            for s in steps {
                let PlaneIrradiance { cos_aoi, direct, circumsolar, isotropic, ground } = plane.irradiance(s, self.albedo);
                let sky = isotropic + circumsolar;
                let poa = direct + sky + ground;
                let iam_beam = if cos_aoi > 0.0 { (1.0 - (-cos_aoi / self.pv.iam_ar).exp()) / iam_norm } else { 0.0 };
                let effective = direct * iam_beam + sky * iam_sky + ground * iam_ground;
                let t_mod = s.t_air + poa / (self.pv.faiman_u0 + self.pv.faiman_u1 * self.wind);
                let p = huld(effective, t_mod, k) * keep;
                poa_month += poa;
                e_month += p;
            }
            h_poa += poa_month * dt_h * MONTH_DAYS[m] / 1000.0;
            monthly[m] = e_month * dt_h * MONTH_DAYS[m] * (1.0 - self.pv.system_losses);
        }
        PlaneYield { irradiation_kwh_m2: h_poa * keep, specific_yield_kwh_per_kwp: monthly.iter().sum(), monthly_kwh_per_kwp: monthly }
    }
}

/// Number of azimuth sectors of a [`Horizon`] (10° each, starting at north).
pub const HORIZON_SECTORS: usize = 36;

/// Elevation of the skyline, radians, in 10° azimuth sectors clockwise from north
/// (sector `i` covers azimuths `[10 i°, 10 (i + 1)°)`).
pub type Horizon = [f64; HORIZON_SECTORS];

impl SolarModel {
    /// Fraction of a plane's yearly irradiation lost to a horizon: beam and circumsolar light
    /// while the sun is below the skyline of its sector, and the isotropic sky diffuse light by
    /// the sky view lost (the mean of sin² of the skyline elevation). Integrated on every tenth
    /// step (20 minutes) of the characteristic days, which is ample for a ratio.
    pub fn shading_factor(&self, slope: f64, aspect: f64, horizon: &Horizon) -> f64 {
        if horizon.iter().all(|h| *h <= 0.0) {
            return 0.0;
        }
        let plane = PlaneGeometry::new(slope, aspect);
        let sky_kept = 1.0 - horizon.iter().map(|h| h.max(0.0).sin().powi(2)).sum::<f64>() / HORIZON_SECTORS as f64;
        let (mut open, mut shaded) = (0.0, 0.0);
        for (m, steps) in self.months.iter().enumerate() {
            let (mut o, mut sh) = (0.0, 0.0);
            for s in steps.iter().step_by(10) {
                let p = plane.irradiance(s, self.albedo);
                let (beam, iso, ground) = (p.direct + p.circumsolar, p.isotropic, p.ground);
                let sun_visible = s.elevation > horizon[s.sector];
                o += beam + iso + ground;
                sh += if sun_visible { beam } else { 0.0 } + iso * sky_kept + ground;
            }
            open += o * MONTH_DAYS[m];
            shaded += sh * MONTH_DAYS[m];
        }
        if open > 0.0 {
            (1.0 - shaded / open).clamp(0.0, 1.0)
        } else {
            0.0
        }
    }
}

/// Huld et al. (2011) power of 1 kW rated at irradiance `g` (W/m²) and module temperature
/// `t_mod` (°C), kW.
fn huld(g: f64, t_mod: f64, k: &[f64; 6]) -> f64 {
    if g <= 0.0 {
        return 0.0;
    }
    let gp = g / 1000.0;
    let lg = gp.ln();
    let tp = t_mod - 25.0;
    (gp * (1.0 + k[0] * lg + k[1] * lg * lg + k[2] * tp + k[3] * tp * lg + k[4] * tp * lg * lg + k[5] * tp * tp)).max(0.0)
}

/// Martin & Ruiz (2001) angular loss factors for sky and ground diffuse light on a plane
/// tilted `slope` degrees.
fn martin_ruiz_diffuse(slope: f64, a_r: f64) -> (f64, f64) {
    let beta = slope.to_radians();
    let c1 = 4.0 / (3.0 * PI);
    let c2 = 0.5 * a_r - 0.154;
    let sin_beta = if slope < 90.0 { beta.sin() } else { (PI - beta).sin() };
    let factor = |t: f64| 1.0 - (-(c1 + c2 * t) * t / a_r).exp();
    let sky = factor(sin_beta + (PI - beta - sin_beta) / (1.0 + beta.cos()));
    let ground = if 1.0 - beta.cos() > 1e-9 { factor(sin_beta + (beta - sin_beta) / (1.0 - beta.cos())) } else { 0.0 };
    (sky, ground)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model() -> SolarModel {
        SolarModel::new(&Climate::default(), &PvParams::default())
    }

    #[test]
    fn pvgis_headline_figures_for_milan() {
        // PVGIS 5.3, Milan, 14 % losses: 1,369 kWh/kWp at 39° south, 956 on a south wall.
        let m = model();
        let opt = m.plane(39.0, 180.0, 0.0).specific_yield_kwh_per_kwp;
        let wall = m.plane(90.0, 180.0, 0.0).specific_yield_kwh_per_kwp;
        eprintln!("39° S: {opt:.1} kWh/kWp, 90° S: {wall:.1} kWh/kWp");
        assert!((opt / 1369.0 - 1.0).abs() < 0.07, "{opt}");
        assert!((wall / 956.0 - 1.0).abs() < 0.07, "{wall}");
    }

    #[test]
    fn horizontal_plane_receives_the_monthly_totals() {
        let y = model().plane(0.0, 180.0, 0.0);
        let ghi = Climate::default().annual_ghi();
        assert!((y.irradiation_kwh_m2 - ghi).abs() / ghi < 0.002, "{} vs {ghi}", y.irradiation_kwh_m2);
    }

    #[test]
    fn south_beats_east_west_beats_north_and_tilt_optimum_is_near_39() {
        let m = model();
        let south = m.plane(30.0, 180.0, 0.0).specific_yield_kwh_per_kwp;
        let east = m.plane(30.0, 90.0, 0.0).specific_yield_kwh_per_kwp;
        let west = m.plane(30.0, 270.0, 0.0).specific_yield_kwh_per_kwp;
        let north = m.plane(30.0, 0.0, 0.0).specific_yield_kwh_per_kwp;
        assert!(south > east && south > west && east > north && west > north);
        assert!((east - west).abs() / east < 0.03, "east {east} west {west}");
        let best = (20..=60).max_by(|a, b| {
            let ya = m.plane(f64::from(*a), 180.0, 0.0).specific_yield_kwh_per_kwp;
            let yb = m.plane(f64::from(*b), 180.0, 0.0).specific_yield_kwh_per_kwp;
            ya.total_cmp(&yb)
        });
        let best = best.unwrap();
        assert!((34..=44).contains(&best), "optimum tilt {best}");
    }

    #[test]
    fn shading_scales_irradiation_and_yield() {
        let m = model();
        let full = m.plane(30.0, 180.0, 0.0);
        let half = m.plane(30.0, 180.0, 0.5);
        assert!((half.irradiation_kwh_m2 - full.irradiation_kwh_m2 / 2.0).abs() < 1e-6);
        // a shading factor is a loss on the year's light and energy alike
        let ratio = half.specific_yield_kwh_per_kwp / full.specific_yield_kwh_per_kwp;
        assert!((ratio - 0.5).abs() < 1e-12, "{ratio}");
        assert_eq!(m.plane(30.0, 180.0, 1.0).specific_yield_kwh_per_kwp, 0.0);
    }

    #[test]
    fn horizons_shade_by_direction_and_height() {
        let m = model();
        let open = [0.0; HORIZON_SECTORS];
        assert_eq!(m.shading_factor(30.0, 180.0, &open), 0.0);
        // a wall rising 40° above the plane all along the south (sectors 135°–225°)
        let mut south = open;
        for h in &mut south[13..23] {
            *h = 40f64.to_radians();
        }
        let mut north = open;
        for (i, h) in north.iter_mut().enumerate() {
            if !(5..31).contains(&i) {
                *h = 40f64.to_radians();
            }
        }
        let s = m.shading_factor(30.0, 180.0, &south);
        let n = m.shading_factor(30.0, 180.0, &north);
        // (the summer sun clears a 40° wall at midday: about a quarter of the light is lost)
        assert!(s > 0.2 && s < 0.5, "south wall {s}");
        assert!(n < 0.05, "north wall {n}");
        // a higher wall shades more; a full 90° enclosure leaves only ground-reflected light
        let mut higher = south;
        for h in &mut higher[13..23] {
            *h = 60f64.to_radians();
        }
        assert!(m.shading_factor(30.0, 180.0, &higher) > s);
        let closed = [89.9f64.to_radians(); HORIZON_SECTORS];
        assert!(m.shading_factor(0.0, 180.0, &closed) > 0.99);
    }

    #[test]
    fn erbs_estimate_is_close_to_the_measured_diffuse_share() {
        let mut c = Climate::default();
        let measured = SolarModel::new(&c, &PvParams::default()).plane(35.0, 180.0, 0.0);
        c.diffuse_fraction = None;
        let estimated = SolarModel::new(&c, &PvParams::default()).plane(35.0, 180.0, 0.0);
        let d = (estimated.irradiation_kwh_m2 - measured.irradiation_kwh_m2) / measured.irradiation_kwh_m2;
        assert!(d.abs() < 0.06, "{d}");
    }

    #[test]
    fn declination_and_extraterrestrial_match_reference_values() {
        // June solstice ≈ +23.44°, December ≈ −23.44°; perihelion in early January
        assert!((declination(172).to_degrees() - 23.44).abs() < 0.1);
        assert!((declination(355).to_degrees() + 23.44).abs() < 0.1);
        assert!(extraterrestrial(3) > extraterrestrial(185));
        assert!((extraterrestrial(17) - 1412.6).abs() < 0.5);
    }
}
