//! The Registry docs (`docs/`), generated from the provider's own schemas and `examples/`, in
//! tfplugindocs' layout. Descriptions live on the schema, so docs and editor hovers cannot
//! disagree; a test regenerates in memory and fails when `docs/` is stale.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use terraform_provider_duo::kinds;
use terraform_provider_duo::plugin::{Attribute, Identity, Mode, ProviderService, Schema, Type};
use terraform_provider_duo::provider::DuoProvider;

/// Every docs page: its path under the repository root and its content.
pub fn render(root: &Path) -> Vec<(PathBuf, String)> {
    let schemas = ProviderService::new(DuoProvider).schemas();
    let mut pages = vec![(
        PathBuf::from("docs/index.md"),
        index(root, &schemas.provider),
    )];
    for (name, schema) in &schemas.resources {
        let mut text = page(root, name, "Resource", schema, "resources", "resource.tf");
        if schemas.list_resources.iter().any(|(l, _)| l == name) {
            text.push_str(&list_markdown(name));
        }
        pages.push((
            PathBuf::from(format!("docs/resources/{}.md", short(name))),
            text,
        ));
    }
    for (name, schema) in &schemas.data_sources {
        pages.push((
            PathBuf::from(format!("docs/data-sources/{}.md", short(name))),
            page(
                root,
                name,
                "Data Source",
                schema,
                "data-sources",
                "data-source.tf",
            ),
        ));
    }
    for (name, schema) in &schemas.list_resources {
        pages.push((
            PathBuf::from(format!("docs/list-resources/{}.md", short(name))),
            list_page(name, schema),
        ));
    }
    for (name, schema) in &schemas.ephemeral_resources {
        pages.push((
            PathBuf::from(format!("docs/ephemeral-resources/{}.md", short(name))),
            page(
                root,
                name,
                "Ephemeral Resource",
                schema,
                "ephemeral-resources",
                "ephemeral-resource.tf",
            ),
        ));
    }
    pages.extend(guides(root));
    pages
}

/// Guides: `templates/guides/*.md`, with `{{tffile "PATH"}}` replaced by that example file
/// (HCL, a shell script or JSON), so what a guide shows is what the tests run.
fn guides(root: &Path) -> Vec<(PathBuf, String)> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(root.join("templates/guides"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    names.sort();
    names
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "md"))
        .filter_map(|p| {
            let text = std::fs::read_to_string(&p).ok()?;
            let name = p.file_name()?.to_owned();
            Some((
                Path::new("docs/guides").join(name),
                include_files(root, &text),
            ))
        })
        .collect()
}

fn include_files(root: &Path, text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{tffile \"") {
        out.push_str(&rest[..start]);
        let after = &rest[start + "{{tffile \"".len()..];
        let Some(end) = after.find("\"}}") else {
            out.push_str(&rest[start..]);
            return out;
        };
        let path = &after[..end];
        let body = read(root, path).unwrap_or_else(|| format!("# missing: {path}\n"));
        let lang = match Path::new(path).extension().and_then(|e| e.to_str()) {
            Some("sh") => "sh",
            Some("json") => "json",
            _ => "terraform",
        };
        let _ = write!(out, "```{lang}\n{body}```");
        rest = &after[end + "\"}}".len()..];
    }
    out.push_str(rest);
    out
}

/// Pages whose file content differs from what `render` produces.
pub fn stale(root: &Path) -> Vec<PathBuf> {
    render(root)
        .into_iter()
        .filter(|(path, text)| {
            std::fs::read_to_string(root.join(path)).ok().as_deref() != Some(text.as_str())
        })
        .map(|(path, _)| path)
        .collect()
}

fn short(type_name: &str) -> &str {
    type_name.strip_prefix("duo_").unwrap_or(type_name)
}

fn read(root: &Path, rel: &str) -> Option<String> {
    std::fs::read_to_string(root.join(rel)).ok()
}

fn front_matter(title: &str, description: &str) -> String {
    let first = description
        .split(". ")
        .next()
        .unwrap_or(description)
        .trim_end_matches('.');
    format!("---\npage_title: \"{title}\"\nsubcategory: \"\"\ndescription: |-\n  {first}.\n---\n\n")
}

