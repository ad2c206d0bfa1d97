//! Path safety for every reader of archived files: a path taken from the manifest or from
//! report.csv is input, so it may only name a file inside the archive folder.

use std::path::{Component, Path, PathBuf};

/// `rel` (a relative path as the manifest and report.csv give it) under the archive folder
/// `dir`, or `None` when it is empty or could leave the folder: every component must be a
/// plain name (no `..`, `.`, root or drive prefix).
pub fn inside_archive(dir: &Path, rel: &str) -> Option<PathBuf> {
    let rel = Path::new(rel);
    let plain =
        !rel.as_os_str().is_empty() && rel.components().all(|c| matches!(c, Component::Normal(_)));
    plain.then(|| dir.join(rel))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_stay_inside() {
        let dir = Path::new("/data/archive");
        assert_eq!(
            inside_archive(dir, "text/ab.txt"),
            Some(PathBuf::from("/data/archive/text/ab.txt"))
        );
        for bad in [
            "",
            "../manifest.jsonl",
            "/etc/passwd",
            "text/../../x",
            "./a",
            "a/../b",
        ] {
            assert_eq!(inside_archive(dir, bad), None, "{bad}");
        }
    }
}
