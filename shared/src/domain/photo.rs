//! Photos on a report: the limits an upload is held to, why one is refused (in the
//! uploader's words), what its metadata said before it was removed, and the checks on
//! an agency's proof of the fix (docs/decisions/photos.md).
//!
//! Pure rules: `media` decodes and measures, this module decides.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::location::GeoPoint;

/// What an upload is held to; the template sets the per-report counts per stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhotoLimits {
    /// Largest upload accepted, in bytes (the presigned POST's policy says the same).
    pub max_bytes: u64,
    /// Most pixels a decoded image may have: past this it is a decompression bomb or
    /// nothing a phone takes (a 200-megapixel sensor's full frame).
    pub max_pixels: u64,
    /// Longest side accepted, in pixels.
    pub max_edge: u32,
    /// Longest side of the display copy.
    pub display_edge: u32,
    /// Longest side of the thumbnail.
    pub thumbnail_edge: u32,
    /// Most evidence photos on one report (`PHOTOS_PER_REPORT`).
    pub evidence_per_report: usize,
    /// Most proof photos one agency attaches to a report (`PHOTOS_PER_FOLLOW_UP`).
    pub proof_per_agency: usize,
}

impl Default for PhotoLimits {
    /// 10 MiB and 200 megapixels: every phone photo, HEIC excepted, fits; a display
    /// copy fit for a phone's screen and a thumbnail for lists.
    fn default() -> Self {
        Self {
            max_bytes: 10 * 1024 * 1024,
            max_pixels: 200_000_000,
            max_edge: 20_000,
            display_edge: 1600,
            thumbnail_edge: 320,
            evidence_per_report: 5,
            proof_per_agency: 5,
        }
    }
}

/// Why an upload was not kept; the uploader sees [`PhotoRefusal::reason`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "code")]
pub enum PhotoRefusal {
    /// Bigger than [`PhotoLimits::max_bytes`].
    TooLarge {
        /// The limit, in bytes.
        max_bytes: u64,
    },
    /// Not a JPEG, PNG or WebP, whatever its name or type said.
    NotAnImage,
    /// An iPhone's HEIC: no kept Rust crate decodes it (the decision record says why).
    Heic,
    /// Dimensions past the limits: a decompression bomb, or no photo.
    TooManyPixels {
        /// Width the file declared.
        width: u32,
        /// Height the file declared.
        height: u32,
    },
    /// An image header, then data that does not decode.
    Damaged,
}

impl PhotoRefusal {
    /// The reason, in Indonesian, as the uploader reads it.
    pub fn reason(&self) -> String {
        match self {
            PhotoRefusal::TooLarge { max_bytes } => format!(
                "Foto terlalu besar: paling besar {} MB.",
                max_bytes / (1024 * 1024)
            ),
            PhotoRefusal::NotAnImage => {
                "Berkas ini bukan foto: kirim JPEG, PNG atau WebP.".to_string()
            }
            PhotoRefusal::Heic => "Foto HEIC (iPhone) belum bisa diterima: kirim sebagai JPEG \
                 (Pengaturan > Kamera > Format > Paling Kompatibel)."
                .to_string(),
            PhotoRefusal::TooManyPixels { width, height } => {
                format!("Ukuran gambar {width}×{height} piksel tidak wajar untuk foto.")
            }
            PhotoRefusal::Damaged => "Foto rusak atau terpotong: coba kirim ulang.".to_string(),
        }
    }
}

/// What a photo's metadata said about when and where it was taken, read before all
/// metadata is removed. Staff only.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Capture {
    /// When the camera says it was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<Timestamp>,
    /// Where its GPS says it was taken (anywhere on Earth).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<GeoPoint>,
}

/// A 64-bit difference hash: near-identical pictures (re-encoded, resized, lightly
/// cropped or brightened) differ in a few bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PerceptualHash(pub u64);

/// At most this many differing bits and two photos are taken for the same picture.
/// dHash puts re-encodes and resizes within 0–4 bits, unrelated photos near 32.
pub const SAME_PICTURE_BITS: u32 = 6;

