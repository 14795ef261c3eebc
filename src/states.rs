//! The states things pass through, as types. Each enum is stored as its text name (the
//! migrations' `check` constraints list the same names) and parsed once where a row is read, so
//! past the store boundary a state is never a string. Post states and their moves are in
//! `content::workflow`, whose transition table is the single source of truth for posts; the
//! tables for deliveries, accounts and kits are here.

use serde::Serialize;

/// Implements text storage on both databases and the name round trip for a state enum.
macro_rules! text_state {
    ($t:ty, $what:literal, [$($variant:ident => $name:literal),+ $(,)?]) => {
        impl $t {
            pub const ALL: &'static [$t] = &[$(<$t>::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(<$t>::$variant => $name),+ }
            }

            pub fn parse(value: &str) -> Option<$t> {
                match value.trim() { $($name => Some(<$t>::$variant),)+ _ => None }
            }

            /// `('a', 'b')`: these states as an SQL list.
            pub fn sql_list(states: &[$t]) -> String {
                crate::states::sql_list(states.iter().map(|s| s.as_str()))
            }
        }

        impl std::fmt::Display for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        crate::states::sqlx_text!($t, $what);
    };
}

/// `('a', 'b')`: state names as an SQL list. Names are fixed identifiers of the enums, never
/// input, so they are written into the statement.
pub fn sql_list<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let quoted: Vec<String> = names.map(|n| format!("'{n}'")).collect();
    format!("({})", quoted.join(", "))
}

/// Stores a state enum with `as_str`/`parse` as its text name on either database.
macro_rules! sqlx_text {
    ($t:ty, $what:literal) => {
        impl<DB: sqlx::Database> sqlx::Type<DB> for $t
        where
            str: sqlx::Type<DB>,
        {
            fn type_info() -> DB::TypeInfo {
                <str as sqlx::Type<DB>>::type_info()
            }
            fn compatible(ty: &DB::TypeInfo) -> bool {
                <str as sqlx::Type<DB>>::compatible(ty)
            }
        }

        impl<'r, DB: sqlx::Database> sqlx::Decode<'r, DB> for $t
        where
            &'r str: sqlx::Decode<'r, DB>,
        {
            fn decode(
                value: <DB as sqlx::Database>::ValueRef<'r>,
            ) -> Result<Self, sqlx::error::BoxDynError> {
                let name = <&'r str as sqlx::Decode<'r, DB>>::decode(value)?;
                <$t>::parse(name).ok_or_else(|| format!("unknown {} '{name}'", $what).into())
            }
        }

        impl<'q, DB: sqlx::Database> sqlx::Encode<'q, DB> for $t
        where
            &'q str: sqlx::Encode<'q, DB>,
        {
            fn encode_by_ref(
                &self,
                buf: &mut <DB as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                let name: &'q str = self.as_str();
                <&'q str as sqlx::Encode<'q, DB>>::encode_by_ref(&name, buf)
            }
        }
    };
}
pub(crate) use sqlx_text;

/// One delivery of a post through one channel account (see `store::deliveries`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Waiting for its time.
    Pending,
    /// Claimed by a worker: a call may be in flight.
    Sending,
    /// Waiting to be tried again after an error that did not take effect.
    Retry,
    /// The last answer was lost: the channel is looked up before anything is sent again.
    Unconfirmed,
    /// The account needs a person (a refused token); resumes when it is reconnected.
    Paused,
    Published,
    Failed,
    Cancelled,
}

text_state!(DeliveryState, "delivery state", [
    Pending => "pending", Sending => "sending", Retry => "retry", Unconfirmed => "unconfirmed",
    Paused => "paused", Published => "published", Failed => "failed", Cancelled => "cancelled",
]);

impl DeliveryState {
    /// States a worker may claim when due (a `sending` one only when its lease ran out).
    pub const WAITING: [DeliveryState; 3] = [
        DeliveryState::Pending,
        DeliveryState::Retry,
        DeliveryState::Unconfirmed,
    ];
    /// States that nothing has left Loa from yet: unscheduling or cancelling a post stops them.
    pub const NOT_STARTED: [DeliveryState; 3] = [
        DeliveryState::Pending,
        DeliveryState::Retry,
        DeliveryState::Paused,
    ];
    /// States scheduling again may re-arm (the upsert of `Tx::schedule_deliveries`).
    pub const REARMABLE: [DeliveryState; 4] = [
        DeliveryState::Pending,
        DeliveryState::Retry,
        DeliveryState::Cancelled,
        DeliveryState::Failed,
    ];

