//! The reporting-verb lexicon (`verbs.txt`, our own list): surface forms of Dutch verbs of
//! saying, and the particle a separable one needs to close its clause.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// The lexicon, as data in the repository.
const VERBS: &str = include_str!("verbs.txt");

struct Lexicon {
    /// Finite forms of the verbs without a particle.
    plain: HashSet<&'static str>,
    /// Finite forms of separable verbs → the particles that may close their clause.
    separable: HashMap<&'static str, Vec<&'static str>>,
    /// Plural finite forms (`zeggen`, `zeiden`) that are no singular form of another verb.
    plural: HashSet<&'static str>,
}

fn lexicon() -> &'static Lexicon {
    static LEXICON: OnceLock<Lexicon> = OnceLock::new();
    LEXICON.get_or_init(|| {
        let mut plain = HashSet::new();
        let mut separable: HashMap<&str, Vec<&str>> = HashMap::new();
        let mut plural = HashSet::new();
        let mut singular = HashSet::new();
        for line in VERBS.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((_, forms)) = line.split_once(':') else {
                continue;
            };
            let (forms, particle) = match forms.split_once('|') {
                Some((f, p)) => (f, Some(p.trim())),
                None => (forms, None),
            };
            // The first four forms are finite: present sg/pl, past sg/pl.
            for (n, form) in forms.split_whitespace().take(4).enumerate() {
                if n % 2 == 1 {
                    plural.insert(form);
                } else {
                    singular.insert(form);
                }
                match particle {
                    Some(p) => {
                        let entry = separable.entry(form).or_default();
                        if !entry.contains(&p) {
                            entry.push(p);
                        }
                    }
                    None => {
                        plain.insert(form);
                    }
                }
            }
        }
        plural.retain(|f| !singular.contains(f));
        Lexicon {
            plain,
            separable,
            plural,
        }
    })
}

/// A finite form of a verb of saying that needs no particle (`zegt`, `reageerde`).
pub(super) fn is_say_verb(lower: &str) -> bool {
    lexicon().plain.contains(lower)
}

/// The particles that close the clause of a separable verb of saying (`gaf` → `aan`,
/// `toe`, `mee`), when `lower` is a finite form of one.
pub(super) fn separable_particles(lower: &str) -> Option<&'static [&'static str]> {
    lexicon().separable.get(lower).map(Vec::as_slice)
}

/// A plural finite form (`zeggen ze`: a group, not one person).
pub(super) fn is_plural(lower: &str) -> bool {
    lexicon().plural.contains(lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_tenses_and_particles() {
        for form in [
            "zegt",
            "zeiden",
            "adviseerde",
            "benadrukte",
            "waarschuwde",
            "reageerde",
        ] {
            assert!(is_say_verb(form), "{form}");
        }
        assert!(!is_say_verb("gezegd"), "a participle is not finite");
        assert!(!is_say_verb("gaf"), "`gaf` needs its particle");
        let gaf = separable_particles("gaf").unwrap();
        for p in ["aan", "mee", "toe"] {
            assert!(gaf.contains(&p), "{p}");
        }
        assert!(separable_particles("legden").unwrap().contains(&"uit"));
        assert!(separable_particles("zegt").unwrap().contains(&"toe"));
        assert!(is_plural("zeiden") && is_plural("zeggen") && !is_plural("zegt"));
    }
}
