//! Plan → text or JSON, and drift reports. No decisions here, and never a
//! secret: values that are sensitive already hold `(sensitive)`.

mod doc;
pub mod drift;
pub mod escape;
mod restart;
mod saved;
mod text;
mod typed;

pub use doc::{FORMAT_VERSION, PlanDoc, PlanOrigin};
pub use escape::display_safe;
pub use saved::render_saved_header;
pub use text::{TextOptions, render_pending_restart, render_text};
pub use typed::Shown;

/// The JSON document for a plan, pretty-printed.
pub fn render_json(plan: &crate::plan::Plan) -> String {
    render_doc_json(&PlanDoc::new(plan))
}

/// [`render_json`] for a document built by the caller (with its origin).
pub fn render_doc_json(doc: &PlanDoc<'_>) -> String {
    serde_json::to_string_pretty(doc).unwrap_or_else(|_| "{}".to_owned())
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_hostile;
