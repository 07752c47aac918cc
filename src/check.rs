//! `davdir check`: every file in the data directory the server would skip,
//! and what a crash left behind (removed at the server's next start).

use std::path::Path;

use crate::store::Store;

/// Returns "path:line: reason" for every problem found; object files over
/// `max_resource_size` bytes are problems (the server skips them unread),
/// and so are lines of `htpasswd` naming a user again (the server ignores them),
/// and `[share]` entries and groups-file lines that grant nothing.
pub fn problems(
    data: &Path,
    max_resource_size: u64,
    htpasswd: Option<&Path>,
    groups: Option<&Path>,
) -> std::io::Result<Vec<String>> {
    // A private cache (created securely, removed however this returns) keeps
    // `check` from writing into the data directory.
    let scratch = tempfile::Builder::new().prefix("davdir-check-").tempdir()?;
    let store = Store::open(data, Some(scratch.path()))?;
    store.set_max_object_size(max_resource_size);
    let mut out = match htpasswd {
        Some(path) => crate::accounts::HtpasswdFile::new(path.to_path_buf())
            .problems()
            .map_err(std::io::Error::other)?,
        None => Vec::new(),
    };
    // Shares naming no account grant nothing; without htpasswd any name is one.
    if let Some(path) = htpasswd {
        if let Ok(users) = crate::accounts::HtpasswdFile::new(path.to_path_buf()).list() {
            let users: std::collections::HashSet<String> = users.into_iter().collect();
            store.set_user_check(std::sync::Arc::new(move |u| users.contains(u)));
        }
    }
    store.set_groups_file(groups.map(Path::to_path_buf));
    out.extend(store.groups_problems());
    for user in store.user_names().map_err(std::io::Error::other)? {
        for (cal, _) in store.collection_names(&user).unwrap_or_default() {
            let Ok(c) = store.collection(&user, &cal) else {
                continue;
            };
            out.extend(store.read_share_table(&user, &cal).1);
            for (file, reason) in c.kind().conflicts(c.dir()) {
                out.push(format!("{}: {reason}", c.dir().join(file).display()));
            }
            match c.props() {
                Ok(props) => {
                    for (file, reason) in props.problems() {
                        out.push(format!("{}: {reason}", c.dir().join(file).display()));
                    }
                }
                Err(e) => out.push(format!(
                    "{}: {e}",
                    c.dir().join(c.kind().marker()).display()
                )),
            }
            for (name, reason) in c.problems().unwrap_or_default() {
                out.push(format!("{}:{reason}", c.dir().join(name).display()));
            }
        }
    }
    for user in store.user_names().map_err(std::io::Error::other)? {
        let dir = data.join(&user).join(crate::store::BIRTHDAYS);
        if dir.is_dir() {
            out.push(format!(
                "{}: the name is reserved for the birthday calendar; not served unless birthday_calendar = false",
                dir.display()
            ));
        }
    }
    for path in store.refused_links() {
        out.push(format!(
            "{}: symbolic link leads outside the user's home (or is a home); not served",
            path.display()
        ));
    }
    for path in store.leftovers() {
        out.push(format!(
            "{}: leftover of an interrupted write; removed at the next start",
            path.display()
        ));
    }
    // One line per problem, however many scans of a collection met it.
    let mut seen = std::collections::HashSet::new();
    out.retain(|line| seen.insert(line.clone()));
    Ok(out)
}
