//! The Earthbigdata data set in its own words: variables, their dimensions,
//! and the categories that name a file's place in them.
//!
//! Every index here is *global*: latitude chunk 0 is N82, longitude chunk 0
//! is W180, orbit n is index n − 1, and the categorical dimensions count in
//! the seed's category order. A partial listing therefore lines up with the
//! global coordinate arrays. (tifffile instead numbers each dimension from the
//! smallest index present in the listing; for the full bucket both agree.)

use std::fmt;

/// Pixels along each side of a tile, which is also the chunk shape.
pub const TILE_PIXELS: u32 = 1200;
/// Latitude tiles, N82 (index 0) down to S78 (index 160).
pub const LATITUDE_TILES: u16 = 161;
/// Longitude tiles, W180 (index 0) to E179 (index 359).
pub const LONGITUDE_TILES: u16 = 360;
/// Latitude of the northern edge of tile row 0.
pub const NORTH_EDGE: i32 = 82;
/// Longitude of the western edge of tile column 0.
pub const WEST_EDGE: i32 = -180;
/// Pixels of the whole latitude axis (193,200).
pub const LATITUDE_PIXELS: u32 = LATITUDE_TILES as u32 * TILE_PIXELS;
/// Pixels of the whole longitude axis (432,000).
pub const LONGITUDE_PIXELS: u32 = LONGITUDE_TILES as u32 * TILE_PIXELS;
/// The value of "no data" in every variable, and zarr's fill value.
pub const FILL_VALUE: u16 = 0;

/// One of the seven data variables (the seed calls them modes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variable {
    /// Interferometric coherence per season, polarization and repeat interval.
    Coh,
    /// Backscatter amplitude per season and polarization.
    Amp,
    /// Coherence decay time constant.
    Tau,
    /// Error of the coherence decay fit.
    Rmse,
    /// Long-term coherence of the decay model.
    Rho,
    /// Incidence angle per relative orbit and flight direction.
    Inc,
    /// Layover/shadow map per relative orbit and flight direction.
    Lsmap,
}

/// The stored integer type of a variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DType {
    U8,
    U16,
}

impl DType {
    /// The zarr v2 dtype string, as written on a little-endian host.
    pub fn zarr(self) -> &'static str {
        match self {
            DType::U8 => "|u1",
            DType::U16 => "<u2",
        }
    }

    /// The numpy name (`uint8`, `uint16`).
    pub fn name(self) -> &'static str {
        match self {
            DType::U8 => "uint8",
            DType::U16 => "uint16",
        }
    }

    pub fn bytes(self) -> usize {
        match self {
            DType::U8 => 1,
            DType::U16 => 2,
        }
    }

    /// Parses a zarr dtype string; `>u2` (big-endian) is accepted too.
    pub fn from_zarr(s: &str) -> Option<DType> {
        match s {
            "|u1" | "<u1" | ">u1" => Some(DType::U8),
            "<u2" | ">u2" => Some(DType::U16),
            _ => None,
        }
    }
}

/// A dimension of a data variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dimension {
    Season,
    Polarization,
    Coherence,
    Orbit,
    FlightDirection,
    Latitude,
    Longitude,
}

impl Dimension {
    pub fn name(self) -> &'static str {
        match self {
            Dimension::Season => "season",
            Dimension::Polarization => "polarization",
            Dimension::Coherence => "coherence",
            Dimension::Orbit => "orbit",
            Dimension::FlightDirection => "flightdirection",
            Dimension::Latitude => "latitude",
            Dimension::Longitude => "longitude",
        }
    }

    /// Number of chunks along this dimension (tiles for latitude/longitude).
    pub fn chunk_count(self) -> u16 {
        match self {
            Dimension::Season => 4,
            Dimension::Polarization => 4,
            Dimension::Coherence => 6,
            Dimension::Orbit => 175,
            Dimension::FlightDirection => 2,
            Dimension::Latitude => LATITUDE_TILES,
            Dimension::Longitude => LONGITUDE_TILES,
        }
    }

    /// Length of the coordinate array of this dimension.
    pub fn coordinate_len(self) -> u32 {
        match self {
            Dimension::Latitude => LATITUDE_PIXELS,
            Dimension::Longitude => LONGITUDE_PIXELS,
            other => other.chunk_count() as u32,
        }
    }

    /// Chunk length along this dimension in a data variable.
    pub fn chunk_len(self) -> u32 {
        match self {
            Dimension::Latitude | Dimension::Longitude => TILE_PIXELS,
            _ => 1,
        }
    }
}

