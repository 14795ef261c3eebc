//! QR codes for notice-board posters, as PNG (for printing shops and Zalo groups) and SVG (for
//! the A4 poster, sharp at any size). Error correction level Q: a poster outdoors gets
//! scratched and rained on, and up to a quarter of the code may be lost.

use qrcode::{Color, EcLevel, QrCode};

/// Light modules around the code, as the standard asks.
const QUIET: usize = 4;

fn code(data: &str) -> anyhow::Result<QrCode> {
    Ok(QrCode::with_error_correction_level(
        data.as_bytes(),
        EcLevel::Q,
    )?)
}

/// Dark modules as (x, y), plus the width in modules including the quiet zone.
fn modules(data: &str) -> anyhow::Result<(Vec<(usize, usize)>, usize)> {
    let code = code(data)?;
    let width = code.width();
    let dark = code
        .to_colors()
        .iter()
        .enumerate()
        .filter(|(_, c)| **c == Color::Dark)
        .map(|(i, _)| (i % width + QUIET, i / width + QUIET))
        .collect();
    Ok((dark, width + 2 * QUIET))
}

/// A square SVG, one path, scalable; `size` is its nominal size in CSS pixels. `label` is its
/// accessible name (e.g. "Mã QR dẫn tới https://…"): a screen reader announces where the code
/// leads instead of an unnamed image (WCAG 1.1.1), both as `aria-label` and as `<title>`, which
/// also shows as a tooltip and survives when the SVG is saved as a file.
pub fn svg(data: &str, size: u32, label: &str) -> anyhow::Result<String> {
    let (dark, width) = modules(data)?;
    let mut path = String::with_capacity(dark.len() * 12);
    for (x, y) in dark {
        path.push_str(&format!("M{x} {y}h1v1h-1z"));
    }
    let label = crate::reports::svg::escape(label);
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {width} {width}\" width=\"{size}\" height=\"{size}\" \
         shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"{label}\"><title>{label}</title>\
         <rect width=\"{width}\" height=\"{width}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{path}\"/></svg>"
    ))
}

/// A PNG with `scale` pixels per module.
pub fn png(data: &str, scale: u32) -> anyhow::Result<Vec<u8>> {
    let (dark, width) = modules(data)?;
    let scale = scale.clamp(1, 40);
    let side = width as u32 * scale;
    let mut img = image::GrayImage::from_pixel(side, side, image::Luma([255]));
    for (x, y) in dark {
        for dy in 0..scale {
            for dx in 0..scale {
                img.put_pixel(
                    x as u32 * scale + dx,
                    y as u32 * scale + dy,
                    image::Luma([0]),
                );
            }
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)?;
    Ok(out.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_and_svg_encode_the_same_code() {
        let url = "https://loa.hanoi.gov.vn/k7Pq3Xa";
        let bytes = png(url, 4).unwrap();
        let img = image::load_from_memory(&bytes).unwrap().to_luma8();
        let (dark, width) = modules(url).unwrap();
        assert_eq!(img.width(), width as u32 * 4);
        // The quiet zone is white, the top-left finder's corner black.
        assert_eq!(img.get_pixel(0, 0).0, [255]);
        assert_eq!(img.get_pixel(QUIET as u32 * 4, QUIET as u32 * 4).0, [0]);
        let blacks = img.pixels().filter(|p| p.0[0] == 0).count();
        assert_eq!(blacks, dark.len() * 16);
        let s = svg(url, 200, "Mã QR dẫn tới https://x.vn/?a=1&b=\"2\"").unwrap();
        assert!(s.starts_with("<svg") && s.contains(&format!("viewBox=\"0 0 {width} {width}\"")));
        assert!(s.contains("<title>Mã QR dẫn tới https://x.vn/?a=1&amp;b=&quot;2&quot;</title>"));
        assert_eq!(
            s.matches("h1v1h-1z").count(),
            dark.len(),
            "one square per dark module"
        );
    }
}
