//! The forge's workflows are checked as the forge would run them: `actionlint` (syntax,
//! expressions, runner labels, shell scripts) and `zizmor` (security: pinned actions, least
//! permissions, template injection, credential persistence), both installed on first use from
//! PyPI by `scripts/tool`. And the release workflow builds every platform the release script
//! and the README promise.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly by design"
)]

use std::path::Path;
use std::process::Command;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A tool's path; the test fails saying why when it cannot be installed.
fn tool(name: &str) -> String {
    duo_test_support::tool::tool(name)
        .unwrap_or_else(|why| panic!("this test runs {name}, and installing it failed:\n{why}"))
}

fn workflows() -> Vec<String> {
    let mut files: Vec<String> = std::fs::read_dir(Path::new(ROOT).join(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.ends_with(".yml") || p.ends_with(".yaml"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 2,
        "expected ci.yml and release.yml: {files:?}"
    );
    files
}

fn output(cmd: &mut Command) -> (bool, String) {
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn actionlint_finds_nothing() {
    let (ok, text) = output(
        Command::new(tool("actionlint"))
            .args(workflows())
            .current_dir(ROOT),
    );
    assert!(ok, "actionlint:\n{text}");
}

#[test]
fn zizmor_finds_nothing_even_pedantic() {
    // --offline: the audits that ask GitHub's API need a token and a network.
    let (ok, text) = output(
        Command::new(tool("zizmor"))
            .args(["--offline", "--persona", "pedantic", "--no-progress"])
            .arg(".github/workflows")
            .current_dir(ROOT),
    );
    assert!(ok && text.contains("No findings"), "zizmor:\n{text}");
}

#[test]
fn a_workflow_with_a_known_problem_is_caught_by_both() {
    // So that the two tests above cannot pass by checking nothing.
    let dir = std::env::temp_dir().join(format!("duo-workflows-{}", std::process::id()));
    std::fs::create_dir_all(dir.join(".github/workflows")).unwrap();
    let bad = dir.join(".github/workflows/bad.yml");
    std::fs::write(
        &bad,
        "on: pull_request_target\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@v4\n      - run: echo \"${{ github.event.pull_request.title }}\"\n      - run: echo ${{ matrix.nope }}\n",
    )
    .unwrap();
    let (ok, text) = output(Command::new(tool("actionlint")).arg(&bad));
    assert!(!ok && text.contains("matrix"), "actionlint:\n{text}");
    let (ok, text) = output(
        Command::new(tool("zizmor"))
            .args(["--offline", "--no-progress"])
            .arg(dir.join(".github/workflows")),
    );
    assert!(
        !ok && text.contains("template-injection") && text.contains("unpinned-uses"),
        "zizmor:\n{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_release_workflow_builds_every_platform_the_release_script_packages() {
    let workflow =
        std::fs::read_to_string(Path::new(ROOT).join(".github/workflows/release.yml")).unwrap();
    let script = std::fs::read_to_string(Path::new(ROOT).join("scripts/release.sh")).unwrap();
    for platform in [
        "darwin_amd64",
        "darwin_arm64",
        "linux_amd64",
        "linux_arm64",
        "windows_amd64",
        "freebsd_amd64",
    ] {
        assert!(
            workflow.contains(&format!("platform: {platform},")),
            "release.yml does not build {platform}"
        );
        assert!(
            script.contains(platform),
            "scripts/release.sh does not know {platform}"
        );
    }
    assert!(
        workflow.contains("scripts/release.sh --sums-only"),
        "the workflow must sign through release.sh"
    );
}
