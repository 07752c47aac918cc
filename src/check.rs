//! `caldir check`: every file in the data directory the server would skip.

use std::path::Path;

use crate::store::Store;

/// Returns "path:line: reason" for every problem found.
pub fn problems(data: &Path) -> std::io::Result<Vec<String>> {
    // An in-memory cache keeps `check` from writing into the data directory.
    let scratch = tempfile_dir()?;
    let store = Store::open(data, Some(&scratch))?;
    let mut out = Vec::new();
    for user in store.user_names().map_err(std::io::Error::other)? {
        for cal in store.calendar_names(&user).unwrap_or_default() {
            let Ok(c) = store.calendar(&user, &cal) else {
                continue;
            };
            if let Err(e) = c.props() {
                out.push(format!(
                    "{}: {e}",
                    c.dir()
                        .join(crate::store::collection_props::SETTINGS_FILE)
                        .display()
                ));
            }
            for (name, reason) in c.problems().unwrap_or_default() {
                out.push(format!("{}:{reason}", c.dir().join(name).display()));
            }
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    Ok(out)
}

fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("caldir-check-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
