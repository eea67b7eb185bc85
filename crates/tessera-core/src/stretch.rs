//! The histogram of a view's values and the 2–98 % auto-range ("stretch").
//!
//! A fixed colour range rarely fits what is on screen: coherence over a
//! desert and over a forest use very different parts of 0..1, and the
//! backscatter in dB even more so. Users of every raster viewer ask for a
//! range taken from the data itself (titiler issue 420, raster-foundry issue
//! 4163), and the usual answer is the 2nd to 98th percentile, which ignores
//! the few outliers that a min–max range would be stretched by. The histogram
//! beside the legend shows where the range cuts the distribution.
//!
//! NaN is no data throughout; infinities are never part of a range.

/// Bins of a histogram beside the legend.
pub const HISTOGRAM_BINS: usize = 64;

/// The auto-range's lower and upper quantiles.
pub const AUTO_RANGE_QUANTILES: (f64, f64) = (0.02, 0.98);

/// Counts of values in equal bins over a range.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// The range the bins span, in physical units; `lo < hi` always, both
    /// finite.
    pub range: (f64, f64),
    /// Counts per bin, `HISTOGRAM_BINS` or as asked; values outside `range`
    /// are counted in `below`/`above`, not clamped into the end bins (a
    /// clamped outlier would make an end bin look like a peak).
    pub counts: Vec<u32>,
    /// Values less than `range.0` (including −∞).
    pub below: u32,
    /// Values greater than `range.1` (including +∞).
    pub above: u32,
    /// Values that were NaN (no data) — not counted anywhere else.
    pub no_data: u32,
}

impl Histogram {
    /// Counts `values` (NaN = no data) into `bins` equal bins over `range`.
    ///
    /// `range` is `(lo, hi)`; if `lo > hi` the two are swapped. `None` if
    /// `lo == hi`, if either is not finite, if `hi − lo` overflows `f64`, or
    /// if `bins` is 0.
    ///
    /// With `w = (hi − lo) / bins`, bin `i` covers `[lo + i·w, lo + (i+1)·w)`
    /// (edges computed exactly so in `f64`); the value `hi` itself goes in
    /// the last bin. Counts saturate at `u32::MAX`.
    pub fn of(
        values: impl IntoIterator<Item = f64>,
        range: (f64, f64),
        bins: usize,
    ) -> Option<Histogram> {
        let (lo, hi) = if range.0 > range.1 {
            (range.1, range.0)
        } else {
            range
        };
        if bins == 0 || !lo.is_finite() || !hi.is_finite() || lo == hi || !(hi - lo).is_finite() {
            return None;
        }
        let mut histogram = Histogram {
            range: (lo, hi),
            counts: vec![0; bins],
            below: 0,
            above: 0,
            no_data: 0,
        };
        for v in values {
            let slot = if v.is_nan() {
                &mut histogram.no_data
            } else if v < lo {
                &mut histogram.below
            } else if v > hi {
                &mut histogram.above
            } else {
                &mut histogram.counts[bin_of(v, (lo, hi), bins)]
            };
            // Saturating: an overflow must not panic (debug) or wrap (release).
            *slot = slot.saturating_add(1);
        }
        Some(histogram)
    }

    /// Values counted in bins (not below/above/no data).
    pub fn in_range(&self) -> u64 {
        self.counts.iter().map(|&c| u64::from(c)).sum()
    }

    /// The largest bin count (for drawing heights), 0 if none.
    pub fn peak(&self) -> u32 {
        self.counts.iter().copied().max().unwrap_or(0)
    }
}

/// The lower edge of bin `i`: `lo + i·w`. Monotone in `i` (rounding is
/// monotone), which `bin_of` relies on.
fn bin_edge((lo, hi): (f64, f64), bins: usize, i: usize) -> f64 {
    lo + i as f64 * ((hi - lo) / bins as f64)
}

/// The bin of `v`, `lo <= v <= hi`: the last `i` whose lower edge is `<= v`.
fn bin_of(v: f64, range: (f64, f64), bins: usize) -> usize {
    let (lo, hi) = range;
    // The arithmetic guess is right but for rounding near an edge; it is
    // checked against the edges themselves so that a value always lies in
    // the interval of its bin. (`as` saturates, so the guess is in range.)
    let guess = (((v - lo) / (hi - lo)) * bins as f64) as usize;
    let guess = guess.min(bins - 1);
    let fits = |i: usize| {
        bin_edge(range, bins, i) <= v && (i + 1 == bins || v < bin_edge(range, bins, i + 1))
    };
    if fits(guess) {
        return guess;
    }
    // Binary search for the last edge <= v; edge 0 is lo <= v.
    let (mut good, mut bad) = (0, bins);
    while bad - good > 1 {
        let mid = good + (bad - good) / 2;
        if bin_edge(range, bins, mid) <= v {
            good = mid;
        } else {
            bad = mid;
        }
    }
    good
}

