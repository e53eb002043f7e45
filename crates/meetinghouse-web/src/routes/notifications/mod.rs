//! Notifications: the list with its unread count, email settings, and the
//! signed one-click unsubscribe that works without signing in.
pub mod list;
pub mod settings;
pub mod unsubscribe;
