//! `scb submit`: a spec's trials as a SLURM job array (one shard per task, each writing its
//! own shard file in the shared report folder) and a merge job that runs once the array has
//! ended. The merge job depends on the array with `afterany`, not `afterok`: a failed or
//! cancelled shard must not leave the merge pending forever with nothing said; the merge
//! runs, finds the missing trials, refuses (exit 2) and its log names the shards to rerun.
//! Resubmitting resumes: each shard reuses the records it already wrote.

use super::check::load_specs;
use crate::claims::Claim;
use crate::error::{invalid, io_err, Error, Result};
use crate::plan::Budget;
use std::path::{Path, PathBuf};
use std::process::Command;

/// How `submit` builds and submits its SLURM jobs.
pub struct SubmitOptions {
    /// Array tasks per spec, each running one shard.
    pub shards: usize,
    /// The full grids, or the quick ones.
    pub budget: Budget,
    /// SLURM's partition (absent: the cluster's default).
    pub partition: Option<String>,
    /// SLURM's time limit per task (`--time`), e.g. `30`, `2:00:00` or `1-00:00:00`.
    pub time: Option<String>,
    /// CPUs per task, and as many threads (absent: SLURM's default).
    pub cpus: Option<usize>,
    /// Print the scripts and submit nothing.
    pub dry_run: bool,
    /// The reports root, on a file system every node shares.
    pub out: PathBuf,
    /// Where spec ids are looked up.
    pub theorems: PathBuf,
    /// Submit the calibration of the specs over this many master seeds instead of their
    /// checks: one array whose task i runs `scb calibrate --shard i/shards`, then the merge.
    pub calibrate: Option<usize>,
    /// At most this many tasks per SLURM array (absent: the cluster's `MaxArraySize` less
    /// one, as `scontrol show config` gives it, or no limit where it gives none). More
    /// shards go into several arrays, and the merge waits for all of them.
    pub max_array: Option<usize>,
}

/// One spec's jobs.
#[derive(Debug)]
pub struct Submitted {
    /// The spec's id.
    pub id: String,
    /// The array job's id (several, comma-separated, when the shards fill several arrays).
    pub array: String,
    /// The merge job's id.
    pub merge: String,
    /// The spec's report folder (or the calibration's logs folder).
    pub dir: PathBuf,
}

/// The two scripts of one spec.
pub struct Scripts {
    /// The array's batch script: each task runs one shard.
    pub array: String,
    /// The merge's batch script, run after the array.
    pub merge: String,
}

impl Default for SubmitOptions {
    /// One shard per spec on the full grids, SLURM's own partition, time and CPUs.
    fn default() -> Self {
        SubmitOptions {
            shards: 1,
            budget: Budget::Full,
            partition: None,
            time: None,
            cpus: None,
            dry_run: false,
            out: "reports".into(),
            theorems: "theorems".into(),
            calibrate: None,
            max_array: None,
        }
    }
}

impl SubmitOptions {
    /// Every option in its range, or an error naming the first that is not.
    pub fn validate(&self) -> Result<()> {
        if !(1..=10_000).contains(&self.shards) {
            return Err(invalid("--shards", format!("must be a whole number in [1, 10000] (got {})", self.shards)));
        }
        if let Some(c) = self.cpus {
            if !(1..=1024).contains(&c) {
                return Err(invalid("--cpus", format!("must be a whole number in [1, 1024] (got {c})")));
            }
        }
        if let Some(p) = &self.partition {
            if p.is_empty() || !p.chars().all(|c| c.is_ascii_alphanumeric() || "-_.,".contains(c)) {
                return Err(invalid("--partition", format!("must be a partition name of letters, digits, '-', '_', '.' and ',' (got {p:?})")));
            }
        }
        if let Some(k) = self.calibrate {
            if !(1..=10_000).contains(&k) || self.shards > k {
                return Err(invalid("--calibrate", format!("must be a number of seeds in [--shards ({}), 10000] (got {k})", self.shards)));
            }
        }
        if let Some(m) = self.max_array.filter(|m| !(1..=10_000).contains(m)) {
            return Err(invalid("--max-array", format!("must be a whole number in [1, 10000] (got {m})")));
        }
        if let Some(t) = &self.time {
            if t.is_empty() || !t.chars().all(|c| c.is_ascii_digit() || c == ':' || c == '-') {
                return Err(invalid("--time", format!("must be a SLURM time such as 30, 2:00:00 or 1-00:00:00 (got {t:?})")));
            }
        }
        Ok(())
    }
}

