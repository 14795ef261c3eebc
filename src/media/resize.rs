//! Scaling a crop window down to a variant's size.

use image::imageops::FilterType;
use image::{GenericImageView, RgbImage};

/// Scales the window `(x, y, width, height)` of `src` to `ow × oh`. Lanczos3 is what
/// ImageMagick uses to reduce photographs, so the two can be compared like for like.
pub(crate) fn resize_rgb(
    src: &RgbImage,
    window: (u32, u32, u32, u32),
    ow: u32,
    oh: u32,
) -> RgbImage {
    let (x, y, w, h) = window;
    image::imageops::resize(&*src.view(x, y, w, h), ow, oh, FilterType::Lanczos3)
}
