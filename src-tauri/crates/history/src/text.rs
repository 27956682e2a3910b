//! Text and time helpers: name normalization for search, fixed-width UTC instants, local days.

use balcao_core::AppError;
use jiff::tz::TimeZone;
use time::format_description::FormatItem;
use time::macros::format_description;
use time::{Date, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::zones::{offset_at, start_of_day};

/// A name as stored for search: accents removed, lower case, punctuation as spaces, single spaces.
/// "  JOSÉ  d'Ávila-Neto " becomes "jose d avila neto".
pub fn normalize_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut pending_space = false;
    for c in name.nfkd().filter(|c| !is_combining_mark(*c)) {
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

const INSTANT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
const DAY: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]");

/// `2026-11-20T14:03:05.123Z`: fixed width, so text order is time order.
pub(crate) fn instant(t: OffsetDateTime) -> String {
    // checked: a day typed as -9999-01-01 in a zone east of UTC starts before the first representable instant.
    t.checked_to_offset(UtcOffset::UTC)
        .and_then(|t| t.format(INSTANT).ok())
        .unwrap_or_else(|| "0000-00-00T00:00:00.000Z".to_owned())
}

/// The day of instant `t` in `zone`.
pub(crate) fn day_of(t: OffsetDateTime, zone: &TimeZone) -> String {
    day_string(local_date(t, zone))
}

/// The date of instant `t` in `zone`.
pub(crate) fn local_date(t: OffsetDateTime, zone: &TimeZone) -> Date {
    // checked: an instant at the very edge of the calendar (a damaged row) stays in UTC instead of panicking.
    t.checked_to_offset(offset_at(zone, t)).unwrap_or(t).date()
}

pub(crate) fn day_string(d: Date) -> String {
    d.format(DAY).unwrap_or_default()
}

/// The local day of a stored instant (`at` column).
pub(crate) fn day_of_instant(at: &str, zone: &TimeZone) -> String {
    OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
        .map(|t| day_of(t, zone))
        .unwrap_or_else(|_| at.get(..10).unwrap_or_default().to_owned())
}

/// `31/03/2026 14:05` in `zone` for a stored instant (the input itself when it does not parse).
pub(crate) fn local_datetime(at: &str, zone: &TimeZone) -> String {
    let fmt = format_description!("[day]/[month]/[year] [hour]:[minute]");
    OffsetDateTime::parse(at, &time::format_description::well_known::Rfc3339)
        .ok()
        .and_then(|t| t.checked_to_offset(offset_at(zone, t)))
        .and_then(|t| t.format(fmt).ok())
        .unwrap_or_else(|| at.to_owned())
}

pub(crate) fn parse_day(s: &str) -> Result<Date, AppError> {
    Date::parse(s.trim(), DAY).map_err(|_| {
        crate::error::input(format!("Data inválida «{s}»: use o formato AAAA-MM-DD (por exemplo 2026-03-31)."))
    })
}

/// The UTC instant at which local day `d` starts in `zone`.
pub(crate) fn day_start(d: Date, zone: &TimeZone) -> String {
    match start_of_day(d, zone) {
        Some(t) => instant(t),
        // Past the zone database's range (a day typed as -9999-01-01): midnight at the offset of that edge.
        None => {
            let midnight = PrimitiveDateTime::new(d, Time::MIDNIGHT).assume_utc();
            instant(PrimitiveDateTime::new(d, Time::MIDNIGHT).assume_offset(offset_at(zone, midnight)))
        }
    }
}

/// `[start, end)` UTC bounds of an inclusive local-day range given as optional `AAAA-MM-DD` strings.
pub(crate) fn day_bounds(
    from: Option<&str>,
    to: Option<&str>,
    zone: &TimeZone,
) -> Result<(Option<String>, Option<String>), AppError> {
    let start = from.filter(|s| !s.trim().is_empty()).map(parse_day).transpose()?;
    let end = to.filter(|s| !s.trim().is_empty()).map(parse_day).transpose()?;
    if let (Some(a), Some(b)) = (start, end)
        && a > b
    {
        return Err(crate::error::input(format!("Período inválido: a data inicial ({a}) é depois da final ({b}).")));
    }
    let start = start.map(|d| day_start(d, zone));
    let end = end.map(|d| d.next_day().map(|n| day_start(n, zone)).unwrap_or_else(|| "9999".to_owned()));
    Ok((start, end))
}

/// `31/03/2026` for pt-BR text.
pub(crate) fn br_day(iso: &str) -> String {
    match (iso.get(0..4), iso.get(5..7), iso.get(8..10)) {
        (Some(y), Some(m), Some(d)) => format!("{d}/{m}/{y}"),
        _ => iso.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn brasilia() -> TimeZone {
        crate::zones::zone_named("America/Sao_Paulo").unwrap()
    }

    #[test]
    fn names_lose_accents_case_and_punctuation() {
        assert_eq!(normalize_name("  JOSÉ  d'Ávila-Neto "), "jose d avila neto");
        assert_eq!(normalize_name("Conceição Araújo"), "conceicao araujo");
        assert_eq!(normalize_name("ÇÃÕ ñ ü"), "cao n u");
        assert_eq!(normalize_name(""), "");
        assert_eq!(normalize_name("ＡＢＣ"), "abc");
    }

    #[test]
    fn extreme_days_give_bounds_without_panicking() {
        let east = crate::zones::zone_named("Asia/Kolkata").unwrap();
        for (from, to) in [("-9999-01-01", "9999-12-31"), ("0000-01-01", "9999-12-30"), ("+9999-12-31", "+9999-12-31")]
        {
            for zone in [&east, &brasilia(), &TimeZone::UTC] {
                if let Ok((start, end)) = day_bounds(Some(from), Some(to), zone) {
                    assert!(start.is_some() && end.is_some(), "{from} {to}");
                }
            }
        }
        assert_eq!(instant(datetime!(-9999-01-01 0:00 +5:30)), "0000-00-00T00:00:00.000Z");
        let west = crate::zones::zone_named("America/Rio_Branco").unwrap();
        assert_eq!(day_of_instant("9999-12-31T23:59:59Z", &east), "9999-12-31");
        assert_eq!(local_datetime("-9999-01-01T00:00:00Z", &west), "-9999-01-01T00:00:00Z");
    }

    #[test]
    fn instants_are_fixed_width_utc() {
        let t = datetime!(2026-03-01 01:02:03.4 -3);
        assert_eq!(instant(t), "2026-03-01T04:02:03.400Z");
        assert_eq!(day_of(datetime!(2026-03-02 01:00 UTC), &brasilia()), "2026-03-01");
        assert_eq!(day_of_instant("2026-03-02T01:00:00.000Z", &brasilia()), "2026-03-01");
        assert_eq!(local_datetime("2026-03-02T01:05:00.000Z", &brasilia()), "01/03/2026 22:05");
        assert_eq!(local_datetime("garbage", &brasilia()), "garbage");
    }

    #[test]
    fn day_ranges() {
        let off = &brasilia();
        let (a, b) = day_bounds(Some("2026-03-01"), Some("2026-03-01"), off).unwrap();
        assert_eq!(a.as_deref(), Some("2026-03-01T03:00:00.000Z"));
        assert_eq!(b.as_deref(), Some("2026-03-02T03:00:00.000Z"));
        assert!(day_bounds(Some("2026-03-02"), Some("2026-03-01"), off).is_err());
        let e = day_bounds(Some("01/03/2026"), None, off).unwrap_err();
        assert!(e.message.contains("AAAA-MM-DD"));
        assert_eq!(day_bounds(None, Some(""), off).unwrap(), (None, None));
        assert_eq!(br_day("2026-03-31"), "31/03/2026");
    }
}
