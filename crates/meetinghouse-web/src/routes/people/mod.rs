//! People: profiles, editing your own, and your own overview page.
pub mod close;
pub mod data;
pub mod edit;
pub mod email;
pub mod me;
pub mod profile;
pub mod relations;
pub mod sessions;
