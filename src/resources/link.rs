//! Links between two Duo objects (a user in a group, a phone or token of a user), shared by
//! every membership-like resource: one link (`duo_group_member`, `duo_user_phone`, …) or the
//! authoritative set of links of one object (`duo_group_members`, `duo_user_groups`).
//!
//! A [`LinkKind`] says how to list, add and remove links in Duo; [`Single`] and [`Set`] turn
//! any kind into a resource. Drift is read from Duo (every page), so links added or removed
//! outside Terraform show in the plan.

use std::collections::BTreeSet;

use async_trait::async_trait;

use super::{Action, Hint, Op, diagnose, diagnose_with};
use crate::duo;
use crate::kinds::Kind;
use crate::plugin::{
    AttrPath, Attribute, Diagnostic, Diagnostics, Failed, ID, Obj, Resource, Schema, Type,
    Validator, Value,
};

/// What turns a set of linked IDs into another: the members to remove, then those to add, each
/// in order. Every set-valued link (group members, a user's groups, phones and tokens,
/// administrative unit members, the groups of a policy assignment) converges through it.
/// Removals come first so that a set at one of Duo's caps can swap members.
#[derive(Debug, PartialEq, Eq)]
pub struct SetChanges<'a> {
    pub remove: Vec<&'a String>,
    pub add: Vec<&'a String>,
}

impl<'a> SetChanges<'a> {
    pub fn between(current: &'a BTreeSet<String>, desired: &'a BTreeSet<String>) -> Self {
        SetChanges {
            remove: current.difference(desired).collect(),
            add: desired.difference(current).collect(),
        }
    }

    /// Every change as `(member, true to add)`, removals first.
    pub fn in_order(self) -> impl Iterator<Item = (&'a String, bool)> {
        let remove = self.remove.into_iter().map(|m| (m, false));
        remove.chain(self.add.into_iter().map(|m| (m, true)))
    }
}

/// How one kind of link is stored in Duo, seen from its owner.
#[async_trait]
pub trait LinkKind: Send + Sync {
    /// The owner's attribute, e.g. `user_id`, and the resource type it refers to.
    const OWNER: &'static str;
    const OWNER_TYPE: &'static str;
    /// One linked object's attribute, e.g. `group_id`, and the resource type it refers to.
    const ITEM: &'static str;
    const ITEM_TYPE: &'static str;
    /// Duo's cap on links per owner, if any.
    const MAX: Option<usize> = None;
    /// Advice for the parameters Duo may reject when linking.
    const HINTS: &'static [Hint] = &[];

    /// The owner's links, or `None` when the owner is gone.
    async fn list(duo: &duo::Client, owner: &str) -> Result<Option<Vec<String>>, duo::Error>;
    async fn link(duo: &duo::Client, owner: &str, item: &str) -> Result<(), duo::Error>;
    async fn unlink(duo: &duo::Client, owner: &str, item: &str) -> Result<(), duo::Error>;
    /// Every link in the account as `(owner, item)`, in as few list calls as Duo allows.
    async fn all(duo: &duo::Client) -> Result<Vec<(String, String)>, duo::Error>;
}

/// Every link of kind `K`, or one diagnostic.
async fn all_links<K: LinkKind>(
    duo: &duo::Client,
    kind: &'static Kind,
) -> Result<Vec<(String, String)>, Diagnostics> {
    K::all(duo)
        .await
        .map_err(|e| diagnose(Op::all(Action::Read, kind), &e).into())
}

fn id_string(state: &Obj, attr: &str) -> String {
    state.str(attr).unwrap_or_default().to_owned()
}

/// One link. Its ID is `<owner>/<item>`; both ends force replacement.
pub struct Single<K> {
    /// Its registry entry: type name, what messages call a link, the permissions.
    kind: &'static Kind,
    description: &'static str,
    link: std::marker::PhantomData<K>,
}

impl<K: LinkKind> Single<K> {
    pub const fn new(kind: &'static Kind, description: &'static str) -> Single<K> {
        Single {
            kind,
            description,
            link: std::marker::PhantomData,
        }
    }
}

