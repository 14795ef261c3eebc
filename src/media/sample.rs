//! Synthetic photographs, for tests and for `loa bench media` on a machine with no photo.
//!
//! A flat or purely random picture says nothing about speed or size: JPEG compresses the first
//! to nothing and cannot compress the second at all. These pictures mix smooth gradients
//! (sky), hard-edged shapes (buildings, text) and per-pixel noise (sensor grain), which is
//! what makes a camera JPEG cost what it costs.

use image::{Rgb, RgbImage};

/// A deterministic picture; `grain` is the noise amplitude, 0 (clean) to 255 (pure static).
pub fn synthetic_photo(width: u32, height: u32, grain: u8, seed: u64) -> RgbImage {
    // xorshift64*: a few instructions per pixel, which matters at 12 megapixels in a debug build.
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let amp = i32::from(grain);
    let (w, h) = (width.max(1), height.max(1));
    RgbImage::from_fn(width, height, |x, y| {
        let gx = (x * 255 / w) as i32;
        let gy = (y * 255 / h) as i32;
        // Window-like blocks in the lower half and a disc, for edges an encoder must keep.
        let block = y > h / 2 && (x / (w / 16 + 1)) % 2 == 0 && (y / (h / 24 + 1)) % 2 == 0;
        let (dx, dy) = (x as i64 - i64::from(w / 3), y as i64 - i64::from(h / 3));
        let r2 = i64::from(h / 6).pow(2);
        let disc = dx * dx + dy * dy < r2;
        let base = if disc {
            [230, 190, 40]
        } else if block {
            [60 + gx / 4, 60, 70]
        } else {
            [gx, 120 + gy / 3, 255 - gy]
        };
        let n = next();
        let mut px = [0u8; 3];
        for (c, out) in px.iter_mut().enumerate() {
            let noise = if amp == 0 {
                0
            } else {
                ((n >> (c * 16)) & 0xFFFF) as i32 % (2 * amp + 1) - amp
            };
            *out = (base[c] + noise).clamp(0, 255) as u8;
        }
        Rgb(px)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_deterministic_and_noisy_as_asked() {
        let a = synthetic_photo(64, 48, 20, 7);
        assert_eq!(a, synthetic_photo(64, 48, 20, 7));
        assert_ne!(a, synthetic_photo(64, 48, 20, 8));
        let clean = synthetic_photo(64, 48, 0, 7);
        let max_diff = a
            .pixels()
            .zip(clean.pixels())
            .flat_map(|(p, q)| (0..3).map(move |c| (i32::from(p[c]) - i32::from(q[c])).abs()))
            .max()
            .unwrap();
        assert!((1..=20).contains(&max_diff), "{max_diff}");
    }
}
