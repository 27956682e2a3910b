//! The agency's managed policy (policy.toml, #17) in force: the policy over the clerk's settings.json for every field
//! it sets, every change to what it sets refused in Rust (settings, profiles, clerks, the PIN), and the safe start on
//! a broken policy file (Demonstração only, nothing of the clerk's own taking its place).

use std::path::Path;
use std::sync::Arc;

use balcao_core::api::{Environment, LookupRequest, Provider, Settings};
use balcao_core::history_api::RetentionPolicy;
use balcao_core::lock_api::HealthArea;
use balcao_core::profile::{DEMO_PROFILE_ID, Profile};
use balcao_core::{Cpf, ErrorCode, Sensitive};
use balcao_platform::{MemoryStore, SecretStore};
use balcao_service::settings_store::{SettingsFile, SettingsStore};
use balcao_service::{Balcao, StartOptions};

fn policy_dir(dir: &Path) -> std::path::PathBuf {
    dir.join("policy")
}

async fn start_with(dir: &Path, secrets: Arc<dyn SecretStore>) -> Balcao {
    let opts = StartOptions {
        data_dir: dir.to_path_buf(),
        policy_dir: policy_dir(dir),
        sim_addr: "127.0.0.1:0".parse().unwrap(),
        secrets: Some(secrets),
    };
    Balcao::start(opts).await.expect("starts (a broken policy is a safe mode, not a failed start)")
}

async fn start(dir: &Path) -> Balcao {
    start_with(dir, Arc::new(MemoryStore::new())).await
}

/// Writes policy.toml as IT would.
fn write_policy(dir: &Path, text: &str) {
    std::fs::create_dir_all(policy_dir(dir)).unwrap();
    std::fs::write(policy_dir(dir).join("policy.toml"), text).unwrap();
}

fn own_profile(id: &str) -> Profile {
    Profile {
        id: id.into(),
        name: format!("Perfil {id} do atendente"),
        provider: Provider::Serpro,
        environment: Environment::Homologacao,
        base_url: "https://gateway.atendente.example".into(),
        ..Profile::demo("https://x.example")
    }
}

/// The clerk's own settings.json: looser than the agency's rules, with a profile of their own, active.
fn write_clerks_own_settings(dir: &Path) -> SettingsFile {
    let mut file = SettingsFile::default();
    file.settings.purpose_required = false;
    file.settings.idle_lock_minutes = None;
    file.settings.clerk_cpf = Some("40442820135".into());
    file.profiles.push(own_profile("minha"));
    file.settings.active_profile = "minha".into();
    SettingsStore::new(dir).save(&file).unwrap();
    file
}

fn settings_json(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join("settings.json")).unwrap()).unwrap()
}

const AGENCY_PROFILE: &str = r#"
[[profile]]
id = "agencia"
name = "SERPRO da agência"
provider = "serpro"
environment = "producao"
base_url = "https://gateway.agencia.example"
cnpj_views = ["basica"]
"#;

fn request(input: &str) -> LookupRequest {
    LookupRequest { input: input.into(), view: None, purpose: None, authorization_code: None, do_not_record: false }
}

#[tokio::test]
async fn the_policy_wins_over_the_clerks_settings_for_every_field_it_sets() {
    let dir = tempfile::tempdir().unwrap();
    write_clerks_own_settings(dir.path());
    write_policy(
        dir.path(),
        "purpose_required = true\nidle_lock_minutes = 5\npin_required = true\n[retention]\nmax_age_days = 30\n",
    );
    let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
    let b = start_with(dir.path(), secrets.clone()).await;
    let s = b.settings().get().await;
    assert!(s.purpose_required, "the policy's purpose rule, not the clerk's");
    assert_eq!(s.idle_lock_minutes, Some(5));
    assert_eq!(s.retention, RetentionPolicy { max_age_days: Some(30), max_entries: None });
    assert_eq!(s.clerk_cpf.as_deref(), Some("40442820135"), "what the policy does not set stays the clerk's");
    let m = &s.managed;
    assert!(m.purpose_required && m.idle_lock_minutes && m.retention && m.pin_required && !m.no_clerk_profiles);
    assert!(m.policy_file.as_deref().is_some_and(|f| f.ends_with("policy.toml")), "{m:?}");
    assert!(m.broken.is_none());
    assert!(b.lookup().app_info().await.purpose_required);
    // In force, not only shown: a lookup without a purpose is refused before any call.
    b.profiles().activate(DEMO_PROFILE_ID).await.unwrap();
    let e = b.lookup().lookup(request("40442820135")).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::PurposeRequired);
    // The retention went to the history (where the CLI reads it): a start without the policy still finds it there.
    drop(b);
    std::fs::remove_file(policy_dir(dir.path()).join("policy.toml")).unwrap();
    let b = start_with(dir.path(), secrets).await;
    assert!(b.health().await.is_empty(), "{:?}", b.health().await);
    assert_eq!(b.settings().get().await.retention.max_age_days, Some(30));
    let s = b.settings().get().await;
    assert!(!s.purpose_required, "without the policy the clerk's own settings are back");
    assert_eq!(s.managed, Default::default());
}

