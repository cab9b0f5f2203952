//! Numbers written with a fixed number of decimals, without allocating.
//!
//! [`Fixed`] writes a value the way a page shows it: `72,4` in French text,
//! `314.0` in an SVG coordinate.
//!
//! ```
//! use officine_sdk::number::Fixed;
//!
//! assert_eq!(Fixed::comma(72.25, 1).to_string(), "72,3");
//! assert_eq!(Fixed::point(3.14159, 2).to_string(), "3.14");
//! assert_eq!(Fixed::comma(-0.04, 1).to_string(), "0,0");
//!
//! let mut html = String::new();
//! use std::fmt::Write;
//! write!(html, "<td>{}</td>", Fixed::comma(175.0, 0)).unwrap();
//! assert_eq!(html, "<td>175</td>");
//! ```

use std::fmt;

/// The most decimals [`Fixed`] takes.
pub const MAX_DECIMALS: usize = 6;

const POW10: [u64; MAX_DECIMALS + 1] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];

/// Scaled values from 2^53 on are no longer all exact in an `f64`.
const EXACT_LIMIT: f64 = 9_007_199_254_740_992.0;

/// A number displayed with a fixed number of decimals.
///
/// The value is scaled by 10^decimals and rounded half away from zero: at
/// one decimal, `72.25` is `72.3` and `72.35` is `72.4`. Rust's `{:.1}`
/// rounds the exact binary value instead, ties to even, and writes `72.2`
/// and `72.3` (`72.35` is stored a hair below). The scaling is itself a
/// floating-point product, so a value stored just below a tie can still
/// round down: `0.575` at two decimals is `0.57`, as with `{:.2}`. A value
/// that rounds to zero is written without a sign: `-0.04` at one decimal is
/// `0.0`.
///
/// Non-finite values, and values too large to scale exactly (10^decimals
/// times the value at or above 2^53), are written by Rust's own `{:.prec$}`
/// formatting, with the chosen separator.
///
/// Width, fill, alignment and the `+` flag of the format string apply
/// (`{:>8}`); its precision does not, the decimals are the value's own.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fixed {
    value: f64,
    decimals: u8,
    comma: bool,
}

impl Fixed {
    /// `value` with `decimals` decimals and a decimal point: `72.4`.
    ///
    /// # Panics
    ///
    /// If `decimals` is more than [`MAX_DECIMALS`].
    pub const fn point(value: f64, decimals: usize) -> Fixed {
        Fixed::new(value, decimals, false)
    }

    /// `value` with `decimals` decimals and a decimal comma, as numbers are
    /// written in French: `72,4`.
    ///
    /// # Panics
    ///
    /// If `decimals` is more than [`MAX_DECIMALS`].
    pub const fn comma(value: f64, decimals: usize) -> Fixed {
        Fixed::new(value, decimals, true)
    }

    const fn new(value: f64, decimals: usize, comma: bool) -> Fixed {
        assert!(decimals <= MAX_DECIMALS, "at most 6 decimals");
        Fixed {
            value,
            decimals: decimals as u8,
            comma,
        }
    }

    fn separator(&self) -> u8 {
        if self.comma { b',' } else { b'.' }
    }

