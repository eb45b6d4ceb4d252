//! Read coalescing. Terraform refreshes every resource with its own read, ten at a time: sent
//! as they come, 5,000 users cost 5,000 GETs, 17 minutes of the account's single-read budget,
//! which every other integration on the account shares.
//!
//! Here reads of one type that arrive together are answered by one list call filtered by ID
//! (`user_id_list`, `group_id_list`: up to 100 IDs). Once the reads of a type in this run have
//! cost as many list calls as one paged scan of the whole type would (Duo's `total_objects`,
//! asked once with a first page, tells how many; a type that fits on that page is listed by
//! it), the type is listed once and every later read is answered from
//! that snapshot: rent or buy, so a run never pays much more than the cheaper of the two.
//! Memberships come from the users snapshot when there is one (a user lists its groups), else
//! from each group's member list, fetched once per run; a user's phones and tokens come from
//! the user object, which lists them.
//!
//! Types Duo cannot filter by ID (phones, tokens, applications and their secret keys,
//! administrators, policies, administrative units) follow the same rent-or-buy with single GETs in place of filtered
//! batches ([`Client::read_one`]): each read is one GET until this run's reads of the type have
//! cost as many calls as its paged listing, then the listing. A user's bypass codes do the
//! same with the user's code list against the account's ([`Client::bypass_codes_of`]).
//!
//! A write marks the object it writes. What it changes in other objects (a deleted phone
//! leaves its users, a deleted group the applications, policies and units that named it) is
//! declared once, in the `Reads` methods named for the write.
//!
//! A run is the client's lifetime: Terraform starts a provider process for each plan and each
//! apply, so a snapshot never outlives the operation that took it. Anything this client writes
//! is marked and read from Duo again, so a run never answers from data it made stale.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::de::DeserializeOwned;
use tokio::sync::OnceCell;

use super::admin_units::{AdminUnit, UnitMember};
use super::admins::Admin;
use super::bypass::BypassCode;
use super::client::{Client, Params};
use super::error::Error;
use super::gather::{Batching, GATHER, Gather};
use super::groups::Group;
use super::integrations::{Integration, SecretKey};
use super::phones::Phone;
use super::policies::{GLOBAL, Policy};
use super::retry::RateClass;
use super::tokens::Token;
use super::users::{Member, User, UserRef};

/// Duo's list filters take up to 100 IDs.
const MAX_IDS: usize = 100;

/// Reads sent together are answered together; none waits for more.
pub(super) const GATHERED_READS: Batching = Batching {
    max: MAX_IDS,
    min: 1,
    window: GATHER,
    patience: Duration::ZERO,
};

/// Asking Duo how many objects a type has costs a call (a first page, which is the whole
/// listing for a type that fits on one), so it is asked only when a second batch shows that
/// reads of that type keep coming.
const COUNT_AFTER: u64 = 2;

/// A type Duo lists in pages (see [`Client::list_first`]).
pub trait Listed: Clone + DeserializeOwned + Send + Sync + 'static {
    const LIST: &'static str;
    const PAGE: u32;
    fn id(&self) -> &str;
    /// Where one object is read by ID.
    fn path(id: &str) -> String;
}

/// A type whose listing Duo also filters by a list of IDs.
pub(super) trait Filtered: Listed {
    const FILTER: &'static str;
}

type Answer<T> = Result<Option<T>, Error>;

/// Everything this run knows about reading one type.
pub(super) struct Kind<T> {
    gather: Gather<String, Answer<T>>,
    known: Mutex<Known<T>>,
    /// One scan at a time.
    scanning: tokio::sync::Mutex<()>,
}

struct Known<T> {
    /// List calls spent on this type's reads so far.
    spent: u64,
    /// How many objects Duo holds, once asked.
    total: Option<u64>,
    /// Every object, by ID, once listed.
    snapshot: Option<HashMap<String, T>>,
    /// IDs this run wrote: always read from Duo.
    written: HashSet<String>,
}

