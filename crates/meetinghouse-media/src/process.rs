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

/// Photos in a format phones save in that cannot be published: HEIC/HEIF
/// (iPhones and many Android phones) and AVIF. Told from an ISO media
/// file's `ftyp` box, so the refusal can say what the file is and what to
/// do with it.
fn phone_format(bytes: &[u8]) -> Option<MediaError> {
    if bytes.len() < 12 || &bytes[4..8] != b"ftyp" {
        return None;
    }
    match &bytes[8..12] {
        b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"hevx" | b"hevm" | b"hevs" | b"mif1" | b"msf1" => Some(MediaError::Heic),
        b"avif" | b"avis" => Some(MediaError::Avif),
        _ => None,
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
    /// A HEIC/HEIF photo, as iPhones and many Android phones save them.
    #[error(
        "That photo is a HEIC file (the format iPhones and many other phones save photos in), which this site cannot show yet. \
         Save it as a JPEG and add it again: on a Mac, open it in Preview and choose File, Export, JPEG; on a phone, choose it from your photo library \
         (phones send library photos as JPEG), or set the camera to save “Most Compatible” photos."
    )]
    Heic,
    /// An AVIF image.
    #[error("That image is an AVIF file, which this site cannot show yet. Save it as a JPEG or PNG and add it again.")]
    Avif,
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
    if let Some(refused) = phone_format(bytes) {
        return Err(refused);
    }
    let kind = sniff(bytes).ok_or(MediaError::NotAnImage)?;
    // A JPEG cut short decodes without an error, its missing part grey:
    // one that does not run to its end marker is refused as damaged.
    if kind == Kind::Jpeg && !jpeg_is_complete(bytes) {
        return Err(MediaError::Corrupt);
    }
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
    // Only the colour profile's meaning is kept: a Display P3 photo is
    // turned into sRGB below, as the profile itself is not stored.
    let display_p3 = decoder.icc_profile().ok().flatten().is_some_and(|icc| is_display_p3(&icc));
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
    // Converted once it is small: the stored images carry no profile, and
    // are shown as sRGB.
    if display_p3 {
        source = source.p3_to_srgb()?;
    }
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

    /// Converts Display P3 colours to sRGB (colours outside sRGB are clipped
    /// to its edge), with the image crate's own colour transforms. Should
    /// that fail, the image is kept as it was (logged): duller, not lost.
    fn p3_to_srgb(self) -> Result<Pixels, MediaError> {
        use image::metadata::Cicp;
        let failed = |e: image::ImageError| tracing::warn!(error = %e, "converting a Display P3 image to sRGB failed; kept as it was");
        let (width, height) = (self.width, self.height);
        Ok(if self.alpha {
            let mut from = image::RgbaImage::from_raw(width, height, self.data).ok_or(MediaError::Corrupt)?;
            match from.set_color_space(Cicp::DISPLAY_P3).and_then(|()| from.to_color_space::<image::Rgba<u8>>(Cicp::SRGB, image::ConvertColorOptions::default())) {
                Ok(srgb) => Pixels::rgba(srgb),
                Err(e) => {
                    failed(e);
                    Pixels::rgba(from)
                }
            }
        } else {
            let mut from = image::RgbImage::from_raw(width, height, self.data).ok_or(MediaError::Corrupt)?;
            match from.set_color_space(Cicp::DISPLAY_P3).and_then(|()| from.to_color_space::<image::Rgb<u8>>(Cicp::SRGB, image::ConvertColorOptions::default())) {
                Ok(srgb) => Pixels::rgb(srgb),
                Err(e) => {
                    failed(e);
                    Pixels::rgb(from)
                }
            }
        })
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


/// Whether a JPEG runs, marker by marker, from its start to its end-of-image
/// marker. A file cut short (sent half, copied half) ends inside its data:
/// the decoder fills what is missing with grey and reports no error, so
/// this is asked before it runs. Segments are skipped by their lengths (an
/// EXIF thumbnail's own end marker is inside one), and the compressed data
/// of each scan is read to the next marker that is neither a stuffed byte
/// nor a restart marker. Whatever follows the end marker is not looked at.
pub(crate) fn jpeg_is_complete(bytes: &[u8]) -> bool {
    // After the start-of-image marker.
    let mut at = 2;
    loop {
        // A marker may follow any number of fill bytes (0xFF).
        while bytes.get(at) == Some(&0xFF) && bytes.get(at + 1) == Some(&0xFF) {
            at += 1;
        }
        if bytes.get(at) != Some(&0xFF) {
            return false;
        }
        let Some(&marker) = bytes.get(at + 1) else { return false };
        at += 2;
        match marker {
            0xD9 => return true,
            // Markers without a length.
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let Some(length) = bytes.get(at..at + 2).map(|b| usize::from(u16::from_be_bytes([b[0], b[1]]))) else { return false };
        if length < 2 {
            return false;
        }
        at += length;
        if at > bytes.len() {
            return false;
        }
        if marker == 0xDA {
            loop {
                let Some(offset) = bytes[at..].iter().position(|&b| b == 0xFF) else { return false };
                at += offset;
                match bytes.get(at + 1) {
                    None => return false,
                    Some(0x00 | 0xD0..=0xD7) => at += 2,
                    Some(0xFF) => at += 1,
                    Some(_) => break,
                }
            }
        }
    }
}

/// Whether an ICC profile describes Display P3 (the wide colour space of
/// most phones' photos and of Mac screenshots): RGB, with the P3 primaries
/// (as D50 colorants, within the rounding of the tools that write them) and
/// the sRGB tone curve. Other profiles are not converted: the image crate
/// converts only between colour spaces it can name, and Display P3 is the
/// one photos come in that sRGB shows duller.
pub(crate) fn is_display_p3(icc: &[u8]) -> bool {
    const RED: [f64; 3] = [0.5151, 0.2412, -0.0011];
    const GREEN: [f64; 3] = [0.2920, 0.6922, 0.0419];
    const BLUE: [f64; 3] = [0.1571, 0.0666, 0.7841];
    if icc.len() < 132 || &icc[16..20] != b"RGB " {
        return false;
    }
    let colorant = |sig: &[u8; 4], want: [f64; 3]| {
        icc_tag(icc, sig).is_some_and(|t| {
            t.len() >= 20 && &t[0..4] == b"XYZ " && (0..3).all(|i| (s15_fixed16(&t[8 + 4 * i..12 + 4 * i]) - want[i]).abs() < 0.003)
        })
    };
    colorant(b"rXYZ", RED)
        && colorant(b"gXYZ", GREEN)
        && colorant(b"bXYZ", BLUE)
        && [b"rTRC", b"gTRC", b"bTRC"].iter().all(|sig| icc_tag(icc, sig).is_some_and(srgb_curve))
}

/// A tag's data in an ICC profile, by its signature.
fn icc_tag<'a>(icc: &'a [u8], sig: &[u8; 4]) -> Option<&'a [u8]> {
    let count = u32::from_be_bytes(icc.get(128..132)?.try_into().ok()?) as usize;
    (0..count.min(100)).find_map(|i| {
        let entry = icc.get(132 + 12 * i..144 + 12 * i)?;
        if &entry[0..4] != sig {
            return None;
        }
        let offset = u32::from_be_bytes(entry[4..8].try_into().ok()?) as usize;
        let size = u32::from_be_bytes(entry[8..12].try_into().ok()?) as usize;
        icc.get(offset..offset.checked_add(size)?)
    })
}

