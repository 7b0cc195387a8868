//! One uploaded file, from bytes to the copies Sigap keeps. Nothing the client said is
//! trusted: the format is read from the bytes, the dimensions are checked before any
//! pixel is decoded, and the copies are re-encoded from pixels, so no byte of the
//! original's metadata (EXIF, XMP, ICC, comments) can survive into them.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};
use sigap::domain::calendar::wib;
use sigap::domain::location::GeoPoint;
use sigap::domain::photo::{Capture, PerceptualHash, PhotoLimits, PhotoRefusal};

/// JPEG quality of the copies: no visible loss on a phone's screen, a third of the
/// bytes of quality 95.
const JPEG_QUALITY: u8 = 80;

/// The format the bytes turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceFormat {
    /// JPEG (every Android camera).
    Jpeg,
    /// PNG (screenshots).
    Png,
    /// WebP (what messaging apps forward).
    WebP,
}

/// What is kept of an accepted photo.
#[derive(Clone)]
pub struct Processed {
    /// The format of the original.
    pub source: SourceFormat,
    /// The original's size, after its orientation was applied.
    pub width: u32,
    /// See `width`.
    pub height: u32,
    /// The display copy: JPEG, longest side at most `display_edge`, no metadata.
    pub display: Vec<u8>,
    /// The thumbnail: JPEG, longest side at most `thumbnail_edge`, no metadata.
    pub thumbnail: Vec<u8>,
    /// The picture's difference hash (taken upright).
    pub hash: PerceptualHash,
    /// When and where its metadata said it was taken.
    pub capture: Capture,
}

/// The copies by their sizes (a failed test prints this, not megabytes of JPEG).
impl std::fmt::Debug for Processed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Processed")
            .field("source", &self.source)
            .field("size", &(self.width, self.height))
            .field("display_bytes", &self.display.len())
            .field("thumbnail_bytes", &self.thumbnail.len())
            .field("hash", &self.hash.to_hex())
            .field("capture", &self.capture)
            .finish()
    }
}

/// Checks, measures and re-encodes one upload, or says why it is refused.
pub fn process(bytes: &[u8], limits: &PhotoLimits) -> Result<Processed, PhotoRefusal> {
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limits.max_bytes {
        return Err(PhotoRefusal::TooLarge {
            max_bytes: limits.max_bytes,
        });
    }
    if is_heif(bytes) {
        return Err(PhotoRefusal::Heic);
    }
    let reader = ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|_| PhotoRefusal::NotAnImage)?;
    let (source, format) = match reader.format() {
        Some(f @ ImageFormat::Jpeg) => (SourceFormat::Jpeg, f),
        Some(f @ ImageFormat::Png) => (SourceFormat::Png, f),
        Some(f @ ImageFormat::WebP) => (SourceFormat::WebP, f),
        _ => return Err(PhotoRefusal::NotAnImage),
    };
    // The header's dimensions, before any pixel is decoded: a bomb stops here.
    let (width, height) = ImageReader::with_format(Cursor::new(bytes), format)
        .into_dimensions()
        .map_err(|_| PhotoRefusal::Damaged)?;
    let pixels = u64::from(width) * u64::from(height);
    if width.max(height) > limits.max_edge || pixels > limits.max_pixels || pixels == 0 {
        return Err(PhotoRefusal::TooManyPixels { width, height });
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(decoder_limits(limits));
    let mut decoder = reader.into_decoder().map_err(|_| PhotoRefusal::Damaged)?;
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let capture = decoder
        .exif_metadata()
        .ok()
        .flatten()
        .map(|exif| read_capture(&exif))
        .unwrap_or_default();
    let mut picture = DynamicImage::from_decoder(decoder).map_err(|_| PhotoRefusal::Damaged)?;
    picture.apply_orientation(orientation);
    let display = jpeg(&shrunk(&picture, limits.display_edge))?;
    let thumbnail = jpeg(&shrunk(&picture, limits.thumbnail_edge))?;
    Ok(Processed {
        source,
        width: picture.width(),
        height: picture.height(),
        display,
        thumbnail,
        hash: difference_hash(&picture),
        capture,
    })
}

/// The decoder's own ceilings, in case a header lies about what follows.
fn decoder_limits(limits: &PhotoLimits) -> Limits {
    let mut decoder = Limits::default();
    decoder.max_image_width = Some(limits.max_edge);
    decoder.max_image_height = Some(limits.max_edge);
    // Four bytes a pixel (RGBA), once over.
    decoder.max_alloc = Some(limits.max_pixels.saturating_mul(4));
    decoder
}

/// HEIF's `ftyp` box: what an iPhone sends unless set to "Most Compatible".
fn is_heif(bytes: &[u8]) -> bool {
    bytes.get(4..8) == Some(b"ftyp")
        && bytes.get(8..12).is_some_and(|brand| {
            [
                b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1",
            ]
            .iter()
            .any(|b| brand == *b)
        })
}

