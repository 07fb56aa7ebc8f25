//! Every text file under core/stores/ reaches the bindings through
//! `idloom::stores::texts` (one table, which the Python and Node bindings hand
//! to their stores): a text added as a file but left out of the
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
            if engine == "redis" && (name == "clock.lua" || name == "ints.lua") {
                continue; // the shared heads, prepended to the scripts
            }
            assert!(
                table.iter().any(|(_, t)| t.ends_with(&text) || *t == text),
                "{engine}/{name} is not in idloom::stores::texts"
            );
        }
    }
    assert!(idloom::stores::texts("sqlite").is_none());
}

#[test]
fn sequence_numbers_interleave_n_databases_and_name_what_is_out_of_range() {
    use idloom::stores::sequence_numbers;
    // Tinyid's remainder and delta: 3 databases, ranges of 100 from 1000.
    let got: Vec<_> = (0..3).map(|k| sequence_numbers(100, 1000, k, 3).unwrap()).collect();
    assert_eq!(got, [(1000, 300), (1100, 300), (1200, 300)]);
    for (args, message) in [
        ((0, 0, 0, 1), "step must be in 1..=2147483647, got 0"),
        (
            (1, 1 << 63, 0, 1),
            "floor must be in 0..=4611686018427387904, got 9223372036854775808",
        ),
        ((1, 0, 0, 0), "count must be in 1..=1024, got 0"),
        ((1, 0, 3, 3), "index must be in 0..=2, got 3"),
    ] {
        let e = sequence_numbers(args.0, args.1, args.2, args.3).unwrap_err();
        assert_eq!((e.code(), e.to_string()), (idloom::ErrorCode::InvalidArgument, message.to_string()));
    }
}

#[test]
fn compare_and_set_pauses_double_with_jitter_and_stay_bounded() {
    use idloom::stores::{cas_pause_us, CAS_TRIES};
    assert_eq!(
        [cas_pause_us(0, 0.0), cas_pause_us(0, 0.999), cas_pause_us(3, 0.5)],
        [50, 249, 1000]
    );
    assert_eq!(cas_pause_us(40, 1.0), 64_000, "capped");
    let worst: u64 = (0..CAS_TRIES).map(|a| cas_pause_us(a, 1.0)).sum();
    assert!(worst < 700_000, "{worst}");
    assert_eq!(cas_pause_us(1, f64::NAN), 250);
}

#[test]
fn a_namespace_gets_1024_nodes_by_default_and_at_most_what_its_engine_serves() {
    use idloom::stores::{max_nodes, namespace_nodes, DEFAULT_NODES};
    use idloom::{ErrorCode, Layout};
    assert_eq!(DEFAULT_NODES, 1024);
    for engine in ["postgres", "mysql", "redis", "memory"] {
        // Not the layout's maximum (4,194,304 for baidu): 1,024, or fewer when the layout has fewer.
        assert_eq!(namespace_nodes(engine, &Layout::BAIDU, None).unwrap(), 1024, "{engine}");
        assert_eq!(namespace_nodes(engine, &Layout::SONYFLAKE, None).unwrap(), 1024, "{engine}");
        let tiny = Layout::new(41, 4, 18, 0, 1).unwrap();
        assert_eq!(namespace_nodes(engine, &tiny, None).unwrap(), 16, "{engine}");
        assert_eq!(namespace_nodes(engine, &tiny, Some(16)).unwrap(), 16);
        let e = namespace_nodes(engine, &tiny, Some(17)).unwrap_err();
        assert_eq!(
            (e.code(), e.to_string()),
            (ErrorCode::InvalidArgument, "nodes must be in 1..=16, got 17".into())
        );
        assert_eq!(
            namespace_nodes(engine, &tiny, Some(0)).unwrap_err().code(),
            ErrorCode::InvalidArgument
        );
    }
    assert_eq!(
        [max_nodes("postgres"), max_nodes("mysql"), max_nodes("redis"), max_nodes("memory")],
        [Some(1 << 20), Some(1 << 20), Some(1 << 22), Some(1 << 16)]
    );
    let e = namespace_nodes("postgres", &Layout::BAIDU, Some(1 << 22)).unwrap_err();
    assert_eq!(e.to_string(), "nodes must be in 1..=1048576, got 4194304");
    assert_eq!(namespace_nodes("redis", &Layout::BAIDU, Some(1 << 22)).unwrap(), 1 << 22);
    let e = namespace_nodes("memory", &Layout::SONYFLAKE, Some(65_537)).unwrap_err();
    assert_eq!(e.to_string(), "nodes must be in 1..=65536, got 65537");
    assert_eq!(
        namespace_nodes("sqlite", &Layout::TWITTER, None).unwrap_err().code(),
        ErrorCode::InvalidArgument
    );
}

#[test]
fn only_postgres_and_redis_counters_can_be_guarded() {
    use idloom::ErrorCode;
    assert!(idloom::stores::check_guard("postgres").is_ok());
    assert!(idloom::stores::check_guard("redis").is_ok());
    for engine in ["mysql", "sqlite"] {
        let e = idloom::stores::check_guard(engine).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidArgument);
        assert_eq!(e.param(), Some("guard"));
    }
    assert!(idloom::stores::check_guard("mysql").unwrap_err().to_string().contains("MariaDB"));
}
