//! Images people upload, made safe to publish, and where they are kept.
//!
//! [`process`] takes the uploaded bytes and returns re-encoded images only:
//! the type is told from the bytes (never the file name), the byte and pixel
//! limits are checked from the header before anything is decoded (so a
//! decompression bomb costs nothing), the EXIF orientation is applied, and
//! re-encoding drops every piece of metadata (EXIF with GPS, XMP, IPTC,
//! comments, ICC). It keeps a master (long edge capped) and responsive
//! derivatives, each named by the SHA-256 of its bytes.
//!
//! [`MediaStore`] keeps those bytes on the local filesystem (the default) or
//! in S3-compatible object storage (the scale-out option).

mod process;
mod s3;
mod store;

pub use process::{Kind, Limits, MediaError, Processed, Variant, WIDTHS, MASTER_LONG_EDGE, process, sniff};
pub use s3::{S3Config, S3Store};
pub use store::{LocalStore, MediaStore, StoreError};
