//! The release archives install as users install them: `scripts/release.sh` packages the
//! provider in the Registry's layout, and Terraform installs it from a local filesystem mirror
//! with no network, checks it against the lock file, and uses it.

use std::process::Command;

use crate::harness::{BUILD, Harness, assert_ok, text};

#[test]
fn a_release_archive_installs_from_a_filesystem_mirror_offline() {
    let mut h = Harness::start(&BUILD, "release_mirror");
    let dir = h.dir_path();
    let dist = dir.join("dist");
    let binary = env!("CARGO_BIN_EXE_terraform-provider-duo");
    let version = env!("CARGO_PKG_VERSION");
    let cli = h.mirror_config();
    let sums = Command::new("sha256sum")
        .args([
            "-c",
            &format!("terraform-provider-duo_{version}_SHA256SUMS"),
        ])
        .current_dir(&dist)
        .output()
        .unwrap();
    assert_ok(&sums, "sha256sum -c");
    let manifest = std::fs::read_to_string(
        dist.join(format!("terraform-provider-duo_{version}_manifest.json")),
    )
    .unwrap();
    assert!(
        manifest.contains(r#""protocol_versions": ["6.0"]"#),
        "{manifest}"
    );

    h.env
        .push(("TF_CLI_CONFIG_FILE".into(), cli.display().to_string()));
    std::fs::write(
        dir.join("main.tf"),
        format!(
            "terraform {{\n  required_providers {{\n    duo = {{\n      source  = \"duo-rs/duo\"\n      version = \"{version}\"\n    }}\n  }}\n}}\n\n{}\nresource \"duo_group\" \"g\" {{\n  name = \"from a release\"\n}}\n",
            h.provider_block
        ),
    )
    .unwrap();
    let init = h.run(&["init", "-input=false", "-no-color"]);
    assert_ok(&init, "init");
    assert!(
        text(&init).contains(&format!("Installing duo-rs/duo v{version}")),
        "{}",
        text(&init)
    );
    let lock = std::fs::read_to_string(dir.join(".terraform.lock.hcl")).unwrap();
    assert!(
        lock.contains(&format!("version     = \"{version}\"")) && lock.contains("h1:"),
        "{lock}"
    );
    let apply = h.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_ok(&apply, "apply");
    assert_eq!(h.tenant()["groups"][0]["name"], "from a release");
    let shown = h.run(&["version", "-no-color"]);
    assert!(
        text(&shown).contains(&format!(
            "provider registry.terraform.io/duo-rs/duo v{version}"
        )),
        "{}",
        text(&shown)
    );
    let reported = Command::new(binary).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&reported.stdout).trim(),
        format!("terraform-provider-duo {version}")
    );
}

/// A throw-away GnuPG home in a short path (gpg-agent's socket must fit in 108 bytes), its
/// agent stopped when dropped.
struct Gpg {
    home: std::path::PathBuf,
}

impl Gpg {
    fn new(name: &str) -> Gpg {
        let home = std::env::temp_dir().join(format!("duo-gpg-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&home);
        std::fs::create_dir_all(&home).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&home, std::fs::Permissions::from_mode(0o700)).unwrap();
        }
        Gpg { home }
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        Command::new("gpg")
            .args([
                "--batch",
                "--no-tty",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
            ])
            .args(args)
            .env("GNUPGHOME", &self.home)
            .output()
            .unwrap_or_else(|e| panic!("this test needs gpg (GnuPG) on PATH: {e}"))
    }

