//! Checking, orienting, stripping and resizing one uploaded image.

use std::io::Cursor;

use image::codecs::png::PngEncoder;
use image::{DynamicImage, ImageDecoder, ImageEncoder, ImageFormat, ImageReader};
use sha2::{Digest, Sha256};

/// Widths of the responsive derivatives, smallest first. A derivative is
/// only made when the image is wider than it (never upscaled).
pub const WIDTHS: [u32; 3] = [320, 800, 1600];
/// The master's longest edge: a 12 MP phone photo becomes 2560 × 1920.
pub const MASTER_LONG_EDGE: u32 = 2560;
/// JPEG quality of everything re-encoded as JPEG.
const JPEG_QUALITY: u8 = 82;

/// Limits checked before decoding.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest upload, in bytes (default 20 MB).
    pub max_bytes: usize,
    /// Largest image, in pixels (default 50 megapixels). Memory is bounded
    /// too, by [`MAX_DECODED_BYTES`]: deep-colour images reach that first.
    pub max_pixels: u64,
}

/// The most memory one image may take to open, in bytes: its decoded frame
/// plus, when it is not already 8-bit RGB or RGBA, the 8-bit copy it is
/// turned into. 200 MB is a 50-megapixel 8-bit RGBA frame, so ordinary
/// photos meet the pixel limit first; a 16-bit RGBA PNG (8 bytes a pixel,
/// then a 4-byte copy) is refused above about 16.7 megapixels.
pub const MAX_DECODED_BYTES: u64 = 200_000_000;

/// The largest per-image byte limit a deployment may set
/// (`--max-upload-mb`), in MB: one image that size, with the story form's
/// text, still fits in the largest request the web takes (120 MB; the web
/// crate checks the two agree as it compiles).
pub const MAX_UPLOAD_MB_SETTING: usize = 100;

/// The largest pixel limit a deployment may set (`--max-image-megapixels`),
/// in megapixels: every 8-bit image that size opens within
/// [`MAX_DECODED_BYTES`] (4 bytes a pixel: RGBA, or grey and its RGB copy).
/// Above it some images in range would be refused for memory all the same.
pub const MAX_MEGAPIXELS_SETTING: u64 = MAX_DECODED_BYTES / 4 / 1_000_000;

impl Default for Limits {
    fn default() -> Self {
        Limits { max_bytes: 20 * 1024 * 1024, max_pixels: 50_000_000 }
    }
}

/// The image types accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Jpeg,
    Png,
    WebP,
    Gif,
}

impl Kind {
    fn format(self) -> ImageFormat {
        match self {
            Kind::Jpeg => ImageFormat::Jpeg,
            Kind::Png => ImageFormat::Png,
            Kind::WebP => ImageFormat::WebP,
            Kind::Gif => ImageFormat::Gif,
        }
    }
}

/// Tells the image type from its first bytes.
pub fn sniff(bytes: &[u8]) -> Option<Kind> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(Kind::Jpeg)
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(Kind::Png)
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(Kind::Gif)
    } else if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some(Kind::WebP)
    } else {
        None
    }
}

/// Why an image was refused, in words for the person who sent it.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum MediaError {
    #[error("That file is not a JPEG, PNG, WebP or GIF image.")]
    NotAnImage,
    #[error("The file is {size_mb:.1} MB; the limit is {limit_mb} MB.")]
    TooManyBytes { size_mb: f64, limit_mb: usize },
    #[error("The image is {width} × {height} pixels ({megapixels} megapixels); the limit is {limit} megapixels.")]
    TooManyPixels { width: u32, height: u32, megapixels: u64, limit: u64 },
    #[error(
        "The image is {width} × {height} pixels in a colour format that needs {needed_mb} MB of memory to open; the limit is {limit_mb} MB. Save it as an 8-bit JPEG or PNG, or make it smaller."
    )]
    TooMuchMemory { width: u32, height: u32, needed_mb: u64, limit_mb: u64 },
    #[error("The image could not be read: it may be damaged or cut short.")]
    Corrupt,
}

/// One stored image: its bytes, size and content-addressed key.
#[derive(Debug, Clone)]
pub struct Variant {
    /// `sha256hex.jpg` or `sha256hex.png`.
    pub key: String,
    pub width: u32,
    pub height: u32,
    pub mime: &'static str,
    pub bytes: Vec<u8>,
}

