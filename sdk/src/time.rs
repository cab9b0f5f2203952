//! Time: the current timestamp and calendar dates.
//!
//! Timestamps are milliseconds since the Unix epoch, UTC, as everywhere in
//! the platform contract.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::Timestamp;

/// One second, in milliseconds.
pub const SECOND: Timestamp = 1_000;
/// One minute, in milliseconds.
pub const MINUTE: Timestamp = 60 * SECOND;
/// One hour, in milliseconds.
pub const HOUR: Timestamp = 60 * MINUTE;
/// One day, in milliseconds.
pub const DAY: Timestamp = 24 * HOUR;

/// The current time, in milliseconds since the Unix epoch (UTC).
///
/// Inside a component this reads the platform's wall clock
/// (`wasi:clocks/wall-clock`).
pub fn now() -> Timestamp {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => Timestamp::try_from(d.as_millis()).unwrap_or(Timestamp::MAX),
        Err(e) => -Timestamp::try_from(e.duration().as_millis()).unwrap_or(Timestamp::MAX),
    }
}

/// A calendar date (proleptic Gregorian, UTC).
///
/// ```
/// use officine_sdk::time::Date;
///
/// let d = Date::from_timestamp(1_700_000_000_000);
/// assert_eq!(d.to_string(), "2023-11-14");
/// assert_eq!(d.format_fr(), "14/11/2023");
/// assert_eq!(format!("le {}", d.fr()), "le 14/11/2023");
/// assert_eq!("2023-11-14".parse::<Date>(), Ok(d));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    /// The year, e.g. 2025.
    pub year: i32,
    /// The month, 1 to 12.
    pub month: u32,
    /// The day of the month, 1 to 31.
    pub day: u32,
}

impl Date {
    /// The UTC date of a timestamp.
    pub fn from_timestamp(at: Timestamp) -> Date {
        civil_from_days(at.div_euclid(DAY))
    }

    /// Midnight UTC at the start of this date.
    pub fn to_timestamp(self) -> Timestamp {
        days_from_civil(self.year, self.month, self.day) * DAY
    }

    /// `dd/mm/yyyy`, as dates are written in French.
    ///
    /// To write the date into a larger text, [`Date::fr`] does not allocate.
    pub fn format_fr(self) -> String {
        self.fr().to_string()
    }

    /// Displays the date as `dd/mm/yyyy`, as dates are written in French:
    /// `write!(html, "le {}", date.fr())`.
    pub fn fr(self) -> DateFr {
        DateFr(self)
    }
}

/// A [`Date`] displayed as `dd/mm/yyyy`; made by [`Date::fr`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateFr(Date);

impl fmt::Display for DateFr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Date { year, month, day } = self.0;
        let y = match u32::try_from(year) {
            Ok(y) if y <= 9999 && month <= 99 && day <= 99 => y,
            // A negative year, or a part wider than its field.
            _ => return write!(f, "{day:02}/{month:02}/{year:04}"),
        };
        // Every part fits its field: the digits go straight into place.
        let digit = |n: u32| b'0' + (n % 10) as u8;
        let text = [
            digit(day / 10),
            digit(day),
            b'/',
            digit(month / 10),
            digit(month),
            b'/',
            digit(y / 1000),
            digit(y / 100),
            digit(y / 10),
            digit(y),
        ];
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Display for Date {
    /// ISO 8601: `yyyy-mm-dd`, the value of an HTML `<input type="date">`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// The text is not a valid `yyyy-mm-dd` date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidDate;

impl fmt::Display for InvalidDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("expected a date written yyyy-mm-dd")
    }
}

impl std::error::Error for InvalidDate {}

impl std::str::FromStr for Date {
    type Err = InvalidDate;

    /// Parses `yyyy-mm-dd` (four-digit year), checking the day exists.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.trim().splitn(3, '-');
        let mut next = |len: usize| {
            parts
                .next()
                .filter(|p| p.len() == len && p.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|p| p.parse::<u32>().ok())
                .ok_or(InvalidDate)
        };
        let (year, month, day) = (next(4)?, next(2)?, next(2)?);
        let year = i32::try_from(year).map_err(|_| InvalidDate)?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(InvalidDate);
        }
        Ok(Date { year, month, day })
    }
}

fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(year) => 29,
        _ => 28,
    }
}

// Howard Hinnant's algorithms, days counted from 1970-01-01.
fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i64) -> Date {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Date {
        year: year as i32,
        month,
        day,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_is_after_2024() {
        assert!(now() > 1_704_067_200_000);
    }

    #[test]
    fn dates_round_trip() {
        let cases = [
            (
                0,
                Date {
                    year: 1970,
                    month: 1,
                    day: 1,
                },
            ),
            (
                951_782_400_000,
                Date {
                    year: 2000,
                    month: 2,
                    day: 29,
                },
            ),
            (
                1_709_164_800_000,
                Date {
                    year: 2024,
                    month: 2,
                    day: 29,
                },
            ),
            (
                1_735_603_200_000,
                Date {
                    year: 2024,
                    month: 12,
                    day: 31,
                },
            ),
            (
                -DAY,
                Date {
                    year: 1969,
                    month: 12,
                    day: 31,
                },
            ),
        ];
        for (at, date) in cases {
            assert_eq!(Date::from_timestamp(at), date);
            assert_eq!(date.to_timestamp(), at);
            assert_eq!(Date::from_timestamp(at + DAY - 1), date);
        }
        let mut at = -400 * 366 * DAY;
        while at < 400 * 366 * DAY {
            let d = Date::from_timestamp(at);
            assert_eq!(d.to_timestamp(), at);
            assert_eq!(d.to_string().parse::<Date>(), Ok(d));
            at += 17 * DAY;
        }
    }

    #[test]
    fn parses_and_formats() {
        let d: Date = "2025-03-07".parse().unwrap();
        assert_eq!(
            d,
            Date {
                year: 2025,
                month: 3,
                day: 7
            }
        );
        assert_eq!(d.to_string(), "2025-03-07");
        assert_eq!(d.format_fr(), "07/03/2025");
        assert_eq!(d.fr().to_string(), "07/03/2025");
        for bad in [
            "",
            "2025-3-07",
            "2025-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-01-32",
            "25-01-01",
            "2025-01-01x",
            "2025/01/01",
        ] {
            assert_eq!(bad.parse::<Date>(), Err(InvalidDate), "{bad}");
        }
        assert!("2024-02-29".parse::<Date>().is_ok());
    }

    #[test]
    fn french_dates_match_padded_formatting() {
        let padded = |d: Date| format!("{:02}/{:02}/{:04}", d.day, d.month, d.year);
        let mut at = -3000 * 366 * DAY;
        while at < 9000 * 366 * DAY {
            let d = Date::from_timestamp(at);
            assert_eq!(d.fr().to_string(), padded(d));
            at += 13 * DAY + 7;
        }
        for d in [
            Date {
                year: 0,
                month: 1,
                day: 1,
            },
            Date {
                year: 9999,
                month: 12,
                day: 31,
            },
            Date {
                year: 10_000,
                month: 1,
                day: 9,
            },
            Date {
                year: -44,
                month: 3,
                day: 15,
            },
            Date {
                year: 2025,
                month: 100,
                day: 123,
            },
        ] {
            assert_eq!(d.fr().to_string(), padded(d));
            assert_eq!(d.format_fr(), padded(d));
        }
    }
}