    /// A person's decision on one delivery: where it leads from this state, if anywhere.
    /// `retry` of a delivery whose last answer was lost keeps it `unconfirmed` where the
    /// channel can be looked up (`lookup`), so nothing is sent twice.
    pub fn decide(
        self,
        decision: Decision,
        reconcile: bool,
        lookup: bool,
    ) -> Option<DeliveryState> {
        use DeliveryState as D;
        match (decision, self) {
            (Decision::Retry, D::Failed | D::Paused | D::Unconfirmed) => {
                Some(if reconcile && lookup {
                    D::Unconfirmed
                } else {
                    D::Retry
                })
            }
            (Decision::Cancel, D::Pending | D::Retry | D::Paused | D::Unconfirmed | D::Failed) => {
                Some(D::Cancelled)
            }
            (Decision::MarkPublished, D::Failed | D::Unconfirmed) => Some(D::Published),
            _ => None,
        }
    }
}

/// What a person may decide about one delivery on the queue page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Retry,
    Cancel,
    /// They checked the channel and the post is there.
    MarkPublished,
}

impl Decision {
    pub fn parse(value: &str) -> Option<Decision> {
        match value {
            "retry" => Some(Decision::Retry),
            "cancel" => Some(Decision::Cancel),
            "mark_published" => Some(Decision::MarkPublished),
            _ => None,
        }
    }
}

/// A channel account's standing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    /// The channel refused its token: deliveries pause until a person reconnects it.
    NeedsReauth,
    Disabled,
}

text_state!(AccountStatus, "account status", [
    Active => "active", NeedsReauth => "needs_reauth", Disabled => "disabled",
]);

/// A share kit as a whole (each unit's own progress is derived from its local post).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KitStatus {
    Open,
    Withdrawn,
}

text_state!(KitStatus, "kit status", [Open => "open", Withdrawn => "withdrawn"]);

/// Where one target unit stands with a share kit, as the cascade shows it. Derived, never
/// stored: from the kit, the unit's row and its local post's status (`kits::unit_state`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KitUnitState {
    NotOpened,
    Opened,
    /// A local version exists but is not out yet.
    Adapted,
    Scheduled,
    Published,
    Declined,
    Overdue,
    Withdrawn,
}

text_state!(KitUnitState, "kit unit state", [
    NotOpened => "not_opened", Opened => "opened", Adapted => "adapted", Scheduled => "scheduled",
    Published => "published", Declined => "declined", Overdue => "overdue", Withdrawn => "withdrawn",
]);

impl KitUnitState {
    /// States that count as "shared" in the cascade's x/y summary: out or booked to go out.
    pub const SHARED: [KitUnitState; 2] = [KitUnitState::Scheduled, KitUnitState::Published];

    /// The unit still has the kit to act on (reminders go to these).
    pub fn is_pending(self) -> bool {
        matches!(
            self,
            KitUnitState::NotOpened
                | KitUnitState::Opened
                | KitUnitState::Adapted
                | KitUnitState::Overdue
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for s in DeliveryState::ALL {
            assert_eq!(DeliveryState::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for s in AccountStatus::ALL {
            assert_eq!(AccountStatus::parse(s.as_str()), Some(*s));
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
        for s in KitStatus::ALL {
            assert_eq!(KitStatus::parse(s.as_str()), Some(*s));
        }
        assert_eq!(DeliveryState::parse("Pending"), None);
        assert_eq!(
            DeliveryState::sql_list(&DeliveryState::NOT_STARTED),
            "('pending', 'retry', 'paused')"
        );
    }

    #[test]
    fn decisions_follow_the_table() {
        use DeliveryState as D;
        assert_eq!(
            D::Failed.decide(Decision::Retry, false, true),
            Some(D::Retry)
        );
        assert_eq!(
            D::Unconfirmed.decide(Decision::Retry, true, true),
            Some(D::Unconfirmed)
        );
        // Telegram cannot be asked: a retry sends.
        assert_eq!(
            D::Unconfirmed.decide(Decision::Retry, true, false),
            Some(D::Retry)
        );
        assert_eq!(D::Published.decide(Decision::Retry, false, true), None);
        assert_eq!(D::Sending.decide(Decision::Cancel, false, true), None);
        assert_eq!(
            D::Pending.decide(Decision::MarkPublished, false, true),
            None
        );
        assert_eq!(
            D::Failed.decide(Decision::MarkPublished, false, true),
            Some(D::Published)
        );
    }
}
