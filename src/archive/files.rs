//! Opening files in the archive folder without following symbolic links, and giving the
//! files we create the mode the umask asks for.
//!
//! The archive folder is often shared (a repository, a CI cache), so a symlink inside it is
//! not to be trusted: `manifest.jsonl` pointing at a file elsewhere would have `verify` cut
//! that file's torn "last line", a `text/` folder pointing elsewhere would have `run` write
//! texts there and `report --html` show whatever file a `text_path` names. So every archive
//! file is opened with `O_NOFOLLOW` (the last component may not be a symlink), `text/` must be
//! a real folder, and [`ArchiveStore::open`](super::store::ArchiveStore::open) refuses a
//! folder whose manifest, index, lock, WARC files or `text/` are symlinks. The archive folder
//! itself may be a symlink: that is the user's own choice, made on the command line.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;
use std::sync::OnceLock;

/// The error for a symlink met where an archive file or folder should be.
pub fn symlink_refused(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "{} is a symbolic link; citecheck does not follow symbolic links inside the archive \
             folder (replace it with the file or folder itself)",
            path.display()
        ),
    )
}

/// Fails when `path` is a symlink (a missing path is fine: it will be created).
pub fn refuse_symlink(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => Err(symlink_refused(path)),
        Ok(_) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Opens `path` with `options` plus `O_NOFOLLOW`: a symlink as the last component is an
/// error naming the path, not a file elsewhere opened.
pub fn open_nofollow(options: &mut OpenOptions, path: &Path) -> io::Result<File> {
    match options.custom_flags(libc::O_NOFOLLOW).open(path) {
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => Err(symlink_refused(path)),
        other => other,
    }
}

/// Opens `path` for reading, without following a symlink.
pub fn open_read(path: &Path) -> io::Result<File> {
    open_nofollow(OpenOptions::new().read(true), path)
}

/// Opens the archived text `root/rel` for reading where `rel` is a plain relative path (no
/// `..`, no root) and no folder between `root` and the file, nor the file, is a symlink.
pub fn open_inside(root: &Path, rel: &Path) -> io::Result<File> {
    let plain = rel
        .to_str()
        .is_some_and(|r| super::paths::inside_archive(root, r).is_some());
    if !plain {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "text path {:?} leaves the archive folder",
                rel.display().to_string()
            ),
        ));
    }
    let mut at = root.to_path_buf();
    let mut parts = rel.components().peekable();
    while let Some(part) = parts.next() {
        at.push(part);
        if parts.peek().is_some() {
            refuse_symlink(&at)?;
        }
    }
    open_read(&at)
}

/// Reads `root/rel` whole, as [`open_inside`] opens it, refusing files above `max` bytes.
pub fn read_inside(root: &Path, rel: &Path, max: u64) -> io::Result<Vec<u8>> {
    let file = open_inside(root, rel)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a file", root.join(rel).display()),
        ));
    }
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(io::Error::other(format!("larger than {max} bytes")));
    }
    Ok(bytes)
}

/// The process umask, read once: from `/proc/self/status` where there is one, else from the
/// mode of a probe file created with 0666 in the temporary folder (std has no safe way to
/// ask, and setting and restoring it would race with other threads creating files).
/// Without either, 022.
pub fn umask() -> u32 {
    static UMASK: OnceLock<u32> = OnceLock::new();
    *UMASK.get_or_init(|| {
        let from_proc = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|status| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix("Umask:"))
                    .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
            });
        from_proc.or_else(probe_umask).unwrap_or(0o022)
    })
}

fn probe_umask() -> Option<u32> {
    let dir = tempfile::tempdir().ok()?;
    let probe = dir.path().join("probe");
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o666)
        .open(&probe)
        .ok()?;
    let mode = file.metadata().ok()?.permissions().mode() & 0o777;
    Some(0o666 & !mode)
}

/// The mode a file created the ordinary way gets: `0666 & !umask`.
pub fn default_file_mode() -> u32 {
    0o666 & !umask()
}

/// Gives `file` (a temporary file, created 0600) the mode the umask asks for, so every file
/// we write has the same mode as one made by `File::create`.
pub fn set_default_mode(file: &File) -> io::Result<()> {
    file.set_permissions(std::fs::Permissions::from_mode(default_file_mode()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinks_are_refused_and_plain_files_read() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("archive");
        std::fs::create_dir_all(root.join("text")).unwrap();
        std::fs::write(root.join("text/a.txt"), "eigen tekst").unwrap();
        let secret = dir.path().join("geheim.txt");
        std::fs::write(&secret, "geheim").unwrap();
        std::os::unix::fs::symlink(&secret, root.join("text/b.txt")).unwrap();
        std::os::unix::fs::symlink(dir.path(), root.join("elders")).unwrap();

        let read = |rel: &str| read_inside(&root, Path::new(rel), 1000);
        assert_eq!(read("text/a.txt").unwrap(), b"eigen tekst");
        let err = read("text/b.txt").unwrap_err();
        assert!(
            err.to_string().contains("b.txt is a symbolic link"),
            "{err}"
        );
        let err = read("elders/geheim.txt").unwrap_err();
        assert!(
            err.to_string().contains("elders is a symbolic link"),
            "{err}"
        );
        assert!(read("../geheim.txt").is_err());
        assert!(read("text/a.txt").is_ok());
        assert!(
            read_inside(&root, Path::new("text/a.txt"), 3).is_err(),
            "size cap"
        );
        assert!(refuse_symlink(&root.join("elders")).is_err());
        assert!(refuse_symlink(&root.join("text")).is_ok());
        assert!(refuse_symlink(&root.join("nog-niet")).is_ok());
    }

    #[test]
    fn the_default_mode_follows_the_umask() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain");
        File::create(&plain).unwrap();
        let tmp = tempfile::NamedTempFile::new_in(dir.path()).unwrap();
        set_default_mode(tmp.as_file()).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(tmp.path()), mode(&plain));
        assert_eq!(default_file_mode(), mode(&plain));
        assert_eq!(probe_umask(), Some(umask()));
    }
}
