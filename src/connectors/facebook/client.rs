//! The Graph calls every operation makes: the account's endpoint and Page, the token and its
//! `appsecret_proof`, reads and form posts, and the answer turned into a value or a failure.

use reqwest::Method;
use serde_json::Value;

use super::errors::failure;
use super::{Facebook, appsecret_proof};
use crate::connectors::classify;
use crate::connectors::{Credentials, Failure, Outcome};

pub(super) struct Account<'a> {
    pub(super) base_url: &'a str,
    pub(super) page_id: &'a str,
    pub(super) page_token: &'a str,
    pub(super) app_secret: Option<&'a str>,
}

impl Facebook {
    pub(super) fn account(&self) -> Outcome<Account<'_>> {
        match &self.creds {
            Credentials::Facebook {
                base_url,
                page_id,
                page_token,
                app_secret,
            } => Ok(Account {
                base_url,
                page_id,
                page_token,
                app_secret: app_secret.as_deref().filter(|s| !s.is_empty()),
            }),
            other => Err(Failure::Permanent {
                reason: format!(
                    "Facebook connector given {} credentials",
                    other.kind().as_str()
                ),
            }),
        }
    }

    /// `access_token` and, when the app has a secret, `appsecret_proof`.
    pub(super) fn auth_params(&self) -> Outcome<Vec<(&'static str, String)>> {
        let acc = self.account()?;
        let mut params = vec![("access_token", acc.page_token.to_string())];
        if let Some(secret) = acc.app_secret {
            params.push(("appsecret_proof", appsecret_proof(secret, acc.page_token)));
        }
        Ok(params)
    }

    pub(super) fn url(&self, path: &str) -> Outcome<String> {
        Ok(format!(
            "{}/{}",
            self.account()?.base_url.trim_end_matches('/'),
            path.trim_start_matches('/')
        ))
    }

    /// A GET (or DELETE) with `query` plus the auth parameters in the query string.
    pub(super) async fn read(
        &self,
        method: Method,
        path: &str,
        query: &[(&str, &str)],
        what: &str,
    ) -> Outcome<Value> {
        let mut req = self
            .http
            .request(method.clone(), self.url(path)?)
            .query(query);
        req = req.query(&self.auth_params()?);
        self.finish(req, classify::is_idempotent(&method), what)
            .await
    }

    /// A POST with a form body (auth parameters included in the body, never in the URL).
    pub(super) async fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
        query: &[(&str, &str)],
        what: &str,
    ) -> Outcome<Value> {
        let mut body: Vec<(String, String)> = form
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        body.extend(
            self.auth_params()?
                .into_iter()
                .map(|(k, v)| (k.to_string(), v)),
        );
        let req = self.http.post(self.url(path)?).query(query).form(&body);
        self.finish(req, false, what).await
    }

    pub(super) async fn finish(
        &self,
        req: reqwest::RequestBuilder,
        idempotent: bool,
        what: &str,
    ) -> Outcome<Value> {
        let answer = classify::execute(req, idempotent, what).await?;
        let body = answer.json();
        match body {
            Some(v) if answer.status.is_success() && v.get("error").is_none() => Ok(v),
            _ => Err(failure(&answer, idempotent, what)),
        }
    }
}
