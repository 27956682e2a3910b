//! Dates as the APIs send them (`DDMMAAAA`, `AAAAMMDD`, `AAAA-MM-DD`, `DD/MM/AAAA`) turned into ISO 8601.

use time::{Date, Month};

/// Which order an undelimited eight-digit date is in, for the API being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DigitsOrder {
    /// `DDMMAAAA`: SERPRO Consulta CPF.
    DayFirst,
    /// `AAAAMMDD`: Conecta CPF Light.
    YearFirst,
}

fn ymd(y: &str, m: &str, d: &str) -> Option<String> {
    let (y, m, d): (i32, u8, u8) = (y.parse().ok()?, m.parse().ok()?, d.parse().ok()?);
    if !(1800..=2200).contains(&y) {
        return None;
    }
    let date = Date::from_calendar_date(y, Month::try_from(m).ok()?, d).ok()?;
    Some(format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day()))
}

fn digits_date(s: &str, order: DigitsOrder) -> Option<String> {
    let day_first = || ymd(&s[4..8], &s[2..4], &s[0..2]);
    let year_first = || ymd(&s[0..4], &s[4..6], &s[6..8]);
    match order {
        DigitsOrder::DayFirst => day_first().or_else(year_first),
        DigitsOrder::YearFirst => year_first().or_else(day_first),
    }
}

/// ISO 8601 (`AAAA-MM-DD`) for any documented date shape, or `None` when the text is not a valid date.
/// An eight-digit date is read in `order` first and in the other order when that gives no valid date.
/// A seven-digit `DDMMAAAA` (an integer that lost its leading zero) is padded back.
pub(crate) fn to_iso(input: &str, order: DigitsOrder) -> Option<String> {
    let s = input.trim();
    if s.len() >= 10 && s.is_char_boundary(10) {
        let head = &s[..10];
        let b = head.as_bytes();
        if b[4] == b'-' && b[7] == b'-' {
            return ymd(&head[0..4], &head[5..7], &head[8..10]);
        }
        if b[2] == b'/' && b[5] == b'/' && s.len() == 10 {
            return ymd(&head[6..10], &head[3..5], &head[0..2]);
        }
        if b[4] == b'/' && b[7] == b'/' && s.len() == 10 {
            return ymd(&head[0..4], &head[5..7], &head[8..10]);
        }
        return None;
    }
    if !s.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    match s.len() {
        8 => digits_date(s, order),
        7 if order == DigitsOrder::DayFirst => digits_date(&format!("0{s}"), order),
        _ => None,
    }
}

/// A year (`AAAA`), or the year of a full date.
pub(crate) fn year(input: &str, order: DigitsOrder) -> Option<u16> {
    let s = input.trim();
    if s.len() == 4 && s.bytes().all(|c| c.is_ascii_digit()) {
        return s.parse().ok().filter(|y| (1800..=2200).contains(y));
    }
    to_iso(s, order).and_then(|iso| iso[..4].parse().ok())
}

#[cfg(test)]
mod tests {
    use super::DigitsOrder::{DayFirst, YearFirst};
    use super::*;

    #[test]
    fn every_documented_shape() {
        assert_eq!(to_iso("01011975", DayFirst).as_deref(), Some("1975-01-01"));
        assert_eq!(to_iso("19380123", YearFirst).as_deref(), Some("1938-01-23"));
        assert_eq!(to_iso("1967-06-30", DayFirst).as_deref(), Some("1967-06-30"));
        assert_eq!(to_iso("2019-06-19T00:00:00", YearFirst).as_deref(), Some("2019-06-19"));
        assert_eq!(to_iso("10/11/1990", DayFirst).as_deref(), Some("1990-11-10"));
        assert_eq!(to_iso("1011975", DayFirst).as_deref(), Some("1975-01-01"));
    }

    #[test]
    fn wrong_order_falls_back_when_unambiguous() {
        assert_eq!(to_iso("19380123", DayFirst).as_deref(), Some("1938-01-23"));
        assert_eq!(to_iso("23011938", YearFirst).as_deref(), Some("1938-01-23"));
    }

    #[test]
    fn invalid_dates_are_none() {
        for bad in ["", "anterior a 10/11/1990", "31022000", "2000-02-30", "00000000", "123", "1975-1-1"] {
            assert_eq!(to_iso(bad, DayFirst), None, "{bad}");
        }
    }

    #[test]
    fn years() {
        assert_eq!(year("2012", DayFirst), Some(2012));
        assert_eq!(year("15032012", DayFirst), Some(2012));
        assert_eq!(year("0000", DayFirst), None);
    }
}
