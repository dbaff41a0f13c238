//! `pgfort plan`: show what apply would change.

use super::common::{connect_db, load_config, resolve_target};
use crate::Error;
use crate::cli::args::PlanArgs;
use crate::cli::{Outcome, Ui};
use crate::diff::DiffOptions;
use crate::render::{self, PlanDoc, TextOptions};

pub async fn run(args: &PlanArgs, ui: Ui) -> Result<Outcome, Error> {
    let config = load_config(&args.dir, &args.vars)?;
    let settings = resolve_target(&args.connection, &config)?;
    let db = connect_db(&settings).await?;
    let options = DiffOptions {
        rotate_passwords: args.options.rotate_passwords,
    };
    let plan = crate::pipeline::compute_plan(&db, &settings, &config, options).await?;
    if args.json {
        println!("{}", render::render_json(&plan));
    } else {
        let text = render::render_text(
            &PlanDoc::new(&plan),
            TextOptions {
                color: ui.color,
                show_sql: args.options.show_sql,
                verbose: ui.verbose,
            },
        );
        print!("{text}");
    }
    tracing::info!("plan used {} queries", db.round_trips());
    Ok(if args.detailed_exitcode && !plan.is_empty() {
        Outcome::Changes
    } else {
        Outcome::Success
    })
}
