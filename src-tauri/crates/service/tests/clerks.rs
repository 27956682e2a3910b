//! Per-clerk sign-in: the clerk policy (the agency's list, clerks added on the PC or not, a signed-in clerk required
//! or not), each clerk's own PIN and back-off (across a restart), and every call naming the signed-in clerk:
//! `x-cpf-usuario` on Conecta (the simulator's request log) and the audit trail.

use std::sync::Arc;

use balcao_core::api::{Environment, ExportKind, LookupRequest};
use balcao_core::profile::Profile;
use balcao_core::{Cpf, ErrorCode, Sensitive};
use balcao_platform::{MemoryStore, SecretStore};
use balcao_service::clerks::{Clerk, ClerkPolicy, clerk_pin_key};
use balcao_service::lock::FREE_ATTEMPTS;
use balcao_service::settings_store::{SettingsFile, SettingsStore};
use balcao_service::{Balcao, StartOptions};

const PIN_A: &str = "482913";
const PIN_B: &str = "731906";

fn cpf(base: &str) -> Cpf {
    Cpf::with_check_digits(base).unwrap()
}

fn ana() -> Cpf {
    cpf("111444777")
}

fn bruno() -> Cpf {
    cpf("529982247")
}

fn pin(v: &str) -> Sensitive<String> {
    Sensitive::new(v.to_owned())
}

async fn start(dir: &std::path::Path, secrets: Arc<dyn SecretStore>) -> Balcao {
    let opts = StartOptions {
        data_dir: dir.to_path_buf(),
        policy_dir: dir.join("policy"),
        sim_addr: "127.0.0.1:0".parse().unwrap(),
        secrets: Some(secrets),
    };
    Balcao::start(opts).await.expect("starts")
}

/// Writes the clerk policy (and PC-added clerks) as IT would, before a start.
fn write_policy(dir: &std::path::Path, policy: ClerkPolicy, pc_added: Vec<Clerk>) {
    let store = SettingsStore::new(dir);
    let mut file: SettingsFile = store.load().unwrap();
    file.clerk_policy = policy;
    file.clerks = pc_added;
    store.save(&file).unwrap();
}

fn request(input: &str) -> LookupRequest {
    LookupRequest { input: input.into(), view: None, purpose: None, authorization_code: None, do_not_record: false }
}

/// A Conecta profile (CPF Light, `x-cpf-usuario` on every call) against the app's own simulator, with a configured
/// clerk CPF that the signed-in clerk must override, saved and activated. `environment` Homologação makes it a
/// non-Demonstração profile (its credentials, the simulator's public pair, stored in the keyring).
async fn activate_conecta(b: &Balcao, environment: Environment) -> Cpf {
    let base = b.sim_url().await.expect("demo runs the simulator");
    let configured = cpf("000000001");
    let mut p = Profile::demo_conecta(&base, configured);
    p.id = "conecta-sim".into();
    p.environment = environment;
    b.profiles().save(p).await.unwrap();
    if environment != Environment::Demonstracao {
        b.profiles()
            .set_credentials(
                "conecta-sim",
                balcao_gov::DEMO_CLIENT_ID.into(),
                Sensitive::new(balcao_gov::DEMO_CLIENT_SECRET.into()),
            )
            .await
            .unwrap();
    }
    b.profiles().activate("conecta-sim").await.unwrap();
    configured
}

fn headers(requests: &[balcao_sim::LoggedRequest]) -> Vec<Option<String>> {
    requests.iter().filter(|r| r.path.contains("cpf")).map(|r| r.cpf_usuario.clone()).collect()
}

async fn audit_csv(b: &Balcao, dir: &std::path::Path) -> String {
    let path = b.history().export_to(&dir.join("exports"), ExportKind::Audit, None, None).await.unwrap();
    std::fs::read_to_string(path).unwrap()
}

