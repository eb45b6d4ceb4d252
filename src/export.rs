//! `terraform-provider-duo export`: reads a whole Duo account and writes a Terraform
//! directory that manages it, with an `import` block for every object, so that `terraform
//! plan` there shows only imports and, after `apply`, nothing at all.
//!
//! Each type is listed with its resource's own `list` (the states an import of each object
//! would give), so the configuration written from them is exactly what Terraform will read
//! back. Names come from natural keys (usernames, group names, …), sanitised and made unique
//! in a stable order; IDs of exported objects become references (`duo_user.ann.id`), so the
//! directory reads like hand-written HCL and keeps working if objects are recreated.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::duo;
use crate::kinds::{self, Naming};
use crate::plugin::{Diagnostics, ID, Obj, Provider, Resource, State, hcl};
use crate::provider::{ADDRESS, DuoProvider};
use crate::resources::group::GroupState;
use crate::resources::group_members::GroupMemberLink;
use crate::resources::link::{LinkKind, LinkSetState};
use crate::resources::user_hardware_token::UserTokenLink;
use crate::resources::user_phone::UserPhoneLink;

/// What to export and where.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub dir: PathBuf,
    /// Resource types to export; empty means every type (or, with `groups`, the types that
    /// belong to users and groups).
    pub types: Vec<String>,
    /// Export only these groups (names or IDs), their members and the members' devices.
    pub groups: Vec<String>,
    /// Write into a directory that already holds files.
    pub force: bool,
}

/// What an exported type is, from the registry: its naming is `export` there.
type Kind = kinds::Kind;

/// The exported types, referenced types before the types that refer to them, so names
/// resolve: the registry's order.
fn exported() -> Vec<&'static Kind> {
    kinds::all()
        .into_iter()
        .filter(|k| k.export.is_some())
        .collect()
}

/// How `k` is named (the registry says, for every exported kind).
fn naming(k: &Kind) -> Naming {
    k.export.unwrap_or(Naming {
        from: &[],
        prefix: "",
        user_side: false,
    })
}

/// The types `export` can write, in the order it writes them.
pub fn exportable_types() -> Vec<&'static str> {
    exported().iter().map(|k| k.type_name).collect()
}

/// One exported object.
struct Exported {
    name: String,
    state: Obj,
}

/// What an export did, for the summary.
pub struct Summary {
    pub counts: Vec<(&'static str, usize)>,
    pub seconds: f64,
}

/// Reports progress on a terminal; silent otherwise (CI logs stay readable).
struct Progress {
    on: bool,
}

impl Progress {
    /// `[#####---------------] 4/16 reading duo_phone`
    fn step(&self, done: usize, total: usize, what: &str) {
        if self.on {
            const WIDTH: usize = 20;
            let filled = (done * WIDTH).checked_div(total).unwrap_or(WIDTH);
            eprint!(
                "\r\x1b[2K[{}{}] {done}/{total} reading {what}",
                "#".repeat(filled),
                "-".repeat(WIDTH - filled)
            );
            let _ = std::io::stderr().flush();
        }
    }

