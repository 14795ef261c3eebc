//! The approval workflow as a pure transition table: who may move a post from which status to
//! which. Scope (a district acting only on its own unit's posts) and persistence belong to the
//! callers; this module only answers "is this move allowed, and where does it lead".

use serde::Serialize;

use crate::domain::{FieldError, Role};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PostStatus {
    Draft,
    Submitted,
    ChangesRequested,
    Approved,
    Scheduled,
    Publishing,
    Published,
    PartiallyPublished,
    Failed,
    Cancelled,
}

impl PostStatus {
    pub const ALL: [PostStatus; 10] = [
        PostStatus::Draft,
        PostStatus::Submitted,
        PostStatus::ChangesRequested,
        PostStatus::Approved,
        PostStatus::Scheduled,
        PostStatus::Publishing,
        PostStatus::Published,
        PostStatus::PartiallyPublished,
        PostStatus::Failed,
        PostStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PostStatus::Draft => "draft",
            PostStatus::Submitted => "submitted",
            PostStatus::ChangesRequested => "changes_requested",
            PostStatus::Approved => "approved",
            PostStatus::Scheduled => "scheduled",
            PostStatus::Publishing => "publishing",
            PostStatus::Published => "published",
            PostStatus::PartiallyPublished => "partially_published",
            PostStatus::Failed => "failed",
            PostStatus::Cancelled => "cancelled",
        }
    }

    pub fn parse(value: &str) -> Option<PostStatus> {
        PostStatus::ALL
            .into_iter()
            .find(|s| s.as_str() == value.trim())
    }

    /// Whether the text may still change. Editing an approved or scheduled post is allowed but
    /// sends it back to review ([`edit_status`]); once publishing has started the text is what
    /// the channels have, so it stays as it was.
    pub fn is_editable(self) -> bool {
        edit_status(self).is_ok()
    }
}

crate::states::sqlx_text!(PostStatus, "post status");

impl PostStatus {
    /// States in which a post's deliveries may go out: scheduled, or already publishing or
    /// finished (a person may retry one delivery of a published, partial or failed post). A
    /// delivery of a post in any other state is never sent, whatever its own row says.
    pub const SENDABLE: [PostStatus; 5] = [
        PostStatus::Scheduled,
        PostStatus::Publishing,
        PostStatus::Published,
        PostStatus::PartiallyPublished,
        PostStatus::Failed,
    ];

    /// `('a', 'b')`: these states as an SQL list.
    pub fn sql_list(states: &[PostStatus]) -> String {
        crate::states::sql_list(states.iter().map(|s| s.as_str()))
    }
}

impl std::fmt::Display for PostStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Submit,
    Approve,
    RequestChanges,
    Schedule,
    Unschedule,
    Cancel,
    StartPublishing,
    FinishPublished,
    FinishPartial,
    FinishFailed,
    /// Cancelled or changes requested → draft.
    Reopen,
}

impl Action {
    pub const ALL: [Action; 11] = [
        Action::Submit,
        Action::Approve,
        Action::RequestChanges,
        Action::Schedule,
        Action::Unschedule,
        Action::Cancel,
        Action::StartPublishing,
        Action::FinishPublished,
        Action::FinishPartial,
        Action::FinishFailed,
        Action::Reopen,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Submit => "submit",
            Action::Approve => "approve",
            Action::RequestChanges => "request_changes",
            Action::Schedule => "schedule",
            Action::Unschedule => "unschedule",
            Action::Cancel => "cancel",
            Action::StartPublishing => "start_publishing",
            Action::FinishPublished => "finish_published",
            Action::FinishPartial => "finish_partial",
            Action::FinishFailed => "finish_failed",
            Action::Reopen => "reopen",
        }
    }

    pub fn parse(value: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == value.trim())
    }
}

/// Who acts. Officers and admins act as `Officer`; the publishing worker is `System`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Actor {
    Officer,
    District,
    System,
}

impl Actor {
    /// Managers read everything and change nothing, so they have no actor.
    pub fn for_role(role: Role) -> Option<Actor> {
        match role {
            Role::Admin | Role::Officer => Some(Actor::Officer),
            Role::District => Some(Actor::District),
            Role::Manager => None,
        }
    }
}

/// A reviewer's comment is kept with the transition; this bounds it.
pub const COMMENT_MAX: usize = 2000;

