//! Processing time of a 12 MP JPEG upload (issue 3's target: < 400 ms on one core).
//!
//!     cargo run --release -p meetinghouse-media --example bench_upload [RUNS]
//!
//! Generates a 4000 × 3000 photograph-like JPEG (smooth gradients plus
//! sensor-like noise, quality 90, with an EXIF block carrying GPS), then
//! times `process` — header check, decode, orient, master at 2560 px,
//! derivatives at 1600, 800 and 320 px, JPEG re-encoding and hashing — on
//! this one thread, and prints the median, minimum and maximum.

use std::io::Cursor;
use std::time::Instant;

use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};

fn main() {
    let runs: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(15);
    let (w, h) = (4000u32, 3000u32);
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut noise = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % 24) as i32 - 12
    };
    let img = RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        let base = [
            90.0 + 120.0 * fy + 30.0 * (fx * 9.0).sin(),
            120.0 + 80.0 * (1.0 - fy) + 25.0 * (fy * 13.0 + fx * 4.0).cos(),
            160.0 * (1.0 - fy) + 40.0 * fx,
        ];
        let mut px = [0u8; 3];
        for c in 0..3 {
            px[c] = (base[c] as i32 + noise()).clamp(0, 255) as u8;
        }
        Rgb(px)
    });
    let mut jpeg = Vec::new();
    JpegEncoder::new_with_quality(&mut Cursor::new(&mut jpeg), 90).encode_image(&img).unwrap();
    // EXIF with a GPS IFD, as phones write it.
    let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\x01\x88\x25\0\x04\0\0\0\x01\0\0\0\x1a\0\0\0\0\0\x01\0\x01\0\x02\0\0\0\x02N\0\0\0\0\0\0\0".to_vec();
    let mut seg = vec![0xFF, 0xE1];
    seg.extend_from_slice(&((exif.len() + 2) as u16).to_be_bytes());
    seg.append(&mut exif);
    let mut upload = jpeg[..2].to_vec();
    upload.extend_from_slice(&seg);
    upload.extend_from_slice(&jpeg[2..]);
    println!("input: {w} x {h} JPEG ({:.1} MP), {:.1} MB", (w * h) as f64 / 1e6, upload.len() as f64 / 1e6);

    let limits = meetinghouse_media::Limits::default();
    let mut times = Vec::new();
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        let p = meetinghouse_media::process(&upload, &limits).expect("processed");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        out = Some(p);
    }
    times.sort_by(f64::total_cmp);
    let p = out.unwrap();
    println!(
        "output: master {}x{} ({} KB), derivatives {}",
        p.master.width,
        p.master.height,
        p.master.bytes.len() / 1024,
        p.derivatives.iter().map(|d| format!("{}x{} ({} KB)", d.width, d.height, d.bytes.len() / 1024)).collect::<Vec<_>>().join(", ")
    );
    println!(
        "12 MP upload processing over {runs} runs on one thread: median {:.0} ms, min {:.0} ms, max {:.0} ms (target < 400 ms)",
        times[times.len() / 2],
        times[0],
        times[times.len() - 1]
    );
}
