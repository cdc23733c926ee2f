//! Choosing the LSH banding `(bands, rows)` for a similarity threshold
//! (Leskovec, Rajaraman, Ullman, *Mining of Massive Datasets*, ch. 3.4).
//!
//! Two documents with Jaccard similarity `s` share at least one of `b` bands
//! of `r` rows with probability `P(s) = 1 - (1 - s^r)^b`: an S-curve. The
//! parameters are chosen to minimise a weighted sum of the area under the curve
//! below the threshold (false candidates) and the area above the curve past it
//! (missed pairs). The weight leans toward recall: every candidate is verified,
//! so a false candidate costs a few nanoseconds and a missed one costs a copy.

use crate::config::unit_interval;
use crate::error::{Error, Result};

/// Weight of missed pairs in the cost the default parameters minimise; false
/// candidates get `1 - RECALL_WEIGHT`.
pub const RECALL_WEIGHT: f64 = 0.8;

/// A banding of a `k`-slot signature into `bands` bands of `rows` slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct LshParams {
    bands: usize,
    rows: usize,
}

impl LshParams {
    /// An explicit banding.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when a value is zero or `bands * rows > num_perm`.
    pub fn new(bands: usize, rows: usize, num_perm: usize) -> Result<Self> {
        if bands == 0 || rows == 0 {
            return Err(Error::config(
                "copies.bands",
                "bands and rows must be positive",
            ));
        }
        if bands.saturating_mul(rows) > num_perm {
            return Err(Error::config(
                "copies.bands",
                format!(
                    "{bands} bands x {rows} rows needs {} slots, the signature has {num_perm}",
                    bands * rows
                ),
            ));
        }
        Ok(LshParams { bands, rows })
    }

    /// The banding that minimises `(1 - recall_weight) * FP + recall_weight * FN`
    /// for `threshold`, over every `bands * rows <= num_perm`.
    ///
    /// # Errors
    /// [`Error::InvalidConfig`] when `threshold` or `recall_weight` is outside
    /// `(0, 1]`, or `num_perm` is zero.
    ///
    /// # Example
    /// ```
    /// use storyhash::lsh::LshParams;
    /// let p = LshParams::optimal(0.5, 128, 0.5)?;
    /// assert!(p.probability(0.8) > 0.99 && p.probability(0.2) < 0.1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn optimal(threshold: f64, num_perm: usize, recall_weight: f64) -> Result<Self> {
        unit_interval("copies.candidate_threshold", threshold)?;
        unit_interval("recall_weight", recall_weight)?;
        if num_perm == 0 {
            return Err(Error::config("sketch.num_perm", "must be positive"));
        }
        let mut best = (f64::INFINITY, LshParams { bands: 1, rows: 1 });
        for bands in 1..=num_perm {
            for rows in 1..=num_perm / bands {
                let p = LshParams { bands, rows };
                let fp = integrate(|s| p.probability(s), 0.0, threshold);
                let fnr = integrate(|s| 1.0 - p.probability(s), threshold, 1.0);
                let cost = (1.0 - recall_weight) * fp + recall_weight * fnr;
                if cost < best.0 {
                    best = (cost, p);
                }
            }
        }
        Ok(best.1)
    }

    /// Number of bands.
    pub fn bands(&self) -> usize {
        self.bands
    }

    /// Slots per band.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Probability that two documents of Jaccard similarity `s` share a band.
    pub fn probability(&self, s: f64) -> f64 {
        1.0 - (1.0 - s.powi(self.rows as i32)).powi(self.bands as i32)
    }

    /// The similarity at which the S-curve is steepest, `(1 / b)^(1 / r)`.
    pub fn midpoint(&self) -> f64 {
        (1.0 / self.bands as f64).powf(1.0 / self.rows as f64)
    }

    /// `(similarity, probability)` at `points` evenly spaced similarities from 0 to 1.
    pub fn s_curve(&self, points: usize) -> Vec<(f64, f64)> {
        let n = points.max(2) - 1;
        (0..=n)
            .map(|i| {
                let s = i as f64 / n as f64;
                (s, self.probability(s))
            })
            .collect()
    }
}

/// One band of one row: a placeholder (an empty [`Report`](crate::Report)
/// holds it); real bandings come from a configuration.
impl Default for LshParams {
    fn default() -> Self {
        LshParams { bands: 1, rows: 1 }
    }
}

impl std::fmt::Display for LshParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} bands x {} rows", self.bands, self.rows)?;
        if f.alternate() {
            writeln!(f, " (steepest at J = {:.3})", self.midpoint())?;
            for (s, p) in self.s_curve(11) {
                let bar = "#".repeat((p * 40.0).round() as usize);
                writeln!(f, "  J {s:.1}  P {p:.4}  {bar}")?;
            }
        }
        Ok(())
    }
}

/// Simpson's rule with 64 intervals: ample for these smooth curves.
fn integrate(f: impl Fn(f64) -> f64, a: f64, b: f64) -> f64 {
    const N: usize = 64;
    let h = (b - a) / N as f64;
    let mut sum = f(a) + f(b);
    for i in 1..N {
        let w = if i % 2 == 1 { 4.0 } else { 2.0 };
        sum += w * f(a + h * i as f64);
    }
    sum * h / 3.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_params_are_checked() {
        assert!(LshParams::new(32, 4, 128).is_ok());
        assert!(LshParams::new(33, 4, 128).is_err());
        assert!(LshParams::new(0, 4, 128).is_err());
    }

    #[test]
    fn optimal_midpoint_tracks_threshold() {
        for t in [0.3, 0.5, 0.7, 0.9] {
            let p = LshParams::optimal(t, 128, 0.5).unwrap();
            assert!(
                (p.midpoint() - t).abs() < 0.15,
                "{t}: {p} midpoint {}",
                p.midpoint()
            );
            assert!(p.bands() * p.rows() <= 128);
        }
    }

    #[test]
    fn recall_weight_moves_the_curve_left() {
        let balanced = LshParams::optimal(0.5, 128, 0.5).unwrap();
        let recall = LshParams::optimal(0.5, 128, 0.9).unwrap();
        assert!(recall.probability(0.5) >= balanced.probability(0.5));
    }

    #[test]
    fn s_curve_is_monotone() {
        let p = LshParams::new(32, 4, 128).unwrap();
        let c = p.s_curve(21);
        assert_eq!(c.len(), 21);
        assert!(c.windows(2).all(|w| w[0].1 <= w[1].1));
        assert_eq!(c[0].1, 0.0);
        assert!((c[20].1 - 1.0).abs() < 1e-12);
    }
}
