//! A posted HTML form (`application/x-www-form-urlencoded`) as the pages read it: its fields in
//! order, and one field by name (empty when absent, so a missing field is refused by the check that
//! reads it, never by a panic). The days they take are read by `app::dates`.

/// The fields of a posted form body, in order.
pub fn form(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// The first field named `k`, or an empty string.
pub fn field(f: &[(String, String)], k: &str) -> String {
    f.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default()
}
