//! Configurações refuses numbers outside their documented bounds (docs/profiles.md) with a pt-BR message naming
//! the field, before anything is stored or applied; values at the bounds are kept.

use std::sync::Arc;

use balcao_core::ErrorCode;
use balcao_core::api::Settings;
use balcao_core::history_api::RetentionPolicy;
use balcao_core::profile::Profile;
use balcao_platform::MemoryStore;
use balcao_service::{Balcao, StartOptions};

async fn start(dir: &std::path::Path) -> Balcao {
    let opts = StartOptions {
        data_dir: dir.to_path_buf(),
        policy_dir: dir.join("policy"),
        sim_addr: "127.0.0.1:0".parse().unwrap(),
        secrets: Some(Arc::new(MemoryStore::new())),
    };
    Balcao::start(opts).await.expect("starts in Demonstração")
}

#[tokio::test]
async fn settings_with_days_or_minutes_out_of_bounds_are_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let b = start(dir.path()).await;
    let before = b.settings().get().await;
    for (settings, field) in [
        (
            Settings {
                retention: RetentionPolicy { max_age_days: Some(9_999_999), max_entries: None },
                ..before.clone()
            },
            "maxAgeDays",
        ),
        (
            Settings { retention: RetentionPolicy { max_age_days: Some(0), max_entries: None }, ..before.clone() },
            "maxAgeDays",
        ),
        (
            Settings {
                retention: RetentionPolicy { max_age_days: None, max_entries: Some(u32::MAX) },
                ..before.clone()
            },
            "maxEntries",
        ),
        (Settings { idle_lock_minutes: Some(u32::MAX), ..before.clone() }, "idleLockMinutes"),
        (Settings { idle_lock_minutes: Some(0), ..before.clone() }, "idleLockMinutes"),
    ] {
        let e = b.settings().save(settings).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Config, "{field}");
        assert!(e.message.contains(field) && e.message.contains("deve estar entre"), "{}", e.message);
    }
    assert_eq!(b.settings().get().await, before, "nothing was stored");
    let at_bounds = Settings {
        retention: RetentionPolicy { max_age_days: Some(36_500), max_entries: Some(100_000_000) },
        idle_lock_minutes: Some(1_440),
        ..before
    };
    b.settings().save(at_bounds.clone()).await.unwrap();
    assert_eq!(b.settings().get().await, at_bounds);
}

#[tokio::test]
async fn a_profile_with_a_network_knob_out_of_bounds_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let b = start(dir.path()).await;
    let base = Profile { id: "outro".into(), name: "Outro".into(), ..Profile::demo("https://gateway.example") };
    let mut cases: Vec<(Profile, &str)> = Vec::new();
    let mut p = base.clone();
    p.network.max_retries = u32::MAX;
    cases.push((p, "maxRetries"));
    let mut p = base.clone();
    p.network.retry_base_ms = u32::MAX;
    cases.push((p, "retryBaseMs"));
    let mut p = base.clone();
    p.network.retry_max_delay_ms = u32::MAX;
    cases.push((p, "retryMaxDelayMs"));
    let mut p = base.clone();
    p.network.rate_limit_rps = Some(1e-300);
    cases.push((p, "rateLimitRps"));
    let mut p = base.clone();
    p.network.max_concurrency = 10_000;
    cases.push((p, "maxConcurrency"));
    for (profile, field) in cases {
        let e = b.profiles().save(profile).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Config, "{field}");
        assert!(e.message.contains(field), "{}", e.message);
    }
    assert!(b.profiles().entries().await.iter().all(|e| e.profile.id != "outro"), "nothing was stored");
}

/// A profile's quota zone (`quotaTimeZone`, #15) must be an IANA name: an unknown or oversized one is refused by
/// field name, in pt-BR, and nothing is stored; a real one is kept.
#[tokio::test]
async fn a_profile_with_an_unknown_quota_time_zone_is_refused_by_name() {
    let dir = tempfile::tempdir().unwrap();
    let b = start(dir.path()).await;
    let base = Profile { id: "outro".into(), name: "Outro".into(), ..Profile::demo("https://gateway.example") };
    for bad in ["Marte/Olympus_Mons", "", &"A".repeat(10_000)] {
        let p = Profile { quota_time_zone: Some(bad.to_owned()), ..base.clone() };
        let e = b.profiles().save(p).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Config);
        assert!(e.message.contains("quotaTimeZone"), "{}", e.message);
        assert!(e.message.chars().count() < 300, "the message does not echo a hostile name whole");
    }
    assert!(b.profiles().entries().await.iter().all(|e| e.profile.id != "outro"), "nothing was stored");
    let ok = Profile { quota_time_zone: Some("America/Noronha".into()), ..base };
    b.profiles().save(ok).await.unwrap();
    let saved = b.profiles().entries().await.into_iter().find(|e| e.profile.id == "outro").unwrap();
    assert_eq!(saved.profile.quota_time_zone.as_deref(), Some("America/Noronha"));
}