#[tokio::test]
async fn a_change_to_a_managed_field_is_refused_in_rust_and_nothing_is_saved() {
    let dir = tempfile::tempdir().unwrap();
    write_clerks_own_settings(dir.path());
    write_policy(dir.path(), "purpose_required = true\nidle_lock_minutes = 5\n[retention]\nmax_age_days = 30\n");
    let b = start(dir.path()).await;
    let before = settings_json(dir.path());
    let current = b.settings().get().await;
    let changes: [(&str, Settings); 3] = [
        ("finalidade", Settings { purpose_required: false, ..current.clone() }),
        ("bloqueio", Settings { idle_lock_minutes: Some(60), ..current.clone() }),
        (
            "retenção",
            Settings { retention: RetentionPolicy { max_age_days: Some(3650), max_entries: None }, ..current.clone() },
        ),
    ];
    for (what, next) in changes {
        let e = b.settings().save(next).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Config, "{what}");
        assert!(e.message.contains("é definido pela TI"), "{what}: {}", e.message);
        assert!(e.message.contains("policy.toml"), "{what}: names the file: {}", e.message);
        assert_eq!(settings_json(dir.path()), before, "{what}: nothing saved");
    }
    assert_eq!(b.settings().get().await.retention.max_age_days, Some(30), "the history kept the policy's");
    // A field the policy does not set is saved; the clerk's own values of the managed ones stay in settings.json
    // (the policy's never land there), and the window's "managed" is not stored.
    b.settings().save(Settings { clerk_cpf: Some("63017285995".into()), ..current }).await.unwrap();
    let after = settings_json(dir.path());
    assert_eq!(after["settings"]["clerkCpf"], "63017285995");
    assert_eq!(after["settings"]["purposeRequired"], false);
    assert_eq!(after["settings"]["idleLockMinutes"], serde_json::Value::Null);
    assert_eq!(after["settings"]["managed"]["policyFile"], serde_json::Value::Null);
}

#[tokio::test]
async fn the_agencys_profiles_cannot_be_edited_replaced_or_deleted_on_the_pc() {
    let dir = tempfile::tempdir().unwrap();
    write_clerks_own_settings(dir.path());
    write_policy(dir.path(), AGENCY_PROFILE);
    let b = start(dir.path()).await;
    let entries = b.profiles().entries().await;
    let ids: Vec<(&str, bool)> = entries.iter().map(|e| (e.profile.id.as_str(), e.managed)).collect();
    assert_eq!(ids, [(DEMO_PROFILE_ID, false), ("agencia", true), ("minha", false)]);
    let before = settings_json(dir.path());
    let mut edited = entries[1].profile.clone();
    edited.base_url = "https://desvio.example".into();
    let e = b.profiles().save(edited).await.unwrap_err();
    assert!(e.message.contains("é definido pela TI") && e.message.contains("agencia"), "{}", e.message);
    // Importing a profile of the same id over it is the same save.
    let e = b.profiles().save(own_profile("agencia")).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Config);
    let e = b.profiles().delete("agencia").await.unwrap_err();
    assert!(e.message.contains("é definido pela TI"), "{}", e.message);
    assert_eq!(settings_json(dir.path()), before, "nothing saved");
    assert_eq!(b.profiles().list().await[1].base_url, "https://gateway.agencia.example");
    // The clerk's own profiles stay theirs where the policy allows them.
    b.profiles().save(own_profile("outra")).await.unwrap();
    b.profiles().activate(DEMO_PROFILE_ID).await.unwrap();
    b.profiles().delete("minha").await.unwrap();
    let ids: Vec<String> = b.profiles().list().await.into_iter().map(|p| p.id).collect();
    assert_eq!(ids, [DEMO_PROFILE_ID, "agencia", "outra"]);
}

