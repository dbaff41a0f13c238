//! The loading pipeline: for the root directory and, recursively, every
//! module it calls: read the files, parse them, resolve variables, evaluate
//! locals and module calls in dependency order, decode the blocks into the
//! one configuration, evaluate outputs. Then validate the whole.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use hcl_edit::structure::{Block, Body, Structure};

use super::parse::parse_all;

use super::blocks::{self, BlockType, Decoded};
use super::environments::{self, PendingEnvironment};
use super::error::{ConfigError, Location, Result};
use super::eval::{Bound, Env, Evaluator, FuncEnv};
use super::module::{self, Input, ModuleCall};
use super::order::{self, Step};
use super::outputs::{self, OutputDecl};
use super::source::SourceFile;
use super::variables::{self, VariableDecl};
use super::{Config, Prompter, VariableInputs, digest, locals, validate};

/// The `*.hcl` files directly in `dir`, sorted by name.
pub(crate) fn hcl_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|err| {
        ConfigError::general(format!("cannot read directory {}: {err}", dir.display()))
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .map_err(|err| {
                ConfigError::general(format!("cannot read directory {}: {err}", dir.display()))
            })?
            .path();
        if path.extension().is_some_and(|ext| ext == "hcl") && path.is_file() {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(ConfigError::general(format!(
            "no *.hcl files in {}",
            dir.display()
        ))
        .with_hint(
            "pass the directory holding the configuration (`pgfort plan ./config`), or write one there: examples/quickstart is a start, and `pgfort export -o DIR` writes one from a live server",
        ));
    }
    files.sort();
    Ok(files)
}

/// The process environment, as far as it is valid UTF-8.
pub(crate) fn process_env() -> Env {
    std::env::vars_os()
        .filter_map(|(name, value)| Some((name.into_string().ok()?, value.into_string().ok()?)))
        .collect()
}

/// A block to decode once variables, locals and modules are known.
struct Pending<'a> {
    block: &'a Block,
    block_type: &'static BlockType,
    src: &'a SourceFile,
}

/// How a directory is loaded: as the root configuration, whose variables
/// come from the command line, files, environment and prompt, or as a
/// module, whose variables come from the calling block only.
enum Caller<'c> {
    Root {
        inputs: &'c VariableInputs,
        prompter: &'c dyn Prompter,
    },
    Module {
        call: &'c ModuleCall<'c>,
        inputs: Vec<Input>,
    },
}

/// A directory being loaded, to detect a module that includes itself.
struct Frame {
    dir: PathBuf,
    /// How the chain in messages names it.
    label: String,
}

/// State shared by the whole tree of directories.
struct Loader {
    env: Arc<Env>,
    decoded: Decoded,
    files: Vec<PathBuf>,
    stack: Vec<Frame>,
    instances: usize,
    /// Every file read (modules' too) and the root's variables: what the
    /// configuration digest covers.
    sources: Vec<SourceFile>,
    root_variables: Vec<variables::Resolved>,
    /// Root variables without a value are unknown, not an error
    /// (`pgfort validate`).
    missing_is_unknown: bool,
    /// Where expressions using an unknown value are, in every directory:
    /// errors there are not reported.
    unknown_at: Vec<Location>,
}

/// What to do about a root variable nobody gave a value.
#[derive(Clone, Copy)]
pub(crate) enum Missing<'p> {
    /// Ask (on a terminal), else fail naming it.
    Ask(&'p dyn Prompter),
    /// Treat it as unknown: what derives from it is not checked.
    Unknown,
}

