//! Which code a claim's trials ran: the fingerprints build.rs fixes at build time (the
//! harness's trial-making sources, and each theory's folder), combined for one claim. A
//! record carries it, so a record made by other code is simulated again, never re-judged.

mod table {
    include!(concat!(env!("OUT_DIR"), "/code.rs"));
}

/// The fingerprint of the code claim type `C`'s trials depend on: the harness's sources
/// with those of the folder `C` is defined in (`theories/<name>` or `external`). A type
/// outside those folders (a test's claim) depends on every folder.
pub fn of<C>() -> String {
    let path = std::any::type_name::<C>();
    let folder = folder_of(path);
    let parts: Vec<&str> = match folder {
        Some(f) => vec![table::HARNESS, f],
        None => std::iter::once(table::HARNESS).chain(table::FOLDERS.iter().map(|(_, h)| *h)).collect(),
    };
    crate::rng::config_hash(&serde_json::json!(parts))
}

/// The fingerprint of the folder a type path (`scb::theories::icl::claims::...`) lies in.
fn folder_of(type_path: &str) -> Option<&'static str> {
    let inside = type_path.split_once("::").map_or(type_path, |(_, rest)| rest);
    table::FOLDERS.iter().find(|(folder, _)| inside.starts_with(&format!("{}::", folder.replace('/', "::")))).map(|(_, h)| *h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_claim_lies_in_a_fingerprinted_folder() {
        // A claim the table cannot place would fall back to every folder's code; each of
        // ours must be placed, or an edit to one theory would re-simulate all of them.
        for folder in ["theories::scb", "theories::icl", "theories::lowrank", "external"] {
            assert!(folder_of(&format!("scb::{folder}::claims::X")).is_some(), "{folder}");
        }
        assert!(folder_of(std::any::type_name::<crate::external::claim::Python>()).is_some());
        assert!(folder_of("scb::claims::runner::tests::Declares").is_none());
        // And every claim the CLI knows is placed: none falls back to every folder's code.
        struct Unplaced;
        for claim in crate::theories::REGISTRY.iter() {
            assert_ne!(claim.code(), of::<Unplaced>(), "{} is not placed in a folder", claim.id());
        }
    }

    #[test]
    fn theories_have_different_fingerprints_and_one_claim_type_always_the_same() {
        struct Local;
        assert_eq!(of::<Local>(), of::<Local>());
        let (a, b) = (folder_of("scb::theories::scb::X"), folder_of("scb::theories::icl::X"));
        assert_ne!(a, b);
    }
}
