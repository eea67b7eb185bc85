//! Colormaps: stored values of a layer to the colours a mosaic shows.

/// A colormap the app offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Colormap {
    Viridis,
    Magma,
    Gray,
    /// Categorical colours for lsmap's four categories.
    Categories,
}

impl Colormap {
    pub const ALL: [Colormap; 4] = [
        Colormap::Viridis,
        Colormap::Magma,
        Colormap::Gray,
        Colormap::Categories,
    ];

    /// The name in URLs and menus.
    pub fn name(self) -> &'static str {
        match self {
            Colormap::Viridis => "viridis",
            Colormap::Magma => "magma",
            Colormap::Gray => "gray",
            Colormap::Categories => "lsmap",
        }
    }

    pub fn from_name(name: &str) -> Option<Colormap> {
        Colormap::ALL.into_iter().find(|c| c.name() == name)
    }
}