const SEASONAL_COHERENCE: [Dimension; 5] = [
    Dimension::Season,
    Dimension::Polarization,
    Dimension::Coherence,
    Dimension::Latitude,
    Dimension::Longitude,
];
const SEASONAL: [Dimension; 4] = [
    Dimension::Season,
    Dimension::Polarization,
    Dimension::Latitude,
    Dimension::Longitude,
];
const ORBITAL: [Dimension; 4] = [
    Dimension::Orbit,
    Dimension::FlightDirection,
    Dimension::Latitude,
    Dimension::Longitude,
];

impl Variable {
    /// All variables, in the order the seed writes them.
    pub const ALL: [Variable; 7] = [
        Variable::Coh,
        Variable::Amp,
        Variable::Tau,
        Variable::Rmse,
        Variable::Rho,
        Variable::Inc,
        Variable::Lsmap,
    ];

    /// The name used in file names and as the zarr array name.
    pub fn name(self) -> &'static str {
        match self {
            Variable::Coh => "COH",
            Variable::Amp => "AMP",
            Variable::Tau => "tau",
            Variable::Rmse => "rmse",
            Variable::Rho => "rho",
            Variable::Inc => "inc",
            Variable::Lsmap => "lsmap",
        }
    }

    pub fn from_name(name: &str) -> Option<Variable> {
        Variable::ALL.into_iter().find(|v| v.name() == name)
    }

    /// Position in [`Variable::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn dtype(self) -> DType {
        match self {
            Variable::Coh | Variable::Inc | Variable::Lsmap => DType::U8,
            Variable::Amp | Variable::Tau | Variable::Rmse | Variable::Rho => DType::U16,
        }
    }

    /// Dimensions in zarr order; latitude and longitude always come last.
    pub fn dimensions(self) -> &'static [Dimension] {
        match self {
            Variable::Coh => &SEASONAL_COHERENCE,
            Variable::Amp | Variable::Tau | Variable::Rmse | Variable::Rho => &SEASONAL,
            Variable::Inc | Variable::Lsmap => &ORBITAL,
        }
    }

    /// The dimensions before latitude and longitude: those that pick a layer.
    pub fn layer_dimensions(self) -> &'static [Dimension] {
        let dims = self.dimensions();
        &dims[..dims.len() - 2]
    }

    /// How many layers (chunks per tile) the variable has.
    pub fn layer_count(self) -> usize {
        self.layer_dimensions()
            .iter()
            .map(|d| usize::from(d.chunk_count()))
            .product()
    }

    /// The zarr array shape.
    pub fn shape(self) -> Vec<u64> {
        self.dimensions()
            .iter()
            .map(|d| d.coordinate_len() as u64)
            .collect()
    }

    /// The zarr chunk shape.
    pub fn chunks(self) -> Vec<u64> {
        self.dimensions()
            .iter()
            .map(|d| d.chunk_len() as u64)
            .collect()
    }

    /// Number of chunks in the whole grid of this variable (files + missing).
    pub fn chunk_grid_len(self) -> u64 {
        self.dimensions()
            .iter()
            .map(|d| d.chunk_count() as u64)
            .product()
    }
}

impl fmt::Display for Variable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

macro_rules! category {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            /// All values in category order (the order of their indices).
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The spelling used in file names and coordinate arrays.
            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn from_name(text: &str) -> Option<$name> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }

            /// The chunk index along this dimension.
            pub fn index(self) -> u16 {
                self as u16
            }

            pub fn from_index(index: u16) -> Option<$name> {
                Self::ALL.get(index as usize).copied()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }
    };
}

category!(
    /// Season of Dec 2019 – Nov 2020: DJF, MAM, JJA, SON.
    Season { Winter = "winter", Spring = "spring", Summer = "summer", Fall = "fall" }
);
category!(
    /// Transmit/receive polarization.
    Polarization { Vv = "vv", Vh = "vh", Hv = "hv", Hh = "hh" }
);
category!(
    /// Repeat interval of a coherence file, in days.
    RepeatInterval { Days06 = "06", Days12 = "12", Days18 = "18", Days24 = "24", Days36 = "36", Days48 = "48" }
);
category!(
    /// Ascending or descending pass.
    FlightDirection { Ascending = "A", Descending = "D" }
);

impl RepeatInterval {
    /// The interval in days (the `coherence` coordinate value).
    pub fn days(self) -> u8 {
        match self {
            RepeatInterval::Days06 => 6,
            RepeatInterval::Days12 => 12,
            RepeatInterval::Days18 => 18,
            RepeatInterval::Days24 => 24,
            RepeatInterval::Days36 => 36,
            RepeatInterval::Days48 => 48,
        }
    }