impl<T> Default for Kind<T> {
    fn default() -> Self {
        Kind {
            gather: Gather::default(),
            known: Mutex::new(Known {
                spent: 0,
                total: None,
                snapshot: None,
                written: HashSet::new(),
            }),
            scanning: tokio::sync::Mutex::new(()),
        }
    }
}

impl<T: Listed> Kind<T> {
    fn lock(&self) -> MutexGuard<'_, Known<T>> {
        self.known.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// What the snapshot says of `id` (`Some(None)`: Duo has no such object), if it may say.
    pub(super) fn cached(&self, id: &str) -> Option<Option<T>> {
        let k = self.lock();
        let snapshot = k.snapshot.as_ref()?;
        (!k.written.contains(id)).then(|| snapshot.get(id).cloned())
    }

    /// This run changed `id`: read it from Duo from now on.
    pub(super) fn written(&self, id: &str) {
        self.lock().written.insert(id.to_owned());
    }

    /// This run changed what the objects `stale` picks show of another (a deleted phone
    /// leaves the users it was linked to): read those from Duo from now on.
    pub(super) fn written_where(&self, stale: impl Fn(&T) -> bool) {
        let mut k = self.lock();
        let ids: Vec<String> = k
            .snapshot
            .iter()
            .flat_map(|s| s.values())
            .filter(|o| stale(o))
            .map(|o| o.id().to_owned())
            .collect();
        k.written.extend(ids);
    }

    /// This run changed something every object may show (a deleted group leaves every user).
    pub(super) fn forget_all(&self) {
        self.lock().snapshot = None;
    }

    /// A complete listing made for another reason (a data source, an export) is a snapshot
    /// for free.
    pub(super) fn offer(&self, all: &[T]) {
        let mut k = self.lock();
        if k.snapshot.is_none() {
            k.total = Some(all.len() as u64);
            k.snapshot = Some(all.iter().map(|o| (o.id().to_owned(), o.clone())).collect());
        }
    }

    pub(super) fn spend(&self, calls: u64) {
        self.lock().spent += calls;
    }

    /// The snapshot's objects that `keep` picks, if there is a snapshot.
    pub(super) fn picked(&self, keep: impl Fn(&T) -> bool) -> Option<Vec<T>> {
        let k = self.lock();
        let snapshot = k.snapshot.as_ref()?;
        Some(snapshot.values().filter(|o| keep(o)).cloned().collect())
    }

    /// What `pick` takes from every object, when the snapshot holds every object and none of
    /// them changed in this run. Picked under the lock: copying 20,000 users to find one
    /// group's members, once per group, was most of a large refresh's CPU.
    fn whole_and_clean<R>(&self, pick: impl FnMut(&T) -> Option<R>) -> Option<Vec<R>> {
        let k = self.lock();
        let snapshot = k.snapshot.as_ref()?;
        k.written
            .is_empty()
            .then(|| snapshot.values().filter_map(pick).collect())
    }
}

fn pages(total: u64, page: u32) -> u64 {
    total.div_ceil(u64::from(page)).max(1)
}

/// The read caches of one client.
#[derive(Default)]
pub struct Reads {
    pub(super) users: Kind<User>,
    pub(super) groups: Kind<Group>,
    pub(super) phones: Kind<Phone>,
    pub(super) tokens: Kind<Token>,
    pub(super) integrations: Kind<Integration>,
    pub(super) secret_keys: Kind<SecretKey>,
    pub(super) admins: Kind<Admin>,
    pub(super) policies: Kind<Policy>,
    pub(super) admin_units: Kind<AdminUnit>,
    pub(super) bypass_codes: Kind<BypassCode>,
    /// Users whose bypass codes this run changed: always listed from Duo.
    bypass_changed: Mutex<HashSet<String>>,
    /// Each group's members, fetched once per run.
    members: Mutex<HashMap<String, Arc<OnceCell<Vec<Member>>>>>,
    /// Creation guards' lookups of users by name, gathered into `username_list` calls.
    pub(super) named: Gather<String, Result<Vec<User>, Error>>,
}

