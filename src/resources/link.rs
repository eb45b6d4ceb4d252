//! Links between two Duo objects (a user in a group, a phone or token of a user), shared by
//! every membership-like resource: one link (`duo_group_member`, `duo_user_phone`, …) or the
//! authoritative set of links of one object (`duo_group_members`, `duo_user_groups`).
//!
//! A [`LinkKind`] says how to list, add and remove links in Duo and what its two ends are
//! called; [`Single`] and [`Set`] turn any kind into a resource, whose state is a
//! [`LinkState`] or a [`LinkSetState`]: plain structs whose attribute names come from the
//! kind, so one declaration serves every link. Drift is read from Duo (every page), so links
//! added or removed outside Terraform show in the plan.

use std::collections::{BTreeMap, BTreeSet};
use std::marker::PhantomData;

use async_trait::async_trait;
use serde::de::Deserializer;
use serde::ser::{SerializeMap, Serializer};
use serde::{Deserialize, Serialize};

use super::{Action, Hint, Op, diagnose, diagnose_with};
use crate::duo;
use crate::kinds::Kind;
use crate::plugin::{
    AttrPath, Attribute, Diagnostic, Diagnostics, Failed, ID, Identity, Obj, Resource, Schema,
    State, Take, Type, Validator,
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
    /// Links (`add`) or unlinks many items at once, one result per item, in order: one after
    /// another unless the kind has a cheaper way (memberships go to Duo in bulk).
    async fn change_all(
        duo: &duo::Client,
        owner: &str,
        items: &[&String],
        add: bool,
    ) -> Vec<Result<(), duo::Error>> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(if add {
                Self::link(duo, owner, item).await
            } else {
                Self::unlink(duo, owner, item).await
            });
        }
        out
    }
    /// The account's links as `(owner, item)`, in as few list calls as Duo allows, handed to
    /// `more` a listing page at a time until it says it has enough.
    async fn all(
        duo: &duo::Client,
        more: &mut (dyn FnMut(Vec<(String, String)>) -> bool + Send),
    ) -> Result<(), duo::Error>;
}

/// A link kind that also has an authoritative resource: all of one owner's links.
pub trait SetKind: LinkKind {
    /// The set attribute, e.g. `group_ids`.
    const ITEMS: &'static str;
}

/// The links of kind `K`, a page at a time until `more` has enough, or one diagnostic.
async fn all_links<K: LinkKind>(
    duo: &duo::Client,
    kind: &'static Kind,
    more: &mut (dyn FnMut(Vec<(String, String)>) -> bool + Send),
) -> Result<(), Diagnostics> {
    K::all(duo, more)
        .await
        .map_err(|e| diagnose(Op::all(Action::Read, kind), &e).into())
}

/// The attributes of a link state, as the plugin layer's values decode them: each end is a
/// string or a set of strings.
#[derive(Deserialize)]
#[serde(untagged)]
enum End {
    One(String),
    Many(BTreeSet<String>),
}

/// A link state's attributes by name, nulls left out.
fn ends<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, End>, D::Error> {
    let all = BTreeMap::<String, Option<End>>::deserialize(d)?;
    Ok(all.into_iter().filter_map(|(k, v)| Some((k, v?))).collect())
}

fn one(ends: &mut BTreeMap<String, End>, name: &str) -> Option<String> {
    match ends.remove(name) {
        Some(End::One(s)) => Some(s),
        _ => None,
    }
}

/// One link's state: `{id, <owner>, <item>}`, where `id` is `<owner>/<item>` and the two
/// ends are named by the kind (`user_id`, `group_id`). Before a create, both ends come from the
/// configuration; an import stub has only the `id`, from which they are read.
#[derive(Debug)]
pub struct LinkState<K> {
    pub owner: String,
    pub item: String,
    kind: PhantomData<K>,
}

impl<K> LinkState<K> {
    pub fn new(owner: &str, item: &str) -> Self {
        LinkState {
            owner: owner.to_owned(),
            item: item.to_owned(),
            kind: PhantomData,
        }
    }