    pub fn from_days(days: u8) -> Option<RepeatInterval> {
        RepeatInterval::ALL
            .iter()
            .copied()
            .find(|r| r.days() == days)
    }
}

/// Relative orbit number, 1..=175.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Orbit(u8);

impl Orbit {
    pub const MIN: u8 = 1;
    pub const MAX: u8 = 175;

    pub fn new(number: u16) -> Option<Orbit> {
        (Self::MIN as u16..=Self::MAX as u16)
            .contains(&number)
            .then_some(Orbit(number as u8))
    }

    pub fn number(self) -> u8 {
        self.0
    }

    /// Orbit n has chunk index n − 1.
    pub fn index(self) -> u16 {
        self.0 as u16 - 1
    }

    pub fn from_index(index: u16) -> Option<Orbit> {
        Orbit::new(index + 1)
    }
}

/// A 1°×1° tile, named by its upper-left corner (`N36W121` covers 35–36 N,
/// 121–120 W).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tile {
    lat_index: u8,
    lon_index: u16,
}

/// Latitude/longitude bounds in degrees.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub south: f64,
    pub north: f64,
    pub west: f64,
    pub east: f64,
}

impl Tile {
    /// The tile at global chunk indices (latitude row, longitude column).
    pub fn from_indices(lat_index: u16, lon_index: u16) -> Option<Tile> {
        (lat_index < LATITUDE_TILES && lon_index < LONGITUDE_TILES).then_some(Tile {
            lat_index: lat_index as u8,
            lon_index,
        })
    }

    /// The tile whose upper-left corner is at (north, west), in whole degrees.
    pub fn from_corner(north: i32, west: i32) -> Option<Tile> {
        let lat_index = NORTH_EDGE.checked_sub(north)?;
        let lon_index = west.checked_sub(WEST_EDGE)?;
        Tile::from_indices(
            u16::try_from(lat_index).ok()?,
            u16::try_from(lon_index).ok()?,
        )
    }

    /// The tile containing a point; points on a tile's north or west edge
    /// belong to it.
    pub fn containing(lat: f64, lon: f64) -> Option<Tile> {
        if !lat.is_finite() || !lon.is_finite() {
            return None;
        }
        let row = (NORTH_EDGE as f64 - lat).floor();
        let col = (lon - WEST_EDGE as f64).floor();
        if row < 0.0 || col < 0.0 || row >= LATITUDE_TILES as f64 || col >= LONGITUDE_TILES as f64 {
            return None;
        }
        Tile::from_indices(row as u16, col as u16)
    }

    /// Latitude chunk index (0 = N82).
    pub fn lat_index(self) -> u16 {
        self.lat_index as u16
    }

    /// Longitude chunk index (0 = W180).
    pub fn lon_index(self) -> u16 {
        self.lon_index
    }

    /// Latitude of the northern edge in degrees.
    pub fn north(self) -> i32 {
        NORTH_EDGE - self.lat_index as i32
    }

    /// Longitude of the western edge in degrees.
    pub fn west(self) -> i32 {
        WEST_EDGE + self.lon_index as i32
    }

    pub fn bounds(self) -> Bounds {
        Bounds {
            south: (self.north() - 1) as f64,
            north: self.north() as f64,
            west: self.west() as f64,
            east: (self.west() + 1) as f64,
        }
    }

    /// Global pixel row of the tile's first row.
    pub fn first_row(self) -> u32 {
        self.lat_index as u32 * TILE_PIXELS
    }

    /// Global pixel column of the tile's first column.
    pub fn first_column(self) -> u32 {
        self.lon_index as u32 * TILE_PIXELS
    }

    /// Parses a tile name such as `N36W121` or `S01E012` (two latitude and
    /// three longitude digits, as in the bucket).
    pub fn parse(name: &str) -> Result<Tile, TileError> {
        let b = name.as_bytes();
        if b.len() != 7 {
            return Err(TileError::Format);
        }
        let lat = digits(&b[1..3]).ok_or(TileError::Format)? as i32;
        let lon = digits(&b[4..7]).ok_or(TileError::Format)? as i32;
        let north = match b[0] {
            b'N' => lat,
            b'S' => -lat,
            _ => return Err(TileError::Format),
        };
        let west = match b[3] {
            b'E' => lon,
            b'W' => -lon,
            _ => return Err(TileError::Format),
        };
        // "S00" and "W000" are not names the data set uses.
        if (b[0] == b'S' && lat == 0) || (b[3] == b'W' && lon == 0) {
            return Err(TileError::Format);
        }
        Tile::from_corner(north, west).ok_or(TileError::OutOfRange)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TileError {
    #[error("not a tile name like N36W121 (N|S, 2 digits, E|W, 3 digits)")]
    Format,
    #[error("outside the data set's tiles (N82..S78, W180..E179)")]
    OutOfRange,
}

impl fmt::Display for Tile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let north = self.north();
        let west = self.west();
        let (ns, lat) = if north >= 0 {
            ('N', north)
        } else {
            ('S', -north)
        };
        let (ew, lon) = if west >= 0 { ('E', west) } else { ('W', -west) };
        write!(f, "{ns}{lat:02}{ew}{lon:03}")
    }
}

