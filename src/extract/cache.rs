//! Trained models kept on disk, so that a process reads what an earlier one trained.
//!
//! Training the learnt fallback and the share reader of both languages takes about as long as
//! loading every rule (docs/perf.md, "Session 25"), and a command-line run pays it on each call.
//! Training is deterministic: the same posts, settings, rules and code give the same model, bit
//! for bit. So a trained model is written to the user's cache folder under a name hashed from all
//! it was trained from — the code included, as a hash of the build's sources (`build.rs`) — and
//! read back by the next process that would train the same one.
//!
//! The cache can only save time, never change a reading: a file that is missing, truncated,
//! altered or of another format is logged, trained again and written anew; a folder that cannot
//! be written to leaves the process training as before. A file is written whole then renamed
//! into place, so processes side by side never read half of one. The folder keeps the files
//! last used up to [`KEEP_BYTES`] in all (about six builds' models); older ones are removed.
//!
//! Where: `$STATUSTRAIL_CACHE_DIR` when set (empty: no cache at all), else the platform's cache
//! folder (`~/.cache/statustrail` on Linux); the models go in its `learnt/` folder.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::SystemTime;

use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The first bytes of every file: what it is and its format's version.
const MAGIC: &[u8] = b"statustrail trained model 1\n";

/// The code that trains the models, as `build.rs` hashed it.
const CODE: &str = env!("STATUSTRAIL_SOURCE_HASH");

/// How many bytes of model files the folder keeps, those last used (the bundled rules' four
/// models take 11 MB).
pub const KEEP_BYTES: u64 = 64 << 20;

/// What can go wrong reading or writing a kept model; each is logged, none is fatal.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: not a trained model of this format, or altered (checksum differs)")]
    Altered { path: PathBuf },
    /// The model could not be encoded, or a file's checked bytes could not be decoded.
    #[error("{path}: {source}")]
    Format {
        path: PathBuf,
        source: postcard::Error,
    },
}

/// The folder models are kept in: `$STATUSTRAIL_CACHE_DIR/learnt`, or the platform cache
/// folder's `statustrail/learnt`; none when the variable is set empty or there is no home.
pub fn dir() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        let base = match std::env::var_os("STATUSTRAIL_CACHE_DIR") {
            Some(d) if d.is_empty() => return None,
            Some(d) => PathBuf::from(d),
            None => dirs::cache_dir()?.join("statustrail"),
        };
        Some(base.join("learnt"))
    })
    .as_deref()
}

/// The file of the model of `kind` trained from what `inputs` identifies, by this build's code.
pub fn file(dir: &Path, kind: &str, inputs: &[u8; 32]) -> PathBuf {
    let mut h = Sha256::new();
    h.update(CODE.as_bytes());
    h.update([0]);
    h.update(kind.as_bytes());
    h.update([0]);
    h.update(inputs);
    dir.join(format!("{kind}-{}.bin", hex::encode(&h.finalize()[..16])))
}

/// Whether a model came from the cache or was trained now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Read,
    Trained,
}

impl Origin {
    /// How a log line says it.
    pub fn verb(self) -> &'static str {
        match self {
            Origin::Read => "read from the cache",
            Origin::Trained => "trained",
        }
    }
}

/// The model of `kind` trained from what `inputs` identifies: read from `dir` when it holds it,
/// else `train`ed now and written there.
pub fn trained<T: Serialize + DeserializeOwned>(
    dir: Option<&Path>,
    kind: &str,
    inputs: &[u8; 32],
    train: impl FnOnce() -> T,
) -> (T, Origin) {
    let Some(dir) = dir else {
        return (train(), Origin::Trained);
    };
    let path = file(dir, kind, inputs);
    match read(&path) {
        Ok(Some(model)) => return (model, Origin::Read),
        Ok(None) => {}
        Err(e) => tracing::warn!(error = %e, "a kept model could not be read; training it again"),
    }
    let model = train();
    if let Err(e) = write(dir, &path, &model) {
        tracing::warn!(error = %e, "the trained model could not be kept for the next process");
    }
    (model, Origin::Trained)
}

/// The model in `path`; none when there is no such file.
pub fn read<T: DeserializeOwned>(path: &Path) -> Result<Option<T>, CacheError> {
    let io = |source| CacheError::Io {
        path: path.to_path_buf(),
        source,
    };
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    let altered = || CacheError::Altered {
        path: path.to_path_buf(),
    };
    let rest = bytes.strip_prefix(MAGIC).ok_or_else(altered)?;
    let (sum, payload) = rest.split_at_checked(32).ok_or_else(altered)?;
    if Sha256::digest(payload).as_slice() != sum {
        return Err(altered());
    }
    let model = postcard::from_bytes(payload).map_err(|source| CacheError::Format {
        path: path.to_path_buf(),
        source,
    })?;
    // Mark it used, so that pruning keeps it; a read-only folder is no reason to fail.
    if let Ok(f) = std::fs::File::options().append(true).open(path) {
        let _ = f.set_modified(SystemTime::now());
    }
    Ok(Some(model))
}

