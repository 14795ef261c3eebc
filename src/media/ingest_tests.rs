use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::{ImageDecoder, ImageReader, Rgb, RgbImage, Rgba, RgbaImage};

use super::*;

/// Records the largest single allocation made on the current thread, so a test can show that
/// refusing a decompression bomb did not first allocate for it.
struct Watching;

thread_local! {
    static LARGEST: Cell<usize> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Watching {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LARGEST.with(|l| l.set(l.get().max(layout.size())));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Watching = Watching;

fn halves(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, _| {
        if x < w / 2 {
            Rgb([255, 0, 0])
        } else {
            Rgb([0, 0, 255])
        }
    })
}

fn jpeg(img: &RgbImage) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 95)
        .encode_image(img)
        .unwrap();
    out
}

/// Inserts an APP1 segment right after SOI, where cameras put theirs.
fn with_app1(jpeg: &[u8], payload: &[u8]) -> Vec<u8> {
    let len = u16::try_from(payload.len() + 2).unwrap();
    let mut out = jpeg[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// "Exif\0\0" then a little-endian TIFF: IFD0 holds Orientation and a pointer to a GPS IFD
/// holding latitude N 21°01'42" (Hoàn Kiếm Lake).
fn exif_with_gps(orientation: u16) -> Vec<u8> {
    fn entry(out: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: u32) {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&kind.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        out.extend_from_slice(&value.to_le_bytes());
    }
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const ASCII: u16 = 2;
    const RATIONAL: u16 = 5;
    let mut t = b"II\x2a\x00\x08\x00\x00\x00".to_vec();
    // IFD0 at 8: 2 entries, 30 bytes, so the GPS IFD starts at 38 and its data at 68.
    t.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut t, 0x0112, SHORT, 1, u32::from(orientation));
    entry(&mut t, 0x8825, LONG, 1, 38);
    t.extend_from_slice(&0u32.to_le_bytes());
    t.extend_from_slice(&2u16.to_le_bytes());
    entry(&mut t, 0x0001, ASCII, 2, u32::from_le_bytes(*b"N\0\0\0"));
    entry(&mut t, 0x0002, RATIONAL, 3, 68);
    t.extend_from_slice(&0u32.to_le_bytes());
    assert_eq!(t.len(), 68);
    for (num, den) in [(21u32, 1u32), (1, 1), (42, 1)] {
        t.extend_from_slice(&num.to_le_bytes());
        t.extend_from_slice(&den.to_le_bytes());
    }
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&t);
    payload
}

/// The markers and payloads of a JPEG's segments up to the first scan.
fn segments(jpeg: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    let mut i = 2;
    while jpeg[i] == 0xFF && jpeg[i + 1] != 0xDA {
        let len = usize::from(u16::from_be_bytes([jpeg[i + 2], jpeg[i + 3]]));
        out.push((jpeg[i + 1], jpeg[i + 4..i + 2 + len].to_vec()));
        i += 2 + len;
    }
    out
}

fn key(r: Result<Ingested, FieldError>) -> &'static str {
    let e = r.expect_err("the upload should have been refused");
    assert_eq!(e.field, "file");
    e.key
}

#[test]
fn a_png_with_a_jpeg_name_is_taken_as_png() {
    // ingest never sees the name "holiday.jpg"; only the bytes decide.
    let mut png = Vec::new();
    halves(30, 10)
        .write_with_encoder(PngEncoder::new(&mut png))
        .unwrap();
    let got = ingest(&png, &MediaLimits::default()).unwrap();
    assert_eq!((got.format, got.width, got.height), (Format::Png, 30, 10));
    assert_eq!(sniff(&got.bytes), Some(Format::Png));
    assert_eq!(got.sha256, sha256_hex(&got.bytes));
}

#[test]
fn other_types_and_damaged_files_are_refused_with_their_own_keys() {
    let limits = MediaLimits::default();
    assert_eq!(
        key(ingest(b"Tin tuc: hop dan pho\n", &limits)),
        "err_media_type"
    );
    assert_eq!(
        key(ingest(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", &limits)),
        "err_media_type"
    );
    assert_eq!(key(ingest(b"", &limits)), "err_media_empty");

    let whole = jpeg(&halves(400, 300));
    assert!(ingest(&whole, &limits).is_ok());
    for cut in [whole.len() / 2, whole.len() - 2, 40] {
        assert_eq!(
            key(ingest(&whole[..cut], &limits)),
            "err_media_corrupt",
            "cut at {cut}"
        );
    }
    let mut png = Vec::new();
    synthetic(400, 300)
        .write_with_encoder(PngEncoder::new(&mut png))
        .unwrap();
    assert!(ingest(&png, &limits).is_ok());
    assert_eq!(
        key(ingest(&png[..png.len() / 2], &limits)),
        "err_media_corrupt"
    );
}

fn synthetic(w: u32, h: u32) -> RgbImage {
    crate::media::sample::synthetic_photo(w, h, 10, 3)
}

#[test]
fn oversize_files_are_refused_before_anything_is_read() {
    let limits = MediaLimits {
        max_bytes: 3 * 1024 * 1024,
        ..MediaLimits::default()
    };
    // Not even an image: the size check must come first, so the type is never looked at.
    let big = vec![0u8; limits.max_bytes + 1];
    let e = ingest(&big, &limits).unwrap_err();
    assert_eq!(
        (e.key, e.args.clone()),
        ("err_media_too_large", vec![("max_mb", "3".to_string())])
    );
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
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

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32(&out[4..]);
    out.extend_from_slice(&crc.to_be_bytes());
    out
}

fn png_claiming(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = width.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]); // 8-bit RGBA, deflate, no interlace
    png.extend(png_chunk(b"IHDR", &ihdr));
    // The start of a zlib stream of zeros; a real bomb continues it for a few megabytes.
    png.extend(png_chunk(
        b"IDAT",
        &[0x78, 0x9C, 0xED, 0xC1, 0x01, 0x0D, 0x00, 0x00],
    ));
    png.extend(png_chunk(b"IEND", &[]));
    png
}

