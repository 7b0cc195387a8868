//! Where a report is: coordinates inside Bandung, address text, kecamatan.

use serde::{Deserialize, Serialize};

/// The city's bounding box, a little generous at the edges. A coordinate outside it
/// is outside Kota Bandung; one inside may still fall just outside the border, which
/// the verifying admin sees on the map (a polygon test needs the city's GIS layer).
pub const BANDUNG_LAT: (f64, f64) = (-6.98, -6.83);
/// Longitude range of the bounding box.
pub const BANDUNG_LON: (f64, f64) = (107.54, 107.75);

const KECAMATAN_DATA: &str = include_str!("../../data/kecamatan.json");

/// A WGS84 point known to be inside Bandung's bounding box.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Coordinates(GeoPoint);

/// Why coordinates were refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CoordinatesError {
    /// NaN, infinite, or off the globe.
    #[error("coordinates are not a valid latitude/longitude")]
    Invalid,
    /// A real place, but not in Bandung.
    #[error("coordinates are outside Kota Bandung")]
    OutsideBandung,
}

impl Coordinates {
    /// Parses a latitude/longitude pair, accepting only points in Bandung.
    pub fn parse(lat: f64, lon: f64) -> Result<Self, CoordinatesError> {
        let point = GeoPoint::parse(lat, lon)?;
        let inside = (BANDUNG_LAT.0..=BANDUNG_LAT.1).contains(&lat)
            && (BANDUNG_LON.0..=BANDUNG_LON.1).contains(&lon);
        if !inside {
            return Err(CoordinatesError::OutsideBandung);
        }
        Ok(Self(point))
    }

    /// Latitude in degrees.
    pub fn lat(&self) -> f64 {
        self.0.lat
    }

    /// Longitude in degrees.
    pub fn lon(&self) -> f64 {
        self.0.lon
    }
}

/// A WGS84 point anywhere on Earth: where a photo says it was taken, which may be
/// outside Bandung. [`Coordinates`] are the ones known to be inside.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct GeoPoint {
    lat: f64,
    lon: f64,
}

impl GeoPoint {
    /// Parses a latitude/longitude pair anywhere on the globe.
    pub fn parse(lat: f64, lon: f64) -> Result<Self, CoordinatesError> {
        if !lat.is_finite() || !lon.is_finite() || lat.abs() > 90.0 || lon.abs() > 180.0 {
            return Err(CoordinatesError::Invalid);
        }
        Ok(Self { lat, lon })
    }

    /// Latitude in degrees.
    pub fn lat(&self) -> f64 {
        self.lat
    }

    /// Longitude in degrees.
    pub fn lon(&self) -> f64 {
        self.lon
    }

    /// Great-circle distance to `other`, in metres.
    pub fn distance_m(self, other: GeoPoint) -> f64 {
        const EARTH_RADIUS_M: f64 = 6_371_000.0;
        let (lat1, lat2) = (self.lat.to_radians(), other.lat.to_radians());
        let dlat = lat2 - lat1;
        let dlon = (other.lon - self.lon).to_radians();
        let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
    }
}

impl From<Coordinates> for GeoPoint {
    fn from(c: Coordinates) -> Self {
        c.0
    }
}

/// One of Bandung's 30 kecamatan, by its Kemendagri code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kecamatan {
    /// Kemendagri code, e.g. `32.73.02`.
    pub code: String,
    /// Name, e.g. `Coblong`.
    pub name: String,
}

#[derive(Deserialize)]
struct KecamatanFile {
    kecamatan: Vec<Kecamatan>,
}

/// All 30 kecamatan of Kota Bandung (Kepmendagri 300.2.2-2138/2025).
pub fn all_kecamatan() -> Vec<Kecamatan> {
    serde_json::from_str::<KecamatanFile>(KECAMATAN_DATA)
        .map(|f| f.kecamatan)
        .unwrap_or_default()
}

impl Kecamatan {
    /// Finds a kecamatan by code (`32.73.02`) or by name, ignoring case and spaces.
    pub fn find(input: &str) -> Option<Self> {
        let wanted = normalise(input);
        let wanted = wanted
            .strip_prefix("kecamatan")
            .or_else(|| wanted.strip_prefix("kec"))
            .unwrap_or(&wanted)
            .to_string();
        all_kecamatan()
            .into_iter()
            .find(|k| k.code == input.trim() || normalise(&k.name) == wanted)
    }
}

fn normalise(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gedung_sate_is_in_bandung() {
        let c = Coordinates::parse(-6.9025, 107.6188).unwrap();
        assert_eq!((c.lat(), c.lon()), (-6.9025, 107.6188));
    }

    #[test]
    fn jakarta_poles_and_nan_are_refused() {
        assert_eq!(
            Coordinates::parse(-6.2, 106.8),
            Err(CoordinatesError::OutsideBandung)
        );
        assert_eq!(
            Coordinates::parse(90.0, 0.0),
            Err(CoordinatesError::OutsideBandung)
        );
        assert_eq!(
            Coordinates::parse(-91.0, 0.0),
            Err(CoordinatesError::Invalid)
        );
        assert_eq!(
            Coordinates::parse(f64::NAN, 107.6),
            Err(CoordinatesError::Invalid)
        );
        assert_eq!(
            Coordinates::parse(-6.9, f64::INFINITY),
            Err(CoordinatesError::Invalid)
        );
    }

    #[test]
    fn thirty_kecamatan_with_unique_codes() {
        let all = all_kecamatan();
        assert_eq!(all.len(), 30);
        let mut codes: Vec<_> = all.iter().map(|k| k.code.clone()).collect();
        codes.dedup();
        assert_eq!(codes.len(), 30);
    }

    #[test]
    fn kecamatan_found_by_code_or_loose_name() {
        assert_eq!(Kecamatan::find("32.73.02").unwrap().name, "Coblong");
        assert_eq!(Kecamatan::find("Kec. Buah Batu").unwrap().code, "32.73.22");
        assert_eq!(Kecamatan::find("Buahbatu").unwrap().code, "32.73.22");
        assert_eq!(
            Kecamatan::find("KECAMATAN  sumur bandung").unwrap().code,
            "32.73.19"
        );
        assert_eq!(Kecamatan::find("Bekasi"), None);
    }
}
