//! Sectors: the areas whose responders are paged together (data, editable).

use serde::{Deserialize, Serialize};

use crate::domain::location::Coordinates;

/// A sector: an area whose responders are paged together (data, editable).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sector {
    /// Id (the SNS `sector` attribute), e.g. `bojonagara`.
    pub id: String,
    /// Name.
    pub name: String,
    /// Latitude range of the sector's box.
    pub lat: (f64, f64),
    /// Longitude range of the sector's box.
    pub lon: (f64, f64),
}

/// The sector paged when a press has no location or falls in no sector's box: the
/// command centre's city-wide responders.
pub const CITY_SECTOR: &str = "kota";

const SECTORS_DATA: &str = include_str!("../../../data/sectors.json");

#[derive(Deserialize)]
struct SectorFile {
    sectors: Vec<Sector>,
}

/// The bundled sectors (Bandung's six Sub Wilayah Kota, approximated by boxes).
pub fn bundled_sectors() -> Vec<Sector> {
    serde_json::from_str::<SectorFile>(SECTORS_DATA)
        .map(|f| f.sectors)
        .unwrap_or_default()
}

/// The sector whose box holds `point` (first match), else [`CITY_SECTOR`].
pub fn sector_for(sectors: &[Sector], point: Option<Coordinates>) -> String {
    point
        .and_then(|p| {
            sectors.iter().find(|s| {
                (s.lat.0..=s.lat.1).contains(&p.lat()) && (s.lon.0..=s.lon.1).contains(&p.lon())
            })
        })
        .map_or_else(|| CITY_SECTOR.to_string(), |s| s.id.clone())
}