/// The table. District staff may submit, and may withdraw (cancel) or reopen a post while it is
/// still in their hands (draft, changes requested); once submitted, only officers decide.
/// Reopening a cancelled post is an officer's call, so a district cannot undo an officer's
/// cancellation. Retrying a failed or partial publication is scheduling it again.
fn target(from: PostStatus, action: Action, actor: Actor) -> Option<PostStatus> {
    use Action as A;
    use Actor::{District, Officer, System};
    use PostStatus as S;
    let to = match (from, action, actor) {
        (S::Draft | S::ChangesRequested, A::Submit, Officer | District) => S::Submitted,
        (S::Submitted, A::Approve, Officer) => S::Approved,
        (S::Submitted, A::RequestChanges, Officer) => S::ChangesRequested,
        (S::Approved | S::Failed | S::PartiallyPublished, A::Schedule, Officer) => S::Scheduled,
        (S::Scheduled, A::Unschedule, Officer) => S::Approved,
        (
            S::Draft | S::Submitted | S::ChangesRequested | S::Approved | S::Scheduled,
            A::Cancel,
            Officer,
        ) => S::Cancelled,
        (S::Draft | S::ChangesRequested, A::Cancel, District) => S::Cancelled,
        // The dispatcher sums a post's deliveries into its status; a person's decision on one
        // delivery (retry, mark published) may move a finished post again.
        (
            S::Scheduled | S::Published | S::PartiallyPublished | S::Failed,
            A::StartPublishing,
            System,
        ) => S::Publishing,
        (
            S::Scheduled | S::Publishing | S::PartiallyPublished | S::Failed,
            A::FinishPublished,
            System,
        ) => S::Published,
        (S::Scheduled | S::Publishing | S::Published | S::Failed, A::FinishPartial, System) => {
            S::PartiallyPublished
        }
        (
            S::Scheduled | S::Publishing | S::Published | S::PartiallyPublished,
            A::FinishFailed,
            System,
        ) => S::Failed,
        (S::Cancelled, A::Reopen, Officer) => S::Draft,
        (S::ChangesRequested, A::Reopen, Officer | District) => S::Draft,
        _ => return None,
    };
    Some(to)
}

/// Where `action` by `actor` takes a post in status `from`.
///
/// The comment is checked here rather than by each caller so that "request changes" can never
/// happen without saying what to change: it is required for that action, optional for the
/// others, and at most [`COMMENT_MAX`] characters.
pub fn next(
    from: PostStatus,
    action: Action,
    actor: Actor,
    comment: &str,
) -> Result<PostStatus, FieldError> {
    let to = target(from, action, actor).ok_or_else(|| {
        // When the post's state allows the step but not for this person, the role is the
        // reason: district staff cannot approve their own post, however it stands.
        if actor == Actor::District && target(from, action, Actor::Officer).is_some() {
            FieldError::new("action", "err_transition_role")
                .arg("action", action.as_str())
                .arg("role", "officer")
        } else {
            FieldError::new("action", "err_transition_not_allowed")
                .arg("from", from.as_str())
                .arg("action", action.as_str())
        }
    })?;
    let comment = comment.trim();
    if action == Action::RequestChanges && comment.is_empty() {
        return Err(FieldError::new("comment", "err_comment_required"));
    }
    let len = comment.chars().count();
    if len > COMMENT_MAX {
        return Err(FieldError::new("comment", "err_too_long")
            .arg("max", COMMENT_MAX)
            .arg("len", len));
    }
    Ok(to)
}

/// The status after the text of a post changed. An approval covers the text that was
/// approved, so approved and scheduled posts go back to review; a scheduled post keeps its
/// planned time in the store and needs approving and scheduling again.
pub fn edit_status(from: PostStatus) -> Result<PostStatus, FieldError> {
    match from {
        PostStatus::Draft | PostStatus::ChangesRequested | PostStatus::Submitted => Ok(from),
        PostStatus::Approved | PostStatus::Scheduled => Ok(PostStatus::Submitted),
        _ => Err(FieldError::new("status", "err_post_not_editable").arg("status", from.as_str())),
    }
}

/// The status a post's deliveries sum to, and the system action that records the move, when
/// it differs from `status`: publishing while any delivery is open; then published, partially
/// published or failed. Cancelled deliveries do not count; the move must be in the table (a
/// cancelled or unscheduled post stays as it is).
pub fn settle(
    status: PostStatus,
    counts: &[(crate::states::DeliveryState, i64)],
) -> Option<(PostStatus, Action)> {
    use crate::states::DeliveryState as D;
    let of = |s: D| counts.iter().filter(|c| c.0 == s).map(|c| c.1).sum::<i64>();
    let total: i64 = counts
        .iter()
        .filter(|c| c.0 != D::Cancelled)
        .map(|c| c.1)
        .sum();
    if total == 0 {
        return None;
    }
    let open = total - of(D::Published) - of(D::Failed);
    let action = if open > 0 {
        Action::StartPublishing
    } else if of(D::Published) == total {
        Action::FinishPublished
    } else if of(D::Published) > 0 {
        Action::FinishPartial
    } else {
        Action::FinishFailed
    };
    let to = target(status, action, Actor::System)?;
    Some((to, action))
}

/// The actions `actor` may take on a post in status `from`, in table order, for buttons.
pub fn available(from: PostStatus, actor: Actor) -> Vec<Action> {
    Action::ALL
        .into_iter()
        .filter(|&a| target(from, a, actor).is_some())
        .collect()
}

#[cfg(test)]
#[path = "workflow_tests.rs"]
mod tests;
