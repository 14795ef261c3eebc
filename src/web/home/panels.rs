//! What each role's home page lists: the next things to do, each with a link to where it is
//! done. Officers see the city's queues; a unit's staff only their own unit's work; managers the
//! month's figures. Every list is short (the full list is one click away) and says what to do
//! when it is empty.

use serde_json::{Value, json};

use crate::content::PostStatus;
use crate::error::AppResult;
use crate::store::{PostFilter, Scope, User};
use crate::web::AppState;

/// How many items a home list shows before "see all".
const SHOWN: i64 = 5;

/// Hanoi midnight today and tomorrow, in UTC milliseconds.
fn today_bounds(now: i64) -> (time::Date, i64, i64) {
    let today = crate::clock::to_hanoi(now).date();
    let start = crate::store::day_start_ms(today);
    (today, start, start + 86_400_000)
}

/// A post row for a home list.
fn post_row(p: &crate::store::Post) -> Value {
    json!({"post_id": p.post_id, "title": p.title, "unit": p.unit_name, "status": p.status,
        "at": p.scheduled_at, "updated_at": p.updated_at})
}

/// The officer's (and admin's) queues.
pub async fn officer(state: &AppState, now: i64) -> AppResult<Value> {
    let store = &state.store;
    let review_filter = PostFilter {
        status: Some(PostStatus::Submitted),
        ..PostFilter::default()
    };
    let (review, review_total) = store.list_posts(&review_filter, None, SHOWN, 0).await?;
    let proposals: Vec<_> = store
        .proposals(None)
        .await?
        .into_iter()
        .filter(|p| p.status == "pending")
        .collect();
    let paused: Vec<Value> = store
        .list_accounts(None)
        .await?
        .into_iter()
        .filter(|a| a.status == crate::states::AccountStatus::NeedsReauth)
        .map(|a| json!({"account_id": a.account_id, "name": a.name, "kind": a.kind}))
        .collect();
    let failed = store.count_deliveries_in("failed").await?;
    let mut late_kits = Vec::new();
    for kit in store
        .list_kits()
        .await?
        .iter()
        .filter(|k| k.status == crate::states::KitStatus::Open)
    {
        let late = store
            .kit_targets(kit.kit_id)
            .await?
            .iter()
            .filter(|t| {
                crate::kits::unit_state(kit, t, now) == crate::states::KitUnitState::Overdue
            })
            .count();
        if late > 0 {
            late_kits.push(
                json!({"kit_id": kit.kit_id, "title": kit.title, "late": late,
                "deadline_at": kit.deadline_at}),
            );
        }
    }
    let (_, start, end) = today_bounds(now);
    let today_filter = PostFilter {
        from: Some(start),
        to: Some(end),
        ..PostFilter::default()
    };
    let today: Vec<Value> = store
        .calendar_posts(&today_filter, None)
        .await?
        .iter()
        .map(|p| json!({"post_id": p.post_id, "title": p.title, "status": p.status, "at": p.at}))
        .collect();
    Ok(json!({
        "review": review.iter().map(post_row).collect::<Vec<_>>(), "review_total": review_total,
        "proposals": proposals.iter().take(SHOWN as usize)
            .map(|p| json!({"title": p.title, "unit": p.unit_name, "created_at": p.created_at}))
            .collect::<Vec<_>>(),
        "proposals_total": proposals.len(),
        "paused": paused, "failed": failed, "late_kits": late_kits, "today": today,
    }))
}

/// A unit's staff: their open kits, their posts sent back, their drafts, what is booked.
pub async fn district(state: &AppState, user: &User, now: i64) -> AppResult<Value> {
    let store = &state.store;
    let (Some(unit), Some(code)) = (user.unit_id, user.unit_code.clone()) else {
        return Ok(json!({}));
    };
    let values = crate::kits::values_for_unit(store, unit).await?;
    let kits: Vec<Value> = store
        .open_kits_for_unit(unit)
        .await?
        .into_iter()
        .map(|(kit, t)| {
            let st = crate::kits::unit_state(&kit, &t, now);
            // Still to do: not shared, not declined.
            use crate::states::KitUnitState as K;
            let todo =
                matches!(st, K::NotOpened | K::Opened | K::Overdue) && t.local_post_id.is_none();
            json!({"kit_id": kit.kit_id, "title": crate::kits::fill(&kit.title, &values),
                "deadline_at": kit.deadline_at, "state": st, "todo": todo,
                "local_post_id": t.local_post_id})
        })
        .collect();
    let own = |status: PostStatus| PostFilter {
        status: Some(status),
        unit_code: Some(code.clone()),
        ..PostFilter::default()
    };
    let (changes, changes_total) = store
        .list_posts(&own(PostStatus::ChangesRequested), None, SHOWN, 0)
        .await?;
    let (drafts, drafts_total) = store
        .list_posts(&own(PostStatus::Draft), None, SHOWN, 0)
        .await?;
    let (_, start, _) = today_bounds(now);
    let upcoming = PostFilter {
        status: Some(PostStatus::Scheduled),
        unit_code: Some(code.clone()),
        from: Some(start),
        to: Some(start + 7 * 86_400_000),
        ..PostFilter::default()
    };
    let scheduled: Vec<Value> = store
        .calendar_posts(&upcoming, None)
        .await?
        .iter()
        .take(SHOWN as usize)
        .map(|p| json!({"post_id": p.post_id, "title": p.title, "at": p.at}))
        .collect();
    Ok(json!({
        "kits": kits, "unit_code": code,
        "changes": changes.iter().map(post_row).collect::<Vec<_>>(), "changes_total": changes_total,
        "drafts": drafts.iter().map(post_row).collect::<Vec<_>>(), "drafts_total": drafts_total,
        "scheduled": scheduled,
    }))
}

/// A manager's headline: this month so far, against the same figures the report shows.
pub async fn manager(state: &AppState, now: i64) -> AppResult<Value> {
    let (today, _, end) = today_bounds(now);
    let first = today.replace_day(1).unwrap_or(today);
    let from_ms = crate::store::day_start_ms(first);
    let h = state.store.headline((first, today), (from_ms, end)).await?;
    Ok(json!({"h": h, "from": from_ms, "to": now}))
}

/// Units in the visitor's scope (the admin's tile).
pub async fn units_in_scope(state: &AppState, scope: &Scope) -> AppResult<i64> {
    let snapshot = state.store.active_snapshot().await?;
    let level = match scope {
        Scope::City => Some(state.store.reporting_level(&snapshot).await?.to_string()),
        _ => None,
    };
    let filter = crate::store::AreaFilter {
        level,
        ..crate::store::AreaFilter::default()
    };
    Ok(state
        .store
        .list_areas(&snapshot, scope, &filter, 1, 0)
        .await?
        .1)
}