impl PerceptualHash {
    /// The hash of a 9×8 grey thumbnail, row by row: each bit says whether a pixel is
    /// brighter than its right-hand neighbour.
    pub fn from_grey_9x8(pixels: &[u8; 72]) -> Self {
        let mut bits = 0u64;
        for row in 0..8 {
            for col in 0..8 {
                let left = pixels[row * 9 + col];
                let right = pixels[row * 9 + col + 1];
                bits = (bits << 1) | u64::from(left > right);
            }
        }
        Self(bits)
    }

    /// How many bits differ.
    pub fn distance(self, other: Self) -> u32 {
        (self.0 ^ other.0).count_ones()
    }

    /// Whether the two are the same picture ([`SAME_PICTURE_BITS`]).
    pub fn same_picture(self, other: Self) -> bool {
        self.distance(other) <= SAME_PICTURE_BITS
    }

    /// As stored and shown: 16 hex digits.
    pub fn to_hex(self) -> String {
        format!("{:016x}", self.0)
    }

    /// The hash cut into [`HASH_BANDS`] bands (band number, bits), for looking up
    /// near hashes by exact match: two hashes within [`SAME_PICTURE_BITS`] share at
    /// least one band, since six differing bits can touch at most six of seven.
    pub fn bands(self) -> [(u8, u16); HASH_BANDS] {
        let mut bands = [(0, 0); HASH_BANDS];
        let mut shift = 0;
        for (band, slot) in bands.iter_mut().enumerate() {
            // Six bands of 9 bits and a last of 10: 64 in all.
            let width = if band + 1 == HASH_BANDS { 10 } else { 9 };
            let bits = (self.0 >> shift) & ((1 << width) - 1);
            // Band numbers are below 7 and a band is at most 10 bits: both fit.
            *slot = (band as u8, bits as u16);
            shift += width;
        }
        bands
    }
}

/// Bands a hash is cut into for look-up: one more than [`SAME_PICTURE_BITS`].
pub const HASH_BANDS: usize = SAME_PICTURE_BITS as usize + 1;

/// A photo's id on its report: 12 symbols from the tracking-id alphabet, random.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhotoId(String);

/// The length of a [`PhotoId`].
pub const PHOTO_ID_LEN: usize = 12;

impl PhotoId {
    /// An id from random bytes ([`super::tracking_id::random_symbols`]); `None` when
    /// too few remain.
    pub fn from_random_bytes(bytes: &[u8]) -> Option<Self> {
        let symbols = super::tracking_id::random_symbols(bytes, PHOTO_ID_LEN)?;
        let alphabet = super::tracking_id::ALPHABET;
        Some(Self(
            symbols.iter().map(|&s| char::from(alphabet[s])).collect(),
        ))
    }

    /// The id of the photo a message carried, derived from the message's key, so
    /// every delivery of the message names the same photo.
    pub fn for_message(message_key: &str) -> Self {
        use sha2::Digest;
        let mut seed = message_key.as_bytes().to_vec();
        loop {
            let bytes = sha2::Sha512::digest(&seed);
            if let Some(id) = Self::from_random_bytes(&bytes) {
                return id;
            }
            // 64 bytes for 12 symbols almost never run out; if they do, hash again.
            seed = bytes.to_vec();
        }
    }

