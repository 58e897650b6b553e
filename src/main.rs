use std::process::ExitCode;

fn main() -> ExitCode {
    match switchboard::cli::main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // The error and its causes on one line: no backtrace, whatever RUST_BACKTRACE says.
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