fn index(root: &Path, provider: &Schema) -> String {
    let mut out = front_matter("Duo Provider", &provider.description);
    let _ = writeln!(out, "# Duo Provider\n\n{}\n", provider.description);
    if let Some(example) = read(root, "examples/provider/provider.tf") {
        let _ = writeln!(out, "## Example Usage\n\n```terraform\n{}```\n", example);
    }
    out.push_str(&schema_markdown(provider));
    if let Some(extra) = read(root, "templates/index.md") {
        let _ = write!(out, "\n{extra}");
    }
    out
}

fn page(root: &Path, name: &str, kind: &str, schema: &Schema, dir: &str, file: &str) -> String {
    let mut out = front_matter(
        &format!("{name} {kind} - terraform-provider-duo"),
        &schema.description,
    );
    let _ = writeln!(out, "# {name} ({kind})\n\n{}\n", schema.description);
    if let Some(example) = read(root, &format!("examples/{dir}/{name}/{file}")) {
        let _ = writeln!(out, "## Example Usage\n\n```terraform\n{example}```\n");
    }
    out.push_str(&schema_markdown(schema));
    out.push_str(&permissions(name, kind));
    if let Some(import) = read(root, &format!("examples/{dir}/{name}/import.sh")) {
        let _ = writeln!(
            out,
            "\n## Import\n\nImport is supported using the following syntax:\n\n```shell\n{import}```"
        );
    }
    if let Some(identity) = &schema.identity {
        out.push_str(&identity_markdown(name, schema, identity));
    }
    if let Some(extra) = read(root, &format!("templates/{dir}/{}.md", short(name))) {
        let _ = write!(out, "\n{extra}");
    }
    out
}

/// A resource's identity (Terraform 1.12+), and how to import by it.
fn identity_markdown(name: &str, schema: &Schema, identity: &Identity) -> String {
    let mut out = format!(
        "\n## Identity\n\nTerraform 1.12 and later keep each object's identity beside its state \
         (version {}) and import by it. The identity attributes required to import:\n\n",
        identity.version
    );
    let described = |out: &mut String, attr: &str| {
        let description = schema
            .attribute(attr)
            .map(|a| a.description.clone())
            .unwrap_or_default();
        let _ = writeln!(out, "- `{attr}` (String) {description}");
    };
    for &attr in &identity.attributes {
        described(&mut out, attr);
    }
    if !identity.optional.is_empty() {
        out.push_str("\nOptional (null for an object of the key pair's own account):\n\n");
        for &attr in &identity.optional {
            described(&mut out, attr);
        }
    }
    let _ = writeln!(
        out,
        "\nThe required values, in this order and joined with `/`, are the import ID.\n\n\
         ```terraform\nimport {{\n  to = {name}.example\n  identity = {{"
    );
    let width = identity
        .attributes
        .iter()
        .map(|a| a.len())
        .max()
        .unwrap_or(0);
    for &attr in &identity.attributes {
        let _ = writeln!(out, "    {attr:width$} = \"…\"");
    }
    out.push_str("  }\n}\n```\n");
    out
}

/// How a resource page points at its list resource.
fn list_markdown(name: &str) -> String {
    format!(
        "\n## Finding objects with `terraform query`\n\nTerraform 1.14 and later list \
         existing objects with the [`{name}` list resource](../list-resources/{}.md), in a \
         `.tfquery.hcl` file; `terraform query -generate-config-out=generated.tf` writes an \
         `import` block (by identity) and configuration for each:\n\n```terraform\nlist \
         \"{name}\" \"all\" {{\n  provider = duo\n}}\n```\n",
        short(name)
    )
}

