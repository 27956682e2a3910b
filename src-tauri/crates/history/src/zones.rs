//! Which time zone turns a stored instant into a day: the machine's for what the clerk sees, the gateway's for quota.
//!
//! What the clerk sees (the activity chart, date filters, exports, receipts) and retention follow the zone of the
//! machine Balcão runs on, read from `TZ` or the system setting the first time a day is needed (never during
//! start-up: the first paint does not wait for it). The quota day follows the gateway's zone, `America/Sao_Paulo`
//! unless told otherwise, so that counters of one agency in different states count the same day. Zones come from the
//! IANA database bundled into the binary (jiff), with their real offsets and any past daylight saving.

use std::sync::{Arc, OnceLock};

use balcao_core::{AppError, ErrorCode};
use jiff::tz::TimeZone;
use time::{Date, OffsetDateTime, UtcOffset};

/// The gateways' zone (SERPRO and Conecta are in Brasília): the quota day unless a profile or policy says otherwise.
pub const GATEWAY_ZONE: &str = "America/Sao_Paulo";

/// The two zones of a history handle. Cloning shares the lazily read machine zone.
#[derive(Debug, Clone)]
pub struct DayZones {
    local: Arc<OnceLock<TimeZone>>,
    quota: TimeZone,
}

impl Default for DayZones {
    /// The machine's zone (read on first use) for the clerk's days; [`GATEWAY_ZONE`] for the quota.
    fn default() -> Self {
        DayZones { local: Arc::default(), quota: gateway_zone() }
    }
}

impl DayZones {
    /// Both zones given explicitly (tests, a policy that names the clerks' zone).
    pub fn new(local: TimeZone, quota: TimeZone) -> Self {
        DayZones { local: Arc::new(OnceLock::from(local)), quota }
    }

    /// Both zones by IANA name (`America/Manaus`), refused with a pt-BR message when the name is unknown.
    pub fn named(local: &str, quota: &str) -> Result<Self, AppError> {
        Ok(DayZones::new(zone_named(local)?, zone_named(quota)?))
    }

    /// The same local zone with another quota zone (a profile or policy naming the gateway's zone).
    pub fn with_quota(mut self, quota: TimeZone) -> Self {
        self.quota = quota;
        self
    }

    /// The clerk's zone: the machine's, read the first time it is needed.
    pub fn local(&self) -> &TimeZone {
        self.local.get_or_init(machine_zone)
    }

    /// Whether the machine's zone has been read yet (start-up must not read it).
    pub fn local_resolved(&self) -> bool {
        self.local.get().is_some()
    }

    /// The zone of the quota day.
    pub fn quota(&self) -> &TimeZone {
        &self.quota
    }
}

/// A zone by IANA name from the bundled database.
pub fn zone_named(name: &str) -> Result<TimeZone, AppError> {
    TimeZone::get(name.trim()).map_err(|_| {
        AppError::new(
            ErrorCode::Config,
            format!("Fuso horário desconhecido: «{name}». Use um nome da base IANA, por exemplo America/Sao_Paulo."),
        )
    })
}

fn gateway_zone() -> TimeZone {
    // The bundled database always has it; a fixed −03:00 (Brasília has had no daylight saving since 2019) otherwise.
    TimeZone::get(GATEWAY_ZONE).unwrap_or_else(|_| TimeZone::fixed(jiff::tz::offset(-3)))
}

/// The machine's zone (`TZ`, then the system setting); the gateway's when the machine names none Balcão can read.
fn machine_zone() -> TimeZone {
    TimeZone::try_system().unwrap_or_else(|e| {
        tracing::warn!("history: the machine's time zone could not be read ({e}); using {GATEWAY_ZONE}");
        gateway_zone()
    })
}

/// The UTC offset `zone` has at instant `t`.
pub(crate) fn offset_at(zone: &TimeZone, t: OffsetDateTime) -> UtcOffset {
    let secs = t.unix_timestamp();
    let ts = jiff::Timestamp::from_second(secs).unwrap_or(if secs < 0 {
        jiff::Timestamp::MIN
    } else {
        jiff::Timestamp::MAX
    });
    UtcOffset::from_whole_seconds(zone.to_offset(ts).seconds()).unwrap_or(UtcOffset::UTC)
}

/// The instant at which local day `d` starts in `zone` (after the gap when midnight does not exist that day).
pub(crate) fn start_of_day(d: Date, zone: &TimeZone) -> Option<OffsetDateTime> {
    let year = i16::try_from(d.year()).ok()?;
    let civil = jiff::civil::Date::new(year, i8::try_from(u8::from(d.month())).ok()?, i8::try_from(d.day()).ok()?);
    let zoned = civil.ok()?.to_zoned(zone.clone()).ok()?;
    OffsetDateTime::from_unix_timestamp(zoned.timestamp().as_second()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn offsets_and_day_starts_follow_each_zones_rules() {
        let at = datetime!(2026-03-02 03:30 UTC);
        for (name, hours) in
            [("America/Sao_Paulo", -3), ("America/Manaus", -4), ("America/Rio_Branco", -5), ("America/Noronha", -2)]
        {
            let z = zone_named(name).unwrap();
            assert_eq!(offset_at(&z, at).whole_hours(), hours, "{name}");
        }
        let sp = zone_named("America/Sao_Paulo").unwrap();
        // Brasília's daylight saving of 2018: it started on 4 November at 00:00, so that day began at 01:00 −02:00.
        assert_eq!(start_of_day(date!(2018 - 11 - 04), &sp), Some(datetime!(2018-11-04 03:00 UTC)));
        assert_eq!(offset_at(&sp, datetime!(2019-01-15 12:00 UTC)).whole_hours(), -2, "summer time then");
        assert_eq!(start_of_day(date!(2026 - 03 - 01), &sp), Some(datetime!(2026-03-01 03:00 UTC)));
        assert!(zone_named("America/Atlantida").unwrap_err().message.contains("Fuso horário desconhecido"));
    }

    #[test]
    fn the_machine_zone_is_read_only_when_first_needed() {
        let z = DayZones::default();
        assert!(!z.local_resolved());
        assert_eq!(z.quota().iana_name(), Some(GATEWAY_ZONE));
        let _ = z.local();
        assert!(z.local_resolved());
    }
}
