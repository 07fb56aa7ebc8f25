//! Configuration: flags, then `IDLOOM_…` environment variables, then the
//! TOML file named by `--config`, then the defaults (flags win).

use clap::Parser;
use idloom::{Error, ErrorCode, Layout, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The largest `count` (and Tinyid `batchSize`) one request may ask for: Tinyid's cap.
pub const MAX_COUNT: u64 = 100_000;

/// The flags. Every one also reads `IDLOOM_<NAME>` (e.g. `IDLOOM_STORE`)
/// and the key of the same name in the `--config` file (`ttl-ms = 10000`).
#[derive(Debug, Parser, Default)]
#[command(
    name = "idloom-server",
    version,
    about = "The idloom ID service: fenced snowflakes and Leaf segments over HTTP (Leaf- and Tinyid-compatible routes)."
)]
pub struct Flags {
    /// A TOML file with any of these settings (keys as the long flags).
    #[arg(long, env = "IDLOOM_CONFIG")]
    pub config: Option<PathBuf>,
    /// Address to listen on (port 0: any free port; the first line on stdout names it).
    #[arg(long, env = "IDLOOM_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// The store: postgres://…, mysql://… (or mariadb://…), redis://…, zookeeper://…, etcd://…
    #[arg(long, env = "IDLOOM_STORE")]
    pub store: Option<String>,
    /// The node namespace this instance leases from (default "default").
    #[arg(long, env = "IDLOOM_NAMESPACE")]
    pub namespace: Option<String>,
    /// Nodes in the namespace when it is created (default: the engine's default, at most the layout's).
    #[arg(long, env = "IDLOOM_NODES")]
    pub nodes: Option<u64>,
    /// Lease TTL in ms (default 10000).
    #[arg(long, env = "IDLOOM_TTL_MS")]
    pub ttl_ms: Option<u64>,
    /// Largest clock difference to the store tolerated, in ms (default 1000).
    #[arg(long, env = "IDLOOM_MAX_SKEW_MS")]
    pub max_skew_ms: Option<u64>,
    /// First deployment only: create the namespace at floor 0 (no earlier holder can exist).
    #[arg(long, env = "IDLOOM_FRESH")]
    pub fresh: bool,
    /// A segment tag to serve (repeat for several; comma-separated in the environment).
    #[arg(long = "segment", env = "IDLOOM_SEGMENTS", value_delimiter = ',')]
    pub segments: Vec<String>,
    /// Counters fetched per refill (default 1000, Leaf's).
    #[arg(long, env = "IDLOOM_SEGMENT_STEP")]
    pub segment_step: Option<u64>,
    /// Do not create missing segment counters at start (a missing one is then an error).
    #[arg(long, env = "IDLOOM_NO_CREATE_SEGMENTS")]
    pub no_create_segments: bool,
    /// The SQL table of segment counters (default idloom_alloc; leaf_alloc to share Leaf's). Not for Redis.
    #[arg(long, env = "IDLOOM_SEGMENT_TABLE")]
    pub segment_table: Option<String>,
    /// The floor of counters created at start (default 1).
    #[arg(long, env = "IDLOOM_SEGMENT_FLOOR")]
    pub segment_floor: Option<u64>,
    /// TAG=SECRET: requests for TAG must carry SECRET (repeat; comma-separated in the environment).
    #[arg(long = "token", env = "IDLOOM_TOKENS", value_delimiter = ',')]
    pub tokens: Vec<String>,
    /// A file of TAG=SECRET lines (blank lines and # comments ignored).
    #[arg(long, env = "IDLOOM_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// A secret the snowflake and UUID routes require.
    #[arg(long, env = "IDLOOM_SNOWFLAKE_TOKEN")]
    pub snowflake_token: Option<String>,
    /// twitter (default), sonyflake, js_safe or baidu.
    #[arg(long, env = "IDLOOM_LAYOUT")]
    pub layout: Option<String>,
    /// This instance's holder name in the store (default: host and process).
    #[arg(long, env = "IDLOOM_HOLDER")]
    pub holder: Option<String>,
    /// /readyz turns red once the fence is less than this ahead, in ms (default: half the TTL).
    #[arg(long, env = "IDLOOM_READY_MARGIN_MS")]
    pub ready_margin_ms: Option<u64>,
    /// Largest count per request (default 100000, at most 100000).
    #[arg(long, env = "IDLOOM_MAX_COUNT")]
    pub max_count: Option<u64>,
    /// On SIGTERM, how long requests in flight may take before the lease is released (default 5000).
    #[arg(long, env = "IDLOOM_DRAIN_MS")]
    pub drain_ms: Option<u64>,
}

