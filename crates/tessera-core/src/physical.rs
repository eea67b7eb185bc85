//! Stored values (DN) in physical units, per variable, as the data set's
//! documentation defines them. DN 0 is "no data" in every variable.

use crate::dataset::{Variable, FILL_VALUE};

/// The lsmap categories: code and meaning.
pub const LSMAP_CATEGORIES: [(u16, &str); 4] = [
    (1, "no layover or shadow"),
    (5, "layover"),
    (17, "shadow"),
    (21, "shadow in layover"),
];

/// AMP's decibel offset: γ⁰ in dB = 20·log10(DN) − 83.
const AMP_DB_OFFSET: f64 = 83.0;

/// What a variable measures, for menus and legends.
pub fn quantity(variable: Variable) -> &'static str {
    match variable {
        Variable::Coh => "coherence γ",
        Variable::Amp => "backscatter γ⁰",
        Variable::Tau => "coherence decay time τ",
        Variable::Rho => "long-term coherence ρ",
        Variable::Rmse => "RMSE of the decay model fit",
        Variable::Inc => "incidence angle",
        Variable::Lsmap => "layover and shadow",
    }
}

/// The unit of [`value`] ("" for unitless quantities and categories).
pub fn unit(variable: Variable) -> &'static str {
    match variable {
        Variable::Amp => "dB",
        Variable::Tau => "days",
        Variable::Inc => "°",
        Variable::Coh | Variable::Rho | Variable::Rmse | Variable::Lsmap => "",
    }
}

/// Whether the values are category codes rather than a quantity.
pub fn is_categorical(variable: Variable) -> bool {
    variable == Variable::Lsmap
}

/// How a DN becomes the physical value, in words (for files' metadata).
pub fn scaling(variable: Variable) -> &'static str {
    match variable {
        Variable::Coh => "coherence = DN / 100; 0 is no data",
        Variable::Amp => {
            "backscatter gamma0 dB = 20*log10(DN) - 83, power = DN^2 / 199526231; 0 is no data"
        }
        Variable::Tau => "decay time in days = DN / 1000; 0 is no data",
        Variable::Rho => "long-term coherence = DN / 1000; 0 is no data",
        Variable::Rmse => "fit error = DN / 1000; 0 is no data",
        Variable::Inc => "incidence angle in degrees = DN; 0 is no data",
        Variable::Lsmap => {
            "category: 1 no layover/shadow, 5 layover, 17 shadow, 21 shadow in layover; 0 is no data"
        }
    }
}

/// The physical value of a DN, `None` for no data (DN 0). lsmap's value is
/// its category code.
pub fn value(variable: Variable, dn: u16) -> Option<f64> {
    if dn == FILL_VALUE {
        return None;
    }
    let dn = f64::from(dn);
    Some(match variable {
        Variable::Coh => dn / 100.0,
        Variable::Amp => 20.0 * dn.log10() - AMP_DB_OFFSET,
        Variable::Tau | Variable::Rho | Variable::Rmse => dn / 1000.0,
        Variable::Inc | Variable::Lsmap => dn,
    })
}

/// The range a colormap spans by default, in physical units: the values
/// the data set actually holds, so that a first look shows contrast.
pub fn default_range(variable: Variable) -> (f64, f64) {
    match variable {
        Variable::Coh | Variable::Rho => (0.0, 1.0),
        Variable::Amp => (-30.0, 5.0),
        Variable::Tau => (0.0, 60.0),
        Variable::Rmse => (0.0, 0.3),
        Variable::Inc => (20.0, 50.0),
        Variable::Lsmap => (1.0, 21.0),
    }
}

/// A DN as the readout shows it: the physical value with its unit, the
/// category name for lsmap, "no data" for 0.
pub fn format_value(variable: Variable, dn: u16) -> String {
    if is_categorical(variable) && dn != FILL_VALUE {
        return match LSMAP_CATEGORIES.iter().find(|(code, _)| *code == dn) {
            Some((_, name)) => (*name).to_string(),
            None => format!("unknown category {dn}"),
        };
    }
    let Some(text) = format_number(variable, dn) else {
        return "no data".to_string();
    };
    match unit(variable) {
        "" => text,
        "°" => format!("{text}°"),
        unit => format!("{text} {unit}"),
    }
}

/// A DN's physical value without its unit, to the stored precision
/// (lsmap: its code); `None` for no data.
pub fn format_number(variable: Variable, dn: u16) -> Option<String> {
    let v = value(variable, dn)?;
    Some(match variable {
        Variable::Coh => format!("{v:.2}"),
        Variable::Amp => format!("{v:.2}"),
        Variable::Tau | Variable::Rho | Variable::Rmse => format!("{v:.3}"),
        Variable::Inc | Variable::Lsmap => format!("{v:.0}"),
    })
}

/// Where a DN falls in `range` (physical units), 0..1 clamped; `None` for
/// no data.
pub fn normalized(variable: Variable, dn: u16, range: (f64, f64)) -> Option<f64> {
    let v = value(variable, dn)?;
    let (lo, hi) = range;
    let span = hi - lo;
    let t = if span.abs() < f64::EPSILON {
        if v >= hi {
            1.0
        } else {
            0.0
        }
    } else {
        (v - lo) / span
    };
    Some(if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_as_the_data_set_documents() {
        assert_eq!(value(Variable::Coh, 53), Some(0.53));
        assert_eq!(value(Variable::Rho, 250), Some(0.25));
        assert_eq!(value(Variable::Tau, 12_500), Some(12.5));
        assert_eq!(value(Variable::Inc, 38), Some(38.0));
        let db = value(Variable::Amp, 10_000).unwrap();
        assert!((db - (80.0 - 83.0)).abs() < 1e-12, "{db}");
        for v in Variable::ALL {
            assert_eq!(value(v, 0), None, "{v:?}");
        }
    }

    #[test]
    fn formats_with_units_and_categories() {
        assert_eq!(format_value(Variable::Coh, 53), "0.53");
        assert_eq!(format_value(Variable::Amp, 10_000), "-3.00 dB");
        assert_eq!(format_value(Variable::Tau, 12_500), "12.500 days");
        assert_eq!(format_value(Variable::Inc, 38), "38°");
        assert_eq!(format_value(Variable::Lsmap, 5), "layover");
        assert_eq!(format_value(Variable::Lsmap, 21), "shadow in layover");
        assert_eq!(format_value(Variable::Lsmap, 9), "unknown category 9");
        assert_eq!(format_value(Variable::Coh, 0), "no data");
        assert_eq!(
            format_number(Variable::Tau, 12_500).as_deref(),
            Some("12.500")
        );
        assert_eq!(format_number(Variable::Amp, 0), None);
    }

    #[test]
    fn normalizes_into_the_range() {
        assert_eq!(normalized(Variable::Coh, 50, (0.0, 1.0)), Some(0.5));
        assert_eq!(normalized(Variable::Coh, 100, (0.0, 0.5)), Some(1.0));
        assert_eq!(normalized(Variable::Coh, 10, (0.5, 1.0)), Some(0.0));
        assert_eq!(normalized(Variable::Coh, 10, (0.5, 0.5)), Some(0.0));
        assert_eq!(normalized(Variable::Coh, 0, (0.0, 1.0)), None);
        // A reversed range flips the colours rather than failing.
        assert_eq!(normalized(Variable::Coh, 25, (1.0, 0.0)), Some(0.75));
    }
}
