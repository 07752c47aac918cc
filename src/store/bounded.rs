//! Reading an object file found on disk within the same size bound as a PUT
//! body (`max_resource_size`): a 5 GB file dropped into a calendar by hand
//! must cost a `stat`, not 5 GB of memory. A file that grew past the bound
//! after it was looked at is caught while reading, never served truncated.

use std::fs::File;
use std::io::{self, Read};

/// Why a file's bytes were not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    /// The file is larger than the bound: a problem of the file, not the disk.
    #[error(" file is larger than max_resource_size ({max} bytes); skipped")]
    TooLarge { max: u64 },
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// The reason recorded (and printed by `check`) for a file over `max`.
pub fn too_large(max: u64) -> String {
    ReadError::TooLarge { max }.to_string()
}

/// Reads the whole of `file`, whose size was `len` when it was looked at,
/// refusing it as soon as it holds more than `max` bytes.
pub fn read_all(file: File, len: u64, max: u64) -> Result<Vec<u8>, ReadError> {
    if len > max {
        return Err(ReadError::TooLarge { max });
    }
    let mut bytes = Vec::with_capacity(len as usize);
    file.take(max.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(ReadError::TooLarge { max });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_up_to_the_bound_and_refuses_one_byte_more() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.ics");
        std::fs::write(&path, b"0123456789").unwrap();
        let open = || File::open(&path).unwrap();
        assert_eq!(read_all(open(), 10, 10).unwrap(), b"0123456789");
        assert!(matches!(
            read_all(open(), 10, 9),
            Err(ReadError::TooLarge { max: 9 })
        ));
        // Grown since it was looked at (stat said 4 bytes): caught while reading.
        assert!(matches!(
            read_all(open(), 4, 9),
            Err(ReadError::TooLarge { .. })
        ));
    }
}