/// [`super::load`] with an explicit environment, so tests control it.
pub(crate) fn load_with_env(
    dir: &Path,
    inputs: &VariableInputs,
    missing: Missing<'_>,
    env: Env,
) -> Result<Config> {
    let (prompter, missing_is_unknown): (&dyn Prompter, bool) = match missing {
        Missing::Ask(prompter) => (prompter, false),
        Missing::Unknown => (&super::NoPrompt, true),
    };
    let mut loader = Loader {
        env: Arc::new(env),
        decoded: Decoded::new(dir.to_path_buf()),
        files: Vec::new(),
        stack: Vec::new(),
        instances: 0,
        sources: Vec::new(),
        root_variables: Vec::new(),
        missing_is_unknown,
        unknown_at: Vec::new(),
    };
    let label = dir.display().to_string();
    loader.load_dir(dir, label, Caller::Root { inputs, prompter })?;
    loader.decoded.finish_roles();
    // The digest hashes every file's text: done beside validation, on
    // another core, rather than after it.
    let (validated, configuration_digest) = std::thread::scope(|scope| {
        let digest = scope.spawn(|| digest::digest(&loader.sources, &loader.root_variables));
        let _phase = crate::stats::phase("validate");
        let validated = validate::validate(&loader.decoded);
        (validated, digest.join())
    });
    if let Err(error) = validated {
        ConfigError::check(loader.known(vec![error]))?;
    }
    let mut config = loader.decoded.config;
    config.unknown_variables = loader
        .root_variables
        .iter()
        .filter(|variable| variable.unknown)
        .map(|variable| variable.name.clone())
        .collect();
    config.role_locations = loader.decoded.role_locations;
    config.files = loader.files;
    config.digest = match configuration_digest {
        Ok(digest) => digest,
        Err(panic) => std::panic::resume_unwind(panic),
    };
    Ok(config)
}

impl Loader {
    /// Loads `dir` and every module it calls; returns its outputs.
    fn load_dir(
        &mut self,
        dir: &Path,
        label: String,
        caller: Caller<'_>,
    ) -> Result<BTreeMap<String, Bound>> {
        let paths = hcl_files(dir).map_err(|err| match &caller {
            Caller::Module { call, .. } => {
                ConfigError::at(call.source_location.clone(), err.message)
            }
            Caller::Root { .. } => err,
        })?;
        if let Caller::Module { call, .. } = &caller {
            self.record_module_chain(call, &paths);
        }
        let mut sources = Vec::with_capacity(paths.len());
        for path in &paths {
            let text = std::fs::read_to_string(path).map_err(|err| {
                ConfigError::general(format!("cannot read {}: {err}", path.display()))
            })?;
            sources.push(SourceFile::new(path.clone(), text));
            if !self.files.contains(path) {
                self.files.push(path.clone());
            }
            if let Some(source) = sources.last() {
                self.sources.push(source.clone());
            }
        }
        let phase = crate::stats::phase("parse");
        let parsed = parse_all(sources)?;
        drop(phase);

        let functions = FuncEnv {
            dir: dir.to_path_buf(),
            env: Arc::clone(&self.env),
        };
        let constant = Evaluator::without_references(functions.clone());
        let mut parts = Parts::default();
        // Errors so far, reported with the first one that stops the load.
        let mut errors = Vec::new();
        for (src, body) in &parsed {
            parts.collect(src, body, &constant, &mut errors);
        }
        if parts.names_broken {
            ConfigError::check(std::mem::take(&mut errors))?;
        }
        let also = |error: ConfigError, errors: &mut Vec<ConfigError>| {
            error.joined(std::mem::take(errors))
        };

        let mut evaluator = Evaluator::new(functions.clone());
        let module_name = match &caller {
            Caller::Module { call, .. } => Some(call.name.clone()),
            Caller::Root { .. } => None,
        };
        let is_root = matches!(caller, Caller::Root { .. });
        let resolved = match caller {
            Caller::Root { inputs, prompter } => {
                let environment = self
                    .environment_values(&parts, inputs, &constant, dir)
                    .map_err(|e| also(e, &mut errors))?;
                let sources = variables::Sources {
                    dir,
                    inputs,
                    env: &functions.env,
                    environment: &environment,
                    prompter,
                    missing_is_unknown: self.missing_is_unknown,
                };
                variables::resolve(
                    &parts.variables,
                    &sources,
                    &constant,
                    &mut self.decoded.config.warnings,
                )
                .map_err(|e| also(e, &mut errors))?
            }
            Caller::Module { call, inputs } => {
                if let Some(environment) = parts.environments.first() {
                    let error = ConfigError::at(
                        environment.location.clone(),
                        "an environment block is only allowed in the root configuration, not in a module",
                    )
                    .with_hint("the servers a configuration runs on are the caller's choice: move it to the root configuration");
                    return Err(also(error, &mut errors));
                }
                module::bind(call, inputs, &parts.variables).map_err(|e| also(e, &mut errors))?
            }
        };
        if is_root {
            self.root_variables = resolved.clone();
        }
        for resolved in resolved {
            evaluator.set_variable(
                &resolved.name,
                resolved.value,
                resolved.sensitive,
                resolved.unknown,
            );
        }

        self.stack.push(Frame {
            dir: canonical(dir),
            label,
        });
        let calls = &parts.calls;
        let steps = order::order(&parts.locals, calls).map_err(|e| also(e, &mut errors))?;
        for step in steps {
            match step {
                Step::Local(i) => {
                    let def = &parts.locals[i];
                    let node = evaluator
                        .eval(def.expr, def.src)
                        .map_err(|e| also(e, &mut errors))?;
                    evaluator.set_local(&def.name, &node);
                }
                Step::Module(i) => {
                    let call = &calls[i];
                    let label = format!("module.{} ({})", call.name, call.dir.display());
                    self.check_recursion(call, &label)
                        .map_err(|e| also(e, &mut errors))?;
                    let inputs = call
                        .evaluate_inputs(&evaluator)
                        .map_err(|e| also(e, &mut errors))?;
                    let outputs = self
                        .load_dir(&call.dir, label, Caller::Module { call, inputs })
                        .map_err(|err| also(err.with_note(call.note()), &mut errors))?;
                    evaluator.set_module(&call.name, outputs);
                }
            }
        }
        self.stack.pop();

        // The called modules have decoded their blocks by now; this
        // directory's come after them, so a name declared here and in a
        // module is reported here, naming the module's place as the first.
        self.instances += 1;
        self.decoded.instance = if module_name.is_some() {
            self.instances
        } else {
            0
        };
        let _phase = crate::stats::phase("decode");
        // Every block is decoded, so one run reports every broken block.
        for item in &parts.pending {
            let decoded = blocks::decode(
                item.block,
                item.block_type,
                item.src,
                &evaluator,
                &mut self.decoded,
            );
            if let Err(error) = decoded {
                errors.push(error);
            }
        }
        self.unknown_at.extend(evaluator.unknown_locations());
        ConfigError::check(self.known(errors))?;
        let outputs = outputs::evaluate(&parts.outputs, &evaluator, module_name.as_deref());
        drop(parts);
        super::parse::discard(parsed);
        outputs
    }