    fn id(&self) -> String {
        format!("{}/{}", self.owner, self.item)
    }
}

impl<K> Default for LinkState<K> {
    fn default() -> Self {
        LinkState::new("", "")
    }
}

impl<K: LinkKind> Serialize for LinkState<K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry(ID, &self.id())?;
        m.serialize_entry(K::OWNER, &self.owner)?;
        m.serialize_entry(K::ITEM, &self.item)?;
        m.end()
    }
}

impl<'de, K: LinkKind> Deserialize<'de> for LinkState<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut ends = ends(d)?;
        let (owner, item) = (one(&mut ends, K::OWNER), one(&mut ends, K::ITEM));
        let from_id = one(&mut ends, ID).and_then(|id| {
            let (o, i) = id.split_once('/')?;
            Some((o.to_owned(), i.to_owned()))
        });
        let (id_owner, id_item) = from_id.unwrap_or_default();
        Ok(LinkState {
            owner: owner.unwrap_or(id_owner),
            item: item.unwrap_or(id_item),
            kind: PhantomData,
        })
    }
}

impl<K: LinkKind> State for LinkState<K> {
    fn attributes() -> Vec<Attribute> {
        let end = |name: &'static str, to: &'static str, which: &str| {
            Attribute::string(name)
                .required()
                .force_new()
                .references(to)
                .describe(&format!("The `{name}` of {which}."))
        };
        vec![
            Attribute::string(ID)
                .computed()
                .use_state_for_unknown()
                .describe(&format!(
                    "`<{}>/<{}>`; also the import ID.",
                    K::OWNER,
                    K::ITEM
                )),
            end(K::OWNER, K::OWNER_TYPE, "one end"),
            end(K::ITEM, K::ITEM_TYPE, "the other end"),
        ]
    }
}

/// The state of all of one owner's links: `{id, <owner>, <items>}`, where `id` is the
/// owner's ID. An import stub has only the `id`.
#[derive(Debug)]
pub struct LinkSetState<K> {
    pub owner: String,
    pub items: BTreeSet<String>,
    kind: PhantomData<K>,
}

impl<K> LinkSetState<K> {
    pub fn new(owner: &str, items: BTreeSet<String>) -> Self {
        LinkSetState {
            owner: owner.to_owned(),
            items,
            kind: PhantomData,
        }
    }
}

impl<K> Default for LinkSetState<K> {
    fn default() -> Self {
        LinkSetState::new("", BTreeSet::new())
    }
}

impl<K: SetKind> Serialize for LinkSetState<K> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(3))?;
        m.serialize_entry(ID, &self.owner)?;
        m.serialize_entry(K::OWNER, &self.owner)?;
        m.serialize_entry(K::ITEMS, &self.items)?;
        m.end()
    }
}

impl<'de, K: SetKind> Deserialize<'de> for LinkSetState<K> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut ends = ends(d)?;
        let owner = one(&mut ends, K::OWNER).or_else(|| one(&mut ends, ID));
        let items = match ends.remove(K::ITEMS) {
            Some(End::Many(items)) => items,
            _ => BTreeSet::new(),
        };
        Ok(LinkSetState::new(&owner.unwrap_or_default(), items))
    }
}

impl<K: SetKind> State for LinkSetState<K> {
    fn attributes() -> Vec<Attribute> {
        let mut items = Attribute::set_of(K::ITEMS, Type::String)
            .required()
            .references(K::ITEM_TYPE)
            .describe(&format!(
                "Every `{}` linked; others found in Duo are removed.",
                K::ITEM
            ));
        if let Some(max) = K::MAX {
            items = items.validate(Validator::new(
                format!("At most {max} items (Duo's limit)."),
                move |v| {
                    let n = v.strings::<BTreeSet<String>>().len();
                    if n > max {
                        Err(format!(
                            "has {n} items; Duo allows at most {max} for {}.",
                            K::ITEMS
                        ))
                    } else {
                        Ok(())
                    }
                },
            ));
        }
        vec![
            Attribute::string(ID)
                .computed()
                .use_state_for_unknown()
                .describe(&format!("The `{}`; also the import ID.", K::OWNER)),
            Attribute::string(K::OWNER)
                .required()
                .force_new()
                .references(K::OWNER_TYPE)
                .describe(&format!("The `{}` whose links this manages.", K::OWNER)),
            items,
        ]
    }
}

