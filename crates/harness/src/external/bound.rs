//! `python.bound_function`: a bound with no closed form, computed by a Python function of
//! the point. Every point of both grids is evaluated in one interpreter process when the
//! spec is read, so a run, a shard and a calibration all judge against the same numbers.

use crate::error::{invalid, Result};
use crate::grid::Point;
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SCRIPT: &str = include_str!("bound.py");

/// A point as a Python function receives it, a trial or a bound: `{"n": 8, ...}` by grid
/// key, whole numbers as integers.
pub(super) fn point_json(point: &Point) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> =
        point.coords.iter().map(|c| (c.name.clone(), if c.integer { serde_json::json!(c.value as i64) } else { serde_json::json!(c.value) })).collect();
    serde_json::Value::Object(map)
}

/// The bound at each of `points`, by point key, from `function` (`module:function`, looked
/// for in `folders` first). Any failure is one line naming `python.bound_function` and, where
/// there is one, the point: an import that fails, a raise, a return that is not a finite
/// number, or no answer within `timeout` seconds.
pub fn evaluate(function: &str, folders: &[PathBuf], points: &[Point], timeout: f64) -> Result<BTreeMap<String, f64>> {
    let field = "python.bound_function";
    let python = super::worker::interpreter();
    let mut child = Command::new(&python)
        .arg("-c")
        .arg(SCRIPT)
        .arg(function)
        .args(folders)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| invalid("python", format!("cannot start {python:?} ({e}): set SCB_PYTHON to a Python 3 interpreter")))?;
    let input = serde_json::Value::Array(points.iter().map(point_json).collect()).to_string();
    // The pipes are fed and drained on threads while the interpreter is polled: an answer
    // larger than a pipe's buffer (64 KiB: a few thousand points, or a long traceback) would
    // otherwise block the interpreter on its write and read here as a timeout.
    let mut stdin = child.stdin.take().expect("piped");
    let feeder = std::thread::spawn(move || {
        // A function that exits before reading everything closes the pipe; its answer says why.
        let _ = stdin.write_all(input.as_bytes());
    });
    let mut stdout = child.stdout.take().expect("piped");
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        stdout.read_to_end(&mut bytes).map(|_| bytes)
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| invalid(field, format!("cannot wait for {python:?} ({e})")))? {
            break status;
        }
        if start.elapsed().as_secs_f64() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            return Err(invalid(field, format!("{function} gave no answer within {} s (python.timeout)", crate::verdict::num(timeout))));
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let _ = feeder.join();
    let stdout = reader.join().expect("the reader does not panic").map_err(|e| invalid(field, format!("cannot read {python:?}'s answer ({e})")))?;
    let reply: serde_json::Value =
        serde_json::from_slice(&stdout).map_err(|_| invalid(field, format!("{function}: the interpreter ended without an answer ({status})")))?;
    let at = |r: &serde_json::Value| match &r["point"] {
        serde_json::Value::Object(_) => format!(" at {}", r["point"]),
        _ => String::new(),
    };
    if let Some(tb) = reply["raised"].as_str() {
        return Err(invalid(field, format!("{function} raised{} {}", at(&reply), super::worker::last_line(tb))));
    }
    if let Some(why) = reply["bad"].as_str() {
        return Err(invalid(field, format!("{function}{} {why}", at(&reply))));
    }
    let values: Vec<f64> = reply["values"].as_array().map(|v| v.iter().filter_map(|x| x.as_f64()).collect()).unwrap_or_default();
    if values.len() != points.len() {
        return Err(invalid(field, format!("{function}: {} values for {} points", values.len(), points.len())));
    }
    Ok(points.iter().map(Point::key).zip(values).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::Coord;

    fn points(k: usize) -> Vec<Point> {
        (1..=k).map(|n| Point { coords: vec![Coord { name: "n".into(), symbol: "n".into(), value: n as f64, integer: true }] }).collect()
    }

    fn module(text: &str) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("exact.py"), text).unwrap();
        dir
    }

    #[test]
    fn an_answer_larger_than_a_pipe_holds_is_read_whole() {
        // 20,000 values are about 400 KB of JSON, six times a pipe's buffer.
        let dir = module("def third(point):\n    return point['n'] / 3\n");
        let got = evaluate("exact:third", &[dir.path().to_path_buf()], &points(20_000), 60.0).unwrap();
        assert_eq!(got.len(), 20_000);
        assert_eq!(got["n=20000"], 20_000.0 / 3.0);
    }

    #[test]
    fn a_traceback_larger_than_a_pipe_holds_is_reported_as_the_raise_it_is() {
        let dir = module("def loud(point):\n    raise ValueError('x' * 200000)\n");
        let err = evaluate("exact:loud", &[dir.path().to_path_buf()], &points(3), 60.0).unwrap_err().to_string();
        assert!(err.contains("raised at {\"n\":1} ValueError"), "{}", &err[..err.len().min(300)]);
    }
}