/// The `q.0` and `q.1` quantiles of the finite values (NaN and ±∞ ignored).
///
/// Nearest rank on the sorted values: for `n` values the quantile `q` is the
/// value at index `ceil(q·n) − 1` (computed in `f64`), clamped to `0..=n−1`.
/// This is what `numpy.percentile(a, 100·q, method="inverted_cdf")` (or
/// `numpy.quantile(a, q, method="inverted_cdf")`) gives, so it can be checked
/// in Python. Unlike interpolating methods, the result is always one of the
/// values.
///
/// Each `q` is clamped into `0..=1` (NaN is taken as 0); if `q.0 > q.1` the
/// two are swapped. `None` with no finite value.
///
/// If both quantiles are equal (a flat view) the range is widened to
/// `(v − d, v + d)` with `d = max(|v|·1e−6, 1e−9)`, because a range of zero
/// width cannot be drawn; an end that would overflow is held at `±f64::MAX`.
/// So `lo < hi` always, and the result is a valid range for [`Histogram::of`].
///
/// Linear time on average (a selection, not a sort); it copies the finite
/// values once.
pub fn quantile_range(values: impl IntoIterator<Item = f64>, q: (f64, f64)) -> Option<(f64, f64)> {
    let mut finite: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
    let n = finite.len();
    if n == 0 {
        return None;
    }
    let clamp = |q: f64| if q.is_nan() { 0.0 } else { q.clamp(0.0, 1.0) };
    let (q0, q1) = (clamp(q.0), clamp(q.1));
    let (q0, q1) = if q0 > q1 { (q1, q0) } else { (q0, q1) };
    // `as usize` saturates; q·n >= 0 here, so 0 → index 0 via saturating_sub.
    let rank = |q: f64| {
        ((q * n as f64).ceil() as usize)
            .saturating_sub(1)
            .min(n - 1)
    };
    let (k0, k1) = (rank(q0), rank(q1));
    // After selecting k0, everything past it is >= it: select k1 among those.
    let (_, &mut lo, upper) = finite.select_nth_unstable_by(k0, f64::total_cmp);
    let hi = if k1 == k0 {
        lo
    } else {
        *upper.select_nth_unstable_by(k1 - k0 - 1, f64::total_cmp).1
    };
    if lo == hi {
        let d = (lo.abs() * 1e-6).max(1e-9);
        // Near ±f64::MAX one side would overflow; the other still widens.
        return Some(((lo - d).max(f64::MIN), (lo + d).min(f64::MAX)));
    }
    Some((lo, hi))
}