    /// Parses an id as it appears in a key or a URL.
    pub fn parse(text: &str) -> Option<Self> {
        let alphabet = super::tracking_id::ALPHABET;
        (text.len() == PHOTO_ID_LEN && text.bytes().all(|b| alphabet.contains(&b)))
            .then(|| Self(text.to_string()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PhotoId {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        Self::parse(&text).ok_or_else(|| format!("not a photo id: {text:?}"))
    }
}

impl From<PhotoId> for String {
    fn from(id: PhotoId) -> String {
        id.0
    }
}

impl std::fmt::Display for PhotoId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a photo is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PhotoPurpose {
    /// The citizen's: what the problem looks like.
    Evidence,
    /// An agency's proof of the fix, for its next follow-up.
    FollowUp {
        /// The agency.
        agency: String,
    },
}

/// Where a photo is on its way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum PhotoState {
    /// A slot was given; the upload or its processing is still to come.
    Pending,
    /// Processed: the copies exist and the original is gone.
    Ready(ReadyPhoto),
    /// Not kept, and why.
    Refused {
        /// The reason, for the uploader.
        refusal: PhotoRefusal,
    },
}

/// What processing found and made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReadyPhoto {
    /// Upright size of the original, in pixels.
    pub width: u32,
    /// See `width`.
    pub height: u32,
    /// Bytes of the original, the display copy and the thumbnail.
    pub bytes: PhotoBytes,
    /// The picture's difference hash.
    pub hash: PerceptualHash,
    /// Capture time and position from its metadata (staff only).
    pub capture: Capture,
    /// The proof-of-fix checks' findings (follow-up photos).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<PhotoFlag>,
}

/// Sizes in bytes, for the bench and the bytes-saved figure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhotoBytes {
    /// As uploaded.
    pub original: u64,
    /// The display copy.
    pub display: u64,
    /// The thumbnail.
    pub thumbnail: u64,
}

/// A photo on a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Photo {
    /// Its id (in its keys and URLs).
    pub id: PhotoId,
    /// Evidence or proof.
    pub purpose: PhotoPurpose,
    /// Pending, ready or refused.
    #[serde(flatten)]
    pub state: PhotoState,
    /// When the slot was given.
    pub requested_at: Timestamp,
    /// Who asked for it (the stored actor).
    pub by: String,
}

/// How long a pending photo holds its place: the slot is valid 15 minutes and `media`
/// takes seconds, so a photo still pending after an hour was never uploaded (a lost
/// connection) and must not lock the uploader out.
pub const PENDING_HOLDS_PLACE: jiff::SignedDuration = jiff::SignedDuration::from_hours(1);

impl Photo {
    /// Counts against its purpose's limit at `now`: ready, or pending for less than
    /// [`PENDING_HOLDS_PLACE`] (a refused or abandoned one frees its place).
    pub fn counts(&self, now: Timestamp) -> bool {
        match self.state {
            PhotoState::Ready(_) => true,
            PhotoState::Pending => self
                .requested_at
                .checked_add(PENDING_HOLDS_PLACE)
                .is_ok_and(|until| now < until),
            PhotoState::Refused { .. } => false,
        }
    }
}

/// A follow-up photo's capture further than this from the report's point is flagged.
pub const FAR_FROM_REPORT_M: f64 = 500.0;

/// Something about an agency's proof-of-fix photo that the admin and the supervisor
/// should look at. Flags never block the agency.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "flag")]
pub enum PhotoFlag {
    /// The same picture as an earlier photo (this report's "before" photo, or another
    /// follow-up's anywhere in the city).
    Reused {
        /// The report the earlier photo is on.
        report_id: String,
        /// The earlier photo.
        photo_id: String,
    },
    /// Taken far from the report's point.
    FarFromReport {
        /// How far, in metres.
        metres: u32,
    },
    /// Taken before the report was dispatched to the agency.
    TakenBeforeDispatch {
        /// When the camera says it was taken.
        captured_at: Timestamp,
        /// When the report was dispatched.
        dispatched_at: Timestamp,
    },
}

impl PhotoFlag {
    /// What staff read, in Indonesian.
    pub fn label(&self) -> String {
        match self {
            PhotoFlag::Reused { report_id, .. } => {
                format!("foto sama dengan foto sebelumnya di laporan {report_id}")
            }
            PhotoFlag::FarFromReport { metres } => {
                format!("diambil {metres} m dari lokasi laporan")
            }
            PhotoFlag::TakenBeforeDispatch { .. } => {
                "diambil sebelum laporan diteruskan ke instansi".to_string()
            }
        }
    }
}