impl Reads {
    fn member_cell(&self, group_id: &str) -> Arc<OnceCell<Vec<Member>>> {
        let mut m = self.members.lock().unwrap_or_else(PoisonError::into_inner);
        m.entry(group_id.to_owned()).or_default().clone()
    }

    /// This run changed `group_id`'s members.
    pub(super) fn members_changed(&self, group_id: &str) {
        let mut m = self.members.lock().unwrap_or_else(PoisonError::into_inner);
        m.remove(group_id);
    }

    /// This run links or unlinks a user and one of its phones or tokens: both show it.
    pub(super) fn linked<T: Listed>(&self, user_id: &str, device: &Kind<T>, id: &str) {
        self.users.written(user_id);
        device.written(id);
    }

    /// A user this run deletes leaves every phone and token it was linked to.
    pub(super) fn user_deleted(&self, user_id: &str) {
        self.users.written(user_id);
        let linked = |users: &[UserRef]| users.iter().any(|u| u.user_id == user_id);
        self.phones.written_where(|p| linked(&p.users));
        self.tokens.written_where(|t| linked(&t.users));
        self.codes_changed(user_id);
        self.all_members_changed();
    }

    /// A group this run renames shows in every member: users list their groups with names.
    pub(super) fn group_modified(&self, group_id: &str) {
        self.groups.written(group_id);
        self.users.forget_all();
    }

    /// A phone this run deletes leaves the users it was linked to.
    pub(super) fn phone_deleted(&self, phone_id: &str) {
        self.phones.written(phone_id);
        self.users
            .written_where(|u| u.phones.iter().any(|p| p.phone_id == phone_id));
    }

    /// An administrator this run deletes leaves its units.
    pub(super) fn admin_deleted(&self, admin_id: &str) {
        self.admins.written(admin_id);
        self.admin_units.forget_all();
    }

    /// A unit this run deletes frees its administrators.
    pub(super) fn unit_deleted(&self, unit_id: &str) {
        self.admin_units.written(unit_id);
        self.admins.forget_all();
    }

    /// This run adds or removes a unit's member: an administrator shows its units too.
    pub(super) fn unit_member_changed(&self, unit_id: &str, kind: UnitMember, member: &str) {
        self.admin_units.written(unit_id);
        if kind == UnitMember::Admin {
            self.admins.written(member);
        }
    }

    /// This run changes a policy, by its key or by the global policy's alias.
    pub(super) fn policy_written(&self, key: &str) {
        if key == GLOBAL {
            self.policies.written_where(|p| p.is_global_policy);
        }
        self.policies.written(key);
    }

    /// A group this run deletes leaves what lists it: its members, the applications it may
    /// use, the policies applied to it, the units it is in.
    pub(super) fn group_deleted(&self, group_id: &str) {
        self.groups.written(group_id);
        self.users.forget_all();
        self.members_changed(group_id);
        self.integrations.forget_all();
        self.policies.forget_all();
        self.admin_units.forget_all();
    }

    /// This run modifies an application, which may rotate its secret key.
    pub(super) fn integration_written(&self, ikey: &str) {
        self.integrations.written(ikey);
        self.secret_keys.written(ikey);
    }

    /// An application this run deletes leaves the policies applied to it and its units.
    pub(super) fn integration_deleted(&self, ikey: &str) {
        self.integrations.written(ikey);
        self.policies.forget_all();
        self.admin_units.forget_all();
    }

    /// A token this run deletes leaves its users and the administrator who had it.
    pub(super) fn token_deleted(&self, token_id: &str) {
        self.tokens.written(token_id);
        self.users
            .written_where(|u| u.tokens.iter().any(|t| t.token_id == token_id));
        self.admins.forget_all();
    }

    /// This run changed `user_id`'s bypass codes.
    pub(super) fn codes_changed(&self, user_id: &str) {
        let mut c = self
            .bypass_changed
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        c.insert(user_id.to_owned());
    }

