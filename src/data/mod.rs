//! Where the data comes from: the [`Session`] (references, loaders,
//! decoder workers, the view plan), reading the references
//! ([`references`]) and a parquet store's record files
//! ([`record_loader`]), loading tiles for request groups
//! ([`tile_loader`]), asking for what the view needs ([`view`]), the
//! pinned pixel's files and card ([`inspector`]), the overviews of views
//! over the budget ([`overviews`]), and the coastlines
//! ([`coastlines`]).

pub mod coastlines;
pub mod export;
pub mod inspector;
pub mod overviews;
pub mod record_loader;
pub mod references;
pub mod session;
pub mod tile_loader;
pub mod view;

pub use session::Session;