/// An earlier photo a follow-up photo is compared with.
#[derive(Debug, Clone, PartialEq)]
pub struct EarlierPhoto {
    /// The report it is on.
    pub report_id: String,
    /// The photo.
    pub photo_id: String,
    /// Its hash.
    pub hash: PerceptualHash,
}

/// What is known of the report a follow-up photo proves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ProofContext {
    /// The report's point, when it has one (an SMS report may not).
    pub report_point: Option<GeoPoint>,
    /// When the report was dispatched to the agency.
    pub dispatched_at: Timestamp,
}

/// The flags on a follow-up photo: every earlier photo it repeats, a capture far from
/// the report, a capture before the dispatch. A photo without metadata is flagged only
/// for reuse: missing metadata is normal (messaging apps remove it) and says nothing.
pub fn proof_flags(
    hash: PerceptualHash,
    capture: &Capture,
    context: &ProofContext,
    earlier: &[EarlierPhoto],
) -> Vec<PhotoFlag> {
    let mut flags: Vec<PhotoFlag> = earlier
        .iter()
        .filter(|e| e.hash.same_picture(hash))
        .map(|e| PhotoFlag::Reused {
            report_id: e.report_id.clone(),
            photo_id: e.photo_id.clone(),
        })
        .collect();
    if let (Some(taken), Some(point)) = (capture.position, context.report_point) {
        let metres = taken.distance_m(point);
        if metres > FAR_FROM_REPORT_M {
            flags.push(PhotoFlag::FarFromReport {
                // Below Earth's circumference: fits.
                metres: metres.round() as u32,
            });
        }
    }
    if let Some(captured_at) = capture.at.filter(|at| *at < context.dispatched_at) {
        flags.push(PhotoFlag::TakenBeforeDispatch {
            captured_at,
            dispatched_at: context.dispatched_at,
        });
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn point(lat: f64, lon: f64) -> GeoPoint {
        GeoPoint::parse(lat, lon).unwrap()
    }

    const GEDUNG_SATE: (f64, f64) = (-6.9025, 107.6188);

    fn context() -> ProofContext {
        ProofContext {
            report_point: Some(point(GEDUNG_SATE.0, GEDUNG_SATE.1)),
            dispatched_at: at("2026-12-01T02:00:00Z"),
        }
    }

    #[test]
    fn hashes_within_six_bits_always_share_a_band() {
        let hash = PerceptualHash(0x9f3a_5c71_e2b4_0d68);
        // Every band is a different part of the hash...
        let bands = hash.bands();
        assert_eq!(bands.len(), 7);
        // ...and flipping six bits spread over the whole hash still leaves one equal.
        for start in 0..58 {
            let mut near = hash.0;
            for k in 0..6 {
                near ^= 1 << ((start + k * 11) % 64);
            }
            let near = PerceptualHash(near);
            assert!(hash.same_picture(near) || hash.distance(near) > SAME_PICTURE_BITS);
            let shared = near.bands().iter().filter(|b| bands.contains(b)).count();
            assert!(shared >= 1, "flips from bit {start}");
        }
        // Seven bits, one in each band, can leave none: the look-up is exactly as wide
        // as the rule.
        let mut far = hash.0;
        for shift in [0, 9, 18, 27, 36, 45, 54] {
            far ^= 1 << shift;
        }
        let far = PerceptualHash(far);
        assert!(far.bands().iter().all(|b| !bands.contains(b)));
        assert!(!hash.same_picture(far));
    }

    fn earlier(hash: u64) -> EarlierPhoto {
        EarlierPhoto {
            report_id: "BDG-K7M2QXZ".into(),
            photo_id: "p1".into(),
            hash: PerceptualHash(hash),
        }
    }

    #[test]
    fn a_photo_taken_on_the_spot_after_the_dispatch_and_never_seen_is_not_flagged() {
        let capture = Capture {
            at: Some(at("2026-12-02T03:00:00Z")),
            position: Some(point(-6.9027, 107.6190)),
        };
        let flags = proof_flags(
            PerceptualHash(0xF0F0_F0F0_F0F0_F0F0),
            &capture,
            &context(),
            &[earlier(0x0F0F_0F0F_0F0F_0F0F)],
        );
        assert_eq!(flags, Vec::new());
    }

    #[test]
    fn a_reused_a_far_away_and_an_early_photo_are_each_flagged() {
        let hash = PerceptualHash(0xF0F0_F0F0_F0F0_F0F0);
        // Three bits off: the same picture re-encoded.
        let reused = proof_flags(
            hash,
            &Capture::default(),
            &context(),
            &[earlier(hash.0 ^ 0b1011)],
        );
        assert_eq!(
            reused,
            vec![PhotoFlag::Reused {
                report_id: "BDG-K7M2QXZ".into(),
                photo_id: "p1".into()
            }]
        );
        // Seven bits off: another picture.
        let other = proof_flags(
            hash,
            &Capture::default(),
            &context(),
            &[earlier(hash.0 ^ 0b111_1111)],
        );
        assert_eq!(other, Vec::new());
        // Alun-alun is about 2.5 km from Gedung Sate.
        let far = Capture {
            at: None,
            position: Some(point(-6.9218, 107.6071)),
        };
        match proof_flags(hash, &far, &context(), &[]).as_slice() {
            [PhotoFlag::FarFromReport { metres }] => assert!((2000..2600).contains(metres)),
            flags => panic!("{flags:?}"),
        }
        let early = Capture {
            at: Some(at("2026-11-30T09:00:00Z")),
            position: None,
        };
        assert_eq!(
            proof_flags(hash, &early, &context(), &[]),
            vec![PhotoFlag::TakenBeforeDispatch {
                captured_at: at("2026-11-30T09:00:00Z"),
                dispatched_at: at("2026-12-01T02:00:00Z"),
            }]
        );
    }

    #[test]
    fn without_a_report_point_or_metadata_only_reuse_is_checked() {
        let context = ProofContext {
            report_point: None,
            ..context()
        };
        let anywhere = Capture {
            at: None,
            position: Some(point(52.37, 4.89)),
        };
        assert_eq!(
            proof_flags(PerceptualHash(1), &anywhere, &context, &[]),
            Vec::new()
        );
    }

    #[test]
    fn the_difference_hash_reads_brightness_steps_row_by_row() {
        // Every row falls from left to right: every bit set.
        let mut falling = [0u8; 72];
        for (i, p) in falling.iter_mut().enumerate() {
            *p = 255 - (i % 9) as u8 * 20;
        }
        assert_eq!(PerceptualHash::from_grey_9x8(&falling).0, u64::MAX);
        assert_eq!(PerceptualHash::from_grey_9x8(&[7; 72]).0, 0);
        assert_eq!(PerceptualHash(u64::MAX).distance(PerceptualHash(0)), 64);
        assert_eq!(PerceptualHash(0xab).to_hex(), "00000000000000ab");
    }

    #[test]
    fn every_refusal_tells_the_uploader_why_in_indonesian() {
        let limits = PhotoLimits::default();
        for refusal in [
            PhotoRefusal::TooLarge {
                max_bytes: limits.max_bytes,
            },
            PhotoRefusal::NotAnImage,
            PhotoRefusal::Heic,
            PhotoRefusal::TooManyPixels {
                width: 100_000,
                height: 100_000,
            },
            PhotoRefusal::Damaged,
        ] {
            let reason = refusal.reason();
            assert!(reason.ends_with('.'), "{reason}");
            assert!(
                reason.contains("foto") || reason.contains("Foto") || reason.contains("gambar"),
                "{reason}"
            );
        }
        assert_eq!(
            PhotoRefusal::TooLarge {
                max_bytes: limits.max_bytes
            }
            .reason(),
            "Foto terlalu besar: paling besar 10 MB."
        );
    }
}
