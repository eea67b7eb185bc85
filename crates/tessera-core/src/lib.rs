//! Tessera's core: the Earthbigdata Sentinel-1 global coherence data set as
//! one lazy multi-dimensional dataset.
//!
//! * [`dataset`]: variables, dimensions, tiles, chunk keys and file names.
//! * [`coordinates`]: the coordinate arrays, computed exactly as the seed does.
//! * [`listing`]: an `aws s3 ls --recursive` bucket listing parsed into chunk keys.
//! * [`writer`]: fsspec ReferenceFileSystem JSON, byte-compatible with tifffile's.
//! * [`reader`]: fsspec reference JSON (versions 0 and 1) into a compact index.
//! * [`zarr`], [`blosc`]: the zarr v2 metadata and codecs the references use.
//! * [`geotiff`]: GeoTIFF tiles in the bucket's file layout.
//! * [`viewport`]: a map view in plate carrée and the tiles it needs.
//! * [`mosaic`]: decoded tiles stitched into what a view shows.
//!
//! Pure and synchronous, with no web dependencies: it builds for native
//! targets and for `wasm32-unknown-unknown`.

pub mod blosc;
pub mod coordinates;
pub mod dataset;
pub mod geotiff;
pub mod listing;
pub mod mosaic;
pub mod pyjson;
pub mod reader;
pub mod viewport;
pub mod writer;
pub mod zarr;

pub use dataset::{
    Bounds, ChunkIndices, ChunkKey, DType, Dimension, FileName, FlightDirection, Layer, Orbit,
    PackedChunkKey, Polarization, RepeatInterval, Season, Tile, Variable,
};
