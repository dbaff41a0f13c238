//! `pgfort show FILE`: print a saved plan, as text with the SQL apply will
//! run (passwords redacted), or as the JSON plan document. Reads the file
//! only: no configuration, no server. A file whose digest does not match is
//! refused here as by apply, so what is reviewed is what would run.

use crate::Error;
use crate::cli::args::ShowArgs;
use crate::cli::output::print_text;
use crate::cli::{Outcome, Ui};
use crate::plan::saved;
use crate::render::{self, PlanDoc, PlanOrigin, TextOptions};

pub fn run(args: &ShowArgs, ui: Ui) -> Result<Outcome, Error> {
    let saved = saved::read(&args.file, super::common::plan_key().as_ref())?;
    let plan = saved.to_plan();
    if args.json {
        let doc = PlanDoc::new(&plan).with_origin(PlanOrigin {
            target: saved.target.clone(),
            configuration: saved.configuration.clone(),
        });
        println!("{}", render::render_doc_json(&doc));
        return Ok(Outcome::Success);
    }
    let file = args.file.display().to_string();
    print_text(&render::render_saved_header(&saved, &file), ui.color);
    let text = render::render_text(
        &PlanDoc::new(&plan),
        TextOptions {
            color: ui.color,
            // Reviewing a saved plan means reading what it will run.
            show_sql: true,
            verbose: ui.verbose,
        },
    );
    print_text(&text, ui.color);
    Ok(Outcome::Success)
}
