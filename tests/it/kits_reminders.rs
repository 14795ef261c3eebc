//! The second half of the share-kit path (see `kits.rs`): share rates for the district report,
//! the worker's once-only reminders after the deadline (in-app and through the SMTP sink), an
//! officer's reminder on demand, and a withdrawal that cancels a scheduled local version.

use loa::publisher::Publisher;
use loa::sandbox::smtp::SmtpSink;
use loa::worker::Worker;

use crate::helpers::{TestApp, Visitor, id_from_location};
use crate::kits::{UNITS, make_kit};
use crate::kits_pages::{field_value, first_account, state_of, title_value};

pub struct Scene<'a> {
    pub app: &'a TestApp,
    pub officer: &'a Visitor,
    pub staff: &'a [Visitor],
    pub sink: &'a SmtpSink,
    pub kit: i64,
    pub pid: i64,
    pub publisher: &'a Publisher,
}

pub async fn rates_reminders_and_withdrawal(s: Scene<'_>) {
    let Scene {
        app,
        officer,
        staff,
        sink,
        kit,
        pid,
        publisher: p,
    } = s;
    // Share rates for the district report.
    let now = loa::clock::now_ms();
    let rates = app
        .state
        .store
        .share_rates(now - 86_400_000, now + 86_400_000)
        .await
        .unwrap();
    let summary: Vec<(String, i64, i64, i64)> = rates
        .iter()
        .map(|r| {
            (
                r.unit_code.clone(),
                r.kits_targeted,
                r.shared,
                r.shared_on_time,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("001".to_string(), 1, 1, 1),
            ("002".to_string(), 1, 1, 1),
            ("003".to_string(), 1, 0, 0),
            ("004".to_string(), 1, 0, 0),
            ("005".to_string(), 1, 0, 0),
        ]
    );
    // The district report shows them per unit (the deadline is within a day of now).
    let day = |ms: i64| loa::clock::to_hanoi(ms).date().to_string();
    let report = officer
        .get(&format!(
            "/reports?period=custom&from={}&to={}",
            day(now - 86_400_000),
            day(now + 86_400_000)
        ))
        .await;
    assert_eq!(report.status, 200);
    let row = |code: &str| {
        let at = report
            .body
            .find(&format!("<tr data-code=\"{code}\">"))
            .unwrap_or_else(|| panic!("row {code}"));
        let rest = &report.body[at..];
        rest[..rest.find("</tr>").unwrap()].to_string()
    };
    assert!(row("001").contains("1/1 <small>(1 "), "{}", row("001"));
    assert!(row("003").contains("0/1 <small>(0 "), "{}", row("003"));

    // Past the deadline the worker reminds the two silent units, once, across restarts.
    app.state
        .store
        .set_kit_deadline(kit, now - 60_000)
        .await
        .unwrap();
    let mailer = loa::mail::Mailer::from_config(&app.state.config);
    // Two instances run their step at the same moment: each late unit is claimed by one.
    let mut worker = Worker::new(mailer.clone(), None);
    let mut other = Worker::new(mailer.clone(), None);
    let (a, b) = tokio::join!(
        worker.run_once(&app.state.store, 15, now),
        other.run_once(&app.state.store, 15, now)
    );
    assert_eq!(a.unwrap().kit_reminders + b.unwrap().kit_reminders, 2);
    assert_eq!(
        worker
            .run_once(&app.state.store, 15, now + 60_000)
            .await
            .unwrap()
            .kit_reminders,
        0
    );
    let mut restarted = Worker::new(mailer, None);
    assert_eq!(
        restarted
            .run_once(&app.state.store, 15, now + 120_000)
            .await
            .unwrap()
            .kit_reminders,
        0
    );
    let mut to: Vec<String> = sink.messages().iter().flat_map(|m| m.to.clone()).collect();
    to.sort();
    assert_eq!(to, ["vanphong004@hanoi.gov.vn", "vanphong005@hanoi.gov.vn"]);
    assert!(sink.messages()[0].subject.contains("Bộ chia sẻ quá hạn"));
    assert!(
        sink.messages()
            .iter()
            .any(|m| m.body.contains("Ngân sách Quận Long Biên công khai")),
        "{:?}",
        sink.messages()
    );
    let notes = staff[3].get("/notifications").await;
    assert!(notes.body.contains("Nhắc việc"), "{}", notes.body);
    assert!(
        !staff[0]
            .get("/notifications")
            .await
            .body
            .contains("Nhắc việc"),
        "only the late are reminded"
    );
    let after = officer.get(&format!("/kits/{kit}")).await;
    let states: Vec<String> = UNITS.iter().map(|u| state_of(&after.body, u)).collect();
    assert_eq!(
        states,
        ["published", "published", "declined", "overdue", "overdue"]
    );
    // An officer may remind again on demand.
    assert!(
        officer
            .post(&format!("/kits/{kit}/remind"), &[])
            .await
            .redirects_to("/kits/")
    );
    assert_eq!(sink.messages().len(), 4);

    // Long Biên shares after all, late: it counts as shared, not as shared on time.
    let fb4 = loa::sandbox::facebook::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let long_bien = crate::kits::unit_id(app, "004").await;
    crate::publishing::connect(app, &fb4, Some(long_bien)).await;
    let page = staff[3].get(&format!("/kits/{kit}/share")).await;
    let late = staff[3]
        .post(
            &format!("/kits/{kit}/share"),
            &[
                ("title", title_value(&page.body).as_str()),
                (
                    "body",
                    &field_value(&page.body, "body").replace("{hotline}", "1022"),
                ),
                ("mode", "review"),
                ("account", &first_account(&page.body)),
            ],
        )
        .await;
    assert!(
        late.redirects_to("/posts/"),
        "{} {}",
        late.status,
        late.body
    );
    let late_post = id_from_location(&late, "/posts/");
    for action in ["approve", "schedule"] {
        let v = app
            .state
            .store
            .post(late_post)
            .await
            .unwrap()
            .version
            .to_string();
        let when = loa::posts::hanoi_input_value(loa::clock::now_ms() + 120_000);
        let page = officer
            .post(
                &format!("/posts/{late_post}/transition"),
                &[("action", action), ("version", &v), ("scheduled_at", &when)],
            )
            .await;
        assert!(page.redirects_to("/posts/"), "{action}: {}", page.body);
    }
    let rates = app
        .state
        .store
        .share_rates(now - 86_400_000, now + 86_400_000)
        .await
        .unwrap();
    let long_bien_rate = rates.iter().find(|r| r.unit_code == "004").unwrap();
    assert_eq!(
        (
            long_bien_rate.kits_targeted,
            long_bien_rate.shared,
            long_bien_rate.shared_on_time
        ),
        (1, 1, 0)
    );
    let cascade = officer.get(&format!("/kits/{kit}")).await.body;
    assert_eq!(state_of(&cascade, "004"), "scheduled");

    // A second kit: Ba Đình schedules its version for later; withdrawing cancels it and tells.
    // Ba Đình gets a second Facebook page; it will tick only its first one.
    let fb3 = loa::sandbox::facebook::spawn("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let ba_dinh = crate::kits::unit_id(app, "001").await;
    crate::publishing::connect(app, &fb3, Some(ba_dinh)).await;
    let kit2 = make_kit(officer, app, pid, &["001", "002"]).await;
    assert_eq!(
        staff[2].get(&format!("/kits/{kit2}/share")).await.status,
        404,
        "not a target"
    );
    let page = staff[0].get(&format!("/kits/{kit2}/share")).await;
    let body = field_value(&page.body, "body");
    let account = first_account(&page.body);
    let title = title_value(&page.body);
    let later = loa::posts::hanoi_input_value(loa::clock::now_ms() + 3_600_000);
    let scheduled = staff[0]
        .post(
            &format!("/kits/{kit2}/share"),
            &[
                ("title", &title),
                ("body", &body),
                ("mode", "at"),
                ("scheduled_at", &later),
                ("account", &account),
            ],
        )
        .await;
    assert!(
        scheduled.redirects_to("/posts/"),
        "{} {}",
        scheduled.status,
        scheduled.body
    );
    let local3 = id_from_location(&scheduled, "/posts/");
    assert_eq!(
        app.state.store.post(local3).await.unwrap().status.as_str(),
        "scheduled"
    );
    // The city's limits hold in the post editor too: the text may not outgrow 400 characters.
    let version = app
        .state
        .store
        .post(local3)
        .await
        .unwrap()
        .version
        .to_string();
    let mut form = crate::posts::post_form(&title, &[("version", &version)]);
    form.retain(|(k, _)| k != "body" && k != "channel");
    form.push(("body".into(), "Dài quá. ".repeat(60)));
    form.push(("channel".into(), "facebook".into()));
    let page = staff[0]
        .post_pairs(&format!("/posts/{local3}/edit"), &form)
        .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("dài hơn 400 ký tự"), "{}", page.body);
    assert_eq!(
        app.state.store.post(local3).await.unwrap().status.as_str(),
        "scheduled"
    );
    // Hoàn Kiếm shares its version as a local post: it waits for the city's review.
    let page = staff[1].get(&format!("/kits/{kit2}/share")).await;
    let review = staff[1]
        .post(
            &format!("/kits/{kit2}/share"),
            &[
                ("title", &title_value(&page.body)),
                ("body", &field_value(&page.body, "body")),
                ("mode", "review"),
                ("account", &first_account(&page.body)),
            ],
        )
        .await;
    assert!(
        review.redirects_to("/posts/"),
        "{} {}",
        review.status,
        review.body
    );
    let local4 = id_from_location(&review, "/posts/");
    assert_eq!(
        app.state.store.post(local4).await.unwrap().status.as_str(),
        "submitted"
    );
    assert!(
        app.state
            .store
            .deliveries_of_post(local4)
            .await
            .unwrap()
            .is_empty()
    );
    let cascade = officer.get(&format!("/kits/{kit2}")).await.body;
    let states: Vec<String> = ["001", "002"]
        .iter()
        .map(|u| state_of(&cascade, u))
        .collect();
    assert_eq!(states, ["scheduled", "adapted"]);
    let queue = officer.get("/posts?status=submitted").await;
    assert!(
        queue.body.contains(&format!("/posts/{local4}")),
        "officers see it to review"
    );
    assert!(
        officer
            .post(&format!("/kits/{kit2}/withdraw"), &[])
            .await
            .redirects_to("/kits/")
    );
    assert_eq!(
        app.state.store.post(local3).await.unwrap().status.as_str(),
        "cancelled"
    );
    assert_eq!(
        app.state.store.post(local4).await.unwrap().status.as_str(),
        "cancelled"
    );
    let history = staff[0].get(&format!("/posts/{local3}")).await;
    assert!(
        history.body.contains("bộ chia sẻ đã bị thu hồi"),
        "{}",
        history.body
    );
    p.step(loa::clock::now_ms() + 2 * 3_600_000).await.unwrap();
    let deliveries = app.state.store.deliveries_of_post(local3).await.unwrap();
    assert!(
        deliveries.len() == 1 && deliveries.iter().all(|d| d.state.as_str() == "cancelled"),
        "one delivery, to the one page chosen, cancelled: {deliveries:?}"
    );
    assert!(
        staff[0]
            .get("/notifications")
            .await
            .body
            .contains("thu hồi")
    );
    let withdrawn = staff[0]
        .post_pairs(&format!("/kits/{kit2}/share"), &[])
        .await;
    assert_eq!(withdrawn.status, 422, "a withdrawn kit cannot be shared");
}
