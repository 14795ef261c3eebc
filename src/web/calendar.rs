//! The calendar: month and week views of scheduled and published posts in Hanoi time, filtered
//! by campaign, unit, channel and dimension; officers move a scheduled post by dragging it to
//! another day or through the form on the post's page.

use axum::extract::{Path, Query, RawForm, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use time::{Date, Duration, Weekday};

use super::access::{Access, PLANNERS};
use super::form::pairs;
use super::session::Visitor;
use super::{AppState, Route};
use crate::clock::HANOI;
use crate::content::Channel;
use crate::domain::FieldError;
use crate::error::{AppError, AppResult};
use crate::posts::{hanoi_input_value, parse_hanoi_time};
use crate::store::PostFilter;

pub fn routes() -> Vec<Route> {
    vec![
        Route::new(Method::GET, "/calendar", Access::SignedIn, get(calendar)),
        Route::new(
            Method::POST,
            "/posts/{id}/reschedule",
            PLANNERS,
            post(reschedule),
        ),
    ]
}

/// A day cell shows this many posts; the rest are behind "+N more" (the week view shows all).
const PER_DAY_IN_MONTH: usize = 6;

#[derive(Deserialize, Default)]
pub struct CalendarQuery {
    view: Option<String>,
    date: Option<String>,
    campaign: Option<String>,
    unit: Option<String>,
    channel: Option<String>,
    dimension: Option<String>,
}

#[derive(Serialize)]
struct Item {
    post_id: i64,
    title: String,
    status: String,
    time: String,
    unit_code: Option<String>,
    channels: Vec<String>,
    version: i64,
    movable: bool,
}

#[derive(Serialize)]
struct Day {
    date: String,
    day: u8,
    in_range: bool,
    today: bool,
    items: Vec<Item>,
    more: usize,
}

fn monday_on_or_before(d: Date) -> Date {
    d - Duration::days(d.weekday().number_days_from_monday() as i64)
}

fn start_ms(d: Date) -> i64 {
    d.midnight().assume_offset(HANOI).unix_timestamp() * 1000
}

/// Builds the page; public so `loa bench calendar` measures exactly what a request does.
pub async fn calendar(
    State(state): State<AppState>,
    v: Visitor,
    Query(q): Query<CalendarQuery>,
) -> AppResult<Response> {
    let user = v.user()?;
    let scope = crate::app::scope::unit_scope(&state.store, user).await?;
    let week = q.view.as_deref() == Some("week");
    let today = crate::clock::to_hanoi(crate::clock::now_ms()).date();
    let anchor = q
        .date
        .as_deref()
        .and_then(|d| crate::campaigns::parse_day("date", d).ok())
        .unwrap_or(today);
    // The visible range: one week, or the weeks covering the month (Monday first).
    let (first, last_excl, focus_start, focus_end) = if week {
        let m = monday_on_or_before(anchor);
        (m, m + Duration::days(7), m, m + Duration::days(7))
    } else {
        let month_start = anchor
            .replace_day(1)
            .map_err(|e| AppError::Internal(e.into()))?;
        let next_month = (month_start + Duration::days(32))
            .replace_day(1)
            .map_err(|e| AppError::Internal(e.into()))?;
        let grid_start = monday_on_or_before(month_start);
        let mut grid_end = monday_on_or_before(next_month);
        if grid_end < next_month {
            grid_end += Duration::days(7);
        }
        (grid_start, grid_end, month_start, next_month)
    };
    let pick = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let filter = PostFilter {
        campaign_id: pick(&q.campaign).and_then(|c| c.parse().ok()),
        unit_code: pick(&q.unit),
        channel: pick(&q.channel).filter(|c| Channel::parse("channel", c).is_ok()),
        dimension: pick(&q.dimension),
        from: Some(start_ms(first)),
        to: Some(start_ms(last_excl)),
        ..PostFilter::default()
    };
    let posts = state.store.calendar_posts(&filter, scope.as_ref()).await?;
    let can_move = !user.role.is_read_only() && user.role != crate::domain::Role::District;
    let mut days: Vec<Day> = Vec::new();
    let mut d = first;
    while d < last_excl {
        days.push(Day {
            date: d.to_string(),
            day: d.day(),
            in_range: d >= focus_start && d < focus_end,
            today: d == today,
            items: Vec::new(),
            more: 0,
        });
        d += Duration::days(1);
    }
    for p in posts {
        let local = crate::clock::to_hanoi(p.at);
        let index = (local.date() - first).whole_days();
        let Some(day) = usize::try_from(index).ok().and_then(|i| days.get_mut(i)) else {
            continue;
        };
        if !week && day.items.len() >= PER_DAY_IN_MONTH {
            day.more += 1;
            continue;
        }
        day.items.push(Item {
            post_id: p.post_id,
            movable: can_move && p.status == crate::content::PostStatus::Scheduled,
            time: format!("{:02}:{:02}", local.hour(), local.minute()),
            title: p.title,
            status: p.status.to_string(),
            unit_code: p.unit_code,
            channels: Vec::new(),
            version: p.version,
        });
    }
    let shown: Vec<i64> = days
        .iter()
        .flat_map(|d| d.items.iter().map(|i| i.post_id))
        .collect();
    let mut channels = state.store.post_channels(&shown).await?;
    for item in days.iter_mut().flat_map(|d| d.items.iter_mut()) {
        item.channels = channels.remove(&item.post_id).unwrap_or_default();
    }
    let weeks: Vec<&[Day]> = days.chunks(7).collect();
    let step = |forward: bool| -> String {
        let target = if week {
            if forward {
                anchor + Duration::days(7)
            } else {
                anchor - Duration::days(7)
            }
        } else if forward {
            focus_end
        } else {
            (focus_start - Duration::days(1))
                .replace_day(1)
                .unwrap_or(focus_start)
        };
        target.to_string()
    };
    let mut ctx = state.context(&v);
    ctx.insert("weeks", &weeks);
    ctx.insert("week_view", &week);
    ctx.insert("anchor", &anchor.to_string());
    ctx.insert("month", &(focus_start.month() as u8));
    ctx.insert("year", &focus_start.year());
    ctx.insert("prev", &step(false));
    ctx.insert("next", &step(true));
    ctx.insert("today", &today.to_string());
    ctx.insert(
        "weekdays",
        &[
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
            Weekday::Saturday,
            Weekday::Sunday,
        ]
        .map(|w| w.number_from_monday()),
    );
    ctx.insert(
        "f",
        &serde_json::json!({
            "campaign": q.campaign.unwrap_or_default(), "unit": filter.unit_code, "channel": filter.channel,
            "dimension": filter.dimension,
        }),
    );
    ctx.insert("filter_qs", &filter_query(&filter));
    ctx.insert("campaign_id", &filter.campaign_id);
    ctx.insert("channels", &Channel::ALL.map(|c| c.as_str()));
    ctx.insert(
        "campaigns",
        &state
            .store
            .list_campaigns(
                &Default::default(),
                scope.as_ref().map(|s| s.code.as_str()),
                200,
                0,
            )
            .await?
            .0,
    );
    ctx.insert("units", &super::campaigns::reporting_units(&state).await?);
    ctx.insert("dimensions", &state.store.papi_dimensions().await?);
    Ok(state.page("calendar.html", &ctx)?.into_response())
}

/// Moves a scheduled post. The form sends `scheduled_at` (date and time); a drag sends `date`
/// and keeps the time of day. A script asking for JSON gets JSON back.
async fn reschedule(
    State(state): State<AppState>,
    v: Visitor,
    headers: HeaderMap,
    Path(id): Path<i64>,
    RawForm(body): RawForm,
) -> AppResult<Response> {
    let user = v.user()?.clone();
    let wants_json = headers
        .get("accept")
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("application/json"));
    let pairs = pairs(&body);
    let field = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let version: i64 = field("version")
        .parse()
        .map_err(|_| AppError::BadRequest("err_bad_request"))?;
    let post = crate::app::scope::readable_post(&state.store, &user, id).await?;
    let at = if !field("date").is_empty() {
        let time_of_day = post
            .scheduled_at
            .map(hanoi_input_value)
            .and_then(|v| v.get(11..).map(str::to_string))
            .unwrap_or_else(|| "08:00".into());
        parse_hanoi_time("date", &format!("{}T{}", field("date"), time_of_day))
    } else {
        parse_hanoi_time("scheduled_at", &field("scheduled_at"))
    };
    let outcome = match at {
        Ok(at) => crate::app::posts::reschedule(&state, &user, id, version, at).await,
        Err(e) => Err(crate::app::Refused::Invalid(vec![e])),
    };
    let errors = match outcome {
        Ok(done) if wants_json => {
            return Ok(
                axum::Json(serde_json::json!({"ok": true, "version": done.version}))
                    .into_response(),
            );
        }
        Ok(_) => {
            return Ok(
                Redirect::to(&format!("/posts/{id}?notice=post_rescheduled")).into_response(),
            );
        }
        Err(crate::app::Refused::Stale) => vec![FieldError::new("scheduled_at", "err_stale")],
        Err(refused) => refused.into_errors()?,
    };
    let status = if errors.iter().any(|e| e.key == "err_stale") {
        StatusCode::CONFLICT
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let messages: Vec<String> = errors
        .iter()
        .map(|e| state.i18n.field_error(v.lang, e))
        .collect();
    if wants_json {
        return Ok((
            status,
            axum::Json(serde_json::json!({"ok": false, "errors": messages})),
        )
            .into_response());
    }
    let mut ctx = state.context(&v);
    ctx.insert("messages", &messages);
    ctx.insert("back", &format!("/posts/{id}"));
    Ok(state
        .page_with_status(status, "form_errors.html", &ctx)?
        .into_response())
}

/// The filters as `&key=value…`, appended to every navigation link.
fn filter_query(filter: &PostFilter) -> String {
    let mut qs = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("campaign", filter.campaign_id.map(|c| c.to_string())),
        ("unit", filter.unit_code.clone()),
        ("channel", filter.channel.clone()),
        ("dimension", filter.dimension.clone()),
    ] {
        if let Some(v) = v {
            qs.append_pair(k, &v);
        }
    }
    let qs = qs.finish();
    if qs.is_empty() { qs } else { format!("&{qs}") }
}