/// Parses ASCII decimal digits (at most 9 of them).
pub(crate) fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    b.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + (c - b'0') as u32)
    })
}

/// Which layer of a variable a file holds: the indices of its layer
/// dimensions (season/polarization/interval, or orbit/flight direction).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    /// COH: season, polarization and repeat interval.
    Coherence(Season, Polarization, RepeatInterval),
    /// AMP, tau, rmse, rho: season and polarization.
    Seasonal(Season, Polarization),
    /// inc, lsmap: relative orbit and flight direction.
    Orbital(Orbit, FlightDirection),
}

impl Layer {
    /// The chunk indices of the layer dimensions, in zarr order.
    pub fn indices(self) -> ([u16; 3], usize) {
        match self {
            Layer::Coherence(s, p, c) => ([s.index(), p.index(), c.index()], 3),
            Layer::Seasonal(s, p) => ([s.index(), p.index(), 0], 2),
            Layer::Orbital(o, d) => ([o.index(), d.index(), 0], 2),
        }
    }

    /// Every layer of `variable`, in chunk-index order (COH: 96, AMP: 16,
    /// inc: 350).
    pub fn all(variable: Variable) -> Vec<Layer> {
        let dims = variable.layer_dimensions();
        (0..variable.layer_count())
            .filter_map(|mut n| {
                let mut idx = [0u16; 3];
                for (i, dim) in dims.iter().enumerate().rev() {
                    let size = usize::from(dim.chunk_count());
                    idx[i] = (n % size) as u16;
                    n /= size;
                }
                Layer::from_indices(variable, &idx[..dims.len()])
            })
            .collect()
    }

    /// Whether this layer kind belongs to the variable.
    pub fn fits(self, variable: Variable) -> bool {
        matches!(
            (self, variable),
            (Layer::Coherence(..), Variable::Coh)
                | (
                    Layer::Seasonal(..),
                    Variable::Amp | Variable::Tau | Variable::Rmse | Variable::Rho
                )
                | (Layer::Orbital(..), Variable::Inc | Variable::Lsmap)
        )
    }

    /// The layer of `variable` at the given layer-dimension indices.
    pub fn from_indices(variable: Variable, idx: &[u16]) -> Option<Layer> {
        match (variable, idx) {
            (Variable::Coh, &[s, p, c]) => Some(Layer::Coherence(
                Season::from_index(s)?,
                Polarization::from_index(p)?,
                RepeatInterval::from_index(c)?,
            )),
            (Variable::Amp | Variable::Tau | Variable::Rmse | Variable::Rho, &[s, p]) => Some(
                Layer::Seasonal(Season::from_index(s)?, Polarization::from_index(p)?),
            ),
            (Variable::Inc | Variable::Lsmap, &[o, d]) => Some(Layer::Orbital(
                Orbit::from_index(o)?,
                FlightDirection::from_index(d)?,
            )),
            _ => None,
        }
    }
}

/// The key of one chunk, which is one file: variable, layer and tile.
///
/// Ordering is by variable (in [`Variable::ALL`] order) and then by the
/// numeric index tuple, which is the order the seed writes chunks in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChunkKey {
    pub variable: Variable,
    pub layer: Layer,
    pub tile: Tile,
}

/// A chunk key packed into 32 bits; packed keys sort like [`ChunkKey`]s.
///
/// The variable's position in [`Variable::ALL`] sits in the top 3 bits; the
/// rest is the chunk's linear (C-order) number in the variable's chunk grid,
/// at most 175·2·161·360 < 2²⁵.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PackedChunkKey(pub u32);

impl ChunkKey {
    pub fn new(variable: Variable, layer: Layer, tile: Tile) -> Result<ChunkKey, ChunkKeyError> {
        if !layer.fits(variable) {
            return Err(ChunkKeyError::LayerMismatch);
        }
        Ok(ChunkKey {
            variable,
            layer,
            tile,
        })
    }

