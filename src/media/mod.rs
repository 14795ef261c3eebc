//! Uploaded images, from the bytes a person sends to the files each channel is given.
//!
//! Three steps, each usable on its own:
//!
//! 1. [`ingest`] decides what the upload is from its content (never its name), refuses what is
//!    too big before spending memory on it, and re-encodes the pixels into a *master* that
//!    carries no metadata: a phone photo's EXIF block holds the GPS position of whoever took
//!    it, and a city office must not republish that. The EXIF orientation is applied to the
//!    pixels first, because it is about to be thrown away with the rest.
//! 2. [`render_variant`] / [`render_all`] cut the master into the shapes each channel shows
//!    (Facebook link card, square post, Zalo cover, portal hero, thumbnail) around a focal
//!    point the editor picks, so a speaker's face is not cropped off when a wide photo becomes
//!    a square.
//! 3. [`BlobStore`] keeps masters and variants by the SHA-256 of their bytes. Content
//!    addressing makes a second upload of the same file free and lets any number of Loa
//!    instances share one store without coordination: a key never changes meaning.
//!
//! # Another store
//!
//! [`LocalDisk`] suits one server. To serve several instances from an S3-compatible bucket
//! (MinIO, Viettel or FPT object storage, AWS), implement [`BlobStore`] on a type wrapping
//! an `Arc<dyn object_store::ObjectStore>` from the `object_store` crate:
//! `put` hashes the bytes with [`sha256_hex`], then calls `ObjectStore::put` with
//! `PutMode::Create` at the path from [`blob_path`] and treats `AlreadyExists` as success
//! (an object store write is already atomic, so no temporary name is needed); `get` maps
//! `object_store::Error::NotFound` to `Ok(None)`; `delete` maps `NotFound` to `Ok(())`.
//! Validate keys with [`validate_key`] before building a path, as [`LocalDisk`] does. Nothing
//! else changes: callers hold an `Arc<dyn BlobStore>` and only ever see keys.

mod header;
mod ingest;
pub mod sample;
mod storage;
mod variants;

pub use ingest::{MASTER_JPEG_QUALITY, ingest, sniff};
pub use storage::{BlobStore, BoxFuture, LocalDisk, blob_path, sha256_hex, validate_key};
pub use variants::{RenderedVariant, VariantKind, render_all, render_all_decoded, render_variant};

use crate::domain::FieldError;

/// What an upload may be. Checked before any pixel is decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MediaLimits {
    /// Size of the uploaded file.
    pub max_bytes: usize,
    /// Width × height, which is what decoding costs in memory.
    pub max_pixels: u64,
    /// Longest side, so a 1×50 000 000 strip cannot pass the pixel limit.
    pub max_side: u32,
}

impl Default for MediaLimits {
    /// 20 MiB and 50 megapixels cover every phone and most cameras; 12 000 px covers panoramas
    /// from phones, which are long but not absurd.
    fn default() -> MediaLimits {
        MediaLimits {
            max_bytes: 20 * 1024 * 1024,
            max_pixels: 50_000_000,
            max_side: 12_000,
        }
    }
}

/// The encodings Loa accepts and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Jpeg,
    Png,
    Webp,
}

impl Format {
    pub fn as_str(&self) -> &'static str {
        match self {
            Format::Jpeg => "jpeg",
            Format::Png => "png",
            Format::Webp => "webp",
        }
    }

    pub fn mime(&self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::Webp => "image/webp",
        }
    }

    pub fn extension(&self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::Webp => "webp",
        }
    }

    fn image_format(self) -> image::ImageFormat {
        match self {
            Format::Jpeg => image::ImageFormat::Jpeg,
            Format::Png => image::ImageFormat::Png,
            Format::Webp => image::ImageFormat::WebP,
        }
    }
}

/// An accepted upload, re-encoded without metadata and with its orientation applied.
#[derive(Clone, Debug)]
pub struct Ingested {
    pub format: Format,
    pub width: u32,
    pub height: u32,
    pub bytes: Vec<u8>,
    /// Lower-case hex SHA-256 of `bytes`: the key it will have in a [`BlobStore`].
    pub sha256: String,
}

/// Where the subject of a picture is, as fractions of its width and height from the top left.
/// Crops keep this point as close to their centre as the picture's edges allow.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Focal {
    pub x: f32,
    pub y: f32,
}

impl Default for Focal {
    fn default() -> Focal {
        Focal { x: 0.5, y: 0.5 }
    }
}

impl Focal {
    /// Reads the two form fields `focal_x` and `focal_y`. An empty field means the centre, so a
    /// form whose editor never touched the picker still submits. A decimal comma is accepted
    /// because that is how Vietnamese writes 0,5.
    pub fn parse(x: &str, y: &str) -> Result<Focal, FieldError> {
        Ok(Focal {
            x: parse_fraction("focal_x", x)?,
            y: parse_fraction("focal_y", y)?,
        })
    }
}

fn parse_fraction(field: &str, value: &str) -> Result<f32, FieldError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(0.5);
    }
    match v.replace(',', ".").parse::<f32>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err(FieldError::new(field, "err_media_focal").arg("value", v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn focal_accepts_fractions_commas_and_blanks() {
        assert_eq!(Focal::parse("0", "1").unwrap(), Focal { x: 0.0, y: 1.0 });
        assert_eq!(
            Focal::parse(" 0,25 ", "0.75").unwrap(),
            Focal { x: 0.25, y: 0.75 }
        );
        assert_eq!(Focal::parse("", "  ").unwrap(), Focal::default());
    }

    #[test]
    fn focal_rejects_out_of_range_and_non_numbers() {
        for (x, y, field) in [
            ("1.5", "0.5", "focal_x"),
            ("0.5", "-0.1", "focal_y"),
            ("NaN", "0.5", "focal_x"),
            ("0.5", "inf", "focal_y"),
            ("abc", "0.5", "focal_x"),
        ] {
            let e = Focal::parse(x, y).unwrap_err();
            assert_eq!((e.field.as_str(), e.key), (field, "err_media_focal"));
        }
    }

    #[test]
    fn formats_name_themselves_consistently() {
        assert_eq!(
            (
                Format::Jpeg.as_str(),
                Format::Jpeg.mime(),
                Format::Jpeg.extension()
            ),
            ("jpeg", "image/jpeg", "jpg")
        );
        assert_eq!(Format::Webp.mime(), "image/webp");
        assert_eq!(Format::Png.extension(), "png");
    }
}