#[test]
fn a_decompression_bomb_is_refused_from_its_header_without_allocating() {
    let limits = MediaLimits::default();
    for (w, h) in [(100_000, 100_000), (7072, 7072), (12_001, 10)] {
        let bomb = png_claiming(w, h);
        assert!(bomb.len() < 100);
        LARGEST.with(|l| l.set(0));
        let e = ingest(&bomb, &limits).unwrap_err();
        let largest = LARGEST.with(|l| l.get());
        assert_eq!(e.key, "err_media_dimensions", "{w}×{h}");
        assert_eq!(
            e.args[..2],
            [("width", w.to_string()), ("height", h.to_string())]
        );
        assert!(
            largest < 64 * 1024,
            "{w}×{h}: allocated {largest} bytes at once"
        );
    }
    // The same claim inside limits is only refused once decoding finds the data missing.
    assert_eq!(
        key(ingest(&png_claiming(100, 100), &limits)),
        "err_media_corrupt"
    );
}

#[test]
fn exif_gps_is_stripped_from_the_master() {
    let input = with_app1(&jpeg(&halves(40, 20)), &exif_with_gps(1));
    // The hand-made block must be one a decoder understands, or the test proves nothing.
    let mut decoder = ImageReader::new(std::io::Cursor::new(&input))
        .with_guessed_format()
        .unwrap()
        .into_decoder()
        .unwrap();
    let exif = decoder
        .exif_metadata()
        .unwrap()
        .expect("test input carries EXIF");
    assert!(
        exif.windows(2).any(|w| w == [0x25, 0x88]),
        "GPS pointer present"
    );

    let got = ingest(&input, &MediaLimits::default()).unwrap();
    assert_eq!((got.format, got.width, got.height), (Format::Jpeg, 40, 20));
    let segs = segments(&got.bytes);
    assert!(
        segs.iter().all(|(m, _)| *m != 0xE1),
        "an APP1 segment survived: {segs:?}"
    );
    assert!(!got.bytes.windows(4).any(|w| w == b"Exif"));
    // Nothing else from the camera either: only JFIF, tables and the frame header remain.
    for (marker, payload) in &segs {
        let allowed = matches!(marker, 0xDB | 0xC4 | 0xC0)
            || (*marker == 0xE0 && payload.starts_with(b"JFIF"));
        assert!(allowed, "unexpected segment {marker:#04x}");
    }
}

#[test]
fn exif_orientation_6_is_applied_to_the_pixels() {
    let input = with_app1(&jpeg(&halves(40, 20)), &exif_with_gps(6));
    let got = ingest(&input, &MediaLimits::default()).unwrap();
    assert_eq!((got.width, got.height), (20, 40));
    let img = image::load_from_memory(&got.bytes).unwrap().to_rgb8();
    // Turned a quarter clockwise, the red left half is now on top.
    let (top, bottom) = (img.get_pixel(10, 5), img.get_pixel(10, 35));
    assert!(top[0] > 200 && top[2] < 60, "top {top:?}");
    assert!(bottom[2] > 200 && bottom[0] < 60, "bottom {bottom:?}");
}

#[test]
fn png_text_chunks_do_not_survive_and_alpha_does() {
    let mut png = Vec::new();
    RgbaImage::from_pixel(8, 8, Rgba([10, 20, 30, 128]))
        .write_with_encoder(PngEncoder::new(&mut png))
        .unwrap();
    // A tEXt chunk before IEND, as editing programs write them.
    let iend = png.len() - 12;
    png.splice(iend..iend, png_chunk(b"tEXt", b"Author\0Nguyen Van A"));
    assert!(png.windows(4).any(|w| w == b"tEXt"));
    let got = ingest(&png, &MediaLimits::default()).unwrap();
    assert!(!got.bytes.windows(4).any(|w| w == b"tEXt"));
    let back = image::load_from_memory(&got.bytes).unwrap().to_rgba8();
    assert_eq!(back.get_pixel(3, 3), &Rgba([10, 20, 30, 128]));
}

#[test]
fn webp_is_accepted_and_stays_webp() {
    let mut webp = Vec::new();
    halves(16, 8)
        .write_with_encoder(image::codecs::webp::WebPEncoder::new_lossless(&mut webp))
        .unwrap();
    let got = ingest(&webp, &MediaLimits::default()).unwrap();
    assert_eq!((got.format, got.width, got.height), (Format::Webp, 16, 8));
    assert_eq!(sniff(&got.bytes), Some(Format::Webp));
}