/// One link. Its ID is `<owner>/<item>`; both ends force replacement.
pub struct Single<K> {
    /// Its registry entry: type name, what messages call a link, the permissions.
    kind: &'static Kind,
    description: &'static str,
    link: PhantomData<K>,
}

impl<K: LinkKind> Single<K> {
    pub const fn new(kind: &'static Kind, description: &'static str) -> Single<K> {
        Single {
            kind,
            description,
            link: PhantomData,
        }
    }

    /// The link, if Duo has it.
    async fn find(
        &self,
        duo: &duo::Client,
        link: LinkState<K>,
    ) -> Result<Option<LinkState<K>>, Diagnostics> {
        let links = K::list(duo, &link.owner)
            .await
            .map_err(|e| diagnose(Op::new(Action::Read, self.kind), &e))?;
        Ok(links.filter(|l| l.contains(&link.item)).map(|_| link))
    }
}

#[async_trait]
impl<K: LinkKind + 'static> Resource<duo::Client> for Single<K> {
    fn type_name(&self) -> &'static str {
        self.kind.type_name
    }

    fn schema(&self) -> Schema {
        Schema::new(self.description)
            .attrs(LinkState::<K>::attributes())
            .identity(Identity::new(&[K::OWNER, K::ITEM]))
    }

    async fn create(&self, duo: &duo::Client, plan: &Obj) -> Result<Obj, Failed> {
        let link = LinkState::<K>::from_obj(plan)?;
        K::link(duo, &link.owner, &link.item)
            .await
            .map_err(|e| diagnose_with(Op::new(Action::Create, self.kind), &e, K::HINTS))?;
        Ok(link.to_obj())
    }

    async fn read(&self, duo: &duo::Client, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
        let link = LinkState::<K>::from_obj(state)?;
        Ok(self.find(duo, link).await?.map(|l| l.to_obj()))
    }

    async fn update(&self, _: &duo::Client, _: &Obj, plan: &Obj) -> Result<Obj, Failed> {
        // Both attributes force replacement, so Terraform never asks for an update.
        Ok(plan.clone())
    }

    async fn delete(&self, duo: &duo::Client, state: &Obj) -> Result<(), Diagnostics> {
        let link = LinkState::<K>::from_obj(state)?;
        match K::unlink(duo, &link.owner, &link.item).await {
            Err(e) if !e.is_not_found() => {
                Err(diagnose(Op::new(Action::Delete, self.kind), &e).into())
            }
            _ => Ok(()),
        }
    }

    async fn import(&self, duo: &duo::Client, id: &str) -> Result<Obj, Diagnostics> {
        let (owner, item) = super::split_import_id(id, K::OWNER, K::ITEM)?;
        let found = self.find(duo, LinkState::new(owner, item)).await?;
        found.map(|l| l.to_obj()).ok_or_else(|| {
            Diagnostic::error(
                "Cannot import a missing link",
                format!("Duo has no {} {id:?}.", self.kind.noun),
            )
            .into()
        })
    }

    async fn list(&self, duo: &duo::Client, take: &Take<'_>) -> Result<Vec<Obj>, Diagnostics> {
        // Pages of the listing the links come from, only until there are enough.
        let mut out = Vec::new();
        all_links::<K>(duo, self.kind, &mut |page| {
            for (owner, item) in page {
                let state = LinkState::<K>::new(&owner, &item).to_obj();
                if !take.enough(out.len()) && take.keeps(&state) {
                    out.push(state);
                }
            }
            !take.enough(out.len())
        })
        .await?;
        Ok(out)
    }
}

