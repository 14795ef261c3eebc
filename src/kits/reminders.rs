//! Reminders to units late with a kit: in-app to each of their staff, and an e-mail to the
//! unit's address when SMTP is configured.

use super::{fill, values_for_unit};
use crate::i18n::{I18n, Lang};
use crate::mail::{Mailer, Message};
use crate::store::{Kit, Store, StoreResult};

/// Tells a late unit: a notification to each of its staff, and an e-mail to the unit's
/// address when SMTP is configured and the unit has one. A failed e-mail is logged; the
/// in-app reminder stands.
pub async fn remind(
    store: &Store,
    mailer: Option<&Mailer>,
    i18n: &I18n,
    kit: &Kit,
    unit_id: i64,
) -> StoreResult<bool> {
    let deadline = crate::clock::format_hanoi(kit.deadline_at);
    let title = fill(&kit.title, &values_for_unit(store, unit_id).await?);
    let args = serde_json::json!({"title": title, "deadline": deadline});
    let link = format!("/kits/{}/share", kit.kit_id);
    store
        .notify_unit(unit_id, "kit_overdue", "notice_kit_overdue", &args, &link)
        .await?;
    let (Some(mailer), Some(to)) = (mailer, store.unit_fields(unit_id).await?.remove("email"))
    else {
        return Ok(false);
    };
    let vars = [("title", title), ("deadline", deadline)];
    let text = |lang| i18n.format(lang, "notice_kit_overdue", &vars);
    let msg = Message {
        to,
        subject: format!(
            "{} / {}",
            i18n.text(Lang::Vi, "mail_kit_overdue_subject"),
            i18n.text(Lang::En, "mail_kit_overdue_subject")
        ),
        body: format!("{}\n\n{}\n", text(Lang::Vi), text(Lang::En)),
    };
    match mailer.send(&msg).await {
        Ok(()) => Ok(true),
        Err(e) => {
            tracing::warn!(error.cause_chain = ?e, kit = kit.kit_id, unit = unit_id, "reminder e-mail not sent");
            Ok(false)
        }
    }
}

/// The worker's step: reminds each late unit of each open kit once. Returns reminders sent.
pub async fn send_due_reminders(
    store: &Store,
    mailer: Option<&Mailer>,
    i18n: &I18n,
    now: i64,
) -> StoreResult<u64> {
    let mut sent = 0;
    for (kit_id, unit_id) in store.claim_overdue_reminders(now).await? {
        let kit = store.kit(kit_id).await?;
        remind(store, mailer, i18n, &kit, unit_id).await?;
        sent += 1;
    }
    Ok(sent)
}
