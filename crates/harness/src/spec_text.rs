//! A spec's text as its reader's errors need it: the line a key is on, and the valid key a
//! misspelt one was meant to be. Only errors use this, so no trial depends on it (build.rs).
//!
//! serde cannot say either: the envelope gathers every key it does not know into the claim's
//! tables (`#[serde(flatten)]`), so `trails = 4` is reported as "missing field `trials`" at
//! line 1, column 1. Looking at the text first, with toml_edit's spans, names the typo and
//! its line instead.

use crate::error::{invalid, Error};
use std::ops::Range;
use std::path::Path;
use toml_edit::{ImDocument, Item};

/// Every key of a spec's envelope (`ClaimSpec`'s fields).
pub const ENVELOPE: &[&str] =
    &["id", "claim", "expect", "statement", "seed", "trials", "tasks", "fixed_task", "bootstrap", "level", "study", "grid", "quick", "check"];
/// The envelope's keys without a default.
const REQUIRED: &[&str] = &["id", "statement", "seed", "trials", "check"];
/// The keys of `[quick]` and of a `[[check]]`.
const QUICK: &[&str] = &["trials", "tasks", "grid"];
const CHECK: &[&str] = &["quantity", "kind", "predict", "tolerance", "why", "each_point", "where", "expect", "plant"];

