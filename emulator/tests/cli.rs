//! The `duo-emulator` binary as users run it: the fixed stdout line, the stats endpoint, seed
//! files, bad flags, and requests signed by Duo's official Python client.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly by design"
)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};

struct Running {
    child: Child,
    addr: String,
    /// The start line said `https://`.
    https: bool,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs Duo's official Python client (`official_client.py`) against the emulator on `port`,
/// over HTTPS trusting `ca` when given: whether it passed, and what it printed.
/// `scripts/tool duo-client` installs duo_client 5.7.0 on first use; when it cannot, the test
/// fails with the reason: these tests are never skipped.
fn official_client(port: &str, ca: Option<&std::path::Path>) -> (bool, String) {
    official_script("official_client.py", port, ca)
}

/// Runs the script `name` (beside this file) with duo_client against the emulator on `port`,
/// given the demo Admin and Accounts API key pairs: whether it passed, and what it printed.
fn official_script(name: &str, port: &str, ca: Option<&std::path::Path>) -> (bool, String) {
    let out = python_with_duo_client()
        .arg(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests")
                .join(name),
        )
        .env("DUO_EMULATOR_PORT", port)
        .env(
            "DUO_EMULATOR_CA",
            ca.map(|p| p.as_os_str()).unwrap_or_default(),
        )
        .env("DUO_EMULATOR_IKEY", duo_emulator::DEMO_IKEY)
        .env("DUO_EMULATOR_SKEY", duo_emulator::DEMO_SKEY)
        .env(
            "DUO_EMULATOR_ACCOUNTS_IKEY",
            duo_emulator::DEMO_ACCOUNTS_IKEY,
        )
        .env(
            "DUO_EMULATOR_ACCOUNTS_SKEY",
            duo_emulator::DEMO_ACCOUNTS_SKEY,
        )
        .output()
        .expect("run python3 (needed for this test)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// `python3` with duo_client on PYTHONPATH.
fn python_with_duo_client() -> Command {
    let dir = duo_test_support::tool::tool("duo-client").unwrap_or_else(|why| {
        panic!("these tests run Duo's official Python client, and installing it failed:\n{why}")
    });
    let mut cmd = Command::new("python3");
    cmd.env("PYTHONPATH", dir);
    cmd
}

fn start(args: &[&str]) -> Running {
    let mut child = Command::new(env!("CARGO_BIN_EXE_duo-emulator"))
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start duo-emulator");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("read the first line");
    let line = line.trim();
    let https = line.starts_with("listening on https://");
    let addr = line
        .strip_prefix("listening on http://")
        .or_else(|| line.strip_prefix("listening on https://"))
        .unwrap_or_else(|| panic!("first line was {line:?}"))
        .to_owned();
    Running { child, addr, https }
}

/// A bare HTTP/1.1 request, so this test depends on nothing but std.
fn http(addr: &str, method: &str, path: &str) -> String {
    http_with(addr, method, path, "")
}

fn http_with(addr: &str, method: &str, path: &str, body: &str) -> String {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    out
}

#[test]
fn it_prints_one_line_serves_stats_and_resets_them() {
    let emu = start(&[]);
    let unsigned = http(&emu.addr, "GET", "/admin/v1/groups");
    assert!(unsigned.starts_with("HTTP/1.1 401"), "{unsigned}");
    assert!(unsigned.contains("\"code\":40101"), "{unsigned}");
    let stats = http(&emu.addr, "GET", "/_emulator/stats");
    assert!(
        stats.contains(r#""total":1"#) && stats.contains(r#""GET /admin/v1/groups":1"#),
        "{stats}"
    );
    http(&emu.addr, "POST", "/_emulator/stats/reset");
    let stats = http(&emu.addr, "GET", "/_emulator/stats");
    assert!(stats.contains(r#""total":0"#), "{stats}");
}

#[test]
fn faults_change_while_it_runs() {
    let emu = start(&["--faults", "503=1"]);
    let faults = http(&emu.addr, "GET", "/_emulator/faults");
    assert!(faults.contains(r#"{"faults":"503=1"}"#), "{faults}");
    let bad = http_with(&emu.addr, "POST", "/_emulator/faults", "404=0.5");
    assert!(
        bad.starts_with("HTTP/1.1 400") && bad.contains("unknown fault kind"),
        "{bad}"
    );
    let set = http_with(
        &emu.addr,
        "POST",
        "/_emulator/faults",
        "drop=0.25,latency=3",
    );
    assert!(set.contains(r#"{"faults":"drop=0.25,latency=3"}"#), "{set}");
    let none = http_with(&emu.addr, "POST", "/_emulator/faults", "");
    assert!(none.contains(r#"{"faults":""}"#), "{none}");
}

/// A seed file named `name` holding `json`, in a directory of this test run's own.
fn seed_file(name: &str, json: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("duo-emulator-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let seed = dir.join("seed.json");
    std::fs::write(&seed, json).expect("seed");
    seed
}

#[test]
fn a_seed_file_becomes_the_tenant() {
    let seed = seed_file(
        "seed",
        r#"{"groups": [{"name": "ops"}], "users": [{"username": "alice", "groups": ["ops"]}]}"#,
    );
    let emu = start(&["--seed", seed.to_str().expect("utf-8 path")]);
    let tenant = http(&emu.addr, "GET", "/_emulator/tenant");
    assert!(
        tenant.contains(r#""name":"ops""#) && tenant.contains(r#""username":"alice""#),
        "{tenant}"
    );
}

#[test]
fn a_seed_file_can_hold_child_accounts_asked_about_one_at_a_time() {
    let seed = seed_file(
        "children",
        r#"{"groups": [{"name": "parent-ops"}], "children": [
            {"account_id": "DAACME00000000000001", "name": "Acme", "edition": "PLATFORM",
             "tenant": {"groups": [{"name": "acme-ops"}]}},
            {"name": "Globex"}]}"#,
    );
    let emu = start(&["--seed", seed.to_str().expect("utf-8 path")]);
    let all = http(&emu.addr, "GET", "/_emulator/tenant");
    assert!(
        all.contains(r#""name":"parent-ops""#)
            && !all.contains("acme-ops")
            && all.contains(r#""account_id":"DAACME00000000000001""#)
            && all.contains(r#""name":"Globex""#),
        "{all}"
    );
    let acme = http(
        &emu.addr,
        "GET",
        "/_emulator/tenant?account_id=DAACME00000000000001",
    );
    assert!(
        acme.contains(r#""name":"acme-ops""#) && acme.contains(r#""edition":"PLATFORM""#),
        "{acme}"
    );
    let unknown = http(
        &emu.addr,
        "GET",
        "/_emulator/tenant?account_id=DANOSUCHCHILD0000001",
    );
    assert!(unknown.starts_with("HTTP/1.1 404"), "{unknown}");
    let moved = http_with(
        &emu.addr,
        "POST",
        "/_emulator/other-deployment?account_id=DAACME00000000000001",
        "true",
    );
    assert!(moved.contains(r#"{"other_deployment":true}"#), "{moved}");
    let acme = http(&emu.addr, "GET", "/_emulator/tenant");
    assert!(acme.contains(r#""other_deployment":true"#), "{acme}");
    let stats = http(
        &emu.addr,
        "GET",
        "/_emulator/stats?account_id=DAACME00000000000001",
    );
    assert!(stats.contains(r#""total":0"#), "{stats}");

    // A child of a child, or an edition Duo does not sell, is refused at start.
    for (bad, said) in [
        (
            r#"{"children": [{"name": "A", "tenant": {"children": [{"name": "B"}]}}]}"#,
            "no children of its own",
        ),
        (
            r#"{"children": [{"name": "A", "edition": "GOLD"}]}"#,
            "unknown edition \"GOLD\"",
        ),
    ] {
        std::fs::write(&seed, bad).expect("seed");
        let out = Command::new(env!("CARGO_BIN_EXE_duo-emulator"))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--seed",
                seed.to_str().expect("utf-8 path"),
            ])
            .output()
            .expect("run");
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(said), "{err}");
    }
}

#[test]
fn the_binary_grants_every_permission_by_default() {
    let emu = start(&[]);
    let port = emu.addr.rsplit(':').next().expect("port").to_owned();
    // The official client's integration call needs the applications permission.
    let script = "import duo_client,os\na=duo_client.Admin(os.environ['I'],os.environ['S'],'127.0.0.1',ca_certs='HTTP',port=int(os.environ['P']))\nprint(len(a.get_integrations()), len(a.get_admins()), a.get_info_summary()['user_count'])";
    let out = python_with_duo_client()
        .args(["-c", script])
        .env("I", duo_emulator::DEMO_IKEY)
        .env("S", duo_emulator::DEMO_SKEY)
        .env("P", port)
        .output()
        .expect("python3");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert_eq!(text.trim(), "0 0 0");
}

#[test]
fn bad_flags_are_refused_with_the_reason() {
    let out = Command::new(env!("CARGO_BIN_EXE_duo-emulator"))
        .args(["--listen", "127.0.0.1:0", "--faults", "418=0.5"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown fault kind \"418\""));
}

#[test]
fn requests_signed_by_duos_official_python_client_verify() {
    let emu = start(&[]);
    let port = emu.addr.rsplit(':').next().expect("port").to_owned();
    let (ok, text) = official_client(&port, None);
    assert!(
        ok && text.contains("official client: ok"),
        "the official client failed against the emulator:\n{text}"
    );
}

#[test]
fn duos_official_accounts_client_manages_child_accounts() {
    let emu = start(&[]);
    let port = emu.addr.rsplit(':').next().expect("port").to_owned();
    let (ok, text) = official_script("official_accounts.py", &port, None);
    assert!(
        ok && text.contains("official accounts client: ok"),
        "the official Accounts client failed against the emulator:\n{text}"
    );
}

#[test]
fn tls_serves_https_that_duos_official_client_verifies_against_the_ca_file() {
    let dir = std::env::temp_dir().join(format!("duo-emulator-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let ca = dir.join("ca.pem");
    let emu = start(&["--tls", "--tls-ca", ca.to_str().expect("utf-8 path")]);
    assert!(emu.https, "the start line must say https://");
    // The CA file is complete before the start line is printed.
    let pem = std::fs::read_to_string(&ca).expect("the CA file");
    assert!(
        pem.starts_with("-----BEGIN CERTIFICATE-----")
            && pem.trim_end().ends_with("-----END CERTIFICATE-----"),
        "{pem}"
    );
    // Plain HTTP gets no HTTP answer from the HTTPS port.
    let plain = raw(
        &emu.addr,
        b"GET /_emulator/stats HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    );
    assert!(!plain.contains("HTTP/1.1 200"), "{plain}");
    // Duo's official client, verifying the certificate against the CA file, as it verifies Duo.
    let port = emu.addr.rsplit(':').next().expect("port").to_owned();
    let (ok, text) = official_client(&port, Some(&ca));
    assert!(ok && text.contains("official client: ok"), "{text}");
    // Trusting another CA instead, it refuses the emulator's certificate.
    let other = dir.join("other-ca.pem");
    let other_ca = duo_emulator::Tls::generate().expect("another CA");
    std::fs::write(&other, other_ca.ca_pem()).expect("write");
    let (ok, text) = official_client(&port, Some(&other));
    assert!(!ok && text.contains("CERTIFICATE_VERIFY_FAILED"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn tls_needs_a_file_for_its_ca() {
    let out = Command::new(env!("CARGO_BIN_EXE_duo-emulator"))
        .args(["--listen", "127.0.0.1:0", "--tls"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--tls-ca <FILE>"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Sends raw bytes as they are, tolerating a server that answers before reading them all.
fn raw(addr: &str, request: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).expect("connect");
    let _ = s.write_all(request);
    let mut out = Vec::new();
    let _ = s.read_to_end(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn post(addr: &str, path: &str, headers: &str, body: &[u8]) -> String {
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{headers}Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    request.extend_from_slice(body);
    raw(addr, &request)
}

#[test]
fn abuse_gets_duo_style_errors_and_leaves_the_tenant_intact() {
    let seed = std::env::temp_dir().join(format!("abuse-seed-{}.json", std::process::id()));
    std::fs::write(
        &seed,
        r#"{"users": [{"username": "ann"}], "groups": [{"name": "eng"}]}"#,
    )
    .unwrap();
    let emu = start(&["--seed", seed.to_str().unwrap()]);
    let before = http(&emu.addr, "GET", "/_emulator/tenant");
    let basic = |sig: &str| {
        use base64::Engine as _;
        let creds = format!("{}:{sig}", duo_emulator::DEMO_IKEY);
        format!(
            "Authorization: Basic {}\r\n",
            base64::engine::general_purpose::STANDARD.encode(creds)
        )
    };
    // The current time as a Date header writes it (`Tue, 24 Nov 2026 12:00:00 +0000`).
    let date = Command::new("date").args(["-u", "-R"]).output().unwrap();
    let now = format!("Date: {}\r\n", String::from_utf8_lossy(&date.stdout).trim());
    let now = now.as_str();
    let form = "Content-Type: application/x-www-form-urlencoded\r\n";
    let json = "Content-Type: application/json\r\n";
    // (what, answer, Duo's HTTP status, Duo's error code)
    let cases: Vec<(&str, String, u16, u32)> = vec![
        (
            "a malformed form, unsigned",
            post(
                &emu.addr,
                "/admin/v1/users",
                form,
                b"%%%&&==\xff\xfe%zz&username",
            ),
            401,
            40101,
        ),
        (
            "invalid JSON, unsigned",
            post(
                &emu.addr,
                "/admin/v3/integrations",
                json,
                b"{\"name\": \"x\", ",
            ),
            401,
            40101,
        ),
        (
            "a bad signature",
            post(
                &emu.addr,
                "/admin/v1/users",
                &format!("{form}{now}{}", basic("00ff")),
                b"username=mallory",
            ),
            401,
            40103,
        ),
        (
            "a replayed old date",
            post(
                &emu.addr,
                "/admin/v1/users",
                &format!(
                    "{form}Date: Mon, 01 Jan 2001 00:00:00 -0000\r\n{}",
                    basic("00ff")
                ),
                b"username=mallory",
            ),
            401,
            40105,
        ),
        (
            "an oversized body",
            post(
                &emu.addr,
                "/admin/v1/users",
                &format!("{form}{now}{}", basic("00ff")),
                &vec![b'a'; 3 << 20],
            ),
            413,
            41301,
        ),
    ];
    for (what, answer, status, code) in &cases {
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}")),
            "{what}: {answer:.300}"
        );
        assert!(
            answer.contains(r#""stat":"FAIL""#) && answer.contains(&format!(r#""code":{code}"#)),
            "{what}: {answer:.300}"
        );
    }
    // Not even HTTP: the server refuses it and keeps serving.
    let garbage = raw(&emu.addr, b"\x16\x03\x01\x02\x00GARBAGE\r\n\r\n");
    assert!(
        garbage.is_empty() || garbage.starts_with("HTTP/1.1 400"),
        "{garbage:.200}"
    );
    // The bodies, not the whole answers: the Date header may have ticked.
    let body = |answer: String| answer.split_once("\r\n\r\n").map(|(_, b)| b.to_owned());
    assert_eq!(
        body(http(&emu.addr, "GET", "/_emulator/tenant")),
        body(before)
    );
    let _ = std::fs::remove_file(seed);
}