#[tokio::test]
async fn no_profile_of_the_clerks_own_is_added_or_used_where_the_policy_forbids_them() {
    let dir = tempfile::tempdir().unwrap();
    write_clerks_own_settings(dir.path());
    write_policy(dir.path(), &format!("clerks_may_add_profiles = false\n{AGENCY_PROFILE}"));
    let b = start(dir.path()).await;
    assert!(b.settings().get().await.managed.no_clerk_profiles);
    let ids: Vec<String> = b.profiles().list().await.into_iter().map(|p| p.id).collect();
    assert_eq!(ids, [DEMO_PROFILE_ID, "agencia"], "the clerk's own profile is not listed");
    assert_eq!(b.lookup().app_info().await.profile.id, DEMO_PROFILE_ID, "nor active");
    let e = b.profiles().save(own_profile("nova")).await.unwrap_err();
    assert!(e.message.contains("não permite cadastrar perfis"), "{}", e.message);
    let e = b.profiles().activate("minha").await.unwrap_err();
    assert!(e.message.contains("não encontrado"), "{}", e.message);
    assert_eq!(settings_json(dir.path())["profiles"][0]["id"], "minha", "kept in settings.json, not deleted");
}

fn cpf(base: &str) -> Cpf {
    Cpf::with_check_digits(base).unwrap()
}

#[tokio::test]
async fn the_clerk_policy_comes_from_the_policy_and_its_clerks_cannot_be_removed_nor_others_added() {
    let dir = tempfile::tempdir().unwrap();
    // settings.json lets clerks be added on the PC; the policy does not, and lists Ana.
    let mut own = SettingsFile::default();
    own.clerk_policy.pc_may_add = true;
    SettingsStore::new(dir.path()).save(&own).unwrap();
    write_policy(
        dir.path(),
        "[clerks]\nrequired = true\npc_may_add = false\nlisted = [{ cpf = \"111.444.777-35\", name = \"Ana Souza\" }]\n",
    );
    let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
    let b = start_with(dir.path(), secrets.clone()).await;
    let view = b.lock().clerks().await;
    assert!(view.required && !view.pc_may_add, "{view:?}");
    assert_eq!(view.clerks.len(), 1);
    assert!(view.clerks[0].managed && view.clerks[0].clerk.name == "Ana Souza");
    let e = b.lock().clerk_add("529.982.247-25", "Bruno", Sensitive::new("731906".into())).await.unwrap_err();
    assert!(e.message.contains("não permite cadastrar atendentes"), "{}", e.message);
    let e = b.lock().clerk_remove("111.444.777-35").await.unwrap_err();
    assert!(e.message.contains("definido pela TI"), "{}", e.message);
    // Ana gets her PIN on the PC and signs in: the policy's list is the one that signs in.
    b.lock().clerk_set_pin("11144477735", Sensitive::new("482913".into()), None).await.unwrap();
    b.lock().clerk_sign_in(&cpf("111444777").to_string(), Sensitive::new("482913".into())).await.unwrap();
    assert_eq!(b.lock().status().clerk.map(|c| c.name).as_deref(), Some("Ana Souza"));
}

