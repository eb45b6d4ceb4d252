//! Rules of the codebase's shape that the compiler cannot check by itself:
//! - the layer walls: the plugin crate has no dependency that knows Duo, the Duo client none
//!   that knows Terraform;
//! - attribute names are declared once: outside a type's declaration (its `state!`), code
//!   names an attribute through the declaration's constant or field, never as a string
//!   literal handed to a value accessor, an attribute builder or a diagnostic path.
//!
//! Tables that declare names as data (a `state!` struct, a `LinkKind`'s ends, a policy's typed
//! sections, a lookup's own keys) are the declarations themselves.
//!
//! And one rule of the build: the provider's crypto library seeds from the operating system,
//! not from CPU jitter, which made every start under Terraform's AutoMTLS 60 ms slower.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "tests fail loudly by design"
)]

use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// The `[dependencies]` names of a workspace crate's manifest.
fn dependencies(manifest: &str) -> Vec<String> {
    let text = std::fs::read_to_string(Path::new(ROOT).join(manifest)).unwrap();
    let mut deps = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line == "[dependencies]";
            continue;
        }
        if inside && let Some((name, _)) = line.split_once(['=', '.']) {
            deps.push(name.trim().to_owned());
        }
    }
    deps
}

#[test]
fn the_plugin_layer_and_the_duo_client_cannot_reach_each_other() {
    let plugin = dependencies("crates/tfplugin/Cargo.toml");
    let client = dependencies("crates/duo-admin/Cargo.toml");
    assert!(plugin.contains(&"tonic".to_owned()), "{plugin:?}");
    assert!(client.contains(&"reqwest".to_owned()), "{client:?}");
    for duo in [
        "duo-admin",
        "terraform-provider-duo",
        "duo-emulator",
        "reqwest",
    ] {
        assert!(
            !plugin.iter().any(|d| d == duo),
            "tfplugin depends on {duo}"
        );
    }
    for terraform in [
        "tfplugin",
        "terraform-provider-duo",
        "tonic",
        "prost",
        "rmpv",
    ] {
        assert!(
            !client.iter().any(|d| d == terraform),
            "duo-admin depends on {terraform}"
        );
    }
}

/// Calls that take an attribute's name.
const TAKES_A_NAME: &[&str] = &[
    ".str(\"",
    ".bool(\"",
    ".i64(\"",
    ".f64(\"",
    ".get(\"",
    ".set(\"",
    ".with(\"",
    "Attribute::string(\"",
    "Attribute::bool(\"",
    "Attribute::number(\"",
    "Attribute::set_of(\"",
    "Attribute::list_of(\"",
    "Attribute::nested(\"",
    "AttrPath::root(\"",
    // The registry's natural keys and export naming name attributes of their type.
    "natural_key: &[\"",
    "from: &[\"",
];

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The lines of `text` before its tests that hand a string literal to a call taking a name,
/// or that refer to another declaration's attribute by string in a table: a `Hint`'s `attr`
/// (after its `field`) or a lookup `Key`'s `attr` that is the resource's (`added: None`).
fn literal_names(text: &str) -> Vec<String> {
    let code = text.split("#[cfg(test)]").next().unwrap_or_default();
    let lines: Vec<&str> = code
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .collect();
    let refers = |i: usize| {
        lines[i].starts_with("attr: \"")
            && (lines.get(i + 1) == Some(&"added: None,")
                || i.checked_sub(1)
                    .is_some_and(|p| lines[p].starts_with("field: ")))
    };
    (0..lines.len())
        .filter(|&i| TAKES_A_NAME.iter().any(|call| lines[i].contains(call)) || refers(i))
        .map(|i| lines[i].to_owned())
        .collect()
}

#[test]
fn attribute_names_are_written_only_where_they_are_declared() {
    let mut files = Vec::new();
    rust_files(&Path::new(ROOT).join("src"), &mut files);
    files.sort();
    let mut stray = Vec::new();
    for path in &files {
        let rel = path
            .strip_prefix(ROOT)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let found = literal_names(&std::fs::read_to_string(path).unwrap());
        if !found.is_empty() {
            stray.push(format!("{rel}:\n    {}", found.join("\n    ")));
        }
    }
    assert!(
        stray.is_empty(),
        "attribute names written as string literals; name them through their declaration \
         (the state! struct's field or constant):\n{}",
        stray.join("\n")
    );
    assert!(files.len() > 40, "the source files were found");
}

#[test]
fn the_rule_sees_what_it_forbids() {
    let code = "let a = o.str(\"name\");\nlet b = o.str(GroupState::name);\n// o.str(\"x\")\n\
                Key {\n attr: \"email\",\n added: None,\n}\nKey {\n attr: \"id\",\n added: Some(\"d\"),\n}\n\
                Hint {\n field: \"phone\",\n attr: \"phone\",\n}\n\
                #[cfg(test)]\nlet c = o.with(\"id\", 1);";
    assert_eq!(
        literal_names(code),
        [
            "let a = o.str(\"name\");",
            "attr: \"email\",",
            "attr: \"phone\","
        ]
    );
}

#[test]
fn the_provider_binary_has_no_cpu_jitter_entropy() {
    // Built by `.cargo/config.toml`'s AWS_LC_SYS_NO_JITTER_ENTROPY; without it aws-lc links
    // the jitterentropy library, whose functions are named `jent_…`.
    let binary = std::fs::read(env!("CARGO_BIN_EXE_terraform-provider-duo")).unwrap_or_default();
    assert!(!binary.is_empty(), "the provider binary was not built");
    let needle = b"jent_entropy_init";
    assert!(
        !binary.windows(needle.len()).any(|w| w == needle),
        "aws-lc was built with CPU jitter entropy: is AWS_LC_SYS_NO_JITTER_ENTROPY set?"
    );
}
