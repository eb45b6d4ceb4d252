//! No secret in any log line or in plan output: every kind of secret the provider handles is
//! created, planned, refreshed, imported and destroyed with `TF_LOG=TRACE`, then the logs and
//! everything Terraform printed are searched for each secret's value. With the write-only and
//! ephemeral forms (Terraform 1.10/1.11) the state and saved plans are searched too, and hold
//! none; on the oldest Terraform those forms are refused with a clear error.

use serde_json::Value;

use crate::harness::{BUILD, Harness, assert_ok, supports, text};

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
    let mut leaks = leaks(
        &secrets,
        &[("TRACE log", &logged), ("terraform output", &printed)],
    );
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

/// Where each of `secrets` (what it is, its value) appears in `places` (name, text): one line
/// per leak, with the line it is on.
fn leaks(secrets: &[(String, String)], places: &[(&str, &str)]) -> Vec<String> {
    let mut found = Vec::new();
    for (what, secret) in secrets {
        for (place, haystack) in places {
            if let Some(line) = haystack.lines().find(|l| l.contains(secret.as_str())) {
                found.push(format!(
                    "{what} in the {place}: {}",
                    &line[..line.len().min(300)]
                ));
            }
        }
    }
    found
}

const CHOSEN_CODE: &str = "5550192837";
const NEW_TOKEN_SECRET: &str = "0123456789abcdef0123456789abcdef01234567";

/// A connector's Admin API application whose key never reaches state, a second provider block
/// configured from it through the ephemeral resource, and secrets given write-only from
/// ephemeral variables (`TF_VAR_*`), as a pipeline passes them: a secret written into the
/// configuration itself would be in the saved plan's copy of the configuration.
fn write_only_config(version: u32, rotation: &str) -> String {
    format!(
        r#"
variable "token_secret" {{
  type      = string
  sensitive = true
  ephemeral = true
}}

variable "private_id" {{
  type      = string
  sensitive = true
  ephemeral = true
}}

variable "aes_key" {{
  type      = string
  sensitive = true
  ephemeral = true
}}

variable "bypass_code" {{
  type      = string
  sensitive = true
  ephemeral = true
}}

resource "duo_integration" "connector" {{
  name                    = "Connector"
  type                    = "adminapi"
  adminapi_read_resource  = true
  adminapi_write_resource = true
  store_secret_key        = false
  secret_key_rotation     = "{rotation}"
}}

ephemeral "duo_integration_secret" "connector" {{
  integration_key = duo_integration.connector.integration_key
}}

provider "duo" {{
  alias    = "connector"
  api_host = ephemeral.duo_integration_secret.connector.api_hostname
  ikey     = duo_integration.connector.integration_key
  skey     = ephemeral.duo_integration_secret.connector.secret_key
}}

resource "duo_group" "by_connector" {{
  provider = duo.connector
  name     = "made-by-the-connector"
}}

data "duo_group" "by_connector" {{
  provider = duo.connector
  name     = duo_group.by_connector.name
}}

resource "duo_user" "ann" {{
  username = "ann"
}}

resource "duo_bypass_codes" "chosen" {{
  user_id          = duo_user.ann.id
  codes_wo         = [var.bypass_code]
  codes_wo_version = 1
}}

resource "duo_hardware_token" "hotp" {{
  type               = "h6"
  serial             = "wo-1"
  secret_wo          = var.token_secret
  secrets_wo_version = {version}
}}

resource "duo_hardware_token" "yubikey" {{
  type          = "yk"
  serial        = "wo-2"
  private_id_wo = var.private_id
  aes_key_wo    = var.aes_key
}}

output "seen_by_the_connector" {{
  value = data.duo_group.by_connector.id
}}
"#
    )
}

/// The secret the emulator holds for the token with `serial`.
fn token_secret_in_duo(h: &Harness, serial: &str) -> String {
    h.emu
        .state
        .mutate(|t| {
            t.tokens
                .values()
                .find(|k| k.serial == serial)
                .map(|k| k.secret.clone())
        })
        .flatten()
        .unwrap_or_else(|| panic!("no token {serial} in the emulator"))
}

/// The connector application's secret key as the emulator holds it.
fn connector_key_in_duo(h: &Harness) -> String {
    h.emu
        .state
        .mutate(|t| {
            t.integrations
                .values()
                .find(|i| i.name == "Connector")
                .map(|i| i.secret_key.clone())
        })
        .flatten()
        .expect("the connector application in the emulator")
}

