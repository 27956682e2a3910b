//! Hostile profiles files through the real `balcao-cli lookup`: huge or endless files, malformed ones (the message is
//! pt-BR and names the file, line and field), credentials in `base_url`, and paths that escape their prefix.
//! Every case ends within 10 s and 200 MB with exit 23 (`Config`), and no request reaches the gateway.

use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use balcao_sim::{LoggedRequest, SimConfig, SimHandle, Simulator};

mod common;
use common::{Run, Scratch, measure};

const CONFIG: i32 = 23;

/// `balcao-cli lookup cpf 40442820135 --config FILE --credentials-from-env`, data folder redirected.
fn lookup_with(scratch: &Scratch, config: &Path, extra: &[&str]) -> Run {
    let mut args: Vec<&OsStr> =
        vec![OsStr::new("lookup"), OsStr::new("--config"), config.as_os_str(), OsStr::new("--credentials-from-env")];
    args.extend(extra.iter().map(OsStr::new));
    args.extend([OsStr::new("cpf"), OsStr::new("40442820135")]);
    let data = scratch.path("data");
    let env: [(&str, &OsStr); 4] = [
        ("BALCAO_DATA_DIR", data.as_os_str()),
        ("BALCAO_KEYRING_SERVICE", OsStr::new("br.gov.balcao.test.hostile-profiles")),
        ("BALCAO_CLIENT_ID", OsStr::new("cli-id")),
        ("BALCAO_CLIENT_SECRET", OsStr::new("cli-secret")),
    ];
    measure(&args, &env, None)
}

