//! `scb._scb`: the harness behind the Python package. It runs checks and training as the
//! CLI does and hands back exit codes and text; the package (`scb/__init__.py`) reads the
//! files they write into DataFrames. Errors arrive as `scb.ScbError` with the CLI's
//! one-line message and exit code.

use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use scb::commands::check::{check_with, claim_ids, run_folders, CheckOptions};
use scb::external::worker::{host, Hosted, Reply, Runner, WORKER_PY};
use scb::plan::Budget;
use scb::report::{Reports, Transcript};
use scb::theories::REGISTRY;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

pyo3::create_exception!(_scb, ScbError, PyException, "An scb error: args are (message, exit_code, traceback or None).");

/// The harness's error as a Python exception: (message, exit code, traceback of a trial).
fn to_py(e: scb::Error) -> PyErr {
    let code = e.exit_code();
    let tb = match &e {
        scb::Error::Trial { traceback, .. } => traceback.clone(),
        _ => None,
    };
    ScbError::new_err((e.to_string(), code, tb))
}

/// Runs `work` on its own thread with the GIL released, so that trials run in this process
/// can take it, and answers Ctrl-C (a kernel interrupt) by asking the run to stop before
/// its next trial: finished trials stay in the records, and the interrupt is raised once
/// the run has stopped.
fn interruptible<T: Send + 'static>(py: Python<'_>, work: impl FnOnce() -> scb::Result<T> + Send + 'static) -> PyResult<T> {
    let (tx, rx) = mpsc::channel();
    let rx = std::sync::Mutex::new(rx);
    let worker = std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    let mut interrupt: Option<PyErr> = None;
    let out = loop {
        match py.detach(|| rx.lock().unwrap_or_else(|e| e.into_inner()).recv_timeout(Duration::from_millis(50))) {
            Ok(r) => break r,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if interrupt.is_none() {
                    if let Err(e) = py.check_signals() {
                        scb::io::request_stop(true);
                        interrupt_trials();
                        interrupt = Some(e);
                    }
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break Err(scb::Error::Other("the run's thread ended without a result".into())),
        }
    };
    let _ = worker.join();
    scb::io::request_stop(false);
    match (interrupt, out) {
        (Some(e), _) => Err(e),
        (None, r) => r.map_err(to_py),
    }
}

/// The Python thread idents of the threads inside an in-process trial's function now: an
/// interrupt raises KeyboardInterrupt in each, since Python delivers a signal to its main
/// thread only and a trial that loops would otherwise never see it.
static IN_TRIAL: std::sync::Mutex<Vec<std::os::raw::c_ulong>> = std::sync::Mutex::new(Vec::new());

/// Raises KeyboardInterrupt in every thread inside a trial's function. Called with the GIL
/// held, as are entering and leaving a trial, so a thread listed is inside its function.
fn interrupt_trials() {
    for &id in IN_TRIAL.lock().unwrap_or_else(|e| e.into_inner()).iter() {
        // SAFETY: the GIL is held (the caller is attached), and the exception is a static type.
        unsafe { pyo3::ffi::PyThreadState_SetAsyncExc(id as std::os::raw::c_long, pyo3::ffi::PyExc_KeyboardInterrupt) };
    }
}

/// A Python callable run in this process for every trial, with the package's own check of
/// what it returns (`values` of the worker's program).
struct InProcess {
    function: Py<PyAny>,
    values: Py<PyAny>,
}

