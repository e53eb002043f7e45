//! The media pipeline on real encoded images: metadata stripped (EXIF with
//! GPS, PNG text chunks), orientation applied, derivative sizes, GIF's first
//! frame, WebP, Display P3 colours turned into sRGB, and refusals (wrong
//! type, HEIC and AVIF named, too many bytes, a decompression bomb refused
//! from its header alone, a JPEG cut short anywhere, a small deep-colour PNG
//! that would take hundreds of megabytes to open); small 16-bit images still
//! work.

use std::io::Cursor;

use image::{DynamicImage, ImageBuffer, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use meetinghouse_media::{Limits, MAX_DECODED_BYTES, MediaError, process};

/// A photographic-ish test card: gradients and a marked top-left corner.
fn card(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        if x < w / 4 && y < h / 4 { Rgb([250, 20, 20]) } else { Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, ((x + y) % 200) as u8]) }
    })
}

fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// An EXIF APP1 payload (big-endian TIFF): ImageDescription with a marker,
/// Orientation = 6 (rotate 90° clockwise to display), and a GPS IFD with a latitude.
fn exif_app1() -> Vec<u8> {
    let mut t = Vec::new();
    t.extend_from_slice(b"MM\0\x2a\0\0\0\x08");
    t.extend_from_slice(&3u16.to_be_bytes());
    let desc = b"SECRET-GPS-50.9\0";
    // ImageDescription, ASCII, 16 bytes at offset 92.
    t.extend_from_slice(&[0x01, 0x0E, 0, 2]);
    t.extend_from_slice(&(desc.len() as u32).to_be_bytes());
    t.extend_from_slice(&92u32.to_be_bytes());
    // Orientation, SHORT, 6.
    t.extend_from_slice(&[0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0]);
    // GPS IFD pointer, LONG, offset 50.
    t.extend_from_slice(&[0x88, 0x25, 0, 4, 0, 0, 0, 1]);
    t.extend_from_slice(&50u32.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    assert_eq!(t.len(), 50);
    t.extend_from_slice(&1u16.to_be_bytes());
    // GPSLatitude, RATIONAL ×3 at offset 68.
    t.extend_from_slice(&[0x00, 0x02, 0, 5, 0, 0, 0, 3]);
    t.extend_from_slice(&68u32.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    assert_eq!(t.len(), 68);
    for (n, d) in [(50u32, 1u32), (54, 1), (1234, 100)] {
        t.extend_from_slice(&n.to_be_bytes());
        t.extend_from_slice(&d.to_be_bytes());
    }
    assert_eq!(t.len(), 92);
    t.extend_from_slice(desc);
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&t);
    let mut seg = vec![0xFF, 0xE1];
    seg.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    seg.extend_from_slice(&payload);
    seg
}

fn jpeg_with_exif(w: u32, h: u32) -> Vec<u8> {
    let plain = encode(&DynamicImage::ImageRgb8(card(w, h)), ImageFormat::Jpeg);
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&exif_app1());
    // An XMP packet and a comment too.
    let xmp = b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>SECRET-XMP</x:xmpmeta>";
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&((xmp.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(xmp);
    let com = b"SECRET-COMMENT";
    out.extend_from_slice(&[0xFF, 0xFE]);
    out.extend_from_slice(&((com.len() + 2) as u16).to_be_bytes());
    out.extend_from_slice(com);
    out.extend_from_slice(&plain[2..]);
    out
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
        }
    }
    !c
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = (data.len() as u32).to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend_from_slice(data);
    c.extend_from_slice(&body);
    c.extend_from_slice(&crc32(&body).to_be_bytes());
    c
}

