//! Monthly climate of the metropolitan area: global horizontal irradiation, diffuse fraction,
//! air temperature and its daily swing. Every number here, and where it comes from, is listed
//! in `docs/roofs.md`; operators replace them under `[roofs.climate]` in `layers.toml` (for
//! instance with PVGIS's monthly radiation output for their own site).

use serde::{Deserialize, Serialize};

/// Monthly climate inputs of the yield model.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Climate {
    /// Short description of the data set (reported with every estimate).
    pub source: String,
    /// Latitude used for the solar geometry, degrees north.
    pub latitude: f64,
    /// Longitude, degrees east (only informative: the model works in true solar time).
    pub longitude: f64,
    /// Global horizontal irradiation per month, kWh/m² (January first).
    pub ghi_kwh_m2: [f64; 12],
    /// Diffuse share of the monthly global irradiation (0–1). When absent it is estimated from
    /// the clearness index with the monthly correlation of Erbs, Klein & Duffie (1982).
    pub diffuse_fraction: Option<[f64; 12]>,
    /// Mean air temperature per month, °C.
    pub temperature_c: [f64; 12],
    /// Half the mean daily temperature range per month, °C (cosine peaking at 15:00).
    pub temperature_amplitude_c: [f64; 12],
    /// Ground reflectance.
    pub albedo: f64,
    /// Wind speed for the module temperature model, m/s.
    pub wind_speed_m_s: f64,
}

impl Default for Climate {
    /// PVGIS 5.3 typical meteorological year (radiation PVGIS-SARAH3, temperature ERA5,
    /// 2005–2023) at 45.000° N 8.000° E — the PVGIS data set distributed with pvlib-python's
    /// test data — summed per month; solar geometry at the centre of Milan (45.464° N).
    fn default() -> Climate {
        Climate {
            source: "PVGIS 5.3 TMY (PVGIS-SARAH3 + ERA5, 2005-2023) at 45.000N 8.000E, monthly sums; geometry at 45.464N".into(),
            latitude: 45.464,
            longitude: 9.190,
            ghi_kwh_m2: [47.85, 67.02, 118.55, 121.41, 149.82, 216.15, 205.19, 178.51, 135.49, 89.03, 60.63, 46.21],
            diffuse_fraction: Some([0.412, 0.443, 0.378, 0.486, 0.467, 0.348, 0.369, 0.380, 0.369, 0.438, 0.368, 0.384]),
            temperature_c: [5.20, 6.96, 8.73, 12.37, 17.04, 22.46, 21.92, 22.15, 20.20, 14.97, 6.31, 4.05],
            temperature_amplitude_c: [3.69, 4.36, 5.07, 4.17, 4.29, 6.36, 4.91, 4.54, 4.66, 3.77, 3.92, 3.93],
            albedo: 0.2,
            wind_speed_m_s: 1.0,
        }
    }
}

impl Climate {
    /// Annual global horizontal irradiation, kWh/m².
    pub fn annual_ghi(&self) -> f64 {
        self.ghi_kwh_m2.iter().sum()
    }

    /// Problems that make the data unusable (checked when the configuration loads).
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !(-66.0..=66.0).contains(&self.latitude) {
            out.push(format!("latitude {} outside ±66°", self.latitude));
        }
        for (m, g) in self.ghi_kwh_m2.iter().enumerate() {
            if !g.is_finite() || *g < 0.0 || *g > 400.0 {
                out.push(format!("ghi_kwh_m2[{m}] = {g} is not a monthly irradiation in kWh/m²"));
            }
        }
        if let Some(kd) = &self.diffuse_fraction {
            for (m, k) in kd.iter().enumerate() {
                if !(0.0..=1.0).contains(k) {
                    out.push(format!("diffuse_fraction[{m}] = {k} outside 0–1"));
                }
            }
        }
        for (m, t) in self.temperature_c.iter().chain(self.temperature_amplitude_c.iter()).enumerate() {
            if !t.is_finite() || t.abs() > 60.0 {
                out.push(format!("temperature value {m} = {t} is not plausible"));
            }
        }
        if !(0.0..=1.0).contains(&self.albedo) {
            out.push(format!("albedo {} outside 0–1", self.albedo));
        }
        if !(0.0..=30.0).contains(&self.wind_speed_m_s) {
            out.push(format!("wind_speed_m_s {} outside 0–30", self.wind_speed_m_s));
        }
        out
    }
}
