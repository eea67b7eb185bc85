//! An Earthbigdata in miniature, offline: real-layout GeoTIFFs named and
//! laid out as in the bucket, with values that look like the measurements
//! (see [`model`]), the bucket listing they correspond to and the reference
//! JSON made from it (see [`generate`]).
//!
//! Deterministic: the same seed and coverage give the same bytes.

pub mod coverage;
pub mod generate;
pub mod land;
pub mod model;
pub mod noise;

pub use coverage::{BoundingBox, BoundingBoxError, Coverage};
pub use generate::{generate, DemoError, Manifest, Outcome, Progress};
pub use land::{LandError, LandMask};
pub use model::{Ground, Model, TileValues};
