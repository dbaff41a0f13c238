//! Plan → text or JSON. No decisions here, and never a secret: values that
//! are sensitive already hold `(sensitive)`.

mod doc;
mod restart;
mod text;

pub use doc::{FORMAT_VERSION, PlanDoc};
pub use text::{TextOptions, render_pending_restart, render_text};

/// The JSON document for a plan, pretty-printed.
pub fn render_json(plan: &crate::plan::Plan) -> String {
    serde_json::to_string_pretty(&PlanDoc::new(plan)).unwrap_or_else(|_| "{}".to_owned())
}

#[cfg(test)]
mod tests;