    /// All zarr chunk indices, in `.zarray` dimension order.
    pub fn indices(self) -> ChunkIndices {
        let (layer, n) = self.layer.indices();
        let mut values = [0u16; 5];
        values[..n].copy_from_slice(&layer[..n]);
        values[n] = self.tile.lat_index();
        values[n + 1] = self.tile.lon_index();
        ChunkIndices {
            values,
            len: n as u8 + 2,
        }
    }

    /// Parses the part of a zarr key after `<variable>/`, e.g. `0.0.1.46.59`.
    pub fn parse_indices(variable: Variable, text: &str) -> Result<ChunkKey, ChunkKeyError> {
        let ndim = variable.dimensions().len();
        let mut idx = [0u16; 5];
        let mut n = 0;
        // Byte splitting: this runs once per reference, a million times.
        for part in text.as_bytes().split(|&b| b == b'.') {
            if n == ndim {
                return Err(ChunkKeyError::Arity(ndim));
            }
            let value = digits(part).ok_or(ChunkKeyError::Syntax)?;
            idx[n] = u16::try_from(value).map_err(|_| ChunkKeyError::OutOfRange)?;
            n += 1;
        }
        if n != ndim {
            return Err(ChunkKeyError::Arity(ndim));
        }
        let layer =
            Layer::from_indices(variable, &idx[..ndim - 2]).ok_or(ChunkKeyError::OutOfRange)?;
        let tile =
            Tile::from_indices(idx[ndim - 2], idx[ndim - 1]).ok_or(ChunkKeyError::OutOfRange)?;
        Ok(ChunkKey {
            variable,
            layer,
            tile,
        })
    }

    /// The packed key of the chunk key `text` of `variable` (`0.0.1.46.59`
    /// of `COH/0.0.1.46.59`), read in one pass: only for a key in
    /// canonical form (no leading zeros) with every index in range, `None`
    /// for anything else, which [`ChunkKey::parse_indices`] explains. The
    /// reference reader reads a million keys this way.
    pub fn parse_packed(variable: Variable, text: &[u8]) -> Option<PackedChunkKey> {
        let mut dims = variable.dimensions().iter();
        let mut count = u32::from(dims.next()?.chunk_count());
        let (mut linear, mut index, mut digits) = (0u32, 0u32, 0u32);
        for &byte in text {
            match byte {
                b'0'..=b'9' => {
                    // A leading zero is only allowed as the whole index.
                    if digits > 0 && index == 0 {
                        return None;
                    }
                    index = index * 10 + u32::from(byte - b'0');
                    digits += 1;
                    if index >= count {
                        return None;
                    }
                }
                b'.' if digits > 0 => {
                    linear = linear * count + index;
                    count = u32::from(dims.next()?.chunk_count());
                    (index, digits) = (0, 0);
                }
                _ => return None,
            }
        }
        if digits == 0 || dims.next().is_some() {
            return None;
        }
        linear = linear * count + index;
        Some(PackedChunkKey(
            (variable.index() as u32) << PackedChunkKey::VARIABLE_SHIFT | linear,
        ))
    }

    pub fn pack(self) -> PackedChunkKey {
        let mut linear = 0u32;
        for (dim, &index) in self.variable.dimensions().iter().zip(self.indices().iter()) {
            linear = linear * dim.chunk_count() as u32 + index as u32;
        }
        PackedChunkKey((self.variable.index() as u32) << PackedChunkKey::VARIABLE_SHIFT | linear)
    }

    /// The file name of this chunk in the bucket, e.g.
    /// `N36W121_winter_vv_COH12.tif`.
    pub fn file_name(self) -> FileName {
        FileName(self)
    }
}

impl PackedChunkKey {
    const VARIABLE_SHIFT: u32 = 29;

    /// All packed keys of one variable: those of a sorted list are a
    /// contiguous run.
    pub fn variable_range(variable: Variable) -> std::ops::Range<PackedChunkKey> {
        let v = variable.index() as u32;
        PackedChunkKey(v << Self::VARIABLE_SHIFT)..PackedChunkKey((v + 1) << Self::VARIABLE_SHIFT)
    }

    pub fn variable(self) -> Option<Variable> {
        Variable::ALL
            .get((self.0 >> Self::VARIABLE_SHIFT) as usize)
            .copied()
    }

    /// The key of chunk number `linear` of a variable's chunk grid (C
    /// order), if the grid has that many chunks.
    pub fn from_linear(variable: Variable, linear: u32) -> Option<PackedChunkKey> {
        (u64::from(linear) < variable.chunk_grid_len())
            .then(|| PackedChunkKey((variable.index() as u32) << Self::VARIABLE_SHIFT | linear))
    }

