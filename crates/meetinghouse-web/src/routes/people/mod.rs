//! People: profiles, editing your own, and your own overview page.
pub mod edit;
pub mod me;
pub mod profile;