/// The picture scaled down so its longest side is at most `edge` (never up).
fn shrunk(picture: &DynamicImage, edge: u32) -> DynamicImage {
    if picture.width().max(picture.height()) <= edge {
        picture.clone()
    } else {
        picture.resize(edge, edge, FilterType::Lanczos3)
    }
}

/// Baseline JPEG of the pixels alone: the encoder is given no metadata to write.
fn jpeg(picture: &DynamicImage) -> Result<Vec<u8>, PhotoRefusal> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY)
        .encode_image(&picture.to_rgb8())
        .map_err(|_| PhotoRefusal::Damaged)?;
    Ok(out)
}

/// dHash of the upright picture: 9×8 grey, each pixel against its right neighbour.
fn difference_hash(picture: &DynamicImage) -> PerceptualHash {
    let grey = picture.resize_exact(9, 8, FilterType::Triangle).to_luma8();
    let mut pixels = [0u8; 72];
    pixels.copy_from_slice(grey.as_raw());
    PerceptualHash::from_grey_9x8(&pixels)
}

/// Capture time and GPS position from raw EXIF (a TIFF structure, with or without
/// JPEG's `Exif\0\0` prefix). Anything missing or malformed is left out.
fn read_capture(raw: &[u8]) -> Capture {
    let tiff = raw.strip_prefix(b"Exif\0\0").unwrap_or(raw);
    let Ok(exif) = exif::Reader::new().read_raw(tiff.to_vec()) else {
        return Capture::default();
    };
    Capture {
        at: capture_time(&exif),
        position: gps_position(&exif),
    }
}

/// `DateTimeOriginal` in its `OffsetTimeOriginal`, or WIB when the camera wrote no
/// offset (a phone in Bandung keeps local time).
fn capture_time(exif: &exif::Exif) -> Option<jiff::Timestamp> {
    let text = ascii(exif, exif::Tag::DateTimeOriginal)?;
    let local = DateTime::strptime("%Y:%m:%d %H:%M:%S", text.trim()).ok()?;
    let zone = match ascii(exif, exif::Tag::OffsetTimeOriginal) {
        Some(offset) => TimeZone::fixed(utc_offset(offset.trim())?),
        None => wib(),
    };
    local.to_zoned(zone).ok().map(|z| z.timestamp())
}

/// An EXIF offset, `+07:00` or `-03:30`.
fn utc_offset(text: &str) -> Option<Offset> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (hours, minutes) = rest.split_once(':')?;
    let seconds = hours.parse::<i32>().ok()? * 3600 + minutes.parse::<i32>().ok()? * 60;
    Offset::from_seconds(sign * seconds).ok()
}

/// The GPS position, signed by its references (S and W negative).
fn gps_position(exif: &exif::Exif) -> Option<GeoPoint> {
    let lat = degrees(exif, exif::Tag::GPSLatitude)?;
    let lon = degrees(exif, exif::Tag::GPSLongitude)?;
    let sign = |tag, negative: &str| match ascii(exif, tag) {
        Some(r) if r.trim().eq_ignore_ascii_case(negative) => -1.0,
        _ => 1.0,
    };
    GeoPoint::parse(
        lat * sign(exif::Tag::GPSLatitudeRef, "S"),
        lon * sign(exif::Tag::GPSLongitudeRef, "W"),
    )
    .ok()
}

/// Degrees, minutes and seconds as EXIF writes them (three rationals).
fn degrees(exif: &exif::Exif, tag: exif::Tag) -> Option<f64> {
    match &exif.get_field(tag, exif::In::PRIMARY)?.value {
        exif::Value::Rational(parts) if parts.len() == 3 => {
            let [d, m, s] = [parts[0], parts[1], parts[2]].map(|r| r.to_f64());
            let value = d + m / 60.0 + s / 3600.0;
            value.is_finite().then_some(value)
        }
        _ => None,
    }
}

