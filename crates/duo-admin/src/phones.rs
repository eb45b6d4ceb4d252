//! Phones (`/admin/v1/phones…`) and the phones of a user (`/admin/v1/users/{id}/phones…`).

use serde::Deserialize;

use super::client::{Client, Params, segment, some_params};
use super::error::Error;
use super::lenient;
use super::retry::RateClass;

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

impl Client {
    pub async fn list_phones(&self) -> Result<Vec<Phone>, Error> {
        self.list_all("/admin/v1/phones", Params::new(), PAGE).await
    }

    pub async fn get_phone(&self, phone_id: &str) -> Result<Phone, Error> {
        self.get(RateClass::GetObject, &phone_path(phone_id), Params::new())
            .await
    }

    pub async fn create_phone(&self, params: &PhoneParams) -> Result<Phone, Error> {
        self.post("/admin/v1/phones", params.to_params()).await
    }

    pub async fn modify_phone(&self, phone_id: &str, params: &PhoneParams) -> Result<Phone, Error> {
        self.set(&phone_path(phone_id), params.to_params()).await
    }

    pub async fn delete_phone(&self, phone_id: &str) -> Result<(), Error> {
        self.delete(&phone_path(phone_id)).await
    }

    pub async fn user_phones(&self, user_id: &str) -> Result<Vec<Phone>, Error> {
        self.list_all(
            &format!("/admin/v1/users/{}/phones", segment(user_id)),
            Params::new(),
            PAGE,
        )
        .await
    }

    pub async fn add_user_phone(&self, user_id: &str, phone_id: &str) -> Result<(), Error> {
        let path = format!("/admin/v1/users/{}/phones", segment(user_id));
        self.set::<serde_json::Value>(&path, vec![("phone_id".into(), phone_id.into())])
            .await
            .map(drop)
    }

    pub async fn remove_user_phone(&self, user_id: &str, phone_id: &str) -> Result<(), Error> {
        self.delete(&format!(
            "/admin/v1/users/{}/phones/{}",
            segment(user_id),
            segment(phone_id)
        ))
        .await
    }
}