    /// Makes a signing key and returns its fingerprint.
    fn key(&self, algo: &str) -> String {
        let out = self.run(&[
            "--quick-gen-key",
            "Release Test <release@example.invalid>",
            algo,
            "sign",
            "never",
        ]);
        assert_ok(&out, "gpg --quick-gen-key");
        let listed = self.run(&["--with-colons", "--list-secret-keys"]);
        String::from_utf8_lossy(&listed.stdout)
            .lines()
            .find_map(|l| {
                l.strip_prefix("fpr:")
                    .map(|f| f.trim_matches(':').to_owned())
            })
            .expect("a fingerprint")
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .args(["--kill", "gpg-agent"])
            .env("GNUPGHOME", &self.home)
            .output();
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

fn release(dist: &std::path::Path, gpg: &Gpg, fingerprint: Option<&str>) -> std::process::Output {
    let provider = env!("CARGO_BIN_EXE_terraform-provider-duo");
    let emulator = std::path::Path::new(provider).with_file_name("duo-emulator");
    assert!(
        emulator.is_file(),
        "build the emulator first: cargo build -p duo-emulator"
    );
    let mut cmd = Command::new("bash");
    cmd.arg(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/release.sh"))
        .args(["--binary", provider, "--emulator-binary"])
        .arg(&emulator)
        .env("DIST", dist)
        .env("GNUPGHOME", &gpg.home)
        .env_remove("GPG_FINGERPRINT");
    if let Some(f) = fingerprint {
        cmd.env("GPG_FINGERPRINT", f);
    }
    cmd.output().unwrap()
}

#[test]
fn a_signed_release_verifies_as_a_registry_verifies_it() {
    let version = env!("CARGO_PKG_VERSION");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("release_signed");
    let _ = std::fs::remove_dir_all(&dir);
    let dist = dir.join("dist");
    let signer = Gpg::new("signer");
    let fingerprint = signer.key("rsa3072");
    let out = release(&dist, &signer, Some(&fingerprint));
    assert_ok(&out, "scripts/release.sh");

    // The registry holds only the public key, ASCII-armoured, as uploaded by the publisher.
    let public = signer.run(&["--armor", "--export", &fingerprint]);
    assert_ok(&public, "gpg --export");
    let registry = Gpg::new("registry");
    std::fs::write(registry.home.join("publisher.asc"), &public.stdout).unwrap();
    let imported = registry.run(&[
        "--import",
        registry.home.join("publisher.asc").to_str().unwrap(),
    ]);
    assert_ok(&imported, "gpg --import");

    for program in ["terraform-provider-duo", "duo-emulator"] {
        let sums = format!("{program}_{version}_SHA256SUMS");
        let verified = registry.run(&[
            "--status-fd",
            "1",
            "--verify",
            dist.join(format!("{sums}.sig")).to_str().unwrap(),
            dist.join(&sums).to_str().unwrap(),
        ]);
        assert_ok(&verified, &format!("gpg --verify {sums}.sig"));
        assert!(
            String::from_utf8_lossy(&verified.stdout).contains(&format!("VALIDSIG {fingerprint}")),
            "{}",
            text(&verified)
        );
        let checked = Command::new("sha256sum")
            .args(["--strict", "-c", &sums])
            .current_dir(&dist)
            .output()
            .unwrap();
        assert_ok(&checked, "sha256sum -c");
        // Every archive of this program is listed, and the provider's list has the manifest.
        let listed = std::fs::read_to_string(dist.join(&sums)).unwrap();
        let names: Vec<&str> = listed
            .lines()
            .filter_map(|l| l.split_whitespace().nth(1))
            .collect();
        let archives: Vec<String> = std::fs::read_dir(&dist)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
            .filter(|n| n.starts_with(&format!("{program}_{version}_")) && n.ends_with(".zip"))
            .collect();
        assert_eq!(
            archives,
            vec![format!("{program}_{version}_linux_amd64.zip")]
        );
        for a in &archives {
            assert!(
                names.contains(&a.as_str()),
                "{a} is not in {sums}:\n{listed}"
            );
        }
        let manifest = format!("terraform-provider-duo_{version}_manifest.json");
        assert_eq!(
            names.contains(&manifest.as_str()),
            program == "terraform-provider-duo",
            "{listed}"
        );
    }
    // The emulator's archive holds the emulator, executable, which runs.
    let unpacked = dir.join("duo-emulator");
    let unzip = Command::new("python3")
        .args([
            "-c",
            "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.namelist() == ['duo-emulator'], z.namelist()\ni = z.getinfo('duo-emulator')\nassert (i.external_attr >> 16) & 0o111, oct(i.external_attr >> 16)\nopen(sys.argv[2], 'wb').write(z.read(i))",
        ])
        .arg(dist.join(format!("duo-emulator_{version}_linux_amd64.zip")))
        .arg(&unpacked)
        .output()
        .unwrap();
    assert_ok(&unzip, "reading the emulator's archive");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&unpacked, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let help = Command::new(&unpacked).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&help.stdout).trim(),
        format!("duo-emulator {version}")
    );

    // A changed byte in the sums no longer verifies.
    let sums = dist.join(format!("terraform-provider-duo_{version}_SHA256SUMS"));
    let mut bytes = std::fs::read(&sums).unwrap();
    bytes[0] = if bytes[0] == b'0' { b'1' } else { b'0' };
    std::fs::write(&sums, bytes).unwrap();
    let forged = registry.run(&[
        "--verify",
        dist.join(format!("terraform-provider-duo_{version}_SHA256SUMS.sig"))
            .to_str()
            .unwrap(),
        sums.to_str().unwrap(),
    ]);
    assert!(!forged.status.success(), "{}", text(&forged));
}

#[test]
fn a_release_without_a_key_says_it_is_unsigned_and_a_non_rsa_key_is_refused() {
    let version = env!("CARGO_PKG_VERSION");
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("release_unsigned");
    let _ = std::fs::remove_dir_all(&dir);
    let gpg = Gpg::new("unsigned");
    let out = release(&dir.join("dist"), &gpg, None);
    assert_ok(&out, "scripts/release.sh");
    assert!(
        text(&out).contains("GPG_FINGERPRINT is not set, so the sums are not signed"),
        "{}",
        text(&out)
    );
    assert!(
        dir.join(format!("dist/terraform-provider-duo_{version}_SHA256SUMS"))
            .is_file()
    );
    assert!(
        !dir.join(format!(
            "dist/terraform-provider-duo_{version}_SHA256SUMS.sig"
        ))
        .exists()
    );

    let ed25519 = gpg.key("ed25519");
    let out = release(&dir.join("dist-ed25519"), &gpg, Some(&ed25519));
    assert!(!out.status.success());
    assert!(text(&out).contains("is not an RSA key"), "{}", text(&out));
    assert!(
        !dir.join(format!(
            "dist-ed25519/terraform-provider-duo_{version}_SHA256SUMS.sig"
        ))
        .exists()
    );
}
