//! Validated domain values. Each has a `parse` that either returns a value that is valid by
//! construction or a `FieldError` naming the field and a message key from the catalogs, so the
//! same rule answers a form, a CSV row and a CLI argument in the reader's language.

use serde::Serialize;

/// Whether `c` may appear in text sent to Loa: anything but the C0 controls and DEL, except
/// tab and line breaks, which multi-line text holds. PostgreSQL cannot store NUL at all and
/// SQLite would store it silently, so the web edge and the CSV import both refuse the rest.
pub fn allowed_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || !c.is_ascii_control()
}

/// Whether the text holds a character `allowed_char` refuses.
pub fn has_control(text: &str) -> bool {
    !text.chars().all(allowed_char)
}

/// One thing wrong with one field: a catalog key plus the values its message mentions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl FieldError {
    pub fn new(field: &str, key: &'static str) -> FieldError {
        FieldError {
            field: field.to_string(),
            key,
            args: Vec::new(),
        }
    }

    pub fn arg(mut self, name: &'static str, value: impl ToString) -> FieldError {
        self.args.push((name, value.to_string()));
        self
    }
}

/// What a person can do. District staff are the only role bound to a unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Manages accounts and settings.
    Admin,
    /// City communications: plans, approves and schedules.
    Officer,
    /// Bound to one unit; sees and changes only that unit's content.
    District,
    /// Reads everything, changes nothing.
    Manager,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Officer, Role::District, Role::Manager];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Officer => "officer",
            Role::District => "district",
            Role::Manager => "manager",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Role, FieldError> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == value.trim())
            .ok_or_else(|| FieldError::new(field, "err_role_unknown").arg("value", value))
    }

    /// The one role that cannot change anything.
    pub fn is_read_only(self) -> bool {
        self == Role::Manager
    }
}

/// A login name: 3–32 of a–z, 0–9, `.`, `_`, `-`, stored lower-case so `Lan` and `lan` are one user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(field: &str, value: &str) -> Result<Username, FieldError> {
        let v = value.trim().to_lowercase();
        let len = v.chars().count();
        if !(3..=32).contains(&len) {
            return Err(FieldError::new(field, "err_username_length"));
        }
        if !v
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'))
        {
            return Err(FieldError::new(field, "err_username_chars"));
        }
        Ok(Username(v))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A display name: 1–100 characters, any script.
pub fn parse_display_name(field: &str, value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    match v.chars().count() {
        0 => Err(FieldError::new(field, "err_required")),
        1..=100 => Ok(v.to_string()),
        _ => Err(FieldError::new(field, "err_too_long").arg("max", 100)),
    }
}

/// A new password: 10–128 characters and not the username. Length beats composition rules
/// (NIST SP 800-63B), and the upper bound keeps hashing cost bounded.
pub fn check_new_password(field: &str, password: &str, username: &str) -> Result<(), FieldError> {
    let len = password.chars().count();
    if len < 10 {
        return Err(FieldError::new(field, "err_password_short").arg("min", 10));
    }
    if len > 128 {
        return Err(FieldError::new(field, "err_too_long").arg("max", 128));
    }
    if password.trim().eq_ignore_ascii_case(username.trim()) {
        return Err(FieldError::new(field, "err_password_is_username"));
    }
    Ok(())
}

/// Levels of Viet Nam's administrative tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Province,
    District,
    Commune,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Province => "province",
            Level::District => "district",
            Level::Commune => "commune",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Level, FieldError> {
        match value.trim() {
            "province" => Ok(Level::Province),
            "district" => Ok(Level::District),
            "commune" => Ok(Level::Commune),
            _ => Err(FieldError::new(field, "err_level_unknown").arg("value", value)),
        }
    }

    /// Official codes are zero-padded: province 2 digits, district 3, commune 5.
    pub fn code_len(self) -> usize {
        match self {
            Level::Province => 2,
            Level::District => 3,
            Level::Commune => 5,
        }
    }
}

/// An official unit code (GSO/NSO): digits only, its length fixed by its level.
pub fn parse_unit_code(field: &str, value: &str, level: Level) -> Result<String, FieldError> {
    let v = value.trim();
    if v.len() != level.code_len() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(FieldError::new(field, "err_unit_code_format")
            .arg("value", v)
            .arg("digits", level.code_len()));
    }
    Ok(v.to_string())
}

/// A snapshot of the administrative map: `2024` (30 districts, 579 communes), `2025-01`
/// (30/526) and `2025-07` (126 communes, no district level); other provinces' imports may add
/// snapshots of the same shape.
pub fn parse_snapshot(field: &str, value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    let ok =
        (4..=16).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if ok {
        Ok(v.to_string())
    } else {
        Err(FieldError::new(field, "err_snapshot_format").arg("value", v))
    }
}

/// A syntactically plausible address: one `@`, a dot in the domain, no spaces or angle brackets
/// (which would let a value break out of an SMTP command).
pub fn valid_address(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && s.len() <= 254
        && !s
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '<' | '>' | ','))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lowercased_and_checked() {
        assert_eq!(
            Username::parse("u", " Lan.Nguyen ").unwrap().as_str(),
            "lan.nguyen"
        );
        assert_eq!(
            Username::parse("u", "ab").unwrap_err().key,
            "err_username_length"
        );
        assert_eq!(
            Username::parse("u", "lan nguyen").unwrap_err().key,
            "err_username_chars"
        );
        assert_eq!(
            Username::parse("u", "lân").unwrap_err().key,
            "err_username_chars"
        );
    }

    #[test]
    fn passwords_need_length_and_differ_from_the_username() {
        assert!(check_new_password("p", "mot-hai-ba-bon", "lan").is_ok());
        assert_eq!(
            check_new_password("p", "short", "lan").unwrap_err().key,
            "err_password_short"
        );
        assert_eq!(
            check_new_password("p", "LanNguyen01", "lannguyen01")
                .unwrap_err()
                .key,
            "err_password_is_username"
        );
        assert_eq!(
            check_new_password("p", &"x".repeat(129), "lan")
                .unwrap_err()
                .key,
            "err_too_long"
        );
    }

    #[test]
    fn unit_codes_follow_their_level() {
        assert_eq!(parse_unit_code("c", "001", Level::District).unwrap(), "001");
        assert!(parse_unit_code("c", "1", Level::District).is_err());
        assert!(parse_unit_code("c", "0000A", Level::Commune).is_err());
        assert!(parse_unit_code("c", "01", Level::Province).is_ok());
    }

    #[test]
    fn roles_parse_from_their_names_only() {
        assert_eq!(Role::parse("r", "district").unwrap(), Role::District);
        assert_eq!(
            Role::parse("r", "root").unwrap_err().key,
            "err_role_unknown"
        );
        assert!(Role::Manager.is_read_only() && !Role::Officer.is_read_only());
    }

    #[test]
    fn addresses_that_could_break_a_command_are_refused() {
        assert!(valid_address("vanphong@badinh.hanoi.gov.vn"));
        for bad in [
            "",
            "no-at",
            "a@b",
            "a b@c.vn",
            "a@b.vn>\r\nRCPT TO:<x@y.vn",
            "a@@b.vn",
        ] {
            assert!(!valid_address(bad), "{bad}");
        }
    }
}
