//! Images people upload, made safe to publish, and where they are kept.
//!
//! [`process`] takes the uploaded bytes and returns re-encoded images only:
//! the type is told from the bytes (never the file name; HEIC and AVIF
//! photos are named in the refusal), the byte and pixel limits are checked
//! from the header before anything is decoded (so a decompression bomb costs
//! nothing), a JPEG that does not run to its end is refused as cut short
//! (the decoder would fill the rest with grey), the EXIF orientation is
//! applied, a Display P3 image's colours are turned into sRGB, and
//! re-encoding drops every piece of metadata (EXIF with GPS, XMP, IPTC,
//! comments, ICC). It keeps a master (long edge capped) and responsive
//! derivatives, each named by the SHA-256 of its bytes.
//!
//! [`MediaStore`] keeps those bytes on the local filesystem (the default) or
//! in S3-compatible object storage (the scale-out option).

mod process;
mod s3;
mod store;

pub use process::{
    Kind, Limits, MAX_DECODED_BYTES, MAX_MEGAPIXELS_SETTING, MAX_UPLOAD_MB_SETTING, MediaError, Processed, Variant, WIDTHS, MASTER_LONG_EDGE, process, sniff,
};
pub use s3::{BucketState, S3Config, S3Store};
pub use store::{LocalStore, MediaStore, StoreError};

/// A generated landscape-like picture as a JPEG: sky, hills and a sun whose
/// colours and shapes follow `seed`. For the demo town and tests, where
/// "generated images are fine".
pub fn generated_picture(seed: u64, width: u32, height: u32) -> Vec<u8> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let sky = [(next() % 120) as f32 + 100.0, (next() % 100) as f32 + 140.0, (next() % 60) as f32 + 190.0];
    let land = [(next() % 90) as f32 + 40.0, (next() % 100) as f32 + 100.0, (next() % 60) as f32 + 30.0];
    let (sun_x, sun_y, sun_r) = ((next() % u64::from(width)) as f32, (next() % u64::from(height / 3 + 1)) as f32, (height / 12 + 4) as f32);
    let (freq, phase, amp) = (2.0 + (next() % 5) as f32, (next() % 628) as f32 / 100.0, (next() % 80) as f32 / 1000.0 + 0.04);
    let img = image::RgbImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32 / width as f32, y as f32 / height as f32);
        let horizon = 0.55 + amp * (fx * freq * std::f32::consts::TAU / 2.0 + phase).sin();
        let mut c = if fy < horizon {
            let t = fy / horizon;
            [sky[0] * (1.0 - 0.3 * t) + 60.0 * t, sky[1] * (1.0 - 0.2 * t) + 40.0 * t, sky[2]]
        } else {
            let t = (fy - horizon) / (1.0 - horizon);
            [land[0] * (1.0 - 0.4 * t), land[1] * (1.0 - 0.3 * t), land[2] * (1.0 - 0.4 * t)]
        };
        let d = ((x as f32 - sun_x).powi(2) + (y as f32 - sun_y).powi(2)).sqrt();
        if d < sun_r && fy < horizon {
            c = [255.0, 225.0, 140.0];
        }
        image::Rgb([c[0].clamp(0.0, 255.0) as u8, c[1].clamp(0.0, 255.0) as u8, c[2].clamp(0.0, 255.0) as u8])
    });
    let mut out = Vec::new();
    let _ = jpeg_encoder::Encoder::new(&mut out, 88).encode(img.as_raw(), width as u16, height as u16, jpeg_encoder::ColorType::Rgb);
    out
}

/// Installs the process's one TLS crypto provider (ring) for outbound HTTPS,
/// if none is installed yet. Every HTTP client in the process needs it.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