#[async_trait]
impl<K: LinkKind + 'static> Resource<duo::Client> for Single<K> {
    fn type_name(&self) -> &'static str {
        self.kind.type_name
    }

    fn schema(&self) -> Schema {
        Schema::new(self.description)
            .attr(
                Attribute::string(ID)
                    .computed()
                    .use_state_for_unknown()
                    .describe(&format!(
                        "`<{}>/<{}>`; also the import ID.",
                        K::OWNER,
                        K::ITEM
                    )),
            )
            .attr(
                Attribute::string(K::OWNER)
                    .required()
                    .force_new()
                    .references(K::OWNER_TYPE)
                    .describe(&format!("The `{}` of one end.", K::OWNER)),
            )
            .attr(
                Attribute::string(K::ITEM)
                    .required()
                    .force_new()
                    .references(K::ITEM_TYPE)
                    .describe(&format!("The `{}` of the other end.", K::ITEM)),
            )
    }

    async fn create(&self, duo: &duo::Client, plan: &Obj) -> Result<Obj, Failed> {
        let (owner, item) = (id_string(plan, K::OWNER), id_string(plan, K::ITEM));
        K::link(duo, &owner, &item)
            .await
            .map_err(|e| diagnose_with(Op::new(Action::Create, self.kind), &e, K::HINTS))?;
        Ok(single_state::<K>(&owner, &item))
    }

    async fn read(&self, duo: &duo::Client, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
        let (owner, item) = (id_string(state, K::OWNER), id_string(state, K::ITEM));
        let links = K::list(duo, &owner)
            .await
            .map_err(|e| diagnose(Op::new(Action::Read, self.kind), &e))?;
        Ok(links
            .filter(|l| l.contains(&item))
            .map(|_| single_state::<K>(&owner, &item)))
    }

    async fn update(&self, _: &duo::Client, _: &Obj, plan: &Obj) -> Result<Obj, Failed> {
        // Both attributes force replacement, so Terraform never asks for an update.
        Ok(plan.clone())
    }

    async fn delete(&self, duo: &duo::Client, state: &Obj) -> Result<(), Diagnostics> {
        let (owner, item) = (id_string(state, K::OWNER), id_string(state, K::ITEM));
        match K::unlink(duo, &owner, &item).await {
            Err(e) if !e.is_not_found() => {
                Err(diagnose(Op::new(Action::Delete, self.kind), &e).into())
            }
            _ => Ok(()),
        }
    }

    async fn import(&self, duo: &duo::Client, id: &str) -> Result<Obj, Diagnostics> {
        let (owner, item) = super::split_import_id(id, K::OWNER, K::ITEM)?;
        let stub = single_state::<K>(owner, item);
        self.read(duo, &stub).await?.ok_or_else(|| {
            Diagnostic::error(
                "Cannot import a missing link",
                format!("Duo has no {} {id:?}.", self.kind.noun),
            )
            .into()
        })
    }

    async fn list(&self, duo: &duo::Client) -> Result<Vec<Obj>, Diagnostics> {
        Ok(all_links::<K>(duo, self.kind)
            .await?
            .iter()
            .map(|(owner, item)| single_state::<K>(owner, item))
            .collect())
    }
}

fn single_state<K: LinkKind>(owner: &str, item: &str) -> Obj {
    Obj::default()
        .with(ID, format!("{owner}/{item}"))
        .with(K::OWNER, owner)
        .with(K::ITEM, item)
}

/// All links of one owner, authoritative: links in Duo that the configuration does not list
/// are removed. Its ID is the owner's ID.
pub struct Set<K> {
    /// Its registry entry: type name, what messages call a link, the permissions.
    kind: &'static Kind,
    description: &'static str,
    /// The set attribute, e.g. `group_ids`.
    items: &'static str,
    link: std::marker::PhantomData<K>,
}

impl<K: LinkKind> Set<K> {
    pub const fn new(
        kind: &'static Kind,
        items: &'static str,
        description: &'static str,
    ) -> Set<K> {
        Set {
            kind,
            description,
            items,
            link: std::marker::PhantomData,
        }
    }

    fn state(&self, owner: &str, items: &BTreeSet<String>) -> Obj {
        Obj::default().with(ID, owner).with(K::OWNER, owner).with(
            self.items,
            Value::Set(items.iter().map(|i| Value::from(i.as_str())).collect()),
        )
    }

    /// Links and unlinks until Duo holds exactly `desired`. On failure, the state is what Duo
    /// holds at that point, so nothing done is lost.
    async fn converge(
        &self,
        duo: &duo::Client,
        owner: &str,
        desired: &BTreeSet<String>,
        action: Action,
    ) -> Result<Obj, Failed> {
        let fail = |e: &duo::Error| diagnose_with(Op::new(action, self.kind), e, K::HINTS);
        let current: BTreeSet<String> = match K::list(duo, owner).await {
            Ok(Some(l)) => l.into_iter().collect(),
            Ok(None) => {
                return Err(Diagnostic::error(
                    format!(
                        "Cannot {} {}",
                        if action == Action::Create {
                            "create"
                        } else {
                            "update"
                        },
                        self.kind.noun
                    ),
                    format!("Duo has no object with {} {owner:?}.", K::OWNER),
                )
                .at(AttrPath::root(K::OWNER))
                .into());
            }
            Err(e) => return Err(fail(&e).into()),
        };
        let mut now = current.clone();
        let changes = SetChanges::between(&current, desired);
        for item in changes.remove {
            if let Err(e) = K::unlink(duo, owner, item).await {
                return Err(Failed {
                    diags: fail(&e).into(),
                    partial: Some(self.state(owner, &now)),
                });
            }
            now.remove(item);
        }
        for item in changes.add {
            if let Err(e) = K::link(duo, owner, item).await {
                let mut d = fail(&e);
                if d.path.as_ref().is_some_and(|p| {
                    p.0.first() == Some(&crate::plugin::PathStep::Attr(K::ITEM.to_owned()))
                }) {
                    d.path = Some(AttrPath::root(self.items));
                }
                return Err(Failed {
                    diags: d.into(),
                    partial: Some(self.state(owner, &now)),
                });
            }
            now.insert(item.clone());
        }
        Ok(self.state(owner, &now))
    }
}

