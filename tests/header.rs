//! The committed header must be exactly what the pinned cbindgen makes of
//! src/ffi. Set UIZA_BLESS_HEADER=1 to rewrite it after a deliberate change
//! (refused where `CI` is set: CI checks the header, it never writes it).

use std::path::Path;

#[test]
fn committed_header_matches_cbindgen_output() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    let mut generated = Vec::new();
    cbindgen::Builder::new()
        .with_crate(root)
        .with_config(config)
        .generate()
        .expect("cbindgen failed to parse the crate")
        .write(&mut generated);
    let generated = String::from_utf8(generated).expect("header is UTF-8");

    let path = root.join("include/uiza.h");
    if std::env::var_os("UIZA_BLESS_HEADER").is_some() {
        assert!(
            std::env::var_os("CI").is_none(),
            "UIZA_BLESS_HEADER is set, but so is CI: CI must check include/uiza.h, \
             not rewrite it. Regenerate it locally and commit it."
        );
        std::fs::write(&path, &generated).expect("write include/uiza.h");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "include/uiza.h is out of date with src/ffi; regenerate it with \
         `UIZA_BLESS_HEADER=1 cargo test --test header` and commit it"
    );
}