/// All links of one owner, authoritative: links in Duo that the configuration does not list
/// are removed. Its ID is the owner's ID.
pub struct Set<K> {
    /// Its registry entry: type name, what messages call a link, the permissions.
    kind: &'static Kind,
    description: &'static str,
    link: PhantomData<K>,
}

impl<K: SetKind> Set<K> {
    pub const fn new(kind: &'static Kind, description: &'static str) -> Set<K> {
        Set {
            kind,
            description,
            link: PhantomData,
        }
    }

    /// Links and unlinks until Duo holds exactly `desired`. On failure, the state is what Duo
    /// holds at that point, so nothing done is lost.
    async fn converge(&self, duo: &duo::Client, plan: &Obj, action: Action) -> Result<Obj, Failed> {
        let desired = LinkSetState::<K>::from_obj(plan)?;
        let owner = desired.owner.as_str();
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
        let mut now = LinkSetState::<K>::new(owner, current.clone());
        let changes = SetChanges::between(&current, &desired.items);
        // Every removal before any addition, so that a set at one of Duo's caps can swap.
        for (items, add) in [(changes.remove, false), (changes.add, true)] {
            let results = K::change_all(duo, owner, &items, add).await;
            let mut diags = Diagnostics::default();
            for (item, result) in items.iter().zip(results) {
                match result {
                    Ok(()) if add => {
                        now.items.insert((*item).clone());
                    }
                    Ok(()) => {
                        now.items.remove(*item);
                    }
                    Err(e) => diags.push(self.item_failed(action, item, &e)),
                }
            }
            if diags.has_errors() {
                return Err(Failed {
                    diags,
                    partial: Some(now.to_obj()),
                });
            }
        }
        Ok(now.to_obj())
    }

    /// Duo's refusal of one item, said of the set and naming the item.
    fn item_failed(&self, action: Action, item: &str, e: &duo::Error) -> Diagnostic {
        let mut d = diagnose_with(Op::new(action, self.kind), e, K::HINTS);
        if d.path.as_ref().is_some_and(|p| {
            p.0.first() == Some(&crate::plugin::PathStep::Attr(K::ITEM.to_owned()))
        }) {
            d.path = Some(AttrPath::root(K::ITEMS));
        }
        d.detail = format!("{} {item:?}: {}", K::ITEM, d.detail);
        d
    }
}

