//! After a failed save every error is tied to its control (`aria-invalid` + `aria-describedby`,
//! a fieldset for a checkbox group) and listed in the error summary at the top: the editor's
//! per-channel fields, the campaign form's checkbox groups, uploads and the share page.

use crate::helpers::{Backend, TestApp, campaign_form, hanoi_day};

/// The opening tag of the element with `id` (its attributes), from a page's HTML.
fn tag<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element #{id}"));
    let start = html[..at].rfind('<').unwrap();
    let end = at + html[at..].find('>').unwrap();
    &html[start..=end]
}

fn tied(html: &str, control: &str, error: &str) {
    let t = tag(html, control);
    assert!(
        t.contains("aria-invalid=\"true\"") || t.starts_with("<fieldset"),
        "{control} is not marked invalid: {t}"
    );
    assert!(
        t.split("aria-describedby=\"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .is_some_and(|ids| ids.split(' ').any(|i| i == error)),
        "{control} does not point at #{error}: {t}"
    );
    assert!(html.contains(&format!("id=\"{error}\"")), "no #{error}");
    assert!(
        html.contains(&format!("href=\"#{error}\"")),
        "the error summary does not link #{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_failed_form_ties_its_errors_to_the_fields() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let officer = app.logged_in("lan", "officer", "").await;
    let cid = crate::posts::campaign(&app, &officer).await;

    // A per-channel field over its limit.
    let long = "Minh bạch. ".repeat(500);
    let page = officer
        .post_pairs(
            &format!("/campaigns/{cid}/posts/new"),
            &crate::posts::post_form(
                "Quá dài",
                &[("v_telegram_body", &long), ("v_telegram_edited", "1")],
            ),
        )
        .await;
    assert_eq!(page.status, 422);
    assert!(page.body.contains("id=\"error-summary\" role=\"alert\""));
    tied(&page.body, "v-telegram-body", "e-variant_telegram_body");

    // The campaign form's checkbox groups, with nothing ticked.
    let mut form = campaign_form("Không chọn gì", &hanoi_day(0), &hanoi_day(30));
    form.retain(|(k, _)| k != "dimension" && k != "target" && !k.starts_with("kpi_"));
    let page = officer.post_pairs("/campaigns/new", &form).await;
    assert_eq!(page.status, 422, "{}", page.body);
    let fieldset = |body: &str, e: &str| {
        let at = body
            .find(&format!("aria-describedby=\"{e}\""))
            .unwrap_or_else(|| panic!("nothing points at #{e}"));
        assert!(
            body[..at]
                .rfind('<')
                .is_some_and(|s| body[s..].starts_with("<fieldset"))
        );
        assert!(body.contains(&format!("href=\"#{e}\"")));
    };
    fieldset(&page.body, "e-dimension");
    fieldset(&page.body, "e-target");

    // An upload without a file.
    let page = officer
        .post_multipart(
            "/media",
            reqwest::multipart::Form::new().text("alt_text", "Ảnh"),
        )
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    tied(&page.body, "f-file", "e-file");

    // The share page: declining without a reason.
    let (_, pid) = crate::kits::approved_city_post(&officer, &app).await;
    let kit = crate::kits::make_kit(&officer, &app, pid, &["004"]).await;
    let staff = app.logged_in("hoa", "district", "004").await;
    let page = staff
        .post(&format!("/kits/{kit}/decline"), &[("reason", " ")])
        .await;
    assert_eq!(page.status, 422, "{}", page.body);
    tied(&page.body, "f-reason", "e-reason");
}