    /// Evaluates the selected environment (every one when validating),
    /// checks that environments set only declared variables, and returns
    /// the values the selected server (or environment) gives.
    fn environment_values(
        &mut self,
        parts: &Parts<'_>,
        inputs: &VariableInputs,
        constant: &Evaluator,
        dir: &Path,
    ) -> Result<BTreeMap<String, environments::EnvironmentValue>> {
        let selection = inputs.environment.as_ref();
        if let Some(selection) = selection
            && !parts
                .environments
                .iter()
                .any(|e| e.name == selection.environment)
        {
            let known: Vec<&str> = parts.environments.iter().map(|e| e.name.as_str()).collect();
            return Err(environments::unknown_environment(
                &selection.environment,
                &known,
            ));
        }
        let mut decoded = Vec::new();
        let mut errors = Vec::new();
        for pending in &parts.environments {
            let wanted = selection.is_some_and(|s| s.environment == pending.name);
            // `validate` checks them all.
            let validating = self.missing_is_unknown && selection.is_none();
            if !(wanted || validating) {
                continue;
            }
            match environments::decode(pending, constant, dir) {
                Ok(environment) => decoded.push(environment),
                Err(error) => errors.push(error),
            }
        }
        ConfigError::check(errors)?;
        let declared: Vec<&str> = parts.variables.iter().map(|d| d.name.as_str()).collect();
        environments::check_declared(&decoded, &declared)?;
        let values = match selection {
            Some(selection) => decoded
                .iter()
                .find(|e| e.name == selection.environment)
                .map(|environment| environments::values_of(environment, selection))
                .transpose()?
                .unwrap_or_default(),
            None => BTreeMap::new(),
        };
        self.decoded.config.environments = decoded;
        Ok(values)
    }

    /// `errors` without those about values derived from an unknown
    /// variable (validation without values): a stand-in proves nothing.
    fn known(&self, errors: Vec<ConfigError>) -> Vec<ConfigError> {
        if self.unknown_at.is_empty() {
            return errors;
        }
        errors
            .into_iter()
            .flat_map(ConfigError::into_all)
            .filter(|error| {
                error
                    .location
                    .as_ref()
                    .is_none_or(|location| !self.unknown_at.contains(location))
            })
            .collect()
    }