    /// This run deleted one bypass code: its user's codes changed.
    pub(super) fn code_deleted(&self, code_id: &str) {
        let owner = self
            .bypass_codes
            .picked(|c| c.bypass_code_id == code_id)
            .into_iter()
            .flatten()
            .find_map(|c| c.user);
        if let Some(user) = owner {
            self.codes_changed(&user.user_id);
        }
    }

    fn codes_clean(&self, user_id: &str) -> bool {
        let c = self
            .bypass_changed
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        !c.contains(user_id)
    }

    /// This run may have changed any group's members.
    pub(super) fn all_members_changed(&self) {
        let mut m = self.members.lock().unwrap_or_else(PoisonError::into_inner);
        m.clear();
    }
}

impl Client {
    /// One object by ID, read together with the other reads of its type in flight; `None`
    /// when Duo has no such object.
    pub(super) async fn read<T: Filtered>(&self, kind: &Kind<T>, id: &str) -> Answer<T> {
        // A leader that was cancelled releases its batch unanswered; ask again.
        for _ in 0..3 {
            if let Some(found) = kind.cached(id) {
                return Ok(found);
            }
            let answer = kind
                .gather
                .submit(id.to_owned(), GATHERED_READS, |ids| self.fetch(kind, ids))
                .await;
            if let Some(answer) = answer {
                return answer;
            }
        }
        Err(Error::Stopped {
            route: format!("GET {}", T::LIST),
        })
    }

    /// One object of a type Duo cannot filter by ID: from the snapshot where it may answer
    /// (taking one first if this run's single reads have now paid for it), else one GET.
    /// Concurrent reads need no gathering: each is its own request until the listing.
    pub(super) async fn read_one<T: Listed>(&self, kind: &Kind<T>, id: &str) -> Answer<T> {
        self.scan_if_paid(kind).await?;
        if let Some(found) = kind.cached(id) {
            return Ok(found);
        }
        kind.spend(1);
        super::gone_is_none(
            self.get(RateClass::GetObject, &T::path(id), Params::new())
                .await,
        )
    }

    /// One object by ID: with reads gathered the cheapest way ([`Client::read_one`]), else
    /// one GET.
    pub(super) async fn get_listed<T: Listed>(&self, kind: &Kind<T>, id: &str) -> Result<T, Error> {
        let path = T::path(id);
        if self.coalesce {
            let found = self.read_one(kind, id).await?;
            return found.ok_or_else(|| Error::not_found("GET", &path));
        }
        self.get(RateClass::GetObject, &path, Params::new()).await
    }

    /// The IDs of a user's phones or tokens (`T`, listed under the user as `devices`): from
    /// the user object when reads are gathered (Duo lists them with the user), else from the
    /// user's own list.
    pub(super) async fn user_devices<T: Listed>(
        &self,
        user_id: &str,
        devices: &str,
        of_user: fn(User) -> Vec<String>,
    ) -> Result<Vec<String>, Error> {
        if self.coalesce {
            return Ok(of_user(self.get_user(user_id).await?));
        }
        let path = format!("{}/{devices}", <User as Listed>::path(user_id));
        let listed: Vec<T> = self.list_all(&path, Params::new(), T::PAGE).await?;
        Ok(listed.iter().map(|d| d.id().to_owned()).collect())
    }

    /// The objects of a type that `keep` picks, from this run's listing of it (taken now when
    /// the run has none, so one listing serves every creation guard of the run): what a
    /// creation guard, which runs at plan time, compares a new object's natural key with.
    pub(super) async fn existing<T: Listed>(
        &self,
        kind: &Kind<T>,
        keep: impl Fn(&T) -> bool,
    ) -> Result<Vec<T>, Error> {
        if let Some(found) = kind.picked(&keep) {
            return Ok(found);
        }
        let _one_scan = kind.scanning.lock().await;
        if let Some(found) = kind.picked(&keep) {
            return Ok(found);
        }
        let all = self.list_listed(kind).await?;
        Ok(all.into_iter().filter(|o| keep(o)).collect())
    }

