//! The store's contract, run on SQLite and PostgreSQL alike: what one backend does, the other
//! must do the same way.

use loa::domain::Role;
use loa::store::{AreaFilter, NewUser, Scope, Store, StoreError, UserFilter};

use crate::both;
use crate::helpers::{Backend, TestDb};

async fn store(backend: &Backend) -> (Store, TestDb) {
    let db = TestDb::new(backend).await;
    let store = Store::connect(&db.url, 4).await.unwrap();
    store.migrate().await.unwrap();
    loa::refdata::load_shipped(&store).await.unwrap();
    (store, db)
}

fn new_user<'a>(username: &'a str, role: Role, unit_id: Option<i64>) -> NewUser<'a> {
    NewUser {
        username,
        display_name: "Tên hiển thị",
        password_hash: "$argon2id$x",
        role,
        unit_id,
        must_change_password: false,
    }
}

async fn users_are_unique_and_filterable(backend: Backend) {
    let (store, _db) = store(&backend).await;
    let unit = store.area_by_code("2024", "001").await.unwrap();
    let id = store
        .create_user(&new_user("lan", Role::District, Some(unit.area_id)))
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_user(&new_user("lan", Role::Officer, None))
            .await,
        Err(StoreError::Conflict(_))
    ));
    let user = store.user_by_id(id).await.unwrap();
    assert_eq!(
        (
            user.role,
            user.unit_code.as_deref(),
            user.unit_snapshot.as_deref()
        ),
        (Role::District, Some("001"), Some("2024"))
    );
    store
        .create_user(&new_user("minh", Role::Manager, None))
        .await
        .unwrap();
    let (found, total) = store
        .list_users(
            &UserFilter {
                query: Some("LA".into()),
                role: None,
            },
            10,
            0,
        )
        .await
        .unwrap();
    assert_eq!(
        (found.len(), total, found[0].username.as_str()),
        (1, 1, "lan")
    );
    let (_, managers) = store
        .list_users(
            &UserFilter {
                query: None,
                role: Some(Role::Manager),
            },
            10,
            0,
        )
        .await
        .unwrap();
    assert_eq!(managers, 1);
    assert!(matches!(
        store.user_by_id(424242).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.set_user_disabled(424242, true).await,
        Err(StoreError::NotFound)
    ));
    // A unit that does not exist cannot be bound.
    assert!(matches!(
        store
            .create_user(&new_user("ghost", Role::District, Some(987654)))
            .await,
        Err(StoreError::Conflict(_))
    ));
}
both!(users_are_unique_and_filterable);

async fn sessions_expire_and_end_with_their_user(backend: Backend) {
    let (store, _db) = store(&backend).await;
    let id = store
        .create_user(&new_user("lan", Role::Officer, None))
        .await
        .unwrap();
    let now = loa::clock::now_ms();
    store
        .create_session("hash-a", id, "csrf-a", now + 1_000)
        .await
        .unwrap();
    store
        .create_session("hash-b", id, "csrf-b", now + 100_000)
        .await
        .unwrap();
    let s = store.session_user("hash-a").await.unwrap().unwrap();
    assert_eq!(
        (s.user.username.as_str(), s.csrf_token.as_str()),
        ("lan", "csrf-a")
    );
    assert!(s.user.last_login_at.is_some());
    assert_eq!(store.purge_expired_sessions(now + 2_000).await.unwrap(), 1);
    assert!(store.session_user("hash-a").await.unwrap().is_none());
    store
        .set_password(
            id,
            "$argon2id$new",
            false,
            Some("hash-b"),
            &Default::default(),
        )
        .await
        .unwrap();
    assert!(
        store.session_user("hash-b").await.unwrap().is_some(),
        "the current session survives a password change"
    );
    store.set_user_disabled(id, true).await.unwrap();
    assert!(
        store.session_user("hash-b").await.unwrap().is_none(),
        "disabling ends every session"
    );
}
both!(sessions_expire_and_end_with_their_user);