    /// Rust's own formatting: rare enough that allocating does not matter.
    fn fallback(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = format!("{:.*}", usize::from(self.decimals), self.value.abs());
        if self.comma {
            text = text.replace('.', ",");
        }
        // NaN has no sign to show.
        let nonnegative = self.value.is_nan() || !self.value.is_sign_negative();
        f.pad_integral(nonnegative, "", &text)
    }
}

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let decimals = usize::from(self.decimals);
        let scaled = self.value.abs() * POW10[decimals] as f64;
        if scaled.is_nan() || scaled >= EXACT_LIMIT {
            return self.fallback(f);
        }
        // Below 2^53, so exact as an integer.
        let mut n = scaled.round() as u64;
        let nonnegative = n == 0 || self.value >= 0.0;

        // Sign, up to 16 digits and the separator.
        let mut buf = [0u8; 24];
        let mut i = buf.len();
        let mut written = 0;
        loop {
            if written == decimals && decimals > 0 {
                i -= 1;
                buf[i] = self.separator();
            }
            i -= 1;
            buf[i] = b'0' + (n % 10) as u8;
            n /= 10;
            written += 1;
            // At least one digit before the separator.
            if n == 0 && written > decimals {
                break;
            }
        }
        let digits = std::str::from_utf8(&buf[i..]).map_err(|_| fmt::Error)?;
        f.pad_integral(nonnegative, "", digits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn comma(value: f64, decimals: usize) -> String {
        Fixed::comma(value, decimals).to_string()
    }

    fn point(value: f64, decimals: usize) -> String {
        Fixed::point(value, decimals).to_string()
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(comma(72.25, 1), "72,3");
        assert_eq!(comma(72.24, 1), "72,2");
        assert_eq!(point(72.35, 1), "72.4");
        assert_eq!(point(0.575, 2), "0.57");
        assert_eq!(comma(0.05, 1), "0,1");
        assert_eq!(comma(-1.25, 1), "-1,3");
        assert_eq!(comma(-1.24, 1), "-1,2");
        assert_eq!(comma(0.5, 0), "1");
        assert_eq!(comma(-0.5, 0), "-1");
        assert_eq!(comma(9.96, 1), "10,0");
        assert_eq!(comma(99.5, 0), "100");
    }

    #[test]
    fn no_negative_zero() {
        assert_eq!(comma(-0.04, 1), "0,0");
        assert_eq!(comma(-0.0, 1), "0,0");
        assert_eq!(comma(-0.0, 0), "0");
        assert_eq!(comma(-0.4, 0), "0");
        assert_eq!(point(-0.000_000_1, 6), "0.000000");
        assert_eq!(comma(0.0, 2), "0,00");
    }

    #[test]
    fn whole_numbers() {
        assert_eq!(comma(176.0, 0), "176");
        assert_eq!(comma(175.4, 0), "175");
        assert_eq!(comma(0.0, 0), "0");
        assert_eq!(comma(-12.0, 0), "-12");
    }

    #[test]
    fn pads_the_fraction() {
        assert_eq!(comma(3.05, 2), "3,05");
        assert_eq!(comma(0.05, 2), "0,05");
        assert_eq!(comma(72.0, 1), "72,0");
        assert_eq!(comma(1.0, 6), "1,000000");
        assert_eq!(comma(0.000_001, 6), "0,000001");
        assert_eq!(comma(-0.5, 3), "-0,500");
    }

    #[test]
    fn point_or_comma() {
        assert_eq!(point(314.0, 1), "314.0");
        assert_eq!(comma(314.0, 1), "314,0");
        assert_eq!(point(6.0, 0), "6");
        assert_eq!(point(-2.5, 2), "-2.50");
    }

    #[test]
    fn agrees_with_core_away_from_ties() {
        for i in -2_000..2_000 {
            let value = f64::from(i) * 0.0173 + 0.001;
            for (decimals, &scale) in POW10.iter().enumerate().take(4) {
                // Ties round differently by design.
                if ((value.abs() * scale as f64).fract() - 0.5).abs() < 1e-6 {
                    continue;
                }
                let core = format!("{value:.decimals$}");
                let core = match core.strip_prefix('-') {
                    Some(rest) if rest.bytes().all(|b| b == b'0' || b == b'.') => rest.to_owned(),
                    _ => core,
                };
                assert_eq!(point(value, decimals), core, "{value} at {decimals}");
            }
        }
    }

    #[test]
    fn large_values_fall_back() {
        // 2^53 / 10: scaled by 10 it no longer fits exactly.
        let big = 1e15;
        assert_eq!(point(big, 1), format!("{big:.1}"));
        assert_eq!(comma(big, 1), "1000000000000000,0");
        assert_eq!(comma(-big, 1), "-1000000000000000,0");
        assert_eq!(comma(1e300, 0), format!("{:.0}", 1e300));
        assert_eq!(point(9_007_199_254_740_992.0, 0), "9007199254740992");
        // Just below the limit: still exact on the integer path.
        assert_eq!(point(9_007_199_254_740_991.0, 0), "9007199254740991");
        assert_eq!(point(123_456_789.125, 6), "123456789.125000");
        assert_eq!(point(-900_719_925.474_099, 6), "-900719925.474099");
    }

    #[test]
    fn non_finite_values_fall_back() {
        assert_eq!(comma(f64::NAN, 1), "NaN");
        assert_eq!(comma(-f64::NAN, 1), "NaN");
        assert_eq!(comma(f64::INFINITY, 1), "inf");
        assert_eq!(point(f64::NEG_INFINITY, 2), "-inf");
    }

    #[test]
    fn honours_width_and_sign_flags() {
        assert_eq!(format!("{:>6}", Fixed::comma(72.4, 1)), "  72,4");
        assert_eq!(format!("{:<6}|", Fixed::comma(-1.0, 1)), "-1,0  |");
        assert_eq!(format!("{:06}", Fixed::comma(-1.0, 1)), "-001,0");
        assert_eq!(format!("{:+}", Fixed::point(1.5, 1)), "+1.5");
        assert_eq!(format!("{:>6}", Fixed::point(f64::INFINITY, 1)), "   inf");
        // The precision is the value's own.
        assert_eq!(format!("{:.3}", Fixed::point(1.25, 1)), "1.3");
    }

    #[test]
    #[should_panic(expected = "at most 6 decimals")]
    fn too_many_decimals() {
        let _ = Fixed::point(1.0, 7);
    }
}
