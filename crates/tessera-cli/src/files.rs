//! Reading the data set's files where references point: over HTTP(S),
//! from file:// URLs or as paths relative to the references' folder.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// The reference JSON at `path`, and the folder its relative chunk
/// paths are relative to.
pub(crate) fn read_references(
    path: &Path,
) -> anyhow::Result<(tessera_core::reader::References, PathBuf)> {
    use anyhow::Context as _;
    let context = || format!("reading the references {}", path.display());
    let bytes = std::fs::read(path).with_context(context)?;
    let refs = tessera_core::reader::References::from_bytes(&bytes).with_context(context)?;
    let base = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    Ok((refs, base))
}

/// Where one file's bytes are.
#[derive(Clone)]
pub(crate) struct Source {
    pub(crate) location: String,
    pub(crate) range: Option<(u64, u64)>,
}

impl Source {
    /// Where a chunk the references list is; `None` for inline bytes
    /// (which the data set's references do not have).
    pub(crate) fn of(chunk: &tessera_core::reader::ChunkRef) -> Option<Source> {
        match chunk {
            tessera_core::reader::ChunkRef::Remote(remote) => Some(Source {
                location: remote.url(),
                range: remote.range.map(|r| (r.offset, r.length)),
            }),
            tessera_core::reader::ChunkRef::Inline(_) => None,
        }
    }
}

/// One file's bytes: over HTTP(S), from a file:// URL or a path (relative
/// to the references' folder).
pub(crate) fn fetch(client: &ureq::Agent, base: &Path, source: &Source) -> Result<Vec<u8>, String> {
    let location = &source.location;
    let named = |e: &dyn std::fmt::Display| format!("{location}: {e}");
    if location.starts_with("http://") || location.starts_with("https://") {
        let mut request = client.get(location);
        if let Some((offset, length)) = source.range {
            let last = offset + length.saturating_sub(1);
            request = request.header("Range", format!("bytes={offset}-{last}"));
        }
        let mut response = request.call().map_err(|e| named(&e))?;
        let body = response
            .body_mut()
            .with_config()
            .limit(MAX_FILE_BYTES)
            .read_to_vec()
            .map_err(|e| named(&e))?;
        return Ok(body);
    }
    let path = match location.strip_prefix("file://") {
        Some(p) => PathBuf::from(p),
        None => base.join(location),
    };
    let mut file = File::open(&path).map_err(|e| named(&e))?;
    let len = file.metadata().map_err(|e| named(&e))?.len();
    if len > MAX_FILE_BYTES {
        return Err(named(&format!(
            "{len} bytes, more than a file of the data set can be"
        )));
    }
    match source.range {
        None => {
            let mut bytes = Vec::with_capacity(len as usize);
            file.read_to_end(&mut bytes).map_err(|e| named(&e))?;
            Ok(bytes)
        }
        Some((offset, length)) => {
            if offset.saturating_add(length) > len {
                return Err(named(&format!(
                    "the range {offset}+{length} ends past the file's {len} bytes"
                )));
            }
            let mut bytes = vec![0; length as usize];
            file.seek(SeekFrom::Start(offset)).map_err(|e| named(&e))?;
            file.read_exact(&mut bytes).map_err(|e| named(&e))?;
            Ok(bytes)
        }
    }
}

/// A 1200×1200 uint16 file uncompressed is 2.9 MB; anything far larger is
/// not a file of the data set.
const MAX_FILE_BYTES: u64 = 64 << 20;
