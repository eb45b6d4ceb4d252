//! No secret in any log line or in plan output: every kind of secret the provider handles is
//! created, planned, refreshed, imported and destroyed with `TF_LOG=TRACE`, then the logs and
//! everything Terraform printed are searched for each secret's value.

use serde_json::Value;

use crate::harness::{BUILD, Harness, assert_ok, text};

const TOKEN_SECRET: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";
const AES_KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
const PRIVATE_ID: &str = "c0ffeec0ffee";
const GIVEN_CODE: &str = "918273645";

fn config() -> String {
    format!(
        r#"
resource "duo_user" "ann" {{
  username = "ann"
}}

resource "duo_bypass_codes" "generated" {{
  user_id    = duo_user.ann.id
  code_count = 3
}}

resource "duo_user" "bob" {{
  username = "bob"
}}

resource "duo_bypass_codes" "given" {{
  user_id = duo_user.bob.id
  codes   = ["{GIVEN_CODE}"]
}}

resource "duo_hardware_token" "hotp" {{
  type   = "h6"
  serial = "secret-test-1"
  secret = "{TOKEN_SECRET}"
}}

resource "duo_hardware_token" "yubikey" {{
  type       = "yk"
  serial     = "secret-test-2"
  private_id = "{PRIVATE_ID}"
  aes_key    = "{AES_KEY}"
}}

resource "duo_integration" "reports" {{
  name                   = "Reports"
  type                   = "adminapi"
  adminapi_read_resource = true
}}

output "codes" {{
  value     = duo_bypass_codes.generated.codes
  sensitive = true
}}
"#
    )
}

/// Every string value of `attr` in the state's instances of `resource_type`.
fn state_secrets(state: &Value, resource_type: &str, attr: &str) -> Vec<String> {
    let mut found = Vec::new();
    for r in state["resources"].as_array().into_iter().flatten() {
        if r["type"] != resource_type {
            continue;
        }
        for i in r["instances"].as_array().into_iter().flatten() {
            match &i["attributes"][attr] {
                Value::String(s) => found.push(s.clone()),
                Value::Array(items) => {
                    found.extend(items.iter().filter_map(|v| v.as_str().map(str::to_owned)));
                }
                _ => {}
            }
        }
    }
    found
}

#[test]
fn trace_logs_and_plan_output_hold_no_secret() {
    let mut h = Harness::start(&BUILD, "secrets_trace");
    let log = h.dir_path().join("trace.log");
    h.env.push(("TF_LOG".into(), "TRACE".into()));
    h.env
        .push(("TF_LOG_PATH".into(), log.display().to_string()));
    h.write_config(&config());
    let mut printed = String::new();
    for args in [
        &["apply", "-auto-approve", "-input=false", "-no-color"][..],
        &["plan", "-input=false", "-no-color"],
        &["plan", "-refresh-only", "-input=false", "-no-color"],
        &["state", "rm", "duo_hardware_token.hotp"],
        &[
            "import",
            "-input=false",
            "-no-color",
            "duo_hardware_token.hotp",
            "h6:secret-test-1",
        ],
        &["output", "-no-color"],
        &["show", "-no-color"],
    ] {
        let out = h.run(args);
        assert_ok(&out, args[0]);
        printed.push_str(&text(&out));
    }
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(h.dir_path().join("terraform.tfstate")).unwrap(),
    )
    .unwrap();
    let destroy = h.run(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    assert_ok(&destroy, "destroy");
    printed.push_str(&text(&destroy));

    let mut secrets: Vec<(String, String)> = vec![
        ("skey".into(), duo_emulator::DEMO_SKEY.into()),
        ("token secret".into(), TOKEN_SECRET.into()),
        ("AES key".into(), AES_KEY.into()),
        ("YubiKey private ID".into(), PRIVATE_ID.into()),
        ("given bypass code".into(), GIVEN_CODE.into()),
    ];
    let skeys = state_secrets(&state, "duo_integration", "secret_key");
    assert_eq!(skeys.len(), 1, "the integration's secret key is in state");
    let codes = state_secrets(&state, "duo_bypass_codes", "codes");
    assert_eq!(codes.len(), 4, "generated and given codes are in state");
    secrets.extend(
        skeys
            .into_iter()
            .map(|s| ("integration secret key".to_owned(), s)),
    );
    secrets.extend(codes.into_iter().map(|c| ("bypass code".to_owned(), c)));

    let logged = std::fs::read_to_string(&log).unwrap();
    // One DEBUG line per Duo request, saying what it was and how it went; bodies at TRACE.
    let requests: Vec<&str> = logged
        .lines()
        .filter(|l| l.contains("provider.terraform-provider-duo: Duo request:"))
        .collect();
    assert_eq!(
        requests.len() as u64,
        h.stats()["total"].as_u64().unwrap(),
        "one line per request"
    );
    for field in [
        "method=",
        "path=",
        "class=",
        "status=",
        "retries=",
        "duration_ms=",
    ] {
        assert!(
            requests.iter().all(|l| l.contains(field)),
            "{field} in {:?}",
            requests[0]
        );
    }
    assert!(
        logged.contains("Duo answer") && logged.contains("<redacted>"),
        "answers are logged at TRACE, with secrets redacted"
    );
    let mut leaks = Vec::new();
    for (what, secret) in &secrets {
        for (place, haystack) in [("TRACE log", &logged), ("terraform output", &printed)] {
            if haystack.contains(secret.as_str()) {
                let line = haystack
                    .lines()
                    .find(|l| l.contains(secret.as_str()))
                    .unwrap_or_default();
                leaks.push(format!(
                    "{what} in the {place}: {}",
                    &line[..line.len().min(300)]
                ));
            }
        }
    }
    for header in ["Authorization", "authorization"] {
        if let Some(line) = logged
            .lines()
            .find(|l| l.contains(header) && l.contains("Basic "))
        {
            leaks.push(format!("an {header} header in the TRACE log: {line}"));
        }
    }
    assert!(leaks.is_empty(), "secrets leaked:\n{}", leaks.join("\n"));
    eprintln!(
        "searched {} log lines and {} bytes of output for {} secrets",
        logged.lines().count(),
        printed.len(),
        secrets.len()
    );
}
