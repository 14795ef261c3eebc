//! The workflow table, written out independently of `target`, and its messages.
use super::*;
use Action as A;
use Actor::{District, Officer, System};
use PostStatus as S;

/// The whole table, written out independently of `target`.
const TABLE: &[(PostStatus, Action, Actor, PostStatus)] = &[
    (S::Draft, A::Submit, Officer, S::Submitted),
    (S::Draft, A::Submit, District, S::Submitted),
    (S::ChangesRequested, A::Submit, Officer, S::Submitted),
    (S::ChangesRequested, A::Submit, District, S::Submitted),
    (S::Submitted, A::Approve, Officer, S::Approved),
    (
        S::Submitted,
        A::RequestChanges,
        Officer,
        S::ChangesRequested,
    ),
    (S::Approved, A::Schedule, Officer, S::Scheduled),
    (S::Failed, A::Schedule, Officer, S::Scheduled),
    (S::PartiallyPublished, A::Schedule, Officer, S::Scheduled),
    (S::Scheduled, A::Unschedule, Officer, S::Approved),
    (S::Draft, A::Cancel, Officer, S::Cancelled),
    (S::Submitted, A::Cancel, Officer, S::Cancelled),
    (S::ChangesRequested, A::Cancel, Officer, S::Cancelled),
    (S::Approved, A::Cancel, Officer, S::Cancelled),
    (S::Scheduled, A::Cancel, Officer, S::Cancelled),
    (S::Draft, A::Cancel, District, S::Cancelled),
    (S::ChangesRequested, A::Cancel, District, S::Cancelled),
    (S::Scheduled, A::StartPublishing, System, S::Publishing),
    (S::Published, A::StartPublishing, System, S::Publishing),
    (
        S::PartiallyPublished,
        A::StartPublishing,
        System,
        S::Publishing,
    ),
    (S::Failed, A::StartPublishing, System, S::Publishing),
    (S::Scheduled, A::FinishPublished, System, S::Published),
    (S::Publishing, A::FinishPublished, System, S::Published),
    (
        S::PartiallyPublished,
        A::FinishPublished,
        System,
        S::Published,
    ),
    (S::Failed, A::FinishPublished, System, S::Published),
    (
        S::Scheduled,
        A::FinishPartial,
        System,
        S::PartiallyPublished,
    ),
    (
        S::Publishing,
        A::FinishPartial,
        System,
        S::PartiallyPublished,
    ),
    (
        S::Published,
        A::FinishPartial,
        System,
        S::PartiallyPublished,
    ),
    (S::Failed, A::FinishPartial, System, S::PartiallyPublished),
    (S::Scheduled, A::FinishFailed, System, S::Failed),
    (S::Publishing, A::FinishFailed, System, S::Failed),
    (S::Published, A::FinishFailed, System, S::Failed),
    (S::PartiallyPublished, A::FinishFailed, System, S::Failed),
    (S::Cancelled, A::Reopen, Officer, S::Draft),
    (S::ChangesRequested, A::Reopen, Officer, S::Draft),
    (S::ChangesRequested, A::Reopen, District, S::Draft),
];

#[test]
fn exactly_the_table_is_allowed() {
    let mut allowed = 0;
    for from in PostStatus::ALL {
        for action in Action::ALL {
            for actor in [Officer, District, System] {
                let expected = TABLE
                    .iter()
                    .find(|t| (t.0, t.1, t.2) == (from, action, actor))
                    .map(|t| t.3);
                let got = next(from, action, actor, "Sửa đoạn 2").ok();
                assert_eq!(got, expected, "{from:?} {action:?} {actor:?}");
                allowed += usize::from(got.is_some());
            }
        }
    }
    assert_eq!(allowed, TABLE.len());
}

#[test]
fn forbidden_moves_name_status_and_action() {
    let e = next(S::Draft, A::Approve, Officer, "").unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.key),
        ("action", "err_transition_not_allowed")
    );
    assert_eq!(
        e.args,
        vec![
            ("from", "draft".to_string()),
            ("action", "approve".to_string())
        ]
    );
    // District staff approving a submitted post: the state would allow it, the role not.
    let e = next(S::Submitted, A::Approve, District, "").unwrap_err();
    assert_eq!(e.key, "err_transition_role");
    assert_eq!(
        e.args,
        vec![
            ("action", "approve".to_string()),
            ("role", "officer".to_string())
        ]
    );
    assert!(next(S::Submitted, A::RequestChanges, District, "x").is_err());
    assert!(next(S::Submitted, A::Cancel, District, "").is_err());
    assert!(next(S::Cancelled, A::Reopen, District, "").is_err());
    assert!(next(S::Submitted, A::Approve, System, "").is_err());
    assert!(next(S::Scheduled, A::StartPublishing, Officer, "").is_err());
    assert!(next(S::Published, A::Cancel, Officer, "").is_err());
    assert!(next(S::Approved, A::Approve, Officer, "").is_err());
    assert_eq!(Actor::for_role(Role::Manager), None);
    assert_eq!(Actor::for_role(Role::Admin), Some(Officer));
    assert_eq!(Actor::for_role(Role::District), Some(District));
}