#[test]
fn a_jpeg_loses_exif_gps_xmp_and_comments_and_is_turned_upright() {
    let bytes = jpeg_with_exif(1200, 900);
    assert!(contains(&bytes, b"SECRET-GPS") && contains(&bytes, b"Exif"), "the fixture carries metadata");
    let p = process(&bytes, &Limits::default()).expect("accepted");
    // Orientation 6: stored 1200 × 900 landscape, shown 900 × 1200 portrait.
    assert_eq!((p.master.width, p.master.height), (900, 1200));
    assert_eq!(p.master.mime, "image/jpeg");
    for v in p.all() {
        for secret in [b"Exif".as_slice(), b"SECRET", b"xmpmeta", b"http://ns.adobe.com"] {
            assert!(!contains(&v.bytes, secret), "{} still holds {:?}", v.key, String::from_utf8_lossy(secret));
        }
        let decoded = image::load_from_memory(&v.bytes).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (v.width, v.height));
    }
    // The red corner was top-left before rotating 90° clockwise: now top-right.
    let master = image::load_from_memory(&p.master.bytes).unwrap().to_rgb8();
    let top_right = master.get_pixel(890, 10);
    assert!(top_right.0[0] > 200 && top_right.0[1] < 80, "rotated: {top_right:?}");
    // Derivatives: 320 and 800 wide (the master is 900 wide, so no 1600).
    let widths: Vec<u32> = p.derivatives.iter().map(|d| d.width).collect();
    assert_eq!(widths, vec![320, 800]);
    assert_eq!(p.derivatives[0].height, 427);
    // Content-addressed: the key is the SHA-256 of the bytes.
    use sha2::Digest;
    let hex: String = sha2::Sha256::digest(&p.master.bytes).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(p.master.key, format!("{hex}.jpg"));
    // The same upload gives the same keys.
    assert_eq!(process(&bytes, &Limits::default()).unwrap().master.key, p.master.key);
}

#[test]
fn big_photos_get_a_capped_master_and_three_derivatives() {
    let bytes = encode(&DynamicImage::ImageRgb8(card(4000, 3000)), ImageFormat::Jpeg);
    let p = process(&bytes, &Limits::default()).unwrap();
    assert_eq!((p.master.width, p.master.height), (2560, 1920));
    assert_eq!(p.derivatives.iter().map(|d| (d.width, d.height)).collect::<Vec<_>>(), vec![(320, 240), (800, 600), (1600, 1200)]);
}

#[test]
fn png_text_chunks_are_dropped_and_transparency_kept() {
    let img = RgbaImage::from_fn(400, 300, |x, _| Rgba([0, 0, 200, if x < 200 { 0 } else { 255 }]));
    let plain = encode(&DynamicImage::ImageRgba8(img), ImageFormat::Png);
    // Insert tEXt and eXIf chunks after IHDR (8-byte signature + 25-byte IHDR).
    let mut bytes = plain[..33].to_vec();
    bytes.extend_from_slice(&png_chunk(b"tEXt", b"Comment\0SECRET-PNG-TEXT"));
    bytes.extend_from_slice(&png_chunk(b"eXIf", &exif_app1()[10..]));
    bytes.extend_from_slice(&plain[33..]);
    let p = process(&bytes, &Limits::default()).unwrap();
    assert_eq!(p.master.mime, "image/png", "transparency needs PNG");
    for v in p.all() {
        assert!(!contains(&v.bytes, b"SECRET") && !contains(&v.bytes, b"tEXt") && !contains(&v.bytes, b"eXIf"));
    }
    // An RGBA image that is fully opaque is a photo: JPEG.
    let opaque = encode(&DynamicImage::ImageRgba8(RgbaImage::from_pixel(50, 50, Rgba([1, 2, 3, 255]))), ImageFormat::Png);
    assert_eq!(process(&opaque, &Limits::default()).unwrap().master.mime, "image/jpeg");
}

#[test]
fn gif_first_frame_and_webp_are_accepted() {
    use image::codecs::gif::GifEncoder;
    use image::{Delay, Frame};
    let mut gif = Vec::new();
    {
        let mut enc = GifEncoder::new(&mut gif);
        let red = RgbaImage::from_pixel(64, 48, Rgba([255, 0, 0, 255]));
        let green = RgbaImage::from_pixel(64, 48, Rgba([0, 255, 0, 255]));
        enc.encode_frames(vec![Frame::from_parts(red, 0, 0, Delay::from_numer_denom_ms(100, 1)), Frame::from_parts(green, 0, 0, Delay::from_numer_denom_ms(100, 1))])
            .unwrap();
    }
    let p = process(&gif, &Limits::default()).unwrap();
    let first = image::load_from_memory(&p.master.bytes).unwrap().to_rgb8();
    assert!(first.get_pixel(10, 10).0[0] > 200, "the first frame (red) is kept");
    assert_eq!((p.master.width, p.master.height), (64, 48));

    let webp = encode(&DynamicImage::ImageRgb8(card(500, 400)), ImageFormat::WebP);
    let p = process(&webp, &Limits::default()).unwrap();
    assert_eq!((p.master.width, p.derivatives.len()), (500, 1));
}