/// A list resource's page: `terraform query` (Terraform 1.14+), its filters, an example.
fn list_page(name: &str, schema: &Schema) -> String {
    let mut out = front_matter(
        &format!("{name} List Resource - terraform-provider-duo"),
        &schema.description,
    );
    let _ = writeln!(
        out,
        "# {name} (List Resource)\n\n{}\n\nEach object found carries the identity of \
         [`{name}`](../resources/{}.md) and, with `include_resource = true` (or \
         `terraform query -generate-config-out`), its state exactly as importing it gives, \
         so generated configuration plans clean. Listing pages through Duo at the provider's \
         rate limits and reads no page past `limit` (100 when not given, as Terraform \
         sets it), except where an object is known only from every page (an authoritative \
         set of links, the bypass codes of a user).\n",
        schema.description,
        short(name)
    );
    let _ = writeln!(
        out,
        "## Example Usage\n\nIn a `.tfquery.hcl` file, run with `terraform query`:\n\n\
         ```terraform\nlist \"{name}\" \"all\" {{\n  provider = duo\n  limit    = 1000\n}}\n```\n"
    );
    if let Some(first) = schema.attributes.first() {
        let _ = writeln!(
            out,
            "Narrowed by a filter:\n\n```terraform\nlist \"{name}\" \"some\" {{\n  \
             provider = duo\n  config {{\n    {} = \"…\"\n  }}\n}}\n```\n",
            first.name
        );
    }
    out.push_str(&schema_markdown(schema).replacen("## Schema", "## Schema (`config` block)", 1));
    out.push_str(&permissions(name, "List Resource"));
    out
}

/// The Admin API permissions a type needs, from its registry entry: only a resource writes.
fn permissions(name: &str, kind: &str) -> String {
    let Some(entry) = kinds::of(name) else {
        return String::new();
    };
    if entry.read == kinds::Grant::AccountsApi {
        return "\n## Required Admin API permissions\n\nNone: this type is managed with the MSP parent's \
                \"Accounts API application\" (its key pair as the provider's `ikey` and `skey`), \
                which has no permissions to choose.\n"
            .to_owned();
    }
    let grants = if kind == "Resource" {
        entry.grants()
    } else {
        vec![entry.read]
    };
    let mut out = String::from(
        "\n## Required Admin API permissions\n\nThe Admin API application whose keys the provider uses needs:\n\n",
    );
    for g in grants {
        let _ = writeln!(out, "- \"{}\"", g.name());
    }
    out
}

fn schema_markdown(schema: &Schema) -> String {
    let mut out = String::from("## Schema\n");
    let sections = [
        ("Required", [Mode::Required, Mode::Required]),
        ("Optional", [Mode::Optional, Mode::OptionalComputed]),
        ("Read-Only", [Mode::Computed, Mode::Computed]),
    ];
    for (title, modes) in sections {
        let mut attrs: Vec<&Attribute> = schema
            .attributes
            .iter()
            .filter(|a| modes.contains(&a.mode))
            .collect();
        if attrs.is_empty() {
            continue;
        }
        attrs.sort_by(|a, b| a.name.cmp(&b.name));
        let _ = writeln!(out, "\n### {title}\n");
        for a in attrs {
            let sensitive = if a.sensitive { ", Sensitive" } else { "" };
            let _ = writeln!(
                out,
                "- `{}` ({}{sensitive}) {}",
                a.name,
                type_name(&a.ty),
                a.full_description()
            );
        }
    }
    for block in &schema.blocks {
        let _ = writeln!(
            out,
            "\n### Block `{}` (optional, at most one)\n\n{}\n",
            block.name, block.schema.description
        );
        let mut attrs: Vec<&Attribute> = block.schema.attributes.iter().collect();
        attrs.sort_by(|a, b| a.name.cmp(&b.name));
        for a in attrs {
            let _ = writeln!(
                out,
                "- `{}` ({}) {}",
                a.name,
                type_name(&a.ty),
                a.full_description()
            );
        }
    }
    out
}