fn profile(id: &str, base: &str, extra: &str) -> String {
    format!(
        "[[profile]]\nid = \"{id}\"\nname = \"Perfil {id}\"\nprovider = \"serpro\"\nenvironment = \"homologacao\"\n\
         base_url = \"{base}\"\ncpf_api = \"serpro_v1\"\n{extra}\n"
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime")
}

fn start_sim(rt: &tokio::runtime::Runtime) -> SimHandle {
    let creds = vec![("cli-id".to_owned(), "cli-secret".to_owned())];
    let config = SimConfig { serpro_credentials: creds, ..SimConfig::default() };
    rt.block_on(Simulator::start("127.0.0.1:0".parse().unwrap(), config)).expect("simulator")
}

fn api_calls(sim: &SimHandle) -> Vec<LoggedRequest> {
    sim.requests().into_iter().filter(LoggedRequest::is_api_call).collect()
}

fn write(scratch: &Scratch, name: &str, text: &str) -> PathBuf {
    let path = scratch.path(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn profiles_file_with_tens_of_thousands_of_profiles_is_refused_in_time() {
    let s = Scratch::new("many-profiles");
    let mut text = String::new();
    for i in 0..30_000 {
        let _ = write!(text, "{}", profile(&format!("p{i}"), "http://127.0.0.1:9", ""));
    }
    let config = write(&s, "perfis.toml", &text);
    let run = lookup_with(&s, &config, &["--profile", "p1"]);
    run.assert_ends(CONFIG).assert_pt_br();
    let (code, message) = run.error_json();
    assert_eq!(code, "Config");
    assert!(message.contains(config.to_str().unwrap()), "names the file: {message}");
}

#[test]
fn profiles_file_over_the_profile_count_limit_is_refused() {
    let s = Scratch::new("count-profiles");
    // Compact, valid profiles: small enough for the size limit, too many for the count limit.
    let mut text = String::new();
    for i in 0..1_000 {
        let _ = write!(
            text,
            "[[profile]]\nid=\"p{i}\"\nname=\"P\"\nprovider=\"serpro\"\nenvironment=\"homologacao\"\n\
             base_url=\"http://127.0.0.1:9\"\ncpf_api=\"serpro_v1\"\n"
        );
    }
    assert!(text.len() < 200_000);
    let config = write(&s, "perfis.toml", &text);
    let run = lookup_with(&s, &config, &["--profile", "p1"]);
    run.assert_ends(CONFIG).assert_pt_br();
    let (_, message) = run.error_json();
    assert!(message.contains("1000 perfis") && message.contains("no máximo"), "{message}");
}

#[test]
fn profiles_file_of_50_mb_is_refused_without_reading_it() {
    let s = Scratch::new("huge-profiles");
    let mut text = profile("grande", "http://127.0.0.1:9", "");
    text.push_str("# ");
    text.push_str(&"x".repeat(50 * 1024 * 1024));
    text.push('\n');
    let config = write(&s, "perfis.toml", &text);
    drop(text);
    let run = lookup_with(&s, &config, &[]);
    run.assert_ends(CONFIG).assert_pt_br();
    let (_, message) = run.error_json();
    assert!(message.contains("grande demais") && message.contains(config.to_str().unwrap()), "{message}");
}

#[test]
fn profiles_file_errors_are_pt_br_and_name_file_line_and_field() {
    let s = Scratch::new("bad-profiles");
    let good = profile("ok", "http://127.0.0.1:9", "");
    // (file text, what the message must name besides the file)
    let cases: Vec<(String, Vec<&str>)> = vec![
        // A TOML syntax error on line 3.
        ("[[profile]]\nid = \"a\"\nname = \"A\nprovider = \"serpro\"\n".to_owned(), vec!["linha 3"]),
        // A missing field: the profile's table starts on line 10.
        (
            format!(
                "{good}\n[[profile]]\nid = \"b\"\nname = \"B\"\nprovider = \"serpro\"\nenvironment = \"producao\"\n"
            ),
            vec!["linha 10", "base_url"],
        ),
        // A wrong type in a sub-table, on line 10.
        (
            format!("{}[profile.network]\nmax_retries = \"três\"\n", profile("c", "http://127.0.0.1:9", "")),
            vec!["linha 10", "max_retries"],
        ),
        // A value outside the list, on line 5.
        (
            "[[profile]]\nid = \"d\"\nname = \"D\"\nprovider = \"serpro\"\nenvironment = \"marte\"\n\
             base_url = \"http://127.0.0.1:9\"\ncpf_api = \"serpro_v1\"\n"
                .to_owned(),
            vec!["linha 5", "environment", "«marte»"],
        ),
        // An unknown key (a typo), on line 8.
        (profile("e", "http://127.0.0.1:9", "quota_limt = 10"), vec!["linha 8", "quota_limt"]),
        // A duplicate id: the second profile starts on line 10.
        (format!("{good}\n{good}"), vec!["linha 10", "«ok»"]),
    ];
    for (i, (text, needles)) in cases.iter().enumerate() {
        let config = write(&s, &format!("perfis-{i}.toml"), text);
        let run = lookup_with(&s, &config, &[]);
        run.assert_ends(CONFIG).assert_pt_br();
        let (code, message) = run.error_json();
        assert_eq!(code, "Config");
        assert!(message.contains(config.to_str().unwrap()), "case {i} names the file: {message}");
        for needle in needles {
            assert!(message.contains(needle), "case {i} names «{needle}»: {message}");
        }
    }
    // A folder and a missing file where the profiles file was expected.
    for path in [s.dir().to_path_buf(), s.path("nao-existe.toml")] {
        let run = lookup_with(&s, &path, &[]);
        run.assert_ends(CONFIG).assert_pt_br();
        let (_, message) = run.error_json();
        assert!(message.contains(path.to_str().unwrap()), "{message}");
    }
    let dir_run = lookup_with(&s, s.dir(), &[]);
    assert!(dir_run.error_json().1.contains("é uma pasta"), "{}", dir_run.stdout);
}

#[test]
fn base_url_with_credentials_is_refused_without_echoing_the_password() {
    let s = Scratch::new("userinfo");
    let config = write(&s, "perfis.toml", &profile("u", "https://atendente:S3nh4-Secreta@gateway.example", ""));
    let run = lookup_with(&s, &config, &[]);
    run.assert_ends(CONFIG).assert_pt_br();
    let all = run.all_text();
    assert!(!all.contains("S3nh4-Secreta"), "the password is never echoed: {all}");
    assert!(!all.contains("atendente:"), "nor the user name with it: {all}");
    assert!(run.error_json().1.contains("usuário ou senha"), "{}", run.stdout);
}

#[test]
fn profile_paths_with_dot_segments_query_or_fragment_are_refused() {
    let s = Scratch::new("paths");
    let rt = runtime();
    let sim = start_sim(&rt);
    let hostile = [
        "/prefixo/../../outra/{ni}",
        "/prefixo/./cpf/{ni}",
        "/prefixo/%2e%2e/cpf/{ni}",
        "/cpf/{ni}?x=1",
        "/cpf/{ni}#f",
        "//outro-servidor.example/cpf/{ni}",
        "/cpf\\..\\{ni}",
    ];
    for (i, path) in hostile.iter().enumerate() {
        let extra = format!("[profile.paths]\ncpf = '{path}'");
        let config = write(&s, &format!("perfis-{i}.toml"), &profile("p", &sim.base_url(), &extra));
        let run = lookup_with(&s, &config, &[]);
        run.assert_ends(CONFIG).assert_pt_br();
        let (_, message) = run.error_json();
        assert!(message.contains("cpf"), "{path}: {message}");
    }
    assert!(api_calls(&sim).is_empty(), "no request reached the gateway: {:?}", sim.requests());
    rt.block_on(sim.shutdown());
}
