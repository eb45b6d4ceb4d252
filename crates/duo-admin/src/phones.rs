//! Phones (`/admin/v1/phones…`) and the phones of a user (`/admin/v1/users/{id}/phones…`).
//!
//! Duo cannot filter phones by ID, so with reads gathered a phone is one GET until this run's
//! reads have cost a paged listing, then every phone comes from that listing (see `reads`).
//! A user's phones come from the user object, which lists them.

use serde::Deserialize;

use super::client::{Client, Params, segment, some_params};
use super::error::Error;
use super::lenient;
use super::reads::Listed;

/// A phone as Duo returns it. Duo answers `type` and `platform` in Title Case (`Mobile`,
/// `Apple iOS`) though it takes them lowercase; they are lowercased here.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Phone {
    pub phone_id: String,
    #[serde(default, deserialize_with = "lenient::non_empty")]
    pub number: Option<String>,
    #[serde(default, deserialize_with = "lenient::non_empty")]
    pub extension: Option<String>,
    #[serde(default, deserialize_with = "lenient::non_empty")]
    pub name: Option<String>,
    #[serde(default, rename = "type", deserialize_with = "lenient::lowercase")]
    pub kind: Option<String>,
    #[serde(default, deserialize_with = "lenient::lowercase")]
    pub platform: Option<String>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub predelay: Option<i64>,
    #[serde(default, deserialize_with = "lenient::int")]
    pub postdelay: Option<i64>,
    #[serde(default, deserialize_with = "lenient::bool")]
    pub activated: Option<bool>,
    #[serde(default)]
    pub capabilities: Vec<String>,
    /// The users the phone is linked to, where Duo lists them.
    #[serde(default)]
    pub users: Vec<super::UserRef>,
}

/// Fields to set; `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PhoneParams {
    pub number: Option<String>,
    pub extension: Option<String>,
    pub name: Option<String>,
    pub kind: Option<String>,
    pub platform: Option<String>,
    pub predelay: Option<i64>,
    pub postdelay: Option<i64>,
}

impl PhoneParams {
    fn to_params(&self) -> Params {
        some_params([
            ("number", self.number.clone()),
            ("extension", self.extension.clone()),
            ("name", self.name.clone()),
            ("type", self.kind.clone()),
            ("platform", self.platform.clone()),
            ("predelay", self.predelay.map(|d| d.to_string())),
            ("postdelay", self.postdelay.map(|d| d.to_string())),
        ])
    }
}

const PAGE: u32 = 500;

fn phone_path(phone_id: &str) -> String {
    format!("/admin/v1/phones/{}", segment(phone_id))
}

impl Listed for Phone {
    const LIST: &'static str = "/admin/v1/phones";
    const PAGE: u32 = PAGE;
    fn id(&self) -> &str {
        &self.phone_id
    }
    fn path(id: &str) -> String {
        phone_path(id)
    }
}

impl Client {
    /// The phones `keep` picks, from this run's one listing of them: what a
    /// creation guard looks for an existing phone in.
    pub async fn existing_phones(
        &self,
        keep: impl Fn(&Phone) -> bool,
    ) -> Result<Vec<Phone>, Error> {
        self.existing(&self.reads.phones, keep).await
    }

    pub async fn list_phones(&self) -> Result<Vec<Phone>, Error> {
        self.list_listed(&self.reads.phones).await
    }

    pub async fn get_phone(&self, phone_id: &str) -> Result<Phone, Error> {
        self.get_listed(&self.reads.phones, phone_id).await
    }

    pub async fn create_phone(&self, params: &PhoneParams) -> Result<Phone, Error> {
        let phone: Phone = self.post(Phone::LIST, params.to_params()).await?;
        self.reads.phones.written(&phone.phone_id);
        Ok(phone)
    }

    pub async fn modify_phone(&self, phone_id: &str, params: &PhoneParams) -> Result<Phone, Error> {
        self.reads.phones.written(phone_id);
        self.set(&phone_path(phone_id), params.to_params()).await
    }

    /// Deleting a phone also unlinks it from its users.
    pub async fn delete_phone(&self, phone_id: &str) -> Result<(), Error> {
        self.reads.phone_deleted(phone_id);
        self.delete(&phone_path(phone_id)).await
    }

    /// The IDs of a user's phones: from the user object when reads are gathered, else from
    /// the user's phone list.
    pub async fn user_phone_ids(&self, user_id: &str) -> Result<Vec<String>, Error> {
        self.user_devices::<Phone>(user_id, "phones", |u| {
            u.phones.into_iter().map(|p| p.phone_id).collect()
        })
        .await
    }

    pub async fn add_user_phone(&self, user_id: &str, phone_id: &str) -> Result<(), Error> {
        self.reads.linked(user_id, &self.reads.phones, phone_id);
        let path = format!("/admin/v1/users/{}/phones", segment(user_id));
        self.set::<serde_json::Value>(&path, vec![("phone_id".into(), phone_id.into())])
            .await
            .map(drop)
    }

    pub async fn remove_user_phone(&self, user_id: &str, phone_id: &str) -> Result<(), Error> {
        self.reads.linked(user_id, &self.reads.phones, phone_id);
        self.delete(&format!(
            "/admin/v1/users/{}/phones/{}",
            segment(user_id),
            segment(phone_id)
        ))
        .await
    }
}
