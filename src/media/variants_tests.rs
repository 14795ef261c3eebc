use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, Rgb, RgbImage, Rgba, RgbaImage};

use super::*;
use crate::media::sample::synthetic_photo;

fn red_left_blue_right(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, _| {
        if x < w / 2 {
            Rgb([255, 0, 0])
        } else {
            Rgb([0, 0, 255])
        }
    }))
}

fn decoded(v: &RenderedVariant) -> RgbImage {
    let img = image::load_from_memory(&v.bytes).unwrap();
    assert_eq!(
        (img.width(), img.height()),
        (v.width, v.height),
        "{}",
        v.kind.as_str()
    );
    img.to_rgb8()
}

fn is_red(p: &Rgb<u8>) -> bool {
    p[0] > 200 && p[2] < 60
}

fn is_blue(p: &Rgb<u8>) -> bool {
    p[2] > 200 && p[0] < 60
}

#[test]
fn names_round_trip() {
    for kind in VariantKind::ALL {
        assert_eq!(VariantKind::parse(kind.as_str()), Some(kind));
    }
    assert_eq!(VariantKind::parse("Square"), None);
}

#[test]
fn every_kind_has_its_exact_size_from_a_large_source() {
    let master = DynamicImage::ImageRgb8(synthetic_photo(4000, 3000, 8, 1));
    let all = render_all_decoded(&master, Focal::default(), false).unwrap();
    let got: Vec<_> = all
        .iter()
        .map(|v| (v.kind, v.width, v.height, v.format))
        .collect();
    let want: Vec<_> = VariantKind::ALL
        .iter()
        .map(|k| (*k, k.size().0, k.size().1, Format::Jpeg))
        .collect();
    assert_eq!(got, want);
    for v in &all {
        decoded(v);
    }
}

#[test]
fn the_crop_follows_the_focal_point() {
    let master = red_left_blue_right(4000, 3000);
    // A square of a 4:3 picture is 3000 wide: from the left edge, two thirds of it are red;
    // centred, half; from the right edge, one third.
    let cases = [(0.0, 700, 740), (0.5, 520, 560), (1.0, 340, 380)];
    for (x, last_red, first_blue) in cases {
        let v = render_variant(&master, VariantKind::Square, Focal { x, y: 0.5 }).unwrap();
        let img = decoded(&v);
        assert!(
            is_red(img.get_pixel(last_red, 540)),
            "focal {x}: red up to {last_red}"
        );
        assert!(
            is_blue(img.get_pixel(first_blue, 540)),
            "focal {x}: blue from {first_blue}"
        );
    }
}

#[test]
fn crop_windows_stay_inside_the_picture() {
    assert_eq!(
        crop_window(4000, 3000, 1080, 1080, Focal { x: 0.0, y: 0.0 }),
        (0, 0, 3000, 3000)
    );
    assert_eq!(
        crop_window(4000, 3000, 1080, 1080, Focal { x: 0.9, y: 0.9 }),
        (1000, 0, 3000, 3000)
    );
    assert_eq!(
        crop_window(4000, 3000, 1200, 630, Focal { x: 0.5, y: 0.5 }),
        (0, 450, 4000, 2100)
    );
    assert_eq!(
        crop_window(4000, 3000, 1200, 630, Focal { x: 0.5, y: 1.0 }),
        (0, 900, 4000, 2100)
    );
    // A portrait photo and a wide target: full width, the band around the focal point.
    assert_eq!(
        crop_window(3000, 4000, 1280, 720, Focal { x: 0.5, y: 0.4 }),
        (0, 756, 3000, 1688)
    );
    // Out-of-range or NaN focal points from code that built a Focal by hand are tamed.
    assert_eq!(
        crop_window(
            100,
            100,
            50,
            100,
            Focal {
                x: f32::NAN,
                y: 7.0
            }
        ),
        (25, 0, 50, 100)
    );
}

#[test]
fn a_small_source_is_cropped_but_not_enlarged() {
    let master = red_left_blue_right(600, 400);
    let sizes: Vec<_> = VariantKind::ALL
        .iter()
        .map(|k| {
            let v = render_variant(&master, *k, Focal::default()).unwrap();
            decoded(&v);
            (v.width, v.height)
        })
        .collect();
    // 1.91:1 of 600 wide is 315 high; squares are 400; 16:9 is 338; the thumbnail still fits.
    assert_eq!(
        sizes,
        [(600, 315), (400, 400), (600, 338), (600, 338), (320, 320)]
    );
}

#[test]
fn zalo_cover_stays_under_one_megabyte_even_for_static() {
    // Per-pixel static averages out when 4000 px shrink to 1280, so the grain here is in 3 × 3
    // blocks, about one output pixel each: static at the size the encoder sees.
    let hash = |x: u32, y: u32| {
        (x.wrapping_mul(0x9E37_79B1) ^ y.wrapping_mul(0x85EB_CA77)).wrapping_mul(0xC2B2_AE3D)
    };
    let master = DynamicImage::ImageRgb8(RgbImage::from_fn(4000, 3000, |x, y| {
        let [r, g, b, _] = hash(x / 3, y / 3).to_le_bytes();
        Rgb([r, g, b])
    }));
    let v = render_variant(&master, VariantKind::ZaloCover, Focal::default()).unwrap();
    assert_eq!((v.width, v.height), (1280, 720));
    assert!(v.bytes.len() < 1_000_000, "{} bytes", v.bytes.len());
    decoded(&v);

    // The picture is noisy enough that the first quality tried overshoots, so the step-down
    // path is what this test exercised.
    let rgb = master.to_rgb8();
    let (x, y, w, h) = crop_window(4000, 3000, 1280, 720, Focal::default());
    let scaled = resize_rgb(&rgb, (x, y, w, h), 1280, 720).unwrap();
    let mut first_try = Vec::new();
    JpegEncoder::new_with_quality(&mut first_try, VariantKind::ZaloCover.qualities()[0])
        .encode_image(&scaled)
        .unwrap();
    assert!(
        first_try.len() >= 1_000_000,
        "only {} bytes",
        first_try.len()
    );
}

#[test]
fn transparency_is_put_on_white() {
    let master = DynamicImage::ImageRgba8(RgbaImage::from_fn(400, 400, |x, _| {
        if x < 200 {
            Rgba([0, 0, 0, 0])
        } else {
            Rgba([0, 0, 255, 255])
        }
    }));
    let v = render_variant(&master, VariantKind::Thumbnail, Focal::default()).unwrap();
    let img = decoded(&v);
    let left = img.get_pixel(40, 160);
    assert!(
        left.0.iter().all(|&c| c > 240),
        "transparent became {left:?}"
    );
    assert!(is_blue(img.get_pixel(280, 160)));
}

#[test]
fn render_all_decodes_a_master_and_threads_change_nothing() {
    let mut png = Vec::new();
    red_left_blue_right(900, 600)
        .write_with_encoder(image::codecs::png::PngEncoder::new(&mut png))
        .unwrap();
    let focal = Focal { x: 0.2, y: 0.5 };
    let threaded = render_all(&png, focal).unwrap();
    let master = image::load_from_memory(&png).unwrap();
    let sequential = render_all_decoded(&master, focal, false).unwrap();
    assert_eq!(threaded.len(), VariantKind::ALL.len());
    for (a, b) in threaded.iter().zip(&sequential) {
        assert_eq!((a.kind, a.width, a.height), (b.kind, b.width, b.height));
        assert_eq!(a.bytes, b.bytes, "{}", a.kind.as_str());
    }
}
