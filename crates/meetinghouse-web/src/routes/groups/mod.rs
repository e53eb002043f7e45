//! Groups and networks of networks: list, create, show, membership and
//! nesting; their hosts edit them and archive them.
pub mod archive;
pub mod create;
pub mod edit;
pub mod list;
pub mod membership;
pub mod show;
