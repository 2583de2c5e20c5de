//! The bundled rules (`patterns/`) are compiled into the binary: rebuild when they change.
//!
//! It also names the code that trains the learnt models: `STATUSTRAIL_SOURCE_HASH` is a hash of
//! every source file and of `Cargo.lock`, so that a model kept on disk by one build is never read
//! by another (src/extract/cache.rs).
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-changed=patterns");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-changed=Cargo.lock");
    let mut files = Vec::new();
    sources(Path::new("src"), &mut files);
    files.sort();
    files.push(PathBuf::from("Cargo.lock"));
    let mut h = Sha256::new();
    for f in &files {
        // A file that cannot be read (no Cargo.lock in a packaged crate) is named, not hashed.
        h.update(f.to_string_lossy().as_bytes());
        h.update([0]);
        if let Ok(bytes) = std::fs::read(f) {
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(&bytes);
        }
    }
    println!(
        "cargo:rustc-env=STATUSTRAIL_SOURCE_HASH={}",
        hex::encode(h.finalize())
    );
}

/// Every file below `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let path = e.path();
        if path.is_dir() {
            sources(&path, out);
        } else {
            out.push(path);
        }
    }
}
