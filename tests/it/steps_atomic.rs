//! One transaction per step. A fault injected before any write of unschedule, cancel,
//! reschedule, a kit share or a delivery decision leaves the old state whole; the same step
//! without the fault leaves the new state whole; and whatever a delivery row says, the
//! dispatcher never sends a post that is not in a sendable state.

use loa::app::Refused;
use loa::app::kits::{Mode, ShareInput, Shared};
use loa::app::posts::Move;
use loa::content::{Action, PostStatus};
use loa::sandbox;
use loa::states::{DeliveryState, KitStatus};
use loa::store::User;

use crate::both;
use crate::helpers::{Backend, TestApp};
use crate::kits::{approved_city_post, make_kit, unit_id};
use crate::publishing::{connect, publisher, scheduled_posts};

async fn officer(app: &TestApp, name: &str) -> User {
    let id = app.create_user(name, "officer", "").await;
    app.state.store.user_by_id(id).await.unwrap()
}

async fn post_count(app: &TestApp) -> i64 {
    let none = Default::default();
    app.state
        .store
        .list_posts(&none, None, 1, 0)
        .await
        .unwrap()
        .1
}

/// What the crash tests compare: the post's status and version, its deliveries' states.
async fn snapshot(app: &TestApp, post: i64) -> (PostStatus, i64, Option<i64>, Vec<DeliveryState>) {
    let p = app.state.store.post(post).await.unwrap();
    let d = app.state.store.deliveries_of_post(post).await.unwrap();
    let mut states: Vec<_> = d.iter().map(|d| d.state).collect();
    states.sort_by_key(|s| s.as_str());
    (p.status, p.version, p.scheduled_at, states)
}

/// Runs `step` with a fault at the 1st, 2nd, … write until it runs through; every faulted
/// run must leave `before` exactly. Returns how many write points the step has.
async fn each_fault<F, Fut>(app: &TestApp, post: i64, step: F) -> u32
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(), Refused>>,
{
    let before = snapshot(app, post).await;
    for n in 1..50 {
        app.state.store.faults().fail_at_write(n);
        let result = step().await;
        if app.state.store.faults().remaining() > 0 {
            app.state.store.faults().fail_at_write(0);
            assert!(result.is_ok(), "without a fault the step runs: {result:?}");
            return n - 1;
        }
        assert!(result.is_err(), "a fault at write {n} fails the step");
        assert_eq!(
            snapshot(app, post).await,
            before,
            "a fault at write {n} left the old state"
        );
    }
    unreachable!("a step with 50 writes")
}