/// The `--config` file: the same names as the flags.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct File {
    listen: Option<SocketAddr>,
    store: Option<String>,
    namespace: Option<String>,
    nodes: Option<u64>,
    ttl_ms: Option<u64>,
    max_skew_ms: Option<u64>,
    fresh: Option<bool>,
    segments: Option<Vec<String>>,
    segment_step: Option<u64>,
    no_create_segments: Option<bool>,
    segment_floor: Option<u64>,
    segment_table: Option<String>,
    /// `{ invoice = "SECRET" }`
    tokens: Option<BTreeMap<String, String>>,
    token_file: Option<PathBuf>,
    snowflake_token: Option<String>,
    layout: Option<String>,
    holder: Option<String>,
    ready_margin_ms: Option<u64>,
    max_count: Option<u64>,
    drain_ms: Option<u64>,
}

/// The settings the server runs with, every one checked.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub store: String,
    pub namespace: String,
    pub nodes: Option<u64>,
    pub ttl_ms: u64,
    pub max_skew_ms: u64,
    pub fresh: bool,
    pub segments: Vec<String>,
    pub segment_step: u64,
    pub create_segments: bool,
    pub segment_floor: u64,
    pub segment_table: Option<String>,
    /// Tag → secret.
    pub tokens: BTreeMap<String, String>,
    pub snowflake_token: Option<String>,
    pub layout_name: String,
    pub layout: Layout,
    pub holder: Option<String>,
    pub ready_margin_ms: u64,
    pub max_count: u64,
    pub drain_ms: u64,
}

fn bad(param: &'static str, message: String) -> Error {
    Error::store(ErrorCode::InvalidArgument, format!("{param}: {message}"))
}

fn in_range(param: &'static str, value: u64, min: u64, max: u64) -> Result<u64> {
    if (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(Error::range(ErrorCode::InvalidArgument, param, value, min, max))
    }
}

/// `TAG=SECRET` entries into `tokens`; each tag checked by the core, each secret non-empty.
fn add_tokens<'a>(tokens: &mut BTreeMap<String, String>, entries: impl Iterator<Item = &'a str>, from: &str) -> Result<()> {
    for entry in entries {
        let Some((tag, secret)) = entry.split_once('=') else {
            return Err(bad("token", format!("{from}: expected TAG=SECRET, got an entry without '='")));
        };
        let (tag, secret) = (tag.trim(), secret.trim());
        idloom::inputs::biz_tag(tag)?;
        if secret.is_empty() {
            return Err(bad("token", format!("{from}: the secret for {tag:?} is empty")));
        }
        tokens.insert(tag.to_string(), secret.to_string());
    }
    Ok(())
}

impl Config {
    /// The settings from the command line and the environment (and the file they name).
    pub fn from_args() -> Result<Config> {
        Self::resolve(Flags::parse())
    }

