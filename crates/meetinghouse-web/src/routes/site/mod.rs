//! Site-wide pages: home, about, code of conduct, health, metrics, assets, 404.
pub mod about;
pub mod assets;
pub mod conduct;
pub mod health;
pub mod home;
pub mod media;
pub mod not_found;