fn s15_fixed16(b: &[u8]) -> f64 {
    f64::from(i32::from_be_bytes([b[0], b[1], b[2], b[3]])) / 65536.0
}

/// The sRGB tone curve, from a value in 0–1.
fn srgb_decode(v: f64) -> f64 {
    if v <= 0.04045 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
}

/// Whether a tone-curve tag is the sRGB curve: a parametric curve with its
/// parameters, or a table that follows it.
fn srgb_curve(tag: &[u8]) -> bool {
    match tag.get(0..4) {
        Some(b"para") => {
            let kind = tag.get(8..10).map(|b| u16::from_be_bytes([b[0], b[1]]));
            let params: Vec<f64> = tag.get(12..).unwrap_or(&[]).chunks_exact(4).map(s15_fixed16).collect();
            let near = |got: Option<&f64>, want: f64| got.is_some_and(|g| (g - want).abs() < 0.002);
            matches!(kind, Some(3 | 4))
                && (params.first().is_some_and(|g| (g - 2.4).abs() < 0.01))
                && near(params.get(1), 1.0 / 1.055)
                && near(params.get(2), 0.055 / 1.055)
                && near(params.get(3), 1.0 / 12.92)
                && params.get(4).is_some_and(|d| (d - 0.04045).abs() < 0.001)
        }
        Some(b"curv") => {
            let Some(n) = tag.get(8..12).map(|b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize) else { return false };
            let Some(table) = tag.get(12..12 + 2 * n) else { return false };
            n >= 16
                && (0..=8).all(|k| {
                    let i = k * (n - 1) / 8;
                    let got = f64::from(u16::from_be_bytes([table[2 * i], table[2 * i + 1]])) / 65535.0;
                    (got - srgb_decode(i as f64 / (n - 1) as f64)).abs() < 0.01
                })
        }
        _ => false,
    }
}