/// [`quantile_range`] with [`AUTO_RANGE_QUANTILES`]: the 2–98 % stretch.
pub fn auto_range(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    quantile_range(values, AUTO_RANGE_QUANTILES)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn one_to_a_hundred_stretches_to_two_and_ninety_eight() {
        let values = (1..=100).map(f64::from);
        assert_eq!(auto_range(values), Some((2.0, 98.0)));
        // Order does not matter.
        let reversed = (1..=100).rev().map(f64::from);
        assert_eq!(auto_range(reversed), Some((2.0, 98.0)));
    }

    #[test]
    fn nearest_rank_by_hand() {
        // n = 10: q = 0.02 → ceil(0.2) − 1 = 0; q = 0.98 → ceil(9.8) − 1 = 9.
        let ten = || (1..=10).map(f64::from);
        assert_eq!(auto_range(ten()), Some((1.0, 10.0)));
        // q = 0.25 → ceil(2.5) − 1 = 2 (value 3); q = 0.5 → ceil(5) − 1 = 4 (value 5).
        assert_eq!(quantile_range(ten(), (0.25, 0.5)), Some((3.0, 5.0)));
        // Swapped and out-of-range quantiles: (1.5, −1) → (0, 1).
        assert_eq!(quantile_range(ten(), (1.5, -1.0)), Some((1.0, 10.0)));
        // A NaN quantile is taken as 0.
        assert_eq!(quantile_range(ten(), (f64::NAN, 0.5)), Some((1.0, 5.0)));
    }

    #[test]
    fn no_data_and_infinities_are_ignored() {
        let mut values: Vec<f64> = (1..=100).map(f64::from).collect();
        values.extend([f64::NAN; 50]);
        values.extend([f64::INFINITY, f64::NEG_INFINITY, f64::INFINITY]);
        values.rotate_left(37);
        assert_eq!(auto_range(values), Some((2.0, 98.0)));
        assert_eq!(auto_range([]), None);
        assert_eq!(
            auto_range([f64::NAN, f64::INFINITY, f64::NEG_INFINITY]),
            None
        );
    }

    #[test]
    fn a_flat_view_is_widened() {
        assert_eq!(auto_range([5.0; 10]), Some((5.0 - 5e-6, 5.0 + 5e-6)));
        assert_eq!(auto_range([0.0, f64::NAN, 0.0]), Some((-1e-9, 1e-9)));
        assert_eq!(auto_range([-3.0]), Some((-3.0 - 3e-6, -3.0 + 3e-6)));
        // Both quantiles landing on the same value of a non-flat view.
        let (lo, hi) = quantile_range([1.0, 2.0, 2.0, 2.0, 3.0], (0.4, 0.6)).unwrap();
        assert_eq!((lo, hi), (2.0 - 2e-6, 2.0 + 2e-6));
        // At the ends of f64 one side cannot widen, the other does.
        let (lo, hi) = auto_range([f64::MAX; 3]).unwrap();
        assert!(lo < hi && hi == f64::MAX && lo.is_finite());
        let (lo, hi) = auto_range([f64::MIN; 3]).unwrap();
        assert!(lo < hi && lo == f64::MIN && hi.is_finite());
        let tiny = f64::from_bits(1); // the smallest subnormal
        let (lo, hi) = auto_range([tiny]).unwrap();
        assert!(lo < tiny && tiny < hi);
    }

    #[test]
    fn histogram_by_hand() {
        let values = [
            0.0,
            0.5,
            1.0,
            2.5,
            3.99,
            4.0,
            -1.0,
            5.0,
            f64::NAN,
            f64::NEG_INFINITY,
            f64::INFINITY,
        ];
        let h = Histogram::of(values, (0.0, 4.0), 4).unwrap();
        assert_eq!(
            h,
            Histogram {
                range: (0.0, 4.0),
                counts: vec![2, 1, 1, 2],
                below: 2,
                above: 2,
                no_data: 1,
            }
        );
        assert_eq!(h.in_range(), 6);
        assert_eq!(h.peak(), 2);
        // A swapped range is the same range.
        assert_eq!(Histogram::of(values, (4.0, 0.0), 4), Some(h));
    }

    #[test]
    fn hi_goes_in_the_last_bin() {
        let h = Histogram::of([1.0], (0.0, 1.0), HISTOGRAM_BINS).unwrap();
        assert_eq!(h.counts.len(), HISTOGRAM_BINS);
        assert_eq!(h.counts[HISTOGRAM_BINS - 1], 1);
        assert_eq!(h.in_range(), 1);
        // lo goes in the first, and an inner edge starts its bin.
        let h = Histogram::of([0.0, 0.5], (0.0, 1.0), 2).unwrap();
        assert_eq!(h.counts, vec![1, 1]);
    }

    #[test]
    fn histogram_of_nothing_and_bad_ranges() {
        let h = Histogram::of([], (0.0, 1.0), 3).unwrap();
        assert_eq!((h.in_range(), h.peak()), (0, 0));
        assert_eq!(h.counts, vec![0, 0, 0]);
        assert_eq!(Histogram::of([1.0], (1.0, 1.0), 3), None);
        assert_eq!(Histogram::of([1.0], (0.0, f64::NAN), 3), None);
        assert_eq!(Histogram::of([1.0], (f64::NEG_INFINITY, 1.0), 3), None);
        assert_eq!(Histogram::of([1.0], (f64::MIN, f64::MAX), 3), None);
        assert_eq!(Histogram::of([1.0], (0.0, 1.0), 0), None);
    }

    #[test]
    fn auto_range_feeds_a_histogram() {
        let values: Vec<f64> = (0..1000).map(|i| f64::from(i % 97) / 96.0).collect();
        let range = auto_range(values.iter().copied()).unwrap();
        let h = Histogram::of(values.iter().copied(), range, HISTOGRAM_BINS).unwrap();
        assert_eq!(h.in_range() + u64::from(h.below) + u64::from(h.above), 1000);
    }

    /// The scalar reference: sort a copy and index, as documented.
    fn reference_quantile_range(values: &[f64], q: (f64, f64)) -> Option<(f64, f64)> {
        let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        if n == 0 {
            return None;
        }
        let clamp = |q: f64| if q.is_nan() { 0.0 } else { q.clamp(0.0, 1.0) };
        let (mut a, mut b) = (clamp(q.0), clamp(q.1));
        if a > b {
            std::mem::swap(&mut a, &mut b);
        }
        let at = |q: f64| {
            let rank = (q * n as f64).ceil() as i64 - 1;
            sorted[rank.clamp(0, n as i64 - 1) as usize]
        };
        let (lo, hi) = (at(a), at(b));
        if lo == hi {
            let d = f64::max(lo.abs() * 1e-6, 1e-9);
            Some(((lo - d).max(f64::MIN), (lo + d).min(f64::MAX)))
        } else {
            Some((lo, hi))
        }
    }

    /// Values of every kind, with many ties (small integers) and no data.
    fn value() -> impl Strategy<Value = f64> {
        prop_oneof![
            4 => (-5i32..5).prop_map(f64::from),
            4 => -1e3f64..1e3,
            2 => any::<f64>(),
            1 => Just(f64::NAN),
            1 => Just(f64::INFINITY),
            1 => Just(f64::NEG_INFINITY),
            1 => Just(-0.0),
        ]
    }

    fn quantile() -> impl Strategy<Value = f64> {
        prop_oneof![
            4 => 0.0f64..=1.0,
            1 => -0.5f64..1.5,
            1 => Just(0.0),
            1 => Just(1.0),
            1 => Just(0.02),
            1 => Just(0.98),
        ]
    }

    /// Ranges of every kind, including swapped and degenerate ones.
    fn range() -> impl Strategy<Value = (f64, f64)> {
        prop_oneof![
            (
                (-5i32..5).prop_map(f64::from),
                (-5i32..5).prop_map(f64::from)
            ),
            (-1e3f64..1e3, -1e3f64..1e3),
            (any::<f64>(), any::<f64>()),
            (-1e3f64..1e3).prop_map(|lo| (lo, lo + 1e-12)),
        ]
    }

    proptest! {
        #[test]
        fn quantile_range_matches_sort_and_index(
            values in proptest::collection::vec(value(), 0..300),
            q in (quantile(), quantile()),
        ) {
            let got = quantile_range(values.iter().copied(), q);
            let want = reference_quantile_range(&values, q);
            prop_assert_eq!(got, want);
            if let Some((lo, hi)) = got {
                prop_assert!(lo < hi && lo.is_finite() && hi.is_finite());
            }
        }

        #[test]
        fn histogram_counts_every_value_once(
            values in proptest::collection::vec(value(), 0..300),
            range in range(),
            bins in 1usize..100,
        ) {
            let h = Histogram::of(values.iter().copied(), range, bins);
            let (lo, hi) = if range.0 > range.1 { (range.1, range.0) } else { range };
            let valid = lo.is_finite() && hi.is_finite() && lo < hi && (hi - lo).is_finite();
            prop_assert_eq!(h.is_some(), valid);
            if let Some(h) = h {
                prop_assert_eq!(h.range, (lo, hi));
                prop_assert_eq!(h.counts.len(), bins);
                let total = h.in_range() + u64::from(h.below) + u64::from(h.above) + u64::from(h.no_data);
                prop_assert_eq!(total, values.len() as u64);
                prop_assert_eq!(h.no_data as usize, values.iter().filter(|v| v.is_nan()).count());
                prop_assert_eq!(h.below as usize, values.iter().filter(|&&v| v < lo).count());
                prop_assert_eq!(h.above as usize, values.iter().filter(|&&v| v > hi).count());
            }
        }

        #[test]
        fn every_value_lies_in_its_bins_interval(
            values in proptest::collection::vec(value(), 0..100),
            range in range(),
            bins in 1usize..100,
            edges in proptest::collection::vec(0usize..100, 0..20),
        ) {
            let Some(h) = Histogram::of(values.iter().copied(), range, bins) else {
                return Ok(());
            };
            let (lo, hi) = h.range;
            let w = (hi - lo) / bins as f64;
            let edge = |i: usize| lo + i as f64 * w;
            // Values on the edges themselves, and just either side.
            let mut values = values;
            for i in edges.into_iter().filter(|&i| i <= bins) {
                let e = edge(i);
                values.extend([e, e.next_down(), e.next_up()]);
            }
            let mut counts = vec![0u32; bins];
            for &v in &values {
                let one = Histogram::of([v], (lo, hi), bins).unwrap();
                if !(lo..=hi).contains(&v) {
                    prop_assert_eq!(one.in_range(), 0);
                    continue;
                }
                let i = one.counts.iter().position(|&c| c == 1).unwrap();
                prop_assert_eq!(one.in_range(), 1);
                prop_assert!(edge(i) <= v, "{} below bin {} of {:?}", v, i, (lo, hi));
                prop_assert!(v < edge(i + 1) || i == bins - 1, "{} above bin {} of {:?}", v, i, (lo, hi));
                counts[i] += 1;
            }
            // And counting them all at once agrees with one by one.
            let all = Histogram::of(values.iter().copied(), (lo, hi), bins).unwrap();
            prop_assert_eq!(all.counts, counts);
        }
    }
}
