//! The source fingerprint that ties trial records to the code that made them (build.rs):
//! documentation, comments and layout keep it; a change to what the code does moves it.

#[allow(dead_code)]
#[path = "../crates/harness/build.rs"]
mod build;

use build::canonical_rust;

const STEP: &str = r#"
/// The step size.
pub fn step(eta: f64) -> f64 {
    eta * 0.5 // halved
}
"#;

#[test]
fn comments_doc_comments_and_layout_keep_the_fingerprint() {
    let redocumented = r#"
//! A module about steps.

/// The step size, halved: see docs/theory.md.
/// A second line.
pub fn step(eta: f64) -> f64 {
    /* the paper's choice */
    eta
        * 0.5
}
"#;
    assert_eq!(canonical_rust(STEP), canonical_rust(redocumented));
}

#[test]
fn a_changed_constant_or_operator_moves_the_fingerprint() {
    assert_ne!(canonical_rust(STEP), canonical_rust(&STEP.replace("0.5", "0.25")));
    assert_ne!(canonical_rust(STEP), canonical_rust(&STEP.replace("eta *", "eta /")));
    assert_ne!(canonical_rust("let a = b >> c;"), canonical_rust("let a = b > > c;"));
    // A string's contents are code, even one that looks like a comment.
    assert_ne!(canonical_rust(r#"let s = "// one";"#), canonical_rust(r#"let s = "// two";"#));
}

#[test]
fn an_attribute_other_than_doc_is_kept() {
    assert_ne!(canonical_rust("#[inline] fn f() {}"), canonical_rust("fn f() {}"));
    assert_eq!(canonical_rust("#[doc = \"x\"] fn f() {}"), canonical_rust("fn f() {}"));
    // A lint level changes what the compiler says, never what it compiles.
    for lint in ["#![warn(missing_docs)]", "#[allow(clippy::too_many_arguments)]", "#[deny(unused)]", "#[expect(dead_code)]", "#![forbid(unsafe_code)]"] {
        assert_eq!(canonical_rust(&format!("{lint} fn f() {{}}")), canonical_rust("fn f() {}"), "{lint}");
    }
    assert_ne!(canonical_rust("#[cfg(feature = \"x\")] fn f() {}"), canonical_rust("fn f() {}"));
}

#[test]
fn a_unit_test_module_is_not_code_a_trial_runs() {
    let with_tests = format!("{STEP}\n#[cfg(test)]\nmod tests {{\n    #[test]\n    fn halves() {{ assert_eq!(super::step(1.0), 0.5); }}\n}}\n");
    assert_eq!(canonical_rust(STEP), canonical_rust(&with_tests));
    let test_use = format!("#[cfg(test)]\nuse std::fmt;\n{STEP}");
    assert_eq!(canonical_rust(STEP), canonical_rust(&test_use));
    // Code after a test module still counts.
    assert_ne!(canonical_rust(&with_tests), canonical_rust(&format!("{with_tests}\nfn more() {{}}")));
}

/// Each built-in claim's records carry its own theory crate's fingerprint (with the
/// harness's): a claim the table could not place would fall back to every crate's code, and
/// an edit to one theory would then re-simulate all of them.
#[test]
fn every_built_in_claim_is_placed_in_its_theory_crate() {
    struct Unplaced;
    let fallback = scb::claims::code::of::<Unplaced>();
    let mut codes = std::collections::BTreeSet::new();
    for claim in scb::theories::REGISTRY.iter() {
        assert_ne!(claim.code(), fallback, "{} is not placed in a fingerprinted crate", claim.id());
        codes.insert(claim.code());
    }
    // Five theory crates and the harness's external trials.
    assert_eq!(codes.len(), 6, "{codes:?}");
}
