//! Every example under `examples/` applies cleanly to the emulator and re-plans empty, so the
//! docs, which embed them, never show a configuration that does not work.

use std::path::Path;

use crate::harness::Harness;

fn examples(kind: &str, file: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(kind);
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join(file).is_file())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(p.join(file)).unwrap(),
            )
        })
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no examples in {}", dir.display());
    out
}

fn apply_each(kind: &str, file: &str) {
    for (name, hcl) in examples(kind, file) {
        let h = Harness::start(&format!("example_{kind}_{name}"));
        h.apply(&hcl);
        h.destroy();
        let tenant = h.tenant();
        for kind in [
            "groups",
            "users",
            "phones",
            "tokens",
            "bypass_codes",
            "integrations",
            "admins",
            "admin_units",
        ] {
            assert!(
                tenant[kind].as_array().unwrap().is_empty(),
                "{name}: destroy left {kind} behind: {tenant}"
            );
        }
    }
}

#[test]
fn every_resource_example_applies_and_replans_empty() {
    apply_each("resources", "resource.tf");
}

#[test]
fn every_data_source_example_applies_and_replans_empty() {
    apply_each("data-sources", "data-source.tf");
}

#[test]
fn the_quickstart_configuration_applies_and_replans_empty() {
    let mut h = Harness::start("example_quickstart");
    let hcl = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart/main.tf"),
    )
    .unwrap();
    // The quickstart has its own terraform and provider blocks; credentials come from the
    // environment, as in examples/quickstart/run.sh.
    let body = hcl.split("provider \"duo\" {}").nth(1).unwrap().to_owned();
    h.env = vec![
        ("DUO_API_HOST".into(), h.emu.url()),
        ("DUO_IKEY".into(), duo_emulator::DEMO_IKEY.into()),
        ("DUO_SKEY".into(), duo_emulator::DEMO_SKEY.into()),
    ];
    h.provider_block = "provider \"duo\" {}\n".into();
    h.apply(&body);
    assert_eq!(h.tenant()["groups"].as_array().unwrap().len(), 3);
}