#[test]
fn write_only_and_ephemeral_secrets_are_nowhere_in_state_plans_output_or_logs() {
    let test = "secrets_write_only";
    if !supports(
        test,
        (1, 11),
        "write-only arguments and ephemeral resources",
    ) {
        return;
    }
    let mut h = Harness::start(&BUILD, test);
    let log = h.dir_path().join("trace.log");
    h.env.push(("TF_LOG".into(), "TRACE".into()));
    h.env
        .push(("TF_LOG_PATH".into(), log.display().to_string()));
    for (name, value) in [
        ("token_secret", TOKEN_SECRET),
        ("private_id", PRIVATE_ID),
        ("aes_key", AES_KEY),
        ("bypass_code", CHOSEN_CODE),
    ] {
        h.env.push((format!("TF_VAR_{name}"), value.into()));
    }
    let mut printed = String::new();
    let mut run = |h: &Harness, args: &[&str]| {
        let out = h.run(args);
        assert_ok(&out, &args.join(" "));
        printed.push_str(&text(&out));
        out
    };
    let apply = ["apply", "-auto-approve", "-input=false", "-no-color"];

    h.write_config(&write_only_config(1, "1"));
    run(&h, &apply);
    h.assert_empty_plan_in(&h.dir_path());
    // The second provider block signed with the application made in the same apply: it made
    // the group, and read it back.
    let outputs = h.outputs();
    assert_eq!(
        outputs["seen_by_the_connector"]["value"],
        h.attr("duo_group.by_connector", "id")
    );
    assert_eq!(
        h.attr("duo_integration.connector", "secret_key"),
        Value::Null,
        "store_secret_key = false keeps the key out of state"
    );
    let first_key = connector_key_in_duo(&h);
    assert_eq!(token_secret_in_duo(&h, "wo-1"), TOKEN_SECRET);
    assert_eq!(
        token_secret_in_duo(&h, "wo-2"),
        format!("{PRIVATE_ID}:{AES_KEY}")
    );

    // A new secret under a new version replaces the token; the saved plan holds neither.
    for (k, v) in &mut h.env {
        if k == "TF_VAR_token_secret" {
            *v = NEW_TOKEN_SECRET.into();
        }
    }
    h.write_config(&write_only_config(2, "1"));
    run(&h, &["plan", "-out=tfplan", "-input=false", "-no-color"]);
    let shown = run(&h, &["show", "-json", "tfplan"]);
    let plan_json = String::from_utf8_lossy(&shown.stdout).into_owned();
    let plan: Value = serde_json::from_str(&plan_json).unwrap();
    let changes: Vec<(String, Value)> = plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["change"]["actions"] != serde_json::json!(["no-op"]))
        .map(|c| {
            (
                c["address"].as_str().unwrap_or_default().to_owned(),
                c["change"]["actions"].clone(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [(
            "duo_hardware_token.hotp".to_owned(),
            serde_json::json!(["delete", "create"])
        )],
        "only the token is replaced"
    );
    let saved_plan = std::fs::read(h.dir_path().join("tfplan")).unwrap();
    run(&h, &["apply", "-input=false", "-no-color", "tfplan"]);
    assert_eq!(token_secret_in_duo(&h, "wo-1"), NEW_TOKEN_SECRET);
    h.assert_empty_plan_in(&h.dir_path());

    // Rotating a key kept out of state: Duo has a new one, and the second provider block,
    // which reads it through the ephemeral resource, keeps working.
    h.write_config(&write_only_config(2, "2"));
    run(&h, &apply);
    let second_key = connector_key_in_duo(&h);
    assert_ne!(first_key, second_key, "rotated");
    h.assert_empty_plan_in(&h.dir_path());

    let state = std::fs::read_to_string(h.dir_path().join("terraform.tfstate")).unwrap();
    let destroy = h.run(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    assert_ok(&destroy, "destroy");
    printed.push_str(&text(&destroy));
    let logged = std::fs::read_to_string(&log).unwrap();
    let secrets: Vec<(String, String)> = [
        ("connector secret key", first_key.as_str()),
        ("rotated connector secret key", &second_key),
        ("token secret", TOKEN_SECRET),
        ("new token secret", NEW_TOKEN_SECRET),
        ("YubiKey private ID", PRIVATE_ID),
        ("AES key", AES_KEY),
        ("chosen bypass code", CHOSEN_CODE),
    ]
    .into_iter()
    .map(|(what, s)| (what.to_owned(), s.to_owned()))
    .collect();
    let saved_plan = String::from_utf8_lossy(&saved_plan);
    let found = leaks(
        &secrets,
        &[
            ("state file", &state),
            ("saved plan", &saved_plan),
            ("saved plan's JSON", &plan_json),
            ("terraform output", &printed),
            ("TRACE log", &logged),
        ],
    );
    assert!(found.is_empty(), "secrets leaked:\n{}", found.join("\n"));
}

#[test]
fn the_oldest_terraform_refuses_write_only_and_ephemeral_forms_clearly() {
    let mut h = Harness::start(&BUILD, "secrets_oldest_terraform");
    let oldest = duo_test_support::tool::tool("terraform-oldest")
        .unwrap_or_else(|why| panic!("installing Terraform 1.0.3: {why}"));
    h.use_terraform(oldest.into());
    let out = h.plan_error(&format!(
        r#"
resource "duo_hardware_token" "hotp" {{
  type      = "h6"
  serial    = "old-1"
  secret_wo = "{TOKEN_SECRET}"
}}
"#
    ));
    assert!(
        out.contains("Write-only argument needs Terraform 1.11") && out.contains("secret_wo"),
        "{out}"
    );
    let out = h.plan_error(
        r#"
ephemeral "duo_integration_secret" "app" {
  integration_key = "DIXXXXXXXXXXXXXXXXXX"
}
"#,
    );
    assert!(
        out.contains(r#"Blocks of type "ephemeral" are not expected here"#),
        "{out}"
    );
    // The sensitive form keeps working there.
    h.apply(&format!(
        r#"
resource "duo_hardware_token" "hotp" {{
  type   = "h6"
  serial = "old-1"
  secret = "{TOKEN_SECRET}"
}}
"#
    ));
    assert_eq!(token_secret_in_duo(&h, "old-1"), TOKEN_SECRET);
}