    fn done(&self) {
        if self.on {
            eprint!("\r\x1b[2K");
        }
    }
}

/// Runs an export with credentials from the environment (`DUO_API_HOST`, `DUO_IKEY`,
/// `DUO_SKEY` or the names other Duo tools use).
pub async fn run(options: &Options) -> Result<Summary, String> {
    let kinds = selected(options)?;
    prepare_dir(&options.dir, options.force)?;
    let provider = DuoProvider;
    let client = provider
        .configure(&Obj::default(), "export")
        .await
        .map_err(|d| diagnostics_text(&d))?;
    let started = Instant::now();
    let progress = Progress {
        on: std::io::stderr().is_terminal(),
    };
    let resources = provider.resources();
    let mut listed: Vec<(&Kind, Vec<Obj>)> = Vec::new();
    for (i, k) in kinds.iter().enumerate() {
        progress.step(i, kinds.len(), k.type_name);
        let resource = resources
            .iter()
            .find(|r| r.type_name() == k.type_name)
            .ok_or_else(|| format!("{} is not a resource of this provider", k.type_name))?;
        let states = resource
            .list(&client)
            .await
            .map_err(|d| format!("reading {}: {}", k.type_name, diagnostics_text(&d)))?;
        listed.push((k, states));
    }
    progress.done();
    if !options.groups.is_empty() {
        scope_to_groups(&mut listed, &options.groups)?;
    }
    let named = name_all(listed);
    write_dir(&options.dir, &named, &resources)?;
    Ok(Summary {
        counts: named
            .iter()
            .map(|(k, objs)| (k.type_name, objs.len()))
            .collect(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn diagnostics_text(d: &Diagnostics) -> String {
    d.0.iter()
        .map(|d| format!("{}: {}", d.summary, d.detail))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The kinds to export, or an error naming the types that exist.
fn selected(options: &Options) -> Result<Vec<&'static Kind>, String> {
    if options.types.is_empty() {
        return Ok(exported()
            .into_iter()
            .filter(|k| options.groups.is_empty() || naming(k).user_side)
            .collect());
    }
    let mut out = Vec::new();
    for t in &options.types {
        let t = t.trim();
        let full = if t.starts_with("duo_") {
            t.to_owned()
        } else {
            format!("duo_{t}")
        };
        let k = exported()
            .into_iter()
            .find(|k| k.type_name == full)
            .ok_or_else(|| {
                format!(
                    "--types: {t:?} is not an exportable type; choose from {}",
                    exportable_types().join(", ")
                )
            })?;
        out.push(k);
    }
    // Keep the dependency order whatever order the types were given in.
    let order = exported();
    out.sort_by_key(|k| order.iter().position(|x| x.type_name == k.type_name));
    out.dedup_by_key(|k| k.type_name);
    Ok(out)
}

fn prepare_dir(dir: &Path, force: bool) -> Result<(), String> {
    if let Ok(mut entries) = std::fs::read_dir(dir)
        && entries.next().is_some()
        && !force
    {
        return Err(format!(
            "{} is not empty; choose a new directory, or pass --force to overwrite the files export writes there",
            dir.display()
        ));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))
}

/// Keeps the chosen groups, their members, and what belongs to those members.
fn scope_to_groups(listed: &mut [(&Kind, Vec<Obj>)], wanted: &[String]) -> Result<(), String> {
    let all_of = |listed: &[(&Kind, Vec<Obj>)], t: &str| -> Vec<Obj> {
        listed
            .iter()
            .find(|(k, _)| k.type_name == t)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let groups: BTreeSet<String> = all_of(listed, "duo_group")
        .iter()
        .filter(|g| {
            wanted
                .iter()
                .any(|w| g.str(ID) == Some(w) || g.str(GroupState::name) == Some(w))
        })
        .filter_map(|g| g.str(ID).map(str::to_owned))
        .collect();
    if groups.len() < wanted.len() {
        return Err(format!(
            "--group: found {} of the {} groups given ({}); check the names or IDs",
            groups.len(),
            wanted.len(),
            wanted.join(", ")
        ));
    }
    let members: BTreeSet<String> = all_of(listed, "duo_group_members")
        .iter()
        .filter_map(|m| LinkSetState::<GroupMemberLink>::from_obj(m).ok())
        .filter(|m| groups.contains(&m.owner))
        .flat_map(|m| m.items)
        .collect();
    let owned = |t: &str, item: &str| -> BTreeSet<String> {
        all_of(listed, t)
            .iter()
            .filter(|l| {
                l.str(UserPhoneLink::OWNER)
                    .is_some_and(|u| members.contains(u))
            })
            .filter_map(|l| l.str(item).map(str::to_owned))
            .collect()
    };
    let phones = owned("duo_user_phone", UserPhoneLink::ITEM);
    let tokens = owned("duo_user_hardware_token", UserTokenLink::ITEM);
    for (k, states) in listed.iter_mut() {
        let (attr, keep): (&str, &BTreeSet<String>) = match k.type_name {
            "duo_group" => (ID, &groups),
            "duo_group_members" => (GroupMemberLink::OWNER, &groups),
            "duo_user" => (ID, &members),
            // Each belongs to a user, whose ID it holds in `user_id`.
            "duo_user_phone" | "duo_user_hardware_token" | "duo_bypass_codes" => {
                (UserPhoneLink::OWNER, &members)
            }
            "duo_phone" => (ID, &phones),
            "duo_hardware_token" => (ID, &tokens),
            _ => continue,
        };
        states.retain(|s| s.str(attr).is_some_and(|v| keep.contains(v)));
    }
    Ok(())
}

/// Gives every object a unique, stable Terraform name. Takes the states rather than copying
/// them: a 20,000-user tenant's states are most of an export's memory.
fn name_all(listed: Vec<(&Kind, Vec<Obj>)>) -> Vec<(&Kind, Vec<Exported>)> {
    // (type, id) → name, for naming objects after those they refer to.
    let mut names: BTreeMap<(String, String), String> = BTreeMap::new();
    let targets = crate::resources::all();
    let mut out = Vec::new();
    for (k, states) in listed {
        let schema = targets
            .iter()
            .find(|r| r.type_name() == k.type_name)
            .map(|r| r.schema())
            .unwrap_or_default();
        let mut based: Vec<(String, String, Obj)> = states
            .into_iter()
            .map(|s| {
                let parts: Vec<String> = naming(k)
                    .from
                    .iter()
                    .map(|attr| {
                        let value = s.str(attr).unwrap_or_default();
                        schema
                            .attributes
                            .iter()
                            .find(|a| a.name == *attr)
                            .and_then(|a| a.references)
                            .and_then(|t| names.get(&(t.to_owned(), value.to_owned())).cloned())
                            .unwrap_or_else(|| value.to_owned())
                    })
                    .filter(|p| !p.is_empty())
                    .collect();
                let mut base = parts.join("_");
                if base.is_empty() && naming(k).prefix.is_empty() {
                    base = s.str(ID).unwrap_or_default().to_owned();
                }
                let base = match (naming(k).prefix, base.is_empty()) {
                    ("", _) => hcl::name(&base),
                    (p, true) => p.to_owned(),
                    (p, false) => hcl::name(&format!("{p}_{base}")),
                };
                let id = s.str(ID).unwrap_or_default().to_owned();
                (base, id, s)
            })
            .collect();
        based.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
        let mut taken: BTreeSet<String> = BTreeSet::new();
        let mut exported = Vec::new();
        for (base, id, state) in based {
            let mut name = base.clone();
            let mut n = 2;
            while taken.contains(&name) {
                name = format!("{base}_{n}");
                n += 1;
            }
            taken.insert(name.clone());
            names.insert((k.type_name.to_owned(), id), name.clone());
            exported.push(Exported { name, state });
        }
        out.push((k, exported));
    }
    out
}

fn write_dir(
    dir: &Path,
    named: &[(&Kind, Vec<Exported>)],
    resources: &[Box<dyn Resource<duo::Client>>],
) -> Result<(), String> {
    let refs: BTreeMap<(String, String), String> = named
        .iter()
        .flat_map(|(k, objs)| {
            objs.iter().filter_map(|o| {
                o.state.str(ID).map(|id| {
                    (
                        (k.type_name.to_owned(), id.to_owned()),
                        format!("{}.{}.id", k.type_name, o.name),
                    )
                })
            })
        })
        .collect();
    let resolve = |t: &str, id: &str| refs.get(&(t.to_owned(), id.to_owned())).cloned();
    let write = |file: &str, text: &str| {
        std::fs::write(dir.join(file), text).map_err(|e| format!("writing {file}: {e}"))
    };
    write(
        "main.tf",
        &format!(
            "# Written by `terraform-provider-duo export`. Import blocks need Terraform 1.5 or later.\n\
             terraform {{\n  required_version = \">= 1.5.0\"\n  required_providers {{\n    duo = {{\n      source = \"{}\"\n    }}\n  }}\n}}\n\n\
             # Credentials come from DUO_API_HOST, DUO_IKEY and DUO_SKEY, as they did for the export.\n\
             provider \"duo\" {{}}\n",
            ADDRESS.trim_start_matches("registry.terraform.io/")
        ),
    )?;
    let mut imports = String::new();
    for (k, objs) in named {
        if objs.is_empty() {
            continue;
        }
        let schema = resources
            .iter()
            .find(|r| r.type_name() == k.type_name)
            .map(|r| r.schema())
            .unwrap_or_default();
        let blocks: Vec<String> = objs
            .iter()
            .map(|o| hcl::resource(k.type_name, &o.name, &schema, &o.state, &resolve))
            .collect();
        write(&format!("{}.tf", k.type_name), &blocks.join("\n"))?;
        for o in objs {
            if !imports.is_empty() {
                imports.push('\n');
            }
            imports.push_str(&hcl::import(
                &format!("{}.{}", k.type_name, o.name),
                o.state.str(ID).unwrap_or_default(),
            ));
        }
    }
    write("imports.tf", &imports)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(types: &[&str], groups: &[&str]) -> Options {
        Options {
            types: types.iter().map(|s| s.to_string()).collect(),
            groups: groups.iter().map(|s| s.to_string()).collect(),
            ..Options::default()
        }
    }

    #[test]
    fn every_exportable_type_is_a_resource_and_every_listable_resource_is_exported() {
        let all: Vec<&str> = crate::resources::all()
            .iter()
            .map(|r| r.type_name())
            .collect();
        for t in exportable_types() {
            assert!(all.contains(&t), "{t}");
        }
        // The two not exported are covered by duo_group_members.
        let left: Vec<&&str> = all
            .iter()
            .filter(|t| !exportable_types().contains(t))
            .collect();
        assert_eq!(left, [&"duo_group_member", &"duo_user_groups"]);
    }

    #[test]
    fn types_are_chosen_by_name_kept_in_dependency_order_and_unknown_ones_explained() {
        let k = selected(&opts(&["group_members", "duo_user", "group"], &[])).unwrap();
        let names: Vec<&str> = k.iter().map(|k| k.type_name).collect();
        assert_eq!(names, ["duo_group", "duo_user", "duo_group_members"]);
        let err = selected(&opts(&["duo_users"], &[])).err().unwrap();
        assert!(
            err.contains("not an exportable type") && err.contains("duo_user,"),
            "{err}"
        );
        let user_side = selected(&opts(&[], &["Engineering"])).unwrap();
        assert!(user_side.iter().all(|k| naming(k).user_side));
    }

    #[test]
    fn names_are_unique_stable_and_follow_references() {
        let users = vec![
            Obj::default().with("id", "U2").with("username", "ann-lee"),
            Obj::default().with("id", "U1").with("username", "ann.lee"),
        ];
        let codes = vec![Obj::default().with("id", "U2").with("user_id", "U2")];
        let listed = vec![(exported()[1], users), (exported()[7], codes)];
        let named = name_all(listed);
        let users: Vec<(&str, Option<&str>)> = named[0]
            .1
            .iter()
            .map(|e| (e.name.as_str(), e.state.str("id")))
            .collect();
        assert_eq!(users, [("ann_lee", Some("U1")), ("ann_lee_2", Some("U2"))]);
        assert_eq!(named[1].1[0].name, "ann_lee_2");
    }
}