    /// The chunk's linear number in its variable's chunk grid.
    pub fn linear(self) -> u32 {
        self.0 & ((1 << Self::VARIABLE_SHIFT) - 1)
    }

    /// The key back; `None` for a number that no key packs to.
    pub fn unpack(self) -> Option<ChunkKey> {
        let variable = self.variable()?;
        let dims = variable.dimensions();
        let mut idx = [0u16; 5];
        let mut rest = self.linear();
        for (i, dim) in dims.iter().enumerate().rev() {
            let n = dim.chunk_count() as u32;
            idx[i] = (rest % n) as u16;
            rest /= n;
        }
        if rest != 0 {
            return None;
        }
        let n = dims.len();
        Some(ChunkKey {
            variable,
            layer: Layer::from_indices(variable, &idx[..n - 2])?,
            tile: Tile::from_indices(idx[n - 2], idx[n - 1])?,
        })
    }
}

impl fmt::Display for ChunkKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/", self.variable.name())?;
        let (layer, n) = self.layer.indices();
        for i in &layer[..n] {
            write!(f, "{i}.")?;
        }
        write!(f, "{}.{}", self.tile.lat_index(), self.tile.lon_index())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ChunkKeyError {
    #[error("the layer does not belong to this variable")]
    LayerMismatch,
    #[error("chunk indices must be decimal numbers joined by '.'")]
    Syntax,
    #[error("expected {0} chunk indices")]
    Arity(usize),
    #[error("a chunk index is outside the variable's shape")]
    OutOfRange,
}

/// The zarr chunk indices of a key (4 or 5 of them), without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChunkIndices {
    values: [u16; 5],
    len: u8,
}

impl std::ops::Deref for ChunkIndices {
    type Target = [u16];

    fn deref(&self) -> &[u16] {
        &self.values[..self.len as usize]
    }
}

/// A file name of the bucket, such as `N36W121_winter_vv_COH12.tif`: the
/// same information as a [`ChunkKey`], spelled as the data set spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileName(pub ChunkKey);

impl fmt::Display for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let key = self.0;
        write!(f, "{}_", key.tile)?;
        match key.layer {
            Layer::Coherence(s, p, c) => write!(f, "{s}_{p}_COH{c}")?,
            Layer::Seasonal(s, p) => write!(f, "{s}_{p}_{}", key.variable)?,
            Layer::Orbital(o, d) => write!(f, "{:03}{d}_{}", o.number(), key.variable)?,
        }
        f.write_str(".tif")
    }
}

/// Why a `.tif` name is not a file of the data set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileNameError {
    #[error("does not end in .tif")]
    NotTif,
    #[error("no variable: expected _COH<cc>, _AMP, _tau, _rmse, _rho, _inc or _lsmap before .tif")]
    UnknownVariable,
    #[error("tile {0:?}: {1}")]
    Tile(String, TileError),
    #[error("expected <TILE>_{0} as in N36W121_{0}")]
    Grammar(&'static str),
    #[error("unknown season {0:?} (winter, spring, summer, fall)")]
    Season(String),
    #[error("unknown polarization {0:?} (vv, vh, hv, hh)")]
    Polarization(String),
    #[error("unknown repeat interval COH{0} (06, 12, 18, 24, 36, 48)")]
    RepeatInterval(String),
    #[error("orbit {0} outside 1..175")]
    Orbit(String),
    #[error("unknown flight direction {0:?} (A, D)")]
    FlightDirection(String),
}