#[async_trait]
impl<K: LinkKind + 'static> Resource<duo::Client> for Set<K> {
    fn type_name(&self) -> &'static str {
        self.kind.type_name
    }

    fn schema(&self) -> Schema {
        let mut items = Attribute::set_of(self.items, Type::String)
            .required()
            .references(K::ITEM_TYPE)
            .describe(&format!(
                "Every `{}` linked; others found in Duo are removed.",
                K::ITEM
            ));
        if let Some(max) = K::MAX {
            let name = self.items;
            items = items.validate(Validator::new(
                format!("At most {max} items (Duo's limit)."),
                move |v| {
                    let n = v.strings::<BTreeSet<String>>().len();
                    if n > max {
                        Err(format!(
                            "has {n} items; Duo allows at most {max} for {name}."
                        ))
                    } else {
                        Ok(())
                    }
                },
            ));
        }
        Schema::new(self.description)
            .attr(
                Attribute::string(ID)
                    .computed()
                    .use_state_for_unknown()
                    .describe(&format!("The `{}`; also the import ID.", K::OWNER)),
            )
            .attr(
                Attribute::string(K::OWNER)
                    .required()
                    .force_new()
                    .references(K::OWNER_TYPE)
                    .describe(&format!("The `{}` whose links this manages.", K::OWNER)),
            )
            .attr(items)
    }

    async fn create(&self, duo: &duo::Client, plan: &Obj) -> Result<Obj, Failed> {
        self.converge(
            duo,
            &id_string(plan, K::OWNER),
            &plan.get(self.items).strings(),
            Action::Create,
        )
        .await
    }

    async fn read(&self, duo: &duo::Client, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
        let owner = id_string(state, ID);
        let links = K::list(duo, &owner)
            .await
            .map_err(|e| diagnose(Op::new(Action::Read, self.kind), &e))?;
        Ok(links.map(|l| self.state(&owner, &l.into_iter().collect())))
    }

    async fn update(&self, duo: &duo::Client, _: &Obj, plan: &Obj) -> Result<Obj, Failed> {
        self.converge(
            duo,
            &id_string(plan, K::OWNER),
            &plan.get(self.items).strings(),
            Action::Update,
        )
        .await
    }

    /// Removes the links this resource manages (all of the owner's, as last read).
    async fn delete(&self, duo: &duo::Client, state: &Obj) -> Result<(), Diagnostics> {
        let owner = id_string(state, ID);
        for item in state.get(self.items).strings::<BTreeSet<String>>() {
            match K::unlink(duo, &owner, &item).await {
                Err(e) if !e.is_not_found() => {
                    return Err(diagnose(Op::new(Action::Delete, self.kind), &e).into());
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// One resource per owner that has links.
    async fn list(&self, duo: &duo::Client) -> Result<Vec<Obj>, Diagnostics> {
        let mut by_owner: std::collections::BTreeMap<String, BTreeSet<String>> = Default::default();
        for (owner, item) in all_links::<K>(duo, self.kind).await? {
            by_owner.entry(owner).or_default().insert(item);
        }
        Ok(by_owner
            .iter()
            .map(|(owner, items)| self.state(owner, items))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::SetChanges;
    use std::collections::BTreeSet;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn changes_remove_what_is_not_wanted_before_adding_what_is_missing() {
        let (current, desired) = (set(&["a", "b", "c"]), set(&["c", "d", "b2"]));
        let changes = SetChanges::between(&current, &desired);
        assert_eq!(changes.remove, ["a", "b"]);
        assert_eq!(changes.add, ["b2", "d"]);
        let ordered: Vec<(&String, bool)> = changes.in_order().collect();
        let names: Vec<(&str, bool)> = ordered.iter().map(|(m, a)| (m.as_str(), *a)).collect();
        assert_eq!(
            names,
            [("a", false), ("b", false), ("b2", true), ("d", true)]
        );
    }

    #[test]
    fn equal_sets_need_nothing_and_empty_sides_are_all_one_way() {
        let same = set(&["x", "y"]);
        assert_eq!(SetChanges::between(&same, &same).in_order().count(), 0);
        let none = set(&[]);
        assert_eq!(SetChanges::between(&none, &same).add, ["x", "y"]);
        assert_eq!(SetChanges::between(&same, &none).remove, ["x", "y"]);
    }
}