#[async_trait]
impl<K: SetKind + 'static> Resource<duo::Client> for Set<K> {
    fn type_name(&self) -> &'static str {
        self.kind.type_name
    }

    fn schema(&self) -> Schema {
        Schema::new(self.description)
            .attrs(LinkSetState::<K>::attributes())
            .identity(Identity::new(&[K::OWNER]))
    }

    async fn create(&self, duo: &duo::Client, plan: &Obj) -> Result<Obj, Failed> {
        self.converge(duo, plan, Action::Create).await
    }

    async fn read(&self, duo: &duo::Client, state: &Obj) -> Result<Option<Obj>, Diagnostics> {
        let owner = LinkSetState::<K>::from_obj(state)?.owner;
        let links = K::list(duo, &owner)
            .await
            .map_err(|e| diagnose(Op::new(Action::Read, self.kind), &e))?;
        Ok(links.map(|l| LinkSetState::<K>::new(&owner, l.into_iter().collect()).to_obj()))
    }

    async fn update(&self, duo: &duo::Client, _: &Obj, plan: &Obj) -> Result<Obj, Failed> {
        self.converge(duo, plan, Action::Update).await
    }

    /// Removes the links this resource manages (all of the owner's, as last read).
    async fn delete(&self, duo: &duo::Client, state: &Obj) -> Result<(), Diagnostics> {
        let links = LinkSetState::<K>::from_obj(state)?;
        let items: Vec<&String> = links.items.iter().collect();
        let results = K::change_all(duo, &links.owner, &items, false).await;
        let mut diags = Diagnostics::default();
        for (item, result) in items.iter().zip(results) {
            match result {
                Err(e) if !e.is_not_found() => {
                    diags.push(self.item_failed(Action::Delete, item, &e));
                }
                _ => {}
            }
        }
        if diags.has_errors() {
            return Err(diags);
        }
        Ok(())
    }

    /// One resource per owner that has links.
    async fn list(&self, duo: &duo::Client, take: &Take<'_>) -> Result<Vec<Obj>, Diagnostics> {
        let mut by_owner: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        // An owner's set is known only once every page is read.
        all_links::<K>(duo, self.kind, &mut |page| {
            for (owner, item) in page {
                by_owner.entry(owner).or_default().insert(item);
            }
            true
        })
        .await?;
        let states = by_owner
            .into_iter()
            .map(|(owner, items)| LinkSetState::<K>::new(&owner, items).to_obj());
        Ok(take.from_all(states.collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::super::user_groups::UserGroupLink;
    use super::{LinkSetState, LinkState, SetChanges};
    use crate::plugin::{Obj, State, Value};
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

    #[test]
    fn a_link_state_names_its_ends_after_its_kind_and_its_id_joins_them() {
        let obj = LinkState::<UserGroupLink>::new("U1", "G1").to_obj();
        assert_eq!(obj.str("id"), Some("U1/G1"));
        assert_eq!(obj.str("user_id"), Some("U1"));
        assert_eq!(obj.str("group_id"), Some("G1"));
        let back = LinkState::<UserGroupLink>::from_obj(&obj).ok();
        assert_eq!(
            back.map(|l| (l.owner, l.item)),
            Some(("U1".to_owned(), "G1".to_owned()))
        );
        // A planned link has unknown `id`; its ends come from the configuration.
        let planned = Obj::default()
            .with("id", Value::Unknown)
            .with("user_id", "U2")
            .with("group_id", "G2");
        let link = LinkState::<UserGroupLink>::from_obj(&planned).ok();
        assert_eq!(link.map(|l| l.id()), Some("U2/G2".to_owned()));
        // An ID alone gives both ends.
        let stub = Obj::default().with("id", "U3/G3");
        let link = LinkState::<UserGroupLink>::from_obj(&stub).ok();
        assert_eq!(
            link.map(|l| (l.owner, l.item)),
            Some(("U3".to_owned(), "G3".to_owned()))
        );
        let names: Vec<String> = LinkState::<UserGroupLink>::attributes()
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(names, ["id", "user_id", "group_id"]);
    }

    #[test]
    fn a_link_set_state_is_keyed_by_its_owner_and_an_import_stub_gives_it() {
        let state = LinkSetState::<UserGroupLink>::new("U1", set(&["G2", "G1"]));
        let obj = state.to_obj();
        assert_eq!(obj.str("id"), Some("U1"));
        assert_eq!(obj.str("user_id"), Some("U1"));
        assert_eq!(obj.get("group_ids").strings::<Vec<String>>(), ["G1", "G2"]);
        let back = LinkSetState::<UserGroupLink>::from_obj(&obj).ok();
        assert_eq!(back.map(|s| s.items), Some(set(&["G1", "G2"])));
        let stub = LinkSetState::<UserGroupLink>::from_obj(&Obj::default().with("id", "U9")).ok();
        assert_eq!(
            stub.map(|s| (s.owner, s.items.len())),
            Some(("U9".to_owned(), 0))
        );
        // Duo's cap is checked at validation, before any call.
        let attrs = LinkSetState::<UserGroupLink>::attributes();
        let too_many = Value::Set((0..101).map(|i| Value::from(format!("G{i}"))).collect());
        let check = attrs
            .iter()
            .find(|a| a.name == "group_ids")
            .map(|a| &a.validators);
        let failures: Vec<String> = check
            .into_iter()
            .flatten()
            .filter_map(|v| v.check(&too_many).err())
            .collect();
        assert_eq!(failures.len(), 1, "{failures:?}");
    }
}
