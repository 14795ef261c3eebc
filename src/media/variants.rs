//! Cutting a master into the shapes each channel shows.

use std::borrow::Cow;
use std::io::Cursor;

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, GenericImageView, ImageReader, RgbImage};

use super::{Focal, Format};

/// A shape a channel wants. Every variant is a JPEG: all channels accept it and it is the
/// smallest format for photographs, which is what campaign pictures are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VariantKind {
    /// The card Facebook shows under a shared link: 1200 × 630 (1.91:1).
    FacebookLink,
    /// A square post for Facebook and Instagram-style feeds: 1080 × 1080.
    Square,
    /// The cover of a Zalo Official Account article: 1280 × 720 (16:9), under 1 MB because
    /// Zalo refuses bigger covers.
    ZaloCover,
    /// The hero picture of a post on the city portal: 1600 × 900, cropped to 16:9 rather than
    /// fitted within 1600 px wide, so every article header has the same height and the focal
    /// point, not the photographer's framing, decides what shows.
    PortalFeatured,
    /// Lists and pickers in Loa itself: a 320 × 320 square.
    Thumbnail,
}

/// A rendered variant, ready to store.
#[derive(Clone, Debug)]
pub struct RenderedVariant {
    pub kind: VariantKind,
    pub width: u32,
    pub height: u32,
    pub format: Format,
    pub bytes: Vec<u8>,
}

/// Zalo's limit on a cover, in bytes.
const ZALO_MAX_BYTES: usize = 1_000_000;

impl VariantKind {
    pub const ALL: [VariantKind; 5] = [
        VariantKind::FacebookLink,
        VariantKind::Square,
        VariantKind::ZaloCover,
        VariantKind::PortalFeatured,
        VariantKind::Thumbnail,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            VariantKind::FacebookLink => "facebook_link",
            VariantKind::Square => "square",
            VariantKind::ZaloCover => "zalo_cover",
            VariantKind::PortalFeatured => "portal_featured",
            VariantKind::Thumbnail => "thumbnail",
        }
    }

    pub fn parse(s: &str) -> Option<VariantKind> {
        VariantKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Width and height in pixels, when the source is big enough.
    pub fn size(&self) -> (u32, u32) {
        match self {
            VariantKind::FacebookLink => (1200, 630),
            VariantKind::Square => (1080, 1080),
            VariantKind::ZaloCover => (1280, 720),
            VariantKind::PortalFeatured => (1600, 900),
            VariantKind::Thumbnail => (320, 320),
        }
    }

    /// JPEG qualities to try in turn; the first whose output fits the channel's byte limit wins.
    /// Thumbnails are seen small and often, so they trade a little quality for size.
    pub fn qualities(&self) -> &'static [u8] {
        match self {
            VariantKind::ZaloCover => &[85, 78, 70, 62, 54, 46, 38, 30],
            VariantKind::Thumbnail => &[80],
            _ => &[85],
        }
    }

    /// The channel's limit on the file size, if it has one.
    pub fn max_bytes(&self) -> Option<usize> {
        (*self == VariantKind::ZaloCover).then_some(ZALO_MAX_BYTES)
    }
}

/// Cuts one variant out of a decoded master.
///
/// The crop is the largest window of the variant's aspect ratio that fits in the picture,
/// centred on the focal point and slid back inside the edges when the point is near one. The
/// window is then scaled down to the variant's size; a window smaller than that is kept at its
/// own size, since enlarging only adds blur and bytes. Transparent parts are put on white,
/// because JPEG has no transparency and black (what dropping alpha gives) looks like a fault.
pub fn render_variant(
    master: &DynamicImage,
    kind: VariantKind,
    focal: Focal,
) -> anyhow::Result<RenderedVariant> {
    render_rgb(&flatten(master), kind, focal)
}

/// Decodes a master once and renders every variant, in [`VariantKind::ALL`] order.
pub fn render_all(master_bytes: &[u8], focal: Focal) -> anyhow::Result<Vec<RenderedVariant>> {
    let master = ImageReader::new(Cursor::new(master_bytes))
        .with_guessed_format()?
        .decode()?;
    render_all_decoded(&master, focal, true)
}

