//! The application layer: one function per step a person or the worker takes. A step checks
//! who may take it and whether its input and the current state allow it, then makes every
//! write of the step — state, deliveries, audit line, notices, the form's one-time key — in
//! ONE transaction (`store::Tx`), and answers a typed outcome. HTTP handlers (`web`) only
//! parse, call and render; the coming JSON API will serialise the same outcomes; the worker
//! calls the same functions.
//!
//! Where a new capability goes: its rules (pure) beside its domain (`posts`, `kits`, …), its
//! rows in `store`, its steps here, its pages in `web`.

pub mod accounts;
pub mod campaigns;
pub mod deliveries;
pub mod editing;
pub mod imports;
pub mod kit_offer;
pub mod kits;
pub mod posts;
pub mod proposals;
pub mod scope;

use std::sync::Arc;

use crate::config::Config;
use crate::domain::FieldError;
use crate::error::AppError;
use crate::metrics::Metrics;
use crate::secrets::SecretKey;
use crate::store::{Store, StoreError};

/// What every step and worker may need, cheap to clone: the application's state, free of HTTP.
#[derive(Clone)]
pub struct App {
    pub store: Store,
    /// Image bytes (uploads and their channel variants), content-addressed.
    pub blobs: Arc<dyn crate::media::BlobStore>,
    pub config: Arc<Config>,
    pub secret: Arc<SecretKey>,
    pub metrics: Arc<Metrics>,
    /// The public click path: recorder, slug cache, flood limiter.
    pub clicks: Arc<crate::engagement::ClickPath>,
}

/// Why a step did not happen. Nothing was written in every case.
#[derive(Debug)]
pub enum Refused {
    /// The input or the current state does not allow it; each error names its field.
    Invalid(Vec<FieldError>),
    /// Someone changed the thing after the reader saw it.
    Stale,
    /// Anything else: not theirs, gone, or a failure underneath (rendered as an error page).
    Error(AppError),
}

pub type StepResult<T> = Result<T, Refused>;

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Refused {
        match e {
            StoreError::Stale => Refused::Stale,
            other => Refused::Error(other.into()),
        }
    }
}

impl From<AppError> for Refused {
    fn from(e: AppError) -> Refused {
        Refused::Error(e)
    }
}

impl From<Vec<FieldError>> for Refused {
    fn from(errors: Vec<FieldError>) -> Refused {
        Refused::Invalid(errors)
    }
}

impl Refused {
    /// One field error as a refusal.
    pub fn field(field: &str, key: &'static str) -> Refused {
        Refused::Invalid(vec![FieldError::new(field, key)])
    }

    /// The errors to show beside the form (a stale write is shown as one).
    pub fn into_errors(self) -> Result<Vec<FieldError>, AppError> {
        match self {
            Refused::Invalid(errors) => Ok(errors),
            Refused::Stale => Ok(vec![FieldError::new("form", "err_stale")]),
            Refused::Error(e) => Err(e),
        }
    }
}

/// A creating step's one-time key (the hidden `once` field every creating form carries): the
/// first submission creates, a repeat answers with the first one's result.
#[derive(Clone, Debug, Default)]
pub struct Once(pub Option<String>);

impl Once {
    /// Takes the key from a form field; empty or malformed keys count as none.
    pub fn from_field(value: &str) -> Once {
        let v = value.trim();
        let ok = (16..=64).contains(&v.len())
            && v.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        Once(ok.then(|| v.to_string()))
    }

    /// Claims the key in `tx` for `user`: `Some(location)` when it was used before (the
    /// caller answers with that and writes nothing).
    pub async fn claim(
        &self,
        tx: &mut crate::store::Tx,
        user: i64,
    ) -> Result<Option<String>, StoreError> {
        match &self.0 {
            Some(key) => tx.claim_once(user, key).await,
            None => Ok(None),
        }
    }

    /// Records where the first submission led, in the creating transaction.
    pub async fn finish(
        &self,
        tx: &mut crate::store::Tx,
        user: i64,
        location: &str,
    ) -> Result<(), StoreError> {
        match &self.0 {
            Some(key) => tx.finish_once(user, key, location).await,
            None => Ok(()),
        }
    }
}
