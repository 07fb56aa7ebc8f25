//! `idloom-sim`: run one scenario, print its table, write its JSON.
//!
//!     idloom-sim SCENARIO [--holders N] [--minutes M] [--seed S] [--ttl-ms T] [--max-skew-ms K]
//!                         [--node-bits B] [--broken self_extend|restore_keeps_identity|restart_fresh] [--json FILE]
//!     idloom-sim --list

use idloom_sim::{run, scenario, Broken, SCENARIOS};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--list") || args.is_empty() {
        println!("{}", SCENARIOS.join("\n"));
        return if args.is_empty() { ExitCode::from(2) } else { ExitCode::SUCCESS };
    }
    let name = &args[0];
    let (mut holders, mut minutes, mut seed) = (200u32, 5u64, 1u64);
    let (mut ttl, mut skew, mut nodes, mut json, mut broken) = (None, None, None, None, None);
    let mut it = args[1..].iter();
    while let Some(flag) = it.next() {
        let Some(value) = it.next() else {
            eprintln!("idloom-sim: {flag} needs a value");
            return ExitCode::from(2);
        };
        let num = || value.parse::<u64>().map_err(|_| format!("{flag}: not a number: {value}"));
        let r: Result<(), String> = (|| {
            match flag.as_str() {
                "--holders" => holders = num()? as u32,
                "--minutes" => minutes = num()?,
                "--seed" => seed = num()?,
                "--ttl-ms" => ttl = Some(num()?),
                "--max-skew-ms" => skew = Some(num()?),
                "--node-bits" => nodes = Some(num()? as u32),
                "--json" => json = Some(value.clone()),
                "--broken" => {
                    broken = Some(match value.as_str() {
                        "self_extend" => Broken::SelfExtend,
                        "restore_keeps_identity" => Broken::RestoreKeepsIdentity,
                        "restart_fresh" => Broken::RestartFresh,
                        _ => {
                            return Err(format!(
                                "--broken: self_extend, restore_keeps_identity or restart_fresh, not {value}"
                            ))
                        }
                    })
                }
                _ => return Err(format!("unknown flag {flag}")),
            }
            Ok(())
        })();
        if let Err(e) = r {
            eprintln!("idloom-sim: {e}");
            return ExitCode::from(2);
        }
    }
    let Some(mut cfg) = scenario(name, holders, minutes, seed) else {
        eprintln!("idloom-sim: no scenario {name} (see --list)");
        return ExitCode::from(2);
    };
    if let Some(t) = ttl {
        cfg.lease.ttl_ms = t;
    }
    if let Some(k) = skew {
        cfg.lease.max_skew_ms = k;
    }
    if let Some(b) = nodes {
        cfg.node_bits = b;
        cfg.nodes = 1 << b;
    }
    cfg.broken = broken;
    if let Err(e) = cfg.lease.validate() {
        eprintln!("idloom-sim: {e}");
        return ExitCode::from(2);
    }
    let report = run(&cfg);
    print!("{}", report.table());
    if let Some(path) = json {
        if let Err(e) = std::fs::write(&path, report.json() + "\n") {
            eprintln!("idloom-sim: {path}: {e}");
            return ExitCode::FAILURE;
        }
    }
    let c = &report.checks;
    if c.overlaps + c.duplicates + c.outside_claim > 0 {
        eprintln!("idloom-sim: the checks failed");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
