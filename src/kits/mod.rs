//! Share-kit rules shared by the pages, the worker and the tests: filling template fields for a
//! unit, validating a unit's local fields, the officer's edit limits, each target unit's state,
//! and reminders (in-app always, e-mail when SMTP is configured; see `reminders`).

use crate::states::KitUnitState;
use std::collections::BTreeMap;

mod reminders;

pub use reminders::{remind, send_due_reminders};

use crate::domain::FieldError;
use crate::store::{Area, Kit, KitTarget, Store, StoreResult};

/// A unit's local fields that staff keep (names as used in templates: `{hotline}`).
pub const LOCAL_FIELDS: [&str; 3] = ["hotline", "address", "email"];

/// Every template field and what fills it, in the order the share page explains them.
pub const TEMPLATE_FIELDS: [&str; 6] = ["unit", "district", "ward", "hotline", "address", "email"];

/// Vietnamese names of the template fields, accepted everywhere the English ones are: staff
/// write `{duong_day_nong}` as naturally as `{hotline}`.
pub const ALIASES: [(&str, &str); 6] = [
    ("unit", "don_vi"),
    ("district", "quan_huyen"),
    ("ward", "phuong_xa"),
    ("hotline", "duong_day_nong"),
    ("address", "dia_chi"),
    ("email", "email"),
];

/// The template field a name stands for (`{dia_chi}` is `{address}`), if any.
pub fn canonical(name: &str) -> Option<&'static str> {
    ALIASES
        .iter()
        .find(|(en, vi)| *en == name || *vi == name)
        .map(|(en, _)| *en)
}

/// The Vietnamese name of a template field.
pub fn alias(name: &str) -> &'static str {
    ALIASES
        .iter()
        .find(|(en, _)| *en == name)
        .map_or("", |(_, vi)| *vi)
}

/// The values of the template fields for one unit. `{ward}` is only known for a ward or
/// commune; a district's staff must write it out themselves (or the kit cannot be shared).
pub fn template_values(
    unit: &Area,
    parent: Option<&Area>,
    fields: &BTreeMap<String, String>,
) -> BTreeMap<String, String> {
    let mut values = BTreeMap::new();
    values.insert("unit".to_string(), unit.name.clone());
    let district = match (unit.level.as_str(), parent) {
        ("commune", Some(p)) if p.level == "district" => p.name.clone(),
        _ => unit.name.clone(),
    };
    values.insert("district".to_string(), district);
    if unit.level == "commune" {
        values.insert("ward".to_string(), unit.name.clone());
    }
    for name in LOCAL_FIELDS {
        if let Some(v) = fields.get(name).filter(|v| !v.trim().is_empty()) {
            values.insert(name.to_string(), v.clone());
        }
    }
    values
}

/// The template values of a unit, read from the store.
pub async fn values_for_unit(store: &Store, unit_id: i64) -> StoreResult<BTreeMap<String, String>> {
    let unit = store.area_by_id(unit_id).await?;
    let parent = match &unit.parent_code {
        Some(code) => store.area_by_code(&unit.snapshot, code).await.ok(),
        None => None,
    };
    let fields = store.unit_fields(unit_id).await?;
    Ok(template_values(&unit, parent.as_ref(), &fields))
}

/// Replaces every `{name}` (or its Vietnamese alias) that has a value; unknown or empty fields
/// stay as written.
pub fn fill(text: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = text.to_string();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
        let vi = alias(name);
        if !vi.is_empty() && vi != name {
            out = out.replace(&format!("{{{vi}}}"), value);
        }
    }
    out
}

/// Template fields still present in a text: `{` + letters, digits or `_` + `}`.
pub fn unfilled(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        rest = &rest[open + 1..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && rest[name.len()..].starts_with('}') {
            let field = format!("{{{name}}}");
            if !found.contains(&field) {
                found.push(field);
            }
        }
    }
    found
}