    /// The first `limit` objects of a type's listing that `keep` accepts, reading no page
    /// past them (pages only as large as what is still wanted, when every object is kept):
    /// what a list resource streams. A listing cut short is not a snapshot, so it answers
    /// no later read.
    pub async fn list_first<T: Listed>(
        &self,
        limit: usize,
        keep: Option<&(dyn Fn(&T) -> bool + Send + Sync)>,
    ) -> Result<Vec<T>, Error> {
        let mut out: Vec<T> = Vec::new();
        if limit == 0 {
            return Ok(out);
        }
        let wanted = |taken: usize| u32::try_from(limit - taken).unwrap_or(u32::MAX);
        let taken = std::sync::atomic::AtomicUsize::new(0);
        let size = |_| match keep {
            None => T::PAGE.min(wanted(taken.load(std::sync::atomic::Ordering::Relaxed))),
            Some(_) => T::PAGE,
        };
        self.page_through(T::LIST, Params::new(), size, |page: Vec<T>| {
            for o in page {
                if out.len() < limit && keep.is_none_or(|k| k(&o)) {
                    out.push(o);
                }
            }
            taken.store(out.len(), std::sync::atomic::Ordering::Relaxed);
            out.len() < limit
        })
        .await?;
        Ok(out)
    }

    /// A type's listing, a page at a time, handed to `more` until it says it has enough (or
    /// the listing ends): for what is derived from the objects, such as the links they list.
    pub async fn list_while<T: Listed>(
        &self,
        more: impl FnMut(Vec<T>) -> bool + Send,
    ) -> Result<(), Error> {
        self.page_through(T::LIST, Params::new(), |_| T::PAGE, more)
            .await
            .map(drop)
    }

    /// Every object of the type; the listing also answers this run's later reads of it.
    pub(super) async fn list_listed<T: Listed>(&self, kind: &Kind<T>) -> Result<Vec<T>, Error> {
        let all: Vec<T> = self.list_all(T::LIST, Params::new(), T::PAGE).await?;
        kind.offer(&all);
        Ok(all)
    }

    async fn fetch<T: Filtered>(&self, kind: &Kind<T>, ids: Vec<String>) -> Vec<Answer<T>> {
        match self.fetch_map(kind, &ids).await {
            Ok(found) => ids.iter().map(|id| Ok(found.get(id).cloned())).collect(),
            Err(e) => ids.iter().map(|_| Err(e.clone())).collect(),
        }
    }

    /// The objects among `ids` that exist: from the snapshot where it may answer (taking one
    /// first if reads of this type have now paid for it), the rest with one filtered list call.
    async fn fetch_map<T: Filtered>(
        &self,
        kind: &Kind<T>,
        ids: &[String],
    ) -> Result<HashMap<String, T>, Error> {
        self.scan_if_paid(kind).await?;
        let mut found = HashMap::new();
        let mut ask = BTreeSet::new();
        for id in ids {
            match kind.cached(id) {
                Some(Some(o)) => {
                    found.insert(id.clone(), o);
                }
                Some(None) => {}
                None => {
                    ask.insert(id.as_str());
                }
            }
        }
        if ask.is_empty() {
            return Ok(found);
        }
        let filter = serde_json::to_string(&ask).unwrap_or_default();
        let params: Params = vec![(T::FILTER.to_owned(), filter)];
        let (listed, calls) = self.list_counted::<T>(T::LIST, params, T::PAGE).await?;
        kind.spend(calls);
        found.extend(
            listed
                .into_iter()
                .filter(|o| ask.contains(o.id()))
                .map(|o| (o.id().to_owned(), o)),
        );
        Ok(found)
    }

