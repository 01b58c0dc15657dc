//! Turns the freshly bound bundle into what browsers should get: content-hashed file
//! names (so they can be cached `immutable` — a repeat visit downloads nothing), and
//! precompressed `.br` and `.gz` copies beside each file (served by the static-file
//! handler to browsers that accept them). `hash.txt` in the site root names the current
//! files; the server reads it (see `app::assets`).

use std::io::Write;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::util::Result;

/// Content hash used in a file name: 16 hex digits of SHA-256.
fn content_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One bundle file: its kind in `hash.txt` (`js`, `wasm`, `css`) and where it is now.
pub struct BundleFile<'a> {
    pub kind: &'static str,
    pub path: &'a Path,
    pub extension: &'static str,
}

/// Renames each file to `<output>.<hash>.<ext>` in `pkg`, writes its `.br` and `.gz`
/// copies, removes older generations, and writes `site_root/hash.txt`. Returns the
/// (name, raw bytes, brotli bytes) of each file for the report.
pub fn fingerprint(
    site_root: &Path,
    pkg: &Path,
    output_name: &str,
    files: &[BundleFile<'_>],
) -> Result<Vec<(String, usize, usize)>> {
    let mut manifest = String::new();
    let mut report = Vec::new();
    let mut current = Vec::new();
    for file in files {
        let bytes = std::fs::read(file.path)?;
        let hash = content_hash(&bytes);
        let name = format!("{output_name}.{hash}.{}", file.extension);
        let target = pkg.join(&name);
        std::fs::write(&target, &bytes)?;
        let brotli = brotli_bytes(&bytes)?;
        std::fs::write(pkg.join(format!("{name}.br")), &brotli)?;
        std::fs::write(pkg.join(format!("{name}.gz")), gzip_bytes(&bytes)?)?;
        if file.path != target {
            std::fs::remove_file(file.path)?;
        }
        manifest.push_str(&format!("{}: {hash}\n", file.kind));
        report.push((name.clone(), bytes.len(), brotli.len()));
        current.push(name);
    }
    remove_old_generations(pkg, output_name, &current)?;
    std::fs::write(site_root.join("hash.txt"), manifest)?;
    Ok(report)
}

fn brotli_bytes(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
    Ok(out)
}

fn gzip_bytes(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?)
}

/// Hashed files of earlier builds (and their compressed copies) would pile up forever.
fn remove_old_generations(pkg: &Path, output_name: &str, current: &[String]) -> Result<()> {
    for entry in std::fs::read_dir(pkg)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        let base = name
            .strip_suffix(".br")
            .or_else(|| name.strip_suffix(".gz"))
            .unwrap_or(&name);
        let ours = base.starts_with(&format!("{output_name}."));
        if ours && !current.iter().any(|c| c == base) {
            std::fs::remove_file(pkg.join(&name))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_content_and_old_generations_go() {
        let dir = std::env::temp_dir().join(format!("xtask-assets-{}", std::process::id()));
        let pkg = dir.join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(pkg.join("clinic.0000000000000000.js"), "old").unwrap();
        std::fs::write(pkg.join("clinic.0000000000000000.js.br"), "old").unwrap();
        std::fs::write(pkg.join("clinic.js"), "console.log(1)").unwrap();
        let report = fingerprint(
            &dir,
            &pkg,
            "clinic",
            &[BundleFile {
                kind: "js",
                path: &pkg.join("clinic.js"),
                extension: "js",
            }],
        )
        .unwrap();
        let name = &report[0].0;
        assert_eq!(
            name,
            &format!("clinic.{}.js", content_hash(b"console.log(1)"))
        );
        let mut left: Vec<String> = std::fs::read_dir(&pkg)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            vec![name.clone(), format!("{name}.br"), format!("{name}.gz")]
        );
        let manifest = std::fs::read_to_string(dir.join("hash.txt")).unwrap();
        assert_eq!(
            manifest,
            format!("js: {}\n", content_hash(b"console.log(1)"))
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
