//! Memory as well as pixels: a small deep-colour PNG that would take hundreds
//! of megabytes to open is refused from its header, with a clear message;
//! small 16-bit images still work.

use std::io::Cursor;

use image::{DynamicImage, ImageBuffer, ImageFormat, Rgb, Rgba};
use meetinghouse_media::{Limits, MAX_DECODED_BYTES, MediaError, process};

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
    out
}

/// Writes deflate bits, least significant first.
struct Bits {
    out: Vec<u8>,
    acc: u64,
    n: u32,
}

impl Bits {
    fn put(&mut self, value: u32, count: u32) {
        self.acc |= u64::from(value) << self.n;
        self.n += count;
        while self.n >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.n -= 8;
        }
    }
    /// A Huffman code, most significant bit first.
    fn code(&mut self, code: u32, count: u32) {
        self.put(code.reverse_bits() >> (32 - count), count);
    }
}

/// A zlib stream of `n` zero bytes: one fixed-Huffman block of a literal
/// zero and then copies of 258 bytes at distance 1 (13 bits each).
fn zlib_zeros(n: u64) -> Vec<u8> {
    let mut b = Bits { out: vec![0x78, 0x01], acc: 0, n: 0 };
    b.put(1, 1); // the last block
    b.put(1, 2); // fixed Huffman codes
    b.code(0x30, 8); // literal 0
    let mut left = n - 1;
    while left >= 258 {
        b.code(0b1100_0101, 8); // length 258 (code 285)
        b.code(0, 5); // distance 1
        left -= 258;
    }
    for _ in 0..left {
        b.code(0x30, 8);
    }
    b.code(0, 7); // end of block
    let pad = (8 - b.n) % 8;
    b.put(0, pad); // to a whole byte
    let adler = (((n % 65_521) as u32) << 16) | 1;
    b.out.extend_from_slice(&adler.to_be_bytes());
    b.out
}

/// A real, valid 16-bit RGBA PNG of `width` × `height` transparent black
/// pixels: a small file that decodes to 8 bytes a pixel.
fn png_rgba16(width: u32, height: u32) -> Vec<u8> {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&width.to_be_bytes());
    ihdr.extend_from_slice(&height.to_be_bytes());
    ihdr.extend_from_slice(&[16, 6, 0, 0, 0]);
    png.extend_from_slice(&png_chunk(b"IHDR", &ihdr));
    // Each row: a filter byte (0) and 8 bytes a pixel, all zero.
    let raw = u64::from(height) * (1 + u64::from(width) * 8);
    png.extend_from_slice(&png_chunk(b"IDAT", &zlib_zeros(raw)));
    png.extend_from_slice(&png_chunk(b"IEND", b""));
    png
}

#[test]
fn the_generated_png_is_a_real_one() {
    let bytes = png_rgba16(40, 30);
    let img = image::load_from_memory_with_format(&bytes, ImageFormat::Png).expect("a valid PNG");
    assert_eq!((img.width(), img.height(), img.color()), (40, 30, image::ColorType::Rgba16));
    assert!(img.as_rgba16().unwrap().pixels().all(|p| p.0 == [0, 0, 0, 0]));
}

#[test]
fn a_small_deep_colour_png_that_needs_too_much_memory_is_refused() {
    // 5,000 × 4,000 = 20 megapixels, under the 50-megapixel limit, but
    // 160 MB decoded at 16 bits a channel plus an 80 MB 8-bit copy.
    let bytes = png_rgba16(5_000, 4_000);
    assert!(bytes.len() < 2 * 1024 * 1024, "the file is small: {} bytes", bytes.len());
    let err = process(&bytes, &Limits::default()).unwrap_err();
    assert_eq!(err, MediaError::TooMuchMemory { width: 5_000, height: 4_000, needed_mb: 240, limit_mb: MAX_DECODED_BYTES / 1_000_000 });
    assert_eq!(
        err.to_string(),
        "The image is 5000 × 4000 pixels in a colour format that needs 240 MB of memory to open; the limit is 200 MB. Save it as an 8-bit JPEG or PNG, or make it smaller."
    );
}

#[test]
fn small_deep_colour_images_still_work() {
    // 16-bit RGBA with transparency stays a PNG with its alpha.
    let rgba = ImageBuffer::from_fn(64, 48, |x, _| Rgba([u16::MAX, 0, 0, if x < 32 { 0 } else { u16::MAX }]));
    let mut bytes = Cursor::new(Vec::new());
    DynamicImage::ImageRgba16(rgba).write_to(&mut bytes, ImageFormat::Png).unwrap();
    let p = process(bytes.get_ref(), &Limits::default()).unwrap();
    assert_eq!((p.master.mime, p.master.width, p.master.height), ("image/png", 64, 48));
    let out = image::load_from_memory(&p.master.bytes).unwrap().to_rgba8();
    assert_eq!(out.get_pixel(0, 0).0[3], 0);
    assert_eq!(out.get_pixel(63, 0).0, [255, 0, 0, 255]);

    // Opaque 16-bit RGBA, and 16-bit RGB: JPEG.
    let opaque = ImageBuffer::from_pixel(64, 48, Rgba([0u16, u16::MAX, 0, u16::MAX]));
    let rgb = ImageBuffer::from_pixel(64, 48, Rgb([0u16, 0, u16::MAX]));
    for img in [DynamicImage::ImageRgba16(opaque), DynamicImage::ImageRgb16(rgb)] {
        let mut bytes = Cursor::new(Vec::new());
        img.write_to(&mut bytes, ImageFormat::Png).unwrap();
        let p = process(bytes.get_ref(), &Limits::default()).unwrap();
        assert_eq!((p.master.mime, p.master.width, p.master.height), ("image/jpeg", 64, 48));
    }

    // Opaque 8-bit RGBA is narrowed to RGB in place, colours intact.
    let opaque8 = ImageBuffer::from_fn(64, 48, |x, y| Rgba([(x * 4) as u8, (y * 5) as u8, 200, 255]));
    let mut bytes = Cursor::new(Vec::new());
    DynamicImage::ImageRgba8(opaque8).write_to(&mut bytes, ImageFormat::Png).unwrap();
    let p = process(bytes.get_ref(), &Limits::default()).unwrap();
    assert_eq!(p.master.mime, "image/jpeg");
    let out = image::load_from_memory(&p.master.bytes).unwrap().to_rgb8();
    let px = out.get_pixel(40, 30).0;
    assert!(px[0].abs_diff(160) < 12 && px[1].abs_diff(150) < 12 && px[2].abs_diff(200) < 12, "{px:?}");
}