#[test]
fn refusals_are_explained_before_decoding() {
    let limits = Limits::default();
    assert_eq!(process(b"%PDF-1.7 not an image", &limits).unwrap_err(), MediaError::NotAnImage);
    assert_eq!(process(b"<svg xmlns='http://www.w3.org/2000/svg'/>", &limits).unwrap_err(), MediaError::NotAnImage);
    let small = Limits { max_bytes: 1024, ..limits };
    let bytes = jpeg_with_exif(300, 200);
    assert!(bytes.len() > 1024);
    assert!(matches!(process(&bytes, &small), Err(MediaError::TooManyBytes { .. })));
    // 21 MB of anything is refused before its type is even looked at.
    let big = vec![0u8; 21 * 1024 * 1024];
    assert_eq!(process(&big, &limits).unwrap_err().to_string(), "The file is 21.0 MB; the limit is 20 MB.");

    // A decompression bomb: a valid PNG header claiming 100,000 × 100,000
    // pixels (10 gigapixels). Refused from the header, without decoding.
    let mut bomb = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&100_000u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    bomb.extend_from_slice(&png_chunk(b"IHDR", &ihdr));
    bomb.extend_from_slice(&png_chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]));
    bomb.extend_from_slice(&png_chunk(b"IEND", b""));
    // Decoding would need 40 GB, so getting this answer at all shows the
    // header was read and the pixels were not (how fast is the benchmark's
    // business, not a test's).
    let err = process(&bomb, &limits).unwrap_err();
    assert!(matches!(err, MediaError::TooManyPixels { width: 100_000, height: 100_000, .. }), "{err:?}");
    assert_eq!(err.to_string(), "The image is 100000 × 100000 pixels (10000 megapixels); the limit is 50 megapixels.");

    // The same trick in a real JPEG (SOF0 patched to 60,000 × 60,000) and a
    // real GIF (screen and frame patched to 65,535 × 65,535).
    let mut jpeg = encode(&DynamicImage::ImageRgb8(card(64, 48)), ImageFormat::Jpeg);
    let sof = jpeg.windows(2).position(|w| w == [0xFF, 0xC0]).expect("baseline JPEG");
    jpeg[sof + 5..sof + 9].copy_from_slice(&[0xEA, 0x60, 0xEA, 0x60]);
    let err = process(&jpeg, &limits).unwrap_err();
    assert!(matches!(err, MediaError::TooManyPixels { width: 60_000, height: 60_000, megapixels: 3600, limit: 50 }), "{err:?}");
    let mut gif = encode(&DynamicImage::ImageRgba8(RgbaImage::from_pixel(8, 8, Rgba([1, 2, 3, 255]))), ImageFormat::Gif);
    gif[6..10].copy_from_slice(&[0xFF; 4]);
    let desc = gif.iter().position(|&b| b == 0x2C).expect("an image descriptor");
    gif[desc + 5..desc + 9].copy_from_slice(&[0xFF; 4]);
    let err = process(&gif, &limits).unwrap_err();
    assert!(matches!(err, MediaError::TooManyPixels { width: 65_535, height: 65_535, .. }), "{err:?}");
    // A lower limit applies too.
    let tight = Limits { max_pixels: 1_000_000, ..limits };
    let photo = encode(&DynamicImage::ImageRgb8(card(1200, 1000)), ImageFormat::Jpeg);
    assert_eq!(process(&photo, &tight).unwrap_err().to_string(), "The image is 1200 × 1000 pixels (2 megapixels); the limit is 1 megapixels.");

    // A JPEG cut short.
    let cut = &bytes[..bytes.len() / 3];
    assert_eq!(process(cut, &limits).unwrap_err(), MediaError::Corrupt);
    assert_eq!(process(&bytes[..40], &limits).unwrap_err(), MediaError::Corrupt);
}