impl Runner for InProcess {
    fn run(&self, point: &serde_json::Value, seed: u64) -> scb::Result<Reply> {
        Python::attach(|py| {
            let p = PyDict::new(py);
            for (k, v) in point.as_object().into_iter().flatten() {
                let set = match v.as_i64() {
                    Some(i) => p.set_item(k, i),
                    None => p.set_item(k, v.as_f64().unwrap_or(f64::NAN)),
                };
                set.map_err(|e| scb::Error::Other(e.to_string()))?;
            }
            // SAFETY: attached to the interpreter, which is all the call needs.
            let me = unsafe { pyo3::ffi::PyThread_get_thread_ident() };
            IN_TRIAL.lock().unwrap_or_else(|e| e.into_inner()).push(me);
            let called = self.function.call1(py, (p, seed));
            IN_TRIAL.lock().unwrap_or_else(|e| e.into_inner()).retain(|&id| id != me);
            if scb::io::stop_requested() {
                // An interrupt raised in this thread just as the function returned would
                // otherwise fire in the next Python this thread runs: take it back.
                // SAFETY: attached; a null exception clears the thread's pending one.
                unsafe { pyo3::ffi::PyThreadState_SetAsyncExc(me as std::os::raw::c_long, std::ptr::null_mut()) };
                return Err(scb::Error::Interrupted);
            }
            let out = match called {
                Ok(out) => out,
                Err(e) => return Ok(Reply::Raised(traceback(py, &e))),
            };
            let checked = self.values.call1(py, (out,)).map_err(|e| scb::Error::Other(traceback(py, &e)))?;
            let (clean, bad): (Option<BTreeMap<String, f64>>, Option<String>) = checked.extract(py).map_err(|e: PyErr| scb::Error::Other(e.to_string()))?;
            Ok(match (clean, bad) {
                (Some(v), None) => Reply::Values(v),
                (_, bad) => Reply::Bad(bad.unwrap_or_default()),
            })
        })
    }
}

/// The formatted traceback of a Python exception.
fn traceback(py: Python<'_>, e: &PyErr) -> String {
    let formatted = py
        .import("traceback")
        .and_then(|tb| tb.call_method1("format_exception", (e.get_type(py), e.value(py), e.traceback(py))))
        .and_then(|lines| lines.cast_into::<PyList>().map_err(PyErr::from))
        .map(|lines| lines.iter().map(|l| l.to_string()).collect::<String>());
    formatted.unwrap_or_else(|_| e.to_string())
}

/// Checks specs as `scb check` does; returns (exit code, console text, the ids judged, the
/// folder written). Without `out`, the run goes to the CLI's working folder and is compared
/// with its baseline, as `scb check` does. `trial`, a callable
/// `f(point, seed) -> dict`, runs every external trial in this process; `trial_code`
/// fingerprints its code for the records.
#[pyfunction]
#[pyo3(signature = (specs, quick=false, out=None, theorems="theorems".to_string(), replace=false, trial=None, trial_code=None, baseline=None))]
#[allow(clippy::too_many_arguments)]
fn check(
    py: Python<'_>,
    specs: Vec<String>,
    quick: bool,
    out: Option<String>,
    theorems: String,
    replace: bool,
    trial: Option<Py<PyAny>>,
    trial_code: Option<String>,
    baseline: Option<String>,
) -> PyResult<(u8, String, Vec<String>, String)> {
    let hosted = match trial {
        Some(function) => {
            let worker = PyModule::from_code(py, &std::ffi::CString::new(WORKER_PY)?, c"scb_worker.py", c"scb._worker")?;
            let values = worker.getattr("values")?.unbind();
            Some(Hosted { runner: Arc::new(InProcess { function, values }), code: trial_code.unwrap_or_default() })
        }
        None => None,
    };
    host(hosted);
    let (out, baseline) = run_folders(Budget::from_flag(quick), out.map(PathBuf::from), baseline.map(PathBuf::from)).map_err(to_py)?;
    let opts = CheckOptions {
        budget: Budget::from_flag(quick),
        out,
        theorems: PathBuf::from(theorems),
        shard: None,
        progress: false,
        replace,
        baseline,
        force: false,
    };
    let result = interruptible(py, move || {
        let transcript = Transcript::default();
        let reporter = Reports::with_console(claim_ids(&REGISTRY), Box::new(transcript.clone()), scb::report::FigureOptions::default());
        let checked = check_with(&REGISTRY, &specs, &opts, &reporter)?;
        let ids = checked.results.iter().map(|(r, _)| r.id.clone()).collect();
        Ok((checked.exit_code(), format!("{}{}\n", transcript.text(), checked.summary(&opts.out)), ids, opts.out.display().to_string()))
    });
    host(None);
    result
}

/// Trains one SCB model as `scb train --config` does, from the config's JSON (`[task]`,
/// `[run]`, `[algorithm]`), writing run.json, history.csv and the .npy parameters to `out`.
/// A run estimated beyond a week is refused unless `force`.
#[pyfunction]
#[pyo3(signature = (config, out, force=false))]
fn train(py: Python<'_>, config: String, out: String, force: bool) -> PyResult<()> {
    let spec: scb::theories::scb::train::TrainSpec = serde_json::from_str(&config).map_err(|e| to_py(scb::error::invalid("config", e.to_string())))?;
    interruptible(py, move || scb::theories::scb::commands::train::train(&spec, std::path::Path::new(&out), force).map(|_| ()))
}

