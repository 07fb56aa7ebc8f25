//! The README's example is `examples/readme.rs`, verbatim, and it runs on
//! the real PostgreSQL; its Prometheus recipe is `examples/metrics.rs`,
//! verbatim, and it runs on the real Redis.

#[allow(dead_code)]
#[path = "../examples/readme.rs"]
mod readme;

#[allow(dead_code)]
#[path = "../examples/metrics.rs"]
mod metrics;

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

#[test]
fn the_readme_holds_the_metrics_recipe_verbatim() {
    let readme = include_str!("../README.md");
    let example = include_str!("../examples/metrics.rs");
    assert!(
        readme.contains(&format!("```rust\n{example}```")),
        "stores/README.md must hold examples/metrics.rs in a rust block, verbatim"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metrics_recipe_runs() {
    let url = std::env::var("IDLOOM_REDIS").unwrap_or_else(|_| "redis://127.0.0.1:6379/".into());
    // The recipe asserts the counters it exports; this checks its text once more.
    let body = metrics::run(&url, &support::unique("metrics"), &support::unique("metrics"))
        .await
        .unwrap();
    assert!(body.starts_with("# HELP idloom_events idloom events per object, by kind\n# TYPE idloom_events counter\n"));
    assert!(body.contains("idloom_events_total{object=\"lease\",event=\"lease_acquired\"} 1\n"));
    assert!(body.ends_with("# EOF\n"));
}