#[tokio::test]
async fn without_clerks_the_single_pin_lock_is_unchanged_and_nobody_is_asked_to_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    let b = start(dir.path(), Arc::new(MemoryStore::new())).await;
    let st = b.lock().status();
    assert!(!st.locked && !st.clerk_sign_in && st.clerk.is_none(), "{st:?}");
    b.lock().set_pin(Some(pin(PIN_A)), None).await.unwrap();
    b.lock().lock_now();
    assert!(b.lock().unlock(Some(pin(PIN_A))).await.is_ok());
    assert!(b.lookup().lookup(request("40442820135")).await.is_ok(), "Demonstração works without a clerk");
}

#[tokio::test]
async fn the_agency_list_signs_in_and_a_pc_with_clerks_starts_on_who_is_at_the_counter() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
    let listed = vec![Clerk { cpf: ana(), name: "Ana Souza".into() }];
    write_policy(dir.path(), ClerkPolicy { required: true, pc_may_add: false, listed, ..Default::default() }, vec![]);
    let b = start(dir.path(), store.clone()).await;
    let st = b.lock().status();
    assert!(st.locked && st.clerk_sign_in && st.clerk.is_none(), "{st:?}");
    let view = b.lock().clerks().await;
    assert!(view.required && !view.pc_may_add);
    assert_eq!(view.clerks.len(), 1);
    assert!(view.clerks[0].managed && !view.clerks[0].pin_set);
    assert_eq!(view.clerks[0].clerk.masked, ana().masked());
    // A listed clerk without a PIN cannot sign in: no PIN is no PIN.
    let e = b.lock().clerk_sign_in(ana().as_str(), pin(PIN_A)).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unauthorized);
    assert!(b.idle_lock().is_locked());
    // The old single-PIN unlock does not open a PC with clerks.
    assert!(b.lock().unlock(None).await.is_err());
    assert!(b.idle_lock().is_locked());
    b.lock().clerk_set_pin(ana().as_str(), pin(PIN_A), None).await.unwrap();
    let st = b.lock().clerk_sign_in(&ana().formatted(), pin(PIN_A)).await.unwrap();
    assert!(!st.locked);
    assert_eq!(st.clerk.as_ref().map(|c| c.name.as_str()), Some("Ana Souza"));
    // The agency's clerk cannot be removed on the PC.
    assert_eq!(b.lock().clerk_remove(ana().as_str()).await.unwrap_err().code, ErrorCode::Config);
    // The PIN is in the keyring as an Argon2id hash, never itself.
    let stored = store.get(&clerk_pin_key(&ana())).unwrap().unwrap();
    assert!(stored.expose().starts_with("$argon2id$") && !stored.expose().contains(PIN_A));
}

#[tokio::test]
async fn clerks_added_on_the_pc_are_refused_and_ignored_when_the_policy_does_not_allow_them() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
    let listed = vec![Clerk { cpf: ana(), name: "Ana Souza".into() }];
    // Bruno was added on the PC before IT closed the list.
    let pc_added = vec![Clerk { cpf: bruno(), name: "Bruno Lima".into() }];
    store.set(&clerk_pin_key(&bruno()), &balcao_service::lock::hash_pin(&pin(PIN_B)).unwrap()).unwrap();
    write_policy(
        dir.path(),
        ClerkPolicy { required: false, pc_may_add: false, listed, ..Default::default() },
        pc_added,
    );
    let b = start(dir.path(), store).await;
    assert_eq!(b.lock().clerks().await.clerks.len(), 1, "only the agency's list");
    let e = b.lock().clerk_sign_in(bruno().as_str(), pin(PIN_B)).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unauthorized);
    assert!(b.idle_lock().is_locked() && b.lock().status().clerk.is_none());
    let e = b.lock().clerk_add(&cpf("123456789").to_string(), "Carla", pin("1234")).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Config);
    assert!(e.message.contains("não permite cadastrar"), "{}", e.message);
}

