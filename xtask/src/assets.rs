//! Turns the freshly bound bundle into what browsers should get: content-hashed file
//! names (so they can be cached `immutable` — a repeat visit downloads nothing), and
//! precompressed `.br` and `.gz` copies beside each file (served by the static-file
//! handler to browsers that accept them). `hash.txt` in the site root names the current
//! files; the server reads it (see `app::BundleFiles`).
//!
//! The installable app's parts are made here too: the icons, rendered from the one
//! source image `public/favicon.svg` (resvg: a maintained pure-Rust SVG renderer, so no
//! hand-drawn PNGs in many sizes are committed), the web app manifest naming them, and
//! the service worker and offline page with the current file names filled in.

use std::io::Write;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::util::Result;

/// Content hash used in a file name: 16 hex digits of SHA-256.
pub fn content_hash(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One bundle file: its kind in `hash.txt` (`js`, `wasm`, `css`, `webmanifest`, `icon-192`,
/// …; never `manifest` or `split`, which Leptos reads as its wasm-splitting files), the
/// stem of its served name, and where it is now.
pub struct BundleFile<'a> {
    pub kind: &'static str,
    pub stem: &'a str,
    pub path: &'a Path,
    pub extension: &'static str,
}

/// A file after [`fingerprint`]: its kind, served name, and raw and brotli sizes.
pub struct Fingerprinted {
    pub kind: &'static str,
    pub hash: String,
    pub name: String,
    pub raw: usize,
    pub brotli: usize,
}

/// Renames each file to `<stem>.<hash>.<ext>` in `pkg`, writes `.br` and `.gz` copies of
/// text (not of PNGs, which are compressed already) and removes the stem's older
/// generations. [`write_hash_file`] then records the names.
pub fn fingerprint(pkg: &Path, files: &[BundleFile<'_>]) -> Result<Vec<Fingerprinted>> {
    let mut done = Vec::new();
    for file in files {
        let bytes = std::fs::read(file.path)?;
        let hash = content_hash(&bytes);
        let name = format!("{}.{hash}.{}", file.stem, file.extension);
        let target = pkg.join(&name);
        std::fs::write(&target, &bytes)?;
        let brotli = if file.extension == "png" {
            bytes.len()
        } else {
            let brotli = brotli_bytes(&bytes)?;
            std::fs::write(pkg.join(format!("{name}.br")), &brotli)?;
            std::fs::write(pkg.join(format!("{name}.gz")), gzip_bytes(&bytes)?)?;
            brotli.len()
        };
        if file.path != target {
            std::fs::remove_file(file.path)?;
        }
        remove_old_generations(pkg, file.stem, &name)?;
        done.push(Fingerprinted {
            kind: file.kind,
            hash,
            name,
            raw: bytes.len(),
            brotli,
        });
    }
    Ok(done)
}

/// `site_root/hash.txt`: one `kind: hash` line per file.
pub fn write_hash_file(site_root: &Path, files: &[Fingerprinted]) -> Result<()> {
    let lines: String = files
        .iter()
        .map(|f| format!("{}: {}\n", f.kind, f.hash))
        .collect();
    std::fs::write(site_root.join("hash.txt"), lines)?;
    Ok(())
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

/// Hashed files of earlier builds (and their compressed copies) would pile up forever:
/// removes `<stem>.<16 hex>.<ext>` files other than `current` (and the unhashed name a
/// build without hashing left).
fn remove_old_generations(pkg: &Path, stem: &str, current: &str) -> Result<()> {
    let extension = current.rsplit('.').next().unwrap_or_default();
    for entry in std::fs::read_dir(pkg)? {
        let name = entry?.file_name().to_string_lossy().into_owned();
        let base = name
            .strip_suffix(".br")
            .or_else(|| name.strip_suffix(".gz"))
            .unwrap_or(&name);
        let Some(rest) = base
            .strip_prefix(stem)
            .and_then(|r| r.strip_prefix('.'))
            .and_then(|r| r.strip_suffix(extension))
            .and_then(|r| r.strip_suffix('.'))
        else {
            continue;
        };
        let hashed = rest.len() == 16 && rest.bytes().all(|b| b.is_ascii_hexdigit());
        if hashed && base != current {
            std::fs::remove_file(pkg.join(&name))?;
        }
    }
    Ok(())
}

/// The icons browsers ask an installable app for, rendered from the one source SVG:
/// (kind, stem, pixels, maskable). A maskable icon fills its square edge to edge with the
/// source scaled to 80% in the middle (its mark stays inside the safe zone, the inner 80%
/// circle), so no launcher's mask cuts it; the iPhone's home-screen icon is drawn the same way.
pub const ICONS: [(&str, &str, u32, bool); 4] = [
    ("icon-192", "icon-192", 192, false),
    ("icon-512", "icon-512", 512, false),
    ("icon-maskable", "icon-maskable-512", 512, true),
    ("icon-apple", "apple-touch-icon-180", 180, true),
];

/// Background of maskable icons and the app's theme colour: the mark's own colour.
pub const THEME_COLOUR: &str = "#0b5f7a";

/// Renders `svg` to a `size`×`size` PNG; `maskable` draws it inside a full-bleed square.
pub fn render_icon(svg: &str, size: u32, maskable: bool) -> Result<Vec<u8>> {
    let source = if maskable {
        let inner = svg_inner(svg).ok_or("favicon.svg: no <svg> element")?;
        let view_box = svg_view_box(svg).ok_or("favicon.svg: no viewBox")?;
        let (w, h) = (view_box.2, view_box.3);
        format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}"><rect width="{w}" height="{h}" fill="{THEME_COLOUR}"/><g transform="translate({} {}) scale(0.8)">{inner}</g></svg>"#,
            w * 0.1,
            h * 0.1
        )
    } else {
        svg.to_owned()
    };
    let tree = resvg::usvg::Tree::from_str(&source, &resvg::usvg::Options::default())
        .map_err(|e| format!("favicon.svg: {e}"))?;
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size, size).ok_or("icon size")?;
    let scale = size as f32 / tree.size().width().max(tree.size().height());
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    Ok(pixmap.encode_png().map_err(|e| format!("png: {e}"))?)
}