fn absolute(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).map_err(io_err(p))
}

/// Quotes a path for a bash script.
fn q(p: &Path) -> String {
    format!("'{}'", p.display().to_string().replace('\'', "'\\''"))
}

/// The absolute paths a script names: the binary, the folder it runs in, and where its specs
/// and reports are.
pub struct Places<'a> {
    /// The scb binary the jobs run: this one.
    pub exe: &'a Path,
    /// The folder the jobs run in.
    pub cwd: &'a Path,
    /// The reports root.
    pub out: &'a Path,
    /// The specs' folder.
    pub theorems: &'a Path,
}

/// The scripts for one spec. `spec_arg` is what `scb check` is given (an id or a path);
/// `merge_theorems` is where `scb merge` finds that spec (the named file's folder, or
/// --theorems).
pub fn scripts(places: &Places, id: &str, spec_arg: &str, merge_theorems: &Path, opts: &SubmitOptions) -> Scripts {
    let Places { exe, cwd, out, theorems } = *places;
    let dir = out.join(id);
    let logs = dir.join("slurm");
    let (head, quick, threads) = head(opts);
    let array = format!(
        "#!/bin/bash\n#SBATCH --job-name=scb-{id}\n#SBATCH --array=1-{n}\n#SBATCH --chdir={cwd}\n#SBATCH --output={log}\n{head}{threads}\
         # Shard i of {n} of `{id}`: its own file trials.shard-i-of-{n}.jsonl in {dir}; a rerun resumes it.\n\
         exec {exe} check {spec} --out {out} --theorems {theorems}{quick} --shard \"{SHARD}/{n}\"\n",
        n = opts.shards,
        cwd = cwd.display(),
        log = logs.join("shard-%a.log").display(),
        dir = dir.display(),
        exe = q(exe),
        spec = q(Path::new(spec_arg)),
        out = q(out),
        theorems = q(theorems),
    );
    let merge = format!(
        "#!/bin/bash\n#SBATCH --job-name=scb-{id}-merge\n#SBATCH --chdir={cwd}\n#SBATCH --output={log}\n{head}\
         # Runs after every shard has ended, however it ended; refuses (exit 2) if a shard's trials are missing.\n\
         exec {exe} merge {dir} --theorems {theorems}{quick}\n",
        cwd = cwd.display(),
        log = logs.join("merge.log").display(),
        exe = q(exe),
        dir = q(&dir),
        theorems = q(merge_theorems),
    );
    Scripts { array, merge }
}

/// The shard an array task runs: its index in its array, after the shards of the arrays
/// before it (`SCB_SHARD_BASE`, set where the shards need more than one array).
const SHARD: &str = "$((SLURM_ARRAY_TASK_ID + ${SCB_SHARD_BASE:-0}))";

/// What every script of a submission shares: its `#SBATCH` lines for partition and time,
/// the `--quick` flag, and its CPUs (with as many threads).
fn head(opts: &SubmitOptions) -> (String, &'static str, String) {
    let mut head = String::new();
    if let Some(p) = &opts.partition {
        head += &format!("#SBATCH --partition={p}\n");
    }
    if let Some(t) = &opts.time {
        head += &format!("#SBATCH --time={t}\n");
    }
    let quick = opts.budget.flag();
    let threads = match opts.cpus {
        Some(c) => format!("#SBATCH --cpus-per-task={c}\nexport RAYON_NUM_THREADS={c}\n"),
        None => String::new(),
    };
    (head, quick, threads)
}

/// The scripts of a calibration of `specs` (as `scb calibrate` is given them) over `seeds`
/// master seeds: array task i runs seeds i, i + K, ... (`--shard i/K`), and the merge job
/// writes every spec's calibration, or refuses naming a shard that lacks a seed. Logs go to
/// `<out>/slurm-calibrate/`.
pub fn calibration_scripts(places: &Places, specs: &[String], seeds: usize, opts: &SubmitOptions) -> Scripts {
    let Places { exe, cwd, out, theorems } = *places;
    let logs = out.join("slurm-calibrate");
    let (head, quick, threads) = head(opts);
    let specs: Vec<String> = specs.iter().map(|s| q(Path::new(s))).collect();
    let common = format!("{exe} calibrate {} --seeds {seeds} --out {} --theorems {}{quick}", specs.join(" "), q(out), q(theorems), exe = q(exe));
    let array = format!(
        "#!/bin/bash\n#SBATCH --job-name=scb-calibrate\n#SBATCH --array=1-{n}\n#SBATCH --chdir={cwd}\n#SBATCH --output={log}\n{head}{threads}\
         # Shard i of {n} of the calibration: seeds i, i+{n}, ... into a partial file of its own; a rerun resumes it.\n\
         exec {common} --shard \"{SHARD}/{n}\"\n",
        n = opts.shards,
        cwd = cwd.display(),
        log = logs.join("shard-%a.log").display(),
    );
    let merge = format!(
        "#!/bin/bash\n#SBATCH --job-name=scb-calibrate-merge\n#SBATCH --chdir={cwd}\n#SBATCH --output={log}\n{head}\
         # Runs after every shard has ended, however it ended; refuses (exit 2) while a shard lacks a seed.\n\
         exec {common} --merge\n",
        cwd = cwd.display(),
        log = logs.join("merge.log").display(),
    );
    Scripts { array, merge }
}