async fn a_fault_anywhere_in_a_step_leaves_the_old_state_or_the_new(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hook = sandbox::webhook::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    connect(&app, &hook, None).await;
    let user = officer(&app, "thuha").await;
    let ids = scheduled_posts(&app, 3, &["webhook"]).await;
    for id in &ids {
        // Due in an hour, so the new time of a reschedule is in the future too.
        let mut tx = app.state.store.begin().await.unwrap();
        tx.schedule_deliveries(*id, loa::clock::now_ms() + 3_600_000)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    for (id, action) in [(ids[0], Action::Unschedule), (ids[1], Action::Cancel)] {
        let writes = each_fault(&app, id, || async {
            let version = app.state.store.post(id).await.unwrap().version;
            let input = Move {
                version,
                ..Move::default()
            };
            loa::app::posts::transition(&app.state, &user, id, action, &input)
                .await
                .map(|_| ())
        })
        .await;
        assert!(
            writes >= 3,
            "{action:?}: move, history, deliveries, audit ({writes})"
        );
        let (status, _, _, states) = snapshot(&app, id).await;
        assert_ne!(status, PostStatus::Scheduled);
        assert!(
            states.iter().all(|s| *s == DeliveryState::Cancelled),
            "{states:?}"
        );
    }

    let at = loa::clock::now_ms() + 2 * 3_600_000;
    let writes = each_fault(&app, ids[2], || async {
        let version = app.state.store.post(ids[2]).await.unwrap().version;
        loa::app::posts::reschedule(&app.state, &user, ids[2], version, at)
            .await
            .map(|_| ())
    })
    .await;
    assert!(
        writes >= 3,
        "reschedule: time, history, deliveries, audit ({writes})"
    );
    let deliveries = app.state.store.deliveries_of_post(ids[2]).await.unwrap();
    assert!(
        deliveries.iter().all(|d| d.due_at == at),
        "deliveries moved with the post"
    );
    assert_eq!(
        app.state.store.post(ids[2]).await.unwrap().scheduled_at,
        Some(at)
    );
}
both!(a_fault_anywhere_in_a_step_leaves_the_old_state_or_the_new);

async fn a_fault_in_a_share_leaves_no_local_version(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let officer_page = app.logged_in("lan", "officer", "").await;
    let (_, pid) = approved_city_post(&officer_page, &app).await;
    let staff_id = app.create_user("quan4", "district", "004").await;
    let unit = unit_id(&app, "004").await;
    let fb = sandbox::facebook::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let account = connect(&app, &fb, Some(unit)).await;
    let kit = make_kit(&officer_page, &app, pid, &["004"]).await;
    let staff = app.state.store.user_by_id(staff_id).await.unwrap();
    // The master asks for the unit's hotline.
    let hotline = [("hotline".to_string(), "024 3823 0000".to_string())];
    app.state
        .store
        .set_unit_fields(unit, &hotline, staff_id, &Default::default())
        .await
        .unwrap();
    let view = loa::app::kits::share_view(&app.state.store, &staff, kit)
        .await
        .unwrap();
    assert_eq!(view.kit.status, KitStatus::Open);
    let input = ShareInput {
        title: view.title.clone(),
        body: view.body.clone(),
        mode: Mode::Now,
        scheduled_at: String::new(),
        accounts: vec![account],
        once: loa::app::Once::from_field("chia-se-mot-lan-0123456789"),
    };
    let posts_before = post_count(&app).await;
    let mut n = 1;
    loop {
        app.state.store.faults().fail_at_write(n);
        let result = loa::app::kits::share(&app.state, &staff, kit, &input).await;
        if app.state.store.faults().remaining() > 0 {
            app.state.store.faults().fail_at_write(0);
            assert!(matches!(result, Ok(Shared::Created { .. })), "{result:?}");
            break;
        }
        assert!(result.is_err(), "a fault at write {n} fails the share");
        let target = app
            .state
            .store
            .kit_target(kit, unit)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            target.local_post_id, None,
            "fault at write {n}: the kit is not bound"
        );
        let posts = app
            .state
            .store
            .list_posts(&Default::default(), None, 1, 0)
            .await
            .unwrap()
            .1;
        assert_eq!(
            posts, posts_before,
            "fault at write {n}: no post left behind"
        );
        n += 1;
    }
    assert!(
        n >= 5,
        "post, variant, accounts, binding, deliveries, audit, key ({n})"
    );
    // The same form again answers with the first share.
    let again = loa::app::kits::share(&app.state, &staff, kit, &input).await;
    assert!(matches!(again, Ok(Shared::Repeat { .. })), "{again:?}");
    let posts = post_count(&app).await;
    assert_eq!(posts, posts_before + 1);
}
both!(a_fault_in_a_share_leaves_no_local_version);

/// A delivery row that says "pending" is not enough: its post must be scheduled (or already
/// publishing). Rows written by hand, by an old version, or by a half-done step are refused.
async fn the_dispatcher_refuses_a_delivery_whose_post_is_not_scheduled(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let hook = sandbox::webhook::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    connect(&app, &hook, None).await;
    let ids = scheduled_posts(&app, 3, &["webhook"]).await;
    // Post 0 cancelled and post 1 back to approved behind the deliveries' back (the old
    // two-transaction steps could leave exactly this); post 2 stays scheduled.
    let user = officer(&app, "thuha").await;
    for (id, to) in [
        (ids[0], PostStatus::Cancelled),
        (ids[1], PostStatus::Approved),
    ] {
        let p = app.state.store.post(id).await.unwrap();
        let mut tx = app.state.store.begin().await.unwrap();
        let step = loa::store::Step {
            action: "test",
            actor: Some(user.user_id),
            comment: "",
            scheduled_at: None,
        };
        tx.move_post(id, p.version, (p.status, to), &step)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    let p = publisher(&app, "w1");
    let mut now = loa::clock::now_ms();
    for _ in 0..20 {
        p.step(now).await.unwrap();
        now += 60_000;
    }
    for id in &ids[..2] {
        let d = app.state.store.deliveries_of_post(*id).await.unwrap();
        assert!(
            d.iter()
                .all(|d| d.state == DeliveryState::Pending && d.sends == 0),
            "{d:?}"
        );
    }
    let d = app.state.store.deliveries_of_post(ids[2]).await.unwrap();
    assert!(
        d.iter().all(|d| d.state == DeliveryState::Published),
        "{d:?}"
    );
    assert_eq!(
        crate::publishing_crash::stored_webhooks(&hook).await,
        1,
        "only the scheduled post reached the channel"
    );
}
both!(the_dispatcher_refuses_a_delivery_whose_post_is_not_scheduled);