/// Checks a unit's local fields; every problem names its field and the format expected.
pub fn check_local_fields(fields: &[(String, String)]) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (name, value) in fields {
        let v = value.trim();
        if v.is_empty() {
            continue;
        }
        let (ok, key) = match name.as_str() {
            "hotline" => {
                let digits = v.chars().filter(char::is_ascii_digit).count();
                let ok = v.chars().count() <= 30
                    && (3..=15).contains(&digits)
                    && v.chars()
                        .all(|c| c.is_ascii_digit() || " +-.()".contains(c));
                (ok, "err_hotline_invalid")
            }
            "address" => (
                v.chars().count() <= 200 && !v.chars().any(char::is_control),
                "err_address_invalid",
            ),
            "email" => (crate::mail::valid_address(v), "err_email_invalid"),
            _ => (false, "err_local_field_invalid"),
        };
        if !ok {
            errors.push(FieldError::new(name, key).arg("value", v));
        }
    }
    errors
}

/// Why a template field is still in a unit's text, as an error on `field` (title or body):
/// a local field the unit has not filled in yet, a ward a district cannot know, or a name
/// that is no template field at all (a typo).
pub fn unfilled_error(field: &str, name: &str) -> FieldError {
    let bare = name.trim_matches(|c| c == '{' || c == '}');
    let key = match canonical(bare) {
        Some(f) if LOCAL_FIELDS.contains(&f) => "err_kit_unfilled",
        Some("ward") => "err_kit_unfilled_ward",
        Some(_) => "err_kit_unfilled_other",
        None => "err_kit_unknown_field",
    };
    FieldError::new(field, key).arg("name", name)
}

/// Whether any field left in these texts is a local field the unit can fill in on its page.
pub fn needs_local_fields<'a>(names: impl IntoIterator<Item = &'a String>) -> bool {
    names.into_iter().any(|n| {
        canonical(n.trim_matches(|c| c == '{' || c == '}'))
            .is_some_and(|f| LOCAL_FIELDS.contains(&f))
    })
}

/// What the officer allows a unit to change, checked against the unit's filled master text.
pub fn check_edits(
    kit: &Kit,
    (master_title, master_body): (&str, &str),
    (title, body): (&str, &str),
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if !kit.allow_title && title.trim() != master_title.trim() {
        errors.push(FieldError::new("title", "err_kit_title_locked"));
    }
    if !kit.allow_body && body.trim() != master_body.trim() {
        errors.push(FieldError::new("body", "err_kit_body_locked"));
    }
    if let Some(max) = kit.max_length
        && body.trim().chars().count() as i64 > max
    {
        errors.push(FieldError::new("body", "err_kit_too_long").arg("max", max));
    }
    for (field, text) in [("title", title), ("body", body)] {
        for name in unfilled(text) {
            errors.push(unfilled_error(field, &name));
        }
    }
    errors
}