/// What an upload becomes: the stripped master and its smaller derivatives.
#[derive(Debug, Clone)]
pub struct Processed {
    pub master: Variant,
    /// Smallest first; only widths below the master's.
    pub derivatives: Vec<Variant>,
}

impl Processed {
    /// Every variant, master last.
    pub fn all(&self) -> impl Iterator<Item = &Variant> {
        self.derivatives.iter().chain(std::iter::once(&self.master))
    }
}

/// Checks, orients, strips and resizes an upload.
pub fn process(bytes: &[u8], limits: &Limits) -> Result<Processed, MediaError> {
    if bytes.len() > limits.max_bytes {
        return Err(MediaError::TooManyBytes { size_mb: bytes.len() as f64 / (1024.0 * 1024.0), limit_mb: limits.max_bytes / (1024 * 1024) });
    }
    let kind = sniff(bytes).ok_or(MediaError::NotAnImage)?;
    // The header alone gives the size: refuse a bomb before decoding it.
    let reader = ImageReader::with_format(Cursor::new(bytes), kind.format());
    let (width, height) = reader.into_dimensions().map_err(|_| MediaError::Corrupt)?;
    if width == 0 || height == 0 {
        return Err(MediaError::Corrupt);
    }
    let pixels = u64::from(width) * u64::from(height);
    if pixels > limits.max_pixels {
        return Err(MediaError::TooManyPixels { width, height, megapixels: pixels.div_ceil(1_000_000), limit: limits.max_pixels / 1_000_000 });
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), kind.format());
    let mut decode_limits = image::Limits::default();
    decode_limits.max_image_width = Some(width);
    decode_limits.max_image_height = Some(height);
    // Room for the decoded frame and nothing much more (checked below too).
    decode_limits.max_alloc = Some(MAX_DECODED_BYTES.saturating_add(64 * 1024 * 1024));
    reader.limits(decode_limits);
    let mut decoder = reader.into_decoder().map_err(|_| MediaError::Corrupt)?;
    // The memory it takes, from the header: the frame in its own colour
    // format (16 bits a channel doubles it) and the 8-bit copy made from it.
    let color = decoder.color_type();
    let copy_per_pixel = match color {
        image::ColorType::Rgb8 | image::ColorType::Rgba8 => 0,
        c if c.has_alpha() => 4,
        _ => 3,
    };
    let needed = decoder.total_bytes().saturating_add(pixels.saturating_mul(copy_per_pixel));
    if needed > MAX_DECODED_BYTES {
        return Err(MediaError::TooMuchMemory { width, height, needed_mb: needed.div_ceil(1_000_000), limit_mb: MAX_DECODED_BYTES / 1_000_000 });
    }
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let img = DynamicImage::from_decoder(decoder).map_err(|_| MediaError::Corrupt)?;

    let alpha = img.color().has_alpha() && has_transparency(&img);
    // From here on, plain 8-bit pixels: RGBA when transparency matters, else
    // RGB. An 8-bit frame is kept or narrowed in place, never copied.
    let mut source = match (img, alpha) {
        (DynamicImage::ImageRgba8(b), false) => Pixels::rgba_as_rgb(b),
        (img, true) => Pixels::rgba(img.into_rgba8()),
        (img, false) => Pixels::rgb(img.into_rgb8()),
    };
    source = source.fit(MASTER_LONG_EDGE, MASTER_LONG_EDGE)?;
    // Turned upright once it is small (the fit box is square, so the size
    // is the same either way round).
    source = source.orient(orientation)?;
    let master = source.encode()?;
    // Each derivative is made from the next larger one: cheaper, and at
    // these ratios just as sharp.
    let mut derivatives = Vec::new();
    for &w in WIDTHS.iter().rev() {
        if w < source.width {
            source = source.fit(w, u32::MAX)?;
            derivatives.push(source.encode()?);
        }
    }
    derivatives.reverse();
    Ok(Processed { master, derivatives })
}

/// An 8-bit RGB or RGBA pixel buffer.
struct Pixels {
    width: u32,
    height: u32,
    alpha: bool,
    data: Vec<u8>,
}

impl Pixels {
    fn rgb(b: image::RgbImage) -> Pixels {
        Pixels { width: b.width(), height: b.height(), alpha: false, data: b.into_raw() }
    }

    fn rgba(b: image::RgbaImage) -> Pixels {
        Pixels { width: b.width(), height: b.height(), alpha: true, data: b.into_raw() }
    }