/// An ASCII field's first string.
fn ascii(exif: &exif::Exif, tag: exif::Tag) -> Option<String> {
    match &exif.get_field(tag, exif::In::PRIMARY)?.value {
        exif::Value::Ascii(strings) => strings
            .first()
            .map(|s| String::from_utf8_lossy(s).into_owned()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::samples::{
        CAMERA_MODEL, Shot, checkerboard, contains, jpeg_of, phone_jpeg, png_bomb, png_of,
        red_left_blue_right,
    };
    use image::ImageEncoder;

    #[test]
    fn a_phone_photo_is_read_turned_upright_and_comes_out_without_any_metadata() {
        let original = phone_jpeg(&red_left_blue_right(400, 200), Shot::GEDUNG_SATE);
        assert!(contains(&original, CAMERA_MODEL.as_bytes()));
        let done = process(&original, &PhotoLimits::default()).unwrap();
        assert_eq!(done.source, SourceFormat::Jpeg);
        // Read before it was removed: 10:15 WIB is 03:15 UTC; Gedung Sate's fix.
        assert_eq!(
            done.capture.at,
            Some("2026-12-02T03:15:00Z".parse().unwrap())
        );
        let position = done.capture.position.unwrap();
        assert!((position.lat() - -6.9025).abs() < 1e-4, "{position:?}");
        assert!((position.lon() - 107.6188).abs() < 1e-4, "{position:?}");
        // Orientation 6 applied: portrait, and the left (red) edge is now the top.
        assert_eq!((done.width, done.height), (200, 400));
        for copy in [&done.display, &done.thumbnail] {
            assert!(!contains(copy, b"Exif"), "an EXIF segment survived");
            assert!(!contains(copy, b"Galaxy"), "the camera model survived");
            assert!(!contains(copy, &[0xFF, 0xE1]), "an APP1 segment survived");
            assert!(
                exif::Reader::new()
                    .read_from_container(&mut Cursor::new(copy))
                    .is_err()
            );
            let shown = image::load_from_memory(copy).unwrap().to_rgb8();
            assert!(shown.height() > shown.width());
            let top = shown.get_pixel(shown.width() / 2, 2);
            let bottom = shown.get_pixel(shown.width() / 2, shown.height() - 3);
            assert!(top[0] > 150 && top[2] < 100, "top {top:?}");
            assert!(bottom[2] > 150 && bottom[0] < 100, "bottom {bottom:?}");
        }
        let thumbnail = image::load_from_memory(&done.thumbnail).unwrap();
        assert_eq!(thumbnail.height(), 320);
    }

    #[test]
    fn a_png_and_a_webp_are_accepted_and_a_large_photo_is_shrunk_for_display() {
        let picture = red_left_blue_right(2400, 1200);
        let done = process(&png_of(&picture), &PhotoLimits::default()).unwrap();
        assert_eq!(done.source, SourceFormat::Png);
        assert_eq!(done.capture, Capture::default());
        let display = image::load_from_memory(&done.display).unwrap();
        assert_eq!((display.width(), display.height()), (1600, 800));
        let mut webp = Vec::new();
        image::codecs::webp::WebPEncoder::new_lossless(&mut webp)
            .write_image(picture.as_raw(), 2400, 1200, image::ExtendedColorType::Rgb8)
            .unwrap();
        assert_eq!(
            process(&webp, &PhotoLimits::default()).unwrap().source,
            SourceFormat::WebP
        );
    }

    #[test]
    fn a_re_encoded_copy_has_the_same_hash_and_another_picture_does_not() {
        let picture = red_left_blue_right(800, 600);
        let first = process(&jpeg_of(&picture), &PhotoLimits::default()).unwrap();
        // The display copy sent again, as a reused photo would be.
        let again = process(&first.display, &PhotoLimits::default()).unwrap();
        assert!(
            first.hash.same_picture(again.hash),
            "{:?} {:?}",
            first.hash,
            again.hash
        );
        let other = process(&jpeg_of(&checkerboard(800, 600)), &PhotoLimits::default()).unwrap();
        assert!(
            !first.hash.same_picture(other.hash),
            "{:?} {:?}",
            first.hash,
            other.hash
        );
    }

    #[test]
    fn what_is_not_a_photo_is_refused_with_its_reason() {
        let limits = PhotoLimits::default();
        // Text named foto.jpg and sent as image/jpeg: the bytes decide.
        assert_eq!(
            process(b"bukan foto, hanya teks", &limits).unwrap_err(),
            PhotoRefusal::NotAnImage
        );
        let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";
        assert_eq!(process(heic, &limits).unwrap_err(), PhotoRefusal::Heic);
        let small = PhotoLimits {
            max_bytes: 1000,
            ..limits
        };
        let photo = jpeg_of(&red_left_blue_right(400, 200));
        assert_eq!(
            process(&photo, &small).unwrap_err(),
            PhotoRefusal::TooLarge { max_bytes: 1000 }
        );
        // A JPEG cut off inside its header. (One cut in its pixel data decodes, the
        // rest grey, as a browser shows it: kept, since nothing in it can harm.)
        assert!(matches!(
            process(&photo[..200], &limits),
            Err(PhotoRefusal::Damaged)
        ));
    }

    #[test]
    fn a_decompression_bomb_is_refused_from_its_header_before_any_pixel_is_decoded() {
        let bomb = png_bomb();
        assert!(bomb.len() < 100);
        assert_eq!(
            process(&bomb, &PhotoLimits::default()).unwrap_err(),
            PhotoRefusal::TooManyPixels {
                width: 100_000,
                height: 100_000
            }
        );
    }
}
