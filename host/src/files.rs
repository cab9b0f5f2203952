//! Files holding secrets: created readable by their owner only.

use std::io::Write as _;
use std::path::Path;

/// Creates `path`, which must not exist, with mode 0600, and writes
/// `contents` to it durably.
pub fn create_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}
