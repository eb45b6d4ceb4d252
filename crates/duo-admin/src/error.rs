//! What can go wrong talking to Duo, in Duo's own terms. Turning these into advice for a
//! Terraform user is the resources' job (`resources::diagnose`).

/// A failed Admin API call. `Clone`, so that one failed batch answers each of its callers.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Duo answered with `stat: FAIL` (or a non-200 status).
    #[error("{message} (Duo error {code}, HTTP {status}{})", detail.as_ref().map(|d| format!(", {d}")).unwrap_or_default())]
    Api {
        status: u16,
        code: u32,
        message: String,
        detail: Option<String>,
        route: String,
    },
    /// The request never got an answer: DNS, connection, TLS or timeout.
    #[error("could not reach {host}: {reason}")]
    Transport {
        host: String,
        reason: String,
        /// False when no connection was made, so Duo cannot have seen the request.
        connected: bool,
    },
    /// Something answered, but not with Duo's JSON envelope.
    #[error("unexpected response from {route}: {reason}")]
    Decode { route: String, reason: String },
    /// Terraform asked the provider to stop before the call could be (re)tried.
    #[error("stopped before {route} could be sent")]
    Stopped { route: String },
    /// The Accounts API lists no child account with this ID.
    #[error("the Accounts API lists no child account {account_id}")]
    NoSuchAccount { account_id: String },
}

impl Error {
    /// What Duo answers for a missing object, for an answer found in a listing instead.
    pub(super) fn not_found(method: &str, path: &str) -> Error {
        Error::Api {
            status: 404,
            code: 40401,
            message: "Resource not found".to_owned(),
            detail: None,
            route: format!("{method} {path}"),
        }
    }

    /// The Duo error code, when Duo answered.
    pub fn code(&self) -> Option<u32> {
        match self {
            Error::Api { code, .. } => Some(*code),
            _ => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The request may or may not have been acted on: it was sent, but its answer was lost or
    /// was a server error. A create that ends so must be looked up before it is sent again.
    pub fn outcome_unknown(&self) -> bool {
        match self {
            Error::Transport { connected, .. } => *connected,
            Error::Api { status, .. } => *status >= 500,
            Error::Decode { .. } => true,
            Error::Stopped { .. } | Error::NoSuchAccount { .. } => false,
        }
    }

    /// Duo refused the request itself (a 4xx other than 429): sending it again unchanged
    /// gets the same answer, while its parts sent on their own may each get their own.
    pub fn is_refusal(&self) -> bool {
        self.status()
            .is_some_and(|s| (400..500).contains(&s) && s != 429)
    }

    /// Duo says the object does not exist.
    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }
}

/// `Ok(None)` for an object that is gone, so callers can treat absence as a value.
pub fn gone_is_none<T>(result: Result<T, Error>) -> Result<Option<T>, Error> {
    match result {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_not_found() => Ok(None),
        Err(e) => Err(e),
    }
}
