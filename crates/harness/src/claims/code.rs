//! Which code a claim's trials ran: the fingerprints build.rs fixes at build time (the
//! harness's trial-making sources, and each theory crate's), combined for one claim. A
//! record carries it, so a record made by other code is simulated again, never re-judged.

mod table {
    include!(concat!(env!("OUT_DIR"), "/code.rs"));
}

/// The fingerprint of the code claim type `C`'s trials depend on: the harness's sources
/// with those of the crate or folder `C` is defined in (a theory crate of this workspace,
/// or the harness's `external`). A type outside them (a test's claim, or a theory from
/// another repository) depends on every one.
pub fn of<C>() -> String {
    let path = std::any::type_name::<C>();
    let parts: Vec<&str> = match folder_of(path) {
        Some(f) => vec![table::HARNESS, f],
        None => std::iter::once(table::HARNESS).chain(table::FOLDERS.iter().map(|(_, h)| *h)).collect(),
    };
    crate::rng::config_hash(&serde_json::json!(parts))
}

/// The fingerprint of the crate or folder a type path (`scb_theory_icl::claims::...`) lies in.
fn folder_of(type_path: &str) -> Option<&'static str> {
    table::FOLDERS.iter().find(|(prefix, _)| type_path.starts_with(&format!("{prefix}::"))).map(|(_, h)| *h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_theory_crate_and_the_external_trials_have_a_fingerprint_of_their_own() {
        for prefix in ["scb_theory_scb", "scb_theory_icl", "scb_theory_lowrank", "scb_theory_lsa", "scb_theory_known", "scb_harness::external"] {
            assert!(folder_of(&format!("{prefix}::claims::X")).is_some(), "{prefix}");
        }
        assert!(folder_of(std::any::type_name::<crate::external::claim::Python>()).is_some());
        assert!(folder_of("scb_harness::claims::runner::tests::Declares").is_none());
        assert!(folder_of("scb_theory_scbx::claims::X").is_none());
    }

    #[test]
    fn theories_have_different_fingerprints_and_one_claim_type_always_the_same() {
        struct Local;
        assert_eq!(of::<Local>(), of::<Local>());
        let (a, b) = (folder_of("scb_theory_scb::X"), folder_of("scb_theory_icl::X"));
        assert_ne!(a, b);
    }
}
