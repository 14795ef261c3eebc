//! Reading share and cascade pages as a browser does: form values with Tera's escaping undone,
//! and a unit's state in the cascade table.

/// Undoes Tera's HTML escaping, as a browser does before a form is sent back.
pub fn unescape(s: &str) -> String {
    s.replace("&#x2F;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The title input's value on a share page.
pub fn title_value(body: &str) -> String {
    let marker = "id=\"f-title\" name=\"title\" value=\"";
    let at = body.find(marker).expect("title input") + marker.len();
    unescape(body[at..].split('"').next().unwrap())
}

/// The first channel account offered on a share page.
pub fn first_account(body: &str) -> String {
    let marker = "name=\"account\" value=\"";
    let at = body.find(marker).expect("an account to share to") + marker.len();
    body[at..].split('"').next().unwrap().to_string()
}

pub fn field_value(body: &str, name: &str) -> String {
    let textarea = format!("name=\"{name}\"");
    let at = body
        .find(&textarea)
        .unwrap_or_else(|| panic!("no {name} in page"));
    let rest = &body[at..];
    let start = rest.find('>').unwrap() + 1;
    let end = rest.find("</textarea>").unwrap();
    unescape(&rest[start..end])
}

pub fn state_of(cascade: &str, unit: &str) -> String {
    let marker = format!("data-unit=\"{unit}\" data-state=\"");
    let at = cascade
        .find(&marker)
        .unwrap_or_else(|| panic!("no row for {unit}"))
        + marker.len();
    cascade[at..].split('"').next().unwrap().to_string()
}
