//! `bootstrap`: the tgw-ha Lambda function (runtime `provided.al2023`). All of it is in
//! `tgw_ha::lambda`; this file only answers `--version` (packaging checks run it) and starts the
//! runtime loop.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    match args.next().as_deref() {
        None => {}
        Some("--version" | "-V") => {
            println!("bootstrap (tgw-ha) {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Some(other) => {
            eprintln!(
                "bootstrap: unexpected argument {other:?}; it takes none (it is the tgw-ha Lambda \
                 function, started by the Lambda runtime) except --version"
            );
            return ExitCode::from(2);
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bootstrap: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(tgw_ha::lambda::runtime::run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bootstrap: the Lambda runtime stopped: {e}");
            ExitCode::FAILURE
        }
    }
}