    /// An opaque RGBA frame as RGB, narrowed in its own buffer.
    fn rgba_as_rgb(b: image::RgbaImage) -> Pixels {
        let (width, height) = b.dimensions();
        let mut data = b.into_raw();
        let n = data.len() / 4;
        for i in 0..n {
            let (from, to) = (i * 4, i * 3);
            data[to] = data[from];
            data[to + 1] = data[from + 1];
            data[to + 2] = data[from + 2];
        }
        data.truncate(n * 3);
        Pixels { width, height, alpha: false, data }
    }

    /// Applies an EXIF orientation.
    fn orient(self, orientation: image::metadata::Orientation) -> Result<Pixels, MediaError> {
        if orientation == image::metadata::Orientation::NoTransforms {
            return Ok(self);
        }
        let mut img = if self.alpha {
            DynamicImage::ImageRgba8(image::RgbaImage::from_raw(self.width, self.height, self.data).ok_or(MediaError::Corrupt)?)
        } else {
            DynamicImage::ImageRgb8(image::RgbImage::from_raw(self.width, self.height, self.data).ok_or(MediaError::Corrupt)?)
        };
        img.apply_orientation(orientation);
        Ok(match img {
            DynamicImage::ImageRgba8(b) => Pixels::rgba(b),
            other => Pixels::rgb(other.into_rgb8()),
        })
    }

    /// Scales down (never up) to fit within `max_w` × `max_h`, with an
    /// antialiasing bilinear convolution (SIMD where the CPU has it).
    fn fit(self, max_w: u32, max_h: u32) -> Result<Pixels, MediaError> {
        use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer, images::Image};
        if self.width <= max_w && self.height <= max_h {
            return Ok(self);
        }
        let scale = (f64::from(max_w) / f64::from(self.width)).min(f64::from(max_h) / f64::from(self.height));
        let w = ((f64::from(self.width) * scale).round() as u32).max(1);
        let h = ((f64::from(self.height) * scale).round() as u32).max(1);
        let kind = if self.alpha { PixelType::U8x4 } else { PixelType::U8x3 };
        let src = Image::from_vec_u8(self.width, self.height, self.data, kind).map_err(|_| MediaError::Corrupt)?;
        let mut dst = Image::new(w, h, kind);
        // Colour is not premultiplied by alpha here: fully transparent
        // pixels may bleed a little colour into edges, which PNG shows as is.
        let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear)).use_alpha(false);
        Resizer::new().resize(&src, &mut dst, &options).map_err(|_| MediaError::Corrupt)?;
        Ok(Pixels { width: w, height: h, alpha: self.alpha, data: dst.into_vec() })
    }

    fn encode(&self) -> Result<Variant, MediaError> {
        let mut out = Vec::new();
        let (mime, ext) = if self.alpha {
            PngEncoder::new(&mut out)
                .write_image(&self.data, self.width, self.height, image::ExtendedColorType::Rgba8)
                .map_err(|_| MediaError::Corrupt)?;
            ("image/png", "png")
        } else {
            let w = u16::try_from(self.width).map_err(|_| MediaError::Corrupt)?;
            let h = u16::try_from(self.height).map_err(|_| MediaError::Corrupt)?;
            jpeg_encoder::Encoder::new(&mut out, JPEG_QUALITY).encode(&self.data, w, h, jpeg_encoder::ColorType::Rgb).map_err(|_| MediaError::Corrupt)?;
            ("image/jpeg", "jpg")
        };
        let hash = Sha256::digest(&out);
        let hex: String = hash.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Variant { key: format!("{hex}.{ext}"), width: self.width, height: self.height, mime, bytes: out })
    }
}

/// Whether any pixel is not fully opaque (an RGBA photo often is opaque),
/// read in place: no copy of the frame.
fn has_transparency(img: &DynamicImage) -> bool {
    match img {
        DynamicImage::ImageRgba8(b) => b.pixels().any(|p| p.0[3] != u8::MAX),
        DynamicImage::ImageLumaA8(b) => b.pixels().any(|p| p.0[1] != u8::MAX),
        DynamicImage::ImageRgba16(b) => b.pixels().any(|p| p.0[3] != u16::MAX),
        DynamicImage::ImageLumaA16(b) => b.pixels().any(|p| p.0[1] != u16::MAX),
        DynamicImage::ImageRgba32F(b) => b.pixels().any(|p| p.0[3] < 1.0),
        // Any other layout with alpha (none of the accepted formats decodes
        // to one): assume transparency rather than copy the frame to look.
        other => other.color().has_alpha(),
    }
}

