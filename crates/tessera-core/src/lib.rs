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
//! * [`tiff_layout`]: a TIFF's strip table from byte ranges, and one strip
//!   decoded (a pixel without the whole file).
//! * [`viewport`]: a map view in plate carrée and the tiles it needs.
//! * [`mosaic`]: decoded tiles stitched into what a view shows.
//! * [`overview`]: a layer's files averaged onto one global grid, with a
//!   pyramid of coarser levels; [`cog`]: those levels as a Cloud-Optimized
//!   GeoTIFF.
//! * [`physical`]: stored values (DN) in physical units, per variable.
//! * [`pixel`]: one pixel across every file: its card (coherence against
//!   repeat interval, the decay model), CSV and the xarray code.
//! * [`colormap`]: colormaps and the colours of a mosaic.
//! * [`legend`]: what a map's legend says (title, colour bar, categories).
//! * [`composite`]: RGB composites of three stored layers.
//! * [`derived`]: maps computed per pixel from stored layers (the decay
//!   model's coherence and deformation error, differences, seasonal ranges).
//! * [`export`]: a layer over an area as a GeoTIFF of native (or coarser)
//!   pixels, and the xarray code that selects the same array.
//! * [`tile_cache`]: decoded tiles kept in memory, bounded in bytes.
//! * [`view_state`]: the app's whole selection, to and from the page URL.
//! * [`camera`]: the map's camera on a canvas, and how gestures move it.
//! * [`view_plan`]: what a view needs: its layer, files in load order, budget,
//!   the values each selector offers, the record files still to read.
//! * [`tile_requests`]: the bookkeeping of loading tiles for named request
//!   groups (the view, a prefetch, ...): what to fetch next, what to cancel.
//! * [`topojson`]: coastlines from TopoJSON (world-atlas).
//!
//! Pure and synchronous, with no web dependencies: it builds for native
//! targets and for `wasm32-unknown-unknown`.

pub mod blosc;
pub mod camera;
pub mod cog;
pub mod colormap;
pub mod composite;
pub mod coordinates;
pub mod dataset;
pub mod derived;
pub mod export;
pub mod geotiff;
pub mod legend;
pub mod listing;
pub mod lzw;
pub mod mosaic;
pub mod overview;
pub mod overview_view;
pub mod parquet_refs;
pub mod physical;
pub mod pixel;
pub mod pyjson;
pub mod reader;
pub mod stretch;
pub mod tiff_layout;
pub mod tile_cache;
pub mod tile_requests;
pub mod topojson;
pub mod view_plan;
pub mod view_state;
pub mod viewport;
pub mod writer;
pub mod zarr;

pub use dataset::{
    Bounds, ChunkIndices, ChunkKey, DType, Dimension, FileName, FlightDirection, Layer, Orbit,
    PackedChunkKey, Polarization, RepeatInterval, Season, Tile, Variable,
};