impl FileName {
    /// Parses a bare file name (no directory).
    pub fn parse(name: &str) -> Result<FileName, FileNameError> {
        let stem = name.strip_suffix(".tif").ok_or(FileNameError::NotTif)?;
        let (rest, last) = stem
            .rsplit_once('_')
            .ok_or(FileNameError::UnknownVariable)?;
        let (variable, interval) = if let Some(cc) = last.strip_prefix("COH") {
            let interval = RepeatInterval::from_name(cc)
                .ok_or_else(|| FileNameError::RepeatInterval(cc.to_string()))?;
            (Variable::Coh, Some(interval))
        } else {
            match Variable::from_name(last) {
                Some(v) if v != Variable::Coh => (v, None),
                _ => return Err(FileNameError::UnknownVariable),
            }
        };
        let grammar = || {
            FileNameError::Grammar(match variable {
                Variable::Coh => "<season>_<pol>_COH<cc>.tif",
                Variable::Inc | Variable::Lsmap => "<orbit><A|D>_<variable>.tif",
                _ => "<season>_<pol>_<variable>.tif",
            })
        };
        let mut parts = rest.split('_');
        let tile_name = parts.next().ok_or_else(grammar)?;
        let tile =
            Tile::parse(tile_name).map_err(|e| FileNameError::Tile(tile_name.to_string(), e))?;
        let layer = match variable {
            Variable::Inc | Variable::Lsmap => {
                let od = parts.next().ok_or_else(grammar)?;
                if od.len() < 2 {
                    return Err(grammar());
                }
                let (o, d) = od.split_at(od.len() - 1);
                let number = digits(o.as_bytes()).ok_or_else(grammar)?;
                let orbit = u16::try_from(number)
                    .ok()
                    .and_then(Orbit::new)
                    .ok_or_else(|| FileNameError::Orbit(o.to_string()))?;
                let direction = FlightDirection::from_name(d)
                    .ok_or_else(|| FileNameError::FlightDirection(d.to_string()))?;
                Layer::Orbital(orbit, direction)
            }
            _ => {
                let s = parts.next().ok_or_else(grammar)?;
                let p = parts.next().ok_or_else(grammar)?;
                let season =
                    Season::from_name(s).ok_or_else(|| FileNameError::Season(s.to_string()))?;
                let pol = Polarization::from_name(p)
                    .ok_or_else(|| FileNameError::Polarization(p.to_string()))?;
                match interval {
                    Some(c) => Layer::Coherence(season, pol, c),
                    None => Layer::Seasonal(season, pol),
                }
            }
        };
        if parts.next().is_some() {
            return Err(grammar());
        }
        Ok(FileName(ChunkKey {
            variable,
            layer,
            tile,
        }))
    }

