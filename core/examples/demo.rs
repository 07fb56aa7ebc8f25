//! The newcomer demo: mint and decode IDs from every generator.
//!
//! `cargo run -p idloom --example demo -- --node 3 [--layout twitter|sonyflake|baidu|js_safe]`

use idloom::encoding::Encoding;
use idloom::mask::Mask;
use idloom::nanoid::{nanoid, NanoId};
use idloom::segment::{MemorySource, Segment, SegmentConfig};
use idloom::uuid::V7Generator;
use idloom::{Clock, Layout, Policy, SecureRng, Snowflake, SystemClock, Uuid};

fn main() {
    if let Err(message) = run() {
        eprintln!("error: {message}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let mut node: Option<u64> = None;
    let mut layout_name = String::from("twitter");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--node" => {
                node = Some(
                    args.next()
                        .ok_or("--node needs a value")?
                        .parse()
                        .map_err(|_| "--node must be a non-negative integer")?,
                )
            }
            "--layout" => layout_name = args.next().ok_or("--layout needs a value")?,
            "-h" | "--help" => {
                println!("usage: demo --node N [--layout twitter|sonyflake|baidu|js_safe]");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    let node = node.ok_or("--node is required: idloom never guesses a node ID")?;
    let layout = Layout::preset_named(&layout_name).map_err(|e| e.to_string())?;
    let e = |e: idloom::Error| format!("{} ({})", e, e.code());

    let mut gen = Snowflake::new(layout, node, Policy::default(), SystemClock).map_err(e)?;
    println!("== snowflake, layout {layout_name}: {layout}");
    println!("{}", layout.capacity());
    for _ in 0..3 {
        let id = gen.next_id().map_err(e)?;
        let p = layout.decompose(id).map_err(e)?;
        println!(
            "{id:>20}  time={} node={} seq={}  friendly={}  base62={}",
            idloom::civil::from_unix_ms(p.timestamp_ms),
            p.node,
            p.sequence,
            layout.friendly(id).map_err(e)?,
            Encoding::Base62.encode_u64(id)
        );
    }

    println!("\n== segment (in-memory source, step 1000, Leaf-style prefetch at 10 %)");
    let source = MemorySource::new(1);
    let mut seg = Segment::new(SegmentConfig::default(), &source, SystemClock).map_err(e)?;
    let ids: Vec<u64> = (0..5).map(|_| seg.next_id()).collect::<Result<_, _>>().map_err(e)?;
    println!("{ids:?}  (in memory: {} more)", seg.buffer().remaining());

    let mut rng = SecureRng::from_os().map_err(e)?;
    println!("\n== UUID");
    let v4 = Uuid::v4(&mut rng).map_err(e)?;
    println!("v4 {v4}  version={} variant={:?}", v4.version(), v4.variant());
    let mut v7gen = V7Generator::new();
    for _ in 0..2 {
        let v7 = v7gen.next(SystemClock.now_ms(), &mut rng).map_err(e)?;
        println!("v7 {v7}  time={}", idloom::civil::from_unix_ms(v7.timestamp_ms().unwrap_or(0)));
    }

    println!("\n== NanoID");
    println!("default  {}", nanoid(&mut rng).map_err(e)?);
    println!(
        "hex, 12  {}",
        NanoId::new("0123456789abcdef", 12).map_err(e)?.generate(&mut rng).map_err(e)?
    );

    println!("\n== masking (63 bits, demo key)");
    let mask = Mask::new(63, *b"demo-key-16bytes").map_err(e)?;
    let id = gen.next_id().map_err(e)?;
    let public = mask.mask(id).map_err(e)?;
    println!("{id} -> public {public} -> back {}", mask.unmask(public).map_err(e)?);
    Ok(())
}
