//! Editors' legal identity: the French registration number that names who
//! publishes a service.

use std::fmt;
use std::str::FromStr;

use serde::{Serialize, Serializer};

/// An editor's registration number: a SIRET (a business establishment, in
/// the national business register) or a FINESS (a health or social
/// establishment, in the national register of such establishments).
///
/// Written `siret:<14 digits>` or `finess:<9 characters>` in a manifest.
///
/// ```
/// use officine_registry::LegalId;
///
/// let id: LegalId = "siret:00000000000018".parse().unwrap();
/// assert_eq!(id.to_string(), "siret:00000000000018");
/// assert!("siret:00000000000019".parse::<LegalId>().is_err()); // check digit
/// assert!("finess:750000000".parse::<LegalId>().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LegalId {
    /// 14 digits: the company's SIREN (9) and the establishment's number (5),
    /// with a Luhn check digit.
    Siret(String),
    /// 9 characters: a département code (two digits, or `2A` / `2B` for
    /// Corsica) and seven digits.
    Finess(String),
}

impl LegalId {
    /// The number, without its kind.
    pub fn number(&self) -> &str {
        match self {
            LegalId::Siret(n) | LegalId::Finess(n) => n,
        }
    }
}

impl fmt::Display for LegalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LegalId::Siret(n) => write!(f, "siret:{n}"),
            LegalId::Finess(n) => write!(f, "finess:{n}"),
        }
    }
}

impl FromStr for LegalId {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.split_once(':') {
            Some(("siret", number)) => siret(number).map(|()| LegalId::Siret(number.to_owned())),
            Some(("finess", number)) => finess(number).map(|()| LegalId::Finess(number.to_owned())),
            _ => Err("expected siret:<14 digits> or finess:<9 characters>".to_owned()),
        }
    }
}

impl Serialize for LegalId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

fn siret(number: &str) -> Result<(), String> {
    if number.len() != 14 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("SIRET {number:?} must be 14 digits"));
    }
    let digits: Vec<u32> = number.bytes().map(|b| u32::from(b - b'0')).collect();
    // La Poste's establishments share one SIREN and follow their own rule.
    let valid = if number.starts_with("356000000") {
        digits.iter().sum::<u32>().is_multiple_of(5)
    } else {
        luhn(&digits)
    };
    if valid {
        Ok(())
    } else {
        Err(format!(
            "SIRET {number} has a wrong check digit (mistyped?)"
        ))
    }
}

/// The Luhn checksum: doubling every second digit from the right.
fn luhn(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| match (i % 2, d * 2) {
            (0, _) => d,
            (_, doubled) if doubled > 9 => doubled - 9,
            (_, doubled) => doubled,
        })
        .sum();
    sum.is_multiple_of(10)
}

fn finess(number: &str) -> Result<(), String> {
    let bytes = number.as_bytes();
    let department_ok = bytes.len() == 9
        && (bytes[..2].iter().all(u8::is_ascii_digit) || matches!(&bytes[..2], b"2A" | b"2B"));
    if department_ok && bytes[2..].iter().all(u8::is_ascii_digit) {
        Ok(())
    } else {
        Err(format!(
            "FINESS {number:?} must be 9 characters: a département code (two digits, 2A or 2B) \
             and seven digits"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn siret_numbers_are_checked() {
        // Luhn-valid numbers, and one of La Poste's (digit sum divisible by 5).
        for valid in ["00000000000018", "00000000000026", "35600000000042"] {
            assert!(valid.parse::<LegalId>().is_err(), "the kind is required");
            let id: LegalId = format!("siret:{valid}").parse().unwrap();
            assert_eq!(id.number(), valid);
        }
        for (bad, why) in [
            ("siret:00000000000027", "check digit"),
            ("siret:0000000000001", "14 digits"),
            ("siret:0000000000001A", "14 digits"),
            ("siret:35600000000043", "check digit"),
            ("siren:000000001", "expected siret"),
        ] {
            let error = bad.parse::<LegalId>().unwrap_err();
            assert!(error.contains(why), "{bad}: {error}");
        }
    }

    #[test]
    fn finess_numbers_are_checked() {
        for valid in ["750000000", "2A0000000", "2B1234567", "970000000"] {
            let id: LegalId = format!("finess:{valid}").parse().unwrap();
            assert_eq!(id.to_string(), format!("finess:{valid}"));
        }
        for bad in [
            "75000000",
            "7500000000",
            "2C0000000",
            "75000000A",
            "A75000000",
        ] {
            let error = format!("finess:{bad}").parse::<LegalId>().unwrap_err();
            assert!(error.contains("9 characters"), "{bad}: {error}");
        }
    }
}