    /// Records, for each file of a called module, the chain of calls that
    /// loaded it (`in module "inner" called at modules/app/main.hcl:3:1, in
    /// module "app" called at main.hcl:5:3`), so an error only the server
    /// reveals can say how its value got there.
    fn record_module_chain(&mut self, call: &ModuleCall<'_>, paths: &[PathBuf]) {
        let notes = &mut self.decoded.config.module_notes;
        let chain = match notes
            .get(&*call.location.file)
            .and_then(|chains| chains.first())
        {
            Some(outer) => format!("{}, {outer}", call.note()),
            None => call.note(),
        };
        for path in paths {
            let chains = notes.entry(path.clone()).or_default();
            if !chains.contains(&chain) {
                chains.push(chain.clone());
            }
        }
    }

    /// Refuses a call of a directory that is already being loaded: it
    /// would include itself forever.
    fn check_recursion(&self, call: &ModuleCall<'_>, label: &str) -> Result<()> {
        let dir = canonical(&call.dir);
        if !self.stack.iter().any(|frame| frame.dir == dir) {
            return Ok(());
        }
        let mut chain: Vec<&str> = self.stack.iter().map(|f| f.label.as_str()).collect();
        chain.push(label);
        Err(ConfigError::at(
            call.source_location.clone(),
            format!(
                "module \"{}\" includes itself: {}",
                call.name,
                chain.join(" -> ")
            ),
        )
        .with_hint(
            "a module cannot call the directory it is in, directly or through other modules",
        ))
    }
}

/// The path that identifies a directory however it was reached.
fn canonical(dir: &Path) -> PathBuf {
    dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf())
}

/// The blocks of one directory, sorted by what is done with them.
#[derive(Default)]
struct Parts<'a> {
    variables: Vec<VariableDecl>,
    locals: Vec<locals::LocalDef<'a>>,
    calls: Vec<ModuleCall<'a>>,
    outputs: Vec<OutputDecl<'a>>,
    environments: Vec<PendingEnvironment<'a>>,
    pending: Vec<Pending<'a>>,
    /// A block defining names others use (variable, locals, module,
    /// output) could not be read: what follows would only echo that.
    names_broken: bool,
}

impl<'a> Parts<'a> {
    /// Sorts every block of `body`; the blocks that cannot be read go to
    /// `errors`, and the others are still sorted.
    fn collect(
        &mut self,
        src: &'a SourceFile,
        body: &'a Body,
        constant: &Evaluator,
        errors: &mut Vec<ConfigError>,
    ) {
        for structure in body.iter() {
            if let Err(error) = self.collect_one(src, structure, constant) {
                let names = structure.as_block().is_some_and(|block| {
                    matches!(
                        block.ident.as_str(),
                        "variable" | "locals" | "module" | "output" | "environment"
                    )
                });
                self.names_broken |= names;
                errors.push(error);
            }
        }
    }

    fn collect_one(
        &mut self,
        src: &'a SourceFile,
        structure: &'a Structure,
        constant: &Evaluator,
    ) -> Result<()> {
        let block = match structure {
            Structure::Block(block) => block,
            Structure::Attribute(attribute) => {
                return Err(ConfigError::at(
                    src.locate(&attribute.key),
                    format!(
                        "unexpected attribute \"{}\" outside of any block",
                        attribute.key.as_str()
                    ),
                )
                .with_hint("attributes belong inside a block, e.g. locals { ... }"));
            }
        };
        let block_type = blocks::block_type(block, src)?;
        match block_type.name {
            "variable" => {
                let decl = variables::decode(block, src, constant)?;
                if let Some(first) = self.variables.iter().find(|d| d.name == decl.name) {
                    let message = format!(
                        "variable \"{}\" is already declared at {}",
                        decl.name, first.location
                    );
                    return Err(ConfigError::at(decl.location, message));
                }
                self.variables.push(decl);
            }
            "locals" => locals::collect(block, src, &mut self.locals)?,
            "environment" => {
                let environment = environments::collect(block, src, &self.environments)?;
                self.environments.push(environment);
            }
            "module" => {
                let call = module::collect(block, src, constant, &self.calls)?;
                self.calls.push(call);
            }
            "output" => {
                let output = outputs::collect(block, src, constant, &self.outputs)?;
                self.outputs.push(output);
            }
            _ => self.pending.push(Pending {
                block,
                block_type,
                src,
            }),
        }
        Ok(())
    }
}
