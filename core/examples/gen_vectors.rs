//! Regenerate the shared conformance vectors: `cargo run -p idloom --example gen_vectors`.

#[path = "../tests/support/vectors/mod.rs"]
mod vectors;

fn main() {
    let dir = vectors::vectors_dir();
    std::fs::create_dir_all(&dir).expect("create tests/vectors");
    for (name, value) in vectors::all() {
        let path = dir.join(name);
        std::fs::write(&path, vectors::render(&value)).expect("write vector file");
        println!("wrote {}", path.display());
    }
    let module = vectors::tables_module_path();
    std::fs::write(&module, vectors::tables_module()).expect("write tables.mjs");
    println!("wrote {}", module.display());
}
