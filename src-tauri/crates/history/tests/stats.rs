//! Quota counters (today, month, total per profile and API) and the daily activity chart.

mod common;

use balcao_core::record::ApiKind;
use common::*;
use time::macros::datetime;

#[test]
fn quota_counts_billable_calls_per_profile_api_and_local_day() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    let c = ctx();
    let mut other = ctx();
    other.profile_id = "outro".into();
    let at = |d| h_at(d);
    h.record_at(&c, &found_cpf("40442820135", "A"), &doc("40442820135"), at("2026-02-27T12:00")).unwrap();
    h.record_at(&c, &found_cpf("40442820135", "A"), &doc("40442820135"), at("2026-03-01T12:00")).unwrap();
    // 22:00 in Brasília on 1 March is already 2 March in UTC: it counts for 1 March.
    h.record_at(&c, &not_found(ApiKind::SerproCpfV1), &doc("63017285995"), at("2026-03-01T22:00")).unwrap();
    h.record_at(&c, &network_failure(), &doc("63017285995"), at("2026-03-01T13:00")).unwrap();
    h.record_at(&c, &found(cnpj_record("12ABC34501DE35", "X")), &doc("12ABC34501DE35"), at("2026-03-01T14:00"))
        .unwrap();
    h.record_at(&other, &found_cpf("40442820135", "A"), &doc("40442820135"), at("2026-03-01T12:00")).unwrap();
    let now = datetime!(2026-03-01 20:00 -3);
    let usage = h.quota_usage_at("demo", now).unwrap();
    let cpf = usage.iter().find(|q| q.api == ApiKind::SerproCpfV1).unwrap();
    assert_eq!((cpf.used_today, cpf.used_this_month, cpf.used_total), (2, 2, 3));
    let cnpj = usage.iter().find(|q| q.api == ApiKind::SerproCnpj).unwrap();
    assert_eq!((cnpj.used_today, cnpj.used_total), (1, 1));
    assert_eq!(usage.len(), 2);
    assert_eq!(h.quota_usage_at("outro", now).unwrap()[0].used_total, 1);
    assert_eq!(h.quota_for("ninguem", ApiKind::ConectaCnpj).unwrap().used_total, 0);
}

#[test]
fn daily_stats_cover_every_day_with_zeros() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    let c = ctx();
    let mut hidden = ctx();
    hidden.do_not_record = true;
    h.record_at(&c, &found_cpf("40442820135", "A"), &doc("40442820135"), h_at("2026-03-01T12:00")).unwrap();
    h.record_at(&hidden, &found_cpf("40442820135", "A"), &doc("40442820135"), h_at("2026-03-01T12:30")).unwrap();
    h.record_at(&c, &network_failure(), &doc("40442820135"), h_at("2026-03-03T12:00")).unwrap();
    h.record_at(&c, &found(cnpj_record("12ABC34501DE35", "X")), &doc("12ABC34501DE35"), h_at("2026-03-03T13:00"))
        .unwrap();
    h.record_at(&c, &found_cpf("40442820135", "A"), &doc("40442820135"), h_at("2026-02-20T12:00")).unwrap();
    let stats = h.daily_stats_at(3, None, datetime!(2026-03-03 23:00 -3)).unwrap();
    let days: Vec<_> = stats.iter().map(|s| s.day.as_str()).collect();
    assert_eq!(days, ["2026-03-01", "2026-03-02", "2026-03-03"]);
    assert_eq!((stats[0].lookups, stats[0].billable), (2, 2), "não registrar still counts");
    assert_eq!(stats[0].by_api.len(), 1);
    assert_eq!((stats[1].lookups, stats[1].billable), (0, 0));
    assert_eq!((stats[2].lookups, stats[2].billable), (2, 1));
    assert_eq!(stats[2].by_api[0].api, ApiKind::SerproCnpj);
    assert_eq!(h.daily_stats_at(3, Some("outro"), datetime!(2026-03-03 23:00 -3)).unwrap()[0].lookups, 0);
}

/// A local (Brasília) date-time `AAAA-MM-DDTHH:MM`.
fn h_at(s: &str) -> time::OffsetDateTime {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    time::PrimitiveDateTime::parse(s, fmt).unwrap().assume_offset(time::macros::offset!(-3))
}