#[tokio::test]
async fn a_listed_clerk_signs_in_first_with_the_agencys_pin_and_nobody_else_can_claim_the_name() {
    let dir = tempfile::tempdir().unwrap();
    let first = balcao_service::lock::hash_pin(&Sensitive::new("482913".into())).unwrap();
    write_policy(
        dir.path(),
        &format!(
            "[clerks]\nrequired = true\npc_may_add = false\nlisted = [{{ cpf = \"111.444.777-35\", name = \"Ana Souza\", \
             initial_pin_hash = \"{}\" }}]\n",
            first.expose()
        ),
    );
    let b = start(dir.path()).await;
    assert!(b.lock().clerks().await.clerks[0].pin_set, "the agency's first PIN counts as a PIN");
    // Whoever reaches the window first cannot give Ana a PIN of their own, nor sign in as her with a guess.
    let e = b.lock().clerk_set_pin("11144477735", Sensitive::new("135790".into()), None).await.unwrap_err();
    assert!(e.message.contains("PIN atual não confere"), "{}", e.message);
    assert!(b.lock().clerk_sign_in("11144477735", Sensitive::new("135790".into())).await.is_err());
    // Ana signs in with the agency's PIN, then chooses her own, which asks for the first one.
    b.lock().clerk_sign_in("11144477735", Sensitive::new("482913".into())).await.unwrap();
    b.lock()
        .clerk_set_pin("11144477735", Sensitive::new("135790".into()), Some(Sensitive::new("482913".into())))
        .await
        .unwrap();
    b.lock().clerk_switch();
    assert!(
        b.lock().clerk_sign_in("11144477735", Sensitive::new("482913".into())).await.is_err(),
        "the first PIN is gone"
    );
    b.lock().clerk_sign_in("11144477735", Sensitive::new("135790".into())).await.unwrap();
}

#[test]
fn a_first_pin_that_is_not_an_argon2id_hash_is_refused_naming_the_line() {
    let text =
        "[clerks]\nlisted = [\n  { cpf = \"111.444.777-35\", name = \"Ana\", initial_pin_hash = \"482913\" },\n]\n";
    let e = balcao_service::policy::parse_policy(text, Path::new("/etc/balcao/policy.toml")).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("clerks.listed.initial_pin_hash"));
    assert!(e.message().contains("linha 3") && e.message().contains("pin-hash"), "{}", e.message());
    assert!(!e.message().contains("482913"), "the value is not repeated: {}", e.message());
}

#[tokio::test]
async fn the_pin_cannot_be_removed_where_the_policy_requires_one() {
    let dir = tempfile::tempdir().unwrap();
    write_policy(dir.path(), "pin_required = true\n");
    let b = start(dir.path()).await;
    b.lock().set_pin(Some(Sensitive::new("2468".into())), None).await.unwrap();
    let e = b.lock().set_pin(None, Some(Sensitive::new("2468".into()))).await.unwrap_err();
    assert!(e.message.contains("é definido pela TI"), "{}", e.message);
    assert_eq!(b.lock().pin_set().ok(), Some(true), "the PIN is still set");
    // Changing it is allowed.
    b.lock().set_pin(Some(Sensitive::new("1357".into())), Some(Sensitive::new("2468".into()))).await.unwrap();
}

#[tokio::test]
async fn no_lookup_leaves_outside_demonstracao_until_the_pin_the_policy_requires_is_set() {
    let dir = tempfile::tempdir().unwrap();
    write_policy(dir.path(), "pin_required = true\n");
    let b = start(dir.path()).await;
    let health = b.health().await;
    assert!(health.iter().any(|h| h.area == HealthArea::Lock && h.message.contains("exige um PIN")), "{health:?}");
    // Demonstração works meanwhile.
    b.lookup().lookup(request("40442820135")).await.unwrap();
    // A homologation profile against the app's own simulator, with its credentials.
    let base = b.sim_url().await.expect("demo runs the simulator");
    let mut p = Profile::demo_conecta(&base, cpf("000000001"));
    p.id = "conecta-sim".into();
    p.environment = Environment::Homologacao;
    b.profiles().save(p).await.unwrap();
    b.profiles()
        .set_credentials(
            "conecta-sim",
            balcao_gov::DEMO_CLIENT_ID.into(),
            Sensitive::new(balcao_gov::DEMO_CLIENT_SECRET.into()),
        )
        .await
        .unwrap();
    b.profiles().activate("conecta-sim").await.unwrap();
    let calls = b.sim_requests().await.unwrap().len();
    let e = b.lookup().lookup(request("40442820135")).await.unwrap_err();
    assert!(e.message.contains("exige um PIN"), "{}", e.message);
    assert_eq!(b.sim_requests().await.unwrap().len(), calls, "nothing was sent");
    b.lock().set_pin(Some(Sensitive::new("2468".into())), None).await.unwrap();
    b.lookup().lookup(request("40442820135")).await.expect("with the PIN set, the lookup leaves");
    assert!(b.health().await.is_empty(), "{:?}", b.health().await);
}