#[tokio::test]
async fn clerks_added_on_the_pc_sign_in_with_their_own_pin_when_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let b = start(dir.path(), Arc::new(MemoryStore::new())).await;
    assert_eq!(b.lock().clerk_add("123", "Ana", pin(PIN_A)).await.unwrap_err().code, ErrorCode::InvalidDocument);
    assert_eq!(b.lock().clerk_add(&ana().formatted(), "  ", pin(PIN_A)).await.unwrap_err().code, ErrorCode::Config);
    assert!(b.lock().clerk_add(&ana().formatted(), "Ana", pin("12")).await.is_err(), "PIN shape");
    b.lock().clerk_add(&ana().formatted(), "Ana Souza", pin(PIN_A)).await.unwrap();
    b.lock().clerk_add(bruno().as_str(), "Bruno Lima", pin(PIN_B)).await.unwrap();
    assert!(b.lock().clerk_add(ana().as_str(), "Ana de novo", pin(PIN_A)).await.is_err(), "no duplicates");
    let view = b.lock().clerks().await;
    assert_eq!(view.clerks.len(), 2);
    assert!(view.clerks.iter().all(|c| !c.managed && c.pin_set));
    // Another clerk's PIN does not sign you in.
    b.lock().clerk_switch();
    assert!(b.lock().clerk_sign_in(ana().as_str(), pin(PIN_B)).await.is_err());
    assert!(b.idle_lock().is_locked() && b.lock().status().clerk.is_none());
    let st = b.lock().clerk_sign_in(ana().as_str(), pin(PIN_A)).await.unwrap();
    assert_eq!(st.clerk.unwrap().cpf, ana().to_string());
    // Survives a restart: the list is saved, nobody is signed in, the screen asks who is at the counter.
    drop(b);
}

#[tokio::test]
async fn a_wrong_pin_for_b_neither_signs_b_in_nor_reopens_as_a() {
    let dir = tempfile::tempdir().unwrap();
    let b = start(dir.path(), Arc::new(MemoryStore::new())).await;
    b.lock().clerk_add(ana().as_str(), "Ana Souza", pin(PIN_A)).await.unwrap();
    b.lock().clerk_add(bruno().as_str(), "Bruno Lima", pin(PIN_B)).await.unwrap();
    b.lock().clerk_switch();
    b.lock().clerk_sign_in(ana().as_str(), pin(PIN_A)).await.unwrap();
    b.lock().lock_now();
    let e = b.lock().clerk_sign_in(bruno().as_str(), pin(PIN_A)).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unauthorized);
    assert_eq!(e.message.matches("PIN incorreto").count(), 1, "said once: {}", e.message);
    let st = b.lock().status();
    assert!(st.locked, "still locked: A's screen is not shown");
    assert_ne!(st.clerk.map(|c| c.cpf), Some(bruno().to_string()), "B is not signed in");
    // The same clerk unlocks with their PIN; the old unlock path asks for that clerk's PIN too.
    assert!(b.lock().unlock(Some(pin(PIN_B))).await.is_err());
    assert!(b.idle_lock().is_locked());
    let st = b.lock().unlock(Some(pin(PIN_A))).await.unwrap();
    assert!(!st.locked && st.clerk.unwrap().cpf == ana().to_string());
}

#[tokio::test]
async fn the_back_off_is_per_clerk_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
    let first = start(dir.path(), store.clone()).await;
    first.lock().clerk_add(ana().as_str(), "Ana Souza", pin(PIN_A)).await.unwrap();
    first.lock().clerk_add(bruno().as_str(), "Bruno Lima", pin(PIN_B)).await.unwrap();
    first.lock().clerk_switch();
    for _ in 0..FREE_ATTEMPTS {
        first.lock().clerk_sign_in(ana().as_str(), pin("0000")).await.unwrap_err();
    }
    let e = first.lock().clerk_sign_in(ana().as_str(), pin(PIN_A)).await.unwrap_err();
    assert!(e.message.contains("Aguarde"), "{}", e.message);
    drop(first);

    let again = start(dir.path(), store).await;
    assert!(again.idle_lock().is_locked() && again.lock().status().clerk_sign_in);
    assert_eq!(again.idle_lock().failures(ana().as_str()), FREE_ATTEMPTS, "Ana's count survives");
    let e = again.lock().clerk_sign_in(ana().as_str(), pin(PIN_A)).await.unwrap_err();
    assert!(e.message.contains("Aguarde"), "Ana still waits after the restart: {}", e.message);
    assert!(again.idle_lock().is_locked());
    // Bruno is not made to wait for Ana's mistakes.
    let st = again.lock().clerk_sign_in(bruno().as_str(), pin(PIN_B)).await.unwrap();
    assert!(!st.locked);
}