#[test]
fn one_call_answering_many_numbers_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    // A CPF Light call answers several CPFs: their lookups share the call's metadata.
    let light = |number: &str| {
        let mut outcome = found_cpf(number, "A");
        if let Ok(l) = outcome.as_mut() {
            l.meta = meta(ApiKind::ConectaCpfLight, 200);
            l.meta.activity_id = Some("call-1".into());
        }
        (outcome, doc(number))
    };
    let mut second_call = light("91708635203");
    if let Ok(l) = second_call.0.as_mut() {
        l.meta.activity_id = Some("call-2".into());
    }
    let items = vec![light("40442820135"), light("63017285995"), second_call];
    let ids = h.record_batch(&ctx(), &items).unwrap();
    assert_eq!(ids.iter().flatten().count(), 3, "every number is in the history");
    assert_eq!(h.quota_for("demo", ApiKind::ConectaCpfLight).unwrap().used_total, 2, "two calls, two units");
}

/// apis.md §8 A1 (the API Center's return-code page, ✔): a minor's 422 is billed on Consulta CPF v1 as on v2, and
/// §8 A2 (◐): so is a 451. Both count in the quota and the chart; CNPJ's 422 (undocumented) does not.
#[test]
fn a_minors_422_and_451_count_in_the_quota_on_v1_and_v2() {
    use balcao_core::{AppError, ErrorCode};
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    let minor = |api, status| Err((AppError::from(ErrorCode::MinorDataBlocked), Some(meta(api, status))));
    let at = h_at("2026-03-01T10:00");
    h.record_at(&ctx(), &minor(ApiKind::SerproCpfV1, 422), &doc("30272095079"), at).unwrap();
    h.record_at(&ctx(), &minor(ApiKind::SerproCpfV2, 422), &doc("30272095079"), at).unwrap();
    h.record_at(&ctx(), &minor(ApiKind::SerproCpfV2, 451), &doc("20803407009"), at).unwrap();
    h.record_at(&ctx(), &minor(ApiKind::SerproCnpj, 422), &doc("34238864000168"), at).unwrap();
    let usage = h.quota_usage_at("demo", datetime!(2026-03-01 20:00 -3)).unwrap();
    let used = |api| usage.iter().find(|q| q.api == api).map_or(0, |q| q.used_today);
    assert_eq!((used(ApiKind::SerproCpfV1), used(ApiKind::SerproCpfV2), used(ApiKind::SerproCnpj)), (1, 2, 0));
    let day = h.daily_stats_at(1, None, datetime!(2026-03-01 20:00 -3)).unwrap();
    assert_eq!((day[0].lookups, day[0].billable), (4, 3));
}

/// A profile naming its own quota zone (`quotaTimeZone`, #15) counts its calls on that zone's day; the others keep
/// the gateway's (America/Sao_Paulo). 02:30 UTC on 2 March is 1 March in Brasília and 2 March in Noronha.
#[test]
fn a_profile_with_its_own_quota_zone_counts_on_that_zones_day_and_the_others_on_brasilias() {
    let dir = tempfile::tempdir().unwrap();
    let mut h = open(&dir.path().join("history.db"));
    let brasilia = ctx();
    let mut noronha = ctx();
    noronha.profile_id = "noronha".into();
    h.set_quota_zone("noronha", Some(balcao_history::zone_named("America/Noronha").unwrap()));
    let at = datetime!(2026-03-02 02:30 UTC);
    h.record_at(&brasilia, &found_cpf("40442820135", "A"), &doc("40442820135"), at).unwrap();
    h.record_at(&noronha, &found_cpf("40442820135", "A"), &doc("40442820135"), at).unwrap();
    // Later that evening in Brasília (still 1 March there; 2 March in Noronha).
    let now = datetime!(2026-03-02 02:45 UTC);
    assert_eq!(h.quota_usage_at("demo", now).unwrap()[0].used_today, 1, "Brasília's day holds the call");
    assert_eq!(h.quota_usage_at("noronha", now).unwrap()[0].used_today, 1, "Noronha's day holds its call");
    // Next morning in Brasília (2 March): the Brasília profile's call was yesterday; Noronha's is still today.
    let next = datetime!(2026-03-02 12:00 UTC);
    assert_eq!(h.quota_usage_at("demo", next).unwrap()[0].used_today, 0);
    assert_eq!(h.quota_usage_at("noronha", next).unwrap()[0].used_today, 1);
    // The zone taken back: Noronha's profile reads Brasília's day again (23:30 on 2 March in Brasília is 3 March in
    // Noronha, where its call of 2 March is no longer "today").
    let late = datetime!(2026-03-03 02:30 UTC);
    assert_eq!(h.quota_usage_at("noronha", late).unwrap()[0].used_today, 0, "Noronha's day has turned");
    h.set_quota_zone("noronha", None);
    assert_eq!(h.quota_usage_at("noronha", late).unwrap()[0].used_today, 1, "still 2 March in Brasília");
}