fn type_name(t: &Type) -> String {
    match t {
        Type::String => "String".into(),
        Type::Number => "Number".into(),
        Type::Bool => "Boolean".into(),
        Type::Dynamic => "Dynamic".into(),
        Type::List(e) => format!("List of {}", type_name(e)),
        Type::Set(e) => format!("Set of {}", type_name(e)),
        Type::Map(e) => format!("Map of {}", type_name(e)),
        Type::Object(_) => "Object".into(),
    }
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};
    use terraform_provider_duo::kinds;

    #[test]
    fn docs_are_up_to_date() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let stale = super::stale(&root);
        assert!(
            stale.is_empty(),
            "these docs pages are not up to date: {stale:?}\nNOTE: run `cargo run -p xtask -- docs` and commit the updated files"
        );
    }

    /// The names of attributes and blocks in `schema` (prefixed by `at`) without a description.
    fn undescribed(at: &str, schema: &super::Schema, out: &mut Vec<String>) {
        fn attrs(at: &str, list: &[super::Attribute], out: &mut Vec<String>) {
            for a in list {
                let path = format!("{at}.{}", a.name);
                if a.description.trim().is_empty() {
                    out.push(path.clone());
                }
                if let Some((_, nested)) = &a.nested {
                    attrs(&path, nested, out);
                }
            }
        }
        if schema.description.trim().is_empty() {
            out.push(at.to_owned());
        }
        attrs(at, &schema.attributes, out);
        for b in &schema.blocks {
            undescribed(&format!("{at}.{}", b.name), &b.schema, out);
        }
    }

    #[test]
    fn every_type_attribute_and_block_has_a_description() {
        let schemas = super::ProviderService::new(super::DuoProvider).schemas();
        let mut missing = Vec::new();
        undescribed("provider", &schemas.provider, &mut missing);
        for (name, schema) in schemas
            .resources
            .iter()
            .chain(&schemas.data_sources)
            .chain(&schemas.ephemeral_resources)
            .chain(&schemas.list_resources)
        {
            undescribed(name, schema, &mut missing);
        }
        assert!(missing.is_empty(), "without a description: {missing:#?}");
    }

    #[test]
    fn guides_include_their_example_files() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let guides: Vec<_> = super::render(&root)
            .into_iter()
            .filter(|(p, _)| p.starts_with("docs/guides"))
            .collect();
        assert!(!guides.is_empty());
        for (path, text) in guides {
            assert!(
                !text.contains("{{tffile"),
                "{} keeps a placeholder",
                path.display()
            );
            assert!(
                !text.contains("# missing:"),
                "{} names a missing file",
                path.display()
            );
        }
    }

    #[test]
    fn every_resource_data_source_and_ephemeral_resource_has_a_page_with_an_example() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for (path, text) in super::render(&root) {
            if [
                "docs/resources",
                "docs/data-sources",
                "docs/ephemeral-resources",
                "docs/list-resources",
            ]
            .iter()
            .any(|dir| path.starts_with(dir))
            {
                assert!(
                    text.contains("## Example Usage"),
                    "{} has no example",
                    path.display()
                );
                assert!(
                    text.contains("## Required Admin API permissions\n")
                        && (text.contains("- \"Grant ")
                            || text.contains("\"Accounts API application\"")),
                    "{} does not say which permissions it needs",
                    path.display()
                );
            }
        }
    }

    #[test]
    fn every_natural_key_import_id_is_shown_in_the_types_import_example() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for kind in kinds::all() {
            if let kinds::ImportId::Prefixed(prefix) = kind.import {
                let example = super::read(
                    &root,
                    &format!("examples/resources/{}/import.sh", kind.type_name),
                )
                .unwrap_or_default();
                assert!(
                    example.contains(&format!(" {prefix}:"))
                        || example.contains(&format!(" '{prefix}:")),
                    "{}'s import example does not show `{prefix}:`",
                    kind.type_name
                );
            }
        }
    }

    #[test]
    fn every_resource_page_shows_its_identity_and_every_listable_one_its_list_block() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let schemas = super::ProviderService::new(super::DuoProvider).schemas();
        let pages = super::render(&root);
        for (name, _) in &schemas.resources {
            let path = PathBuf::from(format!("docs/resources/{}.md", super::short(name)));
            let text = &pages.iter().find(|(p, _)| *p == path).unwrap().1;
            assert!(text.contains("## Identity\n"), "{name}");
            assert!(text.contains("  identity = {\n"), "{name}");
            let listable = schemas.list_resources.iter().any(|(l, _)| l == name);
            assert_eq!(
                text.contains(&format!("list \"{name}\"")),
                listable,
                "{name}"
            );
        }
    }
}