#[tokio::test]
async fn each_conecta_call_and_audit_line_names_the_signed_in_clerk_not_the_configured_cpf() {
    let dir = tempfile::tempdir().unwrap();
    let b = start(dir.path(), Arc::new(MemoryStore::new())).await;
    let configured = activate_conecta(&b, Environment::Demonstracao).await;
    b.lock().clerk_add(ana().as_str(), "Ana Souza", pin(PIN_A)).await.unwrap();
    b.lock().clerk_add(bruno().as_str(), "Bruno Lima", pin(PIN_B)).await.unwrap();
    b.lock().clerk_switch();
    b.lock().clerk_sign_in(ana().as_str(), pin(PIN_A)).await.unwrap();
    b.lookup().lookup(request("40442820135")).await.unwrap();
    b.lock().lock_now();
    b.lock().clerk_sign_in(bruno().as_str(), pin(PIN_B)).await.unwrap();
    b.lookup().lookup(request("40442820135")).await.unwrap();

    let sent = headers(&b.sim_requests().await.unwrap());
    assert_eq!(sent, vec![Some(ana().to_string()), Some(bruno().to_string())], "x-cpf-usuario, in order");
    assert!(!sent.contains(&Some(configured.to_string())), "the configured CPF must not be named");
    let csv = audit_csv(&b, dir.path()).await;
    let lookups: Vec<&str> = csv.lines().filter(|l| l.contains(";consulta;")).collect();
    assert_eq!(lookups.len(), 2, "{csv}");
    assert!(lookups[0].contains(&ana().formatted()), "{}", lookups[0]);
    assert!(lookups[1].contains(&bruno().formatted()), "{}", lookups[1]);
}

#[tokio::test]
async fn where_the_policy_requires_a_clerk_no_lookup_leaves_without_one_but_demonstracao_works() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn SecretStore> = Arc::new(MemoryStore::new());
    write_policy(
        dir.path(),
        ClerkPolicy { required: true, pc_may_add: true, listed: vec![], ..Default::default() },
        vec![],
    );
    let b = start(dir.path(), store).await;
    // Nobody to sign in yet: the PC opens as before, Demonstração looks up without a clerk.
    assert!(!b.lock().status().clerk_sign_in);
    b.lookup().lookup(request("40442820135")).await.unwrap();
    activate_conecta(&b, Environment::Homologacao).await;
    let before = b.sim_requests().await.unwrap().len();
    let e = b.lookup().lookup(request("40442820135")).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::Unauthorized);
    assert!(e.message.contains("exige que o atendente se identifique"), "{}", e.message);
    assert_eq!(b.sim_requests().await.unwrap().len(), before, "nothing was sent");
    // Adding the first clerk turns the sign-in on; once signed in, the lookup goes out naming them.
    b.lock().clerk_add(ana().as_str(), "Ana Souza", pin(PIN_A)).await.unwrap();
    b.lock().clerk_switch();
    assert!(b.lock().status().clerk_sign_in && b.idle_lock().is_locked());
    b.lock().clerk_sign_in(ana().as_str(), pin(PIN_A)).await.unwrap();
    b.lookup().lookup(request("40442820135")).await.unwrap();
    let sent = headers(&b.sim_requests().await.unwrap());
    assert_eq!(sent.last(), Some(&Some(ana().to_string())));
}