/// `sbatch --parsable [extra] script`: the job id.
fn sbatch(script: &Path, extra: &[String]) -> Result<String> {
    let out = Command::new("sbatch")
        .arg("--parsable")
        .args(extra)
        .arg(script)
        .output()
        .map_err(|e| invalid("sbatch", format!("cannot run sbatch ({e}): is SLURM installed here? (scripts/slurm-local.sh start runs a local one)")))?;
    if !out.status.success() {
        return Err(Error::Other(format!("sbatch {} failed: {}", script.display(), crate::ui::one_line(&String::from_utf8_lossy(&out.stderr)))));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let id = text.trim().split(';').next().unwrap_or("").to_string();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        return Err(Error::Other(format!("sbatch printed no job id (got {:?})", text.trim())));
    }
    Ok(id)
}

/// Writes each spec's scripts to `<out>/<id>/slurm/` and submits them (or, dry, prints them).
pub fn submit(registry: &[&dyn Claim], names: &[String], opts: &SubmitOptions) -> Result<Vec<Submitted>> {
    opts.validate()?;
    // Every spec is read and checked before anything is written or submitted.
    let specs = load_specs(registry, names, &opts.theorems)?;
    let exe = std::env::current_exe().map_err(|e| Error::Other(format!("cannot locate the scb binary ({e})")))?;
    let cwd = std::env::current_dir().map_err(|e| Error::Other(format!("cannot read the working folder ({e})")))?;
    let (out, theorems) = (absolute(&opts.out)?, absolute(&opts.theorems)?);
    // #SBATCH lines take no quoting: refuse paths that would need it.
    for (field, p) in [("--out", &out), ("working folder", &cwd)] {
        if p.display().to_string().chars().any(|c| c.is_whitespace() || "'\"\\$`".contains(c)) {
            return Err(invalid(field, format!("must be a path without spaces, quotes, '$' or '`' for a SLURM script (got {})", p.display())));
        }
    }
    if !opts.dry_run {
        // Before anything is written: without sbatch, a submission would only leave scripts behind.
        Command::new("sbatch").arg("--version").output().map_err(|e| {
            invalid(
                "sbatch",
                format!("cannot run sbatch ({e}): is SLURM installed here? (scripts/slurm-local.sh start runs a local one; --dry-run prints the scripts)"),
            )
        })?;
    }
    let places = Places { exe: &exe, cwd: &cwd, out: &out, theorems: &theorems };
    if let Some(seeds) = opts.calibrate {
        let args: Vec<String> = specs.iter().map(|p| named(p.spec(), &theorems).map(|a| a.0)).collect::<Result<_>>()?;
        let s = calibration_scripts(&places, &args, seeds, opts);
        let logs = out.join("slurm-calibrate");
        return submit_pair(&logs, &logs, "calibration", &s, opts);
    }
    let mut done = Vec::new();
    for spec in specs.iter().map(|p| p.spec()) {
        let (spec_arg, merge_theorems) = named(spec, &theorems)?;
        let s = scripts(&places, &spec.id, &spec_arg, &merge_theorems, opts);
        let dir = out.join(&spec.id);
        done.extend(submit_pair(&dir.join("slurm"), &dir, &spec.id, &s, opts)?);
    }
    Ok(done)
}

