//! The rules for creating and changing accounts, shared by the admin pages and `loa user add`:
//! every field is checked and every problem reported before anything is written.

use crate::auth::{generate_password, hash_password_blocking};
use crate::domain::{FieldError, Role, Username, check_new_password, parse_display_name};
use crate::store::{NewUser, Store, StoreError, UserUpdate};

/// What a form or the CLI asks for; strings as typed.
#[derive(Debug, Default, Clone)]
pub struct AccountInput {
    pub username: String,
    pub display_name: String,
    pub role: String,
    /// Official code of the unit, for district staff only.
    pub unit_code: String,
    /// Empty: generate a one-time password that must be changed at first login.
    pub password: String,
}

#[derive(Debug)]
pub enum AccountError {
    Invalid(Vec<FieldError>),
    NotFound,
    Other(anyhow::Error),
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> AccountError {
        match e {
            StoreError::NotFound => AccountError::NotFound,
            e => AccountError::Other(e.into()),
        }
    }
}

pub struct Created {
    pub user_id: i64,
    /// Shown once, never stored in clear.
    pub one_time_password: Option<String>,
}

/// Validates the role and unit together: district staff need a unit of the active snapshot's
/// reporting level (a district, or a commune in a snapshot without districts); other roles
/// work for the whole city and take none.
async fn resolve_unit(
    store: &Store,
    role: Option<Role>,
    unit_code: &str,
    errs: &mut Vec<FieldError>,
) -> Result<Option<i64>, StoreError> {
    let code = unit_code.trim();
    match role {
        Some(Role::District) if code.is_empty() => {
            errs.push(FieldError::new("unit", "err_unit_required"));
            Ok(None)
        }
        Some(Role::District) => {
            let snapshot = store.active_snapshot().await?;
            let wanted = store.reporting_level(&snapshot).await?;
            let has_districts = wanted == "district";
            match store.area_by_code(&snapshot, code).await {
                Ok(a) if a.level == wanted => Ok(Some(a.area_id)),
                Ok(_) => {
                    errs.push(
                        FieldError::new(
                            "unit",
                            if has_districts {
                                "err_unit_not_district"
                            } else {
                                "err_unit_not_commune"
                            },
                        )
                        .arg("value", code),
                    );
                    Ok(None)
                }
                Err(StoreError::NotFound) => {
                    errs.push(
                        FieldError::new("unit", "err_unit_unknown")
                            .arg("value", code)
                            .arg("snapshot", snapshot),
                    );
                    Ok(None)
                }
                Err(e) => Err(e),
            }
        }
        Some(_) if !code.is_empty() => {
            errs.push(FieldError::new("unit", "err_unit_not_allowed"));
            Ok(None)
        }
        _ => Ok(None),
    }
}

/// The fields creating and editing share: display name, role and the unit that goes with it.
async fn profile_fields(
    store: &Store,
    input: &AccountInput,
    errs: &mut Vec<FieldError>,
) -> Result<(Option<String>, Option<Role>, Option<i64>), StoreError> {
    let display_name = parse_display_name("display_name", &input.display_name)
        .map_err(|e| errs.push(e))
        .ok();
    let role = Role::parse("role", &input.role)
        .map_err(|e| errs.push(e))
        .ok();
    let unit_id = resolve_unit(store, role, &input.unit_code, errs).await?;
    Ok((display_name, role, unit_id))
}