/// A target unit's state as the cascade view shows it.
pub fn unit_state(kit: &Kit, t: &KitTarget, now: i64) -> KitUnitState {
    use crate::content::PostStatus as S;
    let open = kit.status == crate::states::KitStatus::Open;
    match t.local_status {
        Some(S::Published | S::PartiallyPublished) => return KitUnitState::Published,
        Some(S::Scheduled | S::Publishing) if open => return KitUnitState::Scheduled,
        _ => {}
    }
    if !open {
        return KitUnitState::Withdrawn;
    }
    if t.declined_at.is_some() {
        return KitUnitState::Declined;
    }
    if now > kit.deadline_at {
        return KitUnitState::Overdue;
    }
    match t.local_status {
        Some(s) if s != S::Cancelled => KitUnitState::Adapted,
        _ if t.opened_at.is_some() => KitUnitState::Opened,
        _ => KitUnitState::NotOpened,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_fill_and_leftovers_are_named() {
        let mut v = BTreeMap::new();
        v.insert("district".to_string(), "Quận Ba Đình".to_string());
        let text = fill("Bà con {district} gọi {hotline} hoặc {ward}; {x y} {}", &v);
        assert_eq!(
            text,
            "Bà con Quận Ba Đình gọi {hotline} hoặc {ward}; {x y} {}"
        );
        assert_eq!(unfilled(&text), vec!["{hotline}", "{ward}"]);
    }

    #[test]
    fn vietnamese_aliases_fill_like_the_english_names_and_leftovers_say_why() {
        let mut v = BTreeMap::new();
        v.insert("hotline".to_string(), "024 3823 4567".to_string());
        v.insert("unit".to_string(), "Quận Ba Đình".to_string());
        let text = fill(
            "{don_vi}: gọi {duong_day_nong} hoặc {hotline}, {dia_chi}",
            &v,
        );
        assert_eq!(
            text,
            "Quận Ba Đình: gọi 024 3823 4567 hoặc 024 3823 4567, {dia_chi}"
        );
        assert_eq!(unfilled_error("body", "{dia_chi}").key, "err_kit_unfilled");
        assert_eq!(
            unfilled_error("body", "{phuong_xa}").key,
            "err_kit_unfilled_ward"
        );
        assert_eq!(
            unfilled_error("body", "{hotlin}").key,
            "err_kit_unknown_field"
        );
        assert!(needs_local_fields(&["{dia_chi}".to_string()]));
        assert!(!needs_local_fields(&["{ward}".to_string()]));
    }

    #[test]
    fn every_unit_state_follows_from_the_rows() {
        let kit = Kit {
            kit_id: 1,
            post_id: 1,
            campaign_id: 1,
            campaign_title: String::new(),
            title: String::new(),
            deadline_at: 1_000,
            hints: String::new(),
            allow_title: true,
            allow_body: true,
            max_length: None,
            status: crate::states::KitStatus::Open,
            created_by: 1,
            created_at: 0,
            withdrawn_at: None,
        };
        let row = KitTarget {
            kit_id: 1,
            unit_id: 1,
            unit_code: "001".into(),
            unit_name: String::new(),
            opened_at: None,
            declined_at: None,
            decline_reason: String::new(),
            local_post_id: None,
            local_status: None,
            local_title: None,
            shared_at: None,
            reminded_at: None,
        };
        let with = |f: &dyn Fn(&mut KitTarget)| {
            let mut t = row.clone();
            f(&mut t);
            t
        };
        assert_eq!(unit_state(&kit, &row, 500).as_str(), "not_opened");
        assert_eq!(
            unit_state(&kit, &with(&|t| t.opened_at = Some(1)), 500),
            KitUnitState::Opened
        );
        let local = |s: &'static str| {
            with(&move |t: &mut KitTarget| t.local_status = crate::content::PostStatus::parse(s))
        };
        assert_eq!(
            unit_state(&kit, &local("submitted"), 500).as_str(),
            "adapted"
        );
        assert_eq!(
            unit_state(&kit, &local("scheduled"), 500).as_str(),
            "scheduled"
        );
        assert_eq!(
            unit_state(&kit, &local("published"), 5_000).as_str(),
            "published"
        );
        assert_eq!(
            unit_state(&kit, &local("submitted"), 5_000).as_str(),
            "overdue"
        );
        assert_eq!(unit_state(&kit, &row, 5_000).as_str(), "overdue");
        assert_eq!(
            unit_state(&kit, &with(&|t| t.declined_at = Some(1)), 5_000),
            KitUnitState::Declined
        );
        let withdrawn = Kit {
            status: crate::states::KitStatus::Withdrawn,
            ..kit.clone()
        };
        assert_eq!(
            unit_state(&withdrawn, &local("scheduled"), 500),
            KitUnitState::Withdrawn
        );
        assert_eq!(
            unit_state(&withdrawn, &local("published"), 500),
            KitUnitState::Published
        );
    }

    #[test]
    fn local_fields_are_validated_by_name() {
        let ok = [
            ("hotline".to_string(), "024 3823 4567".to_string()),
            ("email".to_string(), "vp@badinh.hanoi.gov.vn".to_string()),
            ("address".to_string(), "25 Liễu Giai".to_string()),
        ];
        assert!(check_local_fields(&ok).is_empty());
        let bad = [
            ("hotline".to_string(), "gọi tôi".to_string()),
            ("email".to_string(), "không phải".to_string()),
        ];
        let errs = check_local_fields(&bad);
        assert_eq!(errs.len(), 2);
        assert_eq!(
            (errs[0].field.as_str(), errs[0].key),
            ("hotline", "err_hotline_invalid")
        );
        assert_eq!(errs[1].key, "err_email_invalid");
    }
}
