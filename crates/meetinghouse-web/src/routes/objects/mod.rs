//! Collection objects: an organisation's list, each object's page with the
//! stories about it, its printable label, and the browser import.
pub mod import;
pub mod list;
pub mod show;
