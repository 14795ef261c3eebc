//! Clicks reach the rollups by folds (see `store::clicklog`): each stored click is counted
//! exactly once, whichever writer stored it and whichever instance folds it, and a reader is
//! unique once per link and day across all of them.

use loa::engagement::clicks::NewClick;
use loa::store::{SqliteClickDriver, Store};

use crate::both;
use crate::helpers::{Backend, TestDb};

async fn open(url: &str) -> Store {
    let store = Store::connect(url, 4).await.unwrap();
    store.migrate().await.unwrap();
    store
}

/// (people, unique readers, robots) of a link in `click_daily`.
async fn daily(store: &Store, link: i64) -> (i64, i64, i64) {
    let sum = |column: &str| {
        format!(
            "select cast(coalesce(sum({column}), 0) as bigint) from click_daily where link_id = {link}"
        )
    };
    (
        store.scalar_generated(&sum("clicks")).await.unwrap(),
        store
            .scalar_generated(&sum("unique_visitors"))
            .await
            .unwrap(),
        store.scalar_generated(&sum("bot_clicks")).await.unwrap(),
    )
}

async fn clicks_fold_once_each_with_exact_readers(backend: Backend) {
    folds_exactly(backend, SqliteClickDriver::default()).await
}
both!(clicks_fold_once_each_with_exact_readers);

/// SQLite's click writer on its other driver, which `loa bench clicks --sqlite-writer sqlx`
/// measures: the same clicks, the same rollups.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sqlx_click_writer_stores_and_folds_the_same() {
    folds_exactly(Backend::Sqlite, SqliteClickDriver::Sqlx).await
}

async fn folds_exactly(backend: Backend, driver: SqliteClickDriver) {
    let db = TestDb::new(&backend).await;
    let store = open(&db.url).await.with_sqlite_click_driver(driver);
    loa::refdata::load_shipped(&store).await.unwrap();
    let now = loa::clock::now_ms();
    let today = loa::clock::to_hanoi(now).date();
    let (_, campaign) = loa::bench::bench_campaign(&store, &[], today, today)
        .await
        .unwrap();
    let destinations = [
        "https://hanoi.gov.vn/a".to_string(),
        "https://hanoi.gov.vn/b".to_string(),
    ];
    let mut links = Vec::new();
    for (slug, to) in store.plain_links(campaign, &destinations).await.unwrap() {
        let link = store.link_by_slug(&slug).await.unwrap().unwrap();
        links.push((to, link.link_id));
    }
    links.sort();
    let (l1, l2) = (links[0].1, links[1].1);
    let click = |link_id: i64, visitor: u64, bot: bool| NewClick {
        link_id,
        at: now,
        day: today.to_string(),
        referrer_host: String::new(),
        device: if bot { "bot" } else { "mobile" },
        bot,
        visitor,
    };

    // Two writers (on PostgreSQL, two numberings), groups interleaved.
    let a = store.new_click_writer().await.unwrap();
    let b = store.new_click_writer().await.unwrap();
    a.write(vec![
        click(l1, 1, false),
        click(l1, 1, false),
        click(l1, 99, true),
    ])
    .await
    .unwrap();
    b.write(vec![click(l1, 1, false), click(l2, 2, false)])
        .await
        .unwrap();
    let folded = store.fold_clicks().await.unwrap();
    if matches!(backend, Backend::Postgres(_)) {
        // Nothing folds behind the test's back on PostgreSQL (the worker's folds are off).
        assert_eq!(folded, 5, "the fold took all five clicks");
    } else {
        // SQLite's click writer also folds by itself in quiet moments: some of the five may
        // already be in when the test asks. Either way each counts once (totals below).
        assert!(folded <= 5, "{folded}");
    }
    assert_eq!(
        store.fold_clicks().await.unwrap(),
        0,
        "nothing is folded twice"
    );
    assert_eq!(daily(&store, l1).await, (3, 1, 1));
    assert_eq!(daily(&store, l2).await, (1, 1, 0));
    // Plain links are QR codes without a unit: the city's row at tier `top`.
    let report = |column: &str| {
        format!(
            "select cast(coalesce(sum({column}), 0) as bigint) from report_daily \
             where tier = 'top' and campaign_id = {campaign} and area_id = 0"
        )
    };
    assert_eq!(
        store.scalar_generated(&report("qr_scans")).await.unwrap(),
        4
    );
    assert_eq!(
        store
            .scalar_generated(&report("unique_visitors"))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store.scalar_generated(&report("bot_clicks")).await.unwrap(),
        1
    );

    // A returning reader and a new one; reading the total folds first.
    a.write(vec![click(l2, 2, false), click(l2, 3, false)])
        .await
        .unwrap();
    assert_eq!(store.click_rollup_total().await.unwrap(), 7);
    assert_eq!(store.click_count().await.unwrap(), 7);
    assert_eq!(daily(&store, l2).await, (3, 2, 0));

    if matches!(backend, Backend::Postgres(_)) {
        // A second instance on the same database folds its own writer's clicks and knows the
        // readers the first one counted; the first then learns of the second's.
        let other = open(&db.url).await;
        let c = other.new_click_writer().await.unwrap();
        c.write(vec![click(l1, 1, false), click(l1, 4, false)])
            .await
            .unwrap();
        assert_eq!(other.fold_clicks().await.unwrap(), 2);
        assert_eq!(daily(&store, l1).await, (5, 2, 1));
        a.write(vec![click(l1, 4, false)]).await.unwrap();
        assert_eq!(store.fold_clicks().await.unwrap(), 1);
        assert_eq!(daily(&store, l1).await, (6, 2, 1));
        // An instance folds its own clicks from memory and anyone else's from the database:
        // here the first folds the second's click, which the second then drops from memory,
        // folding only what follows (a returning reader the first counted, and a new one).
        c.write(vec![click(l2, 5, false)]).await.unwrap();
        assert_eq!(store.fold_clicks().await.unwrap(), 1);
        assert_eq!(daily(&store, l2).await, (4, 3, 0));
        c.write(vec![click(l2, 5, false), click(l2, 6, false)])
            .await
            .unwrap();
        assert_eq!(other.fold_clicks().await.unwrap(), 2);
        assert_eq!(store.fold_clicks().await.unwrap(), 0);
        assert_eq!(daily(&store, l2).await, (6, 4, 0));
        other.close().await;
    }
    store.close().await;
}