/// The `scb` command line itself, run in this process as the binary runs it (signals
/// answered by exiting 130): what the `scb` console command of the package calls. `args`
/// starts with the program's name.
#[pyfunction]
fn cli(py: Python<'_>, args: Vec<String>) -> u8 {
    py.detach(|| scb::theories::main(args, true))
}

/// Accepts results into a baseline as `scb accept` does; returns the ids accepted.
#[pyfunction]
#[pyo3(signature = (specs, quick, source, baseline))]
fn accept(py: Python<'_>, specs: Vec<String>, quick: bool, source: String, baseline: String) -> PyResult<Vec<String>> {
    interruptible(py, move || {
        scb::commands::accept::accept(&REGISTRY, &specs, std::path::Path::new(&source), std::path::Path::new(&baseline), Budget::from_flag(quick))
    })
}

/// Redraws a result folder's figure from its records as `scb figure <folder>` does; returns
/// the files written. `style` and `formats` as the CLI's `--style` and `--format`.
#[pyfunction]
#[pyo3(signature = (folder, out, style, formats))]
fn figure(py: Python<'_>, folder: String, out: Option<String>, style: String, formats: String) -> PyResult<Vec<String>> {
    let figures = scb::report::FigureOptions::parse(&style, &formats).map_err(to_py)?;
    interruptible(py, move || {
        let files = scb::commands::figure::redraw(&REGISTRY, std::path::Path::new(&folder), out.as_deref().map(std::path::Path::new), &figures)?;
        Ok(files.iter().map(|f| f.display().to_string()).collect())
    })
}

/// Calibrates specs over master seeds as `scb calibrate` does; returns (the text the CLI
/// prints, and each spec's calibration as JSON with whether it meets its required stability).
#[pyfunction]
#[pyo3(signature = (specs, seeds, quick, out, theorems))]
fn calibrate(py: Python<'_>, specs: Vec<String>, seeds: usize, quick: bool, out: String, theorems: String) -> PyResult<(String, Vec<(String, bool)>)> {
    use scb::commands::calibrate as cal;
    let opts = cal::CalibrateOptions { budget: Budget::from_flag(quick), seeds, out: out.into(), theorems: theorems.into(), progress: false, interval: None };
    interruptible(py, move || {
        let cals = cal::calibrate(&REGISTRY, &specs, &opts)?;
        let need = cal::required(Budget::from_flag(quick));
        let text: String = cals.iter().map(|c| format!("{}\n", cal::describe(c).trim_end())).collect();
        let json = cals
            .iter()
            .map(|c| serde_json::to_string(c).map(|j| (j, c.stability() >= need)).map_err(|e| scb::Error::Other(e.to_string())))
            .collect::<scb::Result<_>>()?;
        let _ = scb::commands::check::write_index(&REGISTRY, &opts.out);
        Ok((text, json))
    })
}

/// What is wrong with `id` as a spec's id (a name of a folder and of files), by the
/// harness's own rule; None when nothing is.
#[pyfunction]
fn id_problem(id: &str) -> Option<String> {
    scb::spec::check_id(id).err().map(|e| e.to_string())
}

/// The claims the harness knows: (id, one line about it).
#[pyfunction]
fn claims() -> Vec<(String, String)> {
    REGISTRY.iter().map(|c| (c.id().to_string(), c.about().to_string())).collect()
}

#[pymodule]
fn _scb(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("ScbError", m.py().get_type::<ScbError>())?;
    m.add("WORKER_SOURCE", WORKER_PY)?;
    m.add("VERSION", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(train, m)?)?;
    m.add_function(wrap_pyfunction!(claims, m)?)?;
    m.add_function(wrap_pyfunction!(cli, m)?)?;
    m.add_function(wrap_pyfunction!(id_problem, m)?)?;
    m.add_function(wrap_pyfunction!(accept, m)?)?;
    m.add_function(wrap_pyfunction!(figure, m)?)?;
    m.add_function(wrap_pyfunction!(calibrate, m)?)?;
    Ok(())
}
