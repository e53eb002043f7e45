//! Printable labels with a QR code: `GET /stories/{id}/label`,
//! `GET /prompts/{id}/label` (and objects', added with the collection).
//! `?size=a6` (a card, the default) or `?size=a4` (a poster); print CSS lays
//! them out.
pub mod show;

use qrcode::QrCode;
use qrcode::render::svg;

/// What a label's QR code is called for screen readers: the address is
/// printed just below it, so it is not read twice.
pub const QR_LABEL: &str = "QR code for the address printed below";

/// An accessible SVG QR code for a URL.
pub fn qr_svg(url: &str, label: &str) -> String {
    match QrCode::new(url.as_bytes()) {
        Ok(code) => {
            let svg = code
                .render::<svg::Color<'_>>()
                .min_dimensions(240, 240)
                .dark_color(svg::Color("#000000"))
                .light_color(svg::Color("#ffffff"))
                .build();
            // Make it an accessible image: a role and a title for screen readers.
            let body = svg.split_once("<svg").map(|(_, rest)| rest).unwrap_or(&svg);
            let title = label.replace('&', "&amp;").replace('<', "&lt;");
            match body.split_once('>') {
                Some((attrs, inner)) => format!("<svg role=\"img\" aria-label=\"{title}\"{attrs}><title>{title}</title>{inner}"),
                None => String::new(),
            }
        }
        Err(_) => String::new(),
    }
}