/// Broken policy files of every kind IT can get wrong, each with the line it must name (None: no line).
fn broken_policies() -> Vec<(&'static str, &'static str, Option<&'static str>)> {
    vec![
        ("malformed", "purpose_required = true\nidle_lock_minutes = \n", Some("linha 2")),
        ("unknown field", "purpose_required = true\n\n[retention]\nmax_age_day = 30\n", Some("linha 4")),
        ("invalid value", "idle_lock_minutes = 0\n", Some("linha 1")),
        ("wrong type", "pin_required = \"sim\"\n", Some("linha 1")),
        ("bad profile", "[[profile]]\nid = \"x\"\nname = \"X\"\nprovider = \"serpro\"\n", Some("linha 1")),
    ]
}

/// A broken policy: Balcão starts in the safe mode with the reason, Demonstração only, and nothing of the clerk's own
/// (their profile, their looser settings) takes the policy's place; nothing can be changed.
async fn assert_safe_start(dir: &Path, what: &str, line: Option<&str>) {
    assert_safe(start(dir).await, dir, what, line).await;
}

async fn assert_safe(b: Balcao, dir: &Path, what: &str, line: Option<&str>) {
    let health = b.health().await;
    let issue = health.iter().find(|h| h.area == HealthArea::Policy).unwrap_or_else(|| panic!("{what}: {health:?}"));
    assert!(issue.message.contains("policy.toml"), "{what}: names the file: {}", issue.message);
    if let Some(line) = line {
        assert!(issue.message.contains(line), "{what}: names {line}: {}", issue.message);
    }
    assert!(issue.message.contains("Demonstração"), "{what}: {}", issue.message);
    assert!(!issue.message.contains("expected") && !issue.message.contains("os error"), "{}", issue.message);
    assert!(!issue.message.contains("  "), "{what}: no run of spaces in what the clerk reads: {}", issue.message);
    assert_eq!(b.lookup().app_info().await.profile.id, DEMO_PROFILE_ID, "{what}: not the clerk's active profile");
    let ids: Vec<String> = b.profiles().list().await.into_iter().map(|p| p.id).collect();
    assert_eq!(ids, [DEMO_PROFILE_ID], "{what}: no managed profile and none of the clerk's own");
    let s = b.settings().get().await;
    assert!(s.purpose_required, "{what}: not the clerk's looser purpose rule");
    assert_eq!(s.idle_lock_minutes, Some(10), "{what}: not the clerk's «never lock»");
    assert!(s.managed.broken.as_deref().is_some_and(|m| m.contains("policy.toml")), "{what}: {:?}", s.managed);
    let before = settings_json(dir);
    let e = b.settings().save(Settings { purpose_required: false, ..s }).await.unwrap_err();
    assert!(e.message.contains("só a Demonstração"), "{what}: {}", e.message);
    assert!(b.profiles().save(own_profile("nova")).await.is_err(), "{what}: no profile added");
    assert!(b.profiles().activate("minha").await.is_err(), "{what}: the clerk's profile is not activated");
    assert!(b.lock().set_pin(None, None).await.is_err(), "{what}: the PIN is not removed");
    assert_eq!(settings_json(dir), before, "{what}: nothing saved");
    // Demonstração works (with the purpose the safe mode asks for).
    b.profiles().activate(DEMO_PROFILE_ID).await.unwrap();
    let ok = b.lookup().lookup(LookupRequest { purpose: Some("teste".into()), ..request("40442820135") }).await;
    assert!(ok.is_ok(), "{what}: Demonstração works: {ok:?}");
}

#[tokio::test]
async fn a_broken_policy_starts_in_the_safe_mode_with_only_demonstracao_and_nothing_of_the_clerks_own() {
    for (what, text, line) in broken_policies() {
        let dir = tempfile::tempdir().unwrap();
        write_clerks_own_settings(dir.path());
        write_policy(dir.path(), text);
        assert_safe_start(dir.path(), what, line).await;
    }
}

