//! What `import`, `export`, `trash` and `import-radicale` share: opening
//! the configured data directory's store (as its owner when run as root)
//! and the one-line failure with exit 2.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use super::SettingsArgs;
use crate::config::{default_data_dir, FileConfig, DEFAULT_MAX_RESOURCE_SIZE};
use crate::store::Store;

/// `davdir <what>: <msg>` on stderr, exit 2.
pub(super) fn fail(what: &str, msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("davdir {what}: {msg}");
    ExitCode::from(2)
}

/// The store over the configured data directory; with `scratch`, its cache
/// is a private directory, not the server's.
pub(super) fn open_store(
    args: &SettingsArgs,
    scratch: Option<&Path>,
) -> Result<Arc<Store>, String> {
    let config: FileConfig = args.file_config().map_err(|e| e.to_string())?;
    let data = config.data.clone().unwrap_or_else(default_data_dir);
    if !data.is_dir() {
        return Err(format!("no data directory {}", data.display()));
    }
    act_as_data_owner(&data)?;
    let cache = scratch.map(Path::to_path_buf).or(config.cache.clone());
    let store = Store::open(&data, cache.as_deref()).map_err(|e| e.to_string())?;
    store.set_max_object_size(
        config
            .max_resource_size
            .unwrap_or(DEFAULT_MAX_RESOURCE_SIZE),
    );
    store.set_birthday_calendar(config.birthday_calendar.unwrap_or(true));
    store.set_first_collections(crate::store::FirstCollections::named(
        config.first_calendar.as_deref(),
        config.first_addressbook.as_deref(),
    ));
    // One scan per collection is enough for a short run: without this, every
    // access rescans the directory (1,000 objects imported = 1,000 scans).
    // A write still looks at its own file again under the lock.
    store.set_watched(true);
    Ok(store)
}

/// Run as root, a command that writes into the data acts as the data
/// directory's owner (the server's user), so the server can read and replace
/// everything it writes, its cache files included.
pub(super) fn act_as_data_owner(data: &Path) -> Result<(), String> {
    match crate::file_owner::act_as_owner_of(data) {
        Ok(Some(uid)) => {
            eprintln!(
                "davdir: acting as uid {uid}, the owner of {}, so the server can use what this writes",
                data.display()
            );
            Ok(())
        }
        Ok(None) => Ok(()),
        Err(e) => Err(format!(
            "cannot act as the owner of {}: {e}; run this command as that user (sudo -u davdir davdir ...)",
            data.display()
        )),
    }
}
