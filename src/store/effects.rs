//! What a person's step writes besides its own rows: the audit entry and the in-app notices it
//! causes. Store functions that take `Effects` write them inside the step's own transaction, so
//! a post never reaches review without the officers being told, and a notice never announces a
//! step that was rolled back.

use serde::Serialize;

/// Who is told. Officers work city-wide; a unit's staff hear only about their own unit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum Audience {
    /// Every active communications officer of the city.
    Officers,
    /// Every active staff member bound to this unit.
    Unit(i64),
}

/// One notice: a catalog message with its arguments and a link to where the reader acts.
#[derive(Clone, Debug, Serialize)]
pub struct Notice {
    pub audience: Audience,
    pub kind: String,
    /// Catalog key; `args` fill its placeholders.
    pub message_key: String,
    pub args: serde_json::Value,
    pub link: String,
}

impl Notice {
    pub fn new(
        audience: Audience,
        kind: &str,
        message_key: &str,
        args: serde_json::Value,
        link: &str,
    ) -> Notice {
        Notice {
            audience,
            kind: kind.to_string(),
            message_key: message_key.to_string(),
            args,
            link: link.to_string(),
        }
    }
}

/// An audit entry written with the change it records.
#[derive(Clone, Debug)]
pub struct AuditRow {
    pub actor: Option<i64>,
    pub action: String,
    pub subject: String,
    pub detail: String,
}

/// The audit entry and notices of one step.
#[derive(Clone, Debug, Default)]
pub struct Effects {
    pub audit: Option<AuditRow>,
    pub notices: Vec<Notice>,
}

impl Effects {
    /// Effects that audit the step.
    pub fn audited(actor: Option<i64>, action: &str, subject: &str, detail: &str) -> Effects {
        Effects {
            audit: Some(AuditRow {
                actor,
                action: action.to_string(),
                subject: subject.to_string(),
                detail: detail.to_string(),
            }),
            notices: Vec::new(),
        }
    }

    /// Adds a notice.
    pub fn notify(mut self, notice: Notice) -> Effects {
        self.notices.push(notice);
        self
    }
}

/// Writes `Effects` inside an open transaction `$tx` (either backend), stamped `$now`.
macro_rules! write_effects {
    ($tx:ident, $effects:expr, $now:expr) => {{
        let effects: &crate::store::Effects = $effects;
        if let Some(a) = &effects.audit {
            sqlx::query(
                "insert into audit_log (at, actor_user_id, action, subject, detail) values ($1, $2, $3, $4, $5)",
            )
            .bind($now)
            .bind(a.actor)
            .bind(&a.action)
            .bind(&a.subject)
            .bind(&a.detail)
            .execute(&mut *$tx)
            .await?;
        }
        for n in &effects.notices {
            let (filter, unit): (&str, Option<i64>) = match n.audience {
                crate::store::Audience::Officers => ("role = 'officer'", None),
                crate::store::Audience::Unit(u) => ("unit_id = $6", Some(u)),
            };
            let sql = format!(
                "insert into notification (user_id, kind, message_key, args, link, created_at) \
                 select user_id, $1, $2, $3, $4, $5 from app_user where {filter} and disabled = false"
            );
            let mut q = sqlx::query(&sql)
                .bind(&n.kind)
                .bind(&n.message_key)
                .bind(n.args.to_string())
                .bind(&n.link)
                .bind($now);
            if let Some(u) = unit {
                q = q.bind(u);
            }
            q.execute(&mut *$tx).await?;
        }
    }};
}
pub(crate) use write_effects;
