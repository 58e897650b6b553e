use std::process::ExitCode;

fn main() -> ExitCode {
    match switchboard::cli::main() {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // The error and its causes on one line: no backtrace, whatever RUST_BACKTRACE says.
            eprintln!("error: {error:#}");
            // Bad input on the command line (`admin`'s flags) is 2, as clap's own errors are.
            match error.downcast_ref::<switchboard::cli::UsageError>() {
                Some(_) => ExitCode::from(2),
                None => ExitCode::FAILURE,
            }
        }
    }
}