    /// Merge `flags` (flags and environment, as clap read them) over the
    /// file they name, over the defaults; check every value.
    pub fn resolve(flags: Flags) -> Result<Config> {
        let file: File = match &flags.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| bad("config", format!("{}: {e}", path.display())))?;
                toml::from_str(&text).map_err(|e| bad("config", format!("{}: {}", path.display(), e.message())))?
            }
            None => File::default(),
        };
        let store = flags.store.or(file.store).ok_or_else(|| {
            bad(
                "store",
                "required: --store URL (postgres://…, mysql://…, redis://…, zookeeper://…, etcd://…)".into(),
            )
        })?;
        let namespace = flags.namespace.or(file.namespace).unwrap_or_else(|| "default".into());
        idloom::inputs::namespace(&namespace)?;
        let layout_name = flags.layout.or(file.layout).unwrap_or_else(|| "twitter".into());
        let layout = Layout::preset_named(&layout_name)?;
        let ttl_ms = flags.ttl_ms.or(file.ttl_ms).unwrap_or(10_000);
        let max_skew_ms = flags.max_skew_ms.or(file.max_skew_ms).unwrap_or(1_000);
        let segments = if flags.segments.is_empty() {
            file.segments.unwrap_or_default()
        } else {
            flags.segments
        };
        let mut seen = std::collections::BTreeSet::new();
        for tag in &segments {
            idloom::inputs::biz_tag(tag)?;
            if !seen.insert(tag.as_str()) {
                return Err(bad("segment", format!("{tag:?} is named twice")));
            }
        }
        let segment_step = flags.segment_step.or(file.segment_step).unwrap_or(1_000);
        in_range("segment-step", segment_step, 1, idloom::segment::MAX_STEP)?;
        let segment_floor = flags.segment_floor.or(file.segment_floor).unwrap_or(1);
        idloom::stores::args::check("floor", segment_floor.into())?;
        let mut tokens = BTreeMap::new();
        if let Some(t) = file.tokens {
            let entries: Vec<String> = t.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
            add_tokens(&mut tokens, entries.iter().map(String::as_str), "config tokens")?;
        }
        if let Some(path) = flags.token_file.or(file.token_file) {
            let text = std::fs::read_to_string(&path).map_err(|e| bad("token-file", format!("{}: {e}", path.display())))?;
            let lines = text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'));
            add_tokens(&mut tokens, lines, &path.display().to_string())?;
        }
        add_tokens(&mut tokens, flags.tokens.iter().map(String::as_str), "--token")?;
        for tag in tokens.keys() {
            if !seen.contains(tag.as_str()) {
                return Err(bad("token", format!("{tag:?} is not a served segment (--segment {tag})")));
            }
        }
        let snowflake_token = flags.snowflake_token.or(file.snowflake_token);
        if snowflake_token.as_deref() == Some("") {
            return Err(bad("snowflake-token", "empty".into()));
        }
        let ready_margin_ms = flags.ready_margin_ms.or(file.ready_margin_ms).unwrap_or(ttl_ms / 2);
        let max_count = in_range("max-count", flags.max_count.or(file.max_count).unwrap_or(MAX_COUNT), 1, MAX_COUNT)?;
        let drain_ms = in_range("drain-ms", flags.drain_ms.or(file.drain_ms).unwrap_or(5_000), 0, 600_000)?;
        let holder = flags.holder.or(file.holder);
        if let Some(h) = &holder {
            idloom::inputs::holder(h)?;
        }
        Ok(Config {
            listen: flags
                .listen
                .or(file.listen)
                .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
            store,
            namespace,
            nodes: flags.nodes.or(file.nodes),
            ttl_ms,
            max_skew_ms,
            fresh: flags.fresh || file.fresh.unwrap_or(false),
            segments,
            segment_step,
            create_segments: !(flags.no_create_segments || file.no_create_segments.unwrap_or(false)),
            segment_floor,
            segment_table: flags.segment_table.or(file.segment_table),
            tokens,
            snowflake_token,
            layout_name,
            layout,
            holder,
            ready_margin_ms,
            max_count,
            drain_ms,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(args: &[&str]) -> Flags {
        Flags::try_parse_from(std::iter::once("idloom-server").chain(args.iter().copied())).unwrap()
    }

    #[test]
    fn flags_win_over_the_file_and_defaults_fill_the_rest() {
        let dir = std::env::temp_dir().join(format!("idloom-server-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.toml");
        std::fs::write(
            &path,
            "store = \"redis://file\"\nttl-ms = 4000\nsegments = [\"a\", \"b\"]\n[tokens]\na = \"s1\"\n",
        )
        .unwrap();
        let c = Config::resolve(flags(&["--config", path.to_str().unwrap(), "--ttl-ms", "3000"])).unwrap();
        assert_eq!(c.store, "redis://file");
        assert_eq!(c.ttl_ms, 3000);
        assert_eq!(c.segments, ["a", "b"]);
        assert_eq!(c.tokens.get("a").map(String::as_str), Some("s1"));
        assert_eq!(c.ready_margin_ms, 1500);
        assert_eq!(c.max_count, MAX_COUNT);
        assert_eq!(c.namespace, "default");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn bad_settings_name_their_parameter() {
        let e = Config::resolve(flags(&[])).unwrap_err();
        assert!(e.to_string().contains("store"), "{e}");
        let e = Config::resolve(flags(&["--store", "redis://x", "--max-count", "100001"])).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidArgument);
        assert!(e.to_string().contains("max-count") && e.to_string().contains("100000"), "{e}");
        let e = Config::resolve(flags(&["--store", "redis://x", "--token", "nope=s"])).unwrap_err();
        assert!(e.to_string().contains("not a served segment"), "{e}");
        let e = Config::resolve(flags(&["--store", "redis://x", "--segment", "a", "--token", "a"])).unwrap_err();
        assert!(e.to_string().contains("TAG=SECRET"), "{e}");
        let e = Config::resolve(flags(&["--store", "redis://x", "--layout", "nope"])).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidLayout);
        let e = Config::resolve(flags(&["--store", "redis://x", "--segment", "a b"])).unwrap_err();
        assert_eq!(e.code(), ErrorCode::InvalidArgument, "{e}");
    }
}
