//! The demo's sample copy, a library function because the test harness
//! (tests/common) makes its data directories the same way `davdir demo`
//! (src/cli/demo.rs) makes its working copy.

use std::fs;
use std::io;
use std::path::Path;

/// Copies the sample's files and directories, leaving out hidden entries the
/// server derives (`.davdir-cache` and the like), which are never sample data.
pub fn copy_sample(from: &Path, to: &Path) -> io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name();
        if name.to_string_lossy().starts_with(".davdir") {
            continue;
        }
        let kind = entry.file_type()?;
        let target = to.join(&name);
        if kind.is_dir() {
            copy_sample(&entry.path(), &target)?;
        } else if kind.is_file() {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}