#[cfg(unix)]
#[tokio::test]
async fn an_unreadable_policy_file_starts_in_the_safe_mode_too() {
    let dir = tempfile::tempdir().unwrap();
    write_clerks_own_settings(dir.path());
    std::fs::create_dir_all(policy_dir(dir.path())).unwrap();
    let f = policy_dir(dir.path()).join("policy.toml");
    // A link to itself cannot be read, also by root (who runs the CI, and whom permissions do not stop).
    std::os::unix::fs::symlink(&f, &f).unwrap();
    assert_safe_start(dir.path(), "unreadable", None).await;
}

#[cfg(unix)]
#[tokio::test]
async fn a_policy_others_could_rewrite_starts_in_the_safe_mode_too() {
    use std::os::unix::fs::PermissionsExt;
    // The file writable by everyone, then its folder (someone could put a policy of their own in its place). The
    // policy folder is outside the data folder here: Balcão makes the data folder private at start.
    for (what, target, mode) in [("file 0666", "policy.toml", 0o666), ("folder 0777", "", 0o777)] {
        let root = tempfile::tempdir().unwrap();
        let (data, policy) = (root.path().join("data"), root.path().join("policy"));
        std::fs::create_dir_all(&data).unwrap();
        write_clerks_own_settings(&data);
        std::fs::create_dir_all(&policy).unwrap();
        std::fs::write(policy.join("policy.toml"), "purpose_required = true\n").unwrap();
        std::fs::set_permissions(policy.join(target), std::fs::Permissions::from_mode(mode)).unwrap();
        let opts = StartOptions {
            data_dir: data,
            policy_dir: policy,
            sim_addr: "127.0.0.1:0".parse().unwrap(),
            secrets: Some(Arc::new(MemoryStore::new())),
        };
        let b = Balcao::start(opts).await.expect("a policy others could rewrite is a safe mode, not a failed start");
        assert_safe(b, &root.path().join("data"), what, Some("pode ser alterado por outros usuários")).await;
    }
}

#[tokio::test]
async fn without_a_policy_file_nothing_is_managed_and_the_clerks_settings_apply() {
    let dir = tempfile::tempdir().unwrap();
    write_clerks_own_settings(dir.path());
    let b = start(dir.path()).await;
    let s = b.settings().get().await;
    assert_eq!(s.managed, Default::default());
    assert!(!s.purpose_required && s.idle_lock_minutes.is_none());
    assert!(b.health().await.iter().all(|h| h.area != HealthArea::Policy));
    let ids: Vec<String> = b.profiles().list().await.into_iter().map(|p| p.id).collect();
    assert_eq!(ids, [DEMO_PROFILE_ID, "minha"]);
    assert!(b.profiles().entries().await.iter().all(|e| !e.managed));
}

#[tokio::test]
async fn a_cli_session_under_a_broken_policy_is_refused_outside_demonstracao() {
    use balcao_core::history_api::AuditOrigin;
    use balcao_service::session::{CredentialSource, Session, SessionOptions};
    let dir = tempfile::tempdir().unwrap();
    let secrets: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
    drop(start_with(dir.path(), secrets.clone()).await); // the history exists, as after a first use of the window
    write_policy(dir.path(), "purpose_required = \n");
    let opts = |profile: Option<Profile>| SessionOptions {
        data_dir: dir.path().to_path_buf(),
        policy_dir: policy_dir(dir.path()),
        secrets: secrets.clone(),
        profile,
        credentials: CredentialSource::Environment,
        clerk: None,
        origin: AuditOrigin::Cli,
    };
    let e = Session::open(opts(Some(own_profile("minha")))).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Config);
    assert!(e.message.contains("policy.toml") && e.message.contains("só a Demonstração"), "{}", e.message);
    let demo = Session::open(opts(None)).await.expect("Demonstração still works");
    let e = demo.lookup(request("40442820135")).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::PurposeRequired, "the strict rules of a broken policy apply in the CLI too");
    demo.close().await;
}