pub async fn create(
    store: &Store,
    actor: Option<i64>,
    input: &AccountInput,
) -> Result<Created, AccountError> {
    let mut errs = Vec::new();
    let username = Username::parse("username", &input.username)
        .map_err(|e| errs.push(e))
        .ok();
    let (display_name, role, unit_id) = profile_fields(store, input, &mut errs).await?;
    if !input.password.is_empty() {
        let name = username.as_ref().map(|u| u.as_str()).unwrap_or_default();
        if let Err(e) = check_new_password("password", &input.password, name) {
            errs.push(e);
        }
    }
    let (Some(username), Some(display_name), Some(role), true) =
        (username, display_name, role, errs.is_empty())
    else {
        return Err(AccountError::Invalid(errs));
    };
    let (password, one_time) = if input.password.is_empty() {
        let p = generate_password();
        (p.clone(), Some(p))
    } else {
        (input.password.clone(), None)
    };
    let hash = hash_password_blocking(password).await;
    let new = NewUser {
        username: username.as_str(),
        display_name: &display_name,
        password_hash: &hash,
        role,
        unit_id,
        must_change_password: one_time.is_some(),
    };
    let user_id = match store.create_user(&new).await {
        Ok(id) => id,
        Err(StoreError::Conflict(_)) => {
            return Err(AccountError::Invalid(vec![
                FieldError::new("username", "err_username_taken").arg("value", username.as_str()),
            ]));
        }
        Err(e) => return Err(e.into()),
    };
    let detail = format!("role={} unit={}", role.as_str(), input.unit_code.trim());
    store
        .audit(
            actor,
            "user_created",
            &format!("user:{}", username.as_str()),
            &detail,
        )
        .await?;
    Ok(Created {
        user_id,
        one_time_password: one_time,
    })
}

pub async fn update(
    store: &Store,
    actor: i64,
    user_id: i64,
    input: &AccountInput,
) -> Result<(), AccountError> {
    let current = store.user_by_id(user_id).await?;
    let mut errs = Vec::new();
    let (display_name, role, unit_id) = profile_fields(store, input, &mut errs).await?;
    if current.role == Role::Admin
        && role.is_some_and(|r| r != Role::Admin)
        && !current.disabled
        && store.count_active_admins().await? <= 1
    {
        errs.push(FieldError::new("role", "err_last_admin"));
    }
    let (Some(display_name), Some(role), true) = (display_name, role, errs.is_empty()) else {
        return Err(AccountError::Invalid(errs));
    };
    store
        .update_user(
            user_id,
            &UserUpdate {
                display_name: &display_name,
                role,
                unit_id,
            },
        )
        .await?;
    let detail = format!("role={} unit={}", role.as_str(), input.unit_code.trim());
    store
        .audit(
            Some(actor),
            "user_updated",
            &format!("user:{}", current.username),
            &detail,
        )
        .await?;
    Ok(())
}

/// Disabling ends the user's sessions at once. Nobody disables themselves or the last admin.
pub async fn set_disabled(
    store: &Store,
    actor: i64,
    user_id: i64,
    disabled: bool,
) -> Result<(), AccountError> {
    let target = store.user_by_id(user_id).await?;
    if disabled && actor == user_id {
        return Err(AccountError::Invalid(vec![FieldError::new(
            "user",
            "err_disable_self",
        )]));
    }
    if disabled
        && target.role == Role::Admin
        && !target.disabled
        && store.count_active_admins().await? <= 1
    {
        return Err(AccountError::Invalid(vec![FieldError::new(
            "user",
            "err_last_admin",
        )]));
    }
    store.set_user_disabled(user_id, disabled).await?;
    let action = if disabled {
        "user_disabled"
    } else {
        "user_enabled"
    };
    store
        .audit(
            Some(actor),
            action,
            &format!("user:{}", target.username),
            "",
        )
        .await?;
    Ok(())
}

/// A new one-time password; the user's sessions end and they must choose a password at login.
pub async fn reset_password(
    store: &Store,
    actor: i64,
    user_id: i64,
) -> Result<String, AccountError> {
    let target = store.user_by_id(user_id).await?;
    let password = generate_password();
    let hash = hash_password_blocking(password.clone()).await;
    let audit = crate::store::Effects::audited(
        Some(actor),
        "password_reset",
        &format!("user:{}", target.username),
        "",
    );
    store
        .set_password(user_id, &hash, true, None, &audit)
        .await?;
    Ok(password)
}
