//! The first version's single-page API on `Browser`, kept for `signin_browser.rs`.

use super::{AuthenticatorOptions, Browser, Page, WAIT_TIMEOUT};
use serde_json::Value;

/// The first version's single-page API, kept for `signin_browser.rs`: the browser drives one page,
/// opened on first use. New tests should use `new_page` and `Page`.
impl Browser {
    fn page(&self) -> &Page {
        self.default_page.get_or_init(|| self.new_page())
    }
    pub fn eval(&self, js: &str) -> Value {
        self.page().eval(js)
    }
    pub fn goto(&self, url: &str) {
        self.page().goto(url)
    }
    pub fn wait_for(&self, js_condition: &str) {
        self.page().wait_for(js_condition, WAIT_TIMEOUT)
    }
    pub fn fill(&self, css_selector: &str, value: &str) {
        self.page().fill(css_selector, value)
    }
    /// Clicks and, when `navigates`, waits for the next page to load.
    pub fn click(&self, css_selector: &str, navigates: bool) {
        if navigates {
            self.page().submit_and_wait(css_selector)
        } else {
            self.page().click(css_selector)
        }
    }
    pub fn text(&self) -> String {
        self.page().text()
    }
    pub fn path(&self) -> String {
        self.page().path()
    }
    pub fn cookies(&self) -> Vec<Value> {
        self.page().cookies()
    }
    pub fn add_authenticator(&self) -> String {
        self.page().add_virtual_authenticator(AuthenticatorOptions::default())
    }
    pub fn credentials(&self, id: &str) -> Vec<Value> {
        self.page().credentials(id)
    }
    pub fn set_user_verified(&self, id: &str, verified: bool) {
        self.page().set_user_verified(id, verified)
    }
}