/// Writes `model` to `path` in `dir` (a file written whole, then renamed into place), then
/// removes the files of `dir` last used longest ago beyond [`KEEP_BYTES`].
pub fn write<T: Serialize>(dir: &Path, path: &Path, model: &T) -> Result<(), CacheError> {
    let io = |p: &Path| {
        let p = p.to_path_buf();
        move |source| CacheError::Io { path: p, source }
    };
    let payload = postcard::to_stdvec(model).map_err(|source| CacheError::Format {
        path: path.to_path_buf(),
        source,
    })?;
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io(dir))?;
    tmp.write_all(MAGIC).map_err(io(tmp.path()))?;
    tmp.write_all(&Sha256::digest(&payload))
        .map_err(io(tmp.path()))?;
    tmp.write_all(&payload).map_err(io(tmp.path()))?;
    tmp.persist(path).map_err(|e| io(path)(e.error))?;
    prune(dir, KEEP_BYTES);
    Ok(())
}

/// Removes the model files of `dir` last used (modified) longest ago, until the others take no
/// more than `keep` bytes.
fn prune(dir: &Path, keep: u64) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<(SystemTime, u64, PathBuf)> = entries
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "bin"))
        .filter_map(|e| {
            let m = e.metadata().ok()?;
            Some((m.modified().ok()?, m.len(), e.path()))
        })
        .collect();
    let mut total: u64 = files.iter().map(|f| f.1).sum();
    files.sort();
    for (_, len, path) in &files {
        if total <= keep {
            break;
        }
        match std::fs::remove_file(path) {
            Ok(()) => total -= len,
            Err(e) => {
                tracing::debug!(path = %path.display(), error = %e, "an old kept model stays")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs(n: u8) -> [u8; 32] {
        [n; 32]
    }

    #[test]
    fn a_model_trained_once_is_read_back_by_the_next_process() {
        let dir = tempfile::tempdir().unwrap();
        let trainings = std::cell::Cell::new(0);
        let train = || {
            trainings.set(trainings.get() + 1);
            vec![0.5f32, -1.25, f32::MIN_POSITIVE]
        };
        let (first, origin) = trained(Some(dir.path()), "phase", &inputs(1), train);
        assert_eq!(origin, Origin::Trained);
        let (again, origin) = trained(Some(dir.path()), "phase", &inputs(1), train);
        assert_eq!(origin, Origin::Read);
        assert_eq!(first, again);
        assert_eq!(trainings.get(), 1);
        // Other inputs or another kind are another model.
        let (_, origin) = trained(Some(dir.path()), "phase", &inputs(2), train);
        assert_eq!(origin, Origin::Trained);
        let (_, origin) = trained(Some(dir.path()), "share", &inputs(1), train);
        assert_eq!(origin, Origin::Trained);
        assert_eq!(trainings.get(), 3);
    }

    #[test]
    fn an_altered_or_truncated_file_is_trained_again_and_written_anew() {
        let dir = tempfile::tempdir().unwrap();
        let model = vec![1u32, 2, 3, 400_000];
        let (_, _) = trained(Some(dir.path()), "phase", &inputs(1), || model.clone());
        let path = file(dir.path(), "phase", &inputs(1));
        let whole = std::fs::read(&path).unwrap();

        let mut flipped = whole.clone();
        *flipped.last_mut().unwrap() ^= 1;
        let truncated = whole[..whole.len() - 1].to_vec();
        let mut other_format = whole.clone();
        other_format[MAGIC.len() - 2] = b'9';
        for bad in [
            flipped,
            truncated,
            other_format,
            Vec::new(),
            b"\xff\xfe".to_vec(),
        ] {
            std::fs::write(&path, &bad).unwrap();
            assert!(read::<Vec<u32>>(&path).is_err());
            let (read_back, origin) =
                trained(Some(dir.path()), "phase", &inputs(1), || model.clone());
            assert_eq!((read_back, origin), (model.clone(), Origin::Trained));
            assert_eq!(std::fs::read(&path).unwrap(), whole, "written anew");
        }
    }

    #[test]
    fn a_folder_that_cannot_be_written_leaves_training_as_it_was() {
        let dir = tempfile::tempdir().unwrap();
        // A file where the folder should be.
        let blocked = dir.path().join("learnt");
        std::fs::write(&blocked, b"not a folder").unwrap();
        let (model, origin) = trained(Some(&blocked), "phase", &inputs(1), || vec![7u8]);
        assert_eq!((model, origin), (vec![7u8], Origin::Trained));
        let (_, origin) = trained(None, "phase", &inputs(1), || vec![7u8]);
        assert_eq!(origin, Origin::Trained);
    }

    #[test]
    fn the_folder_keeps_the_models_last_used() {
        let dir = tempfile::tempdir().unwrap();
        let old = SystemTime::now() - std::time::Duration::from_secs(3600);
        for n in 0..5u8 {
            trained(Some(dir.path()), "phase", &inputs(n), || vec![n; 1000]);
            let f = std::fs::File::options()
                .append(true)
                .open(file(dir.path(), "phase", &inputs(n)))
                .unwrap();
            f.set_modified(old + std::time::Duration::from_secs(u64::from(n)))
                .unwrap();
        }
        // Model 0 is used again: models 1 and 2 are now those used longest ago.
        let (_, origin) = trained(Some(dir.path()), "phase", &inputs(0), || vec![99]);
        assert_eq!(origin, Origin::Read);
        let one = std::fs::metadata(file(dir.path(), "phase", &inputs(0)))
            .unwrap()
            .len();
        prune(dir.path(), 3 * one);
        let kept = |n: u8| file(dir.path(), "phase", &inputs(n)).exists();
        assert_eq!(
            (0..5).map(kept).collect::<Vec<_>>(),
            [true, false, false, true, true]
        );
    }
}
