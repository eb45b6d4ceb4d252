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
use crate::plugin::{Diagnostics, ID, Obj, Provider, Resource, State, Take, hcl};
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
    /// Export this child account of the MSP parent whose Accounts API key pair is given.
    pub account_id: Option<String>,
    /// Export every child account of that parent, each into a directory of its own.
    pub all_child_accounts: bool,
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

/// What an export did, for the summary: per directory written (`""` for the one given,
/// else each child's), how many objects of each type.
pub struct Summary {
    pub counts: Vec<(String, Vec<(&'static str, usize)>)>,
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
/// `DUO_SKEY` or the names other Duo tools use): of the key pair's account, of one child
/// account (`account_id`), or of every child account into a directory each, named after the
/// child, whose provider block names it (`all_child_accounts`).
pub async fn run(options: &Options) -> Result<Summary, String> {
    let kinds = selected(options)?;
    if options.all_child_accounts && options.account_id.is_some() {
        return Err("give --account-id or --all-child-accounts, not both".to_owned());
    }
    prepare_dir(&options.dir, options.force)?;
    let provider = DuoProvider;
    let mut config = Obj::default();
    if let Some(id) = &options.account_id {
        config.set(crate::provider::ProviderConfig::account_id, id.as_str());
    }
    let client = std::sync::Arc::new(
        provider
            .configure(&config, "export")
            .await
            .map_err(|d| diagnostics_text(&d))?,
    );
    if client.is_accounts_key() && options.account_id.is_none() && !options.all_child_accounts {
        return Err(
            "these credentials are an MSP parent's Accounts API key pair, which reaches child \
             accounts only: give --account-id DA… for one child, or --all-child-accounts for \
             each in a directory of its own"
                .to_owned(),
        );
    }
    let started = Instant::now();
    let resources = provider.resources();
    let mut counts = Vec::new();
    if options.all_child_accounts {
        let children = client
            .child_accounts()
            .await
            .map_err(|e| format!("listing the child accounts: {e}"))?;
        let mut taken = BTreeSet::new();
        for child in &children {
            let name = unique(&mut taken, &hcl::name(&child.name));
            let dir = options.dir.join(&name);
            prepare_dir(&dir, options.force)?;
            let scoped = client
                .for_account(&child.account_id)
                .await
                .map_err(|e| format!("reaching child account {}: {e}", child.account_id))?;
            let summary = export_one(&dir, &kinds, options, &resources, &scoped).await?;
            counts.push((name, summary));
        }
    } else {
        let scoped = match &options.account_id {
            Some(id) => client
                .for_account(id)
                .await
                .map_err(|e| format!("reaching child account {id}: {e}"))?,
            None => client,
        };
        let summary = export_one(&options.dir, &kinds, options, &resources, &scoped).await?;
        counts.push((String::new(), summary));
    }
    Ok(Summary {
        counts,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Exports the account `duo` acts on into `dir`.
async fn export_one(
    dir: &Path,
    kinds: &[&'static Kind],
    options: &Options,
    resources: &[Box<dyn Resource<duo::Client>>],
    duo: &duo::Client,
) -> Result<Vec<(&'static str, usize)>, String> {
    let progress = Progress {
        on: std::io::stderr().is_terminal(),
    };
    let list = async |i: usize, k: &'static Kind| {
        progress.step(i, kinds.len(), k.type_name);
        let resource = resources
            .iter()
            .find(|r| r.type_name() == k.type_name)
            .ok_or_else(|| format!("{} is not a resource of this provider", k.type_name))?;
        resource
            .list(duo, &Take::ALL)
            .await
            .map_err(|d| format!("reading {}: {}", k.type_name, diagnostics_text(&d)))
    };
    let mut writer = Writer::new(dir, resources, duo.account_id());
    let written = async {
        if options.groups.is_empty() {
            // One type at a time: its states are dropped once its file is written.
            for (i, k) in kinds.iter().enumerate() {
                writer.add(k, list(i, k).await?)?;
            }
        } else {
            // Scoping to groups needs every type's states first.
            let mut listed = Vec::new();
            for (i, k) in kinds.iter().enumerate() {
                listed.push((*k, list(i, k).await?));
            }
            scope_to_groups(&mut listed, &options.groups)?;
            for (k, states) in listed {
                writer.add(k, states)?;
            }
        }
        Ok::<_, String>(())
    }
    .await;
    progress.done();
    match written {
        Ok(()) => writer.finish(),
        Err(e) => {
            writer.abandon();
            Err(e)
        }
    }
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

/// (type, ID) → Terraform name of every object named so far.
type Names = BTreeMap<(String, String), String>;

/// Gives every object of a type a unique, stable Terraform name, after the names of the
/// objects it refers to (named before it, in the registry's order). Takes the states rather
/// than copying them.
fn name_kind(names: &mut Names, k: &Kind, states: Vec<Obj>) -> Vec<Exported> {
    let schema = crate::resources::all()
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
        let name = unique(&mut taken, &base);
        names.insert((k.type_name.to_owned(), id), name.clone());
        exported.push(Exported { name, state });
    }
    exported
}

/// `base`, or `base_2`, `base_3` … : the first not `taken`, which it then is.
fn unique(taken: &mut BTreeSet<String>, base: &str) -> String {
    let mut name = base.to_owned();
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}_{n}");
        n += 1;
    }
    taken.insert(name.clone());
    name
}

/// Writes the directory one type at a time, so an export holds one type's states at once:
/// a 20,000-user tenant's states, all held together, were most of an export's memory. Files
/// go to a staging directory inside it and are moved into place when every type is written,
/// so a failed export leaves what was there before (`--force`) as it was.
struct Writer<'a> {
    dir: &'a Path,
    /// The child account the provider block names, if any.
    account_id: Option<&'a str>,
    staging: PathBuf,
    resources: &'a [Box<dyn Resource<duo::Client>>],
    names: Names,
    imports: String,
    counts: Vec<(&'static str, usize)>,
    files: Vec<String>,
}

impl<'a> Writer<'a> {
    fn new(
        dir: &'a Path,
        resources: &'a [Box<dyn Resource<duo::Client>>],
        account_id: Option<&'a str>,
    ) -> Writer<'a> {
        Writer {
            dir,
            account_id,
            staging: dir.join(".export-in-progress"),
            resources,
            names: Names::new(),
            imports: String::new(),
            counts: Vec::new(),
            files: Vec::new(),
        }
    }

    fn write(&mut self, file: &str, text: &str) -> Result<(), String> {
        std::fs::create_dir_all(&self.staging)
            .and_then(|()| std::fs::write(self.staging.join(file), text))
            .map_err(|e| format!("writing {file}: {e}"))?;
        self.files.push(file.to_owned());
        Ok(())
    }

    /// Names one type's objects and writes their resource blocks and import blocks.
    fn add(&mut self, k: &'static Kind, states: Vec<Obj>) -> Result<(), String> {
        let objs = name_kind(&mut self.names, k, states);
        self.counts.push((k.type_name, objs.len()));
        if objs.is_empty() {
            return Ok(());
        }
        let schema = self
            .resources
            .iter()
            .find(|r| r.type_name() == k.type_name)
            .map(|r| r.schema())
            .unwrap_or_default();
        let names = &self.names;
        let resolve = |t: &str, id: &str| {
            names
                .get(&(t.to_owned(), id.to_owned()))
                .map(|name| format!("{t}.{name}.id"))
        };
        let blocks: Vec<String> = objs
            .iter()
            .map(|o| hcl::resource(k.type_name, &o.name, &schema, &o.state, &resolve))
            .collect();
        for o in &objs {
            if !self.imports.is_empty() {
                self.imports.push('\n');
            }
            self.imports.push_str(&hcl::import(
                &format!("{}.{}", k.type_name, o.name),
                o.state.str(ID).unwrap_or_default(),
            ));
        }
        self.write(&format!("{}.tf", k.type_name), &blocks.join("\n"))
    }

    /// Writes `main.tf` and `imports.tf`: how many objects of each type were written.
    fn finish(mut self) -> Result<Vec<(&'static str, usize)>, String> {
        let provider = match self.account_id {
            Some(id) => format!(
                "# The child account exported, reached with the parent's Accounts API key pair.\n\
                 provider \"duo\" {{\n  {} = {}\n}}\n",
                crate::provider::ProviderConfig::account_id,
                serde_json::Value::from(id)
            ),
            None => "provider \"duo\" {}\n".to_owned(),
        };
        let main = format!(
            "# Written by `terraform-provider-duo export`. Import blocks need Terraform 1.5 or later.\n\
             terraform {{\n  required_version = \">= 1.5.0\"\n  required_providers {{\n    duo = {{\n      source = \"{}\"\n    }}\n  }}\n}}\n\n\
             # Credentials come from DUO_API_HOST, DUO_IKEY and DUO_SKEY, as they did for the export.\n\
             {provider}",
            ADDRESS.trim_start_matches("registry.terraform.io/")
        );
        let imports = std::mem::take(&mut self.imports);
        let result = self
            .write("main.tf", &main)
            .and_then(|()| self.write("imports.tf", &imports))
            .and_then(|()| {
                self.files.iter().try_for_each(|f| {
                    std::fs::rename(self.staging.join(f), self.dir.join(f))
                        .map_err(|e| format!("moving {f} into {}: {e}", self.dir.display()))
                })
            });
        let counts = std::mem::take(&mut self.counts);
        self.abandon();
        result.map(|()| counts)
    }

    /// Removes the staging directory: what was not moved into place is dropped.
    fn abandon(self) {
        let _ = std::fs::remove_dir_all(&self.staging);
    }
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
        // Two are covered by duo_group_members; child accounts belong to the parent, whose
        // children `--all-child-accounts` exports instead.
        let left: Vec<&&str> = all
            .iter()
            .filter(|t| !exportable_types().contains(t))
            .collect();
        assert_eq!(
            left,
            [
                &"duo_group_member",
                &"duo_user_groups",
                &"duo_child_account"
            ]
        );
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
    fn files_replace_what_was_there_only_once_every_type_is_written() {
        let dir = std::env::temp_dir().join(format!("duo-export-writer-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("duo_group.tf"), "# before").unwrap();
        let resources = DuoProvider.resources();
        let group = || vec![Obj::default().with("id", "DG1").with("name", "eng")];
        let kind = exported()[0];
        assert_eq!(kind.type_name, "duo_group");

        // A failure after a type was written: the directory is as it was.
        let mut writer = Writer::new(&dir, &resources, None);
        writer.add(kind, group()).unwrap();
        writer.abandon();
        let left: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, ["duo_group.tf"]);
        assert_eq!(
            std::fs::read_to_string(dir.join("duo_group.tf")).unwrap(),
            "# before"
        );

        let mut writer = Writer::new(&dir, &resources, None);
        writer.add(kind, group()).unwrap();
        let counts = writer.finish().unwrap();
        assert_eq!(counts, [("duo_group", 1)]);
        let written = std::fs::read_to_string(dir.join("duo_group.tf")).unwrap();
        assert!(
            written.contains("resource \"duo_group\" \"eng\""),
            "{written}"
        );
        let imports = std::fs::read_to_string(dir.join("imports.tf")).unwrap();
        assert!(imports.contains("to = duo_group.eng"), "{imports}");
        assert!(dir.join("main.tf").exists() && !dir.join(".export-in-progress").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn names_are_unique_stable_and_follow_references() {
        let users = vec![
            Obj::default().with("id", "U2").with("username", "ann-lee"),
            Obj::default().with("id", "U1").with("username", "ann.lee"),
        ];
        let codes = vec![Obj::default().with("id", "U2").with("user_id", "U2")];
        let mut names = Names::new();
        let named_users = name_kind(&mut names, exported()[1], users);
        let named_codes = name_kind(&mut names, exported()[7], codes);
        let users: Vec<(&str, Option<&str>)> = named_users
            .iter()
            .map(|e| (e.name.as_str(), e.state.str("id")))
            .collect();
        assert_eq!(users, [("ann_lee", Some("U1")), ("ann_lee_2", Some("U2"))]);
        assert_eq!(named_codes[0].name, "ann_lee_2");
    }
}
