//! Finds a python3 with the packages of `tests/python/requirements.txt`, for the tests that
//! check switchboard against the official SDKs.
//!
//! A missing interpreter or package fails the test with instructions, because CI installs
//! them; `SWITCHBOARD_SKIP_PYTHON=1` skips such tests instead (saying so), for machines
//! without Python. `SWITCHBOARD_PYTHON` names the interpreter when it is not `python3`.

use std::path::PathBuf;
use std::process::Command;

/// An interpreter that imports the ElevenLabs SDK.
#[derive(Debug, Clone)]
pub struct Python {
    pub program: PathBuf,
    /// The version of the package the interpreter was probed for.
    pub version: String,
}

impl Python {
    pub fn command(&self) -> Command {
        Command::new(&self.program)
    }

    /// [`Python::command`] for async tests, whose server must keep serving while it runs.
    #[allow(dead_code)] // each test binary that includes this file uses some of it
    pub fn tokio_command(&self) -> tokio::process::Command {
        tokio::process::Command::new(&self.program)
    }
}

/// The interpreter to use, or `None` when `SWITCHBOARD_SKIP_PYTHON=1` asks to skip `test`.
/// Panics with what to install when there is none.
pub fn python_with_elevenlabs(test: &str) -> Option<Python> {
    python_with(
        test,
        "the ElevenLabs SDK",
        "from elevenlabs.version import __version__; print(__version__)",
    )
}

/// Like [`python_with_elevenlabs`], for the official `twilio` package.
pub fn python_with_twilio(test: &str) -> Option<Python> {
    python_with(
        test,
        "the twilio package",
        "import importlib.metadata as m; print(m.version('twilio'))",
    )
}

/// Like [`python_with_elevenlabs`], for any package of `tests/python/requirements.txt` by its
/// distribution name (`schemathesis`).
#[allow(dead_code)] // each test binary that includes this file uses some of it
pub fn python_with_package(test: &str, package: &str) -> Option<Python> {
    python_with(
        test,
        &format!("the {package} package"),
        &format!("import importlib.metadata as m; print(m.version('{package}'))"),
    )
}

fn python_with(test: &str, what: &str, probe: &str) -> Option<Python> {
    if std::env::var("SWITCHBOARD_SKIP_PYTHON").is_ok_and(|v| v == "1") {
        eprintln!("{test}: skipped (SWITCHBOARD_SKIP_PYTHON=1)");
        return None;
    }
    let candidates: Vec<PathBuf> = match std::env::var_os("SWITCHBOARD_PYTHON") {
        Some(program) => vec![program.into()],
        None => vec!["python3".into(), "python".into()],
    };
    let mut problems = Vec::new();
    for program in candidates {
        let probe = Command::new(&program).args(["-c", probe]).output();
        match probe {
            Ok(out) if out.status.success() => {
                let version = String::from_utf8_lossy(&out.stdout).trim().to_owned();
                return Some(Python { program, version });
            }
            Ok(out) => problems.push(format!(
                "{}: {}",
                program.display(),
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("failed")
            )),
            Err(e) => problems.push(format!("{}: {e}", program.display())),
        }
    }
    panic!(
        "{test} needs python3 with {what} ({}). Install it with \
         `pip install -r tests/python/requirements.txt`, point SWITCHBOARD_PYTHON at an \
         interpreter that has it, or set SWITCHBOARD_SKIP_PYTHON=1 to skip this test.",
        problems.join("; ")
    );
}
