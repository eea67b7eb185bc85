//! What the user sees around the map: the shell ([`shell::App`]), the
//! toolbar of selectors, the legend and the side panels. Components read
//! the state and the reports; actions go to the selection or, for a
//! retry, to the session.

pub mod legend;
pub mod panels;
pub mod shell;
pub mod toolbar;

/// A range bound as users type it: short, but exact for those values.
pub fn format_bound(value: f64) -> String {
    let text = format!("{value:.4}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}
