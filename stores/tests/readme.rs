//! The README's example is `examples/readme.rs`, verbatim, and it runs on
//! the real PostgreSQL.

#[allow(dead_code)]
#[path = "../examples/readme.rs"]
mod readme;

mod support;

#[test]
fn the_readme_holds_the_example_verbatim() {
    let readme = include_str!("../README.md");
    let example = include_str!("../examples/readme.rs");
    assert!(
        readme.contains(&format!("```rust\n{example}```")),
        "stores/README.md must hold examples/readme.rs in a rust block, verbatim"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_example_runs() {
    let url = std::env::var("IDLOOM_PG").unwrap_or_else(|_| "host=127.0.0.1 port=5432 user=postgres dbname=test connect_timeout=5".into());
    let ids = readme::run(&url, &support::unique("readme"), &support::unique("readme"))
        .await
        .unwrap();
    assert_eq!(ids.len(), 3);
    assert!(ids[0] < ids[1]);
    assert!(ids[2] >= 1);
}
