//! Days in real time zones (issue #15): each case re-runs this binary with `TZ` set to a Brazilian zone, as the
//! machine of a clerk in that state would have it. The child records one lookup at a fixed instant and checks that
//! what the clerk sees (the day of the entry, its local time, the date filter, the export, the chart) follows the
//! machine's zone, that the quota day stays the gateway's (America/Sao_Paulo), and that opening the history did
//! not read the zone (start-up stays off it). Custom harness.

mod common;

use std::process::Command;
use std::time::Instant;

use balcao_core::history_api::{DayRange, HistoryQuery};
use balcao_history::{Actor, History};
use common::*;
use time::macros::datetime;

const CHILD_ENV: &str = "BALCAO_ZONES_CHILD";

/// 02:30 UTC on 2 March 2026: still 1 March in Brasília, Manaus and Rio Branco, already 2 March in Noronha.
const AT: time::OffsetDateTime = datetime!(2026-03-02 02:30 UTC);

/// (zone, local day, local time shown) for [`AT`].
const CASES: [(&str, &str, &str); 4] = [
    ("America/Rio_Branco", "2026-03-01", "01/03/2026 21:30"),
    ("America/Manaus", "2026-03-01", "01/03/2026 22:30"),
    ("America/Sao_Paulo", "2026-03-01", "01/03/2026 23:30"),
    ("America/Noronha", "2026-03-02", "02/03/2026 00:30"),
];

fn main() {
    if let Ok(zone) = std::env::var(CHILD_ENV) {
        child(&zone);
        return;
    }
    let mut failed = 0;
    for (zone, _, _) in CASES {
        let out = Command::new(std::env::current_exe().expect("own path"))
            .env(CHILD_ENV, zone)
            .env("TZ", zone)
            .output()
            .expect("child runs");
        print!("{}", String::from_utf8_lossy(&out.stdout));
        if !out.status.success() {
            failed += 1;
            eprintln!("zones: {zone} failed:\n{}", String::from_utf8_lossy(&out.stderr));
        }
    }
    println!("zones: {} passed, {failed} failed", CASES.len() - failed);
    if failed > 0 {
        std::process::exit(1);
    }
}

fn child(zone: &str) {
    let (_, day, shown) = CASES.iter().find(|c| c.0 == zone).copied().expect("a known case");
    let dir = tempfile::tempdir().unwrap();
    // Not common::open: the zones are the defaults, the machine's (from TZ) and the gateway's.
    let mut h = History::open_with_key(&dir.path().join("history.db"), &key()).unwrap();
    assert!(!h.zones().local_resolved(), "{zone}: opening the history must not read the time zone");
    let started = Instant::now();
    assert_eq!(h.zones().local().iana_name(), Some(zone));
    println!("zones: {zone}: machine zone read in {} µs", started.elapsed().as_micros());

    h.record_at(&ctx(), &found_cpf("40442820135", "Maria"), &doc("40442820135"), AT).unwrap();
    let page = h.search(&HistoryQuery { from: Some(day.into()), to: Some(day.into()), ..Default::default() }).unwrap();
    assert_eq!(page.items.len(), 1, "{zone}: the date filter of the local day finds it");
    assert_eq!(page.items[0].day, day, "{zone}: the entry's day");
    assert_eq!(h.local_datetime(&page.items[0].at), shown, "{zone}: the time shown and printed on receipts");
    let other = if day == "2026-03-01" { "2026-03-02" } else { "2026-03-01" };
    let none = h.search(&HistoryQuery { from: Some(other.into()), to: Some(other.into()), ..Default::default() });
    assert!(none.unwrap().items.is_empty(), "{zone}: not on {other}");

    let stats = h.daily_stats_at(2, None, AT).unwrap();
    let today = stats.last().unwrap();
    assert_eq!((today.day.as_str(), today.lookups, today.billable), (day, 1, 1), "{zone}: the chart's day");

    let mut csv = Vec::new();
    let range = DayRange { from: Some(day.into()), to: Some(day.into()) };
    let actor = Actor { clerk_cpf: None, os_user: "teste".into() };
    assert_eq!(h.export_history_csv(&mut csv, &range, &actor).unwrap(), 1, "{zone}: the export of the local day");
    let csv = String::from_utf8_lossy(&csv).into_owned();
    assert!(csv.contains(&shown[..10]), "{zone}: the export names the local day\n{csv}");

    // The quota day is Brasília's everywhere: 1 March, even in Noronha where the clerk's day is 2 March.
    let usage = h.quota_usage_at("demo", datetime!(2026-03-01 23:59 -3)).unwrap();
    assert_eq!(usage[0].used_today, 1, "{zone}: counted on the gateway's day");
    let usage = h.quota_usage_at("demo", datetime!(2026-03-02 00:01 -3)).unwrap();
    assert_eq!(usage[0].used_today, 0, "{zone}: not on the gateway's next day");
}
