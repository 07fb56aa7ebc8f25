//! Every text file under core/stores/ reaches the bindings through
//! `idloom::stores::texts` (one table, which the Python and Node bindings hand
//! to their store adapters): a text added as a file but left out of the
//! table fails here.

#![cfg(feature = "std")]

#[test]
fn every_store_text_file_is_in_the_bindings_table() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("stores");
    for engine in ["postgres", "mysql", "redis"] {
        let table = idloom::stores::texts(engine).expect("a known engine");
        for entry in std::fs::read_dir(root.join(engine)).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if engine == "redis" && name == "clock.lua" {
                continue; // the shared head, prepended to the lease scripts
            }
            assert!(
                table.iter().any(|(_, t)| t.ends_with(&text) || *t == text),
                "{engine}/{name} is not in idloom::stores::texts"
            );
        }
    }
    assert!(idloom::stores::texts("sqlite").is_none());
}