#[test]
fn request_changes_needs_a_comment() {
    let e = next(S::Submitted, A::RequestChanges, Officer, "  \n ").unwrap_err();
    assert_eq!(
        (e.field.as_str(), e.key),
        ("comment", "err_comment_required")
    );
    assert_eq!(next(S::Submitted, A::Approve, Officer, ""), Ok(S::Approved));
    let e = next(S::Submitted, A::Approve, Officer, &"x".repeat(2001)).unwrap_err();
    assert_eq!((e.key, e.args[0].1.as_str()), ("err_too_long", "2000"));
}

#[test]
fn edits_send_approved_posts_back_to_review() {
    assert_eq!(edit_status(S::Draft), Ok(S::Draft));
    assert_eq!(edit_status(S::ChangesRequested), Ok(S::ChangesRequested));
    assert_eq!(edit_status(S::Submitted), Ok(S::Submitted));
    assert_eq!(edit_status(S::Approved), Ok(S::Submitted));
    assert_eq!(edit_status(S::Scheduled), Ok(S::Submitted));
    for s in [
        S::Publishing,
        S::Published,
        S::PartiallyPublished,
        S::Failed,
        S::Cancelled,
    ] {
        let e = edit_status(s).unwrap_err();
        assert_eq!(e.key, "err_post_not_editable");
        assert_eq!(e.args, vec![("status", s.as_str().to_string())]);
        assert!(!s.is_editable());
    }
    assert!(S::Scheduled.is_editable());
}

#[test]
fn buttons_and_names() {
    assert_eq!(
        available(S::Submitted, Officer),
        [A::Approve, A::RequestChanges, A::Cancel]
    );
    assert_eq!(available(S::Draft, District), [A::Submit, A::Cancel]);
    assert_eq!(available(S::Submitted, District), []);
    assert_eq!(
        available(S::Scheduled, System),
        [
            A::StartPublishing,
            A::FinishPublished,
            A::FinishPartial,
            A::FinishFailed
        ]
    );
    for s in PostStatus::ALL {
        assert_eq!(PostStatus::parse(s.as_str()), Some(s));
        assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
    }
    for a in Action::ALL {
        assert_eq!(Action::parse(a.as_str()), Some(a));
        assert_eq!(serde_json::to_value(a).unwrap(), a.as_str());
    }
    assert_eq!(PostStatus::parse("Draft"), None);
    assert_eq!(Action::parse("publish"), None);
}

#[test]
fn deliveries_settle_into_the_posts_status_through_the_table() {
    use crate::states::DeliveryState as D;
    // Something still open: publishing.
    assert_eq!(
        settle(S::Scheduled, &[(D::Sending, 1), (D::Published, 1)]),
        Some((S::Publishing, A::StartPublishing))
    );
    assert_eq!(
        settle(S::Publishing, &[(D::Retry, 2)]),
        None,
        "already there"
    );
    // Everything finished: published, partial or failed, straight from scheduled too.
    assert_eq!(
        settle(S::Publishing, &[(D::Published, 2)]),
        Some((S::Published, A::FinishPublished))
    );
    assert_eq!(
        settle(S::Scheduled, &[(D::Published, 1), (D::Failed, 1)]),
        Some((S::PartiallyPublished, A::FinishPartial))
    );
    assert_eq!(
        settle(S::Publishing, &[(D::Failed, 3)]),
        Some((S::Failed, A::FinishFailed))
    );
    // Cancelled deliveries do not count; none left means nothing to say.
    assert_eq!(
        settle(S::Publishing, &[(D::Published, 1), (D::Cancelled, 4)]),
        Some((S::Published, A::FinishPublished))
    );
    assert_eq!(settle(S::Scheduled, &[(D::Cancelled, 2)]), None);
    // A person's retry reopens a finished post; marking one published by hand finishes it.
    assert_eq!(
        settle(S::Failed, &[(D::Retry, 1)]),
        Some((S::Publishing, A::StartPublishing))
    );
    assert_eq!(
        settle(S::PartiallyPublished, &[(D::Published, 2)]),
        Some((S::Published, A::FinishPublished))
    );
    // Posts outside the publishing states never move, whatever their deliveries say.
    for s in [
        S::Draft,
        S::Submitted,
        S::Approved,
        S::Cancelled,
        S::ChangesRequested,
    ] {
        assert_eq!(settle(s, &[(D::Published, 1)]), None, "{s:?}");
        assert_eq!(settle(s, &[(D::Pending, 1)]), None, "{s:?}");
    }
}

#[test]
fn sendable_states_are_those_the_dispatcher_may_move() {
    for s in PostStatus::ALL {
        assert_eq!(
            PostStatus::SENDABLE.contains(&s),
            !available(s, System).is_empty(),
            "{s:?}"
        );
    }
}