/// How the scripts name a spec, and where `scb merge` finds it: a spec named by its id in
/// the theorems folder by its id; any other (named by path, or a file not called
/// <id>.toml) by its own file, which every array task and the merge then read.
fn named(spec: &crate::spec::ClaimSpec, theorems: &Path) -> Result<(String, PathBuf)> {
    let file = spec.file.as_deref().map(absolute).transpose()?;
    Ok(match file {
        Some(p) if !(p.parent() == Some(theorems) && p.file_stem().is_some_and(|s| s == spec.id.as_str())) => {
            let parent = p.parent().map(Path::to_path_buf).unwrap_or_default();
            (p.display().to_string(), parent)
        }
        _ => (spec.id.clone(), theorems.to_path_buf()),
    })
}

/// The most tasks one array may have here: `--max-array`, else the cluster's
/// `MaxArraySize` less one (array indices run below it), else no limit. The cluster is
/// asked once per process, not once per spec submitted.
fn array_limit(opts: &SubmitOptions) -> usize {
    static CLUSTER: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    opts.max_array.unwrap_or_else(|| {
        *CLUSTER.get_or_init(|| {
            let config = Command::new("scontrol").args(["show", "config"]).output().ok().filter(|o| o.status.success());
            let text = config.map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
            let max =
                text.lines().find_map(|l| l.split_once('=').filter(|(k, _)| k.trim() == "MaxArraySize").and_then(|(_, v)| v.trim().parse::<usize>().ok()));
            max.map_or(usize::MAX, |m| m.saturating_sub(1).max(1))
        })
    })
}

/// The arrays `shards` tasks go into, at most `limit` a piece: `(first shard - 1, tasks)`.
fn arrays(shards: usize, limit: usize) -> Vec<(usize, usize)> {
    (0..shards).step_by(limit.max(1)).map(|base| (base, limit.min(shards - base))).collect()
}

/// Writes an array script and its merge script into `slurm` and submits them, the merge to
/// run once the array has ended however it ended (or, dry, prints them). More shards than
/// one array may hold are submitted as several arrays of the same script, each told where
/// its shards start, and the merge waits for all of them. `dir` is the folder the
/// submission reports as its own.
fn submit_pair(slurm: &Path, dir: &Path, id: &str, s: &Scripts, opts: &SubmitOptions) -> Result<Vec<Submitted>> {
    let (a, m) = (slurm.join("array.sh"), slurm.join("merge.sh"));
    let parts = arrays(opts.shards, array_limit(opts));
    // One array: the script as it stands. Several: each its slice of the shards and its
    // own log names (task a of array c is shard base + a).
    let extra = |c: usize, (base, n): (usize, usize)| -> Vec<String> {
        if parts.len() == 1 {
            return Vec::new();
        }
        let log = slurm.join(format!("array-{}-task-%a.log", c + 1));
        vec![format!("--array=1-{n}"), format!("--export=ALL,SCB_SHARD_BASE={base}"), format!("--output={}", log.display())]
    };
    if opts.dry_run {
        let mut lines = vec![format!("# {id}: {}\n{}", a.display(), s.array)];
        if parts.len() > 1 {
            for (c, part) in parts.iter().enumerate() {
                lines.push(format!("# {id}: array {} of {}: sbatch --parsable {} {}", c + 1, parts.len(), extra(c, *part).join(" "), a.display()));
            }
        }
        lines.push(format!("# {id}: merge, after the array: sbatch --parsable --dependency=afterany:<array ids> {}\n{}", m.display(), s.merge));
        crate::show!("{}", lines.join("\n"));
        return Ok(Vec::new());
    }
    crate::io::ensure_dir(slurm)?;
    std::fs::write(&a, &s.array).map_err(io_err(&a))?;
    std::fs::write(&m, &s.merge).map_err(io_err(&m))?;
    let ids: Vec<String> = parts.iter().enumerate().map(|(c, part)| sbatch(&a, &extra(c, *part))).collect::<Result<_>>()?;
    let merge = sbatch(&m, &[format!("--dependency=afterany:{}", ids.join(":"))])?;
    Ok(vec![Submitted { id: id.to_string(), array: ids.join(","), merge, dir: dir.to_path_buf() }])
}

#[cfg(test)]
mod tests {
    use super::arrays;

    #[test]
    fn shards_fill_arrays_in_order_at_most_the_limit_each() {
        assert_eq!(arrays(5, 2), [(0, 2), (2, 2), (4, 1)]);
        assert_eq!(arrays(1000, 1000), [(0, 1000)]);
        assert_eq!(arrays(3, usize::MAX), [(0, 3)]);
        let parts = arrays(10_000, 1000);
        assert_eq!(parts.len(), 10);
        assert_eq!(parts.iter().map(|p| p.1).sum::<usize>(), 10_000);
        assert_eq!(parts[9], (9000, 1000));
    }
}