/// [`render_all`] for a master already decoded. `parallel` renders the variants on as many
/// threads as there are; it exists as a switch so the benchmark can show what it is worth.
pub fn render_all_decoded(
    master: &DynamicImage,
    focal: Focal,
    parallel: bool,
) -> anyhow::Result<Vec<RenderedVariant>> {
    let rgb = flatten(master);
    let rgb: &RgbImage = &rgb;
    if !parallel {
        return VariantKind::ALL
            .into_iter()
            .map(|kind| render_rgb(rgb, kind, focal))
            .collect();
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = VariantKind::ALL
            .into_iter()
            .map(|kind| s.spawn(move || render_rgb(rgb, kind, focal)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}

fn flatten(img: &DynamicImage) -> Cow<'_, RgbImage> {
    match img {
        DynamicImage::ImageRgb8(rgb) => Cow::Borrowed(rgb),
        _ if img.has_alpha() => {
            let rgba = img.to_rgba8();
            let mut out = RgbImage::new(rgba.width(), rgba.height());
            for (o, p) in out.pixels_mut().zip(rgba.pixels()) {
                let a = u32::from(p[3]);
                for c in 0..3 {
                    o[c] = ((u32::from(p[c]) * a + 255 * (255 - a) + 127) / 255) as u8;
                }
            }
            Cow::Owned(out)
        }
        _ => Cow::Owned(img.to_rgb8()),
    }
}

/// The crop window `(x, y, width, height)` for a target of `tw × th` in a `sw × sh` source.
pub(crate) fn crop_window(
    sw: u32,
    sh: u32,
    tw: u32,
    th: u32,
    focal: Focal,
) -> (u32, u32, u32, u32) {
    let (sw64, sh64, tw64, th64) = (u64::from(sw), u64::from(sh), u64::from(tw), u64::from(th));
    let (cw, ch) = if sw64 * th64 > sh64 * tw64 {
        (((sh64 * tw64 + th64 / 2) / th64).clamp(1, sw64) as u32, sh)
    } else {
        (sw, ((sw64 * th64 + tw64 / 2) / tw64).clamp(1, sh64) as u32)
    };
    let place = |f: f32, size: u32, window: u32| -> u32 {
        let f = if f.is_finite() {
            f.clamp(0.0, 1.0)
        } else {
            0.5
        };
        let start = (f64::from(f) * f64::from(size) - f64::from(window) / 2.0).round();
        start.clamp(0.0, f64::from(size - window)) as u32
    };
    (place(focal.x, sw, cw), place(focal.y, sh, ch), cw, ch)
}

fn render_rgb(src: &RgbImage, kind: VariantKind, focal: Focal) -> anyhow::Result<RenderedVariant> {
    if src.width() == 0 || src.height() == 0 {
        anyhow::bail!("cannot cut a variant from an empty picture");
    }
    let (tw, th) = kind.size();
    let (x, y, cw, ch) = crop_window(src.width(), src.height(), tw, th, focal);
    let (ow, oh) = if cw >= tw && ch >= th {
        (tw, th)
    } else {
        (cw, ch)
    };
    let view = src.view(x, y, cw, ch);
    let out = if (ow, oh) == (cw, ch) {
        view.to_image()
    } else {
        resize_rgb(src, (x, y, cw, ch), ow, oh)?
    };

    let mut bytes = Vec::new();
    for &quality in kind.qualities() {
        bytes.clear();
        JpegEncoder::new_with_quality(&mut bytes, quality).encode_image(&out)?;
        if kind.max_bytes().is_none_or(|max| bytes.len() < max) {
            return Ok(RenderedVariant {
                kind,
                width: ow,
                height: oh,
                format: Format::Jpeg,
                bytes,
            });
        }
    }
    anyhow::bail!(
        "{} stays over {} bytes even at the lowest quality",
        kind.as_str(),
        kind.max_bytes().unwrap_or_default()
    )
}

/// Scales the window `(x, y, width, height)` of `src` to `ow × oh` with Lanczos3, the filter
/// ImageMagick uses to reduce photographs, so the two are compared like for like.
///
/// `fast_image_resize` rather than `image::imageops::resize`: on the four crops of a 12-MP
/// photo that the variants need, with both optimised, it took 108 ms against 2 470 ms here
/// (AVX2, 2 cores); `image` has no SIMD path for resampling.
pub(crate) fn resize_rgb(
    src: &RgbImage,
    window: (u32, u32, u32, u32),
    ow: u32,
    oh: u32,
) -> anyhow::Result<RgbImage> {
    let (x, y, w, h) = window;
    let view = ImageRef::new(src.width(), src.height(), src.as_raw(), PixelType::U8x3)?;
    let mut dst = Image::new(ow, oh, PixelType::U8x3);
    let options = ResizeOptions::new()
        .resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3))
        .crop(f64::from(x), f64::from(y), f64::from(w), f64::from(h));
    Resizer::new().resize(&view, &mut dst, &options)?;
    RgbImage::from_raw(ow, oh, dst.into_vec())
        .ok_or_else(|| anyhow::anyhow!("resized buffer does not match {ow}×{oh}"))
}

#[cfg(test)]
#[path = "variants_tests.rs"]
mod tests;
