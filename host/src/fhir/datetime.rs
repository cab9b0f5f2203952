//! FHIR dates and times, to and from the platform's milliseconds since the
//! Unix epoch (always UTC).

use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Month, OffsetDateTime, UtcOffset};

/// How much of a date-time a text gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Precision {
    Year,
    Month,
    Day,
    /// A time, to the second or finer.
    Time,
}

/// A FHIR `date` or `dateTime` as the range of instants it stands for:
/// `2025-03` is the whole of March 2025 (UTC), a full date-time one
/// second (or one millisecond when it has a fraction).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    /// First instant, ms.
    pub start: i64,
    /// First instant after the range, ms.
    pub end: i64,
    pub precision: Precision,
}

/// Why a text is not a FHIR date or date-time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("expected YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss[.sss](Z|+hh:mm|-hh:mm)")]
    Syntax,
    #[error("a time needs a time zone (Z or an offset such as +01:00)")]
    NoTimeZone,
    #[error("the year must be between 1 and 9999")]
    Year,
}

/// An instant as FHIR `instant` / `dateTime`: RFC 3339 in UTC, to the
/// millisecond, e.g. `2025-03-01T08:30:00.000Z`. Instants outside years
/// 1–9999 (which storage never holds) are clamped.
pub fn instant(ms: i64) -> String {
    const MIN: i64 = -62_135_596_800_000; // 0001-01-01T00:00:00Z
    const MAX: i64 = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z
    let ms = ms.clamp(MIN, MAX);
    let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    at.format(format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    ))
    .unwrap_or_default()
}

/// Parses a FHIR `date` or `dateTime`. Dates without a time are taken in
/// UTC, the platform's time zone.
pub fn parse(text: &str) -> Result<DateRange, DateError> {
    if text.contains('T') {
        return parse_time(text);
    }
    let parts: Vec<&str> = text.split('-').collect();
    let number = |part: &str, len: usize| -> Result<u32, DateError> {
        if part.len() != len || !part.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DateError::Syntax);
        }
        part.parse().map_err(|_| DateError::Syntax)
    };
    let year = number(parts[0], 4)? as i32;
    if year == 0 {
        return Err(DateError::Year);
    }
    let month = |m: u32| Month::try_from(m as u8).map_err(|_| DateError::Syntax);
    let (start, end, precision) = match parts.as_slice() {
        [_] => (
            first_day(year, Month::January)?,
            first_day(year + 1, Month::January).ok(),
            Precision::Year,
        ),
        [_, m] => {
            let m = month(number(m, 2)?)?;
            let (next_year, next) = match m {
                Month::December => (year + 1, Month::January),
                _ => (year, m.next()),
            };
            (
                first_day(year, m)?,
                first_day(next_year, next).ok(),
                Precision::Month,
            )
        }
        [_, m, d] => {
            let day = Date::from_calendar_date(year, month(number(m, 2)?)?, number(d, 2)? as u8)
                .map_err(|_| DateError::Syntax)?;
            (day, day.next_day(), Precision::Day)
        }
        _ => return Err(DateError::Syntax),
    };
    let start = midnight(start);
    // The last range of year 9999 ends at the first instant after it.
    let end = end.map_or(253_402_300_800_000, midnight);
    Ok(DateRange {
        start,
        end,
        precision,
    })
}

fn parse_time(text: &str) -> Result<DateRange, DateError> {
    let Some((_, time)) = text.split_once('T') else {
        return Err(DateError::Syntax);
    };
    if !(time.ends_with('Z') || time.contains('+') || time.contains('-')) {
        return Err(DateError::NoTimeZone);
    }
    let at = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| DateError::Syntax)?;
    if !(1..=9999).contains(&at.year()) {
        return Err(DateError::Year);
    }
    let at = at.to_offset(UtcOffset::UTC);
    let start = (at.unix_timestamp_nanos() / 1_000_000) as i64;
    let width = if time.contains('.') { 1 } else { 1000 };
    Ok(DateRange {
        start,
        end: start + width,
        precision: Precision::Time,
    })
}

fn first_day(year: i32, month: Month) -> Result<Date, DateError> {
    Date::from_calendar_date(year, month, 1).map_err(|_| DateError::Year)
}

fn midnight(date: Date) -> i64 {
    date.midnight().assume_utc().unix_timestamp() * 1000
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400_000;

    #[test]
    fn instants_are_utc_rfc3339_to_the_millisecond() {
        assert_eq!(instant(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(instant(1_740_818_096_789), "2025-03-01T08:34:56.789Z");
        assert_eq!(instant(i64::MIN), "0001-01-01T00:00:00.000Z");
        assert_eq!(instant(i64::MAX), "9999-12-31T23:59:59.999Z");
    }

    #[test]
    fn dates_stand_for_their_whole_range() {
        let day = parse("2025-03-01").unwrap();
        assert_eq!(day.start, 1_740_787_200_000);
        assert_eq!(day.end - day.start, DAY);
        assert_eq!(day.precision, Precision::Day);
        let month = parse("2025-02").unwrap();
        assert_eq!(month.end - month.start, 28 * DAY);
        assert_eq!(month.end, day.start);
        let december = parse("2024-12").unwrap();
        assert_eq!(december.end, parse("2025").unwrap().start);
        let year = parse("2024").unwrap();
        assert_eq!(year.end - year.start, 366 * DAY);
        assert_eq!(parse("9999").unwrap().end, 253_402_300_800_000);
    }

    #[test]
    fn date_times_need_a_zone_and_are_converted_to_utc() {
        let t = parse("2025-03-01T09:34:56+01:00").unwrap();
        assert_eq!(t.start, 1_740_818_096_000);
        assert_eq!(t.end - t.start, 1000);
        let t = parse("2025-03-01T08:34:56.789Z").unwrap();
        assert_eq!(t.start, 1_740_818_096_789);
        assert_eq!(t.end - t.start, 1);
        assert_eq!(parse("2025-03-01T08:34:56"), Err(DateError::NoTimeZone));
    }

    #[test]
    fn malformed_dates_are_refused() {
        for text in [
            "",
            "25",
            "2025-3",
            "2025-13",
            "2025-02-30",
            "2025/03/01",
            "2025-03-01T25:00:00Z",
            "2025-03-01T08:34Z",
            "2025-03-01-01",
            "now",
        ] {
            assert!(parse(text).is_err(), "{text}");
        }
        assert_eq!(parse("0000"), Err(DateError::Year));
    }
}