/// A JPEG made by `jpeg_encoder`: baseline or progressive, with restart
/// markers or not.
fn jpeg(img: &RgbImage, progressive: bool, restarts: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut e = jpeg_encoder::Encoder::new(&mut out, 85);
    e.set_progressive(progressive);
    if restarts {
        e.set_restart_interval(2);
    }
    e.encode(img.as_raw(), img.width() as u16, img.height() as u16, jpeg_encoder::ColorType::Rgb).unwrap();
    out
}

/// A JPEG cut short decodes "successfully" with its missing part grey (the
/// decoder does not say): cut anywhere, baseline or progressive, with
/// restart markers or an EXIF block holding an end marker of its own, it is
/// refused as damaged. Whole, and with bytes after its end, it is taken.
#[test]
fn a_jpeg_cut_short_anywhere_is_refused_as_damaged() {
    let limits = Limits::default();
    let picture = card(64, 48);
    // An APP1 block whose bytes hold an end-of-image marker, as an EXIF
    // thumbnail does.
    let mut with_thumbnail = jpeg(&picture, false, false);
    let thumb: &[u8] = b"Exif\0\0\xFF\xD8\xFF\xD9";
    let mut app1 = vec![0xFF, 0xE1];
    app1.extend_from_slice(&((thumb.len() + 2) as u16).to_be_bytes());
    app1.extend_from_slice(thumb);
    with_thumbnail.splice(2..2, app1);
    for (name, whole) in [
        ("baseline", jpeg(&picture, false, false)),
        ("progressive", jpeg(&picture, true, false)),
        ("restart markers", jpeg(&picture, false, true)),
        ("progressive with restart markers", jpeg(&picture, true, true)),
        ("an end marker inside EXIF", with_thumbnail),
    ] {
        let p = process(&whole, &limits).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!((p.master.width, p.master.height), (64, 48), "{name}");
        let mut trailing = whole.clone();
        trailing.extend_from_slice(b"bytes some cameras add after the image");
        assert!(process(&trailing, &limits).is_ok(), "{name}: bytes after the end");
        for len in 3..whole.len() - 1 {
            assert_eq!(process(&whole[..len], &limits).unwrap_err(), MediaError::Corrupt, "{name} cut to {len} of {} bytes", whole.len());
        }
    }

    // A real photo-sized one cut where a phone's upload might stop: refused,
    // not published with a grey block.
    let photo = meetinghouse_media::generated_picture(7, 800, 1200);
    for fraction in [0.3, 0.6, 0.9, 0.999] {
        let len = (photo.len() as f64 * fraction) as usize;
        assert_eq!(process(&photo[..len], &limits).unwrap_err(), MediaError::Corrupt, "cut at {fraction}");
    }
    assert!(process(&photo, &limits).is_ok());
}

/// HEIC and AVIF, as phones save photos, are told apart from other files so
/// the person hears what to do.
#[test]
fn heic_and_avif_photos_are_named_with_the_way_forward() {
    let limits = Limits::default();
    let ftyp = |brand: &[u8; 4]| {
        let mut b = vec![0, 0, 0, 24];
        b.extend_from_slice(b"ftyp");
        b.extend_from_slice(brand);
        b.extend_from_slice(&[0, 0, 0, 0]);
        b.extend_from_slice(b"mif1heic");
        b.extend_from_slice(&[0; 64]);
        b
    };
    for brand in [b"heic", b"heix", b"mif1"] {
        let err = process(&ftyp(brand), &limits).unwrap_err();
        assert_eq!(err, MediaError::Heic);
        assert!(err.to_string().contains("HEIC") && err.to_string().contains("JPEG"), "{err}");
    }
    assert_eq!(process(&ftyp(b"avif"), &limits).unwrap_err(), MediaError::Avif);
    // A video is not a photo format at all.
    assert_eq!(process(&ftyp(b"isom"), &limits).unwrap_err(), MediaError::NotAnImage);
}

