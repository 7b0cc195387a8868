//! Pictures made on the spot for the tests and `make bench`: a phone's JPEG with its
//! camera, capture time and GPS fix, a PNG, a decompression bomb. Generated, so no
//! binary fixture is committed and each test says what its picture holds.

use std::io::Cursor;

use exif::experimental::Writer;
use exif::{Field, In, Rational, Tag, Value};
use image::codecs::jpeg::JpegEncoder;
use image::{ImageEncoder, Rgb, RgbImage};

/// A landscape picture, red on the left and blue on the right, with some texture so
/// its hash is not trivial.
pub fn red_left_blue_right(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        // Below 40: fits.
        let shade = ((x * 7 + y * 3) % 40) as u8;
        if x < width / 2 {
            Rgb([215 + shade, shade, shade])
        } else {
            Rgb([shade, shade, 215 + shade])
        }
    })
}

/// A coarse grey checkerboard, five squares by four: a picture unrelated to
/// [`red_left_blue_right`] whichever way it is turned (a difference hash sees the
/// picture at 9×8, so finer detail than that averages out to grey).
pub fn checkerboard(width: u32, height: u32) -> RgbImage {
    let (cell_w, cell_h) = ((width / 5).max(1), (height / 4).max(1));
    RgbImage::from_fn(width, height, |x, y| {
        let v = if (x / cell_w + y / cell_h) % 2 == 0 {
            30
        } else {
            220
        };
        Rgb([v, v, v])
    })
}

/// Something like a street scene as a camera sees it: gradients and fine noise, so
/// it compresses as a photo does (about 2–4 bits per pixel), not as flat colour.
pub fn street_scene(width: u32, height: u32, seed: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let mut n = x.wrapping_mul(374_761_393) ^ y.wrapping_mul(668_265_263) ^ seed;
        n = (n ^ (n >> 13)).wrapping_mul(1_274_126_177);
        let noise = (n >> 24) % 48;
        let sky = y * 160 / height.max(1);
        let road = x * 90 / width.max(1);
        // Each sum stays below 256.
        Rgb([
            (40 + sky / 2 + noise) as u8,
            (60 + road + noise) as u8,
            (200 - sky + noise / 2) as u8,
        ])
    })
}

/// `picture` as a plain JPEG (quality 90), no metadata.
pub fn jpeg_of(picture: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    // Encoding an in-memory RGB buffer into a Vec cannot fail.
    let _ = JpegEncoder::new_with_quality(&mut out, 90).encode_image(picture);
    out
}

/// `picture` as a PNG.
pub fn png_of(picture: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    let _ = image::codecs::png::PngEncoder::new(&mut out).write_image(
        picture.as_raw(),
        picture.width(),
        picture.height(),
        image::ExtendedColorType::Rgb8,
    );
    out
}

/// Where and when a phone says it took a picture.
#[derive(Debug, Clone, Copy)]
pub struct Shot<'a> {
    /// `DateTimeOriginal` as cameras write it, local time: `2026:12:02 10:15:00`.
    pub taken: &'a str,
    /// Latitude in degrees (south negative).
    pub lat: f64,
    /// Longitude in degrees (east positive).
    pub lon: f64,
}

impl Shot<'_> {
    /// At Gedung Sate, Bandung (6°54'9"S 107°37'7.68"E), on 2 December 2026 at 10:15.
    pub const GEDUNG_SATE: Shot<'static> = Shot {
        taken: "2026:12:02 10:15:00",
        lat: -6.9025,
        lon: 107.618_8,
    };
}

/// The camera model every sample phone writes, to look for in the copies.
pub const CAMERA_MODEL: &str = "Galaxy A14 uji-kamera";

/// A phone's JPEG of `picture`: camera make and model ([`CAMERA_MODEL`]),
/// orientation 6 (rotate 90° clockwise to view), and `shot`'s time and GPS fix, in
/// an APP1 segment right after the start of image.
pub fn phone_jpeg(picture: &RgbImage, shot: Shot<'_>) -> Vec<u8> {
    let (lat_ref, lon_ref) = (
        if shot.lat < 0.0 { "S" } else { "N" },
        if shot.lon < 0.0 { "W" } else { "E" },
    );
    let fields = [
        ascii(Tag::Make, "samsung"),
        ascii(Tag::Model, CAMERA_MODEL),
        Field {
            tag: Tag::Orientation,
            ifd_num: In::PRIMARY,
            value: Value::Short(vec![6]),
        },
        ascii(Tag::DateTimeOriginal, shot.taken),
        degrees(Tag::GPSLatitude, shot.lat),
        ascii(Tag::GPSLatitudeRef, lat_ref),
        degrees(Tag::GPSLongitude, shot.lon),
        ascii(Tag::GPSLongitudeRef, lon_ref),
    ];
    let mut writer = Writer::new();
    for field in &fields {
        writer.push_field(field);
    }
    let mut tiff = Cursor::new(Vec::new());
    // A handful of well-formed fields always write.
    let _ = writer.write(&mut tiff, false);
    let tiff = tiff.into_inner();
    let plain = jpeg_of(picture);
    // The segment is a few hundred bytes: fits.
    let length = (2 + 6 + tiff.len()) as u16;
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&plain[2..]);
    out
}

fn ascii(tag: Tag, text: &str) -> Field {
    Field {
        tag,
        ifd_num: In::PRIMARY,
        value: Value::Ascii(vec![text.as_bytes().to_vec()]),
    }
}

/// Degrees as EXIF writes them: degrees, minutes, and seconds in hundredths.
fn degrees(tag: Tag, value: f64) -> Field {
    let value = value.abs();
    let whole = value.trunc();
    let minutes = ((value - whole) * 60.0).trunc();
    let seconds = ((value - whole) * 60.0 - minutes) * 60.0;
    // Below 360, 60 and 6,000: fit.
    Field {
        tag,
        ifd_num: In::PRIMARY,
        value: Value::Rational(vec![
            Rational::from((whole as u32, 1)),
            Rational::from((minutes as u32, 1)),
            Rational::from(((seconds * 100.0).round() as u32, 100)),
        ]),
    }
}

/// A PNG declaring 100,000 × 100,000 pixels (30 GB of RGB) in under 100 bytes; its
/// zlib data is never meant to be inflated.
pub fn png_bomb() -> Vec<u8> {
    let mut header = 100_000u32.to_be_bytes().to_vec();
    header.extend_from_slice(&100_000u32.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut bomb = b"\x89PNG\r\n\x1a\n".to_vec();
    bomb.extend(png_chunk(b"IHDR", &header));
    bomb.extend(png_chunk(
        b"IDAT",
        &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    bomb.extend(png_chunk(b"IEND", &[]));
    bomb
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    // A chunk of a few bytes: fits.
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    chunk.extend_from_slice(&body);
    chunk.extend_from_slice(&crc32(&body).to_be_bytes());
    chunk
}

/// CRC-32 (PNG's), bit by bit.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// True when `needle` occurs in `haystack` (looking for metadata bytes in a copy).
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