/// The valid key nearest to `word` in spelling, if one is near enough to be the one meant:
/// within a third of its length in edits (at least one).
pub fn nearest<'a>(word: &str, known: &[&'a str]) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (strsim::damerau_levenshtein(word, k), *k))
        .filter(|(d, k)| *d > 0 && *d <= (k.chars().count() / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// A spec's parsed text, with positions.
pub struct Text {
    doc: ImDocument<String>,
}

impl Text {
    /// None when the text is not TOML: the TOML parser's own error, which has a line, says why.
    pub fn parse(text: &str) -> Option<Text> {
        ImDocument::parse(text.to_string()).ok().map(|doc| Text { doc })
    }

    fn line_at(&self, span: Option<Range<usize>>) -> Option<usize> {
        let start = span?.start;
        Some(self.doc.raw().get(..start)?.matches('\n').count() + 1)
    }

    /// The line (from 1) of a field as errors name it: `trials`, `quick.trials`,
    /// `check[2].predict`, `settings.c`. The deepest part of the path the text has.
    pub fn line(&self, field: &str) -> Option<usize> {
        let mut table: &dyn toml_edit::TableLike = self.doc.as_table();
        let mut found = None;
        for part in field.split('.') {
            let (name, index) = match part.split_once('[') {
                Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
                None => (part, None),
            };
            let (key, item) = match table.get_key_value(name) {
                Some(kv) => kv,
                None => break,
            };
            found = self.line_at(key.span()).or(found);
            let item = match (index, item) {
                (Some(i), Item::ArrayOfTables(a)) => match a.get(i) {
                    Some(t) => {
                        found = self.line_at(t.span()).or(found);
                        t as &dyn toml_edit::TableLike
                    }
                    None => break,
                },
                (_, item) => match item.as_table_like() {
                    Some(t) => t,
                    None => break,
                },
            };
            table = item;
        }
        found
    }

    /// The first key of `[quick]` or of a `[[check]]` that they do not have, as an error naming
    /// the key meant. (A key of the top level may be a claim's own, such as `scaling`'s
    /// `event`: the claim judges those, in `ClaimSpec::only_sections`.)
    pub fn unknown_key(&self) -> Option<(String, String)> {
        let top = self.doc.as_table();
        for (table, keys) in [("quick", QUICK), ("check", CHECK)] {
            let tables: Vec<&dyn toml_edit::TableLike> = match top.get(table) {
                Some(Item::ArrayOfTables(a)) => a.iter().map(|t| t as &dyn toml_edit::TableLike).collect(),
                Some(item) => item.as_table_like().into_iter().collect(),
                None => vec![],
            };
            for (i, t) in tables.iter().enumerate() {
                if let Some((key, _)) = t.iter().find(|(k, _)| !keys.contains(k)) {
                    let path = if table == "check" { vec![format!("check[{i}]")] } else { vec![table.to_string()] };
                    return Some(self.unknown(key, &path, nearest(key, keys)));
                }
            }
        }
        None
    }

    fn unknown(&self, key: &str, parents: &[String], meant: Option<&str>) -> (String, String) {
        let field = parents.iter().map(String::as_str).chain([key]).collect::<Vec<_>>().join(".");
        let msg = match meant {
            Some(m) => format!("is not a key here; did you mean {m:?}?"),
            None if parents.is_empty() => {
                format!("is not a key a spec has ({}); a claim's own settings go in its tables, such as [settings]", ENVELOPE.join(", "))
            }
            None => "is not a key here".to_string(),
        };
        (field, msg)
    }

    /// The first required key the spec lacks, with the key of the text that is a near miss
    /// of it (`trails` for `trials`), if one is.
    pub fn missing(&self) -> Option<(&'static str, Option<String>)> {
        let top = self.doc.as_table();
        let lacking = REQUIRED.iter().copied().find(|k| !top.contains_key(k))?;
        let typo = top.iter().map(|(k, _)| k).find(|k| !ENVELOPE.contains(k) && nearest(k, ENVELOPE) == Some(lacking));
        Some((lacking, typo.map(str::to_string)))
    }
}

/// An input error about a spec file, named as a compiler would: `path:line: field`. The line
/// is left out where the text has no such key (a missing one).
pub fn in_file(path: &Path, e: Error) -> Error {
    match e {
        Error::Invalid { field, msg } => {
            // A key the claim does not read (`ClaimSpec::only_sections`) that is a near miss
            // of the envelope's (`[quik]`, `bootstap`): the claim cannot know to say so.
            let msg = match nearest(&field, ENVELOPE) {
                Some(meant) if msg.starts_with("unknown field") => format!("is not a key here; did you mean {meant:?}?"),
                _ => msg,
            };
            let line = std::fs::read_to_string(path).ok().and_then(|t| Text::parse(&t)).and_then(|t| t.line(&field));
            match line {
                Some(l) => invalid(format!("{}:{l}: {field}", path.display()), msg),
                None => invalid(format!("{}: {field}", path.display()), msg),
            }
        }
        e => e,
    }
}

/// The spec's own complaints before serde's: a misspelt key, then a missing one.
pub fn explain(text: &str) -> Option<Error> {
    let t = Text::parse(text)?;
    if let Some((field, msg)) = t.unknown_key() {
        return Some(invalid(field, msg));
    }
    t.missing().map(|(k, typo)| match typo {
        Some(typo) => invalid(typo, format!("is not a key here; did you mean {k:?}?")),
        None => {
            let what = if k == "check" { "a spec needs at least one [[check]]" } else { "a spec needs id, statement, seed and trials" };
            invalid(k, format!("is missing: {what} (docs/specs.md: the spec schema)"))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "id = \"x\"\nstatement = \"s\"\nseed = 1\ntrials = 4\n\n[settings]\nc = 0.5\n\n[[check]]\nquantity = \"q\"\nkind = \"equal\"\npredict = 1\ntolerance = 0.1\n\n[[check]]\nquantity = \"r\"\nkind = \"equal\"\npredict = 1\ntolerance = 0.1\n";

    #[test]
    fn a_field_is_found_on_its_line() {
        let t = Text::parse(SPEC).unwrap();
        assert_eq!(t.line("trials"), Some(4));
        assert_eq!(t.line("settings.c"), Some(7));
        assert_eq!(t.line("check[1].predict"), Some(18));
        assert_eq!(t.line("check[1]"), Some(15));
        // The deepest part the text has: a key the table lacks points at the table.
        assert_eq!(t.line("settings.absent"), Some(6));
        assert_eq!(t.line("absent"), None);
    }

    #[test]
    fn a_misspelt_key_is_named_with_the_one_meant() {
        let e = explain(&SPEC.replace("trials = 4", "trails = 4")).unwrap().to_string();
        assert_eq!(e, "invalid trails: is not a key here; did you mean \"trials\"?");
        let (field, msg) = Text::parse(&SPEC.replacen("tolerance", "tolerence", 2)).unwrap().unknown_key().unwrap();
        assert_eq!(field, "check[0].tolerence");
        assert!(msg.contains("\"tolerance\""), "{msg}");
        let (field, _) = Text::parse(&format!("{SPEC}[quick]\ntrails = 2\n")).unwrap().unknown_key().unwrap();
        assert_eq!(field, "quick.trails");
        // The top level's other keys are the claim's to judge: `[task]` is one letter from
        // `tasks`, and `scaling` reads `event = "..."`.
        assert!(explain(&format!("event = \"corr_v >= 0.5\"\n{SPEC}[task]\nn = 2\n")).is_none());
    }

    #[test]
    fn nearness_is_a_third_of_the_word() {
        assert_eq!(nearest("trails", ENVELOPE), Some("trials"));
        assert_eq!(nearest("sead", ENVELOPE), Some("seed"));
        assert_eq!(nearest("xyz", ENVELOPE), None);
        assert_eq!(nearest("trials", ENVELOPE), None, "a valid key is not a near miss");
    }

    #[test]
    fn the_error_names_the_file_and_line() {
        let dir = std::env::temp_dir().join(format!("scb-spec-text-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.toml");
        std::fs::write(&path, SPEC).unwrap();
        let e = in_file(&path, invalid("check[1].predict", "bad")).to_string();
        assert_eq!(e, format!("invalid {}:18: check[1].predict: bad", path.display()));
        std::fs::write(&path, format!("{SPEC}[quik]\ntrials = 2\n")).unwrap();
        let e = in_file(&path, invalid("quik", "unknown field \"quik\": a spec has ...")).to_string();
        assert_eq!(e, format!("invalid {}:20: quik: is not a key here; did you mean \"quick\"?", path.display()));
        assert_eq!(
            explain(&SPEC.replace("seed = 1\n", "")).unwrap().to_string(),
            "invalid seed: is missing: a spec needs id, statement, seed and trials (docs/specs.md: the spec schema)"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
