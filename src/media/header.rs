//! Reading what a file claims about itself without decoding it.
//!
//! These readers look at a few dozen bytes, so the dimensions of a hostile file are known
//! before any decoder has had a chance to allocate for them. They only need to be right about
//! well-formed files: a file they misread is either refused as damaged or caught by the limits
//! the decoder is given.

use super::Format;

/// Width and height as the header states them, or `None` if the header is unreadable.
pub(crate) fn dimensions(format: Format, b: &[u8]) -> Option<(u32, u32)> {
    match format {
        Format::Png => png(b),
        Format::Jpeg => jpeg(b),
        Format::Webp => webp(b),
    }
}

fn be16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_be_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
    ])))
}

fn le16(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from(u16::from_le_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
    ])))
}

fn le24(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes([
        *b.get(at)?,
        *b.get(at + 1)?,
        *b.get(at + 2)?,
        0,
    ]))
}

/// IHDR is required to be the first chunk, so its place is fixed.
fn png(b: &[u8]) -> Option<(u32, u32)> {
    if b.get(12..16)? != b"IHDR" {
        return None;
    }
    let w = u32::from_be_bytes(b.get(16..20)?.try_into().ok()?);
    let h = u32::from_be_bytes(b.get(20..24)?.try_into().ok()?);
    Some((w, h))
}

fn webp(b: &[u8]) -> Option<(u32, u32)> {
    let data = 20;
    match b.get(12..16)? {
        // Lossy: a 3-byte frame tag, the start code, then two 14-bit sizes.
        b"VP8 " => {
            if b.get(data + 3..data + 6)? != [0x9D, 0x01, 0x2A] {
                return None;
            }
            Some((le16(b, data + 6)? & 0x3FFF, le16(b, data + 8)? & 0x3FFF))
        }
        // Lossless: a signature byte, then width−1 and height−1 in 14 bits each.
        b"VP8L" => {
            if *b.get(data)? != 0x2F {
                return None;
            }
            let bits = u32::from_le_bytes(b.get(data + 1..data + 5)?.try_into().ok()?);
            Some(((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1))
        }
        // Extended: the canvas size, width−1 and height−1 in 24 bits each.
        b"VP8X" => Some((le24(b, data + 4)? + 1, le24(b, data + 7)? + 1)),
        _ => None,
    }
}

/// Markers that stand alone, without a length field.
fn standalone(marker: u8) -> bool {
    matches!(marker, 0x01 | 0xD0..=0xD8)
}

/// Start-of-frame markers carry the size; C4, C8 and CC share the range but are not frames.
fn is_frame(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC)
}

/// Walks the marker segments up to the first frame header.
fn jpeg(b: &[u8]) -> Option<(u32, u32)> {
    let mut i = 2;
    loop {
        if *b.get(i)? != 0xFF {
            return None;
        }
        while *b.get(i)? == 0xFF {
            i += 1;
        }
        let marker = b[i];
        i += 1;
        if standalone(marker) {
            continue;
        }
        if matches!(marker, 0xD9 | 0xDA) {
            return None;
        }
        let len = be16(b, i)? as usize;
        if is_frame(marker) {
            // length(2) precision(1) height(2) width(2)
            return Some((be16(b, i + 5)?, be16(b, i + 3)?));
        }
        if len < 2 {
            return None;
        }
        i += len;
    }
}

/// Whether a JPEG's segments and entropy-coded scans run all the way to its end marker.
/// Whatever follows the end marker (phones append video or depth maps there) is ignored, as
/// the re-encoded master drops it anyway.
pub(crate) fn jpeg_is_complete(b: &[u8]) -> bool {
    let mut i = 2;
    loop {
        let Some(&0xFF) = b.get(i) else { return false };
        while b.get(i) == Some(&0xFF) {
            i += 1;
        }
        let Some(&marker) = b.get(i) else {
            return false;
        };
        i += 1;
        match marker {
            0xD9 => return true,
            m if standalone(m) => continue,
            _ => {}
        }
        let Some(len) = be16(b, i) else { return false };
        if len < 2 {
            return false;
        }
        i += len as usize;
        if marker == 0xDA {
            // Entropy-coded data ends at the first 0xFF that is neither a stuffed 0xFF00 nor a
            // restart marker; that byte starts the next segment.
            loop {
                let Some(off) = b
                    .get(i..)
                    .and_then(|rest| rest.iter().position(|&x| x == 0xFF))
                else {
                    return false;
                };
                i += off;
                match b.get(i + 1) {
                    None => return false,
                    Some(0x00 | 0xD0..=0xD7) => i += 2,
                    Some(_) => break,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sizes_from_each_header() {
        let mut png_head = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png_head.extend_from_slice(&640u32.to_be_bytes());
        png_head.extend_from_slice(&480u32.to_be_bytes());
        assert_eq!(dimensions(Format::Png, &png_head), Some((640, 480)));

        // RIFF header, VP8X chunk: flags, reserved, canvas 5000×3000 stored minus one.
        let mut vp8x = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0\0\0\0\0".to_vec();
        vp8x.extend_from_slice(&4999u32.to_le_bytes()[..3]);
        vp8x.extend_from_slice(&2999u32.to_le_bytes()[..3]);
        assert_eq!(dimensions(Format::Webp, &vp8x), Some((5000, 3000)));

        // SOI, an APP0 of length 4, SOF0 with 8-bit precision, height 20, width 40.
        let jpeg_head = [
            0xFF, 0xD8, 0xFF, 0xE0, 0, 4, 0, 0, 0xFF, 0xC0, 0, 11, 8, 0, 20, 0, 40, 1,
        ];
        assert_eq!(dimensions(Format::Jpeg, &jpeg_head), Some((40, 20)));
        assert_eq!(dimensions(Format::Jpeg, &jpeg_head[..12]), None);
    }

    #[test]
    fn a_jpeg_is_complete_only_with_its_end_marker_after_the_scan() {
        // SOI, SOS (length 3), data with a stuffed byte and a restart marker, EOI.
        let whole = [
            0xFF, 0xD8, 0xFF, 0xDA, 0, 3, 0, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xD9,
        ];
        assert!(jpeg_is_complete(&whole));
        let mut trailer = whole.to_vec();
        trailer.extend_from_slice(b"appended video");
        assert!(jpeg_is_complete(&trailer));
        for cut in 2..whole.len() - 1 {
            assert!(!jpeg_is_complete(&whole[..cut]), "cut at {cut}");
        }
    }
}