/// A minimal ICC profile: RGB, the given D50 colorants and the sRGB tone
/// curve (parametric), the tags this pipeline reads.
fn icc_profile(red: [f64; 3], green: [f64; 3], blue: [f64; 3]) -> Vec<u8> {
    let fixed = |v: f64| ((v * 65536.0).round() as i32).to_be_bytes();
    let xyz = |c: [f64; 3]| {
        let mut t = b"XYZ \0\0\0\0".to_vec();
        for v in c {
            t.extend_from_slice(&fixed(v));
        }
        t
    };
    let mut trc = b"para\0\0\0\0\0\x03\0\0".to_vec();
    for v in [2.4, 1.0 / 1.055, 0.055 / 1.055, 1.0 / 12.92, 0.04045] {
        trc.extend_from_slice(&fixed(v));
    }
    let tags: Vec<(&[u8; 4], Vec<u8>)> = vec![(b"rXYZ", xyz(red)), (b"gXYZ", xyz(green)), (b"bXYZ", xyz(blue)), (b"rTRC", trc.clone()), (b"gTRC", trc.clone()), (b"bTRC", trc)];
    let mut header = vec![0u8; 128];
    header[8..12].copy_from_slice(&[4, 0x30, 0, 0]);
    header[12..16].copy_from_slice(b"mntr");
    header[16..20].copy_from_slice(b"RGB ");
    header[20..24].copy_from_slice(b"XYZ ");
    header[36..40].copy_from_slice(b"acsp");
    let mut table = (tags.len() as u32).to_be_bytes().to_vec();
    let mut data = Vec::new();
    let start = 128 + 4 + 12 * tags.len();
    for (sig, bytes) in &tags {
        table.extend_from_slice(*sig);
        table.extend_from_slice(&((start + data.len()) as u32).to_be_bytes());
        table.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
        data.extend_from_slice(bytes);
    }
    let mut icc = header;
    icc.extend_from_slice(&table);
    icc.extend_from_slice(&data);
    let size = (icc.len() as u32).to_be_bytes();
    icc[0..4].copy_from_slice(&size);
    icc
}

/// The average colour of an encoded image's middle.
fn middle_colour(bytes: &[u8]) -> [u8; 3] {
    let img = image::load_from_memory(bytes).unwrap().into_rgb8();
    img.get_pixel(img.width() / 2, img.height() / 2).0
}

/// A Display P3 photo (most phones', and Mac screenshots) is turned into
/// sRGB before its profile is dropped, so it does not look duller than it
/// is; a photo with an sRGB profile, or none, keeps its colours.
#[test]
fn display_p3_colours_are_turned_into_srgb() {
    const P3: ([f64; 3], [f64; 3], [f64; 3]) = ([0.5151, 0.2412, -0.0011], [0.2920, 0.6922, 0.0419], [0.1571, 0.0666, 0.7841]);
    const SRGB: ([f64; 3], [f64; 3], [f64; 3]) = ([0.4361, 0.2225, 0.0139], [0.3851, 0.7169, 0.0971], [0.1431, 0.0606, 0.7141]);
    let red = RgbImage::from_pixel(200, 100, Rgb([200, 60, 60]));
    let with = |profile: Option<([f64; 3], [f64; 3], [f64; 3])>| {
        let mut out = Vec::new();
        let mut e = jpeg_encoder::Encoder::new(&mut out, 95);
        if let Some((r, g, b)) = profile {
            e.add_icc_profile(&icc_profile(r, g, b)).unwrap();
        }
        e.encode(red.as_raw(), 200, 100, jpeg_encoder::ColorType::Rgb).unwrap();
        let p = process(&out, &Limits::default()).unwrap();
        middle_colour(&p.master.bytes)
    };
    let [r, g, _] = with(None);
    assert!(r.abs_diff(200) <= 3 && g.abs_diff(60) <= 3, "no profile: kept ({r}, {g})");
    let [r, g, _] = with(Some(SRGB));
    assert!(r.abs_diff(200) <= 3 && g.abs_diff(60) <= 3, "an sRGB profile: kept ({r}, {g})");
    // P3 (200, 60, 60) is about (218, 42, 52) in sRGB.
    let [r, g, b] = with(Some(P3));
    assert!(r >= 212 && g <= 48 && b <= 56, "Display P3 turned into sRGB: ({r}, {g}, {b})");
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
