//! Accepting an upload: sniff, bound, decode, orient, re-encode.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageReader};

use super::{Format, Ingested, MediaLimits, sha256_hex};
use crate::domain::FieldError;

/// High enough that a master re-encoded from a camera JPEG shows no new artefacts when the
/// variants are cut from it, low enough that it is not bigger than the upload.
pub const MASTER_JPEG_QUALITY: u8 = 88;

/// The form field every upload error names.
const FIELD: &str = "file";

/// The format the content says it is, from its first bytes. File names and the browser's
/// `Content-Type` are chosen by whoever sends the file, so neither is consulted.
pub fn sniff(bytes: &[u8]) -> Option<Format> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Format::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Format::Png)
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(Format::Webp)
    } else {
        None
    }
}

/// Accepts an upload or says, in a catalog key on the field `file`, why not.
///
/// Every check that costs nothing runs before the one that costs memory: the byte size, then
/// the type, then the dimensions as the header states them. A 50 KB PNG can claim to be
/// 100 000 × 100 000 pixels and would need 40 GB to decode; it is refused here having
/// allocated nothing. The decoder is then given the same bounds as `image::Limits`, in case it
/// disagrees with this module's reading of the header.
pub fn ingest(bytes: &[u8], limits: &MediaLimits) -> Result<Ingested, FieldError> {
    if bytes.is_empty() {
        return Err(FieldError::new(FIELD, "err_media_empty"));
    }
    if bytes.len() > limits.max_bytes {
        return Err(FieldError::new(FIELD, "err_media_too_large")
            .arg("max_mb", mebibytes(limits.max_bytes)));
    }
    let format = sniff(bytes).ok_or_else(|| FieldError::new(FIELD, "err_media_type"))?;
    let corrupt = || FieldError::new(FIELD, "err_media_corrupt");
    let (width, height) = super::header::dimensions(format, bytes).ok_or_else(corrupt)?;
    check_dimensions(width, height, limits)?;
    // zune-jpeg, which `image` uses, fills a cut-off scan with grey rather than failing, so
    // a half-uploaded photo would be accepted with its lower part blank.
    if format == Format::Jpeg && !super::header::jpeg_is_complete(bytes) {
        return Err(corrupt());
    }

    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.image_format());
    reader.limits(decoder_limits(limits));
    let mut decoder = reader.into_decoder().map_err(|_| corrupt())?;
    let (w, h) = decoder.dimensions();
    check_dimensions(w, h, limits)?;
    // A damaged EXIF block should not cost the person their upload; they lose only the rotation.
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(|_| corrupt())?;
    img.apply_orientation(orientation);

    let bytes = encode_master(&img, format).map_err(|_| corrupt())?;
    Ok(Ingested {
        format,
        width: img.width(),
        height: img.height(),
        sha256: sha256_hex(&bytes),
        bytes,
    })
}

fn check_dimensions(width: u32, height: u32, limits: &MediaLimits) -> Result<(), FieldError> {
    let pixels = u64::from(width) * u64::from(height);
    if width == 0 || height == 0 {
        return Err(FieldError::new(FIELD, "err_media_corrupt"));
    }
    if pixels > limits.max_pixels || width > limits.max_side || height > limits.max_side {
        return Err(FieldError::new(FIELD, "err_media_dimensions")
            .arg("width", width)
            .arg("height", height)
            .arg("max_megapixels", limits.max_pixels as f64 / 1e6)
            .arg("max_side", limits.max_side));
    }
    Ok(())
}

fn decoder_limits(limits: &MediaLimits) -> image::Limits {
    let mut l = image::Limits::default();
    l.max_image_width = Some(limits.max_side);
    l.max_image_height = Some(limits.max_side);
    // Eight bytes is the widest pixel these decoders produce (16-bit RGBA PNG), so this admits
    // every image within max_pixels and nothing much bigger.
    l.max_alloc = Some(limits.max_pixels.saturating_mul(8));
    l
}

/// Whole mebibytes when the limit is whole, as it is in configuration; one decimal otherwise.
fn mebibytes(bytes: usize) -> String {
    let mib = bytes as f64 / (1024.0 * 1024.0);
    if mib.fract() == 0.0 {
        format!("{mib:.0}")
    } else {
        format!("{mib:.1}")
    }
}

/// Re-encoding from pixels is what strips metadata: the encoders are given nothing but pixels,
/// so no EXIF, XMP, IPTC, ICC profile or PNG text chunk can survive, whatever the input held.
fn encode_master(img: &DynamicImage, format: Format) -> image::ImageResult<Vec<u8>> {
    let mut out = Vec::new();
    match format {
        Format::Jpeg => {
            img.write_with_encoder(JpegEncoder::new_with_quality(&mut out, MASTER_JPEG_QUALITY))?
        }
        Format::Png => img.write_with_encoder(PngEncoder::new_with_quality(
            &mut out,
            CompressionType::Default,
            FilterType::Adaptive,
        ))?,
        // image can only write lossless WebP; a lossy WebP photo therefore grows, but keeps
        // every pixel it had.
        Format::Webp => {
            // The WebP encoder takes 8-bit RGB(A) only.
            let converted;
            let img = match img {
                DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_) => img,
                _ if img.has_alpha() => {
                    converted = DynamicImage::ImageRgba8(img.to_rgba8());
                    &converted
                }
                _ => {
                    converted = DynamicImage::ImageRgb8(img.to_rgb8());
                    &converted
                }
            };
            img.write_with_encoder(WebPEncoder::new_lossless(&mut out))?
        }
    }
    Ok(out)
}

#[cfg(test)]
#[path = "ingest_tests.rs"]
mod tests;