/// What is inside the outer `<svg …>` element.
fn svg_inner(svg: &str) -> Option<&str> {
    let open = svg.find("<svg")?;
    let start = open + svg[open..].find('>')? + 1;
    let end = svg.rfind("</svg>")?;
    (start <= end).then(|| &svg[start..end])
}

/// The outer element's `viewBox` as (x, y, width, height).
fn svg_view_box(svg: &str) -> Option<(f32, f32, f32, f32)> {
    let at = svg.find("viewBox=\"")? + "viewBox=\"".len();
    let value = &svg[at..at + svg[at..].find('"')?];
    let n: Vec<f32> = value
        .split([' ', ','])
        .filter(|p| !p.is_empty())
        .map(|p| p.parse().ok())
        .collect::<Option<_>>()?;
    (n.len() == 4).then(|| (n[0], n[1], n[2], n[3]))
}

/// The web app manifest: what a phone shows when the app is installed. `href` finds a
/// fingerprinted file's served path by kind.
pub fn web_manifest(href: impl Fn(&str) -> String) -> String {
    let icon = |kind: &str, size: u32, purpose: &str| {
        serde_json::json!({
            "src": href(kind),
            "sizes": format!("{size}x{size}"),
            "type": "image/png",
            "purpose": purpose,
        })
    };
    let manifest = serde_json::json!({
        "name": "Clinic Scheduler",
        "short_name": "Clinic",
        "description": "See, book, change and cancel your clinic appointments.",
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "orientation": "any",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "lang": "en",
        "icons": [
            icon("icon-192", 192, "any"),
            icon("icon-512", 512, "any"),
            icon("icon-maskable", 512, "maskable"),
        ],
    });
    serde_json::to_string_pretty(&manifest).expect("a JSON value serialises")
}

/// Fills the service worker's and the offline page's placeholders (each must be present
/// exactly once: a template that lost one fails the build, not the browser).
pub fn fill_template(text: &str, fills: &[(&str, String)]) -> Result<String> {
    let mut out = text.to_owned();
    for (marker, value) in fills {
        if out.matches(marker).count() != 1 {
            return Err(format!("template: expected `{marker}` exactly once").into());
        }
        out = out.replace(marker, value);
    }
    Ok(out)
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
        std::fs::write(pkg.join("icon-192.0000000000000000.png"), "old").unwrap();
        std::fs::write(pkg.join("other.0000000000000000.js"), "not ours").unwrap();
        let report = fingerprint(
            &pkg,
            &[BundleFile {
                kind: "js",
                stem: "clinic",
                path: &pkg.join("clinic.js"),
                extension: "js",
            }],
        )
        .unwrap();
        write_hash_file(&dir, &report).unwrap();
        let name = &report[0].name;
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
            vec![
                name.clone(),
                format!("{name}.br"),
                format!("{name}.gz"),
                "icon-192.0000000000000000.png".to_owned(),
                "other.0000000000000000.js".to_owned(),
            ]
        );
        let manifest = std::fs::read_to_string(dir.join("hash.txt")).unwrap();
        assert_eq!(
            manifest,
            format!("js: {}\n", content_hash(b"console.log(1)"))
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn icons_are_pngs_of_the_asked_size_and_maskable_ones_fill_the_square() {
        let svg = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../public/favicon.svg"),
        )
        .unwrap();
        for (_, _, size, maskable) in ICONS {
            let png = render_icon(&svg, size, maskable).unwrap();
            let pixmap = resvg::tiny_skia::Pixmap::decode_png(&png).unwrap();
            assert_eq!((pixmap.width(), pixmap.height()), (size, size));
            // The corner: transparent (rounded) for a plain icon, the theme colour for a
            // maskable one.
            let corner = pixmap.pixel(0, 0).unwrap();
            assert_eq!(
                corner.alpha() == 255,
                maskable,
                "corner of {size} {maskable}"
            );
            // The middle of the cross is white either way.
            let middle = pixmap.pixel(size / 2, size / 2).unwrap();
            assert_eq!(
                (middle.red(), middle.green(), middle.blue()),
                (255, 255, 255)
            );
        }
    }

    #[test]
    fn the_manifest_names_every_icon_and_templates_must_carry_their_markers() {
        let manifest: serde_json::Value =
            serde_json::from_str(&web_manifest(|kind| format!("/pkg/{kind}.png"))).unwrap();
        assert_eq!(manifest["display"], "standalone");
        assert_eq!(manifest["icons"].as_array().unwrap().len(), 3);
        assert_eq!(manifest["icons"][2]["purpose"], "maskable");
        assert_eq!(
            fill_template("a X b", &[("X", "y".to_owned())]).unwrap(),
            "a y b"
        );
        assert!(fill_template("a b", &[("X", "y".to_owned())]).is_err());
        assert!(fill_template("X X", &[("X", "y".to_owned())]).is_err());
    }
}