    pub fn key(self) -> ChunkKey {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What `parse_packed` must agree with: the full parse, for keys in
    /// canonical form.
    fn packed_the_long_way(variable: Variable, text: &str) -> Option<PackedChunkKey> {
        let canonical = !text
            .split('.')
            .any(|part| part.len() > 1 && part.starts_with('0'));
        let key = ChunkKey::parse_indices(variable, text).ok()?;
        canonical.then(|| key.pack())
    }

    proptest! {
        #[test]
        fn parse_packed_agrees_with_the_full_parse(
            variable in prop::sample::select(Variable::ALL.to_vec()),
            // Digits and dots, some leading zeros, some out of range.
            text in "[0-9]{0,4}(\\.0?[0-9]{0,3}){0,5}",
        ) {
            prop_assert_eq!(
                ChunkKey::parse_packed(variable, text.as_bytes()),
                packed_the_long_way(variable, &text),
                "{} {}", variable, text
            );
        }
    }

    #[test]
    fn parse_packed_reads_every_edge_of_the_grid() {
        for variable in Variable::ALL {
            let counts: Vec<u16> = variable
                .dimensions()
                .iter()
                .map(|d| d.chunk_count())
                .collect();
            for edge in [0u16, 1] {
                let parts: Vec<String> = counts
                    .iter()
                    .map(|&c| if edge == 0 { 0 } else { c - 1 }.to_string())
                    .collect();
                let text = parts.join(".");
                assert!(
                    ChunkKey::parse_packed(variable, text.as_bytes()).is_some(),
                    "{text}"
                );
                assert_eq!(
                    ChunkKey::parse_packed(variable, text.as_bytes()),
                    packed_the_long_way(variable, &text)
                );
            }
            let past: Vec<String> = counts.iter().map(|c| c.to_string()).collect();
            assert_eq!(
                ChunkKey::parse_packed(variable, past.join(".").as_bytes()),
                None
            );
        }
        for bad in [
            "",
            ".",
            "0..0.0.0",
            "0.0.0.0.0.",
            "00.0.0.0.0",
            "0.0.0.0.0.0",
            "0.0.0.0",
            "a.0.0.0.0",
        ] {
            assert_eq!(
                ChunkKey::parse_packed(Variable::Coh, bad.as_bytes()),
                None,
                "{bad}"
            );
        }
    }

    #[test]
    fn tile_names_round_trip_and_bound() {
        let t = Tile::parse("N36W121").unwrap();
        assert_eq!((t.lat_index(), t.lon_index()), (46, 59));
        assert_eq!(t.to_string(), "N36W121");
        assert_eq!(
            t.bounds(),
            Bounds {
                south: 35.0,
                north: 36.0,
                west: -121.0,
                east: -120.0
            }
        );
        let s = Tile::parse("S01E012").unwrap();
        assert_eq!((s.north(), s.west()), (-1, 12));
        assert_eq!(Tile::parse("N82W180").unwrap().lat_index(), 0);
        assert_eq!(Tile::parse("S78E179").unwrap().lat_index(), 160);
        assert_eq!(Tile::parse("S78E179").unwrap().lon_index(), 359);
        assert_eq!(Tile::parse("N00E000").unwrap().lat_index(), 82);
        for bad in ["N83E000", "S79E000", "N00E180", "N00W181"] {
            assert_eq!(Tile::parse(bad), Err(TileError::OutOfRange), "{bad}");
        }
        for bad in [
            "N0E000", "X00E000", "N00E0000", "S00E000", "N00W000", "N0aE000",
        ] {
            assert_eq!(Tile::parse(bad), Err(TileError::Format), "{bad}");
        }
        assert_eq!(Tile::containing(35.5, -120.5), Some(t));
        assert_eq!(Tile::containing(36.0, -121.0), Some(t));
        assert_eq!(Tile::containing(82.5, 0.0), None);
        assert_eq!(Tile::containing(-79.0, 0.0), None);
        assert_eq!(Tile::containing(0.0, 180.0), None);
    }

    #[test]
    fn file_names_parse_to_global_chunk_keys() {
        let k = FileName::parse("N36W121_winter_vv_COH12.tif")
            .unwrap()
            .key();
        assert_eq!(k.to_string(), "COH/0.0.1.46.59");
        assert_eq!(k.file_name().to_string(), "N36W121_winter_vv_COH12.tif");
        let k = FileName::parse("S78E179_175D_lsmap.tif").unwrap().key();
        assert_eq!(k.to_string(), "lsmap/174.1.160.359");
        let k = FileName::parse("N32W114_064A_inc.tif").unwrap().key();
        assert_eq!(k.to_string(), "inc/63.0.50.66");
        assert_eq!(k.file_name().to_string(), "N32W114_064A_inc.tif");
        let k = FileName::parse("N00E005_fall_vh_AMP.tif").unwrap().key();
        assert_eq!(k.to_string(), "AMP/3.1.82.185");
        assert_eq!(
            ChunkKey::parse_indices(Variable::Amp, "3.1.82.185").unwrap(),
            k
        );
    }

    #[test]
    fn bad_file_names_say_why() {
        use FileNameError as E;
        type Check = fn(&FileNameError) -> bool;
        let cases: &[(&str, Check)] = &[
            ("N36W121_winter_vv_COH13.tif", |e| {
                matches!(e, E::RepeatInterval(_))
            }),
            ("N36W121_autumn_vv_AMP.tif", |e| matches!(e, E::Season(_))),
            ("N36W121_winter_xx_rho.tif", |e| {
                matches!(e, E::Polarization(_))
            }),
            ("N36W121_000A_inc.tif", |e| matches!(e, E::Orbit(_))),
            ("N36W121_176A_inc.tif", |e| matches!(e, E::Orbit(_))),
            ("N36W121_001X_inc.tif", |e| {
                matches!(e, E::FlightDirection(_))
            }),
            ("N83W121_001A_inc.tif", |e| {
                matches!(e, E::Tile(_, TileError::OutOfRange))
            }),
            ("N36W121_winter_vv_COH12.ovr", |e| matches!(e, E::NotTif)),
            ("global_winter_vv_XYZ.tif", |e| {
                matches!(e, E::UnknownVariable)
            }),
            ("N36W121_winter_vv_extra_AMP.tif", |e| {
                matches!(e, E::Grammar(_))
            }),
            ("N36W121_winter_AMP.tif", |e| matches!(e, E::Grammar(_))),
        ];
        for (name, check) in cases {
            let err = FileName::parse(name).unwrap_err();
            assert!(check(&err), "{name}: {err:?}");
        }
    }

    #[test]
    fn packed_keys_sort_like_index_tuples() {
        let names = [
            "N36W121_winter_vv_COH06.tif",
            "N36W120_winter_vv_COH06.tif",
            "N35W121_winter_vv_COH06.tif",
            "N36W121_winter_vv_COH12.tif",
            "S78E179_fall_hh_COH48.tif",
            "N82W180_winter_vv_AMP.tif",
            "N12W003_012A_inc.tif",
            "N82W180_120A_inc.tif",
            "S78E179_175D_lsmap.tif",
        ];
        let keys: Vec<ChunkKey> = names
            .iter()
            .map(|n| FileName::parse(n).unwrap().key())
            .collect();
        for a in &keys {
            assert_eq!(a.pack().unpack(), Some(*a), "{a}");
            for b in &keys {
                assert_eq!(a.cmp(b), a.pack().cmp(&b.pack()), "{a} vs {b}");
                assert_eq!(
                    a.cmp(b),
                    (a.variable, &*a.indices()).cmp(&(b.variable, &*b.indices())),
                    "{a} vs {b}"
                );
            }
        }
    }
}