    /// Lists the whole type once the reads of this run have cost as much as that listing
    /// will; true when a snapshot exists afterwards.
    pub(super) async fn scan_if_paid<T: Listed>(&self, kind: &Kind<T>) -> Result<bool, Error> {
        let _one = kind.scanning.lock().await;
        let (spent, total, listed) = {
            let k = kind.lock();
            (k.spent, k.total, k.snapshot.is_some())
        };
        if listed {
            return Ok(true);
        }
        let total = match total {
            Some(n) => n,
            None if spent >= COUNT_AFTER => {
                // A first page as large as a listing's: for a type that fits on one page, it
                // is the listing.
                let first = self.first_page::<T>(T::LIST, T::PAGE).await?;
                let mut k = kind.lock();
                k.spent += 1;
                k.total = Some(first.total);
                if let Some(all) = first.whole {
                    k.snapshot = Some(all.into_iter().map(|o| (o.id().to_owned(), o)).collect());
                    return Ok(true);
                }
                first.total
            }
            None => return Ok(false),
        };
        if kind.lock().spent < pages(total, T::PAGE) {
            return Ok(false);
        }
        let (all, calls) = self
            .list_counted::<T>(T::LIST, Params::new(), T::PAGE)
            .await?;
        tracing::debug!(
            list = T::LIST,
            objects = all.len(),
            calls,
            "reads answered from one listing from now on"
        );
        let mut k = kind.lock();
        k.spent += calls;
        k.total = Some(all.len() as u64);
        k.snapshot = Some(all.into_iter().map(|o| (o.id().to_owned(), o)).collect());
        Ok(true)
    }

    /// A user's bypass codes, `None` when the user is gone: from the account's listing once
    /// this run's per-user lists have cost as much as it, else from the user's own list at
    /// `path`.
    pub(super) async fn bypass_codes_of(
        &self,
        user_id: &str,
        path: &str,
    ) -> Result<Option<Vec<BypassCode>>, Error> {
        let kind = &self.reads.bypass_codes;
        if self.reads.codes_clean(user_id) && self.scan_if_paid(kind).await? {
            let mine = kind.picked(|c| c.user.as_ref().is_some_and(|u| u.user_id == user_id));
            if let Some(mine) = mine {
                // The listing names only users that have codes: the user may be gone.
                if mine.is_empty() && self.read(&self.reads.users, user_id).await?.is_none() {
                    return Ok(None);
                }
                return Ok(Some(mine));
            }
        }
        match self
            .list_counted(path, Params::new(), BypassCode::PAGE)
            .await
        {
            Ok((codes, calls)) => {
                kind.spend(calls);
                Ok(Some(codes))
            }
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// A group's members, `None` when the group is gone: from the users snapshot when it is
    /// whole, else from the group's member list, fetched once per run.
    pub(super) async fn members_of(&self, group_id: &str) -> Result<Option<Vec<Member>>, Error> {
        if self.read(&self.reads.groups, group_id).await?.is_none() {
            return Ok(None);
        }
        self.scan_if_paid(&self.reads.users).await?;
        let member = |u: &User| {
            u.groups
                .iter()
                .any(|g| g.group_id == group_id)
                .then(|| Member {
                    user_id: u.user_id.clone(),
                    username: u.username.clone(),
                })
        };
        if let Some(mut members) = self.reads.users.whole_and_clean(member) {
            members.sort_by(|a, b| a.username.cmp(&b.username));
            return Ok(Some(members));
        }
        let cell = self.reads.member_cell(group_id);
        let members = cell
            .get_or_try_init(|| async {
                let (members, calls) = self.fetch_members(group_id).await?;
                // A users listing would have answered this too: count it towards one.
                self.reads.users.spend(calls);
                Ok::<_, Error>(members)
            })
            .await;
        match members {
            Ok(m) => Ok(Some(m.clone())),
            Err(e) if e.is_not_found() => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scan_costs_whole_pages() {
        assert_eq!(pages(0, 300), 1);
        assert_eq!(pages(300, 300), 1);
        assert_eq!(pages(301, 300), 2);
        assert_eq!(pages(5000, 300), 17);
    }
}