async fn login_failures_count_within_a_window(backend: Backend) {
    let (store, _db) = store(&backend).await;
    for at in [100, 200, 300] {
        store
            .record_login_failure("lan", "client", at)
            .await
            .unwrap();
    }
    assert_eq!(
        store.login_failures_since("lan", 150).await.unwrap(),
        (2, Some(200))
    );
    assert_eq!(
        store.login_failures_since("minh", 0).await.unwrap(),
        (0, None)
    );
    assert_eq!(store.purge_login_failures(250).await.unwrap(), 2);
    store.clear_login_failures("lan").await.unwrap();
    assert_eq!(store.login_failures_since("lan", 0).await.unwrap().0, 0);
}
both!(login_failures_count_within_a_window);

async fn areas_list_by_scope_level_and_search(backend: Backend) {
    let (store, _db) = store(&backend).await;
    let city = AreaFilter {
        level: Some("district".into()),
        ..Default::default()
    };
    let (districts, total) = store
        .list_areas("2024", &Scope::City, &city, 50, 0)
        .await
        .unwrap();
    assert_eq!((districts.len(), total), (30, 30));
    let ba_dinh = Scope::Unit {
        snapshot: "2024".into(),
        code: "001".into(),
    };
    let (own, total) = store
        .list_areas("2024", &ba_dinh, &AreaFilter::default(), 100, 0)
        .await
        .unwrap();
    assert_eq!(total, 15, "Ba Đình and its 14 wards");
    assert!(
        own.iter()
            .all(|a| a.code == "001" || a.parent_code.as_deref() == Some("001"))
    );
    let search = AreaFilter {
        query: Some("hoàn kiếm".into()),
        ..Default::default()
    };
    let (hits, _) = store
        .list_areas("2025-07", &Scope::City, &search, 10, 0)
        .await
        .unwrap();
    assert_eq!(
        hits.iter().map(|a| a.code.as_str()).collect::<Vec<_>>(),
        vec!["00070"]
    );
    let (none, zero) = store
        .list_areas("2024", &Scope::Nothing, &AreaFilter::default(), 10, 0)
        .await
        .unwrap();
    assert!(none.is_empty() && zero == 0);
    // Shipped data loads once: a second load changes no id.
    let before = store.area_by_code("2024", "001").await.unwrap().area_id;
    loa::refdata::load_shipped(&store).await.unwrap();
    assert_eq!(
        store.area_by_code("2024", "001").await.unwrap().area_id,
        before
    );
    assert_eq!(
        store.conversion_for("00070").await.unwrap().len(),
        15,
        "Phường Hoàn Kiếm: its own old code, and the wards merged into it"
    );
}
both!(areas_list_by_scope_level_and_search);

async fn settings_papi_and_audit_round_trip(backend: Backend) {
    let (store, _db) = store(&backend).await;
    assert_eq!(store.active_snapshot().await.unwrap(), "2024");
    store
        .set_setting(loa::store::ACTIVE_SNAPSHOT, "2025-07")
        .await
        .unwrap();
    store
        .set_setting(loa::store::ACTIVE_SNAPSHOT, "2025-01")
        .await
        .unwrap();
    assert_eq!(store.active_snapshot().await.unwrap(), "2025-01");
    assert_eq!(store.papi_dimensions().await.unwrap().len(), 37);
    let results = store.papi_results().await.unwrap();
    assert_eq!(
        results.iter().map(|r| r.year).collect::<Vec<_>>(),
        vec![2019, 2020, 2021, 2022, 2023, 2024]
    );
    assert_eq!(results[5].group_no, Some(2));
    assert_eq!(
        store
            .papi_scores()
            .await
            .unwrap()
            .iter()
            .filter(|s| s.year == 2023)
            .count(),
        8
    );
    store
        .audit(None, "setting_changed", "active_snapshot", "2024 → 2025-01")
        .await
        .unwrap();
    let (entries, total) = store.recent_audit(10, 0).await.unwrap();
    assert_eq!(
        (
            total,
            entries[0].action.as_str(),
            entries[0].actor_username.clone()
        ),
        (1, "setting_changed", None)
    );
}
both!(settings_papi_and_audit_round_trip);
